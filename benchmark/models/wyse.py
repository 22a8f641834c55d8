"""Frequency bins as channels: a 1D CNN over time on a spectrogram (Wyse 2017, sec. 2).

Wyse argues that frequency is not translation-invariant the way image axes are ("as a sound is
raised in pitch, its representation not only shifts up, but changes in spatial extent"), and
follows Ulyanov and Lebedev in stacking the frequency bins as channels at each time step, so
every kernel spans the whole spectrum and shares weights along time only.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from benchmark.errors import BenchmarkError
from benchmark.models.shapes import dense_head, min_length, out_length, pick_config


@dataclass(frozen=True)
class FreqChannelsConfig:
    #: output channels of the two convolutions
    channels: tuple[int, int]
    #: kernel width in time frames (Wyse does not give it; 11 is Ulyanov and Lebedev's width)
    kernel: int
    dense: int


FREQ_CHANNELS_CONFIGS: dict[str, FreqChannelsConfig] = {
    # Wyse, footnote 1: "2 convolutional layers of 2048 and 64 channels [...] relu [...] each
    # followed by max pooling of size 2 with strides of 2. A fully connected final layer had 32
    # channels." Input: 257 bins x 856 frames (5 s ESC-50 clips).
    "paper": FreqChannelsConfig((2048, 64), 11, 32),
    "compact": FreqChannelsConfig((64, 32), 5, 32),
}


class FreqChannelsCnn1d(nn.Sequential):
    """``(B, C, F, N)`` -> ``(B, C*F, N)`` -> [Conv1d -> ReLU -> MaxPool 2/2] x 2 -> Dense -> ReLU
    -> logits. No batch norm and no dropout (the shared head's is set to 0): Wyse mentions neither."""

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int, cfg: FreqChannelsConfig) -> None:
        channels, bins, frames = input_shape
        stages = [(cfg.kernel, 1), (2, 2), (cfg.kernel, 1), (2, 2)]
        out_len = out_length(frames, stages)
        if out_len < 1:
            raise BenchmarkError(
                f"freq_channels_cnn1d input of {frames} frames is too small for this config;"
                f" it needs at least {min_length(stages)}"
            )
        first, second = cfg.channels
        layers: list[tuple[str, nn.Module]] = [
            ("bins_as_channels", nn.Flatten(1, 2)),
            ("conv1", nn.Conv1d(channels * bins, first, cfg.kernel)),
            ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool1d(2)),
            ("conv2", nn.Conv1d(first, second, cfg.kernel)),
            ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool1d(2)),
        ]
        layers += dense_head(second * out_len, cfg.dense, num_classes, nn.ReLU(), dropout=0.0)
        super().__init__(OrderedDict(layers))


def freq_channels_cnn1d(
    *, input_shape: tuple[int, ...], num_classes: int, sample_rate: int | None = None, config: str = "compact"
) -> nn.Module:
    """1D CNN with frequency bins as channels, Wyse 2017 sec. 2 and footnote 1; input (B, C, F, N).

    ``"paper"``: 2048 and 64 channels, kernel 11 frames, max-pools 2/2, dense 32 (Wyse's
    257x856 ESC-50 spectrograms give a 64x206 map before the dense layer). ``"compact"``: 64 and
    32 channels, kernel 5.
    """
    cfg = pick_config(FREQ_CHANNELS_CONFIGS, config, "freq_channels_cnn1d")
    if len(input_shape) != 3:
        raise BenchmarkError(
            f"freq_channels_cnn1d input_shape must be (channels, frequency, time), got {tuple(input_shape)}"
        )
    channels, bins, frames = (int(n) for n in input_shape)
    return FreqChannelsCnn1d((channels, bins, frames), num_classes, cfg)
