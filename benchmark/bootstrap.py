"""95 % intervals by a seeded bootstrap over tracks.

Segments of one track share the recording, so they are not independent draws: the bootstrap
resamples whole *tracks* with replacement (a cluster bootstrap; Field & Welsh 2007) and reads the
2.5 / 97.5 % percentiles of the accuracy over the resampled segments. Track-level accuracies
(majority vote, sum rule) are the same computation with one example per track. The generator is
seeded, so a file's intervals are reproducible bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: bootstrap resamples per interval (Efron & Tibshirani 1993 suggest >= 1000 for percentile intervals)
RESAMPLES = 1000
LEVEL = 0.95


def track_bootstrap(
    correct: np.ndarray, tracks: np.ndarray, *, seed: int, resamples: int = RESAMPLES, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile interval of the mean of ``correct`` (one bool per example), resampling the
    tracks (``tracks``: each example's track index, 0..T-1) with replacement."""
    correct = np.asarray(correct, dtype=np.float64)
    tracks = np.asarray(tracks, dtype=np.int64)
    count = int(tracks.max()) + 1
    hits = np.bincount(tracks, weights=correct, minlength=count)
    sizes = np.bincount(tracks, minlength=count).astype(np.float64)
    draws = np.random.default_rng(seed).integers(0, count, size=(resamples, count))
    means = hits[draws].sum(axis=1) / sizes[draws].sum(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def overlap(first: tuple[float, float], second: tuple[float, float]) -> bool:
    """Whether two intervals share a point (their entries are not separable at this level)."""
    return first[0] <= second[1] and second[0] <= first[1]


def accuracy_interval(correct: Mapping[str, np.ndarray], tracks: np.ndarray, *, seed: int) -> dict[str, Any]:
    """The 95 % interval of segment, MV and SR accuracy from per-example outcomes (``segment``
    per segment with ``tracks`` its track index; ``mv`` / ``sr`` one per track), as the schema's
    ``AccuracyInterval``: the same seed draws the same tracks for all three."""
    interval = {"segment": track_bootstrap(correct["segment"], tracks, seed=seed)}
    for level in ("mv", "sr"):
        interval[level] = track_bootstrap(correct[level], np.arange(len(correct[level])), seed=seed)
    return {level: {"low": low, "high": high} for level, (low, high) in interval.items()}
