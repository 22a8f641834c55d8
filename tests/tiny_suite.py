"""The small synth10 suites the end-to-end tests share: one header builder, the shared model blocks,
and the tiny suite of the harness and executor tests with its ``arb run`` arguments."""

from __future__ import annotations

import json
from pathlib import Path

#: synth10 of 10 test tracks of 2 s (5 per class, fold 0 of 5)
SMALL_SYNTH10 = {"tracks_per_class": 5, "track_seconds": 2.0}

#: the quick suite's 2D model: the same spec, so its committed checkpoint in baselines/ loads
QUICK_CNN2D_STFT = """[models.cnn2d_stft]
architecture = "cnn2d"
config = "compact"
representation = "stft"
representation_params = { n_fft = 512, hop_length = 256 }
training = { epochs = 15, batch_size = 50, learning_rate = 2e-3, patience = 4, val_fraction = 0.2 }
"""

#: the 1D gammatone waveform model with its default training recipe
CNN1D_WAVEFORM = """[models.cnn1d_gammatone_waveform]
architecture = "cnn1d_gammatone"
representation = "waveform"
"""


def _toml(value: object) -> str:
    """A TOML value written as the tests' text edits expect it (inline tables as ``{ k = v }``)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + " }"
    return json.dumps(value)


def fgsm(model: str, *, domain: str = "representation", **budgets: list[float]) -> str:
    """One native FGSM attack on ``model`` over ``budgets`` per representation (or ``waveform``),
    perturbing ``domain`` (written out only when not the default)."""
    perturbs = "" if domain == "representation" else f"domain = {_toml(domain)}\n"
    return f"""[[attacks]]
attack = "fgsm"
{perturbs}backends = ["native"]
models = ["{model}"]
budgets = {_toml(budgets)}
"""


def suite_toml(name: str, description: str, *blocks: str, **fields: object) -> str:
    """A synth10 suite: ``name``, version 1, seed 0, 1 s segments, then ``fields`` in order (suite
    fields as Python values), then the model and attack ``blocks`` (TOML text)."""
    header = {"name": name, "version": 1, "description": description, "dataset": "synth10"}
    header |= {"seed": 0, "segment_seconds": 1.0} | fields
    lines = [f"{key} = {_toml(value)}" for key, value in header.items()]
    return "\n" + "\n".join(lines) + "\n\n" + "\n".join(blocks)


TINY_SUITE = suite_toml(
    "tiny",
    "tiny end-to-end test suite",
    """[models.cnn2d_stft]
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
""",
    dataset_params=SMALL_SYNTH10,
    test_fold=0,
    overlap=0.5,
    batch_size=16,
)


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
