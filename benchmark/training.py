"""Seeded training of reference models with early stopping on a validation split.

The split follows Koerich et al. 2020 (sec. IV): the test fold is held out, and 20 % of the
training *tracks* (stratified by class, seeded) form the validation set, so segments of one
track never sit on both sides. Features are computed once (the representation is fixed),
which is what makes the compact models train in seconds.

A recipe's ``pitch_shift`` factors add one pitch-shifted copy of every *training* track per factor
(Esmaeilpour et al. 2021, sec. 4), cut into segments like the originals; validation and test
tracks are never augmented, so the early-stopping and test numbers stay on real clips.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

import benchmark
from benchmark.adversarial_training import adversarial_features
from benchmark.data.protocol import PreparedData
from benchmark.data.segments import Segments, segment_tracks
from benchmark.errors import BenchmarkError
from benchmark.metrics import accuracies
from benchmark.models.reference import ReferenceModel, build_reference, load_reference, save_reference
from benchmark.models.spec import ModelSpec, RandomFeaturesRecipe
from benchmark.progress import CONSOLE, progress_bar
from benchmark.representations.base import Representation
from benchmark.representations.cache import features_of


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


def pitch_shifted_segments(
    prepared: PreparedData, train_tracks: torch.Tensor, factors: tuple[float, ...]
) -> tuple[Segments, int]:
    """Segments of one pitch-shifted copy of each track in ``train_tracks`` (indices into the
    dataset's tracks) per factor, and how many tracks that made."""
    from benchmark.data.augment import augment_tracks  # lazy: librosa

    tracks = prepared.dataset.tracks()
    if [t.track_id for t in tracks] != prepared.segments.track_ids:
        raise BenchmarkError(f"dataset {prepared.dataset.name!r} returned its tracks in a different order")
    rate = prepared.dataset.sample_rate
    augmented = []
    with progress_bar("pitch-shift training tracks", total=len(train_tracks)) as advance:
        for index in train_tracks.tolist():
            augmented += augment_tracks([tracks[index]], rate, factors)
            advance(1, tracks[index].track_id)
    segments = segment_tracks(
        augmented,
        sample_rate=prepared.sample_rate,
        source_rate=rate,
        segment_seconds=prepared.segment_seconds,
        overlap=prepared.overlap,
        short_clips=prepared.short_clips,
        drop_silence=prepared.drop_silence,
    )
    return segments, len(augmented)


def compute_features(
    representation: Representation, waveforms: torch.Tensor, *, batch_size: int, device: torch.device
) -> torch.Tensor:
    """The representation of every waveform, batched, on ``device`` (uncached)."""
    return features_of(representation, waveforms, batch_size=batch_size, device=device, cache_root=None)


def _predict(network: torch.nn.Module, features: torch.Tensor, batch_size: int) -> torch.Tensor:
    network.eval()
    with torch.no_grad():
        return torch.cat([network(chunk) for chunk in features.split(batch_size)])


def held_out_accuracies(
    test_logits: torch.Tensor, segments: Segments, is_test: torch.Tensor
) -> dict[str, float]:
    """Segment, majority-vote and sum-rule accuracy of the logits of the ``is_test`` segments."""
    test_tracks = segments.track_index[is_test].unique()
    remap = torch.full((len(segments.track_labels),), -1, dtype=torch.long)
    remap[test_tracks] = torch.arange(len(test_tracks))
    return accuracies(
        test_logits,
        segments.labels[is_test],
        remap[segments.track_index[is_test]],
        segments.track_labels[test_tracks],
    )


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
    val_mask_tracks = validation_tracks(
        prepared, test_fold=test_fold, val_fraction=recipe.val_fraction, seed=seed
    )
    is_test = segments.folds == test_fold
    is_val = val_mask_tracks[segments.track_index] & ~is_test
    is_train = ~is_test & ~is_val
    train_index = is_train.nonzero().squeeze(1).to(device)
    train_features, train_labels = features[train_index], labels[train_index]
    train_waveforms = segments.waveforms.to(device)[train_index] if recipe.adversarial else train_features
    augmentation: dict[str, Any] = {}
    if recipe.pitch_shift:
        train_tracks = segments.track_index[is_train].unique()
        extra, extra_tracks = pitch_shifted_segments(prepared, train_tracks, recipe.pitch_shift)
        extra_features = compute_features(
            model.representation, extra.waveforms, batch_size=256, device=device
        )
        train_features = torch.cat([train_features, extra_features])
        train_labels = torch.cat([train_labels, extra.labels.to(device)])
        augmentation = {
            "augmentation": {
                "pitch_shift": list(recipe.pitch_shift),
                "train_tracks": len(train_tracks),
                "augmented_tracks": extra_tracks,
                "original_train_segments": int(is_train.sum()),
                "augmented_train_segments": len(extra_features),
            }
        }
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
    test_accuracy = held_out_accuracies(test_logits, segments, is_test)
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
            "train_segments": len(train_features),
            "validation_segments": int(is_val.sum()),
            "wall_time_s": round(time.perf_counter() - started, 3),
            "device": str(device),
            **augmentation,
        },
        "clean_accuracy": {"validation_segment": best_accuracy, "test": test_accuracy},
        "harness_version": benchmark.__version__,
        "torch_version": torch.__version__,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def within_chance(accuracy: float, num_classes: int, segments: int) -> bool:
    """True when a validation accuracy does not beat guessing: it lies at most two binomial
    standard errors, ``2 sqrt(p (1 - p) / n)`` with ``p = 1 / num_classes``, above ``p``
    (one-sided, about 97.7 %; segments of one track are correlated, so this is lenient)."""
    if segments < 1:
        return False
    chance = 1.0 / num_classes
    return accuracy <= chance + 2.0 * math.sqrt(chance * (1.0 - chance) / segments)


