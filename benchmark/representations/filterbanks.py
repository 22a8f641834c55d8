"""Slaney mel filterbank and DCT-II basis as torch tensors (librosa's definitions, no torchaudio).

Both are computed in float32 with the same operations, in the same order, as
``torchaudio.functional.melscale_fbanks(norm="slaney", mel_scale="slaney")`` and
``torchaudio.functional.create_dct``, which the committed boards were produced with: at every
even sample rate the features stay identical to the last bit (tests/test_filterbanks.py), while
torchaudio, and the torch pin it brings, is no longer needed. The formulas are librosa's
``filters.mel`` (Slaney 1998, Auditory Toolbox) and ``scipy.fft.dct(type=2)``; the tests check
both against librosa / scipy as well. The FFT bins run to ``sample_rate / 2`` as in librosa
(torchaudio truncates it to an integer at odd rates).
"""

from __future__ import annotations

import math

import torch

#: Slaney's scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above (27 mels per 6.4x)
_LINEAR_HZ_PER_MEL = 200.0 / 3
_LOG_START_HZ = 1000.0
_LOG_START_MEL = _LOG_START_HZ / _LINEAR_HZ_PER_MEL
_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(frequency: float) -> float:
    """Slaney mel of a frequency in Hz (librosa.hz_to_mel with ``htk=False``)."""
    if frequency >= _LOG_START_HZ:
        return _LOG_START_MEL + math.log(frequency / _LOG_START_HZ) / _LOG_STEP
    return frequency / _LINEAR_HZ_PER_MEL


def mel_to_hz(mels: torch.Tensor) -> torch.Tensor:
    """Frequencies in Hz of Slaney mels (librosa.mel_to_hz with ``htk=False``)."""
    linear = _LINEAR_HZ_PER_MEL * mels
    logarithmic = _LOG_START_HZ * torch.exp(_LOG_STEP * (mels - _LOG_START_MEL))
    return torch.where(mels >= _LOG_START_MEL, logarithmic, linear)


def mel_filterbank(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int) -> torch.Tensor:
    """Area-normalized Slaney triangles ``(n_freqs, n_mels)``: ``power_spectrum @ bank`` is the mel
    power (librosa.filters.mel(norm="slaney", htk=False), transposed). Each triangle spans three
    consecutive of ``n_mels + 2`` points equally spaced in mel between ``f_min`` and ``f_max`` and is
    scaled by ``2 / width`` so that every band has about the same energy."""
    frequencies = torch.linspace(0.0, sample_rate / 2, n_freqs, dtype=torch.float32)
    mel_points = torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2, dtype=torch.float32)
    corners = mel_to_hz(mel_points)
    widths = corners[1:] - corners[:-1]
    slopes = corners.unsqueeze(0) - frequencies.unsqueeze(1)  # (n_freqs, n_mels + 2)
    rising = (-1.0 * slopes[:, :-2]) / widths[:-1]
    falling = slopes[:, 2:] / widths[1:]
    bank = torch.max(torch.zeros(1), torch.min(rising, falling))
    return bank * (2.0 / (corners[2 : n_mels + 2] - corners[:n_mels])).unsqueeze(0)


def dct_basis(n_mfcc: int, n_mels: int, norm: str | None) -> torch.Tensor:
    """DCT-II basis ``(n_mels, n_mfcc)``: ``x @ basis`` gives the first ``n_mfcc`` coefficients of
    ``scipy.fft.dct(x, type=2, norm=norm)`` (``norm="ortho"`` or ``None``, as librosa.feature.mfcc)."""
    n = torch.arange(float(n_mels), dtype=torch.float32)
    k = torch.arange(float(n_mfcc), dtype=torch.float32).unsqueeze(1)
    basis = torch.cos(math.pi / float(n_mels) * (n + 0.5) * k)  # (n_mfcc, n_mels)
    if norm is None:
        return (basis * 2.0).t()
    basis[0] *= 1.0 / math.sqrt(2.0)
    return (basis * math.sqrt(2.0 / float(n_mels))).t()
