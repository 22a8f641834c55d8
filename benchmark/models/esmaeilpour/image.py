"""Input checks and the conv block shared by the 2D classifiers of Esmaeilpour et al."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from benchmark.errors import BenchmarkError
from benchmark.models.shapes import Stage, min_length, out_length


def image_shape(input_shape: tuple[int, ...], model: str) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise BenchmarkError(
            f"{model} input_shape must be (channels, frequency, time), got {tuple(input_shape)}"
        )
    channels, height, width = (int(n) for n in input_shape)
    return channels, height, width


def check_size(
    model: str, height: int, width: int, rows: Sequence[Stage], cols: Sequence[Stage]
) -> tuple[int, int]:
    """Output size after ``rows`` / ``cols`` stages (padding folded into the kernel), or one clear line."""
    out_h, out_w = out_length(height, rows), out_length(width, cols)
    if out_h < 1 or out_w < 1:
        raise BenchmarkError(
            f"{model} input {height}x{width} (frequency x time) is too small for this config;"
            f" it needs at least {min_length(rows)}x{min_length(cols)}"
        )
    return out_h, out_w


def conv_bn_relu(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Convolution ("same" padding, no bias) -> batch norm -> ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )
