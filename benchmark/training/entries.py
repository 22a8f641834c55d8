"""Training a suite's reference models into a checkpoint folder, refusing models within chance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from benchmark.data.protocol import PreparedData
from benchmark.errors import BenchmarkError
from benchmark.models.reference import build_reference, load_reference, save_reference
from benchmark.models.spec import ModelSpec
from benchmark.progress import CONSOLE
from benchmark.training.loop import train_reference


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
