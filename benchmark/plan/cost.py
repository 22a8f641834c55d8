"""What a plan will cost before it runs: estimated input-gradient evaluations, bounded by
``--max-gradients`` so a step count or schedule that would run for days is refused with its
estimate instead of running until killed."""

from __future__ import annotations

from collections.abc import Mapping

from benchmark.attacks.base import build_attack
from benchmark.errors import BenchmarkError
from benchmark.plan.planner import Plan
from benchmark.plan.specs import AnyCellSpec, AttackCellSpec

#: ``--max-gradients`` default: above every registered suite (`quick` 5.1e4, `standard` 1.9e6, the
#: costliest seed protocol, `esmaeilpour2021`'s CW and JSMA grids, a few 1e9), yet a step count
#: like 1e9 is refused before it runs
DEFAULT_MAX_GRADIENTS = 10**10


def cell_gradients(cell: AnyCellSpec, plan: Plan, *, classes: int, elements: int) -> int:
    """Estimated input gradients of one cell: examples x the sum over its budgets of the attack's
    per-example estimate (:meth:`Attack.gradient_estimate`: steps, restarts, classes, ...)."""
    if isinstance(cell, AttackCellSpec):
        attack = build_attack(cell.attack, cell.backend, dict(cell.params), cell.targeted)
        budgets = cell.schedule.budgets
    else:  # transfer and transferability cells: one budget, default hyperparameters
        attack = build_attack(cell.attack, cell.backend, {}, False)
        budgets = [cell.budget]
    examples = len(cell.examples) if cell.examples is not None else plan.data.test_segments
    per_example = sum(attack.gradient_estimate(b, classes=classes, elements=elements) for b in budgets)
    eot = cell.eot if isinstance(cell, AttackCellSpec) else 1  # EOT spends ``eot`` gradients per step
    return round(examples * per_example * eot)


def check_gradient_budget(plan: Plan, *, classes: int, elements: Mapping[str, int], limit: int | None) -> int:
    """The plan's estimated gradient evaluations; a one-line error when they exceed ``limit``
    (``elements``: input values per example of each model entry, which JSMA's cost grows with)."""
    costs = [
        (cell_gradients(cell, plan, classes=classes, elements=elements[cell.owner]), cell.label)
        for cell in plan.cells
    ]
    total = sum(cost for cost, _ in costs)
    if limit is not None and total > limit:
        most, label = max(costs)
        raise BenchmarkError(
            f"suite {plan.suite.name!r} needs an estimated {total:.3g} input gradients (most: {label}, "
            f"{most:.3g}), more than --max-gradients {limit:.3g}; lower its steps, budgets or "
            f"max_examples, or raise --max-gradients"
        )
    return total
