"""Cut tracks into fixed-length overlapping segments (the Koerich et al. 2020 protocol).

Models see segments; track-level predictions aggregate them (majority vote / sum rule), so
each segment keeps the index, label and fold of the track it came from.

Two choices apply to every dataset alike, never per loader: a track shorter than one window is
brought to one window by trailing zeros (``"pad"``) or by repeating it (``"repeat"``, what Pons &
Serra 2019 sec. 3.3 do for UrbanSound8K: "the signal is repeated to create inputs of the same
length"); and windows of digital silence (peak below :data:`SILENCE_FLOOR_DBFS`) can be dropped.
Recorded datasets hold such windows where clips were zero-padded to a fixed length (ESC-50,
UrbanSound8K); every one of them is labelled with its clip's class although it carries nothing
of it, and each casts the same vote in its track's majority vote.
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

#: A window whose peak is below this level (dB relative to full scale 1.0) is digital silence.
#: One step of 16-bit PCM, the format of ESC-50, UrbanSound8K and GTZAN, is 2**-15 = -90.3 dBFS,
#: so a 16-bit window under -90 dBFS holds only zeros and +-1 LSB (dither, resampling ringing):
#: no sample of a recorded sound, only the absence of one.
SILENCE_FLOOR_DBFS = -90.0
#: how a track shorter than one window becomes one: trailing zeros, or the track tiled and cut
SHORT_CLIPS = ("pad", "repeat")


@dataclass
class Segments:
    """Segments of a track list; ``track_index`` indexes ``track_ids`` / ``track_labels``."""

    waveforms: torch.Tensor  # (S, T) float32
    labels: torch.Tensor  # (S,) long
    track_index: torch.Tensor  # (S,) long
    folds: torch.Tensor  # (S,) long
    track_labels: torch.Tensor  # (num_tracks,) long
    track_ids: list[str]
    #: windows of digital silence found (dropped from ``waveforms`` when ``silence_dropped``)
    silent_segments: int = 0
    silence_dropped: bool = False
    #: tracks shorter than one window (brought to one by the ``short_clips`` mode)
    short_tracks: int = 0


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
    yields a single start at 0 (the caller lengthens it, :func:`lengthen`).
    """
    if num_samples <= segment_samples:
        return np.zeros(1, dtype=np.int64)
    # The epsilon absorbs float error in e.g. 551250 / 27562.5, which must count as exactly 20.
    count = 1 + math.floor((num_samples - segment_samples) / hop + 1e-9)
    starts = np.round(np.arange(count) * hop).astype(np.int64)
    return np.minimum(starts, num_samples - segment_samples)


def lengthen(audio: np.ndarray, num_samples: int, mode: str) -> np.ndarray:
    """``audio`` brought to at least ``num_samples`` by trailing zeros (``"pad"``) or by
    repeating it (``"repeat"``: tiled, then cut)."""
    if mode not in SHORT_CLIPS:
        raise BenchmarkError(f"short_clips must be one of {', '.join(SHORT_CLIPS)}, got {mode!r}")
    if audio.size >= num_samples:
        return audio
    if mode == "repeat":
        return np.tile(audio, -(-num_samples // audio.size))[:num_samples]
    return np.pad(audio, (0, num_samples - audio.size))


def silent(windows: np.ndarray) -> np.ndarray:
    """Which rows of ``windows`` ``(S, T)`` peak below :data:`SILENCE_FLOOR_DBFS`."""
    return np.abs(windows).max(axis=1) < 10.0 ** (SILENCE_FLOOR_DBFS / 20.0)


def check_folds_audible(tracks: Sequence[Track], segments: Segments) -> None:
    """Every fold keeps a window after silence is dropped: else its test set would be empty."""
    kept = set(segments.folds.unique().tolist())
    mute = sorted({t.fold for t in tracks} - kept)
    if mute:
        raise BenchmarkError(silent_fold_message(mute[0]))


def silent_fold_message(fold: int) -> str:
    return (
        f"every segment of fold {fold} is digital silence (peak below {SILENCE_FLOOR_DBFS:g} dBFS), "
        "so it has nothing to evaluate; set keep_silence = true in the suite to keep silent segments"
    )


def segment_length(segment_seconds: float, sample_rate: int) -> int:
    """Samples per segment: ``segment_seconds`` at ``sample_rate``, rounded, at least one."""
    segment_samples = round(segment_seconds * sample_rate)
    if segment_seconds <= 0 or segment_samples < 1:
        raise BenchmarkError(
            f"segment_seconds must be > 0 and at least one sample at {sample_rate} Hz, got {segment_seconds}"
        )
    return segment_samples


def _window(sample_rate: int, segment_seconds: float, overlap: float, source_rate: int) -> tuple[int, float]:
    """Window length in samples and (fractional) hop, checked."""
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
    return segment_samples, hop


def segment_tracks(
    tracks: Sequence[Track],
    *,
    sample_rate: int,
    segment_seconds: float,
    overlap: float,
    source_rate: int,
    short_clips: str = "pad",
    drop_silence: bool = False,
) -> Segments:
    """Resample tracks from ``source_rate`` to ``sample_rate`` and cut sliding windows.

    Windows are ``segment_seconds`` long with hop ``segment_seconds * (1 - overlap)``: 5 s at
    75 % overlap gives 21 segments of a 30 s track. Tracks shorter than one window are brought
    to one by ``short_clips`` (:func:`lengthen`); a trailing partial window is dropped. With
    ``drop_silence`` the windows of digital silence are left out (a track may keep none; the
    caller checks what is left: :func:`check_folds_audible`).
    """
    segment_samples, hop = _window(sample_rate, segment_seconds, overlap, source_rate)
    if not tracks:
        raise BenchmarkError("segment_tracks got no tracks")

    windows: list[np.ndarray] = []
    counts: list[int] = []
    offsets = np.arange(segment_samples)
    short = found = 0
    for track in tracks:
        audio = resample(track.audio, source_rate, sample_rate)
        short += audio.size < segment_samples
        audio = lengthen(audio, segment_samples, short_clips)
        starts = segment_starts(audio.size, segment_samples, hop)
        cut = audio[starts[:, None] + offsets]
        mute = silent(cut)
        found += int(mute.sum())
        windows.append(cut[~mute] if drop_silence else cut)
        counts.append(len(windows[-1]))

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
        silent_segments=found,
        silence_dropped=drop_silence and found > 0,
        short_tracks=short,
    )
