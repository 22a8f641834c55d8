"""Pons & Serra 2019 speed: feature extraction of every compact front-end on 64 one-second clips (one
torch thread), and fitting the back-ends of the `pons` suite (the SVM and ELM grid searches on the
VGG features of synth10's training and validation segments).

Run: ``python -m pytest tests/test_bench_pons.py -m benchmark --benchmark-enable``. Each benchmark
stores ``clips_per_s`` or the grid size in ``extra_info``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.data.protocol import prepare_data
from benchmark.models.pons import FRONT_ENDS
from benchmark.models.reference import build_reference
from benchmark.plan.suite import load_suite
from benchmark.random_features import extract_features, fit_backend
from benchmark.registry import MODELS
from benchmark.training.splits import split_masks

pytestmark = pytest.mark.benchmark(group="pons")

CLIPS = 64
#: compact inputs: 1 s at 16 kHz, its 96-band log-mel (hop 256), its 20 MFCCs
SHAPES = {"waveform": (1, 16_000), "mel": (1, 96, 63), "mfcc": (1, 20, 63)}
WAVEFORM = ("sample_level", "frame_level", "frame_level_many_shapes")


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("architecture", [*FRONT_ENDS, "mfcc"])
def test_bench_front_end_features(benchmark, architecture):
    kind = "waveform" if architecture in WAVEFORM else "mfcc" if architecture == "mfcc" else "mel"
    shape = SHAPES[kind]
    model = MODELS.get(f"pons_{architecture}")(input_shape=shape, num_classes=10, config="compact")
    clips = torch.rand(CLIPS, *shape, generator=torch.Generator().manual_seed(0))

    def extract() -> torch.Tensor:
        with torch.no_grad():
            return model.features(clips)

    features = benchmark.pedantic(extract, rounds=3, iterations=1)
    assert features.shape == (CLIPS, model.front_end.feature_size)
    benchmark.extra_info["clips_per_s"] = CLIPS / benchmark.stats.stats.mean


@pytest.fixture(scope="module")
def vgg_data() -> tuple[tuple[np.ndarray, ...], int, dict[str, object]]:
    suite = load_suite("pons")
    prepared = prepare_data(
        suite.dataset, suite.dataset_params, segment_seconds=suite.segment_seconds, overlap=suite.overlap
    )
    spec = suite.models["pons_vgg_svm"]
    sizes = {"sample_rate": prepared.sample_rate, "segment_samples": prepared.segment_samples}
    model = build_reference("pons_vgg_svm", spec, num_classes=prepared.num_classes, **sizes)
    features = extract_features(model, prepared.segments.waveforms, batch_size=64, device=torch.device("cpu"))
    recipe = spec.training
    train, val, _ = split_masks(
        prepared,
        test_fold=suite.test_fold,
        seed=suite.seed,
        val_fraction=recipe.val_fraction,
        validation_fold=recipe.validation_fold,
    )
    labels = prepared.segments.labels.numpy()
    data = (features[train.numpy()], labels[train.numpy()], features[val.numpy()], labels[val.numpy()])
    return data, prepared.num_classes, {"svm": spec.training, "elm": suite.models["pons_vgg_elm"].training}


@pytest.mark.parametrize("backend", ["svm", "elm"])
def test_bench_back_end_fit(benchmark, backend, vgg_data):
    data, num_classes, recipes = vgg_data
    fit = benchmark.pedantic(fit_backend, args=(recipes[backend], data, num_classes), rounds=1, iterations=1)
    assert fit.validation_accuracy > 0.5
    benchmark.extra_info["grid_settings"] = len(fit.grid)
    benchmark.extra_info["train_segments"] = len(data[0])
