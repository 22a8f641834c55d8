"""ResNet-18 / 34 / 56 (He et al. 2016), compared by Esmaeilpour et al. (sec. 4.2, sec. 5.1, Table 6)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import Tensor, nn

from benchmark.models.esmaeilpour.image import conv_bn_relu, image_shape
from benchmark.models.shapes import pick_config


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
    cfg = pick_config(RESNET_CONFIGS[name], config, name)
    channels, _, _ = image_shape(input_shape, name)
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
