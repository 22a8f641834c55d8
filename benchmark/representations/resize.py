"""Spectrograms bilinearly resized to a fixed size (Esmaeilpour et al., sec. 4.2).

"Since spectrograms may have different dimensions according to their length and transformation
schemes, we bilinearly interpolate them to fit 128x128 for all the ConvNets." Each 2D
representation has a resized twin registered as ``<base>_resized`` that takes the base's own
settings plus ``height`` and ``width``, so a suite writes, e.g.::

    representation = "stft_resized"
    representation_params = { n_fft = 1024, height = 128, width = 128 }

A twin per base, rather than one ``resized`` entry with a ``base`` setting, because the harness
keys budget schedules and leaderboard scores by the registered name and reads the declared bounds
from the registered class: STFT ([0, 1]) and MFCC ([-1, 1]) resized to 128x128 must stay two
representations with two bounds.

Interpolation is torch's bilinear with half-pixel centres (``align_corners=False``, no
antialiasing), the definition of TensorFlow's and Keras' ``resize(..., "bilinear")``. Every
output is a convex combination of inputs, so the base's bounds hold unchanged.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from benchmark.errors import BenchmarkError
from benchmark.representations.base import Representation
from benchmark.representations.spectral import MFCC, STFT, Mel
from benchmark.representations.wavelet import DWT

#: Esmaeilpour et al. sec. 4.2: every spectrogram is resized to 128x128
DEFAULT_SIZE = 128


def interpolation_matrix(size_in: int, size_out: int) -> torch.Tensor:
    """The ``(size_out, size_in)`` float64 matrix of 1-D linear interpolation with half-pixel centres.

    Built by interpolating the identity, so it is torch's own rule; bilinear resizing is separable,
    ``resize(X) = R_rows @ X @ R_cols.T``.
    """
    identity = torch.eye(size_in, dtype=torch.float64)[None]
    return F.interpolate(identity, size=size_out, mode="linear", align_corners=False)[0].T


class Resized(Representation):
    """A base representation's ``(B, C, F, N)`` output bilinearly resized to ``(B, C, height, width)``.

    Subclasses set :attr:`base_class`; name and bounds follow from it.
    """

    base_class: type[Representation]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = f"{cls.base_class.name}_resized"
        cls.bounds = cls.base_class.bounds
        cls.estimates_phase = cls.base_class.estimates_phase

    def __init__(
        self, sample_rate: int, *, height: int = DEFAULT_SIZE, width: int = DEFAULT_SIZE, **base_params: Any
    ) -> None:
        super().__init__(sample_rate)
        for setting, value in (("height", height), ("width", width)):
            if value < 1:
                raise BenchmarkError(f"{self.name}: {setting}={value} must be >= 1")
        self.height, self.width = int(height), int(width)
        self.base = self.base_class(sample_rate, **base_params)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self._resize(self.base(waveform))

    def _resize(self, features: torch.Tensor) -> torch.Tensor:
        return F.interpolate(features, size=(self.height, self.width), mode="bilinear", align_corners=False)

    @property
    def invertible(self) -> bool:
        return self.base.invertible

    def lift(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Base-domain features for resized ``features``: the reference's base features plus the
        smallest change that resizes to ``features - resize(base(reference))``.

        Resizing is linear and separable, ``D = R_rows (x) R_cols``, so that change is
        ``pinv(R_rows) @ delta @ pinv(R_cols).T``: exact where the resize shrinks both axes, least
        squares where it enlarges one; then clipped to the base's bounds. ``delta = 0`` gives back the
        reference's base features exactly.
        """
        clean = self.base(reference)
        delta = (features - self._resize(clean)).double()
        rows = torch.linalg.pinv(interpolation_matrix(clean.shape[-2], self.height)).to(delta.device)
        cols = torch.linalg.pinv(interpolation_matrix(clean.shape[-1], self.width)).to(delta.device)
        lifted = clean + (rows @ delta @ cols.T).to(clean.dtype)
        return lifted.clamp(self.bounds.lower, self.bounds.upper)

    def inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """The base's inverse of :meth:`lift`; on clean features the round trip is exactly the
        base's (e.g. the STFT's original-phase SNR)."""
        if not self.invertible:
            return super().inverse(features, reference)
        return self.base.inverse(self.lift(features, reference), reference)

    def same_phase_inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        if not self.invertible:
            return super().inverse(features, reference)
        return self.base.same_phase_inverse(self.lift(features, reference), reference)

    def config(self) -> dict[str, object]:
        return {
            **self.base.config(),
            "name": self.name,
            "base": self.base.name,
            "height": self.height,
            "width": self.width,
            "resize": "bilinear, half-pixel centres, no antialiasing",
        }


class STFTResized(Resized):
    """Log-magnitude STFT resized to ``height x width`` (default 128x128; Esmaeilpour et al., sec. 4.2)."""

    base_class = STFT


class MelResized(Resized):
    """Log mel spectrogram resized to ``height x width`` (default 128x128; Esmaeilpour et al., sec. 4.2)."""

    base_class = Mel


class MFCCResized(Resized):
    """MFCC "in 2D matrix format" resized to ``height x width`` (default 128x128; Esmaeilpour, 4.2)."""

    base_class = MFCC


class DWTResized(Resized):
    """Framed wavelet scalogram resized to ``height x width`` (default 128x128; Esmaeilpour, 4.2)."""

    base_class = DWT
