"""Resized representations (Esmaeilpour et al., sec. 4.2: every spectrogram bilinearly resized to
128x128): the half-pixel bilinear rule, the base's bounds kept, and an inverse through the base."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from benchmark.errors import BenchmarkError
from benchmark.registry import REPRESENTATIONS
from benchmark.representations.resize import (
    DWTResized,
    MelResized,
    MFCCResized,
    Resized,
    STFTResized,
    interpolation_matrix,
)
from benchmark.representations.spectral import MFCC, STFT, Mel
from benchmark.representations.wavelet import DWT

TWINS: dict[str, tuple[type[Resized], type]] = {
    "stft_resized": (STFTResized, STFT),
    "mel_resized": (MelResized, Mel),
    "mfcc_resized": (MFCCResized, MFCC),
    "dwt_resized": (DWTResized, DWT),
}


def noisy_tone(sample_rate: int = 16000, seconds: float = 0.5) -> torch.Tensor:
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    noise = 0.1 * np.random.default_rng(0).standard_normal(t.size)
    return torch.from_numpy(np.clip(noise + 0.5 * np.sin(2 * np.pi * 440 * t), -1, 1).astype(np.float32))[
        None
    ]


def bilinear_by_hand(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Half-pixel centres: output i samples the input at (i + 0.5) * in / out - 0.5, clamped to the
    edge samples, linearly between the two neighbours, rows then columns."""

    def along(a: np.ndarray, size: int) -> np.ndarray:
        n = a.shape[0]
        source = np.clip((np.arange(size) + 0.5) * n / size - 0.5, 0, n - 1)
        low = np.floor(source).astype(int)
        high = np.minimum(low + 1, n - 1)
        frac = (source - low)[:, None]
        return (1 - frac) * a[low] + frac * a[high]

    return along(along(image, height).T, width).T


def test_registered_twins_take_name_and_bounds_from_their_base() -> None:
    for name, (twin, base) in TWINS.items():
        assert REPRESENTATIONS.get(name) is twin
        assert twin.name == name and twin.base_class is base and twin.bounds == base.bounds


@pytest.mark.parametrize("name", list(TWINS))
def test_output_is_the_base_output_resized_bilinearly(name: str) -> None:
    """Default 128x128 from every base; equal to the hand-written half-pixel rule within 1e-6 and to
    the separable matrix form R_rows @ X @ R_cols.T."""
    twin, _ = TWINS[name]
    rep = twin(16000)
    audio = noisy_tone()
    base_out = rep.base(audio)[0, 0].double()
    out = rep(audio)
    assert out.shape == (1, 1, 128, 128)
    expected = bilinear_by_hand(base_out.numpy(), 128, 128)
    np.testing.assert_allclose(out[0, 0].numpy(), expected, rtol=0, atol=1e-6)
    rows = interpolation_matrix(base_out.shape[0], 128)
    cols = interpolation_matrix(base_out.shape[1], 128)
    np.testing.assert_allclose((rows @ base_out @ cols.T).numpy(), expected, rtol=0, atol=1e-12)


def test_bounds_hold_and_gradients_flow() -> None:
    n = 8000
    t = torch.arange(n) / 16000
    inputs = torch.stack(
        [
            torch.zeros(n),
            torch.ones(n),
            torch.where(torch.sin(2 * math.pi * 100 * t) >= 0, 1.0, -1.0),
            noisy_tone(seconds=n / 16000)[0],
        ]
    )
    for rep in (STFTResized(16000, height=64, width=200), MFCCResized(16000, lifter=22), MelResized(16000)):
        out = rep(inputs)
        assert out.min() >= rep.bounds.lower and out.max() <= rep.bounds.upper, rep.config()
        waveform = inputs[-1:].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(rep(waveform).sum(), waveform)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_clean_round_trip_is_the_base_round_trip() -> None:
    """A clean input lifts to its own base features exactly, so the STFT twin inherits the STFT's
    original-phase SNR (Koerich et al. 2020 Table VII: > 90 dB; measured 129 dB)."""
    audio = noisy_tone()
    rep = STFTResized(16000)
    features = rep(audio)
    torch.testing.assert_close(rep.lift(features, audio), rep.base(audio), rtol=0, atol=0)
    rebuilt = rep.inverse(features, audio)
    assert rebuilt.shape == audio.shape
    snr = 20 * math.log10(rebuilt.norm() / (audio - rebuilt).norm())
    assert snr > 90


def test_lift_maps_a_perturbation_back_exactly_when_both_axes_shrink() -> None:
    """STFT hop 32 on 0.5 s at 16 kHz is 257x251, resized to 128x128: the minimum-norm lift of a
    perturbation resizes back to it (within 1e-5)."""
    audio = noisy_tone()
    rep = STFTResized(16000, hop_length=32)
    features = rep(audio)
    delta = torch.zeros_like(features)
    delta[0, 0, 40:44, 70:80] = 0.01
    lifted = rep.lift(features + delta, audio)
    torch.testing.assert_close(rep._resize(lifted), features + delta, rtol=0, atol=1e-5)


def test_non_invertible_bases_stay_non_invertible() -> None:
    assert STFTResized(16000).invertible and MelResized(16000).invertible
    assert not MFCCResized(16000).invertible and not DWTResized(16000).invertible
    with pytest.raises(BenchmarkError, match="'mfcc_resized' has no inverse"):
        MFCCResized(16000).inverse(torch.zeros(1, 1, 128, 128), torch.zeros(1, 4000))


def test_config_carries_the_base_settings() -> None:
    config = DWTResized(8000, wavelet="mexh", frame_ms=30, height=64, width=96).config()
    assert config["name"] == "dwt_resized" and config["base"] == "dwt"
    assert {"wavelet": "mexh", "frame_ms": 30.0, "height": 64, "width": 96}.items() <= config.items()
    assert DWTResized(8000, wavelet="mexh", height=64, width=96).output_shape(8000) == (1, 64, 96)


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"height": 0}, "stft_resized: height=0 must be >= 1"), ({"n_fft": 1}, "n_fft=1")],
)
def test_bad_settings_raise(settings: dict[str, int], message: str) -> None:
    with pytest.raises(BenchmarkError, match=message):
        STFTResized(16000, **settings)
