"""The fields every trained model's card records of its data and its run, in one order for the
gradient-trained and the random-feature models alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import torch

import benchmark
from benchmark.data.protocol import PreparedData


def model_card(prepared: PreparedData, *, test_fold: int, seed: int, **fields: Any) -> dict[str, Any]:
    """The data and split first, then ``fields`` (how the model was trained), then the versions
    and the time of writing."""
    return {
        "dataset": prepared.identity,
        "test_fold": test_fold,
        "seed": seed,
        "sample_rate": prepared.sample_rate,
        "segment_samples": prepared.segment_samples,
        "num_classes": prepared.num_classes,
        **fields,
        "harness_version": benchmark.__version__,
        "torch_version": torch.__version__,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
