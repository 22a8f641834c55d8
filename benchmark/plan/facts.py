"""What a plan is made from (the facts of the data and the models), the plan itself, and the
whole-track test subsets it selects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.plan.specs import AnyCellSpec
from benchmark.plan.suite import Suite


@dataclass(frozen=True)
class ModelFacts:
    """What planning needs to know about one loaded model."""

    entry: str
    representation: str
    bounds: Bounds
    invertible: bool
    #: what identifies the model in cell keys: its spec (or manifest) and weights' sha256
    identity: dict[str, Any]
    #: whether a defense of the model draws randomness at every forward pass
    randomized: bool = False
    #: the BPDA surrogate of each defense without an exact gradient, in chain order: a BPDA cell's
    #: result depends on them, so they enter its key (a changed surrogate is a new cell)
    surrogates: tuple[str, ...] = ()

    @property
    def domain(self) -> str:
        return "waveform" if self.representation == "waveform" else "representation"


@dataclass(frozen=True)
class DataFacts:
    """What planning needs to know about the prepared data and its test slice."""

    identity: dict[str, Any]
    test_segments: int
    #: each test segment's track, 0..T-1 in test order (whole-track selection of ``max_examples``)
    test_tracks: tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    """An ordered, checked list of cells (attack cells first), and what they were planned from."""

    suite: Suite
    data: DataFacts
    models: dict[str, ModelFacts]
    cells: tuple[AnyCellSpec, ...]

    def owned(self, entry: str) -> list[AnyCellSpec]:
        return [cell for cell in self.cells if cell.owner == entry]

    def score_set(self) -> tuple[int, ...] | None:
        """Test-set indices of the suite's score set (None: every test segment)."""
        return whole_tracks(self.data.test_tracks, self.suite.score_max_examples, "score_max_examples")


def whole_tracks(tracks: Sequence[int], max_examples: int | None, field: str) -> tuple[int, ...] | None:
    """Indices of the segments of evenly spaced whole tracks, as many tracks as ``max_examples``
    segments hold at the mean track length (None: all), so MV / SR never see part of a track.
    ``field`` names the suite field in the one-line error for a value below one track."""
    count = len(tracks)
    if max_examples is None or max_examples >= count:
        return None
    track_index = torch.tensor(tracks, dtype=torch.long)
    num_tracks = int(track_index.max()) + 1
    keep = max_examples * num_tracks // count
    if keep == 0:
        raise BenchmarkError(
            f"{field} = {max_examples} is smaller than one test track ({count / num_tracks:.0f} segments "
            f"on average): raise it to at least {-(-count // num_tracks)} or remove it"
        )
    # torch's float32 linspace and round-half-to-even, over tracks instead of segments
    chosen = torch.linspace(0, num_tracks - 1, keep).round().long().unique()
    return tuple(torch.isin(track_index, chosen).nonzero().flatten().tolist())
