"""SB-CNN (Salamon & Bello 2017), compared by Esmaeilpour et al. (sec. 5.1, Table 6)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from benchmark.models.esmaeilpour.image import check_size, image_shape
from benchmark.models.shapes import dense_head, pick_config


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
        out_h, out_w = check_size(
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
    cfg = pick_config(SBCNN_CONFIGS, config, "sbcnn")
    return SbCnn(image_shape(input_shape, "sbcnn"), num_classes, cfg)
