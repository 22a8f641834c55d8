"""Cut tracks into fixed-length overlapping segments (the Koerich et al. 2020 protocol).

Models see segments; track-level predictions aggregate them (majority vote / sum rule), so
each segment keeps the index, label and fold of the track it came from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.signal import resample_poly

from benchmark.data.base import Track
from benchmark.errors import BenchmarkError


@dataclass
class Segments:
    """Segments of a track list; ``track_index`` indexes ``track_ids`` / ``track_labels``."""

    waveforms: torch.Tensor  # (S, T) float32
    labels: torch.Tensor  # (S,) long
    track_index: torch.Tensor  # (S,) long
    folds: torch.Tensor  # (S,) long
    track_labels: torch.Tensor  # (num_tracks,) long
    track_ids: list[str]


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Polyphase (Kaiser-windowed sinc) resampling, clipped back to [-1, 1], as float32."""
    if orig_sr <= 0 or target_sr <= 0:
        raise BenchmarkError(f"sample rates must be positive integers, got {orig_sr} -> {target_sr}")
    if orig_sr == target_sr:
        return np.asarray(audio, dtype=np.float32)
    g = math.gcd(orig_sr, target_sr)
    out = resample_poly(np.asarray(audio, dtype=np.float64), target_sr // g, orig_sr // g)
    # The filter's ringing can overshoot a full-scale input; representations require [-1, 1].
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def segment_starts(num_samples: int, segment_samples: int, hop: float) -> np.ndarray:
    """Start offsets of every whole window; the fractional hop is kept exact (no drift).

    A remainder shorter than a window at the end is dropped; a track shorter than one window
    yields a single start at 0 (the caller zero-pads it).
    """
    if num_samples <= segment_samples:
        return np.zeros(1, dtype=np.int64)
    # The epsilon absorbs float error in e.g. 551250 / 27562.5, which must count as exactly 20.
    count = 1 + math.floor((num_samples - segment_samples) / hop + 1e-9)
    starts = np.round(np.arange(count) * hop).astype(np.int64)
    return np.minimum(starts, num_samples - segment_samples)


def segment_length(segment_seconds: float, sample_rate: int) -> int:
    """Samples per segment: ``segment_seconds`` at ``sample_rate``, rounded, at least one."""
    segment_samples = round(segment_seconds * sample_rate)
    if segment_seconds <= 0 or segment_samples < 1:
        raise BenchmarkError(
            f"segment_seconds must be > 0 and at least one sample at {sample_rate} Hz, got {segment_seconds}"
        )
    return segment_samples


def segment_tracks(
    tracks: Sequence[Track],
    *,
    sample_rate: int,
    segment_seconds: float,
    overlap: float,
    source_rate: int,
) -> Segments:
    """Resample tracks from ``source_rate`` to ``sample_rate`` and cut sliding windows.

    Windows are ``segment_seconds`` long with hop ``segment_seconds * (1 - overlap)``: 5 s at
    75 % overlap gives 21 segments of a 30 s track. Tracks shorter than one window are
    zero-padded at the end to one window; a trailing partial window is dropped.
    """
    if not 0.0 <= overlap < 1.0:
        raise BenchmarkError(f"overlap must be in [0, 1), got {overlap}")
    if sample_rate <= 0 or source_rate <= 0:
        raise BenchmarkError(
            f"sample rates must be positive, got sample_rate={sample_rate}, source_rate={source_rate}"
        )
    segment_samples = segment_length(segment_seconds, sample_rate)
    hop = segment_samples * (1.0 - overlap)
    if hop < 1.0:
        raise BenchmarkError(
            f"hop segment_seconds * (1 - overlap) = {hop:g} samples is below one sample; lower overlap"
        )
    if not tracks:
        raise BenchmarkError("segment_tracks got no tracks")

    windows: list[np.ndarray] = []
    counts: list[int] = []
    offsets = np.arange(segment_samples)
    for track in tracks:
        audio = resample(track.audio, source_rate, sample_rate)
        if audio.size < segment_samples:
            audio = np.pad(audio, (0, segment_samples - audio.size))
        starts = segment_starts(audio.size, segment_samples, hop)
        windows.append(audio[starts[:, None] + offsets])
        counts.append(len(starts))

    per_track = torch.tensor(counts)
    track_labels = torch.tensor([t.label for t in tracks], dtype=torch.long)
    track_folds = torch.tensor([t.fold for t in tracks], dtype=torch.long)
    track_index = torch.repeat_interleave(torch.arange(len(tracks)), per_track)
    return Segments(
        waveforms=torch.from_numpy(np.concatenate(windows).astype(np.float32, copy=False)),
        labels=track_labels[track_index],
        track_index=track_index,
        folds=track_folds[track_index],
        track_labels=track_labels,
        track_ids=[t.track_id for t in tracks],
    )
