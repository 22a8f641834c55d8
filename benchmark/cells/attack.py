"""The attack cell: one attack through one backend on one model over its budget schedule.

A pure function of its spec and the shared inputs: seeds are set inside, tensors stay on the
inputs' device for the whole cell, and the result is a validated :class:`AttackCell`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from benchmark.attacks.base import AttackResult, build_attack
from benchmark.bootstrap import accuracy_interval
from benchmark.budgets import Bounds, Schedule
from benchmark.cells.inputs import Inputs, batches
from benchmark.cells.testset import TestSet
from benchmark.defenses.base import Defense
from benchmark.defenses.chain import judged_logits
from benchmark.defenses.checks import randomized_output_fraction, zero_gradient_fraction
from benchmark.leaderboard.schema import AttackCell
from benchmark.metrics import (
    correctness,
    cost_to_reach,
    fooling_rate,
    fr_auc,
    mean_std,
    not_finite,
    perturbation_norms,
    snr_db,
)
from benchmark.outcomes import pack, packed, robust
from benchmark.plan.specs import AttackCellSpec
from benchmark.representations.waveform import Waveform
from benchmark.runtime import seed_generators


@dataclass
class AttackView:
    """An attack's problem on one model: what it perturbs, within which bounds, on which schedule."""

    network: torch.nn.Module  # the classifier of ``inputs``
    inputs: torch.Tensor  # every test segment, as the attack sees it
    bounds: Bounds
    inverse: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None  # to audio (None: inputs are audio)
    audible: bool  # whether the inputs are audio or invert to it, so SNR is defined
    schedule: Schedule
    #: where ``inverse`` re-estimates the phase (Griffin-Lim), the same-phase inverse the primary SNR
    #: uses; the SNR through ``inverse`` is then kept as the secondary (Koerich Table VII) value
    same_phase: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None


def attack_view(spec: AttackCellSpec, inputs: Inputs) -> AttackView:
    """What ``spec`` perturbs: the model's representation, or the waveform end to end."""
    model = inputs.model(spec.model)
    if spec.domain == "waveform":
        network: torch.nn.Module = model.defended(end_to_end=True, bpda=spec.bpda)
        return AttackView(network, inputs.test.waveforms, Waveform.bounds, None, True, spec.schedule)
    representation = model.representation
    inverse = representation.inverse if representation.invertible else None
    estimated = representation.invertible and representation.estimates_phase
    same_phase = representation.same_phase_inverse if estimated else None
    return AttackView(
        model.defended(end_to_end=False, bpda=spec.bpda) if model.defenses else model.network,
        model.features,
        representation.bounds,
        inverse,
        representation.invertible,
        spec.schedule,
        same_phase,
    )


def draw_targets(key: str, seed: int, labels: torch.Tensor, classes: int) -> tuple[torch.Tensor, int]:
    """Wrong target labels from a generator seeded by the suite seed and the cell key."""
    targets_seed = (seed * 1_000_003 + int(key[:8], 16)) % 2**31
    generator = torch.Generator().manual_seed(targets_seed)
    offsets = torch.randint(1, classes, (len(labels),), generator=generator)
    return (labels.cpu() + offsets) % classes, targets_seed


def example_index(spec: AttackCellSpec, count: int, device: torch.device) -> torch.Tensor:
    examples = spec.examples
    return torch.arange(count, device=device) if examples is None else torch.tensor(examples, device=device)


class _Collected:
    """Per-budget tensors and counts, accumulated over batches on the device."""

    def __init__(self) -> None:
        self.logits: list[torch.Tensor] = []
        self.norms: dict[str, list[torch.Tensor]] = {"l0": [], "l2": [], "linf": []}
        self.snr: list[torch.Tensor] = []
        self.snr_griffin_lim: list[torch.Tensor] = []
        self.gradient_evals = self.gradient_batches = self.forward_evals = 0


class _Evidence:
    """Masking evidence over a defended cell's clean inputs, example-weighted over batches."""

    def __init__(self) -> None:
        self.examples = 0
        self.zero_gradients = self.randomized = 0.0

    def add(self, network: torch.nn.Module, batch: torch.Tensor, labels: torch.Tensor) -> None:
        count = len(labels)
        self.examples += count
        self.zero_gradients += zero_gradient_fraction(network, batch, labels) * count
        self.randomized += randomized_output_fraction(network, batch) * count

    def record(self, spec: AttackCellSpec, chain: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "chain": chain,
            "gradient_mode": "bpda" if spec.bpda else "standard",
            "eot": spec.eot,
            "draws": spec.draws,
            "zero_gradient_fraction": self.zero_gradients / self.examples,
            "randomized_output_fraction": self.randomized / self.examples,
        }


