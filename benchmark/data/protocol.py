"""From a registered dataset to labelled segments: the first step of every suite."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.data.base import AudioDataset, Track
from benchmark.data.segments import (
    SILENCE_FLOOR_DBFS,
    Segments,
    check_folds_audible,
    segment_length,
    segment_tracks,
)
from benchmark.errors import BenchmarkError
from benchmark.registry import DATASETS


@dataclass
class DataInfo:
    """What a run knows about its data before (or without) holding any segment."""

    dataset: AudioDataset
    identity: dict[str, Any]
    segment_samples: int
    #: the segmentation, kept so training and the test set cut tracks the same way
    segment_seconds: float
    overlap: float
    short_clips: str = "pad"
    drop_silence: bool = False

    @property
    def sample_rate(self) -> int:
        return self.dataset.sample_rate

    @property
    def num_classes(self) -> int:
        return len(self.dataset.classes)


@dataclass
class PreparedData(DataInfo):
    """Every track of every fold, cut into segments (what training needs)."""

    segments: Segments = field(kw_only=True)


def open_dataset(name: str, params: dict[str, Any], root: Path | None = None) -> AudioDataset:
    """The registered dataset ``name``. ``root`` (``--data-root``) is where a real dataset's files
    are: machine-specific, so it comes from the command line, never from the suite, and only the
    data's content hashes (not its path) enter results and cell keys."""
    cls = DATASETS.get(name)
    if root is not None:
        if not getattr(cls, "reads_files", False):
            raise BenchmarkError(f"dataset {name!r} is generated, not read from disk; drop --data-root")
        params = {**params, "root": str(root)}
    dataset: AudioDataset = cls(**params)
    return dataset


def describe_data(
    dataset: AudioDataset,
    *,
    segment_seconds: float,
    overlap: float,
    short_clips: str = "pad",
    keep_silence: bool = False,
) -> DataInfo:
    """The dataset's identity and segmentation, without holding its segments (a file dataset
    is hashed one track at a time). Segments of digital silence are dropped from data read from
    files (recordings) unless ``keep_silence``; generated data is kept as generated."""
    samples = segment_length(segment_seconds, dataset.sample_rate)
    drop_silence = bool(getattr(dataset, "reads_files", False)) and not keep_silence
    return DataInfo(dataset, dataset.identity(), samples, segment_seconds, overlap, short_clips, drop_silence)


def segment_chunks(info: DataInfo, tracks: Iterable[Track], chunk_tracks: int = 4) -> Iterator[Segments]:
    """``tracks`` cut into segments ``chunk_tracks`` tracks at a time, so a caller can stream a
    fold; each chunk's ``track_index`` counts from 0 within the chunk."""
    chunk: list[Track] = []
    for track in tracks:
        chunk.append(track)
        if len(chunk) == chunk_tracks:
            yield _segment(info, chunk)
            chunk = []
    if chunk:
        yield _segment(info, chunk)


def _segment(info: DataInfo, tracks: list[Track]) -> Segments:
    rate = info.sample_rate
    return segment_tracks(
        tracks,
        sample_rate=rate,
        source_rate=rate,
        segment_seconds=info.segment_seconds,
        overlap=info.overlap,
        short_clips=info.short_clips,
        drop_silence=info.drop_silence,
    )


def prepare_data(
    name: str,
    params: dict[str, Any],
    *,
    segment_seconds: float,
    overlap: float,
    root: Path | None = None,
    short_clips: str = "pad",
    keep_silence: bool = False,
) -> PreparedData:
    """Every track of every fold cut into segments (loaded once, then hashed from memory).

    What segmentation changed is added to the identity only where it changed something
    (silent segments found, tracks shorter than a segment), so the identity, and the cell keys
    it enters, of data it leaves alone stay as before."""
    dataset = open_dataset(name, params, root)
    tracks = dataset.tracks()
    segmentation = {"segment_seconds": segment_seconds, "overlap": overlap, "short_clips": short_clips}
    info = describe_data(dataset, **segmentation, keep_silence=keep_silence)
    segments = _segment(info, tracks)
    if info.drop_silence:
        check_folds_audible(tracks, segments)
    changed = segmentation_identity(
        segments.silent_segments, segments.silence_dropped, segments.short_tracks, short_clips
    )
    info.identity.update(changed)
    return PreparedData(**vars(info), segments=segments)


def segmentation_identity(silent: int, dropped: bool, short: int, short_clips: str) -> dict[str, Any]:
    """What segmentation changed, for the identity: ``silent`` segments found (``dropped`` or
    kept), ``short`` tracks lengthened; nothing where it changed nothing."""
    identity: dict[str, Any] = {}
    if silent:
        identity["silence"] = {"floor_dbfs": SILENCE_FLOOR_DBFS, "segments": silent, "dropped": dropped}
    if short:
        identity["short_clips"] = {"mode": short_clips, "tracks": short}
    return identity
