"""Fitting the back-ends of Pons & Serra 2019 (sec. 3.2): a grid search on a validation split.

* SVM: scikit-learn ``SVC`` after a ``StandardScaler``, kernels linear and RBF, ``C`` in {0.1, 2, 8, 32}
  and RBF ``gamma`` in {2^-3, 2^-5, ..., 2^-13, 1 / #features} (sec. 3.2; elmarc ``src/main.py``
  ``svm_params``, where the last is ``'auto'``). As the authors' ``GridSearchCV`` with a
  ``PredefinedSplit`` does, the best setting on the validation split is refitted on training +
  validation data.
* ELM: hidden units in {100, 250, 500, 1200, 1800, 2500} (sec. 3.2), ReLU, input weights and biases
  standard normal (the public ELM the authors use, Python-ELM's ``RandomLayer(alpha=1,
  activation_func='reclinear')``, draws both from a standard normal), targets +-1 per class (its
  ``GenELMClassifier``), output weights the least-squares (Moore-Penrose) solution. Standardising the
  features first is our addition, as for the SVM; the refit on training + validation data is too
  (the authors refit the ELM on training data only).

Results are plain arrays for :mod:`benchmark.models.backends`, never estimators.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from benchmark.errors import BenchmarkError


@dataclass
class BackendFit:
    """The refitted back-end's arrays, the chosen setting and the validation score of every setting."""

    arrays: dict[str, np.ndarray]
    chosen: dict[str, Any]
    validation_accuracy: float
    grid: list[dict[str, Any]] = field(default_factory=list)


def _search(
    settings: Sequence[dict[str, Any]],
    fit: Callable[[dict[str, Any], np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]],
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[dict[str, Any], float, list[dict[str, Any]]]:
    """Fit each setting on training data, score it on validation data; the first best wins."""
    train_x, train_y, val_x, val_y = data
    grid = []
    for setting in settings:
        predict = fit(setting, train_x, train_y)
        grid.append({**setting, "validation_accuracy": float((predict(val_x) == val_y).mean())})
    best = max(grid, key=lambda row: row["validation_accuracy"])
    chosen = {k: v for k, v in best.items() if k != "validation_accuracy"}
    return chosen, best["validation_accuracy"], grid


def _resolve_gamma(gamma: float | str, features: int) -> float:
    return 1.0 / features if gamma == "auto" else float(gamma)


def _svc(setting: dict[str, Any], features: int) -> Pipeline:
    gamma = _resolve_gamma(setting.get("gamma", "auto"), features)
    svc = SVC(kernel=setting["kernel"], C=setting["C"], gamma=gamma, break_ties=True)
    return make_pipeline(StandardScaler(), svc)


def svm_settings(
    kernels: Sequence[str], cs: Sequence[float], gammas: Sequence[float | str]
) -> list[dict[str, Any]]:
    """The grid in the paper's order: every RBF (gamma, C), then every linear C."""
    rbf = [{"kernel": "rbf", "gamma": g, "C": c} for g in gammas for c in cs] if "rbf" in kernels else []
    linear = [{"kernel": "linear", "C": c} for c in cs] if "linear" in kernels else []
    return rbf + linear


def svm_arrays(pipeline: Pipeline, num_classes: int) -> dict[str, np.ndarray]:
    """Scaler statistics, support vectors, per-pair dual coefficients (libsvm layout), intercepts."""
    scaler, svc = pipeline[0], pipeline[-1]
    if len(svc.classes_) != num_classes:
        raise BenchmarkError(f"SVM saw {len(svc.classes_)} of {num_classes} classes in its training data")
    starts = np.concatenate([[0], np.cumsum(svc.n_support_)])
    pair_coef = np.zeros((len(svc.support_vectors_), num_classes * (num_classes - 1) // 2))
    pair = 0
    for i in range(num_classes):
        for j in range(i + 1, num_classes):
            rows_i, rows_j = slice(starts[i], starts[i + 1]), slice(starts[j], starts[j + 1])
            pair_coef[rows_i, pair] = svc.dual_coef_[j - 1, rows_i]
            pair_coef[rows_j, pair] = svc.dual_coef_[i, rows_j]
            pair += 1
    gamma = svc.gamma if svc.kernel == "rbf" else 0.0
    return {
        "mean": scaler.mean_,
        "inv_scale": 1.0 / scaler.scale_,
        "support": svc.support_vectors_,
        "pair_coef": pair_coef,
        "intercept": svc.intercept_,
        "gamma": np.array([gamma]),
    }


def fit_svm(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    num_classes: int,
    *,
    settings: Sequence[dict[str, Any]],
) -> BackendFit:
    features = data[0].shape[1]

    def fit(setting: dict[str, Any], x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        return _svc(setting, features).fit(x, y).predict

    chosen, accuracy, grid = _search(settings, fit, data)
    train_x, train_y, val_x, val_y = data
    final = _svc(chosen, features).fit(np.concatenate([train_x, val_x]), np.concatenate([train_y, val_y]))
    return BackendFit(svm_arrays(final, num_classes), chosen, accuracy, grid)


def elm_arrays(
    x: np.ndarray, y: np.ndarray, hidden: int, num_classes: int, seed: int
) -> dict[str, np.ndarray]:
    """Scaler statistics, seeded standard-normal hidden layer, least-squares output weights."""
    scaler = StandardScaler().fit(x)
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((x.shape[1], hidden))
    bias = rng.standard_normal(hidden)
    activations = np.maximum(scaler.transform(x) @ weight + bias, 0.0)
    targets = np.where(y[:, None] == np.arange(num_classes), 1.0, -1.0)
    output, *_ = np.linalg.lstsq(activations, targets, rcond=None)
    return {
        "mean": scaler.mean_,
        "inv_scale": 1.0 / scaler.scale_,
        "hidden_weight": weight,
        "hidden_bias": bias,
        "output_weight": output,
    }


def elm_decisions(arrays: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The ELM's class scores in numpy (the reference the torch module is tested against)."""
    z = (x - arrays["mean"]) * arrays["inv_scale"]
    return np.maximum(z @ arrays["hidden_weight"] + arrays["hidden_bias"], 0.0) @ arrays["output_weight"]


def fit_elm(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    num_classes: int,
    *,
    hidden_units: Sequence[int],
    seed: int,
) -> BackendFit:
    def fit(setting: dict[str, Any], x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        arrays = elm_arrays(x, y, setting["hidden_units"], num_classes, seed)
        return lambda v: elm_decisions(arrays, v).argmax(1)

    chosen, accuracy, grid = _search([{"hidden_units": h} for h in hidden_units], fit, data)
    train_x, train_y, val_x, val_y = data
    x, y = np.concatenate([train_x, val_x]), np.concatenate([train_y, val_y])
    return BackendFit(elm_arrays(x, y, chosen["hidden_units"], num_classes, seed), chosen, accuracy, grid)
