"""The test set cells read: segments of the test fold, streamed from the dataset into rows.

Only the test fold is cut, ``chunk_tracks`` tracks at a time, and written to a row store
(:mod:`benchmark.cells.rows`) as it is cut: no step holds every segment of the dataset. Labels
and track indices are small and stay on the device; the waveforms are resident when they fit
the run's ``resident_bytes`` and stored otherwise. A stored test set is content-addressed by the
dataset's identity and the segmentation, so a warm re-run reads it back without cutting again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from benchmark.cells.rows import ResidentRows, Rows, store_rows, stored_extra
from benchmark.data.base import Track
from benchmark.data.protocol import DataInfo, segment_chunks, segmentation_identity
from benchmark.data.segments import silent_fold_message
from benchmark.errors import BenchmarkError
from benchmark.jsonio import sha256_of
from benchmark.metrics import accuracies

#: bump when the way a test set is cut or stored changes
TEST_SET_VERSION = 2


@dataclass
class TestSet:
    """The test fold's segments, with track indices renumbered from 0."""

    waveforms: Rows
    labels: torch.Tensor
    track_index: torch.Tensor
    track_labels: torch.Tensor
    track_ids: list[str]  # the dataset's id of each test track (stable example ids: benchmark.outcomes)
    #: what segmentation changed in the test fold (silent segments, short tracks), for the
    #: dataset identity; empty where it changed nothing
    segmentation: dict[str, Any] = field(default_factory=dict)

    def subset(self, index: torch.Tensor | None) -> TestSet:
        """The segments at ``index`` (all for ``None``), with only their tracks renumbered from 0."""
        if index is None:
            return self
        tracks, track_index = self.track_index[index].unique(return_inverse=True)
        waveforms, ids = self.waveforms.subset(index), [self.track_ids[track] for track in tracks.tolist()]
        return TestSet(
            waveforms, self.labels[index], track_index, self.track_labels[tracks], ids, self.segmentation
        )

    def accuracy(self, logits: torch.Tensor) -> dict[str, float]:
        return accuracies(logits, self.labels, self.track_index, self.track_labels)


@dataclass(frozen=True)
class RowPlacement:
    """Where a run's rows live: on ``device`` while they fit ``resident_bytes``, else in
    content-addressed files under ``folder`` (read back a batch at a time)."""

    folder: Path
    resident_bytes: int
    device: torch.device

    def place(self, key: str, chunks: Iterable[torch.Tensor], extra: Callable[[], Any] | None = None) -> Rows:
        """The rows of ``chunks``; ``extra`` (called once every chunk was read) is stored beside
        them, so a stored entry found later answers without reading its source again."""
        held: list[torch.Tensor] = []
        size = 0
        stream = iter(chunks)
        for chunk in stream:
            held.append(chunk)
            size += chunk.numel() * chunk.element_size()
            if size > self.resident_bytes:
                return store_rows(self.folder, key, itertools.chain(held, stream), self.device, extra)
        return ResidentRows(torch.cat(held).to(self.device), key)

    def stored(self, key: str) -> tuple[Rows, Any] | None:
        """A stored entry of ``key`` and its extra, if one is complete and intact."""
        return stored_extra(self.folder, key, self.device)


def selected_tracks(info: DataInfo, fold: int, tracks_per_class: int | None) -> Iterator[Track]:
    """The fold's tracks in dataset order; at most ``tracks_per_class`` of each class (the first)."""
    taken: dict[int, int] = {}
    for track in info.dataset.tracks_in(fold):
        if tracks_per_class is not None and taken.get(track.label, 0) >= tracks_per_class:
            continue
        taken[track.label] = taken.get(track.label, 0) + 1
        yield track


def load_test_set(
    info: DataInfo, fold: int, tracks_per_class: int | None, placement: RowPlacement
) -> TestSet:
    key = sha256_of(
        {
            "v": TEST_SET_VERSION,
            "identity": info.identity,
            "segment_seconds": info.segment_seconds,
            "overlap": info.overlap,
            "fold": fold,
            "tracks_per_class": tracks_per_class,
            "short_clips": info.short_clips,
            "drop_silence": info.drop_silence,
        }
    )
    found = placement.stored(key)
    if found is not None:
        rows, labels = found
        return _test_set(rows, labels, placement.device)
    labels: dict[str, Any] = {"labels": [], "track_index": [], "track_labels": [], "track_ids": []}
    found = {"silent": 0, "short": 0}

    def chunks() -> Iterator[torch.Tensor]:
        for segments in segment_chunks(info, selected_tracks(info, fold, tracks_per_class)):
            # a track whose every segment was silence is left out, like one that was never there
            present, local = segments.track_index.unique(return_inverse=True)
            labels["track_index"] += (local + len(labels["track_labels"])).tolist()
            labels["labels"] += segments.labels.tolist()
            labels["track_labels"] += segments.track_labels[present].tolist()
            labels["track_ids"] += [segments.track_ids[track] for track in present.tolist()]
            found["silent"] += segments.silent_segments
            found["short"] += segments.short_tracks
            if len(segments.labels):
                yield segments.waveforms
        if not labels["labels"]:
            raise BenchmarkError(
                silent_fold_message(fold)
                if found["silent"]
                else f"test fold {fold} is empty; dataset {info.dataset.name!r} has folds "
                f"0..{info.dataset.num_folds - 1}"
            )
        dropped = info.drop_silence and found["silent"] > 0
        changed = segmentation_identity(found["silent"], dropped, found["short"], info.short_clips)
        labels["segmentation"] = changed

    rows = placement.place(key, chunks(), extra=lambda: labels)
    return _test_set(rows, labels, placement.device)


def _test_set(rows: Rows, labels: dict[str, Any], device: torch.device) -> TestSet:
    def tensor(name: str) -> torch.Tensor:
        return torch.tensor(labels[name], dtype=torch.long, device=device)

    ids, segmentation = labels["track_ids"], labels["segmentation"]
    return TestSet(rows, tensor("labels"), tensor("track_index"), tensor("track_labels"), ids, segmentation)
