"""The gradient training loop of one reference model: Adam, early stopping on the validation
split, the best epoch's weights kept (adversarial batches where the recipe asks)."""

from __future__ import annotations

import copy
import time
from typing import Any

import torch
import torch.nn.functional as F

from benchmark.adversarial_training import adversarial_features
from benchmark.data.protocol import PreparedData
from benchmark.models.reference import ReferenceModel
from benchmark.models.spec import RandomFeaturesRecipe, TrainingRecipe
from benchmark.progress import progress_bar
from benchmark.representations.base import Representation
from benchmark.representations.cache import features_of
from benchmark.training.card import model_card
from benchmark.training.splits import held_out_accuracies, pitch_shifted_segments, split_masks


def compute_features(
    representation: Representation, waveforms: torch.Tensor, *, batch_size: int, device: torch.device
) -> torch.Tensor:
    """The representation of every waveform, batched, on ``device`` (uncached)."""
    return features_of(representation, waveforms, batch_size=batch_size, device=device, cache_root=None)


def _predict(network: torch.nn.Module, features: torch.Tensor, batch_size: int) -> torch.Tensor:
    network.eval()
    with torch.no_grad():
        return torch.cat([network(chunk) for chunk in features.split(batch_size)])


def _pitch_shifted_features(
    model: ReferenceModel,
    prepared: PreparedData,
    factors: tuple[float, ...],
    is_train: torch.Tensor,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """Features and labels of the pitch-shifted training copies, and what the card records of them."""
    train_tracks = prepared.segments.track_index[is_train].unique()
    extra, extra_tracks = pitch_shifted_segments(prepared, train_tracks, factors)
    extra_features = compute_features(model.representation, extra.waveforms, batch_size=256, device=device)
    augmentation = {
        "pitch_shift": list(factors),
        "train_tracks": len(train_tracks),
        "augmented_tracks": extra_tracks,
        "original_train_segments": int(is_train.sum()),
        "augmented_train_segments": len(extra_features),
    }
    return extra_features, extra.labels.to(device), augmentation


def _fit(
    model: ReferenceModel,
    recipe: TrainingRecipe,
    train: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    validation: tuple[torch.Tensor, torch.Tensor],
    *,
    seed: int,
    device: torch.device,
) -> tuple[float, int, int]:
    """Adam epochs over ``train`` (features, labels, waveforms) until the ``validation`` (features,
    labels) accuracy stops improving; loads the best epoch's weights and returns its accuracy, the
    best epoch and the epochs run."""
    train_features, train_labels, train_waveforms = train
    network = model.network.to(device)
    optimizer = torch.optim.Adam(
        [p for p in network.parameters() if p.requires_grad],
        lr=recipe.learning_rate,
        weight_decay=recipe.weight_decay,
    )
    generator = torch.Generator().manual_seed(seed)
    best_accuracy, best_epoch, best_state, epochs_run = -1.0, 0, None, 0
    with progress_bar(f"train {model.entry}", total=recipe.epochs) as advance:
        for epoch in range(1, recipe.epochs + 1):
            network.train()
            order = torch.randperm(len(train_features), generator=generator).to(device)
            for step, batch in enumerate(order.split(recipe.batch_size)):
                inputs = train_features[batch]
                if recipe.adversarial is not None:  # Madry et al. 2018: learn from the PGD adversarial
                    inputs = adversarial_features(
                        recipe.adversarial,
                        model.representation,
                        network,
                        train_waveforms[batch],
                        inputs,
                        train_labels[batch],
                        seed=seed + 1000 * epoch + step,
                    )
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(network(inputs), train_labels[batch]).backward()
                optimizer.step()
            val_logits = _predict(network, validation[0], 256)
            accuracy = float((val_logits.argmax(1) == validation[1]).double().mean())
            epochs_run = epoch
            advance(1, f"val acc {accuracy:.3f}")
            if accuracy > best_accuracy:
                best_accuracy, best_epoch, best_state = accuracy, epoch, copy.deepcopy(network.state_dict())
            elif epoch - best_epoch >= recipe.patience:
                break
    assert best_state is not None
    network.load_state_dict(best_state)
    network.eval()
    return best_accuracy, best_epoch, epochs_run


def train_reference(
    model: ReferenceModel, prepared: PreparedData, *, test_fold: int, seed: int, device: torch.device
) -> dict[str, Any]:
    """Train ``model.network`` in place; return the model-card fields describing the run. A
    ``random_features`` recipe fits a back-end on fixed features instead (Pons & Serra 2019)."""
    recipe = model.spec.training
    if isinstance(recipe, RandomFeaturesRecipe):
        from benchmark.random_features import fit_random_features  # lazy: scikit-learn

        return fit_random_features(model, prepared, test_fold=test_fold, seed=seed, device=device)
    torch.manual_seed(seed)
    started = time.perf_counter()
    segments = prepared.segments
    features = compute_features(model.representation, segments.waveforms, batch_size=256, device=device)
    labels = segments.labels.to(device)
    is_train, is_val, is_test = split_masks(
        prepared, test_fold=test_fold, seed=seed, val_fraction=recipe.val_fraction
    )
    train_index = is_train.nonzero().squeeze(1).to(device)
    train_features, train_labels = features[train_index], labels[train_index]
    train_waveforms = segments.waveforms.to(device)[train_index] if recipe.adversarial else train_features
    augmentation: dict[str, Any] = {}
    if recipe.pitch_shift:
        extra_features, extra_labels, shifted = _pitch_shifted_features(
            model, prepared, recipe.pitch_shift, is_train, device
        )
        train_features = torch.cat([train_features, extra_features])
        train_labels = torch.cat([train_labels, extra_labels])
        augmentation = {"augmentation": shifted}
    validation = (features[is_val.to(device)], labels[is_val.to(device)])
    best_accuracy, best_epoch, epochs_run = _fit(
        model, recipe, (train_features, train_labels, train_waveforms), validation, seed=seed, device=device
    )
    test_logits = _predict(model.network, features[is_test.to(device)], 256).cpu()
    test_accuracy = held_out_accuracies(test_logits, segments, is_test)
    return model_card(
        prepared,
        test_fold=test_fold,
        seed=seed,
        training={
            **recipe.model_dump(mode="json"),
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "train_segments": len(train_features),
            "validation_segments": int(is_val.sum()),
            "wall_time_s": round(time.perf_counter() - started, 3),
            "device": str(device),
            **augmentation,
        },
        clean_accuracy={"validation_segment": best_accuracy, "test": test_accuracy},
    )
