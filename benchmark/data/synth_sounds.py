"""The ten sound generators of synth10, one per class: each draws its parameters from ``rng``.

Any change to what a generator returns changes the dataset's bytes: bump
:attr:`benchmark.data.synth10.Synth10.version` with it (see that module's docstring).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

SoundGenerator = Callable[[np.random.Generator, int, int], np.ndarray]

TWO_PI = 2.0 * np.pi


def _phase(freq: np.ndarray | float, n: int, sr: int) -> np.ndarray:
    """Running phase of a (possibly time-varying) frequency in Hz."""
    return TWO_PI * np.cumsum(np.broadcast_to(freq, (n,))) / sr


def _harmonics(phase: np.ndarray, rolloff: float, count: int) -> np.ndarray:
    """``sum_k rolloff**k sin((k + 1) phase)`` by powers of ``exp(i phase)``: one exp, not ``count`` sines."""
    z = np.exp(1j * phase)
    zk, out = z.copy(), z.imag.copy()
    for k in range(1, count):
        zk *= z
        out += rolloff**k * zk.imag
    return out


def _onsets(rng: np.random.Generator, n: int, sr: int, gap: tuple[float, float]) -> np.ndarray:
    """Event onsets with random gaps, starting within the first gap so no second is silent."""
    times: list[int] = [int(rng.uniform(0.0, gap[0]) * sr)]
    while True:
        nxt = times[-1] + int(rng.uniform(*gap) * sr)
        if nxt >= n:
            return np.array(times)
        times.append(nxt)


def _place(out: np.ndarray, start: int, event: np.ndarray) -> None:
    """Add ``event`` into ``out`` at ``start``, truncated at the end."""
    stop = min(out.size, start + event.size)
    out[start:stop] += event[: stop - start]


def _envelope(n: int, sr: int, attack: float, release: float) -> np.ndarray:
    """Linear attack / release ramps (seconds) on a sustained sound."""
    t = np.arange(n) / sr
    return np.minimum(1.0, np.minimum(t / attack, (n / sr - t) / release)).clip(0.0, 1.0)


def vibrato_tone(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """A sustained harmonic tone whose pitch wobbles at 4-8 Hz; 1-3 notes."""
    out = np.zeros(n)
    bounds = np.linspace(0, n, int(rng.integers(1, 4)) + 1).astype(int)
    for a, b in itertools.pairwise(bounds):
        m = b - a
        f0 = rng.uniform(200.0, 900.0)
        rate, depth = rng.uniform(4.0, 8.0), rng.uniform(0.01, 0.04)
        t = np.arange(m) / sr
        phase = _phase(f0 * (1.0 + depth * np.sin(TWO_PI * rate * t + rng.uniform(0, TWO_PI))), m, sr)
        out[a:b] = _harmonics(phase, rng.uniform(0.3, 0.7), 4) * _envelope(m, sr, 0.02, 0.05)
    return out


def plucked_string(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Karplus-Strong plucks: a noise burst recirculated through an averaging delay line.

    Each pluck is damped 30 ms after the next one starts (one string, re-plucked), which also
    bounds the filter's cost.
    """
    out = np.zeros(n)
    onsets = _onsets(rng, n, sr, (0.25, 0.7))
    fade = int(0.03 * sr)
    for k, start in enumerate(onsets):
        stop = min(n, onsets[k + 1] + fade) if k + 1 < onsets.size else n
        period = int(sr / rng.uniform(110.0, 660.0))
        gain = rng.uniform(0.985, 0.998)
        excitation = np.zeros(stop - start)
        excitation[:period] = rng.uniform(-1.0, 1.0, period)
        # y[k] = x[k] + g/2 (y[k-P] + y[k-P-1]): the loop filter of Karplus & Strong (1983).
        denom = np.zeros(period + 2)
        denom[0], denom[period], denom[period + 1] = 1.0, -gain / 2, -gain / 2
        note = rng.uniform(0.5, 1.0) * lfilter([1.0], denom, excitation)
        if k + 1 < onsets.size:
            note[-fade:] *= np.linspace(1.0, 0.0, fade)
        out[start:stop] += note
    return out