def _attack_batches(spec: AttackCellSpec, inputs: Inputs, view: AttackView, targets: torch.Tensor | None):
    """Run the attack batch by batch; return the per-budget collections, the attack, the attacked
    indices and (on a defended model) the masking evidence of its clean inputs."""
    attack = build_attack(spec.attack, spec.backend, spec.params, spec.targeted).with_eot(spec.eot)
    evidence = _Evidence() if inputs.model(spec.model).masking_checks else None
    test = inputs.test
    index = example_index(spec, len(test.labels), inputs.device)
    collected = [_Collected() for _ in spec.budgets]
    clean_audio = inputs.clean_audio(spec.model) if view.inverse is not None else None
    seed_generators(spec.seed)  # after every lazy load: building a network draws random weights
    for part in batches(len(index), spec.batch_size):
        rows = index[part]
        batch = view.inputs[rows]
        waveforms = test.waveforms[rows]
        if evidence is not None:
            evidence.add(view.network, batch, test.labels[rows])
        result: AttackResult = attack(
            view.network,
            batch,
            test.labels[rows],
            budgets=view.schedule.budgets,
            bounds=view.bounds,
            targets=targets[part] if targets is not None else None,
            scale=view.schedule.radius_scale(waveforms, attack.norm),
        )
        # SNR (Koerich eq. 3-4) against the clean audio: the waveform itself in the waveform
        # domain, else reconstructed from the clean features where the representation inverts
        # (with the clean waveform's phase where the representation's own inverse estimates it).
        reference = batch if clean_audio is None else clean_audio[rows]
        same_phase_reference = view.same_phase(batch, waveforms) if view.same_phase is not None else None
        for store, output in zip(collected, result.outputs, strict=True):
            judged = output.logits
            if spec.draws > 1:
                judged = judged_logits(view.network, output.adversarial, test.labels[rows], spec.draws)
            store.logits.append(judged)
            for name, values in perturbation_norms(output.adversarial - batch).items():
                store.norms[name].append(values)
            if view.audible:
                audio = (
                    output.adversarial
                    if view.inverse is None
                    else view.inverse(output.adversarial, waveforms)
                )
                snr = snr_db(reference, audio - reference)
                if view.same_phase is not None and same_phase_reference is not None:
                    store.snr_griffin_lim.append(snr)
                    audio = view.same_phase(output.adversarial, waveforms)
                    snr = snr_db(same_phase_reference, audio - same_phase_reference)
                store.snr.append(snr)
            store.gradient_evals += output.gradient_evals
            store.gradient_batches += output.gradient_batches
            store.forward_evals += output.forward_evals
    return collected, attack, index, evidence


def _finite_min(values: torch.Tensor | None) -> float | None:
    finite = values[values.isfinite()] if values is not None else None
    return float(finite.min()) if finite is not None and len(finite) else None


def _correctness(logits: torch.Tensor, test: TestSet) -> dict[str, np.ndarray]:
    bits = correctness(logits, test.labels, test.track_index, test.track_labels)
    return {level: values.numpy() for level, values in bits.items()}


def _budget_point(
    budget: float,
    store: _Collected,
    test: TestSet,
    clean: tuple[torch.Tensor, dict[str, np.ndarray]],
    targets: torch.Tensor | None,
    spec: AttackCellSpec,
) -> dict[str, Any]:
    """One budget's metrics; robust accuracy counts an example only if correct clean *and* under
    attack (RobustBench), per segment and per track (MV / SR), with its track-bootstrap interval."""
    logits = torch.cat(store.logits)
    predictions = logits.argmax(dim=1)
    labels = test.labels
    clean_predictions, clean_correctness = clean
    fooled = predictions == targets if targets is not None else predictions != labels
    clean_correct = int((clean_predictions == labels).sum())
    enough = clean_correct >= spec.min_clean_correct
    fr = fooling_rate(clean_predictions, predictions, labels, targets) if enough else None
    misclassified = fooling_rate(clean_predictions, predictions, labels) if enough else None
    correct = _correctness(logits, test)
    robust_bits = {level: robust(clean_correctness[level], bits) for level, bits in correct.items()}
    return {
        "budget": float(budget),
        "fooling_rate": fr,
        "misclassified_rate": misclassified,
        "success_rate": float(fooled.double().mean()),
        "robust_accuracy": {level: float(bits.mean()) for level, bits in robust_bits.items()},
        "adversarial_accuracy": {level: float(bits.mean()) for level, bits in correct.items()},
        "robust_interval": accuracy_interval(robust_bits, test.track_index.cpu().numpy(), seed=spec.seed),
        "correct": packed(correct),
        "clean_correct": clean_correct,
        "gradient_evals": store.gradient_evals,
        "gradient_batches": store.gradient_batches,
        "forward_evals": store.forward_evals,
        "gradient_evals_per_example": store.gradient_evals / len(labels),
        **{f"{name}_mean": float(torch.cat(values).mean()) for name, values in store.norms.items()},
        **_snr_fields(store),
    }


