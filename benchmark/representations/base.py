"""The representation contract: waveform batch ``(B, T)`` in [-1, 1] -> model input.

Every representation is a differentiable ``torch.nn.Module`` with *declared* output bounds
(after a fixed, documented normalization), so representation-domain attacks can clip to
them and waveform-domain attacks can differentiate through them (DESIGN.md, Core concepts).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from benchmark.errors import BenchmarkError


@dataclass(frozen=True)
class Bounds:
    """Closed interval every element of a representation's output lies in."""

    lower: float
    upper: float

    @property
    def width(self) -> float:
        return self.upper - self.lower


class Representation(nn.Module):
    """Base class: subclasses implement :meth:`forward` and, where one exists, :meth:`inverse`."""

    #: registry name, set by subclasses
    name: str = ""
    #: output bounds after normalization
    bounds: Bounds = Bounds(-1.0, 1.0)

    def __init__(self, sample_rate: int) -> None:
        super().__init__()
        self.sample_rate = int(sample_rate)

    def output_shape(self, num_samples: int) -> tuple[int, ...]:
        """Shape of one example's output ``(C, F, N)`` or ``(1, T)`` for ``num_samples`` input."""
        with torch.no_grad():
            return tuple(self(torch.zeros(1, num_samples)).shape[1:])

    @property
    def invertible(self) -> bool:
        return type(self).inverse is not Representation.inverse

    def inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Audio ``(B, T)`` from features; ``reference`` is the clean waveform the features came
        from (its phase and length are what an inverse may legitimately reuse)."""
        raise BenchmarkError(f"representation {self.name!r} has no inverse to audio")

    def config(self) -> dict[str, object]:
        """The settings that determine the output, recorded in results and cell keys."""
        return {"name": self.name, "sample_rate": self.sample_rate}
