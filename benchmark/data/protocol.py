"""From a registered dataset to labelled segments: the first step of every suite."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.data.base import AudioDataset
from benchmark.data.segments import SILENCE_FLOOR_DBFS, Segments, segment_tracks
from benchmark.errors import BenchmarkError
from benchmark.registry import DATASETS


@dataclass
class PreparedData:
    dataset: AudioDataset
    identity: dict[str, Any]
    segments: Segments
    segment_samples: int
    #: the segmentation, kept so training can cut augmented copies of tracks the same way
    segment_seconds: float | None = None
    overlap: float | None = None
    short_clips: str = "pad"
    drop_silence: bool = False

    @property
    def sample_rate(self) -> int:
        return self.dataset.sample_rate

    @property
    def num_classes(self) -> int:
        return len(self.dataset.classes)


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
    """``root`` (``--data-root``) is where a real dataset's files are: machine-specific, so it
    comes from the command line, never from the suite, and only the data's content hashes (not
    its path) enter results and cell keys.

    Segments of digital silence are dropped from data read from files (recordings) unless
    ``keep_silence``; generated data is kept as generated. What segmentation changed is added to
    the identity only where it changed something (silent segments found, tracks shorter than a
    segment), so the identity, and the cell keys it enters, of data it leaves alone stay as before.
    """
    cls = DATASETS.get(name)
    if root is not None:
        if not getattr(cls, "reads_files", False):
            raise BenchmarkError(f"dataset {name!r} is generated, not read from disk; drop --data-root")
        params = {**params, "root": str(root)}
    dataset: AudioDataset = cls(**params)
    tracks = dataset.tracks()
    drop_silence = getattr(cls, "reads_files", False) and not keep_silence
    segments = segment_tracks(
        tracks,
        sample_rate=dataset.sample_rate,
        source_rate=dataset.sample_rate,
        segment_seconds=segment_seconds,
        overlap=overlap,
        short_clips=short_clips,
        drop_silence=drop_silence,
    )
    identity = dataset.identity()
    if segments.silent_segments:
        identity["silence"] = {
            "floor_dbfs": SILENCE_FLOOR_DBFS,
            "segments": segments.silent_segments,
            "dropped": segments.silence_dropped,
        }
    if segments.short_tracks:
        identity["short_clips"] = {"mode": short_clips, "tracks": segments.short_tracks}
    return PreparedData(
        dataset,
        identity,
        segments,
        int(segments.waveforms.shape[1]),
        segment_seconds,
        overlap,
        short_clips,
        drop_silence,
    )
