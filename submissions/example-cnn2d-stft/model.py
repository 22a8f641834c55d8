"""A small spectrogram CNN: the example submission's model code.

Three 3x3 convolution blocks (batch norm, ReLU, 2x2 max-pool; the first convolution at stride 2,
as in the compact ``cnn2d``, which keeps attacks cheap), then an average over time only:
frequency is not translation-invariant in a spectrogram (Wyse 2017, sec. 2), so the dense layer
sees every frequency band separately, while any number of frames is accepted. 6.2k parameters
for the 257-bin STFT of the quick suite. ``build`` is the entry point named in
``submission.toml``: it takes no arguments and returns an untrained ``nn.Module``; the harness
loads ``model.safetensors`` into it.
"""

from __future__ import annotations

import torch
from torch import nn

NUM_CLASSES = 10  # synth10
FREQUENCY_BINS = 257  # n_fft 512


def _block(channels_in: int, channels_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, kernel_size=3, stride=stride, padding=1),
        nn.BatchNorm2d(channels_out),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


class SmallSpectrogramCNN(nn.Module):
    """(B, 1, F, N) spectrogram in [0, 1] -> (B, 10) logits."""

    def __init__(
        self,
        channels: tuple[int, int, int] = (8, 16, 16),
        frequency_bins: int = FREQUENCY_BINS,
        num_classes: int = NUM_CLASSES,
    ) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _block(1, channels[0], stride=2),
            _block(channels[0], channels[1]),
            _block(channels[1], channels[2]),
        )
        bands = ((frequency_bins - 1) // 2 + 1) // 8  # the strided convolution, then three 2x2 pools
        self.head = nn.Linear(channels[2] * bands, num_classes)

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(spectrogram).mean(dim=3).flatten(1))


def build() -> nn.Module:
    return SmallSpectrogramCNN()
