"""Train the example submission on the quick suite's data and write ``model.safetensors``.

Run from anywhere: ``python submissions/example-cnn2d-stft/train.py`` (under a minute on 2 CPU cores).
It reuses the harness's training loop (``benchmark.training.train_reference``: Adam, early
stopping on a seeded 20 % of the training tracks, the suite's test fold held out) and records
the run in ``training.json``. The input settings come from ``submission.toml``, so the weights
always match what the manifest declares.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

from benchmark.data.protocol import prepare_data
from benchmark.harness.environment import make_deterministic
from benchmark.harness.suite import load_suite
from benchmark.jsonio import atomic_write_json, sha256_file
from benchmark.models.reference import ReferenceModel
from benchmark.models.spec import ModelSpec, TrainingRecipe
from benchmark.registry import REPRESENTATIONS
from benchmark.submission.manifest import read_manifest
from benchmark.training import train_reference

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from model import build  # noqa: E402  (the submission's own module, beside this script)

RECIPE = TrainingRecipe(epochs=20, batch_size=50, learning_rate=3e-3, patience=4, val_fraction=0.2)


def main() -> None:
    make_deterministic()
    manifest = read_manifest(HERE)
    suite = load_suite("quick")
    prepared = prepare_data(
        suite.dataset, suite.dataset_params, segment_seconds=suite.segment_seconds, overlap=suite.overlap
    )
    spec = manifest.input
    representation = REPRESENTATIONS.get(spec.representation_name)(
        sample_rate=spec.sample_rate, **spec.representation_params
    )
    model = ReferenceModel(
        manifest.name,
        ModelSpec(
            architecture=manifest.entry_point,
            representation=spec.representation_name,
            representation_params=spec.representation_params,
            training=RECIPE,
        ),
        representation.eval(),
        build(),
    )
    cpu = torch.device("cpu")
    card = train_reference(model, prepared, test_fold=suite.test_fold, seed=suite.seed, device=cpu)
    weights = HERE / manifest.weights
    state = {name: tensor.contiguous() for name, tensor in model.network.state_dict().items()}
    save_file(state, str(weights))
    atomic_write_json(HERE / "training.json", {**card, "weights_sha256": sha256_file(weights)})
    test = card["clean_accuracy"]["test"]
    print(
        f"test accuracy segment {test['segment']:.3f}, MV {test['mv']:.3f}, SR {test['sr']:.3f} "
        f"({card['training']['epochs_run']} epochs, {card['training']['wall_time_s']:.1f} s) -> {weights}"
    )


if __name__ == "__main__":
    main()
