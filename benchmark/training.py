"""Seeded training of reference models with early stopping on a validation split.

The split follows Koerich et al. 2020 (sec. IV): the test fold is held out, and 20 % of the
training *tracks* (stratified by class, seeded) form the validation set, so segments of one
track never sit on both sides. Features are computed once (the representation is fixed),
which is what makes the compact models train in seconds.
"""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from typing import Any

import torch
import torch.nn.functional as F

import benchmark
from benchmark.data.protocol import PreparedData
from benchmark.metrics import accuracies
from benchmark.models.reference import ReferenceModel
from benchmark.progress import progress_bar
from benchmark.representations.base import Representation


def validation_tracks(
    prepared: PreparedData, *, test_fold: int, val_fraction: float, seed: int
) -> torch.Tensor:
    """Boolean mask over tracks: the stratified, seeded validation subset of the training folds."""
    segments = prepared.segments
    track_folds = torch.zeros(len(segments.track_labels), dtype=torch.long)
    track_folds[segments.track_index] = segments.folds
    generator = torch.Generator().manual_seed(seed)
    mask = torch.zeros(len(segments.track_labels), dtype=torch.bool)
    for label in segments.track_labels.unique():
        candidates = ((segments.track_labels == label) & (track_folds != test_fold)).nonzero().squeeze(1)
        count = max(1, round(val_fraction * len(candidates)))
        chosen = candidates[torch.randperm(len(candidates), generator=generator)[:count]]
        mask[chosen] = True
    return mask


def compute_features(
    representation: Representation, waveforms: torch.Tensor, *, batch_size: int, device: torch.device
) -> torch.Tensor:
    """The representation of every waveform, batched, on ``device``."""
    representation = representation.to(device)
    with torch.no_grad():
        return torch.cat([representation(chunk.to(device)) for chunk in waveforms.split(batch_size)])


def _predict(network: torch.nn.Module, features: torch.Tensor, batch_size: int) -> torch.Tensor:
    network.eval()
    with torch.no_grad():
        return torch.cat([network(chunk) for chunk in features.split(batch_size)])


def train_reference(
    model: ReferenceModel, prepared: PreparedData, *, test_fold: int, seed: int, device: torch.device
) -> dict[str, Any]:
    """Train ``model.network`` in place; return the model-card fields describing the run."""
    recipe = model.spec.training
    torch.manual_seed(seed)
    started = time.perf_counter()
    segments = prepared.segments
    features = compute_features(model.representation, segments.waveforms, batch_size=256, device=device)
    labels = segments.labels.to(device)
    val_mask_tracks = validation_tracks(
        prepared, test_fold=test_fold, val_fraction=recipe.val_fraction, seed=seed
    )
    is_test = segments.folds == test_fold
    is_val = val_mask_tracks[segments.track_index] & ~is_test
    is_train = ~is_test & ~is_val
    train_index = is_train.nonzero().squeeze(1).to(device)
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
            order = train_index[torch.randperm(len(train_index), generator=generator).to(device)]
            for batch in order.split(recipe.batch_size):
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(network(features[batch]), labels[batch]).backward()
                optimizer.step()
            val_logits = _predict(network, features[is_val.to(device)], 256)
            accuracy = float((val_logits.argmax(1) == labels[is_val.to(device)]).double().mean())
            epochs_run = epoch
            advance(1, f"val acc {accuracy:.3f}")
            if accuracy > best_accuracy:
                best_accuracy, best_epoch, best_state = accuracy, epoch, copy.deepcopy(network.state_dict())
            elif epoch - best_epoch >= recipe.patience:
                break
    assert best_state is not None
    network.load_state_dict(best_state)
    network.eval()
    test_logits = _predict(network, features[is_test.to(device)], 256).cpu()
    test_tracks = segments.track_index[is_test].unique()
    remap = torch.full((len(segments.track_labels),), -1, dtype=torch.long)
    remap[test_tracks] = torch.arange(len(test_tracks))
    test_accuracy = accuracies(
        test_logits,
        segments.labels[is_test],
        remap[segments.track_index[is_test]],
        segments.track_labels[test_tracks],
    )
    return {
        "dataset": prepared.identity,
        "test_fold": test_fold,
        "seed": seed,
        "sample_rate": prepared.sample_rate,
        "segment_samples": prepared.segment_samples,
        "num_classes": prepared.num_classes,
        "training": {
            **recipe.model_dump(mode="json"),
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "train_segments": int(is_train.sum()),
            "validation_segments": int(is_val.sum()),
            "wall_time_s": round(time.perf_counter() - started, 3),
            "device": str(device),
        },
        "clean_accuracy": {"validation_segment": best_accuracy, "test": test_accuracy},
        "harness_version": benchmark.__version__,
        "torch_version": torch.__version__,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
