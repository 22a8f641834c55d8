"""Input-transformation defenses on the waveform ``(B, T)`` in [-1, 1], each with its source.

The deterministic ones are the audio input transformations Yang et al. 2019 ("Characterizing
audio adversarial examples using temporal dependency", ICLR, sec. 3) evaluated and Athalye et al.
2018 (sec. 4.1) showed to fall to BPDA; the randomized ones are the additive noise and random
scalar multiplication of Esmaeilpour et al. 2021 (sec. 5.6).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F

from benchmark.defenses.base import Defense


def _channels(inputs: torch.Tensor) -> torch.Tensor:
    """``(..., T)`` as ``(N, 1, T)`` for 1D convolutions and pooling."""
    return inputs.reshape(-1, 1, inputs.shape[-1])


class Quantize(Defense):
    """Bit-depth reduction to ``bits`` (Yang et al. 2019, sec. 3 "quantization"): ``round(x q) / q``
    with ``q = 2^(bits - 1)``; ``round`` has a zero gradient, so attacks need BPDA (identity)."""

    name = "quantize"
    gradient = "bpda"

    def __init__(self, *, bits: int = 8) -> None:
        super().__init__()
        if not 2 <= bits <= 16:
            raise ValueError(f"bits must be in [2, 16], got {bits}")
        self.bits = int(bits)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        scale = 2.0 ** (self.bits - 1)
        return (torch.round(inputs * scale) / scale).clamp(-1.0, 1.0)


class Resample(Defense):
    """Down-up resampling by an integer ``factor`` (Yang et al. 2019, sec. 3 "down-sampling"): mean
    of each ``factor`` samples (an anti-aliasing box filter), then linear interpolation back to ``T``.
    Both steps are linear, so its gradient is exact."""

    name = "resample"

    def __init__(self, *, factor: int = 2) -> None:
        super().__init__()
        if not 2 <= factor <= 16:
            raise ValueError(f"factor must be in [2, 16], got {factor}")
        self.factor = int(factor)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        signal = _channels(inputs)
        down = F.avg_pool1d(signal, self.factor, ceil_mode=True)
        up = F.interpolate(down, size=signal.shape[-1], mode="linear", align_corners=False)
        return up.reshape(inputs.shape)


#: the length of a band-limiting defense's BPDA surrogate low-pass (the ``lowpass`` default)
SURROGATE_TAPS = 63


def below_edge(edge: float) -> float:
    """The cutoff (fraction of Nyquist) of a ``SURROGATE_TAPS``-tap Hamming FIR whose transition
    band, 6.6 / (taps - 1) of Nyquist (Oppenheim & Schafer, Table 7.2), ends at ``edge``."""
    return max(edge - 3.3 / (SURROGATE_TAPS - 1), 0.01)


def band_limited_surrogate(inputs: torch.Tensor, edge: float) -> torch.Tensor:
    """BPDA's stand-in for a defense that keeps only the band below ``edge`` (fraction of Nyquist):
    the low-pass that passes nothing the defense removes. With the identity instead, the gradient
    taken at the band-limited output points at the empty band above the edge (a log spectrogram is
    steepest in empty bins), and the sign step spends the budget where the defense erases it."""
    return LowPass(cutoff=below_edge(edge), taps=SURROGATE_TAPS).to(inputs.device)(inputs)


class PolyphaseResample(Resample):
    """Down-up resampling by ``factor`` through ``scipy.signal.resample_poly`` (polyphase, Kaiser-
    windowed FIR anti-aliasing), on numpy outside autograd, the way preprocessing pipelines run a
    library resampler (Yang et al. 2019, sec. 3 "down-sampling"). It is linear, but off the graph
    its gradient is hidden: standard attacks see zero and BPDA gets through, Athalye et al. 2018's
    point (sec. 4.1) that how a transformation is implemented can mask, not what it is."""

    name = "resample_poly"
    gradient = "none"
    surrogate_name = "lowpass at the resampler's band edge (Nyquist / factor)"

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        rows = inputs.detach().reshape(-1, inputs.shape[-1]).cpu().double().numpy()
        down = scipy.signal.resample_poly(rows, 1, self.factor, axis=1)
        up = scipy.signal.resample_poly(down, self.factor, 1, axis=1)
        out = np.zeros_like(rows)
        kept = min(out.shape[1], up.shape[1])
        out[:, :kept] = up[:, :kept]
        return torch.from_numpy(out).to(inputs).reshape(inputs.shape).clamp(-1.0, 1.0)

    def surrogate(self, inputs: torch.Tensor) -> torch.Tensor:
        """The resampler keeps the band below the lower rate's Nyquist, 1 / ``factor`` of ours (its
        Kaiser FIR's cutoff); with the identity, BPDA on the STFT model kept 82.3 % at 0.01 (standard
        PGD 75.4 %), with this low-pass 46.2 % (undefended 46.9)."""
        return band_limited_surrogate(inputs, 1 / self.factor)


class LowPass(Defense):
    """A linear-phase FIR low-pass filter: Hamming-windowed sinc of ``taps`` taps with its cutoff at
    ``cutoff`` times the Nyquist frequency (Oppenheim & Schafer, window method), zero-padded "same"
    convolution. Linear, so its gradient is exact."""

    name = "lowpass"

    def __init__(self, *, cutoff: float = 0.5, taps: int = 63) -> None:
        super().__init__()
        if not 0 < cutoff < 1:
            raise ValueError(f"cutoff must be in (0, 1) (a fraction of Nyquist), got {cutoff}")
        if taps < 3 or taps % 2 == 0:
            raise ValueError(f"taps must be odd and >= 3, got {taps}")
        self.cutoff = float(cutoff)
        self.taps = int(taps)
        n = torch.arange(taps, dtype=torch.float64) - (taps - 1) / 2
        window = torch.hamming_window(taps, periodic=False, dtype=torch.float64)
        kernel = self.cutoff * torch.sinc(self.cutoff * n) * window
        self.register_buffer("_kernel", (kernel / kernel.sum()).float().view(1, 1, -1), persistent=False)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        kernel = self._kernel.to(inputs)
        return F.conv1d(_channels(inputs), kernel, padding=self.taps // 2).reshape(inputs.shape)


class MedianSmooth(Defense):
    """Local median smoothing over ``window`` samples (Yang et al. 2019, sec. 3 "local smoothing"),
    edges replicated; the median's gradient reaches the selected sample, so it is exact (a
    subgradient)."""

    name = "median"

    def __init__(self, *, window: int = 3) -> None:
        super().__init__()
        if window < 3 or window % 2 == 0:
            raise ValueError(f"window must be odd and >= 3, got {window}")
        self.window = int(window)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        half = self.window // 2
        padded = F.pad(_channels(inputs), (half, half), mode="replicate")
        return padded.unfold(-1, self.window, 1).median(dim=-1).values.reshape(inputs.shape)


class GaussianNoise(Defense):
    """Additive white Gaussian noise at ``snr_db`` below each example's RMS, a fresh draw at every
    forward pass (Esmaeilpour et al. 2021, sec. 5.6, "additional perturbation"); randomized, so EOT
    applies."""

    name = "noise"
    randomized = True

    def __init__(self, *, snr_db: float = 30.0) -> None:
        super().__init__()
        if not math.isfinite(snr_db):
            raise ValueError(f"snr_db must be finite, got {snr_db}")
        self.snr_db = float(snr_db)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        rms = inputs.detach().pow(2).mean(dim=-1, keepdim=True).sqrt()
        noise = torch.randn_like(inputs) * rms * 10 ** (-self.snr_db / 20)
        return (inputs + noise).clamp(-1.0, 1.0)


class RandomScale(Defense):
    """Multiplication by a scalar drawn uniformly from [``low``, ``high``] per example and forward pass
    (Esmaeilpour et al. 2021, sec. 5.6: "multiplying the adversarial examples by a small random
    scalar restored the ... correct label"), clipped to [-1, 1]; randomized."""

    name = "scale"
    randomized = True

    def __init__(self, *, low: float = 0.5, high: float = 1.5) -> None:
        super().__init__()
        if not 0 < low < high:
            raise ValueError(f"need 0 < low < high, got low = {low}, high = {high}")
        self.low = float(low)
        self.high = float(high)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        shape = (inputs.shape[0],) + (1,) * (inputs.dim() - 1)
        scale = torch.empty(shape, device=inputs.device, dtype=inputs.dtype).uniform_(self.low, self.high)
        return (inputs * scale).clamp(-1.0, 1.0)
