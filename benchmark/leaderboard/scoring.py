"""The primary score and the gradient-masking flags, computed from an entry's per-budget results.

Both depend only on numbers every results file already holds (the flags also on the width of
the input interval, which the caller looks up from the entry's representation), so the runner
records them when it writes an entry and :mod:`benchmark.leaderboard.io` recomputes them when it
migrates a file of schema version 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from benchmark.leaderboard.schema import AttackCell, Flag, Score

#: FR may fall by this much from one budget to the next larger one before it is flagged: FGSM's
#: single step is not monotonic in the budget, and one or two examples in a few hundred flipping
#: back is no evidence of masking (Carlini et al. 2019, "On Evaluating Adversarial Robustness", 5.2)
FR_DROP_TOLERANCE = 0.01
#: an Linf budget as wide as the input interval reaches every input, so a misclassified one exists
#: for every example; an attack that fools fewer than this fraction there failed to find it
#: (AutoAttack's check that an unbounded attack reaches 100 %)
UNBOUNDED_MIN_FOOLING_RATE = 0.99


def _name(cell: AttackCell) -> str:
    return f"{cell.attack}/{cell.backend}"


def primary_score(
    cells: Sequence[AttackCell], *, representation: str, reference_budgets: Mapping[str, float]
) -> Score | None:
    """Lowest robust segment accuracy over every Linf epsilon attack on the model's own input at
    the reference budget for ``representation`` (each schedule's largest budget when the suite
    names none). L2 radii, waveform-domain cells of a spectrogram model, iteration and fraction
    budgets are in other units and never compete."""
    candidates = []
    for cell in cells:
        own_input = cell.domain == "representation" and cell.budget_unit in ("normalized", "amplitude")
        if not own_input or cell.norm != "linf":
            continue
        budget = reference_budgets.get(representation, cell.per_budget[-1].budget)
        candidates += [(point, cell) for point in cell.per_budget if point.budget == budget]
    if not candidates:
        return None
    point, cell = min(candidates, key=lambda candidate: candidate[0].robust_accuracy.segment)
    return Score(attack=_name(cell), budget=point.budget, robust_accuracy=point.robust_accuracy)


def masking_flags(cells: Sequence[AttackCell], *, widths: Mapping[str, float]) -> list[Flag]:
    """FR that falls as the budget grows, and an unbounded Linf attack that does not fool ~all.

    ``widths`` is the width of the input interval per attack domain (``domain_widths`` of the
    model's representation): the caller supplies it, so scoring needs nothing but results.
    """
    flags = []
    for cell in cells:
        width = widths[cell.domain]
        points = [point for point in cell.per_budget if point.fooling_rate is not None]
        for before, after in itertools.pairwise(points):
            if after.fooling_rate < before.fooling_rate - FR_DROP_TOLERANCE:
                flags.append(
                    Flag(
                        code="fr_not_increasing",
                        attack=_name(cell),
                        message=f"FR falls from {before.fooling_rate:.3f} at budget {before.budget:g} to "
                        f"{after.fooling_rate:.3f} at {after.budget:g}; a larger budget must fool at least "
                        f"as often",
                    )
                )
        epsilon = cell.budget_unit in ("normalized", "amplitude")
        unbounded = [p for p in points if epsilon and cell.norm == "linf" and p.budget >= width]
        if unbounded and unbounded[-1].fooling_rate < UNBOUNDED_MIN_FOOLING_RATE:
            flags.append(
                Flag(
                    code="unbounded_not_fooling",
                    attack=_name(cell),
                    message=f"FR {unbounded[-1].fooling_rate:.3f} at budget {unbounded[-1].budget:g}, which "
                    f"spans the whole input interval; an unbounded attack should fool ~100 %",
                )
            )
    return flags
