"""Pons & Serra 2019 back-ends: the torch modules reproduce scikit-learn's SVC and the least-squares
ELM on held-out data, gradients reach the input, the arrays survive a safetensors round trip, and a
recipe outside the paper's grids is one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError
from safetensors.torch import load_file, save_file
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from benchmark.models.backend_fit import elm_arrays, elm_decisions, fit_elm, fit_svm, svm_arrays, svm_settings
from benchmark.models.backends import ELMHead, SVMHead
from benchmark.models.spec import ModelSpec, RandomFeaturesRecipe, TrainingRecipe
from benchmark.validation import first_error


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, ...]:
    """Five classes, 40 features (scaled and shifted, so the scaler matters); 300 train, 150 held out."""
    x, y = make_classification(
        n_samples=450, n_features=40, n_informative=12, n_classes=5, n_clusters_per_class=1, random_state=0
    )
    x = x * np.linspace(0.1, 20, 40) + np.linspace(-5, 50, 40)
    return x[:300], y[:300], x[300:], y[300:]


@pytest.mark.parametrize(("kernel", "gamma"), [("rbf", 2**-5), ("rbf", 1 / 40), ("linear", "scale")])
def test_svm_head_equals_scikit_learn_on_held_out_data(data, kernel, gamma):
    train_x, train_y, test_x, _ = data
    svc = SVC(kernel=kernel, C=2.0, gamma=gamma, decision_function_shape="ovo", break_ties=True)
    pipeline = make_pipeline(StandardScaler(), svc).fit(train_x, train_y)
    head = SVMHead(40, 5)
    head.assign(svm_arrays(pipeline, 5))
    x = torch.from_numpy(test_x).float()
    ovo = head.pair_decisions(x).numpy()
    np.testing.assert_allclose(ovo, pipeline.decision_function(test_x.astype(np.float32)), atol=1e-5)
    svc.set_params(decision_function_shape="ovr")
    logits = head(x).numpy()
    np.testing.assert_allclose(logits, pipeline.decision_function(test_x.astype(np.float32)), atol=1e-5)
    assert (logits.argmax(1) == pipeline.predict(test_x.astype(np.float32))).all()


def test_elm_output_weights_are_the_least_squares_solution_and_the_head_reproduces_them(data):
    train_x, train_y, test_x, _ = data
    arrays = elm_arrays(train_x, train_y, 100, 5, seed=3)
    hidden = np.maximum(
        StandardScaler().fit(train_x).transform(train_x) @ arrays["hidden_weight"] + arrays["hidden_bias"], 0
    )
    targets = np.where(train_y[:, None] == np.arange(5), 1.0, -1.0)
    reference = LinearRegression(fit_intercept=False).fit(hidden, targets).coef_.T
    np.testing.assert_allclose(arrays["output_weight"], reference, atol=1e-8)
    head = ELMHead(40, 5)
    head.assign(arrays)
    scores = head(torch.from_numpy(test_x).float()).numpy()
    np.testing.assert_allclose(scores, elm_decisions(arrays, test_x.astype(np.float32)), atol=1e-5)


def test_grid_search_scores_every_setting_and_refits_the_best(data):
    train_x, train_y, test_x, _ = data
    split = (train_x[:200], train_y[:200], train_x[200:], train_y[200:])
    settings = svm_settings(("rbf", "linear"), (0.1, 2.0, 8.0, 32.0), (2**-3, 2**-13, "auto"))
    fit = fit_svm(split, 5, settings=settings)
    assert len(fit.grid) == 3 * 4 + 4
    assert fit.validation_accuracy == max(row["validation_accuracy"] for row in fit.grid)
    chosen = {**fit.chosen, "gamma": 1 / 40 if fit.chosen.get("gamma") == "auto" else fit.chosen.get("gamma")}
    svc = SVC(kernel=chosen["kernel"], C=chosen["C"], gamma=chosen["gamma"] or "scale", break_ties=True)
    reference = make_pipeline(StandardScaler(), svc).fit(train_x, train_y)  # refit on train + validation
    head = SVMHead(40, 5)
    head.assign(fit.arrays)
    predicted = head(torch.from_numpy(test_x)).argmax(1).numpy()
    assert (predicted == reference.predict(test_x)).all()
    elm = fit_elm(split, 5, hidden_units=(100, 250), seed=0)
    assert [row["hidden_units"] for row in elm.grid] == [100, 250]
    assert elm.arrays["hidden_weight"].shape == (40, elm.chosen["hidden_units"])


@pytest.mark.parametrize("head_class", [SVMHead, ELMHead])
def test_heads_are_differentiable_and_round_trip_through_safetensors(data, head_class, tmp_path):
    train_x, train_y, test_x, _ = data
    head = head_class(40, 5)
    if head_class is SVMHead:
        svc = SVC(kernel="rbf", C=2.0, gamma=2**-5, break_ties=True)
        head.assign(svm_arrays(make_pipeline(StandardScaler(), svc).fit(train_x, train_y), 5))
    else:
        head.assign(elm_arrays(train_x, train_y, 250, 5, seed=0))
    x = torch.from_numpy(test_x[:8]).float().requires_grad_(True)
    head(x).max(1).values.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    save_file(head.state_dict(), str(tmp_path / "head.safetensors"))
    loaded = head_class(40, 5)
    loaded.load_state_dict(load_file(str(tmp_path / "head.safetensors")), strict=True)
    assert torch.equal(loaded(x), head(x))
    with pytest.raises(RuntimeError, match="back-end expects 39 features"):
        head_class(39, 5).load_state_dict(head.state_dict(), strict=True)


@pytest.mark.parametrize(
    ("training", "message"),
    [
        (
            {"kind": "random_features", "backend": "knn"},
            "training.random_features.backend: Input should be 'svm' or 'elm'",
        ),
        (
            {"kind": "random_features", "backend": "svm", "kernels": ["poly"]},
            "kernels ['poly'] must be a non-empty subset of ['rbf', 'linear']",
        ),
        (
            {"kind": "random_features", "backend": "svm", "c": [1.0]},
            "c [1.0] must be a non-empty subset of [0.1, 2.0, 8.0, 32.0]",
        ),
        (
            {"kind": "random_features", "backend": "svm", "gamma": [0.5]},
            "gamma [0.5] must be a non-empty subset",
        ),
        (
            {"kind": "random_features", "backend": "elm", "hidden_units": [50]},
            "hidden_units [50] must be non-empty, each in [100, 2500]",
        ),
    ],
)
def test_a_recipe_outside_the_papers_grids_is_one_line(training, message):
    with pytest.raises(ValidationError) as error:
        ModelSpec.model_validate({"architecture": "pons_vgg", "representation": "mel", "training": training})
    assert message in first_error(error.value)


def test_recipes_dispatch_on_kind_and_gradient_recipes_dump_as_before():
    spec = ModelSpec.model_validate(
        {
            "architecture": "pons_vgg",
            "representation": "mel",
            "training": {"kind": "random_features", "backend": "elm"},
        }
    )
    assert isinstance(spec.training, RandomFeaturesRecipe)
    assert spec.training.builder_kwargs() == {"seed": 0, "backend": "elm"}
    plain = ModelSpec.model_validate(
        {"architecture": "cnn2d", "representation": "stft", "training": {"epochs": 3}}
    )
    assert isinstance(plain.training, TrainingRecipe) and plain.training.builder_kwargs() == {}
    assert "kind" not in plain.model_dump(mode="json")["training"]
