"""The raw waveform as a model input: the 1D CNN's domain (Koerich et al. 2020, sec. II, Table II)."""

from __future__ import annotations

import torch

from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.representations.base import Representation


class Waveform(Representation):
    """Raw audio ``(B, 1, T)`` in [-1, 1]; the channel axis lets 1D models share the 2D layout."""

    name = "waveform"
    #: audio is already in its declared range, so no normalization is applied
    bounds = Bounds(-1.0, 1.0)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if waveform.ndim != 2:
            raise BenchmarkError(f"waveform expects a batch of shape (B, T), got {tuple(waveform.shape)}")
        return waveform.unsqueeze(1)

    def inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Identity: drop the channel axis (the perturbation already lives in the audio domain)."""
        return features.squeeze(1)
