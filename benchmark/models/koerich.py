"""The 2D spectrogram CNN and the 1D gammatone waveform CNN of Koerich et al. 2020 (Tables I, II).

Each factory has a ``"paper"`` config that reproduces its table's layer output shapes at the
paper's input size, and a ``"compact"`` config with the same layer sequence but fewer channels
and smaller dense layers, so that it trains in seconds on CPU on the embedded dataset. Shapes
are computed from the input size by arithmetic, which also lets a too-small input be refused
with one clear line instead of a convolution error deep in the forward pass.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from benchmark.errors import BenchmarkError
from benchmark.models.gammatone import GammatoneConv1d
from benchmark.models.shapes import Stage, dense_head, min_length, out_length, pick_config

# --- 2D CNN ------------------------------------------------------------------------------


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
        out_h, out_w = out_length(height, stages), out_length(width, stages)
        if out_h < 1 or out_w < 1:
            need = min_length(stages)
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
    cfg = pick_config(CNN2D_CONFIGS, config, "cnn2d")
    if len(input_shape) != 3:
        raise BenchmarkError(f"cnn2d input_shape must be (channels, frequency, time), got {input_shape}")
    return Cnn2d(input_shape, num_classes, cfg)


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
        out_len = out_length(input_length, stages)
        if out_len < 1:
            raise BenchmarkError(
                f"cnn1d_gammatone input of {input_length} samples is too small for this config;"
                f" it needs at least {min_length(stages)}"
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
    cfg = pick_config(CNN1D_CONFIGS, config, "cnn1d_gammatone")
    if len(input_shape) != 2 or input_shape[0] != 1:
        raise BenchmarkError(f"cnn1d_gammatone input_shape must be (1, samples), got {tuple(input_shape)}")
    return Cnn1dGammatone(input_shape[1], num_classes, sample_rate, cfg)
