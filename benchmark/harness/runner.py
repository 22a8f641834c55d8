"""Run a suite: dataset -> segments -> representation -> model -> attack -> metrics -> entries.

Everything that can be wrong with the input (unknown names, bad budgets, attack parameters,
missing or corrupt checkpoints) is checked before the first cell runs, so a bad suite fails
in one line with nothing written. Each finished cell goes to the content-addressed cache at
once; leaderboard files are written (atomically, validated) only when every cell is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel

import benchmark
from benchmark.attacks.base import Attack, check_budgets, snr_radius_scale
from benchmark.data.protocol import PreparedData, prepare_data
from benchmark.errors import BenchmarkError
from benchmark.harness.cache import CellCache
from benchmark.harness.environment import environment, git_state
from benchmark.harness.suite import SNR_DB, AttackSpec, Suite, TransferabilitySpec, TransferSpec
from benchmark.jsonio import sha256_file, sha256_of
from benchmark.leaderboard.io import entry_path, validate_entry, write_entry
from benchmark.leaderboard.schema import (
    SCHEMA_VERSION,
    AttackCell,
    LeaderboardEntry,
    TransferabilityRow,
    TransferResult,
    budget_unit,
)
from benchmark.leaderboard.scoring import masking_flags, primary_score
from benchmark.metrics import (
    accuracies,
    cost_to_reach,
    fooling_rate,
    fr_auc,
    mean_std,
    perturbation_norms,
    snr_db,
)
from benchmark.models.reference import load_reference
from benchmark.progress import CONSOLE, progress_bar
from benchmark.registry import ATTACKS
from benchmark.representations.base import Bounds, Representation, build_representation, domain_widths
from benchmark.representations.cache import features_of
from benchmark.representations.waveform import Waveform


@dataclass
class TestSet:
    """The test fold's segments, with track indices renumbered from 0."""

    waveforms: torch.Tensor
    labels: torch.Tensor
    track_index: torch.Tensor
    track_labels: torch.Tensor

    @classmethod
    def from_prepared(cls, prepared: PreparedData, test_fold: int, tracks_per_class: int | None) -> TestSet:
        segments = prepared.segments
        in_fold = segments.folds == test_fold
        if not bool(in_fold.any()):
            raise BenchmarkError(
                f"test fold {test_fold} is empty; dataset {prepared.dataset.name!r} has folds "
                f"0..{prepared.dataset.num_folds - 1}"
            )
        tracks = segments.track_index[in_fold].unique()
        if tracks_per_class is not None:
            labels = segments.track_labels[tracks]
            rank = torch.stack([(labels[:i] == labels[i]).sum() for i in range(len(tracks))])
            tracks = tracks[rank < tracks_per_class]
        mask = torch.isin(segments.track_index, tracks)
        remap = torch.full((len(segments.track_labels),), -1, dtype=torch.long)
        remap[tracks] = torch.arange(len(tracks))
        return cls(
            segments.waveforms[mask],
            segments.labels[mask],
            remap[segments.track_index[mask]],
            segments.track_labels[tracks],
        )

    def subset(self, index: torch.Tensor) -> TestSet:
        """The segments at ``index``, with only their tracks (renumbered from 0)."""
        tracks, track_index = self.track_index[index].unique(return_inverse=True)
        return TestSet(self.waveforms[index], self.labels[index], track_index, self.track_labels[tracks])

    def accuracy(self, logits: torch.Tensor) -> dict[str, float]:
        return accuracies(logits, self.labels, self.track_index, self.track_labels)


@dataclass
class AttackView:
    """An attack's problem on one model: what it perturbs, within which bounds, on which schedule."""

    network: torch.nn.Module  # the classifier of ``inputs``
    inputs: torch.Tensor  # every test segment, as the attack sees it
    bounds: Bounds
    inverse: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None  # to audio (None: inputs are audio)
    audible: bool  # whether the inputs are audio or invert to it, so SNR is defined
    declared: list[float]  # the schedule as the suite declares it (SNR targets in dB)
    budgets: list[float]  # the schedule as the attack takes it (SNR -> amplitude ratio, ascending)
    table: str  # the suite's budget-table key the schedule came from


