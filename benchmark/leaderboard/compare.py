"""Metric-by-metric comparison of two leaderboard files (or folders of them) within tolerances.

Every numeric field of an entry is a metric, found by walking the validated file, so a field
added to the schema is compared without touching this module; its name must have a tolerance
category in :data:`CATEGORIES` (a test checks every field of a real entry has one). Tolerances
come from the suite config recorded in the OLD file: the committed leaderboard is the reference.
Per-example outcomes (packed bits) may differ on at most the accuracy tolerance's share of the
examples; other text fields (example ids, the score's method and attacks) must match exactly;
bootstrap intervals take the accuracy tolerance.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.errors import BenchmarkError
from benchmark.leaderboard.io import read_entry
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.outcomes import differing
from benchmark.tolerances import Tolerance, Tolerances

#: numeric field name -> the suite tolerance that applies to it
CATEGORIES: dict[str, str] = {
    # intervals (null in a migrated file) take the accuracy tolerance
    **dict.fromkeys(
        ["segment", "mv", "sr", "low", "high", "interval", "robust_interval", "clean_interval"], "accuracy"
    ),
    **dict.fromkeys(
        ["fooling_rate", "misclassified_rate", "success_rate", "source_fooling_rate", "rate"], "fooling_rate"
    ),
    **dict.fromkeys(["fr_auc", "fr_mean"], "fr_auc"),
    **dict.fromkeys(
        [
            "snr_db_mean",
            "snr_db_std",
            "snr_db_min",
            "clean_reconstruction_snr_db",
            "snr_db_griffin_lim_mean",
            "snr_db_griffin_lim_std",
        ],
        "snr_db",
    ),
    **dict.fromkeys(["l0_mean", "l2_mean", "linf_mean"], "perturbation"),
    # a defended cell's masking evidence: fractions of its clean examples
    **dict.fromkeys(["zero_gradient_fraction", "randomized_output_fraction"], "accuracy"),
    **dict.fromkeys(["gradient_evals_per_example", "gradient_evals_to_fr90"], "gradient_cost"),
    **dict.fromkeys(
        [
            "examples",
            "clean_correct",
            "gradient_evals",
            "forward_evals",
            "fooled_source",
            "fooled_both",
            "correct",  # per-example outcomes, null in a migrated file (else text, compared exactly)
            "evaluated",
            "snr_db_excluded",
            "snr_db_griffin_lim_excluded",
            "clean_reconstruction_snr_db_excluded",
            "eot",  # a defended cell's gradients per step and judging passes
            "draws",
        ],
        "counts",
    ),
}
#: fields that identify a result (or vary by nature, like wall time) rather than measure it; the
#: batched gradient steps end when a batch's slowest example stops, so one example stopping a step
#: earlier on another CPU moves them by a whole step (their cost is ``gradient_evals``, compared)
IDENTITY = {"key", "budget", "params", "targets_seed", "targets", "wall_time_s", "gradient_batches"}

Value = float | int | str | None


@dataclass
class Drift:
    """One metric outside its tolerance, or a result present on one side only."""

    entry: str
    where: str
    metric: str
    old: Value | str
    new: Value | str
    tolerance: str


@dataclass
class Comparison:
    entries: int = 0
    compared: int = 0
    drifts: list[Drift] = field(default_factory=list)


def _leaves(data: Any, path: str = "") -> Iterator[tuple[str, Value]]:
    """Numeric, text (lists of text joined) or null leaves of a dumped record, by dotted path;
    identity fields skipped."""
    for name, value in data.items():
        if name in IDENTITY:
            continue
        if isinstance(value, dict):
            yield from _leaves(value, f"{path}{name}.")
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            # example ids run to thousands: compared (and printed) by their hash
            yield f"{path}{name}", hashlib.sha256("\n".join(value).encode()).hexdigest()[:16]
        elif value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
            yield f"{path}{name}", value


def metrics(entry: LeaderboardEntry) -> dict[tuple[str, str], Value | str]:
    """Every metric of an entry keyed by (where, metric); flags are compared as present/absent."""
    found: dict[tuple[str, str], Value | str] = {}
    found.update({("clean", name): value for name, value in _leaves(entry.model.clean.model_dump())})
    if entry.score is not None:
        found.update({("score", name): value for name, value in _leaves(entry.score.model_dump())})
    if entry.examples is not None:
        found.update({("examples", name): value for name, value in _leaves(entry.examples.model_dump())})
    for cell in entry.attacks:
        where = cell.label
        dumped = cell.model_dump(exclude={"per_budget"})
        found.update({(where, name): value for name, value in _leaves(dumped)})
        for point in cell.per_budget:
            found.update({(f"{where} @ {point.budget:g}", n): v for n, v in _leaves(point.model_dump())})
    for t in entry.transfer:
        where = f"transfer {t.source}->{t.target} {t.attack}/{t.backend} @ {t.budget:g}"
        found.update({(where, name): value for name, value in _leaves(t.model_dump())})
    for row in entry.transferability:
        where = f"transferability {entry.entry} {row.attack}/{row.backend} @ {row.budget:g}"
        found.update({(where, name): value for name, value in _leaves(row.model_dump(exclude={"targets"}))})
        for target in row.targets:
            found.update({(f"{where} -> {target.target}", "fooled_both"): target.fooled_both})
            found.update({(f"{where} -> {target.target}", "rate"): target.rate})
    found.update({("flags", f"{flag.code} {flag.attack}"): "raised" for flag in entry.flags})
    return found


def _tolerance_for(metric: str, tolerances: Tolerances) -> tuple[str, Tolerance]:
    category = CATEGORIES[metric.rsplit(".", 1)[-1]]
    return category, getattr(tolerances, category)


def _describe(category: str, tolerance: Tolerance) -> str:
    if tolerance.abs == 0 and tolerance.rel == 0:
        return f"{category}: exact"
    parts = [f"{name} {value:g}" for name, value in (("abs", tolerance.abs), ("rel", tolerance.rel)) if value]
    return f"{category}: {' + '.join(parts)}"


_OUTCOMES = "accuracy: at most abs {:g} of the examples differ"


def _outcomes_drift(old: str, new: str, tolerance: Tolerance) -> str | None:
    """Per-example outcomes may differ on at most the accuracy tolerance's share of the examples:
    on another CPU, float rounding flips an example that sits on a decision boundary (one pons
    example at 0.001), and that same share already bounds the accuracies they sum to. None within
    it, else how many differ."""
    found = differing(old, new)
    if found is None:
        return "a different count"
    flipped, bits = found
    return None if flipped <= tolerance.abs * bits else f"{flipped} of {bits} differ"


def _within(old: Value, new: Value, tolerance: Tolerance) -> bool:
    """numpy.isclose's rule, relative to the reference value; null only matches null, and equal
    non-finite values match (NaN == NaN, inf == inf: an identical file never drifts)."""
    if old is None or new is None:
        return old is new
    if old == new or (math.isnan(old) and math.isnan(new)):
        return True
    return abs(new - old) <= tolerance.abs + tolerance.rel * abs(old)


def compare_entries(old: LeaderboardEntry, new: LeaderboardEntry, into: Comparison) -> None:
    """Add ``new``'s drifts from ``old`` to ``into``; entries of different suites or data refuse."""
    for what, a, b in (
        ("suite", old.suite, new.suite),
        ("dataset content", old.dataset.content_sha256, new.dataset.content_sha256),
        ("test fold", old.dataset.test_fold, new.dataset.test_fold),
    ):
        if a != b:
            raise BenchmarkError(
                f"cannot compare {old.entry!r} and {new.entry!r}: different {what} ({a} vs {b})"
            )
    tolerances = Tolerances.model_validate(old.config.get("tolerances", {}))
    before, after = metrics(old), metrics(new)
    into.entries += 1
    for key in list(before) + [key for key in after if key not in before]:
        where, metric = key
        a, b = before.get(key, "missing"), after.get(key, "missing")
        outcomes = metric.startswith("correct.") and "missing" not in (a, b)
        if outcomes and isinstance(a, str) and isinstance(b, str):
            into.compared += 1
            drift = _outcomes_drift(a, b, tolerances.accuracy)
            if drift is not None:
                into.drifts.append(
                    Drift(
                        old.entry,
                        where,
                        metric,
                        "packed bits",
                        drift,
                        _OUTCOMES.format(tolerances.accuracy.abs),
                    )
                )
            continue
        if where == "flags" or "missing" in (a, b) or isinstance(a, str) or isinstance(b, str):
            if a != b:
                into.drifts.append(Drift(old.entry, where, metric, a, b, "must match"))
            continue
        into.compared += 1
        category, tolerance = _tolerance_for(metric, tolerances)
        if not _within(a, b, tolerance):
            into.drifts.append(Drift(old.entry, where, metric, a, b, _describe(category, tolerance)))


def _entry_files(path: Path) -> dict[str, Path]:
    return {str(file.relative_to(path)): file for file in sorted(path.rglob("*.json"))}


def compare_paths(old: Path, new: Path) -> Comparison:
    """Compare two files, or two folders file by file (matched by relative path)."""
    comparison = Comparison()
    if not old.is_dir() and not new.is_dir():
        compare_entries(read_entry(old), read_entry(new), comparison)  # names a missing file
        return comparison
    if not (old.is_dir() and new.is_dir()):
        raise BenchmarkError(f"compare two files or two folders; {old} and {new} are not both folders")
    before, after = _entry_files(old), _entry_files(new)
    if not before:
        raise BenchmarkError(f"no leaderboard files (*.json) in {old}")
    for name in list(before) + [name for name in after if name not in before]:
        if name not in after or name not in before:
            side = "NEW" if name not in after else "OLD"
            drift = Drift(name, "(file)", "entry", "present", f"missing in {side}", "must match")
            comparison.drifts.append(drift)
            continue
        compare_entries(read_entry(before[name]), read_entry(after[name]), comparison)
    return comparison
