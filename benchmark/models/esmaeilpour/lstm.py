"""The LSTM over spectrogram frames compared by Esmaeilpour et al. (sec. 5.1, Table 6, [59])."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from benchmark.models.esmaeilpour.image import image_shape
from benchmark.models.shapes import pick_config


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
    cfg = pick_config(LSTM_CONFIGS, config, "lstm")
    channels, height, _ = image_shape(input_shape, "lstm")
    return LstmClassifier(channels * height, num_classes, cfg)
