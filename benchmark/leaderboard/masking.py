"""Gradient-masking flags of defended entries, each with the numbers that raised it.

The checks are AutoAttack's (Croce & Hein 2020, ``checks.py``) and Athalye et al. 2018's
(sec. 3.1 and 4): input gradients that vanish or break; an output that is random; a black-box
attack (Square) that succeeds where every white-box attack failed; an adaptive attack (BPDA,
EOT) that lowers robust accuracy by more than the suite's accuracy tolerance compared with the
same attack without adaptation; and an attack with twice the steps that does the same (not
converged). They read only the cells' results, so a results file is enough to recompute them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from benchmark.leaderboard.schema import AttackCell, Flag
from benchmark.outcomes import unpack

#: attacks that query the model without its gradient
BLACK_BOX = frozenset({"square"})


def _points(cell: AttackCell) -> dict[float, float]:
    return {point.budget: point.robust_accuracy.segment for point in cell.per_budget}


def _drops(weak: AttackCell, strong: AttackCell, tolerance: float) -> Iterator[tuple[float, float, float]]:
    """(budget, weak robust accuracy, strong robust accuracy) where the strong cell is lower by
    more than ``tolerance`` on the same examples."""
    if weak.evaluated != strong.evaluated:
        return
    stronger = _points(strong)
    for budget, accuracy in _points(weak).items():
        if budget in stronger and accuracy - stronger[budget] > tolerance:
            yield budget, accuracy, stronger[budget]


def _same_attack(a: AttackCell, b: AttackCell) -> bool:
    return (a.attack, a.backend, a.domain, a.targeted, a.budget_unit) == (
        b.attack,
        b.backend,
        b.domain,
        b.targeted,
        b.budget_unit,
    )


def _same_examples(a: AttackCell, b: AttackCell) -> bool:
    return a.evaluated == b.evaluated and a.domain == b.domain and a.budget_unit == b.budget_unit


def evidence_flags(cells: Sequence[AttackCell]) -> list[Flag]:
    """Zero / non-finite input gradients (per gradient cell: a black-box attack never uses them)
    and randomized output (once per entry)."""
    flags = []
    for cell in cells:
        if cell.attack in BLACK_BOX:
            continue
        if cell.defense is not None and cell.defense.zero_gradient_fraction > 0:
            flags.append(
                Flag(
                    code="zero_gradients",
                    attack=cell.label,
                    message=f"input gradient zero or non-finite on {cell.defense.zero_gradient_fraction:.1%} "
                    "of the clean examples: a gradient attack cannot move them (try bpda = true)",
                )
            )
    randomized = [c for c in cells if c.defense is not None and c.defense.randomized_output_fraction > 0]
    if randomized:
        fraction = max(c.defense.randomized_output_fraction for c in randomized if c.defense is not None)
        flags.append(
            Flag(
                code="randomized_output",
                attack=None,
                message=f"two forward passes of one input differ on {fraction:.1%} of the clean examples: "
                "judge over several draws and attack with eot",
            )
        )
    return flags


def adaptive_flags(cells: Sequence[AttackCell], tolerance: float) -> list[Flag]:
    """An adaptive cell (BPDA / EOT) below its standard twin by more than ``tolerance``."""
    flags = []
    for adaptive in (c for c in cells if c.adaptive):
        for standard in (c for c in cells if not c.adaptive and _same_attack(c, adaptive)):
            if standard.params != adaptive.params:
                continue
            for budget, before, after in _drops(standard, adaptive, tolerance):
                flags.append(
                    Flag(
                        code="adaptive_beats_standard",
                        attack=adaptive.label,
                        message=f"robust accuracy {after:.3f} at budget {budget:g} against {before:.3f} "
                        f"without adaptation ({standard.label}): the standard attack overstates robustness",
                    )
                )
                break
    return flags


def convergence_flags(cells: Sequence[AttackCell], tolerance: float) -> list[Flag]:
    """A cell with twice another's ``steps`` (all else equal) below it by more than ``tolerance``."""
    flags = []
    for short, long in ((a, b) for a in cells for b in cells if _same_attack(a, b)):
        steps = short.params.get("steps")
        rest = {k: v for k, v in short.params.items() if k != "steps"}
        doubled = {k: v for k, v in long.params.items() if k != "steps"}
        if not isinstance(steps, int) or long.params.get("steps") != 2 * steps or rest != doubled:
            continue
        if short.adaptive != long.adaptive:
            continue
        for budget, before, after in _drops(short, long, tolerance):
            flags.append(
                Flag(
                    code="not_converged",
                    attack=short.label,
                    message=f"{2 * steps} steps give robust accuracy {after:.3f} at budget {budget:g} "
                    f"against {before:.3f} with {steps}: run more steps",
                )
            )
            break
    return flags


def black_box_flags(cells: Sequence[AttackCell], ids: int) -> list[Flag]:
    """A black-box cell that fools an example every white-box cell on the same examples and budget
    left correct; ``ids`` is the number of the entry's example ids (the length of ``evaluated``)."""
    flags = []
    for black in (c for c in cells if c.attack in BLACK_BOX and c.evaluated is not None):
        white = [c for c in cells if c.attack not in BLACK_BOX and _same_examples(c, black)]
        count = int(unpack(black.evaluated, ids).sum())
        for point in black.per_budget:
            others = [p for c in white for p in c.per_budget if p.budget == point.budget and p.correct]
            if not others or point.correct is None:
                continue
            white_right = np.logical_and.reduce([unpack(p.correct.segment, count) for p in others])
            beaten = int(np.sum(white_right & ~unpack(point.correct.segment, count)))
            if beaten:
                flags.append(
                    Flag(
                        code="black_box_beats_white_box",
                        attack=black.label,
                        message=f"fools {beaten} examples at budget {point.budget:g} that all {len(white)} "
                        "white-box attacks left correct: their gradients mislead",
                    )
                )
                break
    return flags


def defense_flags(cells: Sequence[AttackCell], *, tolerance: float, ids: int) -> list[Flag]:
    """Every masking flag of this module, in a stable order."""
    return (
        evidence_flags(cells)
        + black_box_flags(cells, ids)
        + adaptive_flags(cells, tolerance)
        + convergence_flags(cells, tolerance)
    )
