"""The mel filterbank and DCT basis match librosa / scipy, and torchaudio (where installed) to the bit."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import scipy.fft
import torch

from benchmark.representations.filterbanks import dct_basis, hz_to_mel, mel_filterbank, mel_to_hz
from benchmark.representations.spectral import MFCC, Mel

#: (sample rate, n_fft, n_mels, f_min, f_max): the suites' settings and a band-limited bank
BANKS = [
    (16000, 512, 64, 0.0, 8000.0),
    (22050, 512, 64, 0.0, 11025.0),
    (22050, 1024, 128, 0.0, 11025.0),
    (44100, 2048, 96, 50.0, 14000.0),
    (8000, 256, 40, 300.0, 3400.0),
]


def test_slaney_scale_hand_values() -> None:
    """Linear below 1 kHz (15 mels at 1 kHz, 200/3 Hz per mel), 27 mels per factor 6.4 above."""
    assert hz_to_mel(0.0) == 0.0
    assert hz_to_mel(500.0) == pytest.approx(7.5, abs=1e-12)
    assert hz_to_mel(1000.0) == pytest.approx(15.0, abs=1e-12)
    assert hz_to_mel(6400.0) == pytest.approx(42.0, abs=1e-12)
    hz = mel_to_hz(torch.tensor([0.0, 7.5, 15.0, 42.0], dtype=torch.float64))
    assert torch.allclose(hz, torch.tensor([0.0, 500.0, 1000.0, 6400.0], dtype=torch.float64))


@pytest.mark.parametrize(("sample_rate", "n_fft", "n_mels", "f_min", "f_max"), BANKS)
def test_mel_filterbank_matches_librosa(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float
) -> None:
    """librosa computes in float64, we in float32: within 1e-5 of the largest weight."""
    reference = librosa.filters.mel(
        sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=f_min, fmax=f_max, htk=False, norm="slaney",
        dtype=np.float64,
    ).T
    bank = mel_filterbank(n_fft // 2 + 1, f_min, f_max, n_mels, sample_rate)
    assert bank.shape == (n_fft // 2 + 1, n_mels) and bank.dtype == torch.float32
    np.testing.assert_allclose(bank.numpy(), reference, rtol=0, atol=1e-5 * reference.max())


@pytest.mark.parametrize("norm", ["ortho", None])
def test_dct_basis_matches_scipy(norm: str | None) -> None:
    """x @ basis = the first n_mfcc coefficients of scipy's DCT-II (librosa.feature.mfcc's DCT)."""
    x = np.random.default_rng(0).normal(size=(5, 64))
    reference = scipy.fft.dct(x, type=2, norm=norm, axis=-1)[:, :20]
    got = torch.from_numpy(x) @ dct_basis(20, 64, norm).double()
    np.testing.assert_allclose(got.numpy(), reference, rtol=0, atol=1e-5 * np.abs(reference).max())


def test_dct_ortho_basis_is_orthonormal() -> None:
    """Float32 cosines: B^T B within 1e-5 of the identity (measured 1.4e-6)."""
    basis = dct_basis(32, 32, "ortho").double()
    assert torch.allclose(basis.T @ basis, torch.eye(32, dtype=torch.float64), rtol=0, atol=1e-5)


@pytest.mark.parametrize(("sample_rate", "n_fft", "n_mels", "f_min", "f_max"), BANKS)
def test_mel_filterbank_equals_torchaudio(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float
) -> None:
    """The committed boards were made with torchaudio's bank: ours must not move a feature (within
    1e-6 relative; torchaudio 2.11 gives the identical bits at these even sample rates)."""
    functional = pytest.importorskip("torchaudio.functional")
    reference = functional.melscale_fbanks(
        n_fft // 2 + 1, f_min, f_max, n_mels, sample_rate, norm="slaney", mel_scale="slaney"
    )
    bank = mel_filterbank(n_fft // 2 + 1, f_min, f_max, n_mels, sample_rate)
    assert torch.allclose(bank, reference, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("norm", ["ortho", None])
def test_dct_basis_equals_torchaudio(norm: str | None) -> None:
    functional = pytest.importorskip("torchaudio.functional")
    assert torch.allclose(dct_basis(20, 64, norm), functional.create_dct(20, 64, norm), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("sample_rate", [16000, 22050])
def test_mel_and_mfcc_features_equal_torchaudio_built(sample_rate: int) -> None:
    """Mel and MFCC outputs with our buffers vs with torchaudio's: within 1e-6 (float rounding)."""
    functional = pytest.importorskip("torchaudio.functional")
    audio = torch.from_numpy(np.random.default_rng(1).uniform(-0.5, 0.5, (2, sample_rate)).astype(np.float32))
    mel, mfcc = Mel(sample_rate), MFCC(sample_rate)
    expected_mel = mel(audio)
    mel.filterbank = functional.melscale_fbanks(
        257, 0.0, sample_rate / 2, 64, sample_rate, norm="slaney", mel_scale="slaney"
    )
    assert torch.allclose(mel(audio), expected_mel, rtol=0, atol=1e-6)
    expected_mfcc = mfcc(audio)
    basis = functional.create_dct(20, 64, "ortho").double()
    mfcc.filterbank, mfcc.basis = mel.filterbank, (basis / mfcc.scale).float()
    assert torch.allclose(mfcc(audio), expected_mfcc, rtol=0, atol=1e-6)
