"""The tiny end-to-end suite the harness and executor tests share, and its ``arb run`` arguments."""

from __future__ import annotations

from pathlib import Path

TINY_SUITE = """
name = "tiny"
version = 1
description = "tiny end-to-end test suite"
dataset = "synth10"
dataset_params = { tracks_per_class = 5, track_seconds = 2.0 }
seed = 0
test_fold = 0
segment_seconds = 1.0
overlap = 0.5
batch_size = 16

[models.cnn2d_stft]
architecture = "cnn2d"
representation = "stft"
representation_params = { n_fft = 512, hop_length = 256 }
training = { epochs = 3, batch_size = 16, patience = 2 }

[models.cnn2d_stft_b]  # a second model on the same STFT: the transferability matrix needs two
architecture = "cnn2d"
representation = "stft"
representation_params = { n_fft = 512, hop_length = 256 }
training = { epochs = 2, batch_size = 16, patience = 2, learning_rate = 3e-3 }

[models.cnn1d_gammatone_waveform]
architecture = "cnn1d_gammatone"
representation = "waveform"
training = { epochs = 2, batch_size = 16, patience = 2 }

[[attacks]]
attack = "fgsm"
backends = ["native", "art"]
models = ["cnn2d_stft", "cnn1d_gammatone_waveform"]
budgets = { stft = [0.005, 0.05], waveform = [0.005, 0.05] }

[[attacks]]
attack = "bim_b"
backends = ["native"]
models = ["cnn2d_stft"]
params = { steps = 3, rel_stepsize = 0.5 }
budgets = { stft = [0.005, 0.05] }

[[attacks]]
attack = "fgsm"
domain = "waveform"
backends = ["native"]
models = ["cnn2d_stft", "cnn1d_gammatone_waveform"]
budgets = { snr_db = [40.0, 20.0] }

[[attacks]]
attack = "pgd_l2"
domain = "waveform"
backends = ["native"]
models = ["cnn2d_stft"]
params = { steps = 2 }
budgets = { snr_db = [30.0] }

[[attacks]]
attack = "bim_b"
domain = "waveform"
backends = ["art"]
models = ["cnn2d_stft"]
params = { steps = 2, rel_stepsize = 0.5 }
budgets = { waveform = [0.001, 0.01] }

[[attacks]]
attack = "fgsm"
targeted = true
max_examples = 12
score = false  # a subset of the score set: reported, not scored
backends = ["native"]
models = ["cnn2d_stft"]
budgets = { stft = [0.05] }

[[transferability]]
models = ["cnn2d_stft", "cnn2d_stft_b"]
attacks = { "fgsm/native" = 0.05 }

[[transfer]]
source = "cnn2d_stft"
target = "cnn1d_gammatone_waveform"
attacks = ["fgsm/native"]
budget = 0.01
"""


def run_args(paths: dict[str, Path], output: Path, cache: Path, suite: Path | None = None) -> list[str]:
    return [
        "run",
        "--suite",
        str(suite or paths["suite"]),
        "--device",
        "cpu",
        "--baselines",
        str(paths["baselines"]),
        "--output",
        str(output),
        "--cache-dir",
        str(cache),
    ]
