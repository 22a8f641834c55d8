"""The shared inputs cells read: the test set and the loaded models, built once per process.

A cell spec names the models it needs; :class:`Inputs` loads each on first use, computes its
test-set features (through the content-addressed feature cache) and clean logits, and keeps
them on the run's device for every cell that follows. :class:`InputsRecipe` is how another
process (a ``--jobs`` worker, a Ray task) rebuilds the same inputs: it names the suite, the
folders and the device, never tensors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from benchmark.data.protocol import PreparedData, prepare_data
from benchmark.errors import BenchmarkError
from benchmark.jsonio import sha256_file
from benchmark.metrics import accuracies
from benchmark.models.reference import load_reference
from benchmark.plan.planner import DataFacts, ModelFacts
from benchmark.plan.suite import Suite
from benchmark.representations.base import Representation, build_representation
from benchmark.representations.cache import features_of
from benchmark.runtime import resolve_device


def batches(count: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def predict(network: torch.nn.Module, inputs: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Logits of ``inputs`` in batches, on the inputs' device."""
    with torch.no_grad():
        return torch.cat([network(inputs[part]) for part in batches(len(inputs), batch_size)])


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

    def to(self, device: torch.device) -> TestSet:
        return TestSet(*(tensor.to(device) for tensor in vars(self).values()))

    def subset(self, index: torch.Tensor | None) -> TestSet:
        """The segments at ``index`` (all for ``None``), with only their tracks renumbered from 0."""
        if index is None:
            return self
        tracks, track_index = self.track_index[index].unique(return_inverse=True)
        return TestSet(self.waveforms[index], self.labels[index], track_index, self.track_labels[tracks])

    def accuracy(self, logits: torch.Tensor) -> dict[str, float]:
        return accuracies(logits, self.labels, self.track_index, self.track_labels)


@dataclass
class LoadedModel:
    """A classifier ready to attack: a reference model from baselines/ or a submitted model."""

    entry: str
    representation: Representation
    network: torch.nn.Module
    identity: dict[str, Any]  # what identifies the model in its cell keys: spec and weights' sha256
    info: dict[str, Any]  # architecture, config, parameters, checkpoint_sha256 (schema ModelInfo)
    features: torch.Tensor = field(repr=False)  # test-set model inputs, on the device
    clean_logits: torch.Tensor = field(repr=False)  # on the device
    submission: dict[str, Any] | None = None  # schema SubmissionInfo, for submitted models

    @property
    def domain(self) -> str:
        return "waveform" if self.representation.name == "waveform" else "representation"

    def facts(self) -> ModelFacts:
        representation = self.representation
        return ModelFacts(
            self.entry, representation.name, representation.bounds, representation.invertible, self.identity
        )


@dataclass(frozen=True)
class ModelParts:
    """What a model source hands over before the test-set features exist."""

    representation: Representation
    network: torch.nn.Module
    identity: dict[str, Any]
    info: dict[str, Any]
    submission: dict[str, Any] | None = None


class ModelSource(Protocol):
    """Where a run's models come from: the suite's reference checkpoints, or a submission."""

    def entries(self) -> list[str]: ...

    def check(self, prepared: PreparedData) -> None:
        """Fail in one line on anything wrong before a checkpoint is read."""

    def load(self, entry: str, prepared: PreparedData) -> ModelParts: ...


@dataclass(frozen=True)
class ReferenceModels:
    """The suite's reference models, from checkpoints in ``baselines``."""

    suite: Suite
    baselines: Path

    def entries(self) -> list[str]:
        return list(self.suite.models)

    def check(self, prepared: PreparedData) -> None:
        for spec in self.suite.models.values():  # bad settings fail before any checkpoint is read
            build_representation(spec.representation, prepared.sample_rate, spec.representation_params)

    def load(self, entry: str, prepared: PreparedData) -> ModelParts:
        spec = self.suite.models[entry]
        reference, card = load_reference(
            entry,
            spec,
            self.baselines,
            suite=self.suite.name,
            sample_rate=prepared.sample_rate,
            segment_samples=prepared.segment_samples,
            num_classes=prepared.num_classes,
        )
        if card.get("dataset", {}).get("content_sha256") != prepared.identity["content_sha256"]:
            raise BenchmarkError(
                f"checkpoint {entry!r} was trained on different data than this suite's "
                f"{self.suite.dataset!r}; run `arb train --suite {self.suite.name}`"
            )
        checkpoint_sha256 = sha256_file(self.baselines / card["weights_file"])
        return ModelParts(
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


@dataclass(frozen=True)
class InputsRecipe:
    """How any process rebuilds a run's inputs: picklable, with the device as a name."""

    suite: Suite
    source: ModelSource
    device: str
    cache_folder: Path | None
    data_root: Path | None = None


class Inputs:
    """The data and models a run's cells share, loaded lazily and kept on one device."""

    def __init__(self, recipe: InputsRecipe) -> None:
        suite = recipe.suite
        self.recipe = recipe
        self.suite = suite
        self.device = resolve_device(recipe.device)
        self.prepared = prepare_data(
            suite.dataset,
            suite.dataset_params,
            segment_seconds=suite.segment_seconds,
            overlap=suite.overlap,
            root=recipe.data_root,
            short_clips=suite.short_clips,
            keep_silence=suite.keep_silence,
        )
        self.test = TestSet.from_prepared(self.prepared, suite.test_fold, suite.test_tracks_per_class).to(
            self.device
        )
        recipe.source.check(self.prepared)
        self._models: dict[str, LoadedModel] = {}
        self._clean_audio: dict[str, torch.Tensor] = {}

    @property
    def num_classes(self) -> int:
        return self.prepared.num_classes

    def model(self, entry: str) -> LoadedModel:
        """``entry`` on the device with its test-set features and clean logits (loaded once)."""
        if entry not in self._models:
            parts = self.recipe.source.load(entry, self.prepared)
            representation = parts.representation.to(self.device)
            network = parts.network.to(self.device)
            features = features_of(
                representation,
                self.test.waveforms,
                batch_size=self.suite.batch_size,
                device=self.device,
                cache_root=self.recipe.cache_folder,
            )
            logits = predict(network, features, self.suite.batch_size)
            self._models[entry] = LoadedModel(
                entry, representation, network, parts.identity, parts.info, features, logits, parts.submission
            )
        return self._models[entry]

    def load(self, entries: Iterable[str] | None = None) -> dict[str, LoadedModel]:
        """Every model of the run (or ``entries``), loaded: a bad checkpoint fails here."""
        names = self.recipe.source.entries() if entries is None else list(entries)
        return {entry: self.model(entry) for entry in names}

    def facts(self) -> tuple[DataFacts, dict[str, ModelFacts]]:
        """What planning needs, from every model of the run."""
        models = {entry: model.facts() for entry, model in self.load().items()}
        return DataFacts(self.prepared.identity, len(self.test.labels)), models

    def clean_audio(self, entry: str) -> torch.Tensor:
        """Audio reconstructed from the clean test features of ``entry`` (on the device), computed
        once per process: Griffin-Lim makes the Mel inverse cost as much as an attack."""
        if entry not in self._clean_audio:
            model = self.model(entry)
            parts = [
                model.representation.inverse(model.features[part], self.test.waveforms[part])
                for part in batches(len(self.test.labels), self.suite.batch_size)
            ]
            self._clean_audio[entry] = torch.cat(parts)
        return self._clean_audio[entry]