def _keep(entry: str, card: dict[str, Any], save_at_chance: bool) -> bool:
    """Report a trained model within chance; False when it must not be saved."""
    accuracy = card["clean_accuracy"]["validation_segment"]
    segments, classes = card["training"]["validation_segments"], card["num_classes"]
    if not within_chance(accuracy, classes, segments):
        return True
    CONSOLE.print(
        f"{entry}: validation accuracy {accuracy:.3f} is within chance (1/{classes} = {1 / classes:.3f}, "
        f"+2 standard errors over {segments} segments); {'saved anyway' if save_at_chance else 'not saved'}"
    )
    return save_at_chance


def train_entries(
    models: Mapping[str, ModelSpec],
    prepared: PreparedData,
    folder: Path,
    *,
    suite: str,
    test_fold: int,
    seed: int,
    device: torch.device,
    reuse: bool = False,
    independent_init: bool = False,
    save_at_chance: bool = True,
) -> list[dict[str, Any]]:
    """Train each model of ``models`` into ``folder``; return their cards.

    Every model is built before any trains, so a bad representation setting fails with nothing
    written (under ``fork_rng``, so initial weights are what they were without the check). With
    ``reuse``, a checkpoint already in ``folder`` for the same spec and data is kept (a resumed
    sweep); with ``independent_init``, each model's initial weights come from ``seed`` alone
    rather than from the generator's state after the models trained before it. Without
    ``save_at_chance`` a model within chance (:func:`within_chance`) is reported and not saved, and
    a one-line error naming them ends the run after the others are saved.
    """
    sizes = {
        "sample_rate": prepared.sample_rate,
        "segment_samples": prepared.segment_samples,
        "num_classes": prepared.num_classes,
    }
    with torch.random.fork_rng(devices=[]):
        for entry, spec in models.items():
            build_reference(entry, spec, **sizes)
    cards, at_chance = [], []
    for entry, spec in models.items():
        if reuse:
            try:
                _, card = load_reference(entry, spec, folder, suite=suite, **sizes)
                if card.get("dataset", {}).get("content_sha256") == prepared.identity["content_sha256"]:
                    CONSOLE.print(f"{entry}: reusing the checkpoint in {folder}")
                    cards.append(card)
                    continue
            except BenchmarkError:
                pass
        if independent_init:
            torch.manual_seed(seed)
        model = build_reference(entry, spec, **sizes)
        card = train_reference(model, prepared, test_fold=test_fold, seed=seed, device=device)
        if not _keep(entry, card, save_at_chance):
            at_chance.append(entry)
            continue
        weights = save_reference(model, folder, card)
        test = card["clean_accuracy"]["test"]
        print(
            f"{entry}: test accuracy segment {test['segment']:.3f}, MV {test['mv']:.3f}, SR {test['sr']:.3f} "
            f"({card['training']['epochs_run']} epochs, {card['training']['wall_time_s']:.1f} s) -> {weights}"
        )
        cards.append(card)
    if at_chance:
        raise BenchmarkError(
            f"{', '.join(at_chance)} trained to within chance and {'was' if len(at_chance) == 1 else 'were'} "
            "not saved; train longer or on more data, or pass --force to keep them"
        )
    return cards
