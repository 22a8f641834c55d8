"""The classifiers Esmaeilpour et al. compare on 2D representations (sec. 4.2, sec. 5.1, Table 6).

"We preserved the architectures of these ConvNets except for the first layer and the last layer
[...] we bilinearly interpolate [the spectrograms] to fit 128x128": every network here takes the
channels of its ``input_shape`` (1 for a spectrogram) and ends in ``num_classes`` logits, and the
``"paper"`` configs keep the published widths and depths at the published input, 1x128x128
(``<base>_resized`` representations). ``"compact"`` configs keep each layer sequence with fewer
channels, sized to train in seconds on CPU on the embedded dataset at the same 1x128x128 input.

Table 6 gives parameter counts only as ratios to ResNet-18 (e.g. ResNet-56 +49.88 %, SB-CNN
-14.14 %) that no standard form of these networks reproduces (the CIFAR ResNet-56 of He et al.
has 0.85M weights to ResNet-18's 11M), so the published architectures are followed instead and
the counts are stated in the tests.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from benchmark.errors import BenchmarkError
from benchmark.models.koerich import Stage, _min_len, _out_len, _pick_config, dense_head


def _image_shape(input_shape: tuple[int, ...], model: str) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise BenchmarkError(
            f"{model} input_shape must be (channels, frequency, time), got {tuple(input_shape)}"
        )
    channels, height, width = (int(n) for n in input_shape)
    return channels, height, width


def _check_size(
    model: str, height: int, width: int, rows: Sequence[Stage], cols: Sequence[Stage]
) -> tuple[int, int]:
    """Output size after ``rows`` / ``cols`` stages (padding folded into the kernel), or one clear line."""
    out_h, out_w = _out_len(height, rows), _out_len(width, cols)
    if out_h < 1 or out_w < 1:
        raise BenchmarkError(
            f"{model} input {height}x{width} (frequency x time) is too small for this config;"
            f" it needs at least {_min_len(rows)}x{_min_len(cols)}"
        )
    return out_h, out_w


def conv_bn_relu(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Convolution ("same" padding, no bias) -> batch norm -> ReLU."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


# --- ResNet-18 / 34 / 56 -----------------------------------------------------------------


class BasicBlock(nn.Module):
    """He et al. 2016, Fig. 2: two 3x3 convolutions with batch norm and an identity shortcut,
    or a 1x1 projection shortcut (option B) where the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


@dataclass(frozen=True)
class ResNetConfig:
    """BasicBlocks per stage, stage widths, and the stem (kernel, stride, 3x3/2 max-pool or not)."""

    blocks: tuple[int, ...]
    widths: tuple[int, ...]
    stem_kernel: int
    stem_stride: int
    stem_pool: bool


#: He et al. 2016, Table 1 (ImageNet ResNet-18/34: 7x7/2 stem, 3x3/2 max-pool, 64-512 channels)
#: and sec. 4.2 (CIFAR ResNet-56: 3x3 stem, three stages of 9 blocks, 16/32/64 channels). The
#: compact ResNet-56 gets the ImageNet stem so its first stage runs at 32x32, not 128x128.
RESNET_CONFIGS: dict[str, dict[str, ResNetConfig]] = {
    "resnet18": {
        "paper": ResNetConfig((2, 2, 2, 2), (64, 128, 256, 512), 7, 2, True),
        "compact": ResNetConfig((2, 2, 2, 2), (8, 16, 32, 64), 7, 2, True),
    },
    "resnet34": {
        "paper": ResNetConfig((3, 4, 6, 3), (64, 128, 256, 512), 7, 2, True),
        "compact": ResNetConfig((3, 4, 6, 3), (8, 16, 32, 64), 7, 2, True),
    },
    "resnet56": {
        "paper": ResNetConfig((9, 9, 9), (16, 32, 64), 3, 1, False),
        "compact": ResNetConfig((9, 9, 9), (4, 8, 16), 7, 2, True),
    },
}


class ResNet(nn.Sequential):
    """Stem -> stages of BasicBlocks (stride 2 from the second stage on) -> global average pool
    -> linear logits. Any input size works: every convolution and pool is padded."""

    def __init__(self, in_channels: int, num_classes: int, cfg: ResNetConfig) -> None:
        stem = conv_bn_relu(in_channels, cfg.widths[0], cfg.stem_kernel, cfg.stem_stride)
        if cfg.stem_pool:
            stem.append(nn.MaxPool2d(3, 2, padding=1))
        layers: list[tuple[str, nn.Module]] = [("stem", stem)]
        cin = cfg.widths[0]
        for i, (count, width) in enumerate(zip(cfg.blocks, cfg.widths, strict=True), start=1):
            stride = 1 if i == 1 else 2
            blocks = [
                BasicBlock(cin if b == 0 else width, width, stride if b == 0 else 1) for b in range(count)
            ]
            layers.append((f"stage{i}", nn.Sequential(*blocks)))
            cin = width
        layers += [
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(cin, num_classes)),
        ]
        super().__init__(OrderedDict(layers))


