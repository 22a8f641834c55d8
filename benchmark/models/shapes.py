"""Layer-size arithmetic and config lookup shared by the model zoo.

Shapes are computed from the input size by arithmetic, so a too-small input is refused with one
clear line instead of a convolution error deep in the forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from torch import nn

from benchmark.errors import BenchmarkError

#: Stage of a 1-D length computation: (kernel, stride) of a convolution or pooling, no padding.
Stage = tuple[int, int]

_C = TypeVar("_C")


def out_length(n: int, stages: Sequence[Stage]) -> int:
    for kernel, stride in stages:
        n = (n - kernel) // stride + 1 if n >= kernel else 0
    return n


def min_length(stages: Sequence[Stage]) -> int:
    """Smallest input length for which every stage still has at least one output sample."""
    n = 1
    for kernel, stride in reversed(stages):
        n = (n - 1) * stride + kernel
    return n


def pick_config(configs: dict[str, _C], config: str, model: str) -> _C:
    if config not in configs:
        known = ", ".join(repr(c) for c in sorted(configs))
        raise BenchmarkError(f"unknown {model} config {config!r}; choose one of {known}")
    return configs[config]


def dense_head(
    in_features: int, dense: int, num_classes: int, activation: nn.Module, dropout: float
) -> list[tuple[str, nn.Module]]:
    """Flatten -> Dense -> activation -> Dropout -> output logits: the head of Tables I and II
    (Koerich et al. 2020: "a dropout of 0.4 is used after the FC layer")."""
    return [
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(in_features, dense)),
        ("fc_act", activation),
        ("dropout", nn.Dropout(dropout)),
        ("output", nn.Linear(dense, num_classes)),
    ]