def seed_generators(seed: int) -> None:
    """Seed torch's and NumPy's global generators at the start of every cell: ART draws its random
    restarts and Square's squares from NumPy's, Foolbox and the native engine from torch's, so a
    cell's numbers do not depend on which cells ran before it in the process (resume, cache)."""
    torch.manual_seed(seed)
    np.random.seed(seed)


def _finite_min(values: torch.Tensor | None) -> float | None:
    finite = values[values.isfinite()] if values is not None else None
    return float(finite.min()) if finite is not None and len(finite) else None


@dataclass
class Job:
    """One cell to run: which entry's file it belongs to, its key, and how to compute it."""

    kind: str
    owner: str
    key: str
    label: str
    schema: type[BaseModel]
    compute: Callable[[str], dict[str, Any]]


@dataclass
class LoadedModel:
    """A classifier ready to attack: a reference model from baselines/ or a submitted model."""

    entry: str
    representation: Representation
    network: torch.nn.Module
    identity: dict[str, Any]  # what identifies the model in its cell keys: spec and weights' sha256
    info: dict[str, Any]  # architecture, config, parameters, checkpoint_sha256 (schema ModelInfo)
    features: torch.Tensor  # test-set model inputs, on the device
    clean_logits: torch.Tensor  # on the CPU
    submission: dict[str, Any] | None = None  # schema SubmissionInfo, for submitted models

    @property
    def domain(self) -> str:
        return "waveform" if self.representation.name == "waveform" else "representation"


