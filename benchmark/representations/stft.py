"""The shared STFT front end and fixed dB map of the spectral representations, and the STFT itself.

The module docstring of :mod:`benchmark.representations.spectral` says why the map is fixed.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.representations.base import Representation

#: dynamic range kept below the ceiling; 150 dB puts the floor (about -102 dB for n_fft 512, i.e.
#: |X| ~ 8e-6) below the float32 rounding of ordinary audio, so clipping there leaves the
#: original-phase STFT round trip at ~128 dB SNR, well above Koerich's 90 dB
DEFAULT_TOP_DB = 150.0
#: Esmaeilpour et al. sec. 4.3.3 (Fig. 4) sweep the window length over [0.25 n_fft, n_fft]
WINDOW_SCALE_RANGE = (0.25, 1.0)


class Spectral(Representation):
    """Shared STFT front end and the fixed dB -> [0, 1] map; subclasses call :meth:`_set_ceiling`."""

    bounds = Bounds(0.0, 1.0)

    def __init__(
        self,
        sample_rate: int,
        n_fft: int,
        hop_length: int | None,
        win_length: int | None,
        top_db: float,
        window_scale: float | None = None,
    ) -> None:
        super().__init__(sample_rate)
        if n_fft < 2:
            raise BenchmarkError(f"{self.name}: n_fft={n_fft} must be >= 2")
        if window_scale is not None:
            low, high = WINDOW_SCALE_RANGE
            if win_length is not None:
                raise BenchmarkError(f"{self.name}: give win_length or window_scale, not both")
            if not low <= window_scale <= high:
                raise BenchmarkError(
                    f"{self.name}: window_scale={window_scale} must be in [{low}, {high}] "
                    f"(win_length = window_scale x n_fft; Esmaeilpour et al. Fig. 4)"
                )
            win_length = round(window_scale * n_fft)
        win_length = n_fft if win_length is None else int(win_length)
        hop_length = n_fft // 2 if hop_length is None else int(hop_length)
        if not 1 <= win_length <= n_fft:
            raise BenchmarkError(
                f"{self.name}: win_length={win_length} must be in [1, n_fft={n_fft}]; lower it or raise n_fft"
            )
        if hop_length < 1:
            raise BenchmarkError(f"{self.name}: hop_length={hop_length} must be >= 1 sample")
        if not top_db > 0:
            raise BenchmarkError(f"{self.name}: top_db={top_db} must be > 0 dB")
        self.n_fft = int(n_fft)
        self.hop_length = hop_length
        self.win_length = win_length
        self.top_db = float(top_db)
        # librosa pads a short window to n_fft on both sides (util.pad_center); so does torch.stft
        window = torch.hann_window(win_length, periodic=True, dtype=torch.float64)
        left = (n_fft - win_length) // 2
        window = F.pad(window, (left, n_fft - win_length - left))
        self.register_buffer("window", window.float(), persistent=False)
        #: hard bound of every STFT bin: |X| <= sum_n w[n] |x[n]| <= sum(w) for |x| <= 1
        self.window_sum = float(window.sum())

    def _set_ceiling(self, ceiling_power: float) -> None:
        """Fix the dB range from the hard ceiling of the (power) output."""
        self.ceiling_db = 10.0 * math.log10(ceiling_power)
        self.floor_db = self.ceiling_db - self.top_db
        #: the floor as a power: librosa's ``amin``, so the clamp and the log guard are one constant
        self.amin = 10.0 ** (self.floor_db / 10.0)

    def _stft(self, waveform: torch.Tensor) -> torch.Tensor:
        if waveform.ndim != 2:
            raise BenchmarkError(f"{self.name} expects a batch of shape (B, T), got {tuple(waveform.shape)}")
        return torch.stft(
            waveform,
            self.n_fft,
            self.hop_length,
            window=self.window.to(waveform.dtype),
            center=True,
            pad_mode="constant",
            return_complex=True,
        )

    def _istft(self, spectrum: torch.Tensor, length: int) -> torch.Tensor:
        """Overlap-add over the summed squared window, as librosa.istft. When ``length % hop``
        nears ``hop`` the last samples lie under one window's tail only, so edits to the last frame
        are amplified there by up to 1 / w (Koerich's 110250 samples at hop 256: at most 3.9x)."""
        window = self.window.to(spectrum.real.dtype)
        return torch.istft(spectrum, self.n_fft, self.hop_length, window=window, center=True, length=length)

    def _power(self, waveform: torch.Tensor) -> torch.Tensor:
        """|X|^2 from real and imaginary parts: finite gradients even at silent bins."""
        spectrum = self._stft(waveform)
        return spectrum.real.square() + spectrum.imag.square()

    def _normalize(self, power: torch.Tensor) -> torch.Tensor:
        """Power -> dB clamped to [floor, ceiling] -> [0, 1]."""
        db = 10.0 * torch.log10(power.clamp_min(self.amin))
        return ((db - self.floor_db) / self.top_db).clamp(0.0, 1.0)

    def _db(self, features: torch.Tensor) -> torch.Tensor:
        """Inverse of the affine part of :meth:`_normalize`: [0, 1] -> dB."""
        return self.floor_db + self.top_db * features

    def _covers_every_sample(self) -> bool:
        """Overlap-add needs every sample covered by a nonzero window (the NOLA condition); a Hann
        window with hop = window length (Esmaeilpour's n_fft 512 at hop 512) misses the frame edges."""
        squared = F.pad(self.window.double() ** 2, (0, -self.n_fft % self.hop_length))
        envelope = squared.reshape(-1, self.hop_length).sum(0)
        return bool(envelope.min() > 1e-10 * envelope.max())

    @property
    def invertible(self) -> bool:
        """Only where overlap-add can rebuild every sample: elsewhere there is no SNR to report."""
        return super().invertible and self._covers_every_sample()

    def _check_invertible(self) -> None:
        if not self._covers_every_sample():
            raise BenchmarkError(
                f"{self.name}: hop_length={self.hop_length} leaves samples outside every window of "
                f"win_length={self.win_length}, so it has no inverse; use hop_length < win_length"
            )

    def config(self) -> dict[str, object]:
        return {
            **super().config(),
            "n_fft": self.n_fft,
            "hop_length": self.hop_length,
            "win_length": self.win_length,
            "window": "hann",
            "center": True,
            "pad_mode": "constant",
            "top_db": self.top_db,
        }


class STFT(Spectral):
    """Log-magnitude STFT ``(B, 1, n_fft // 2 + 1, frames)`` in [0, 1] (Koerich et al. 2020, sec. II).

    ``20 log10 |X|`` is clamped to [ceiling - top_db, ceiling], ceiling = ``20 log10(sum(window))``
    (the largest |X| any audio in [-1, 1] can reach), and mapped affinely onto [0, 1].
    """

    name = "stft"

    def __init__(
        self,
        sample_rate: int,
        *,
        n_fft: int = 512,
        hop_length: int | None = None,
        win_length: int | None = None,
        top_db: float = DEFAULT_TOP_DB,
        window_scale: float | None = None,
    ) -> None:
        super().__init__(sample_rate, n_fft, hop_length, win_length, top_db, window_scale)
        self._set_ceiling(self.window_sum**2)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self._normalize(self._power(waveform)).unsqueeze(1)

    def inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Magnitude from ``features`` with the phase of ``reference``'s STFT, then inverse STFT
        (Koerich et al. 2020, sec. III-A; Table VII reports SNR > 90 dB for this round trip)."""
        self._check_invertible()
        magnitude = 10.0 ** (self._db(features[:, 0]) / 20.0)
        phase = torch.angle(self._stft(reference))
        return self._istft(torch.polar(magnitude, phase), reference.shape[-1])
