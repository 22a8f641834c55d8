"""The randomly weighted CNN front-ends of Pons & Serra 2019 (seed 002, sec. 3.1, Figs. 1, 3, 4).

Each front-end maps its input to a feature vector: the mean of every feature map the paper names
(``map_means``). Layer sequences and filter multiples follow the paper's text and the authors' code
(jordipons/elmarc ``src/dl_models.py``); filter counts come from the configs in ``benchmark/models/
pons.py``. Waveforms arrive as ``(B, 1, T)``, log-mel spectrograms as ``(B, 1, F, T)`` (frequency x time).
Every front-end exposes ``feature_size`` and ``check(input_shape)``, which refuses an input shorter
than its receptive field in one line before any feature is extracted.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmark.models.pons_layers import (
    RandomConv,
    WeightStream,
    map_means,
    min_valid_length,
    require_length,
)

#: sec. 3.1: every waveform front-end of the frame-level family strides by 32 samples
FRAME_STRIDE = 32


class SampleLevel(nn.Module):
    """*Sample-level* (sec. 3.1, Lee et al. 2017): a stride-3 convolution of length 3, then six blocks of
    (length-3 convolution, max-pool 3); features after the first convolution and after every pool
    (elmarc returns ``[conv0, pool_1 .. pool_6]``: 7 x filters features). ReLU."""

    def __init__(self, filters: int, stream: WeightStream, *, name: str) -> None:
        super().__init__()
        self.name = name
        self.first = RandomConv(1, filters, (3,), stream, stride=3)
        self.blocks = nn.ModuleList(
            RandomConv(filters, filters, (3,), stream, same="time") for _ in range(6)
        )
        self.feature_size = 7 * filters

    def check(self, input_shape: tuple[int, ...]) -> None:
        require_length(self.name, "length (samples)", input_shape[-1], min_valid_length([(3, 3)] * 7))

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu(self.first(x))
        maps = [h]
        for conv in self.blocks:
            h = F.max_pool1d(F.relu(conv(h)), 3)
            maps.append(h)
        return map_means(maps)


class FrameLevel(nn.Module):
    """*Frame-level* (one length-512 filter bank, unpadded) and *frame-level many-shapes* (lengths 512,
    256, 128, 64, 32 with ``same`` padding, concatenated), both at stride 32 (sec. 3.1), deepened by
    Fig. 3: a length-7 convolution, a length-7 residual convolution, max-pool 2, another length-7
    residual convolution. Features: every first-layer bank and the three added layers (elmarc returns
    ``[conv0 .. conv4, end_c1, end_cr2, end_cr3]``). ReLU."""

    def __init__(
        self, filters: int, lengths: tuple[int, ...], stream: WeightStream, *, name: str
    ) -> None:
        super().__init__()
        self.name = name
        self.same = len(lengths) > 1
        pad = "time" if self.same else ""
        self.stems = nn.ModuleList(
            RandomConv(1, filters, (k,), stream, stride=FRAME_STRIDE, same=pad) for k in lengths
        )
        self.adapt = RandomConv(len(lengths) * filters, filters, (7,), stream)
        self.residual = nn.ModuleList(
            RandomConv(filters, filters, (7,), stream, same="time") for _ in range(2)
        )
        self.lengths = lengths
        self.feature_size = (len(lengths) + 3) * filters

    def check(self, input_shape: tuple[int, ...]) -> None:
        # Fig. 3 needs 8 frames (7-tap convolution, then a pool of 2); unpadded stems also need the filter
        first = 1 if self.same else self.lengths[0]
        needed = (min_valid_length([(7, 1), (2, 2)]) - 1) * FRAME_STRIDE + first
        require_length(self.name, "length (samples)", input_shape[-1], needed)

    def forward(self, x: Tensor) -> Tensor:
        stems = [F.relu(conv(x)) for conv in self.stems]
        h1 = F.relu(self.adapt(torch.cat(stems, dim=1)))
        h2 = F.relu(self.residual[0](h1)) + h1
        pooled = F.max_pool1d(h2, 2)
        h3 = F.relu(self.residual[1](pooled)) + pooled
        return map_means([*stems, h1, h2, h3])


class Timbral(nn.Module):
    """*7x96* / *7x86* (one filter shape) and *timbral* (7, 3, 1 frames x 86 and 38 bands, with 1, 2, 4 x
    filters as in elmarc's ``cnn_music``): vertical 2D filters, time ``same``-padded (where several
    shapes share the layer), max-pooled over the whole remaining frequency axis (the paper's 1x11 and
    1x59 at 96 bands), then averaged over time (sec. 3.1). ReLU."""

    def __init__(
        self,
        shapes: tuple[tuple[int, int, int], ...],
        stream: WeightStream,
        *,
        name: str,
        same: bool,
    ) -> None:
        super().__init__()
        self.name = name
        self.shapes = shapes
        self.same = same
        self.convs = nn.ModuleList(
            RandomConv(1, count, (height, width), stream, same="time" if same else "")
            for height, width, count in shapes
        )
        self.feature_size = sum(count for _, _, count in shapes)

    def check(self, input_shape: tuple[int, ...]) -> None:
        require_length(
            self.name, "height (frequency bands)", input_shape[-2], max(h for h, _, _ in self.shapes)
        )
        if not self.same:
            require_length(self.name, "width (frames)", input_shape[-1], max(w for _, w, _ in self.shapes))

    def maps(self, x: Tensor) -> list[Tensor]:
        return [F.relu(conv(x)).amax(dim=2) for conv in self.convs]

    def forward(self, x: Tensor) -> Tensor:
        return map_means(self.maps(x))


class Temporal(nn.Module):
    """*Temporal* (sec. 3.1, Fig. 4 bottom): 1D filters of several lengths, ``same``-padded, over the
    energy envelope (the spectrogram mean-pooled over frequency); elmarc gives them filters - r,
    2 filters - r, 4 filters - r, 8 filters - r with r = filters / 4. ReLU, averaged over time."""

    def __init__(
        self, filters: int, lengths: tuple[int, ...], stream: WeightStream, *, name: str
    ) -> None:
        super().__init__()
        self.name = name
        remove = filters // 4
        counts = [filters * 2**i - remove for i in range(len(lengths))]
        self.convs = nn.ModuleList(
            RandomConv(1, count, (k,), stream, same="time")
            for k, count in zip(lengths, counts, strict=True)
        )
        self.feature_size = sum(counts)

    def check(self, input_shape: tuple[int, ...]) -> None:
        require_length(self.name, "width (frames)", input_shape[-1], 1)

    def maps(self, x: Tensor) -> list[Tensor]:
        envelope = x.mean(dim=2)
        return [F.relu(conv(envelope)) for conv in self.convs]

    def forward(self, x: Tensor) -> Tensor:
        return map_means(self.maps(x))


class TimbralTemporal(nn.Module):
    """*Timbral+temporal* (sec. 3.1, Fig. 4): both single-layer front-ends side by side in one wide layer."""

    def __init__(self, timbral: Timbral, temporal: Temporal, *, name: str) -> None:
        super().__init__()
        self.name = name
        self.timbral, self.temporal = timbral, temporal
        self.feature_size = timbral.feature_size + temporal.feature_size

    def check(self, input_shape: tuple[int, ...]) -> None:
        self.timbral.check(input_shape)
        self.temporal.check(input_shape)

    def forward(self, x: Tensor) -> Tensor:
        return map_means([*self.timbral.maps(x), *self.temporal.maps(x)])


class VGG(nn.Module):
    """*VGG* (sec. 3.1, Choi et al. 2016): five blocks of a 3x3 ``same`` convolution with ELU and a max-pool
    (the paper's 4x2, 4x3, 5x2, 4x2, 4x4 time x frequency, stored here frequency x time); features
    after every pool (elmarc ``cnn_small_filters``: ``[pool1 .. pool5]``)."""

    def __init__(
        self, filters: int, pools: tuple[tuple[int, int], ...], stream: WeightStream, *, name: str
    ) -> None:
        super().__init__()
        self.name = name
        self.pools = pools
        ins = [1] + [filters] * (len(pools) - 1)
        self.convs = nn.ModuleList(RandomConv(c, filters, (3, 3), stream, same="both") for c in ins)
        self.feature_size = len(pools) * filters

    def check(self, input_shape: tuple[int, ...]) -> None:
        require_length(
            self.name,
            "height (frequency bands)",
            input_shape[-2],
            min_valid_length([(f, f) for f, _ in self.pools]),
        )
        require_length(
            self.name, "width (frames)", input_shape[-1], min_valid_length([(t, t) for _, t in self.pools])
        )

    def forward(self, x: Tensor) -> Tensor:
        maps = []
        for conv, pool in zip(self.convs, self.pools, strict=True):
            x = F.max_pool2d(F.elu(conv(x)), pool)
            maps.append(x)
        return map_means(maps)


def _std(x: Tensor) -> Tensor:
    """Population standard deviation over time (numpy's ``np.std``), with a finite gradient at zero."""
    return x.var(dim=-1, unbiased=False).clamp_min(1e-12).sqrt()


class MFCCStatistics(nn.Module):
    """The baseline's feature vector (sec. 3): mean and standard deviation over time of the MFCCs,
    their deltas and double deltas, 6 x n_mfcc values (120 for 20 MFCCs). Deltas are first
    differences along time, as the authors compute them (elmarc ``extract_mfcc_features``:
    ``dmfcc = mfcc[:, 1:] - mfcc[:, :-1]``), so the whole vector is differentiable."""

    def __init__(self, n_mfcc: int, *, name: str) -> None:
        super().__init__()
        self.name = name
        self.feature_size = 6 * n_mfcc

    def check(self, input_shape: tuple[int, ...]) -> None:
        require_length(self.name, "width (frames)", input_shape[-1], 3)

    def forward(self, x: Tensor) -> Tensor:
        mfcc = x[:, 0]
        delta = mfcc.diff(dim=-1)
        double = delta.diff(dim=-1)
        return torch.cat([s for m in (mfcc, delta, double) for s in (m.mean(dim=-1), _std(m))], dim=1)