def drum_hits(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Kicks (pitch-dropping sine) and snares (noise + body tone) on an eighth-note grid."""
    out = np.zeros(n)
    step = 30.0 / rng.uniform(90.0, 180.0)
    kick_f, snare_f = rng.uniform(45.0, 70.0), rng.uniform(160.0, 260.0)
    t = np.arange(int(0.4 * sr)) / sr
    kick = np.sin(_phase(kick_f + rng.uniform(80.0, 150.0) * np.exp(-t / 0.03), t.size, sr))
    kick *= np.exp(-t / rng.uniform(0.08, 0.2))
    for k in range(int(n / (step * sr)) + 1):
        start = int(k * step * sr)
        roll = rng.random()
        if k % 4 == 0 or roll < 0.4:  # a kick on every downbeat, so no clip is silent
            _place(out, start, kick)
        elif roll < 0.75:
            noise = rng.standard_normal(t.size) * 0.6 + np.sin(TWO_PI * snare_f * t)
            _place(out, start, 0.7 * noise * np.exp(-t / rng.uniform(0.03, 0.09)))
    return out


def click_train(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Short damped clicks at 5-40 per second with timing jitter."""
    rate = rng.uniform(5.0, 40.0)
    times = np.arange(0.0, n / sr, 1.0 / rate)
    times += rng.normal(0.0, rng.uniform(0.0, 0.15) / rate, times.size)
    impulses = np.zeros(n)
    idx = np.clip((times * sr).astype(int), 0, n - 1)
    np.add.at(impulses, idx, rng.uniform(0.5, 1.0, idx.size) * rng.choice([-1.0, 1.0], idx.size))
    t = np.arange(int(0.004 * sr)) / sr
    click = np.sin(TWO_PI * rng.uniform(1500.0, min(5000.0, 0.4 * sr)) * t) * np.exp(-t / 0.0007)
    return np.convolve(impulses, click)[:n]


def chirp(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Repeated exponential sine sweeps, up or down, over 0.3-1.2 s each."""
    out = np.zeros(n)
    top = min(6000.0, 0.4 * sr)
    start = 0
    while start < n:
        m = int(rng.uniform(0.3, 1.2) * sr)
        f_a, f_b = rng.uniform(150.0, 600.0), rng.uniform(1500.0, top)
        if rng.random() < 0.5:
            f_a, f_b = f_b, f_a
        freq = f_a * (f_b / f_a) ** (np.arange(m) / m)
        _place(out, start, np.sin(_phase(freq, m, sr)) * _envelope(m, sr, 0.01, 0.02))
        start += m + int(rng.uniform(0.0, 0.15) * sr)
    return out


def noise_burst(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Band-pass noise bursts of 50-400 ms with random band and gaps."""
    out = np.zeros(n)
    for start in _onsets(rng, n, sr, (0.15, 0.6)):
        m = int(rng.uniform(0.05, 0.4) * sr)
        centre = rng.uniform(300.0, min(5000.0, 0.3 * sr))
        sos = butter(2, [centre / 1.5, centre * 1.5], btype="bandpass", fs=sr, output="sos")
        burst = sosfilt(sos, rng.standard_normal(m)) * _envelope(m, sr, 0.005, 0.02)
        _place(out, start, burst / (np.abs(burst).max() + 1e-12))
    return out


def engine_hum(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """A low harmonic series (30-110 Hz) with slow pitch drift and 2-15 Hz amplitude pulsing."""
    t = np.arange(n) / sr
    f0 = rng.uniform(30.0, 110.0) * (
        1.0 + rng.uniform(0.0, 0.05) * np.sin(TWO_PI * rng.uniform(0.1, 0.5) * t)
    )
    hum = _harmonics(_phase(f0, n, sr) + rng.uniform(0, TWO_PI), rng.uniform(0.6, 0.85), 12)
    depth = rng.uniform(0.3, 0.8)
    return hum * (1.0 - depth + depth * 0.5 * (1.0 + np.sin(TWO_PI * rng.uniform(2.0, 15.0) * t)))


# Partial ratios of a minor-third church bell: hum, prime, tierce, quint, nominal and above.
BELL_PARTIALS = np.array([0.5, 1.0, 1.2, 1.5, 2.0, 2.5, 2.67, 3.0, 4.0])


def bell(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Strikes of inharmonic partials, each decaying exponentially (higher ones faster)."""
    out = np.zeros(n)
    for start in _onsets(rng, n, sr, (0.6, 1.4)):
        f0 = rng.uniform(300.0, 1000.0)
        ratios = BELL_PARTIALS * rng.uniform(0.98, 1.02, BELL_PARTIALS.size)
        ratios = ratios[ratios * f0 < 0.45 * sr]
        decays = rng.uniform(0.4, 1.2) / (1.0 + ratios)
        amps = rng.uniform(0.3, 1.0, ratios.size)
        for ratio, decay, amp in zip(ratios, decays, amps, strict=True):
            # Each partial is cut after 5 time constants (-43 dB) instead of computed to the end.
            t = np.arange(min(n - start, int(5.0 * decay * sr))) / sr
            _place(out, start, amp * np.sin(TWO_PI * f0 * ratio * t) * np.exp(-t / decay))
    return out


# Semitone offsets of major, minor, diminished, dominant-seventh and major-seventh chords.
CHORDS = ((0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 7, 10), (0, 4, 7, 11))


def chord(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Steady 3-4 note harmonic chords, changing every 1-2 s, without vibrato."""
    out = np.zeros(n)
    start = 0
    while start < n:
        m = min(n - start, int(rng.uniform(1.0, 2.0) * sr))
        root = 110.0 * 2.0 ** rng.uniform(0.0, 2.0)
        rolloff = rng.uniform(0.3, 0.6)
        tones = np.zeros(m)
        for semitones in CHORDS[int(rng.integers(len(CHORDS)))]:
            phase = _phase(root * 2.0 ** (semitones / 12.0), m, sr) + rng.uniform(0, TWO_PI)
            tones += _harmonics(phase, rolloff, 5)
        out[start : start + m] = tones * _envelope(m, sr, 0.03, 0.05)
        start += m
    return out


def birdsong(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Fast 30-150 ms syllables of frequency-modulated whistles at 2-7 kHz."""
    out = np.zeros(n)
    top = min(7000.0, 0.4 * sr)
    for start in _onsets(rng, n, sr, (0.08, 0.35)):
        m = int(rng.uniform(0.03, 0.15) * sr)
        t = np.arange(m) / sr
        centre = rng.uniform(2000.0, top)
        sweep = rng.uniform(-0.3, 0.3) * centre * (t / t[-1] - 0.5)
        fm = rng.uniform(0.05, 0.2) * centre * np.sin(TWO_PI * rng.uniform(20.0, 80.0) * t)
        freq = np.clip(centre + sweep + fm, 500.0, 0.45 * sr)
        _place(out, start, np.sin(_phase(freq, m, sr)) * np.hanning(m))
    return out


GENERATORS: dict[str, SoundGenerator] = {
    "vibrato_tone": vibrato_tone,
    "plucked_string": plucked_string,
    "drum_hits": drum_hits,
    "click_train": click_train,
    "chirp": chirp,
    "noise_burst": noise_burst,
    "engine_hum": engine_hum,
    "bell": bell,
    "chord": chord,
    "birdsong": birdsong,
}
