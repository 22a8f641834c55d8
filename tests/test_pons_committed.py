"""The committed Pons back-ends of the `pons` suite: plain safetensors arrays and a card, the
front-end rebuilt from its seed matches the card's hash, and the loaded model reproduces the card's
clean test accuracy end to end (representation -> random front-end -> back-end)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from benchmark.data.protocol import prepare_data
from benchmark.models.backends import ELM_ARRAYS, SVM_ARRAYS
from benchmark.models.reference import load_reference
from benchmark.models.spec import RandomFeaturesRecipe
from benchmark.paths import project_root
from benchmark.plan.suite import load_suite
from benchmark.random_features import front_end_sha256
from benchmark.training import held_out_accuracies

SUITE = load_suite("pons")
PONS = [entry for entry, spec in SUITE.models.items() if isinstance(spec.training, RandomFeaturesRecipe)]


@pytest.fixture(scope="module")
def prepared():
    return prepare_data(
        SUITE.dataset, SUITE.dataset_params, segment_seconds=SUITE.segment_seconds, overlap=SUITE.overlap
    )


@pytest.mark.parametrize("entry", PONS)
def test_committed_back_ends_load_and_reproduce_their_cards(entry, prepared):
    spec = SUITE.models[entry]
    model, card = load_reference(
        entry,
        spec,
        project_root() / "baselines",
        suite=SUITE.name,
        sample_rate=prepared.sample_rate,
        segment_samples=prepared.segment_samples,
        num_classes=prepared.num_classes,
    )
    arrays = SVM_ARRAYS if spec.training.backend == "svm" else ELM_ARRAYS
    stored = load_file(str(project_root() / "baselines" / card["weights_file"]))
    assert sorted(stored) == sorted(f"head.{name}" for name in arrays)  # no front-end weight is stored
    assert card["front_end"]["weights_sha256"] == front_end_sha256(model.network.front_end)
    assert card["training"]["epochs_run"] == 0 and card["training"]["backend_chosen"]
    segments = prepared.segments
    is_test = segments.folds == SUITE.test_fold
    with torch.no_grad():
        logits = model.classifier()(segments.waveforms[is_test])
    measured = held_out_accuracies(logits, segments, is_test)
    assert measured == pytest.approx(card["clean_accuracy"]["test"], abs=1e-9)
