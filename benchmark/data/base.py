"""The dataset contract: labelled, fold-assigned mono tracks plus an identity for results.

Every result records :meth:`AudioDataset.identity`, whose hashes pin exactly which clips
(and which bytes) a number was computed on, so two runs on different data never compare.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmark.errors import BenchmarkError


# eq=False: the generated __eq__/__hash__ would compare/hash the array, which numpy refuses.
@dataclass(frozen=True, eq=False)
class Track:
    """One clip: float32 mono audio in [-1, 1] at its dataset's ``sample_rate``."""

    track_id: str
    label: int
    fold: int
    audio: np.ndarray

    def __post_init__(self) -> None:
        if self.audio.ndim != 1 or self.audio.dtype != np.float32:
            raise BenchmarkError(
                f"track {self.track_id!r}: audio must be 1-D float32, "
                f"got {self.audio.ndim}-D {self.audio.dtype}"
            )
        # Tracks are shared (and cached); a silent in-place edit would corrupt every later use.
        self.audio.flags.writeable = False


class AudioDataset(ABC):
    """A labelled audio dataset with fixed folds; each subclass is named in :mod:`benchmark.catalog`."""

    name: str
    version: str
    sample_rate: int
    classes: tuple[str, ...]
    num_folds: int

    @abstractmethod
    def tracks(self) -> list[Track]:
        """All tracks, in a fixed order, audio at :attr:`sample_rate`."""

    def tracks_in(self, fold: int) -> Iterator[Track]:
        """The tracks of ``fold`` in dataset order; datasets read from disk override this to load
        one track at a time, so a test set is cut without holding the dataset."""
        return (track for track in self.tracks() if track.fold == fold)

    def tracks_by_id(self) -> Iterator[Track]:
        """Every track in id order (what :meth:`identity` hashes); streamed where possible."""
        return iter(sorted(self.tracks(), key=lambda t: t.track_id))

    def identity(self) -> dict[str, Any]:
        """What results record about the data: name, version and hashes of ids and content.

        ``content_sha256`` covers, per track in id order, the id, label, fold and the
        little-endian float32 audio bytes, so relabelling or refolding also changes it.
        """
        ids: list[str] = []
        content = hashlib.sha256()
        for t in self.tracks_by_id():
            ids.append(t.track_id)
            content.update(f"{t.track_id}\t{t.label}\t{t.fold}\t{t.audio.size}\n".encode())
            content.update(np.ascontiguousarray(t.audio, dtype="<f4").tobytes())
        return {
            "name": self.name,
            "version": self.version,
            "sample_rate": self.sample_rate,
            "num_tracks": len(ids),
            "clip_ids_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
            "content_sha256": content.hexdigest(),
        }
