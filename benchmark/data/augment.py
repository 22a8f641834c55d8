"""Pitch-shift augmentation at Esmaeilpour et al.'s scales 0.75, 0.9, 1.15 and 1.5 (sec. 4).

"We apply a pitch-shifting augmentation approach with scales 0.75, 0.9, 1.15, and 1.5 [...]
This data augmentation operation generates four extra audio samples for every original audio
sample." A scale multiplies every frequency and keeps the duration: the clip is time-stretched
by the factor with a phase vocoder (which keeps the pitch), then resampled back to its length
(which scales the pitch). This is the algorithm of ``librosa.effects.pitch_shift``, which the
tests use as the reference, with two differences: the factor is applied as an exact ratio
``p / q`` by polyphase resampling (``scipy.signal.resample_poly``, where librosa converts to
semitones and resamples with soxr), and the phase vocoder's window follows the sample rate
(librosa's 2048 samples at 22.05 kHz, about 93 ms, rounded to a power of two). Everything is
deterministic numpy; the result is clipped to [-1, 1], the track contract's range.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

import librosa
import numpy as np
from scipy.signal import resample_poly

from benchmark.data.base import Track
from benchmark.errors import BenchmarkError

#: Esmaeilpour et al., sec. 4 (after their ref. [21])
PITCH_FACTORS: tuple[float, ...] = (0.75, 0.9, 1.15, 1.5)
#: librosa's phase-vocoder window (2048 samples) at its default 22050 Hz
VOCODER_WINDOW_SECONDS = 2048 / 22050
#: two octaves either way
FACTOR_RANGE = (0.25, 4.0)
#: largest q of the ratio p / q a factor is rounded to: polyphase filters grow with p and q
MAX_DENOMINATOR = 1000


def vocoder_window(sample_rate: int) -> int:
    """The power of two nearest (in log scale) to :data:`VOCODER_WINDOW_SECONDS` at ``sample_rate``:
    2048 at 16-24 kHz (librosa's default), 1024 at 8 kHz."""
    return 1 << round(math.log2(VOCODER_WINDOW_SECONDS * sample_rate))


def phase_vocoder(spectrum: np.ndarray, rate: float, hop_length: int) -> np.ndarray:
    """Flanagan & Golden's phase vocoder, vectorized (librosa.phase_vocoder's rule): frames are read
    at ``rate`` steps, magnitudes interpolated linearly, phases advanced by each bin's measured
    instantaneous frequency, so the result plays ``1 / rate`` times as long at the same pitch."""
    bins, frames = spectrum.shape
    steps = np.arange(0, frames, rate)
    left = steps.astype(int)
    padded = np.pad(spectrum, ((0, 0), (0, 2)))
    before, after = padded[:, left], padded[:, left + 1]
    alpha = steps - left
    magnitude = (1 - alpha) * np.abs(before) + alpha * np.abs(after)
    # phase a bin advances in one hop at its centre frequency, 2 pi k hop / n_fft
    expected = np.linspace(0, np.pi * hop_length, bins)[:, None]
    deviation = np.angle(after) - np.angle(before) - expected
    deviation -= 2 * np.pi * np.round(deviation / (2 * np.pi))
    increments = np.cumsum(expected + deviation, axis=1)
    phase = np.angle(spectrum[:, :1]) + np.concatenate([np.zeros((bins, 1)), increments[:, :-1]], axis=1)
    return magnitude * np.exp(1j * phase)


def pitch_shift(audio: np.ndarray, sample_rate: int, factor: float) -> np.ndarray:
    """``audio`` with every frequency multiplied by ``factor``, same length, float32 in [-1, 1].

    ``factor`` is applied as the nearest ratio ``p / q`` with ``q <= 1000`` (exact for the seed's
    scales: 3/4, 9/10, 23/20, 3/2).
    """
    low, high = FACTOR_RANGE
    if not low <= factor <= high:
        raise BenchmarkError(
            f"pitch shift factor={factor} must be in [{low}, {high}] (two octaves either way)"
        )
    if sample_rate <= 0:
        raise BenchmarkError(f"pitch shift sample_rate={sample_rate} must be a positive number of Hz")
    if audio.ndim != 1:
        raise BenchmarkError(f"pitch shift expects mono audio of shape (T,), got {audio.shape}")
    ratio = Fraction(factor).limit_denominator(MAX_DENOMINATOR)
    n_fft = vocoder_window(sample_rate)
    hop_length = n_fft // 4
    signal = audio.astype(np.float64)
    spectrum = librosa.stft(signal, n_fft=n_fft, hop_length=hop_length)
    stretched_length = round(signal.size * ratio)
    stretched = librosa.istft(
        phase_vocoder(spectrum, float(1 / ratio), hop_length), hop_length=hop_length, length=stretched_length
    )
    shifted = librosa.util.fix_length(
        resample_poly(stretched, ratio.denominator, ratio.numerator), size=signal.size
    )
    return np.clip(shifted, -1.0, 1.0).astype(np.float32)


def augment_tracks(
    tracks: Iterable[Track], sample_rate: int, factors: Sequence[float] = PITCH_FACTORS
) -> list[Track]:
    """One pitch-shifted copy of every track per factor, track by track in ``factors`` order; the
    originals are not repeated. Copies keep label and fold (so no fold leaks into another) and
    are named ``"<track_id>@pitch<factor>"``, e.g. ``"dog-03@pitch0.75"``."""
    return [
        Track(
            f"{track.track_id}@pitch{factor:g}",
            track.label,
            track.fold,
            pitch_shift(track.audio, sample_rate, factor),
        )
        for track in tracks
        for factor in factors
    ]
