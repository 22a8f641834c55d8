"""The gammatone filterbank: the frozen first layer of Koerich et al. 2020's 1D CNN (Table II)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmark.errors import BenchmarkError

#: Gammatone bandwidth factor for a 4th-order filter to match the ERB (Patterson et al. 1992).
GAMMATONE_B = 1.019


def erb_hz(f_hz: Tensor) -> Tensor:
    """Equivalent rectangular bandwidth at ``f_hz`` (Glasberg & Moore 1990)."""
    return 24.7 * (4.37 * f_hz / 1000.0 + 1.0)


def _erb_rate(f_hz: float) -> float:
    return 21.4 * math.log10(4.37 * f_hz / 1000.0 + 1.0)


def erb_space(low_hz: float, high_hz: float, num: int) -> Tensor:
    """``num`` frequencies from ``low_hz`` to ``high_hz`` equally spaced on the ERB-rate scale."""
    rates = torch.linspace(_erb_rate(low_hz), _erb_rate(high_hz), num, dtype=torch.float64, device="cpu")
    return (10.0 ** (rates / 21.4) - 1.0) * 1000.0 / 4.37


def gammatone_filterbank(
    num_filters: int,
    num_taps: int,
    sample_rate: int,
    low_hz: float = 100.0,
    high_hz: float | None = None,
) -> Tensor:
    """4th-order gammatone impulse responses as Conv1d kernels, shape (num_filters, 1, num_taps).

    g(t) = t^3 exp(-2 pi b ERB(fc) t) cos(2 pi fc t), b = 1.019, sampled at t = n / sample_rate;
    centre frequencies ascend from ``low_hz`` to ``high_hz`` (default 0.45 * sample_rate, which
    keeps the top filter's peak clear of Nyquist) equally spaced on the ERB-rate scale. Each
    filter is scaled to unit peak gain of its frequency response, so no band dominates the
    next layer by its amplitude alone. Float32 on CPU; computed in float64.

    The taps must cover the envelope of the lowest filter (it peaks at 3 / (2 pi b ERB(fc))
    seconds, 13 ms at 100 Hz), otherwise its response peaks below its centre frequency.
    """
    high = 0.45 * sample_rate if high_hz is None else high_hz
    if not 0 < low_hz < high < sample_rate / 2:
        nyquist = sample_rate / 2
        raise BenchmarkError(
            f"gammatone band {low_hz:g}-{high:g} Hz must satisfy 0 < low < high < Nyquist ({nyquist:g} Hz)"
        )
    if num_filters < 1 or num_taps < 2:
        raise BenchmarkError(f"gammatone bank needs >= 1 filter and >= 2 taps, got {num_filters}x{num_taps}")
    fc = erb_space(low_hz, high, num_filters)[:, None]
    t = torch.arange(num_taps, dtype=torch.float64, device="cpu")[None, :] / sample_rate
    g = t**3 * torch.exp(-2 * math.pi * GAMMATONE_B * erb_hz(fc) * t) * torch.cos(2 * math.pi * fc * t)
    # Zero-padded FFT so the peak gain is read off a fine frequency grid (<= 1 Hz at 16 kHz).
    n_fft = max(2 * num_taps, 1 << math.ceil(math.log2(sample_rate)))
    peak_gain = torch.fft.rfft(g, n=n_fft).abs().amax(dim=-1, keepdim=True)
    return (g / peak_gain).to(torch.float32)[:, None, :]


class GammatoneConv1d(nn.Module):
    """A Conv1d whose kernels are a fixed gammatone filterbank: the frozen first layer of Table II.

    The kernels are a buffer, not a parameter, so no optimizer, weight decay or
    ``requires_grad_()`` can ever update them, while ``.to()`` moves them and checkpoints save
    them. Gradients still flow through the layer to its input (waveform attacks need that).
    """

    weight: Tensor

    def __init__(
        self,
        num_filters: int,
        num_taps: int,
        sample_rate: int,
        low_hz: float = 100.0,
        high_hz: float | None = None,
        stride: int = 1,
    ) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.stride = stride
        bank = gammatone_filterbank(num_filters, num_taps, sample_rate, low_hz, high_hz)
        # Follow the construction device, so the model can be built on ``meta`` for shape checks.
        self.register_buffer("weight", bank.to(torch.get_default_device(), torch.get_default_dtype()))

    def forward(self, x: Tensor) -> Tensor:
        return F.conv1d(x, self.weight, stride=self.stride)

    def extra_repr(self) -> str:
        filters, _, taps = self.weight.shape
        return f"{filters} filters, {taps} taps, stride={self.stride}, sample_rate={self.sample_rate}, frozen"
