"""Representation-domain defenses: they act on the features the network reads."""

from __future__ import annotations

import torch

from benchmark.defenses.base import Defense


class FeatureSqueeze(Defense):
    """Feature squeezing by bit-depth reduction (Xu et al. 2018, "Feature Squeezing", NDSS, sec.
    III-A) on a representation bounded by [``low``, ``high``] (the stft / mel / dwt features are in
    [0, 1]): ``round(u (2^bits - 1)) / (2^bits - 1)`` on ``u`` mapped to [0, 1]. ``round`` has a
    zero gradient, so attacks need BPDA (identity)."""

    name = "squeeze"
    domain = "representation"
    gradient = "bpda"

    def __init__(self, *, bits: int = 5, low: float = 0.0, high: float = 1.0) -> None:
        super().__init__()
        if not 1 <= bits <= 16:
            raise ValueError(f"bits must be in [1, 16], got {bits}")
        if not low < high:
            raise ValueError(f"need low < high, got low = {low}, high = {high}")
        self.bits = int(bits)
        self.low = float(low)
        self.high = float(high)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        levels = 2.0**self.bits - 1
        unit = ((inputs - self.low) / (self.high - self.low)).clamp(0.0, 1.0)
        return self.low + torch.round(unit * levels) / levels * (self.high - self.low)
