"""The DWT scalogram (Esmaeilpour et al., sec. 4.1.3): rows equal PyWavelets' ``pywt.cwt``, frames and
dB map as documented, bounded, differentiable, and bad settings refused in one line."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pywt
import torch

from benchmark.errors import BenchmarkError
from benchmark.registry import REPRESENTATIONS
from benchmark.representations import wavelet
from benchmark.representations.wavelet import DWT, WAVELET_PRECISION

WAVELETS = ("haar", "mexh", "morl", "cmor1.5-1.0")
PYWT_CONTINUOUS = ("mexh", "morl", "cmor1.5-1.0")


def noisy_tone(sample_rate: int, seconds: float = 0.25) -> np.ndarray:
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    noise = 0.1 * np.random.default_rng(0).standard_normal(t.size)
    return np.clip(noise + 0.5 * np.sin(2 * np.pi * 440 * t), -1, 1).astype(np.float32)


def framed_db(rep: DWT, coefficients: np.ndarray) -> np.ndarray:
    """The documented frame mean of |W|^2 and the fixed dB map, in numpy."""
    power = np.abs(coefficients) ** 2
    starts = range(0, power.shape[-1] - rep.frame_length + 1, rep.hop_length)
    framed = np.stack([power[:, s : s + rep.frame_length].mean(axis=-1) for s in starts], axis=-1)
    db = 10 * np.log10(np.maximum(framed, rep.amin))
    return np.clip((db - rep.floor_db) / rep.top_db, 0, 1)


def pywt_cwt_by_hand(data: np.ndarray, scales: np.ndarray, mother: object) -> np.ndarray:
    """pywt.cwt's ``method="conv"`` steps written out, so that they also run on the discrete Haar."""
    integral, grid = pywt.integrate_wavelet(mother, precision=WAVELET_PRECISION)
    integral = np.conj(integral)
    rows = []
    for scale in scales:
        step = grid[1] - grid[0]
        index = (np.arange(scale * (grid[-1] - grid[0]) + 1) / (scale * step)).astype(int)
        kernel = integral[index[index < integral.size]][::-1]
        coef = -np.sqrt(scale) * np.diff(np.convolve(data, kernel))
        d = (coef.size - data.size) / 2.0
        rows.append(coef[math.floor(d) : -math.ceil(d)] if d > 0 else coef)
    return np.array(rows)


@pytest.mark.parametrize("sample_rate", [8000, 16000])
@pytest.mark.parametrize("name", PYWT_CONTINUOUS)
def test_dwt_matches_pywavelets(name: str, sample_rate: int) -> None:
    """Coefficients within 1e-5 of pywt.cwt's peak (measured <= 4.3e-7), the normalized output within
    1e-6 of the same map applied to pywt's coefficients (measured <= 1.2e-7): float32 FFT
    convolution against pywt's float64 direct convolution."""
    audio = noisy_tone(sample_rate)
    rep = DWT(sample_rate, wavelet=name)
    reference, frequencies = pywt.cwt(audio.astype(np.float64), rep.scales, name, precision=WAVELET_PRECISION)
    np.testing.assert_allclose(frequencies * sample_rate, rep.frequencies, rtol=1e-9)
    coefficients = rep.cwt(torch.from_numpy(audio)[None])[0].numpy()
    assert np.abs(coefficients - reference).max() <= 1e-5 * np.abs(reference).max()
    expected = framed_db(rep, reference)
    np.testing.assert_allclose(rep(torch.from_numpy(audio)[None])[0, 0].numpy(), expected, rtol=0, atol=1e-6)


def test_haar_is_pywts_construction_on_the_discrete_haar() -> None:
    """pywt.cwt refuses discrete wavelets; its steps, checked against pywt.cwt on mexh to 1e-12,
    applied to pywt.Wavelet('haar') give the Haar rows within 1e-5 of the peak (measured 5.3e-7) and
    the normalized output within 1e-6 (measured 7.6e-8)."""
    audio = noisy_tone(16000).astype(np.float64)
    scales = np.geomspace(2, 200, 6)
    reference, _ = pywt.cwt(audio, scales, "mexh", precision=WAVELET_PRECISION)
    by_hand = pywt_cwt_by_hand(audio, scales, pywt.ContinuousWavelet("mexh"))
    np.testing.assert_allclose(by_hand, reference, rtol=0, atol=1e-12 * np.abs(reference).max())

    rep = DWT(16000, wavelet="haar")
    expected = pywt_cwt_by_hand(audio, rep.scales, pywt.Wavelet("haar"))
    waveform = torch.from_numpy(audio).float()[None]
    coefficients = rep.cwt(waveform)[0].numpy()
    assert np.abs(coefficients - expected).max() <= 1e-5 * np.abs(expected).max()
    np.testing.assert_allclose(rep(waveform)[0, 0].numpy(), framed_db(rep, expected), rtol=0, atol=1e-6)
    # At scale s the filter is a Haar wavelet s samples long: zero mean, unit energy, one sign change.
    filters = rep.filters.numpy()
    for row, scale in zip(filters, rep.scales, strict=True):
        if scale >= 16:
            taps = row[np.abs(row) > 1e-9]
            assert abs(taps.sum()) < 0.02 * np.abs(taps).sum()
            assert np.square(taps).sum() == pytest.approx(1.0, rel=0.1)
            assert (np.diff(np.sign(taps)) != 0).sum() == 1


