"""The 2D spectrogram CNN and the 1D gammatone waveform CNN of Koerich et al. 2020 (Tables I, II).

Each factory has a ``"paper"`` config that reproduces its table's layer output shapes at the
paper's input size, and a ``"compact"`` config with the same layer sequence but fewer channels
and smaller dense layers, so that it trains in seconds on CPU on the embedded dataset. Shapes
are computed from the input size by arithmetic, which also lets a too-small input be refused
with one clear line instead of a convolution error deep in the forward pass.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmark.errors import BenchmarkError

#: Gammatone bandwidth factor for a 4th-order filter to match the ERB (Patterson et al. 1992).
GAMMATONE_B = 1.019

#: Stage of a 1-D length computation: (kernel, stride) of a convolution or pooling, no padding.
Stage = tuple[int, int]

_C = TypeVar("_C")


def _out_len(n: int, stages: Sequence[Stage]) -> int:
    for kernel, stride in stages:
        n = (n - kernel) // stride + 1 if n >= kernel else 0
    return n


def _min_len(stages: Sequence[Stage]) -> int:
    """Smallest input length for which every stage still has at least one output sample."""
    n = 1
    for kernel, stride in reversed(stages):
        n = (n - 1) * stride + kernel
    return n


def _pick_config(configs: dict[str, _C], config: str, model: str) -> _C:
    if config not in configs:
        known = ", ".join(repr(c) for c in sorted(configs))
        raise BenchmarkError(f"unknown {model} config {config!r}; choose one of {known}")
    return configs[config]


# --- 2D CNN ------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Cnn2dConfig:
    """Channel counts of the four 3x3 convolutions, the two max-pools and the dense width."""

    channels: tuple[int, int, int, int]
    #: (kernel, stride) of each square max-pool
    pools: tuple[Stage, Stage]
    dense: int
    #: stride of the first convolution (Table I: 1)
    first_stride: int = 1
    dropout: float = 0.4


CNN2D_CONFIGS: dict[str, Cnn2dConfig] = {
    # Table I. The second pool is 4x4/stride 2: the only square pool that maps 122x209 to
    # 60x103 and 26x209 to 12x103 as printed (2x2/stride 2 would give 61x104).
    "paper": Cnn2dConfig(channels=(32, 32, 64, 64), pools=((2, 2), (4, 2)), dense=1024),
    # (1, 257, 63) -> (16, 14, 2) before the dense layer. The strided first convolution is
    # what makes it cheap: at stride 1 the two full-resolution 8-channel convolutions make a
    # CPU training step about 3x slower.
    "compact": Cnn2dConfig(channels=(8, 8, 16, 16), pools=((2, 2), (4, 4)), dense=64, first_stride=2),
}


class Cnn2d(nn.Sequential):
    """Koerich et al. 2020, Table I: 2D CNN on a (channels, frequency, time) spectrogram.

    Conv 3x3 -> Conv 3x3 -> MaxPool -> Conv 3x3 -> Conv 3x3 -> MaxPool -> Dense -> Dropout 0.4
    -> output logits. Batch norm follows every convolution ("between CLs"), then ReLU; the
    dense layer is ReLU too. No softmax: the loss applies it.
    """

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int, cfg: Cnn2dConfig) -> None:
        in_ch, height, width = input_shape
        pool1, pool2 = cfg.pools
        stages: list[Stage] = [(3, cfg.first_stride), (3, 1), pool1, (3, 1), (3, 1), pool2]
        out_h, out_w = _out_len(height, stages), _out_len(width, stages)
        if out_h < 1 or out_w < 1:
            need = _min_len(stages)
            raise BenchmarkError(
                f"cnn2d input {height}x{width} (frequency x time) is too small for this config;"
                f" it needs at least {need}x{need}"
            )
        layers: list[tuple[str, nn.Module]] = []
        ins = (in_ch, *cfg.channels[:-1])
        for i, (cin, cout) in enumerate(zip(ins, cfg.channels, strict=True), start=1):
            conv = nn.Conv2d(cin, cout, 3, stride=cfg.first_stride if i == 1 else 1)
            layers += [(f"conv{i}", conv), (f"bn{i}", nn.BatchNorm2d(cout)), (f"relu{i}", nn.ReLU())]
            if i in (2, 4):
                kernel, stride = cfg.pools[i // 2 - 1]
                layers.append((f"pool{i // 2}", nn.MaxPool2d(kernel, stride)))
        layers += dense_head(cfg.channels[-1] * out_h * out_w, cfg.dense, num_classes, nn.ReLU(), cfg.dropout)
        super().__init__(OrderedDict(layers))


def cnn2d(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """2D spectrogram CNN of Koerich et al. 2020, Table I; input (B, C, F, N), output logits.

    Every model factory takes ``(input_shape, num_classes, sample_rate, config)``; a
    spectrogram model does not need the sample rate (its input shape already reflects it).

    ``config="paper"`` reproduces Table I (STFT 257x431 and Mel 64x431 inputs); its second
    max-pool is 4x4 with stride 2, the pool that yields the table's 60x103 / 12x103 (a 2x2
    pool would give 61x104). ``"compact"`` (8/8/16/16 channels, first convolution stride 2,
    2x2 and 4x4 pools, dense 64) is sized for 1 s at 16 kHz, STFT n_fft 512 hop 256: input
    (1, 257, 63).
    """
    cfg = _pick_config(CNN2D_CONFIGS, config, "cnn2d")
    if len(input_shape) != 3:
        raise BenchmarkError(f"cnn2d input_shape must be (channels, frequency, time), got {input_shape}")
    return Cnn2d(input_shape, num_classes, cfg)


# --- Gammatone filterbank --------------------------------------------------------------


def erb_hz(f_hz: Tensor) -> Tensor:
    """Equivalent rectangular bandwidth at ``f_hz`` (Glasberg & Moore 1990)."""
    return 24.7 * (4.37 * f_hz / 1000.0 + 1.0)


def _erb_rate(f_hz: float) -> float:
    return 21.4 * math.log10(4.37 * f_hz / 1000.0 + 1.0)


def erb_space(low_hz: float, high_hz: float, num: int) -> Tensor:
    """``num`` frequencies from ``low_hz`` to ``high_hz`` equally spaced on the ERB-rate scale."""
    rates = torch.linspace(_erb_rate(low_hz), _erb_rate(high_hz), num, dtype=torch.float64, device="cpu")
    return (10.0 ** (rates / 21.4) - 1.0) * 1000.0 / 4.37


def gammatone_filterbank(
    num_filters: int,
    num_taps: int,
    sample_rate: int,
    low_hz: float = 100.0,
    high_hz: float | None = None,
) -> Tensor:
    """4th-order gammatone impulse responses as Conv1d kernels, shape (num_filters, 1, num_taps).

    g(t) = t^3 exp(-2 pi b ERB(fc) t) cos(2 pi fc t), b = 1.019, sampled at t = n / sample_rate;
    centre frequencies ascend from ``low_hz`` to ``high_hz`` (default 0.45 * sample_rate, which
    keeps the top filter's peak clear of Nyquist) equally spaced on the ERB-rate scale. Each
    filter is scaled to unit peak gain of its frequency response, so no band dominates the
    next layer by its amplitude alone. Float32 on CPU; computed in float64.

    The taps must cover the envelope of the lowest filter (it peaks at 3 / (2 pi b ERB(fc))
    seconds, 13 ms at 100 Hz), otherwise its response peaks below its centre frequency.
    """
    high = 0.45 * sample_rate if high_hz is None else high_hz
    if not 0 < low_hz < high < sample_rate / 2:
        nyquist = sample_rate / 2
        raise BenchmarkError(
            f"gammatone band {low_hz:g}-{high:g} Hz must satisfy 0 < low < high < Nyquist ({nyquist:g} Hz)"
        )
    if num_filters < 1 or num_taps < 2:
        raise BenchmarkError(f"gammatone bank needs >= 1 filter and >= 2 taps, got {num_filters}x{num_taps}")
    fc = erb_space(low_hz, high, num_filters)[:, None]
    t = torch.arange(num_taps, dtype=torch.float64, device="cpu")[None, :] / sample_rate
    g = t**3 * torch.exp(-2 * math.pi * GAMMATONE_B * erb_hz(fc) * t) * torch.cos(2 * math.pi * fc * t)
    # Zero-padded FFT so the peak gain is read off a fine frequency grid (<= 1 Hz at 16 kHz).
    n_fft = max(2 * num_taps, 1 << math.ceil(math.log2(sample_rate)))
    peak_gain = torch.fft.rfft(g, n=n_fft).abs().amax(dim=-1, keepdim=True)
    return (g / peak_gain).to(torch.float32)[:, None, :]


class GammatoneConv1d(nn.Module):
    """A Conv1d whose kernels are a fixed gammatone filterbank: the frozen first layer of Table II.

    The kernels are a buffer, not a parameter, so no optimizer, weight decay or
    ``requires_grad_()`` can ever update them, while ``.to()`` moves them and checkpoints save
    them. Gradients still flow through the layer to its input (waveform attacks need that).
    """

    weight: Tensor

    def __init__(
        self,
        num_filters: int,
        num_taps: int,
        sample_rate: int,
        low_hz: float = 100.0,
        high_hz: float | None = None,
        stride: int = 1,
    ) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.stride = stride
        bank = gammatone_filterbank(num_filters, num_taps, sample_rate, low_hz, high_hz)
        # Follow the construction device, so the model can be built on ``meta`` for shape checks.
        self.register_buffer("weight", bank.to(torch.get_default_device(), torch.get_default_dtype()))

    def forward(self, x: Tensor) -> Tensor:
        return F.conv1d(x, self.weight, stride=self.stride)

    def extra_repr(self) -> str:
        filters, _, taps = self.weight.shape
        return f"{filters} filters, {taps} taps, stride={self.stride}, sample_rate={self.sample_rate}, frozen"


# --- 1D CNN ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cnn1dConfig:
    """Frozen gammatone bank, then four learned convolutions, pools and the dense width."""

    gammatone_filters: int
    gammatone_taps: int
    gammatone_low_hz: float
    #: stride of the gammatone layer (Table II: 1)
    gammatone_stride: int
    #: (channels, kernel, stride) of the four learned convolutions
    convs: tuple[tuple[int, int, int], ...]
    #: kernel = stride of the average pools after the gammatone layer and after the first conv
    avg_pools: tuple[int, int]
    #: kernel = stride of the max-pool after the last conv
    max_pool: int
    dense: int
    dropout: float = 0.4


CNN1D_CONFIGS: dict[str, Cnn1dConfig] = {
    # Table II: 110250 -> 109739 -> 13717 -> 6731 -> 841 -> 389 -> 179 -> 82 -> 41.
    "paper": Cnn1dConfig(
        gammatone_filters=32,
        gammatone_taps=512,
        gammatone_low_hz=100.0,
        gammatone_stride=1,
        convs=((16, 256, 2), (32, 64, 2), (64, 32, 2), (128, 16, 2)),
        avg_pools=(8, 8),
        max_pool=2,
        dense=256,
    ),
    # 16000 -> 7937 -> 1984 -> 977 -> 122 -> 54 -> 24 -> 11 -> 5. 128 taps are 8 ms at
    # 16 kHz, which a gammatone below ~200 Hz outlasts, hence the 250 Hz lowest filter; 16
    # filters (1.75 ERB apart) and a stride-2 bank (then an average pool of 4, so every later
    # size equals stride 1 + pool 8) because batch norm and activation over the full-rate
    # filterbank output dominate the cost: this halves the training time.
    "compact": Cnn1dConfig(
        gammatone_filters=16,
        gammatone_taps=128,
        gammatone_low_hz=250.0,
        gammatone_stride=2,
        convs=((8, 32, 2), (16, 16, 2), (32, 8, 2), (32, 4, 2)),
        avg_pools=(4, 8),
        max_pool=2,
        dense=64,
    ),
}


class Cnn1dGammatone(nn.Sequential):
    """Koerich et al. 2020, Table II (after Abdoli et al. 2019): 1D CNN on a (B, 1, T) waveform.

    Frozen gammatone Conv1D -> AvgPool -> Conv1D -> AvgPool -> Conv1D x3 -> MaxPool -> Dense
    -> Dropout 0.4 -> output logits. Batch norm follows every convolution, the gammatone one
    included ("between CLs"), then LeakyReLU (slope 0.01); the dense layer is LeakyReLU too.
    """

    def __init__(self, input_length: int, num_classes: int, sample_rate: int, cfg: Cnn1dConfig) -> None:
        first_pool, second_pool = ((size, size) for size in cfg.avg_pools)
        first, *rest = ((kernel, stride) for _, kernel, stride in cfg.convs)
        stages = [
            (cfg.gammatone_taps, cfg.gammatone_stride),
            first_pool,
            first,
            second_pool,
            *rest,
            (cfg.max_pool, cfg.max_pool),
        ]
        out_len = _out_len(input_length, stages)
        if out_len < 1:
            raise BenchmarkError(
                f"cnn1d_gammatone input of {input_length} samples is too small for this config;"
                f" it needs at least {_min_len(stages)}"
            )
        gammatone = GammatoneConv1d(
            cfg.gammatone_filters,
            cfg.gammatone_taps,
            sample_rate,
            low_hz=cfg.gammatone_low_hz,
            stride=cfg.gammatone_stride,
        )
        layers: list[tuple[str, nn.Module]] = [
            ("gammatone", gammatone),
            ("bn0", nn.BatchNorm1d(cfg.gammatone_filters)),
            ("act0", nn.LeakyReLU()),
            ("avgpool1", nn.AvgPool1d(cfg.avg_pools[0])),
        ]
        in_ch = cfg.gammatone_filters
        for i, (out_ch, kernel, stride) in enumerate(cfg.convs, start=1):
            layers += [
                (f"conv{i}", nn.Conv1d(in_ch, out_ch, kernel, stride)),
                (f"bn{i}", nn.BatchNorm1d(out_ch)),
                (f"act{i}", nn.LeakyReLU()),
            ]
            if i == 1:
                layers.append(("avgpool2", nn.AvgPool1d(cfg.avg_pools[1])))
            in_ch = out_ch
        layers.append(("maxpool", nn.MaxPool1d(cfg.max_pool)))
        layers += dense_head(in_ch * out_len, cfg.dense, num_classes, nn.LeakyReLU(), cfg.dropout)
        super().__init__(OrderedDict(layers))


def cnn1d_gammatone(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int, config: str = "compact"
) -> nn.Module:
    """1D waveform CNN with a frozen gammatone first layer, Koerich et al. 2020, Table II.

    Input (B, 1, T) with ``input_shape = (1, T)``, output logits. ``config="paper"``
    reproduces Table II (110250 samples at 22050 Hz, 32 gammatone filters x 512 taps);
    ``"compact"`` (16 x 128-tap gammatone from 250 Hz, then 8/16/32/32 channels, dense 64) is
    sized for 16000 samples at 16 kHz.
    """
    cfg = _pick_config(CNN1D_CONFIGS, config, "cnn1d_gammatone")
    if len(input_shape) != 2 or input_shape[0] != 1:
        raise BenchmarkError(f"cnn1d_gammatone input_shape must be (1, samples), got {tuple(input_shape)}")
    return Cnn1dGammatone(input_shape[1], num_classes, sample_rate, cfg)
