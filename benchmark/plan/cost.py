"""What a plan will cost before it runs: estimated input-gradient evaluations, bounded by
``--max-gradients`` so a step count or schedule that would run for days is refused with its
estimate instead of running until killed; and each cell's estimated work (gradients x the
model's FLOPs), which parallel executors dispatch costliest first."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch.utils.flop_counter import FlopCounterMode

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


def plan_gradients(plan: Plan, *, classes: int, elements: Mapping[str, int]) -> dict[str, int]:
    """Every cell's estimated input gradients by key (``elements``: input values per example of
    each model entry, which JSMA's cost grows with)."""
    return {
        cell.key: cell_gradients(cell, plan, classes=classes, elements=elements[cell.owner])
        for cell in plan.cells
    }


def check_gradient_budget(plan: Plan, gradients: Mapping[str, int], *, limit: int | None) -> int:
    """The plan's estimated gradient evaluations (``gradients``: :func:`plan_gradients`); a
    one-line error when they exceed ``limit``."""
    total = sum(gradients.values())
    if limit is not None and total > limit:
        most, label = max((gradients[cell.key], cell.label) for cell in plan.cells)
        raise BenchmarkError(
            f"suite {plan.suite.name!r} needs an estimated {total:.3g} input gradients (most: {label}, "
            f"{most:.3g}), more than --max-gradients {limit:.3g}; lower its steps, budgets or "
            f"max_examples, or raise --max-gradients"
        )
    return total


def forward_flops(network: torch.nn.Module, example: torch.Tensor) -> int:
    """Floating-point operations of one forward pass over ``example`` (a batch of one), counted by
    torch's FLOP counter: what one input gradient of a model costs relative to another's (the
    quick suite's waveform model: 4.4x the compact 2D model's, measured 3.9x in seconds), which
    gradient counts alone do not see."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        network(example)
    return max(1, counter.get_total_flops())  # a model without counted operations: gradients decide


def cell_work(plan: Plan, gradients: Mapping[str, int], flops: Mapping[str, int]) -> dict[str, int]:
    """Every cell's estimated work by key: its input gradients x the forward FLOPs per example of
    the model it differentiates (its owner: the attacked model, or a transfer's source). Only its
    order matters: executors with several slots dispatch the costliest cell first."""
    return {cell.key: gradients[cell.key] * flops[cell.owner] for cell in plan.cells}
