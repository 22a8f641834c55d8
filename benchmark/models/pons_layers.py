"""Building blocks of the randomly weighted front-ends of Pons & Serra 2019 (seed 002).

Weights are drawn once from a seeded generator and never trained (sec. 3: "non-trained
(randomly weighted) convolutional neural networks"), so they are *non-persistent buffers*: a
checkpoint never stores them, the front-end is rebuilt from (architecture, config, seed).

Initialisation follows the authors' code (jordipons/elmarc, ``src/dl_models.py``: every layer
uses ``tf.contrib.layers.variance_scaling_initializer()``, i.e. factor 2, fan-in, truncated
normal with ``stddev = sqrt(1.3 * 2 / fan_in)`` cut at two standard deviations; biases zero).
No batch normalisation anywhere (sec. 3.4: it makes a clip's features depend on its batch).

The draws come from :class:`WeightStream` (PCG64's raw 64-bit output, an inverse-CDF truncated
normal in float64), not from torch's generator and ``nn.init``: torch's initialisers changed their
draws between releases (2.11 -> 2.14), which silently swapped every front-end and broke the fitted
back-ends; the raw PCG64 stream and the normal quantile function do not change between releases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import ndtr, ndtri
from torch import Tensor, nn

from benchmark.errors import BenchmarkError


class WeightStream:
    """Seeded uniform draws that every numpy / torch release reproduces bit for bit.

    PCG64's raw output is the one part of numpy's random API whose stream is guaranteed stable
    (NEP 19); the top 53 bits of each word make one double in ``[0, 1)``. Layers draw in
    construction order, so one stream per front-end fixes every weight from the seed.
    """

    def __init__(self, seed: int) -> None:
        self._bits = np.random.PCG64(seed)

    def uniform(self, count: int) -> np.ndarray:
        return (self._bits.random_raw(count) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def variance_scaling(shape: tuple[int, ...], stream: WeightStream) -> Tensor:
    """TF-contrib ``variance_scaling_initializer()`` (factor 2, FAN_IN, truncated normal).

    Truncated at two standard deviations by the inverse CDF: a uniform draw is mapped into
    ``[Phi(-2), Phi(2)]`` and through the normal quantile, in float64, then rounded to float32.
    """
    fan_in = math.prod(shape[1:])
    std = math.sqrt(1.3 * 2.0 / fan_in)
    low, high = ndtr(-2.0), ndtr(2.0)
    quantiles = low + stream.uniform(math.prod(shape)) * (high - low)
    return torch.from_numpy((std * ndtri(quantiles)).astype(np.float32).reshape(shape))


def same_padding(length: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF ``padding="same"``: ``ceil(length / stride)`` outputs, the odd sample padded at the end."""
    out = -(-length // stride)
    total = max((out - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


class RandomConv(nn.Module):
    """A frozen random 1D or 2D convolution with TF-style ``same`` padding where asked.

    ``kernel`` is ``(k,)`` for 1D on ``(B, C, T)`` or ``(kh, kw)`` for 2D on ``(B, C, F, T)``.
    ``same="time"`` pads the last axis only (the authors pad only time before frequency-wide
    filters), ``"both"`` pads frequency too (the VGG 3x3 filters), ``""`` pads nothing.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: tuple[int, ...],
        stream: WeightStream,
        *,
        stride: int = 1,
        same: Literal["", "time", "both"] = "",
    ) -> None:
        super().__init__()
        self.kernel, self.stride, self.same = kernel, stride, same
        self.register_buffer(
            "weight", variance_scaling((out_channels, in_channels, *kernel), stream), False
        )
        self.register_buffer("bias", torch.zeros(out_channels), False)

    def forward(self, x: Tensor) -> Tensor:
        if self.same:
            left, right = same_padding(x.shape[-1], self.kernel[-1], self.stride)
            pads = [left, right]
            if self.same == "both":
                pads += list(same_padding(x.shape[-2], self.kernel[0], self.stride))
            x = F.pad(x, pads)
        if len(self.kernel) == 1:
            return F.conv1d(x, self.weight, self.bias, stride=self.stride)
        return F.conv2d(x, self.weight, self.bias, stride=self.stride)


def map_means(maps: Sequence[Tensor]) -> Tensor:
    """Feature vector: the average of every feature map over all its non-channel axes, concatenated
    (sec. 3: "we compute the average of each feature map (in every layer) and concatenate")."""
    return torch.cat([m.flatten(2).mean(2) for m in maps], dim=1)


def require_length(model: str, axis: str, length: int, needed: int) -> None:
    """One-line error before any feature is extracted when an input is shorter than the receptive field."""
    if length < needed:
        raise BenchmarkError(
            f"{model}: input {axis} of {length} is too short for this config; it needs at least {needed}"
        )


def min_valid_length(stages: Sequence[tuple[int, int]]) -> int:
    """Smallest length for which every unpadded (kernel, stride) stage yields one output."""
    length = 1
    for kernel, stride in reversed(stages):
        length = (length - 1) * stride + kernel
    return length
