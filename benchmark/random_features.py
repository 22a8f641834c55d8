"""Fitting a ``random_features`` reference model (Pons & Serra 2019, sec. 3): extract the frozen
front-end's feature vector of every segment once, grid-search the back-end on a validation split,
refit the best setting on training + validation data and score the test fold.

The split: ``validation_fold`` when the recipe names one (GTZAN's fault-filtered split has its own
197 validation songs, sec. 3.3), else the stratified, seeded ``val_fraction`` of training tracks that
gradient training uses (:func:`benchmark.training.splits.validation_tracks`), so both kinds of model see the
same held-out data. The model card has the same fields as a trained model's, with ``epochs_run`` 0.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from benchmark.data.protocol import PreparedData
from benchmark.models.backend_fit import BackendFit, fit_elm, fit_svm, svm_settings
from benchmark.models.reference import ReferenceModel
from benchmark.models.spec import RandomFeaturesRecipe
from benchmark.progress import progress_bar
from benchmark.training.card import model_card
from benchmark.training.splits import held_out_accuracies, split_masks


def front_end_sha256(front_end: nn.Module) -> str:
    """sha256 of every front-end weight (name, shape, float32 bytes): pins its rebuild from the seed."""
    digest = hashlib.sha256()
    for name, tensor in sorted(front_end.named_buffers()):
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().to(torch.float32).cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def extract_features(
    model: ReferenceModel, waveforms: torch.Tensor, *, batch_size: int, device: torch.device
) -> np.ndarray:
    """The front-end's feature vector of every waveform ``(N, D)``, representation applied batch by batch."""
    network = model.network.to(device).eval()
    representation = model.representation.to(device)
    chunks = []
    with torch.no_grad(), progress_bar(f"features {model.entry}", total=len(waveforms)) as advance:
        for batch in waveforms.split(batch_size):
            chunks.append(network.features(representation(batch.to(device))).double().cpu())
            advance(len(batch))
    return torch.cat(chunks).numpy()


def fit_backend(recipe: RandomFeaturesRecipe, data: tuple[np.ndarray, ...], num_classes: int) -> BackendFit:
    if recipe.backend == "svm":
        settings = svm_settings(recipe.kernels, recipe.c, recipe.gamma)
        return fit_svm(data, num_classes, settings=settings)
    return fit_elm(data, num_classes, hidden_units=recipe.hidden_units, seed=recipe.seed)


def fit_random_features(
    model: ReferenceModel, prepared: PreparedData, *, test_fold: int, seed: int, device: torch.device
) -> dict[str, Any]:
    """Fit ``model.network.head`` in place; return the model-card fields describing the fit."""
    recipe = model.spec.training
    assert isinstance(recipe, RandomFeaturesRecipe)
    started = time.perf_counter()
    segments = prepared.segments
    features = extract_features(model, segments.waveforms, batch_size=recipe.batch_size, device=device)
    extracted = time.perf_counter()
    is_train, is_val, is_test = split_masks(
        prepared,
        test_fold=test_fold,
        seed=seed,
        val_fraction=recipe.val_fraction,
        validation_fold=recipe.validation_fold,
    )
    labels = segments.labels.numpy()
    train, val = is_train.numpy(), is_val.numpy()
    fit = fit_backend(
        recipe, (features[train], labels[train], features[val], labels[val]), prepared.num_classes
    )
    head = model.network.head
    head.assign(fit.arrays)
    head.to(device)
    with torch.no_grad():
        test_logits = head(torch.from_numpy(features[is_test.numpy()]).to(device)).cpu()
    return model_card(
        prepared,
        test_fold=test_fold,
        seed=seed,
        front_end={
            "feature_size": int(features.shape[1]),
            "weights_sha256": front_end_sha256(model.network.front_end),
        },
        training={
            **recipe.model_dump(mode="json"),
            "epochs_run": 0,
            "backend_chosen": fit.chosen,
            "backend_grid": fit.grid,
            "train_segments": int(is_train.sum()),
            "validation_segments": int(is_val.sum()),
            "feature_extraction_s": round(extracted - started, 3),
            "backend_fit_s": round(time.perf_counter() - extracted, 3),
            "wall_time_s": round(time.perf_counter() - started, 3),
            "device": str(device),
        },
        clean_accuracy={
            "validation_segment": fit.validation_accuracy,
            "test": held_out_accuracies(test_logits, segments, is_test),
        },
    )
