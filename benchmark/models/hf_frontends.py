"""Differentiable torch equivalents of Hugging Face audio feature extractors.

A ``transformers`` feature extractor runs in numpy, outside the autograd graph, so an attack on
the waveform could not reach the model through it. Each module here computes what one extractor
computes, in torch, on a batch ``(B, T)`` of audio at the extractor's sampling rate; the tests
hold each against the real extractor on random audio.
"""

from __future__ import annotations

import math

import torch
from torch import nn

#: the extractors with a torch equivalent here, by class name (``feature_extractor_type``)
SUPPORTED = ("Wav2Vec2FeatureExtractor", "ASTFeatureExtractor")


class ZeroMeanUnitVariance(nn.Module):
    """``Wav2Vec2FeatureExtractor(do_normalize=True)`` (wav2vec2, HuBERT, WavLM, ...): each
    example to zero mean and unit variance, ``(x - mean) / sqrt(var + 1e-7)`` (population
    variance, as ``np.var``) over the whole unpadded clip."""

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        mean = waveform.mean(dim=-1, keepdim=True)
        variance = waveform.var(dim=-1, keepdim=True, unbiased=False)
        return (waveform - mean) / torch.sqrt(variance + 1e-7)


def kaldi_mel_banks(
    num_bins: int, padded_window: int, sample_rate: float, low_hz: float = 20.0
) -> torch.Tensor:
    """Kaldi's mel filterbank ``(num_bins, padded_window // 2 + 1)``: triangles equally spaced and
    linear on the mel scale ``1127 ln(1 + f / 700)`` from ``low_hz`` to Nyquist, evaluated at the
    FFT bin frequencies; the Nyquist bin gets no weight (Kaldi ``MelBanks``, torchaudio
    ``compliance.kaldi.get_mel_banks`` with ``vtln_warp = 1``)."""

    def mel(hz: torch.Tensor | float) -> torch.Tensor:
        return 1127.0 * torch.log1p(torch.as_tensor(hz, dtype=torch.float64) / 700.0)

    low, high = mel(low_hz), mel(sample_rate / 2)
    delta = (high - low) / (num_bins + 1)
    edges = low + delta * torch.arange(num_bins + 2, dtype=torch.float64)
    left, center, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bins = mel(sample_rate / padded_window * torch.arange(padded_window // 2, dtype=torch.float64))[None]
    up, down = (bins - left) / (center - left), (right - bins) / (right - center)
    banks = torch.clamp(torch.minimum(up, down), min=0.0)
    return nn.functional.pad(banks, (0, 1)).float()


class KaldiFbank(nn.Module):
    """``ASTFeatureExtractor``: Kaldi-style log-Mel filterbank features, ``(B, max_length,
    num_mel_bins)``, as ``torchaudio.compliance.kaldi.fbank`` with the extractor's settings: 25 ms
    symmetric Hann frames every 10 ms (no edge padding), DC offset removed, pre-emphasis 0.97,
    power spectrum of a 512-point (next power of two) FFT, log of the mel energies floored at
    float32 eps; then zero-padded or cut to ``max_length`` frames and normalised as
    ``(x - mean) / (2 * std)`` (Gong et al. 2021, AST, sec. 2.1: AudioSet statistics)."""

    def __init__(
        self,
        *,
        sample_rate: int,
        num_mel_bins: int,
        max_length: int,
        mean: float | None,
        std: float | None,
    ) -> None:
        super().__init__()
        self.frame = int(sample_rate * 25 * 0.001)  # Kaldi truncates: int(rate * ms * 0.001)
        self.shift = int(sample_rate * 10 * 0.001)
        padded = 2 ** math.ceil(math.log2(self.frame))
        self.padded, self.max_length = padded, max_length
        self.mean, self.std = mean, std
        self.register_buffer("window", torch.hann_window(self.frame, periodic=False), persistent=False)
        self.register_buffer("banks", kaldi_mel_banks(num_mel_bins, padded, sample_rate), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        frames = waveform.unfold(-1, self.frame, self.shift)  # (B, frames, frame)
        frames = frames - frames.mean(dim=-1, keepdim=True)
        previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
        frames = (frames - 0.97 * previous) * self.window
        spectrum = torch.fft.rfft(frames, n=self.padded)
        power = torch.view_as_real(spectrum).pow(2).sum(-1)  # |X|^2 with a gradient at 0
        eps = torch.finfo(torch.float32).eps
        fbank = torch.clamp(power @ self.banks.T, min=eps).log()
        missing = self.max_length - fbank.shape[1]
        fbank = nn.functional.pad(fbank, (0, 0, 0, missing)) if missing > 0 else fbank[:, : self.max_length]
        if self.mean is None or self.std is None:
            return fbank
        return (fbank - self.mean) / (2 * self.std)


def torch_front_end(extractor: object) -> nn.Module:
    """The torch module computing what ``extractor`` (a ``transformers`` feature extractor of a
    class in :data:`SUPPORTED`) computes."""
    kind = type(extractor).__name__
    normalize = bool(getattr(extractor, "do_normalize", False))
    if kind == "Wav2Vec2FeatureExtractor":
        return ZeroMeanUnitVariance() if normalize else nn.Identity()
    if kind == "ASTFeatureExtractor":
        return KaldiFbank(
            sample_rate=extractor.sampling_rate,  # type: ignore[attr-defined]
            num_mel_bins=extractor.num_mel_bins,  # type: ignore[attr-defined]
            max_length=extractor.max_length,  # type: ignore[attr-defined]
            mean=extractor.mean if normalize else None,  # type: ignore[attr-defined]
            std=extractor.std if normalize else None,  # type: ignore[attr-defined]
        )
    raise ValueError(f"no torch front-end for {kind}; supported: {', '.join(SUPPORTED)}")