def test_complex_morlet_rows_are_centred_on_their_frequencies() -> None:
    """cmor1.5-1.0 has central frequency 1 exactly, so a 1 kHz tone peaks in the row nearest 1 kHz."""
    rep = DWT(16000, wavelet="cmor1.5-1.0")
    t = torch.arange(8000) / 16000
    power = rep.frame_power(0.5 * torch.sin(2 * math.pi * 1000 * t)[None])[0].mean(-1)
    assert int(power.argmax()) == int(np.abs(np.log(rep.frequencies / 1000)).argmin())


@pytest.mark.parametrize(
    ("sample_rate", "frame_ms", "seconds", "frames"),
    # 1 + (T - frame) // hop with frame = frame_ms * sample_rate / 1000 and hop = frame / 2
    [(16000, 50, 5.0, 199), (8000, 50, 5.0, 199), (8000, 30, 5.0, 332), (16000, 70, 5.0, 141)],
)
def test_shapes_follow_the_frames(sample_rate: int, frame_ms: float, seconds: float, frames: int) -> None:
    rep = DWT(sample_rate, wavelet="mexh", frame_ms=frame_ms)
    assert rep.output_shape(int(sample_rate * seconds)) == (1, 64, frames)
    # no overlap: 50 ms frames tile one second 20 times
    assert DWT(sample_rate, wavelet="mexh", n_scales=32, overlap=0).output_shape(sample_rate) == (1, 32, 20)


@pytest.mark.parametrize("name", WAVELETS)
def test_outputs_stay_inside_bounds_and_gradients_are_finite(name: str) -> None:
    """Silence, full-scale square waves, constant +1 and full-scale noise stay in [0, 1]; input
    gradients are finite on silence and nonzero on audio."""
    n = 2000
    t = torch.arange(n) / 8000
    inputs = torch.stack(
        [
            torch.zeros(n),
            torch.where(torch.sin(2 * math.pi * 100 * t) >= 0, 1.0, -1.0),
            torch.where(torch.sin(2 * math.pi * 3000 * t) >= 0, 1.0, -1.0),
            torch.ones(n),
            torch.rand(n, generator=torch.Generator().manual_seed(0)) * 2 - 1,
            torch.from_numpy(noisy_tone(8000, n / 8000)),
        ]
    )
    rep = DWT(8000, wavelet=name)
    out = rep(inputs)
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert out[1:].max() > 0.5  # loud audio uses the upper half of the range
    for waveform in (inputs[:1], inputs[-1:]):
        waveform = waveform.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(rep(waveform).sum(), waveform)
        assert torch.isfinite(grad).all()
    assert grad.abs().sum() > 0


def test_chunked_rows_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    audio = torch.from_numpy(np.stack([noisy_tone(8000), -noisy_tone(8000)]))
    rep = DWT(8000, wavelet="cmor1.5-1.0", n_scales=16)
    whole = rep(audio)
    monkeypatch.setattr(wavelet, "CHUNK_ELEMENTS", 1)  # one row per chunk
    torch.testing.assert_close(rep(audio), whole, rtol=0, atol=1e-6)


def test_double_precision_input_matches_float32() -> None:
    audio = torch.from_numpy(noisy_tone(8000))[None]
    for name in ("mexh", "cmor1.5-1.0"):
        rep = DWT(8000, wavelet=name)
        torch.testing.assert_close(rep(audio.double()).float(), rep(audio), rtol=0, atol=1e-4)


def test_registry_and_config() -> None:
    assert REPRESENTATIONS.get("dwt") is DWT and DWT.name == "dwt"
    assert not DWT(8000).invertible
    config = DWT(8000, wavelet="haar", frame_ms=70).config()
    expected = {"name": "dwt", "sample_rate": 8000, "wavelet": "haar", "frame_ms": 70.0, "f_max": 4000.0}
    assert expected.items() <= config.items()
    assert config["frame_aggregate"] == "mean_power" and config["precision"] == WAVELET_PRECISION


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"wavelet": "db4"}, r"wavelet='db4' must be 'haar', 'mexh', 'morl' or 'cmorB-C'"),
        ({"wavelet": "cmor0-1"}, "wavelet='cmor0-1'"),
        ({"wavelet": "cmor1.5"}, "wavelet='cmor1.5'"),
        ({"n_scales": 0}, "n_scales=0"),
        ({"f_min": 500, "f_max": 400}, "f_min=500"),
        ({"f_max": 5000}, r"f_max=5000.*sample_rate / 2 = 4000"),
        ({"overlap": 1.0}, r"overlap=1.0 must be in \[0, 1\)"),
        ({"overlap": -0.1}, "overlap=-0.1"),
        ({"frame_ms": 10}, r"frame_ms=10 is shorter than one period of f_min=60.0 Hz \(16.7 ms\)"),
        ({"top_db": 0}, "top_db=0"),
    ],
)
def test_bad_settings_raise(settings: dict[str, object], message: str) -> None:
    with pytest.raises(BenchmarkError, match=message):
        DWT(8000, **settings)


def test_bad_inputs_raise() -> None:
    rep = DWT(8000, wavelet="mexh")
    with pytest.raises(BenchmarkError, match=r"399 samples are fewer than one frame_ms=50.0 frame \(400"):
        rep(torch.zeros(1, 399))
    with pytest.raises(BenchmarkError, match=r"\(B, T\)"):
        rep(torch.zeros(4000))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_cuda() -> None:
    audio = torch.from_numpy(noisy_tone(16000))[None]
    for name in WAVELETS:
        rep = DWT(16000, wavelet=name)
        expected = rep(audio)
        torch.testing.assert_close(rep.cuda()(audio.cuda()).cpu(), expected, rtol=0, atol=1e-4)
