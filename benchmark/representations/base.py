"""The representation contract: waveform batch ``(B, T)`` in [-1, 1] -> model input.

Every representation is a differentiable ``torch.nn.Module`` with *declared* output bounds
(after a fixed, documented normalization), so representation-domain attacks can clip to
them and waveform-domain attacks can differentiate through them (DESIGN.md, Core concepts).
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.registry import REPRESENTATIONS

#: sample rates a representation accepts, in Hz: Esmaeilpour et al. (sec. 4.1.1, Table 2) sweep 8 to
#: 24 kHz and Koerich et al. use 22.05 kHz; 48 kHz, the highest common audio rate, is the ceiling
SAMPLE_RATE_RANGE = (8000, 48000)


class Representation(nn.Module):
    """Base class: subclasses implement :meth:`forward` and, where one exists, :meth:`inverse`."""

    #: registry name, set by subclasses
    name: str = ""
    #: output bounds after normalization
    bounds: Bounds = Bounds(-1.0, 1.0)

    def __init__(self, sample_rate: int) -> None:
        super().__init__()
        low, high = SAMPLE_RATE_RANGE
        if isinstance(sample_rate, bool) or sample_rate != int(sample_rate) or not low <= sample_rate <= high:
            raise BenchmarkError(
                f"{self.name}: sample_rate={sample_rate} is not supported; it must be a whole number of "
                f"Hz in [{low}, {high}]"
            )
        self.sample_rate = int(sample_rate)

    def output_shape(self, num_samples: int) -> tuple[int, ...]:
        """Shape of one example's output ``(C, F, N)`` or ``(1, T)`` for ``num_samples`` input."""
        with torch.no_grad():
            return tuple(self(torch.zeros(1, num_samples)).shape[1:])

    #: whether :meth:`inverse` re-estimates the phase (Griffin-Lim): two such reconstructions of
    #: nearby features can differ in phase by far more than the features differ, so the SNR of a
    #: perturbation is measured with :meth:`same_phase_inverse` instead
    estimates_phase: bool = False

    @property
    def invertible(self) -> bool:
        return type(self).inverse is not Representation.inverse

    def inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Audio ``(B, T)`` from features; ``reference`` is the clean waveform the features came
        from (its phase and length are what an inverse may legitimately reuse)."""
        raise BenchmarkError(f"representation {self.name!r} has no inverse to audio")

    def same_phase_inverse(self, features: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Audio from features with the STFT phase of ``reference`` (Koerich et al. 2020, sec. III-A,
        eq. 3-4): clean and adversarial features rebuilt this way share their phase, so their
        difference is the perturbation's alone. :meth:`inverse` itself where it keeps the phase."""
        return self.inverse(features, reference)

    def config(self) -> dict[str, object]:
        """The settings that determine the output, recorded in results and cell keys."""
        return {"name": self.name, "sample_rate": self.sample_rate}


def domain_widths(representation: str) -> dict[str, float]:
    """Width of the interval each attack domain perturbs for a model on ``representation``: its
    own bounds, or the audio's for a waveform-domain attack (what an unbounded Linf budget spans)."""
    return {
        "representation": REPRESENTATIONS.get(representation).bounds.width,
        "waveform": REPRESENTATIONS.get("waveform").bounds.width,
    }


def representation_settings(cls: type[Representation]) -> list[str]:
    """The keyword settings ``cls`` takes besides ``sample_rate`` (a resized twin: its base's too)."""
    names = []
    for klass in (cls, getattr(cls, "base_class", None)):
        if klass is None:
            continue
        for parameter in inspect.signature(klass.__init__).parameters.values():
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.name not in names:
                names.append(parameter.name)
    return names


def build_representation(name: str, sample_rate: int, params: dict[str, Any]) -> Representation:
    """``REPRESENTATIONS.get(name)(sample_rate, **params)``, with an unknown setting reported in one
    line naming the valid ones (a ``TypeError`` would print a traceback)."""
    cls = REPRESENTATIONS.get(name)
    valid = representation_settings(cls)
    unknown = [key for key in params if key not in valid]
    if unknown:
        raise BenchmarkError(
            f"representation {name!r} has no setting {unknown[0]!r}; its settings are {', '.join(valid)}"
        )
    return cls(sample_rate, **params)
