"""GoogLeNet (Szegedy et al. 2015), compared by Esmaeilpour et al. (sec. 4.2, Table 6)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from benchmark.models.esmaeilpour.image import conv_bn_relu, image_shape
from benchmark.models.shapes import pick_config

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
    cfg = pick_config(GOOGLENET_CONFIGS, config, "googlenet")
    channels, _, _ = image_shape(input_shape, "googlenet")
    return GoogLeNet(channels, num_classes, cfg)