def _batches(count: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def _logits(network: torch.nn.Module, inputs: torch.Tensor, batch_size: int) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([network(inputs[part]).cpu() for part in _batches(len(inputs), batch_size)])


def build_attack(name: str, backend: str, params: dict[str, Any], targeted: bool) -> Attack:
    """Instantiate ``name/backend``; a wrong hyperparameter is a one-line error naming it."""
    cls = ATTACKS.get(f"{name}/{backend}")
    if targeted and not cls.supports_targeted:
        raise BenchmarkError(
            f"attack {name!r} (backend {backend!r}) has no targeted mode; set targeted = false"
        )
    try:
        return cls(targeted=targeted, **params)
    except TypeError as error:
        raise BenchmarkError(
            f"attack {name!r} (backend {backend!r}): {error}; check its params in the suite"
        ) from None


class SuiteRunner:
    def __init__(
        self,
        suite: Suite,
        *,
        device: torch.device,
        baselines: Path,
        output_root: Path,
        cache: CellCache,
        data_root: Path | None = None,
    ) -> None:
        self.suite = suite
        self.device = device
        self.baselines = baselines
        self.output_root = output_root
        self.cache = cache
        self._reconstructed: dict[str, torch.Tensor] = {}
        #: ``--data-root``: where a real dataset's files are (None: generated data or the suite's own)
        self.data_root = data_root

    # -- preparation: everything that can fail on bad input happens here -----------------
    def prepare(self) -> None:
        suite = self.suite
        self.prepared = prepare_data(
            suite.dataset,
            suite.dataset_params,
            segment_seconds=suite.segment_seconds,
            overlap=suite.overlap,
            root=self.data_root,
        )
        self.test = TestSet.from_prepared(self.prepared, suite.test_fold, suite.test_tracks_per_class)
        for spec in suite.models.values():  # bad representation settings fail before any checkpoint is read
            build_representation(spec.representation, self.prepared.sample_rate, spec.representation_params)
        self.models = self.load_models()
        self.attack_cells = [
            (spec, entry, backend)
            for spec in suite.attacks
            for entry in self.attacked_by(spec)
            for backend in spec.backends
        ]
        self.transfers = [t for t in suite.transfer if {t.source, t.target} <= self.models.keys()]
        self.transferabilities = [t for t in suite.transferability if set(t.models) <= self.models.keys()]
        for table in self.transferabilities:
            bounds = self.models[table.models[0]].representation.bounds
            for name, budget in table.attacks.items():
                attack_name, backend = name.split("/", 1)
                attack = build_attack(attack_name, backend, {}, False)
                check_budgets(attack_name, backend, [budget], bounds, attack.norm, attack.budget_kind)
        for spec, entry, backend in self.attack_cells:
            view = self.attack_view(spec, entry)
            attack = build_attack(spec.attack, backend, spec.params, spec.targeted)
            check_budgets(spec.attack, backend, view.budgets, view.bounds, attack.norm, attack.budget_kind)
            if view.table == SNR_DB:
                attack.require_per_example_budgets()
        for transfer in self.transfers:
            source, target = self.models[transfer.source], self.models[transfer.target]
            if not source.representation.invertible:
                raise BenchmarkError(
                    f"transfer source {transfer.source!r} has a representation without an inverse"
                )
            if target.domain != "waveform":
                raise BenchmarkError(f"transfer target {transfer.target!r} must be a waveform model")
            for name in transfer.attacks:
                attack, backend = name.split("/", 1)
                build_attack(attack, backend, {}, False)
                cls = ATTACKS.get(name)
                check_budgets(
                    attack,
                    backend,
                    [transfer.budget],
                    source.representation.bounds,
                    cls.norm,
                    cls.budget_kind,
                )

    def load_models(self) -> dict[str, LoadedModel]:
        """The models to evaluate, by entry name: the suite's reference models."""
        return {entry: self._load(entry) for entry in self.suite.models}

    def attacked_by(self, spec: AttackSpec) -> list[str]:
        """The entries an attack spec runs on."""
        return spec.models

    def ready(
        self,
        entry: str,
        representation: Representation,
        network: torch.nn.Module,
        *,
        identity: dict[str, Any],
        info: dict[str, Any],
        submission: dict[str, Any] | None = None,
    ) -> LoadedModel:
        """Move a model to the device and compute its test-set inputs and clean logits."""
        representation.to(self.device)
        network.to(self.device)
        features = features_of(
            representation,
            self.test.waveforms,
            batch_size=self.suite.batch_size,
            device=self.device,
            cache_root=self.cache.folder,
        )
        clean_logits = _logits(network, features, self.suite.batch_size)
        return LoadedModel(entry, representation, network, identity, info, features, clean_logits, submission)

    def _load(self, entry: str) -> LoadedModel:
        spec = self.suite.models[entry]
        reference, card = load_reference(
            entry,
            spec,
            self.baselines,
            suite=self.suite.name,
            sample_rate=self.prepared.sample_rate,
            segment_samples=self.prepared.segment_samples,
            num_classes=self.prepared.num_classes,
        )
        if card.get("dataset", {}).get("content_sha256") != self.prepared.identity["content_sha256"]:
            raise BenchmarkError(
                f"checkpoint {entry!r} was trained on different data than this suite's "
                f"{self.suite.dataset!r}; run `arb train --suite {self.suite.name}`"
            )
        checkpoint_sha256 = sha256_file(self.baselines / card["weights_file"])
        return self.ready(
            entry,
            reference.representation,
            reference.network,
            identity={"spec": spec.model_dump(mode="json"), "checkpoint_sha256": checkpoint_sha256},
            info={
                "architecture": spec.architecture,
                "config": spec.config,
                "parameters": reference.parameter_count(),
                "checkpoint_sha256": checkpoint_sha256,
            },
        )

    # -- cell keys -------------------------------------------------------------------------
    def _common_key(self, entry: str) -> dict[str, Any]:
        model = self.models[entry]
        return {
            "harness_version": benchmark.__version__,
            "dataset": self.prepared.identity,
            "test_fold": self.suite.test_fold,
            "test_tracks_per_class": self.suite.test_tracks_per_class,
            "segment_seconds": self.suite.segment_seconds,
            "overlap": self.suite.overlap,
            "seed": self.suite.seed,
            "batch_size": self.suite.batch_size,
            "model": entry,
            **model.identity,
        }

    def attack_key(self, spec: AttackSpec, entry: str, backend: str) -> str:
        view = self.attack_view(spec, entry)
        return sha256_of(
            {
                "kind": "attack",
                **self._common_key(entry),
                "attack": spec.attack,
                "backend": backend,
                "params": spec.params,
                "targeted": spec.targeted,
                "domain": spec.domain,
                "max_examples": spec.max_examples,
                "budget_table": view.table,
                "budgets": view.declared,
            }
        )

    def transfer_key(self, spec: TransferSpec, name: str) -> str:
        return sha256_of(
            {
                "kind": "transfer",
                "source": self._common_key(spec.source),
                "target": self._common_key(spec.target),
                "attack": name,
                "budget": spec.budget,
            }
        )

    # -- running ----------------------------------------------------------------------------
    def _targets(self, key: str, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Wrong target labels from a generator seeded by the suite seed and the cell key."""
        seed = (self.suite.seed * 1_000_003 + int(key[:8], 16)) % 2**31
        generator = torch.Generator().manual_seed(seed)
        classes = self.prepared.num_classes
        offsets = torch.randint(1, classes, (len(labels),), generator=generator)
        return (labels + offsets) % classes, seed

    def attack_view(self, spec: AttackSpec, entry: str) -> AttackView:
        """What an attack spec perturbs on ``entry``: the representation, or the waveform end to end."""
        model = self.models[entry]
        table = spec.budget_table_key(model.representation.name)
        declared = spec.budgets[table]
        budgets = [10 ** (-snr / 20) for snr in declared] if table == SNR_DB else declared
        if spec.domain == "waveform":
            network: torch.nn.Module = torch.nn.Sequential(model.representation, model.network)
            network.training = model.network.training  # the composite reports the model's own mode
            waveforms = self.test.waveforms
            return AttackView(network, waveforms, Waveform.bounds, None, True, declared, budgets, table)
        representation = model.representation
        invertible = representation.invertible
        inverse = representation.inverse if invertible else None
        return AttackView(
            model.network,
            model.features,
            representation.bounds,
            inverse,
            invertible,
            declared,
            budgets,
            table,
        )

    def _clean_audio(self, entry: str) -> torch.Tensor:
        """Audio reconstructed from the clean test features of ``entry`` (on the CPU), computed once
        per run: Griffin-Lim makes the Mel inverse cost as much as an attack."""
        if entry not in self._reconstructed:
            model = self.models[entry]
            parts = [
                model.representation.inverse(
                    model.features[part], self.test.waveforms[part].to(self.device)
                ).cpu()
                for part in _batches(len(self.test.labels), self.suite.batch_size)
            ]
            self._reconstructed[entry] = torch.cat(parts)
        return self._reconstructed[entry]

    def _examples(self, max_examples: int | None) -> torch.Tensor:
        """Indices of the attacked test segments: all, or ``max_examples`` evenly spaced."""
        count = len(self.test.labels)
        if max_examples is None or max_examples >= count:
            return torch.arange(count)
        return torch.linspace(0, count - 1, max_examples).round().long().unique()

    def run_attack_cell(self, spec: AttackSpec, entry: str, backend: str, key: str) -> dict[str, Any]:
        model = self.models[entry]
        view = self.attack_view(spec, entry)
        attack = build_attack(spec.attack, backend, spec.params, spec.targeted)
        index = self._examples(spec.max_examples)
        test = self.test.subset(index)
        targets, targets_seed = self._targets(key, test.labels) if spec.targeted else (None, None)
        seed_generators(self.suite.seed)
        started = time.perf_counter()
        count = len(test.labels)
        collected: list[dict[str, list]] = [
            {"logits": [], "l0": [], "l2": [], "linf": [], "snr": [], "grad": [0], "batches": [0], "fwd": [0]}
            for _ in view.budgets
        ]
        for part in _batches(count, self.suite.batch_size):
            rows = index[part]
            inputs = view.inputs[rows.to(view.inputs.device)].to(self.device)
            waveforms = self.test.waveforms[rows].to(self.device)
            labels = test.labels[part].to(self.device)
            batch_targets = targets[part].to(self.device) if targets is not None else None
            scale = snr_radius_scale(waveforms, attack.norm) if view.table == SNR_DB else None
            result = attack(
                view.network,
                inputs,
                labels,
                budgets=view.budgets,
                bounds=view.bounds,
                targets=batch_targets,
                scale=scale,
            )
            # SNR (Koerich eq. 3-4) against the clean audio: the waveform itself in the waveform
            # domain, else reconstructed from the clean features where the representation inverts.
            to_audio = view.inverse
            clean_audio = inputs if to_audio is None else self._clean_audio(entry)[rows].to(self.device)
            for store, output in zip(collected, result.outputs, strict=True):
                store["logits"].append(output.logits.cpu())
                for name, values in perturbation_norms(output.adversarial - inputs).items():
                    store[name].append(values.cpu())
                if view.audible:
                    adversarial = output.adversarial
                    adversarial_audio = adversarial if to_audio is None else to_audio(adversarial, waveforms)
                    store["snr"].append(snr_db(clean_audio, adversarial_audio - clean_audio).cpu())
                store["grad"][0] += output.gradient_evals
                store["batches"][0] += output.gradient_batches
                store["fwd"][0] += output.forward_evals
        clean_predictions = model.clean_logits[index].argmax(dim=1)
        per_budget = []
        for budget, store in zip(view.declared, collected, strict=True):
            logits = torch.cat(store["logits"])
            predictions = logits.argmax(dim=1)
            fooled = predictions == targets if targets is not None else predictions != test.labels
            fr = fooling_rate(clean_predictions, predictions, test.labels, targets)
            snr = torch.cat(store["snr"]) if store["snr"] else None
            snr_mean, snr_std = mean_std(snr) if snr is not None else (None, None)
            per_budget.append(
                {
                    "budget": float(budget),
                    "fooling_rate": None if fr != fr else fr,
                    "success_rate": float(fooled.double().mean()),
                    "robust_accuracy": test.accuracy(logits),
                    "clean_correct": int((clean_predictions == test.labels).sum()),
                    "gradient_evals": store["grad"][0],
                    "gradient_batches": store["batches"][0],
                    "forward_evals": store["fwd"][0],
                    "gradient_evals_per_example": store["grad"][0] / count,
                    "l0_mean": float(torch.cat(store["l0"]).mean()),
                    "l2_mean": float(torch.cat(store["l2"]).mean()),
                    "linf_mean": float(torch.cat(store["linf"]).mean()),
                    "snr_db_mean": snr_mean,
                    "snr_db_std": snr_std,
                    "snr_db_min": _finite_min(snr),
                }
            )
        rates = [p["fooling_rate"] if p["fooling_rate"] is not None else float("nan") for p in per_budget]
        defined = all(r == r for r in rates)
        return {
            "key": key,
            "attack": spec.attack,
            "backend": backend,
            "domain": spec.domain,
            "norm": attack.norm,
            "budget_unit": budget_unit(
                attack.budget_kind,
                on_waveform=spec.domain == "waveform" or view.table == "waveform",
                snr=view.table == SNR_DB,
            ),
            "targeted": spec.targeted,
            "targets_seed": targets_seed,
            "targets": targets.tolist() if targets is not None else None,
            "params": attack.hyperparameters(),
            "examples": count,
            "per_budget": per_budget,
            # SNR schedules integrate over the amplitude ratio 10^(-SNR/20), so the axis grows with strength
            "fr_auc": fr_auc(view.budgets, rates) if defined else None,
            "gradient_evals_to_fr90": cost_to_reach(
                view.budgets, rates, [p["gradient_evals_per_example"] for p in per_budget]
            ),
            "wall_time_s": round(time.perf_counter() - started, 3),
        }

    def run_transfer_cell(self, spec: TransferSpec, name: str, key: str) -> dict[str, Any]:
        """Koerich et al. 2020 sec. III-IV: 2D attack, reconstruction with the original phase,
        1D classification. Reconstructed audio is clipped to [-1, 1] as a sound file would be."""
        source, target = self.models[spec.source], self.models[spec.target]
        representation = source.representation
        attack_name, backend = name.split("/", 1)
        attack = build_attack(attack_name, backend, {}, False)
        classifier = torch.nn.Sequential(target.representation, target.network)
        seed_generators(self.suite.seed)
        started = time.perf_counter()
        logits: dict[str, list[torch.Tensor]] = {"source": [], "clean": [], "adversarial": []}
        snr_adversarial, snr_clean = [], []
        for part in _batches(len(self.test.labels), self.suite.batch_size):
            inputs = source.features[part]
            labels = self.test.labels[part].to(self.device)
            output = attack(
                source.network, inputs, labels, budgets=[spec.budget], bounds=representation.bounds
            ).outputs[0]
            waveforms = self.test.waveforms[part].to(self.device)
            clean_audio = self._clean_audio(spec.source)[part].to(self.device).clamp(-1, 1)
            adversarial_audio = representation.inverse(output.adversarial, waveforms).clamp(-1, 1)
            with torch.no_grad():
                logits["clean"].append(classifier(clean_audio).cpu())
                logits["adversarial"].append(classifier(adversarial_audio).cpu())
            logits["source"].append(output.logits.cpu())
            snr_adversarial.append(snr_db(clean_audio, adversarial_audio - clean_audio).cpu())
            snr_clean.append(snr_db(waveforms, clean_audio - waveforms).cpu())
        source_fr = fooling_rate(
            source.clean_logits.argmax(1), torch.cat(logits["source"]).argmax(1), self.test.labels
        )
        snr_mean, snr_std = mean_std(torch.cat(snr_adversarial))
        return {
            "key": key,
            "attack": attack_name,
            "backend": backend,
            "params": attack.hyperparameters(),
            "source": spec.source,
            "target": spec.target,
            "budget": spec.budget,
            "examples": len(self.test.labels),
            "source_fooling_rate": None if source_fr != source_fr else source_fr,
            "original": self.test.accuracy(target.clean_logits),
            "clean_reconstructed": self.test.accuracy(torch.cat(logits["clean"])),
            "adversarial_reconstructed": self.test.accuracy(torch.cat(logits["adversarial"])),
            "clean_reconstruction_snr_db": mean_std(torch.cat(snr_clean))[0],
            "snr_db_mean": snr_mean,
            "snr_db_std": snr_std,
            "wall_time_s": round(time.perf_counter() - started, 3),
        }

    def transferability_key(self, table: TransferabilitySpec, source: str, name: str) -> str:
        return sha256_of(
            {
                "kind": "transferability",
                "source": self._common_key(source),
                "targets": [self._common_key(target) for target in table.models if target != source],
                "attack": name,
                "budget": table.attacks[name],
                "max_examples": table.max_examples,
            }
        )

    def run_transferability_cell(
        self, table: TransferabilitySpec, source: str, name: str, key: str
    ) -> dict[str, Any]:
        """Esmaeilpour et al. 2021 Table 9, one row: craft on ``source`` at the table's budget, then
        count, among the adversarials that fool the source (on clean-correct examples, as FR does),
        those each other model misclassifies too."""
        model = self.models[source]
        targets = [entry for entry in table.models if entry != source]
        attack_name, backend = name.split("/", 1)
        attack = build_attack(attack_name, backend, {}, False)
        budget = table.attacks[name]
        index = self._examples(table.max_examples)
        labels = self.test.labels[index]
        seed_generators(self.suite.seed)
        started = time.perf_counter()
        predictions: dict[str, list[torch.Tensor]] = {entry: [] for entry in table.models}
        for part in _batches(len(index), self.suite.batch_size):
            rows = index[part].to(model.features.device)
            inputs = model.features[rows]
            output = attack(
                model.network,
                inputs,
                labels[part].to(self.device),
                budgets=[budget],
                bounds=model.representation.bounds,
            ).outputs[0]
            predictions[source].append(output.logits.argmax(1).cpu())
            for entry in targets:
                logits = _logits(self.models[entry].network, output.adversarial, self.suite.batch_size)
                predictions[entry].append(logits.argmax(1))
        clean_correct = model.clean_logits[index].argmax(1) == labels
        fooled_source = clean_correct & (torch.cat(predictions[source]) != labels)
        rows_out = []
        for entry in targets:
            both = int((fooled_source & (torch.cat(predictions[entry]) != labels)).sum())
            total = int(fooled_source.sum())
            rows_out.append({"target": entry, "fooled_both": both, "rate": both / total if total else None})
        return {
            "key": key,
            "attack": attack_name,
            "backend": backend,
            "params": attack.hyperparameters(),
            "budget": float(budget),
            "representation": model.representation.name,
            "examples": len(index),
            "fooled_source": int(fooled_source.sum()),
            "targets": rows_out,
            "wall_time_s": round(time.perf_counter() - started, 3),
        }

    def jobs(self) -> list[Job]:
        """Every cell of the suite, attack cells first, each with its key."""
        jobs = []
        for spec, entry, backend in self.attack_cells:
            jobs.append(
                Job(
                    "attack",
                    entry,
                    self.attack_key(spec, entry, backend),
                    f"{entry} {spec.attack}/{backend}",
                    AttackCell,
                    partial(self.run_attack_cell, spec, entry, backend),
                )
            )
        for spec in self.transfers:
            for name in spec.attacks:
                jobs.append(
                    Job(
                        "transfer",
                        spec.source,
                        self.transfer_key(spec, name),
                        f"transfer {spec.source}->{spec.target} {name}",
                        TransferResult,
                        partial(self.run_transfer_cell, spec, name),
                    )
                )
        for table in self.transferabilities:
            for source in table.models:
                for name in table.attacks:
                    jobs.append(
                        Job(
                            "transferability",
                            source,
                            self.transferability_key(table, source, name),
                            f"transferability {source} {name}",
                            TransferabilityRow,
                            partial(self.run_transferability_cell, table, source, name),
                        )
                    )
        return jobs

    def run(self) -> list[tuple[Path, LeaderboardEntry]]:
        """Run (or read from the cache) every cell, then write one file per entry."""
        self.prepare()
        jobs = self.jobs()
        results: dict[str, dict[str, Any]] = {}
        reused = 0
        with progress_bar(f"suite {self.suite.name}", total=len(jobs)) as advance:
            for job in jobs:
                cached = self.cache.get(job.key, job.schema)
                if cached is None:
                    cached = job.compute(job.key)
                    self.cache.put(job.key, cached)
                else:
                    reused += 1
                results[job.key] = cached
                advance(1, job.label)
        if reused:
            CONSOLE.print(f"{reused} of {len(jobs)} cells read from the cache")
        return self._write_entries(jobs, results)

    def _write_entries(
        self, jobs: list[Job], results: dict[str, dict[str, Any]]
    ) -> list[tuple[Path, LeaderboardEntry]]:
        commit, dirty = git_state()
        resolved = self.suite.resolved()
        identity = self.prepared.identity
        written = []
        for entry, model in self.models.items():
            owned = [job for job in jobs if job.owner == entry]
            keys = [job.key for job in owned]
            attacks = [results[job.key] for job in owned if job.kind == "attack"]
            transfer = [results[job.key] for job in owned if job.kind == "transfer"]
            transferability = [results[job.key] for job in owned if job.kind == "transferability"]
            cells = [AttackCell.model_validate(cell) for cell in attacks]
            name = model.representation.name
            score = primary_score(cells, representation=name, reference_budgets=self.suite.reference_budgets)
            document = {
                "schema_version": SCHEMA_VERSION,
                "harness_version": benchmark.__version__,
                "suite": {"name": self.suite.name, "version": self.suite.version},
                "entry": entry,
                "git_commit": commit,
                "git_dirty": dirty,
                "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "config": resolved,
                "config_sha256": sha256_of(resolved),
                "cell_keys": keys,
                "dataset": {
                    **{
                        k: identity[k]
                        for k in (
                            "name",
                            "version",
                            "sample_rate",
                            "num_tracks",
                            "clip_ids_sha256",
                            "content_sha256",
                        )
                    },
                    "test_fold": self.suite.test_fold,
                    "test_tracks": len(self.test.track_labels),
                    "test_segments": len(self.test.labels),
                    "segment_seconds": self.suite.segment_seconds,
                    "overlap": self.suite.overlap,
                },
                "environment": environment(self.device),
                "wall_time_s": round(sum(r["wall_time_s"] for r in attacks + transfer + transferability), 3),
                "model": {
                    "entry": entry,
                    **model.info,
                    "representation": model.representation.config(),
                    "domain": model.domain,
                    "clean": self.test.accuracy(model.clean_logits),
                },
                "attacks": attacks,
                "transfer": transfer,
                "transferability": transferability,
                "score": score.model_dump(mode="json") if score else None,
                "flags": [
                    flag.model_dump(mode="json") for flag in masking_flags(cells, widths=domain_widths(name))
                ],
                "submission": model.submission,
            }
            path = entry_path(self.output_root, self.suite.name, self.suite.version, identity["name"], entry)
            written.append((path, validate_entry(document, path)))
        # Validate every document before writing any, so a failure leaves no partial leaderboard.
        for path, document in written:
            write_entry(path, document)
        return written
