"""Feature throughput of each representation on a batch of 64 one-second clips at 16 kHz: the torch
module (one batched call) against its reference library called the fastest way a user would
(librosa's STFT / Mel / MFCC on the whole (64, T) batch at once; ``pywt.cwt`` on the whole batch
along the last axis, FFT method, for the DWT), side by side in one pytest-benchmark group per
representation; librosa looped per clip is timed too, as a second, labelled reference. Every side
runs with one thread in every pool (torch intra-op, BLAS / OpenMP: the ``one_thread`` fixture), so
no side gets threads the other lacks.

Run: ``python -m pytest tests/test_bench_representations.py -m benchmark --benchmark-enable -s``.
Both sides compute the same output up to the fixed normalization (librosa's dB of the same power;
pywt's coefficients framed and put in dB by numpy), the settings of the quick suite and of
Esmaeilpour et al. sec. 4.1 (n_fft 512, hop 256, 64 mel bands, 20 MFCCs; complex Morlet, 64 scales,
50 ms frames at 50 % overlap). The report test prints the torch / reference time ratios.
"""

from __future__ import annotations

from collections.abc import Callable

import librosa
import numpy as np
import pytest
import pywt
import torch
from numpy.lib.stride_tricks import sliding_window_view

from benchmark.representations.base import Representation
from benchmark.representations.spectral import MFCC, STFT, Mel
from benchmark.representations.wavelet import DWT, WAVELET_PRECISION

pytestmark = pytest.mark.benchmark

SAMPLE_RATE = 16000
BATCH = 64
N_FFT, HOP, N_MELS, N_MFCC = 512, 256, 64, 20
ROUNDS = 10

_STATS: dict[tuple[str, str], tuple[float, float]] = {}  # (representation, side) -> (mean, min) s


@pytest.fixture(scope="module")
def clips() -> np.ndarray:
    """64 one-second clips: a random tone (100 Hz - 4 kHz) in white noise, float32 in [-1, 1]."""
    rng = np.random.default_rng(0)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    freqs = rng.uniform(100, 4000, size=(BATCH, 1))
    audio = 0.5 * np.sin(2 * np.pi * freqs * t) + 0.1 * rng.standard_normal((BATCH, SAMPLE_RATE))
    return np.clip(audio, -1, 1).astype(np.float32)


def _torch_side(rep: Representation) -> Callable[[np.ndarray], torch.Tensor]:
    def run(audio: np.ndarray) -> torch.Tensor:
        with torch.no_grad():
            return rep(torch.from_numpy(audio))

    return run


def _librosa_stft(audio: np.ndarray) -> np.ndarray:
    return librosa.amplitude_to_db(
        np.abs(librosa.stft(audio, n_fft=N_FFT, hop_length=HOP)), ref=1.0, top_db=None
    )


def _librosa_mel(audio: np.ndarray) -> np.ndarray:
    power = librosa.feature.melspectrogram(
        y=audio, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS
    )
    return librosa.power_to_db(power, ref=1.0, top_db=None)


def _librosa_mfcc(audio: np.ndarray) -> np.ndarray:
    return librosa.feature.mfcc(
        y=audio, sr=SAMPLE_RATE, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS
    )


def _looped(function: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``function`` called clip by clip, the way per-file feature scripts call librosa."""

    def run(audio: np.ndarray) -> np.ndarray:
        return np.stack([function(y) for y in audio])

    return run


def _pywt_dwt(rep: DWT) -> Callable[[np.ndarray], np.ndarray]:
    def run(audio: np.ndarray) -> np.ndarray:
        coefficients, _ = pywt.cwt(
            audio, rep.scales, rep.wavelet, method="fft", precision=WAVELET_PRECISION, axis=-1
        )  # (scales, batch, samples)
        power = np.abs(coefficients) ** 2
        frames = sliding_window_view(power, rep.frame_length, axis=-1)[..., :: rep.hop_length, :]
        return 10 * np.log10(np.maximum(frames.mean(axis=-1), rep.amin))

    return run


LIBROSA = {"stft": _librosa_stft, "mel": _librosa_mel, "mfcc": _librosa_mfcc}
MAKE: dict[str, Callable[[], Representation]] = {
    "stft": lambda: STFT(SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP),
    "mel": lambda: Mel(SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS),
    "mfcc": lambda: MFCC(SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, n_mfcc=N_MFCC),
    "dwt": lambda: DWT(SAMPLE_RATE),
}


def _sides(name: str, rep: Representation) -> dict[str, Callable[[np.ndarray], object]]:
    """Every way ``name`` is timed: torch, its reference on the whole batch, and (librosa) looped."""
    if name not in LIBROSA:
        return {"torch": _torch_side(rep), "reference": _pywt_dwt(rep)}
    return {"torch": _torch_side(rep), "reference": LIBROSA[name], "reference looped": _looped(LIBROSA[name])}


CASES = [(name, side) for name in MAKE for side in _sides(name, MAKE[name]())]


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize(("name", "side"), CASES)
def test_feature_throughput(benchmark, clips: np.ndarray, name: str, side: str) -> None:
    rep = MAKE[name]()
    function = _sides(name, rep)[side]
    benchmark.group = f"{name}: 64 x 1 s at 16 kHz"
    benchmark.extra_info["side"] = side
    output = benchmark.pedantic(function, args=(clips,), rounds=ROUNDS, iterations=1, warmup_rounds=2)
    frames = (
        1 + SAMPLE_RATE // HOP if name != "dwt" else 1 + (SAMPLE_RATE - rep.frame_length) // rep.hop_length
    )
    batch_axis = 1 if name == "dwt" and side != "torch" else 0  # pywt puts the scales first
    assert output.shape[batch_axis] == BATCH and output.shape[-1] == frames
    if benchmark.stats is not None:
        _STATS[(name, side)] = (benchmark.stats.stats.mean, benchmark.stats.stats.min)


def test_report_ratios() -> None:
    """torch time / reference time per representation and reference (< 1: torch is faster), from
    the means and from the minima. torch is expected faster than librosa for STFT, Mel and MFCC,
    batched or looped; that is asserted on the minima, the figure least distorted by other
    processes on a shared machine."""
    lines = []
    for (name, side), (ref_mean, ref_min) in _STATS.items():
        if side == "torch" or (name, "torch") not in _STATS:
            continue
        torch_mean, torch_min = _STATS[(name, "torch")]
        lines.append(
            f"{name:5s} torch mean {torch_mean * 1e3:7.1f} ms min {torch_min * 1e3:7.1f} ms | {side:16s} "
            f"mean {ref_mean * 1e3:7.1f} ms min {ref_min * 1e3:7.1f} ms | ratio mean "
            f"{torch_mean / ref_mean:.3f} min {torch_min / ref_min:.3f}"
        )
        if name in LIBROSA:
            assert torch_min < ref_min, (name, side)
    print("\n" + "\n".join(lines))
