"""MP3 compression through a real encoder (Das et al. 2018, "ADAGIO", sec. 3; Yang et al. 2019):
the waveform is encoded by ffmpeg (LAME) at ``bitrate`` kbit/s and decoded back.

A batch is encoded as one file, its examples separated by two MP3 frames of silence so no
frame spans two examples; the file is written to disk (not a pipe) so the encoder writes the
LAME header and the decoder trims the encoder delay exactly. The encoder has no gradient:
standard attacks see zero, BPDA the identity.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmark.defenses.base import Defense
from benchmark.errors import BenchmarkError

#: two MP3 frames (1152 samples each) of silence between examples
GAP = 2304
BITRATES = (32, 48, 64, 96, 128, 160, 192, 256, 320)


def ffmpeg() -> str:
    """The ffmpeg executable, or a one-line error saying how to install it."""
    found = shutil.which("ffmpeg")
    if found is None:
        raise BenchmarkError(
            "defense 'mp3' needs ffmpeg, which is not on PATH: install it (Debian: apt-get install -y ffmpeg)"
        )
    return found


class MP3(Defense):
    """MP3 at ``bitrate`` kbit/s (ffmpeg / LAME) and back, at the suite's ``sample_rate``."""

    name = "mp3"
    gradient = "none"

    def __init__(self, *, bitrate: int = 64, sample_rate: int = 16000) -> None:
        super().__init__()
        if bitrate not in BITRATES:
            raise ValueError(f"bitrate must be one of {list(BITRATES)} (kbit/s), got {bitrate}")
        self.bitrate = int(bitrate)
        self.sample_rate = int(sample_rate)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        executable = ffmpeg()
        rows = inputs.detach().reshape(-1, inputs.shape[-1]).cpu().numpy().astype(np.float32)
        length = rows.shape[1]
        stride = length + GAP
        signal = np.zeros(len(rows) * stride, dtype=np.float32)
        for index, row in enumerate(rows):
            signal[index * stride : index * stride + length] = row
        raw = ["-f", "f32le", "-ac", "1", "-ar", str(self.sample_rate)]
        with tempfile.TemporaryDirectory(prefix="arb-mp3-") as folder:
            path = str(Path(folder) / "batch.mp3")
            encode = [executable, "-v", "error", *raw, "-i", "pipe:0", "-b:a", f"{self.bitrate}k", path]
            subprocess.run(encode, input=signal.tobytes(), capture_output=True, check=True)
            decode = [executable, "-v", "error", "-i", path, *raw, "pipe:1"]
            decoded = subprocess.run(decode, capture_output=True, check=True).stdout
        audio = np.zeros_like(signal)
        values = np.frombuffer(decoded, dtype=np.float32)[: len(signal)]
        audio[: len(values)] = values
        out = np.stack([audio[i * stride : i * stride + length] for i in range(len(rows))])
        return torch.from_numpy(out).to(inputs).reshape(inputs.shape).clamp(-1.0, 1.0)
