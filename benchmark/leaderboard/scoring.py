"""The primary score and the gradient-masking flags, computed from an entry's per-budget results.

Both depend only on numbers every results file already holds (the flags also on the width of
the input interval, which the caller looks up from the entry's representation), so the runner
records them when it writes an entry and :mod:`benchmark.leaderboard.io` recomputes them when it
migrates a file of schema version 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence

import numpy as np

from benchmark.bootstrap import accuracy_interval
from benchmark.budgets import Domain, reference_key
from benchmark.leaderboard.schema import (
    Accuracy,
    AccuracyInterval,
    AttackCell,
    BudgetResult,
    Examples,
    Flag,
    Score,
)
from benchmark.outcomes import robust, track_of, unpack, unpacked, worst_case

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


def _candidates(
    cells: Sequence[AttackCell], budget: float | None, scored: Collection[str] | None, score_domain: Domain
) -> list[tuple[BudgetResult, AttackCell]]:
    """Every (point, cell) of a Linf epsilon attack in ``score_domain`` (the model's own input, or
    the audio) at ``budget`` (each schedule's largest where None) whose key is in ``scored`` (all
    when None). L2 radii, cells of the other domain, SNR, iteration and fraction budgets never
    compete."""
    candidates = []
    for cell in cells:
        in_domain = cell.domain == score_domain and cell.budget_unit in ("normalized", "amplitude")
        if not in_domain or cell.norm != "linf" or (scored is not None and cell.key not in scored):
            continue
        at = cell.per_budget[-1].budget if budget is None else budget
        candidates += [(point, cell) for point in cell.per_budget if point.budget == at]
    return candidates


def _score_set(examples: Examples) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The score set as a segment mask over the ids, its segments' tracks renumbered from 0, and
    the mask over the entry's tracks."""
    tracks = track_of(examples.ids)
    mask = unpack(examples.score_set, len(examples.ids))
    kept, renumbered = np.unique(tracks[mask], return_inverse=True)
    track_mask = np.zeros(int(tracks.max()) + 1, dtype=bool)
    track_mask[kept] = True
    return mask, renumbered, track_mask


def worst_case_outcomes(examples: Examples, points: Sequence[BudgetResult]) -> dict[str, np.ndarray]:
    """Per example of the score set (per track for MV / SR), whether it is robust under every one
    of ``points`` (each from a cell on exactly the score set): AutoAttack's worst case."""
    mask, _, track_mask = _score_set(examples)
    clean = unpacked(examples.clean.model_dump(), len(mask), len(track_mask))
    clean = {"segment": clean["segment"][mask], "mv": clean["mv"][track_mask], "sr": clean["sr"][track_mask]}
    size = (int(mask.sum()), int(track_mask.sum()))
    attacked = [unpacked(p.correct.model_dump(), *size) for p in points if p.correct is not None]
    return {level: worst_case([robust(bits, a[level]) for a in attacked]) for level, bits in clean.items()}


def primary_score(
    cells: Sequence[AttackCell],
    *,
    representation: str,
    reference_budgets: Mapping[str, float],
    examples: Examples | None,
    test_segments: int,
    scored: Collection[str] | None = None,
    seed: int = 0,
    score_domain: Domain = "representation",
) -> Score | None:
    """The fraction of the score set robust under every scored attack cell at the reference budget
    (AutoAttack's per-example worst case), beside the best single attack. Only cells on exactly the
    score set enter: others are reported, not scored. Without per-example outcomes (a migrated
    file) the strongest single attack on the whole test set stands in, and the score says so."""
    budget = reference_budgets.get(reference_key(representation, score_domain))
    candidates = _candidates(cells, budget, scored, score_domain)
    if examples is not None:
        candidates = [(p, c) for p, c in candidates if c.evaluated == examples.score_set]
    else:
        candidates = [(p, c) for p, c in candidates if c.examples == test_segments]
    if not candidates:
        return None
    point, cell = min(candidates, key=lambda candidate: candidate[0].robust_accuracy.segment)
    common = {
        "budget": point.budget,
        "attacks": [c.label for _, c in candidates],
        "examples": cell.examples,
        "attack": cell.label,
        "attack_robust_accuracy": point.robust_accuracy,
    }
    if examples is None or any(p.correct is None for p, _ in candidates):
        return Score(
            method="strongest_single_attack", robust_accuracy=point.robust_accuracy, interval=None, **common
        )
    worst = worst_case_outcomes(examples, [p for p, _ in candidates])
    _, renumbered, _ = _score_set(examples)
    return Score(
        method="per_example_worst_case",
        robust_accuracy=Accuracy(**{level: float(bits.mean()) for level, bits in worst.items()}),
        interval=AccuracyInterval.model_validate(accuracy_interval(worst, renumbered, seed=seed)),
        **common,
    )


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


#: a model that predicts one class for more than this share of the examples is near chance
MAJORITY_SHARE_LIMIT = 0.5


def majority_share(predictions: np.ndarray) -> float:
    """The share of examples predicted as the model's most frequent class."""
    return float(np.bincount(np.asarray(predictions)).max() / len(predictions))


def sanity_flags(
    cells: Sequence[AttackCell],
    *,
    examples: Examples,
    classes: int,
    majority_share: float,
    min_clean_correct: int,
) -> list[Flag]:
    """``near_chance``: chance (1 / classes) lies in the clean accuracy's 95 % interval, or one class
    takes more than half of the predictions, so no robustness number of the entry means anything;
    ``few_correct``: a cell with fewer clean-correct examples than the suite's minimum (its FR is null)."""
    flags = []
    interval, chance = examples.clean_interval.segment, 1 / classes
    if interval.low <= chance <= interval.high or majority_share > MAJORITY_SHARE_LIMIT:
        flags.append(
            Flag(
                code="near_chance",
                attack=None,
                message=f"clean accuracy interval [{interval.low:.3f}, {interval.high:.3f}] vs chance "
                f"{chance:.3f}; {100 * majority_share:.0f} % of the examples predicted as one class: "
                f"the scores are not meaningful",
            )
        )
    for cell in cells:
        correct = cell.per_budget[0].clean_correct
        if correct < min_clean_correct:
            flags.append(
                Flag(
                    code="few_correct",
                    attack=cell.label,
                    message=f"{correct} clean-correct examples of {cell.examples}, fewer than the suite's "
                    f"min_clean_correct {min_clean_correct}: FR is null",
                )
            )
    return flags