def _resnet(name: str, input_shape: tuple[int, ...], num_classes: int, config: str) -> nn.Module:
    cfg = _pick_config(RESNET_CONFIGS[name], config, name)
    channels, _, _ = _image_shape(input_shape, name)
    return ResNet(channels, num_classes, cfg)


def resnet18(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """ResNet-18 (He et al. 2016, Table 1), Esmaeilpour et al.'s front-end classifier (sec. 4.2).

    BasicBlocks [2, 2, 2, 2] at 64/128/256/512 channels after a 7x7/2 stem and 3x3/2 max-pool;
    1x128x128 input gives 32/16/8/4-pixel stages. ``"compact"``: 8/16/32/64 channels.
    """
    return _resnet("resnet18", input_shape, num_classes, config)


def resnet34(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """ResNet-34 (He et al. 2016, Table 1), compared in Esmaeilpour et al. sec. 5.1, Table 6.

    BasicBlocks [3, 4, 6, 3] at 64/128/256/512 channels; ``"compact"``: 8/16/32/64 channels.
    """
    return _resnet("resnet34", input_shape, num_classes, config)


def resnet56(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """ResNet-56 (He et al. 2016, sec. 4.2, the CIFAR form), Esmaeilpour et al. sec. 5.1, Table 6.

    3x3 stem, then BasicBlocks [9, 9, 9] at 16/32/64 channels; projection shortcuts (option B)
    where the shape changes, as in the ImageNet ResNets, instead of the paper's zero padding
    (option A), so that one block serves all three depths. ``"compact"``: 4/8/16 channels
    behind a 7x7/2 stem and max-pool.
    """
    return _resnet("resnet56", input_shape, num_classes, config)


# --- AlexNet -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlexNetConfig:
    channels: tuple[int, int, int, int, int]
    dense: int
    #: side of the adaptive average pool before the classifier
    pool: int
    dropout: float = 0.5


ALEXNET_CONFIGS: dict[str, AlexNetConfig] = {
    # torchvision's single-tower AlexNet (Krizhevsky 2014, "One weird trick"), as pre-trained
    # AlexNets ship: 64/192/384/256/256 channels, 6x6 pool, two 4096-unit dense layers.
    "paper": AlexNetConfig((64, 192, 384, 256, 256), 4096, 6),
    "compact": AlexNetConfig((16, 32, 48, 32, 32), 128, 3),
}
#: (kernel - 2 padding, stride) of conv 11/4 p2, pool 3/2, conv 5 p2, pool 3/2, 3 x conv 3 p1, pool 3/2
ALEXNET_STAGES: tuple[Stage, ...] = ((7, 4), (3, 2), (1, 1), (3, 2), (1, 1), (1, 1), (1, 1), (3, 2))


class AlexNet(nn.Sequential):
    """Five ReLU convolutions (11x11/4, 5x5, 3x3 x3) with three 3x3/2 max-pools, an adaptive
    average pool, then Dropout -> Dense -> ReLU -> Dropout -> Dense -> ReLU -> logits."""

    def __init__(self, in_channels: int, num_classes: int, cfg: AlexNetConfig) -> None:
        c1, c2, c3, c4, c5 = cfg.channels
        features = [
            nn.Conv2d(in_channels, c1, 11, 4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        ]
        classifier = [
            nn.Dropout(cfg.dropout),
            nn.Linear(c5 * cfg.pool * cfg.pool, cfg.dense),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.dense, cfg.dense),
            nn.ReLU(inplace=True),
            nn.Linear(cfg.dense, num_classes),
        ]
        super().__init__(
            OrderedDict(
                features=nn.Sequential(*features),
                pool=nn.AdaptiveAvgPool2d(cfg.pool),
                flatten=nn.Flatten(),
                classifier=nn.Sequential(*classifier),
            )
        )


def alexnet(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """AlexNet (torchvision's form of Krizhevsky et al.), Esmaeilpour et al. sec. 4.2, Table 6.

    At 1x128x128 the last max-pool leaves 3x3, which the 6x6 adaptive pool replicates, as a
    pre-trained AlexNet does on small inputs. Inputs under 63x63 are refused. ``"compact"``:
    16/32/48/32/32 channels, 3x3 pool, 128-unit dense layers.
    """
    cfg = _pick_config(ALEXNET_CONFIGS, config, "alexnet")
    channels, height, width = _image_shape(input_shape, "alexnet")
    _check_size("alexnet", height, width, ALEXNET_STAGES, ALEXNET_STAGES)
    return AlexNet(channels, num_classes, cfg)


# --- GoogLeNet -----------------------------------------------------------------------------

#: Szegedy et al. 2015, Table 1: per inception module #1x1, #3x3 reduce, #3x3, #5x5 reduce,
#: #5x5, pool proj; "pool" marks the 3x3/2 max-pools between the groups
INCEPTION_TABLE: tuple[tuple[str, tuple[int, int, int, int, int, int]] | str, ...] = (
    ("3a", (64, 96, 128, 16, 32, 32)),
    ("3b", (128, 128, 192, 32, 96, 64)),
    "pool",
    ("4a", (192, 96, 208, 16, 48, 64)),
    ("4b", (160, 112, 224, 24, 64, 64)),
    ("4c", (128, 128, 256, 24, 64, 64)),
    ("4d", (112, 144, 288, 32, 64, 64)),
    ("4e", (256, 160, 320, 32, 128, 128)),
    "pool",
    ("5a", (256, 160, 320, 32, 128, 128)),
    ("5b", (384, 192, 384, 48, 128, 128)),
)


class Inception(nn.Module):
    """Szegedy et al. 2015, Fig. 2b: 1x1, 1x1->3x3, 1x1->5x5 and 3x3 max-pool->1x1, concatenated."""

    def __init__(self, cin: int, widths: Sequence[int]) -> None:
        super().__init__()
        n1, r3, n3, r5, n5, proj = widths
        self.branch1 = conv_bn_relu(cin, n1, 1)
        self.branch3 = nn.Sequential(conv_bn_relu(cin, r3, 1), conv_bn_relu(r3, n3, 3))
        self.branch5 = nn.Sequential(conv_bn_relu(cin, r5, 1), conv_bn_relu(r5, n5, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), conv_bn_relu(cin, proj, 1))
        self.out_channels = n1 + n3 + n5 + proj

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


@dataclass(frozen=True)
class GoogLeNetConfig:
    #: every channel count of Table 1 is divided by this
    width_divisor: int
    dropout: float = 0.4


GOOGLENET_CONFIGS: dict[str, GoogLeNetConfig] = {
    "paper": GoogLeNetConfig(1),
    "compact": GoogLeNetConfig(8),
}


class GoogLeNet(nn.Sequential):
    """Szegedy et al. 2015, Table 1, without the auxiliary classifiers: 7x7/2 conv, 3x3/2 pool,
    1x1 and 3x3 convs, 3x3/2 pool, inception 3a-3b, pool, 4a-4e, pool, 5a-5b, global average
    pool, dropout 0.4, linear logits. Batch norm after every convolution replaces the local
    response normalization, as in torchvision's GoogLeNet, so it trains from scratch. Pools
    are padded (same sizes as Caffe's ceil-mode pools at 224 and 128), so any input size works."""

    def __init__(self, in_channels: int, num_classes: int, cfg: GoogLeNetConfig) -> None:
        def width(n: int) -> int:
            return max(1, n // cfg.width_divisor)

        stem = nn.Sequential(
            conv_bn_relu(in_channels, width(64), 7, 2),
            nn.MaxPool2d(3, 2, padding=1),
            conv_bn_relu(width(64), width(64), 1),
            conv_bn_relu(width(64), width(192), 3),
            nn.MaxPool2d(3, 2, padding=1),
        )
        layers: list[tuple[str, nn.Module]] = [("stem", stem)]
        cin = width(192)
        for i, row in enumerate(INCEPTION_TABLE):
            if isinstance(row, str):  # "pool"
                layers.append((f"pool{i}", nn.MaxPool2d(3, 2, padding=1)))
                continue
            name, widths = row
            module = Inception(cin, [width(n) for n in widths])
            layers.append((f"inception{name}", module))
            cin = module.out_channels
        layers += [
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("dropout", nn.Dropout(cfg.dropout)),
            ("fc", nn.Linear(cin, num_classes)),
        ]
        super().__init__(OrderedDict(layers))


def googlenet(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """GoogLeNet (Szegedy et al. 2015, Table 1), Esmaeilpour et al. sec. 4.2, Table 6.

    True 5x5 convolutions in the 5x5 branch (torchvision's port uses 3x3 there), batch norm for
    LRN, no auxiliary heads. ``"compact"``: every width divided by 8.
    """
    cfg = _pick_config(GOOGLENET_CONFIGS, config, "googlenet")
    channels, _, _ = _image_shape(input_shape, "googlenet")
    return GoogLeNet(channels, num_classes, cfg)


# --- SB-CNN --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SbCnnConfig:
    channels: tuple[int, int, int]
    dense: int
    dropout: float = 0.5


SBCNN_CONFIGS: dict[str, SbCnnConfig] = {
    "paper": SbCnnConfig((24, 48, 48), 64),
    "compact": SbCnnConfig((8, 16, 16), 32),
}
#: Salamon & Bello: (4, 2) max-pooling "over the last two dimensions (time and frequency
#: respectively)", i.e. 2 along frequency (rows here) and 4 along time (columns)
SBCNN_POOL = (2, 4)


class SbCnn(nn.Sequential):
    """Salamon & Bello 2017, sec. II-B: three valid 5x5 convolutions (the first two followed by
    max-pooling and each by ReLU), Dropout 0.5 -> Dense -> ReLU -> Dropout 0.5 -> logits."""

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int, cfg: SbCnnConfig) -> None:
        in_ch, height, width = input_shape
        (pool_f, pool_t), conv = SBCNN_POOL, (5, 1)
        out_h, out_w = _check_size(
            "sbcnn",
            height,
            width,
            (conv, (pool_f, pool_f), conv, (pool_f, pool_f), conv),
            (conv, (pool_t, pool_t), conv, (pool_t, pool_t), conv),
        )
        layers: list[tuple[str, nn.Module]] = []
        for i, (cin, cout) in enumerate(zip((in_ch, *cfg.channels[:-1]), cfg.channels, strict=True), start=1):
            layers.append((f"conv{i}", nn.Conv2d(cin, cout, 5)))
            if i < 3:
                layers.append((f"pool{i}", nn.MaxPool2d(SBCNN_POOL)))
            layers.append((f"relu{i}", nn.ReLU()))
        layers.append(("dropout0", nn.Dropout(cfg.dropout)))
        layers += dense_head(cfg.channels[-1] * out_h * out_w, cfg.dense, num_classes, nn.ReLU(), cfg.dropout)
        super().__init__(OrderedDict(layers))


def sbcnn(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """SB-CNN (Salamon & Bello 2017), Esmaeilpour et al. sec. 5.1, Table 6 ([7]).

    24/48/48 valid 5x5 filters, (4, 2) max-pools (time, frequency) after the first two, dense 64,
    dropout 0.5 on the inputs of the last two layers; at 1x128x128 the dense layer sees 48 maps of
    25x2 (frequency x time) = 2400 values, the paper's W4 of shape (2400, 64). Inputs under 32x100
    (frequency x time) are refused. ``"compact"``: 8/16/16 filters, dense 32.
    """
    cfg = _pick_config(SBCNN_CONFIGS, config, "sbcnn")
    return SbCnn(_image_shape(input_shape, "sbcnn"), num_classes, cfg)


# --- LSTM ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LstmConfig:
    hidden: int
    layers: int


LSTM_CONFIGS: dict[str, LstmConfig] = {"paper": LstmConfig(128, 2), "compact": LstmConfig(32, 1)}


class LstmClassifier(nn.Module):
    """Spectrogram frames as a sequence: ``(B, C, F, N)`` -> N steps of C*F features -> stacked
    LSTM -> the top layer's last hidden state -> linear logits."""

    def __init__(self, features: int, num_classes: int, cfg: LstmConfig) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, cfg.hidden, num_layers=cfg.layers, batch_first=True)
        self.fc = nn.Linear(cfg.hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        sequence = x.flatten(1, 2).transpose(1, 2)  # (B, N, C*F)
        outputs, _ = self.lstm(sequence)
        return self.fc(outputs[:, -1])


def lstm(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """LSTM classifier over spectrogram frames, Esmaeilpour et al. sec. 5.1, Table 6 ([59], Das et al.).

    The seed gives no layer sizes for [59]; ``"paper"`` is a 2-layer LSTM with 128 hidden units
    whose last state feeds a linear layer, ``"compact"`` one layer of 32 units.
    """
    cfg = _pick_config(LSTM_CONFIGS, config, "lstm")
    channels, height, _ = _image_shape(input_shape, "lstm")
    return LstmClassifier(channels * height, num_classes, cfg)
