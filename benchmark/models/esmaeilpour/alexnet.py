"""AlexNet (torchvision's form of Krizhevsky et al.), compared by Esmaeilpour et al. (Table 6)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from benchmark.models.esmaeilpour.image import check_size, image_shape
from benchmark.models.shapes import Stage, pick_config


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
    cfg = pick_config(ALEXNET_CONFIGS, config, "alexnet")
    channels, height, width = image_shape(input_shape, "alexnet")
    check_size("alexnet", height, width, ALEXNET_STAGES, ALEXNET_STAGES)
    return AlexNet(channels, num_classes, cfg)