def _snr_fields(store: _Collected) -> dict[str, Any]:
    """The SNR summary (same-phase where the representation estimates phase) and the Griffin-Lim
    one; each mean counts the examples it leaves out (non-finite SNRs)."""
    snr = torch.cat(store.snr) if store.snr else None
    snr_mean, snr_std = mean_std(snr) if snr is not None else (None, None)
    griffin_lim = torch.cat(store.snr_griffin_lim) if store.snr_griffin_lim else None
    griffin_lim_mean, griffin_lim_std = mean_std(griffin_lim) if griffin_lim is not None else (None, None)
    return {
        "snr_db_mean": snr_mean,
        "snr_db_std": snr_std,
        "snr_db_min": _finite_min(snr),
        "snr_db_excluded": not_finite(snr) if snr is not None else None,
        "snr_db_griffin_lim_mean": griffin_lim_mean,
        "snr_db_griffin_lim_std": griffin_lim_std,
        "snr_db_griffin_lim_excluded": not_finite(griffin_lim) if griffin_lim is not None else None,
    }


def run_attack_cell(spec: AttackCellSpec, inputs: Inputs) -> AttackCell:
    model = inputs.model(spec.model)
    view = attack_view(spec, inputs)
    total = len(inputs.test.labels)
    index = example_index(spec, total, inputs.device)
    test = inputs.test.subset(None if spec.examples is None else index)
    targets, targets_seed = (
        draw_targets(spec.key, spec.seed, test.labels, inputs.num_classes) if spec.targeted else (None, None)
    )
    device_targets = targets.to(inputs.device) if targets is not None else None
    collected, attack, index, evidence = _attack_batches(spec, inputs, view, device_targets)
    count = len(test.labels)
    clean_logits = model.clean_logits[index]
    clean = (clean_logits.argmax(dim=1), _correctness(clean_logits, test))
    evaluated = torch.zeros(total, dtype=torch.bool)
    evaluated[index.cpu()] = True
    per_budget = [
        _budget_point(budget, store, test, clean, device_targets, spec)
        for budget, store in zip(spec.budgets, collected, strict=True)
    ]
    rates = [p["fooling_rate"] if p["fooling_rate"] is not None else float("nan") for p in per_budget]
    defined = all(r == r for r in rates)
    budgets = spec.schedule.budgets
    return AttackCell.model_validate(
        {
            "key": spec.key,
            "attack": spec.attack,
            "backend": spec.backend,
            "domain": spec.domain,
            "norm": attack.norm,
            "budget_unit": spec.schedule.unit(attack.budget_kind, domain=spec.domain),
            "targeted": spec.targeted,
            "targets_seed": targets_seed,
            "targets": targets.tolist() if targets is not None else None,
            "params": attack.hyperparameters(),
            "examples": count,
            "evaluated": pack(evaluated.numpy()),
            "per_budget": per_budget,
            # SNR schedules integrate over the amplitude ratio 10^(-SNR/20), so the axis grows with strength
            "fr_auc": fr_auc(budgets, rates) if defined else None,
            "fr_mean": sum(rates) / len(rates) if defined else None,
            "gradient_evals_to_fr90": cost_to_reach(
                budgets, rates, [p["gradient_evals_per_example"] for p in per_budget]
            ),
            "wall_time_s": 0.0,
            **({} if evidence is None else {"defense": evidence.record(spec, _chain(model.defenses))}),
            **({} if spec.name is None else {"name": spec.name}),
        }
    )


def _chain(defenses: list[Defense]) -> list[dict[str, Any]]:
    return [{"name": defense.name, **defense.parameters_dict()} for defense in defenses]
