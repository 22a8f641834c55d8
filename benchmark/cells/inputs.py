"""The shared inputs cells read: the test set and the loaded models, built once per process.

A cell spec names the models it needs; :class:`Inputs` loads each on first use, computes its
test-set features (through the content-addressed feature cache) and clean logits, and keeps
them on the run's device for every cell that follows. :class:`InputsRecipe` is how another
process (a ``--jobs`` worker, a Ray task) rebuilds the same inputs: it names the suite, the
folders and the device, never tensors.
"""

from __future__ import annotations

import shutil
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from benchmark.cells.rows import ResidentRows, Rows
from benchmark.cells.testset import RowPlacement, load_test_set
from benchmark.data.protocol import DataInfo, describe_data, open_dataset
from benchmark.defenses.base import Defense, check_chain
from benchmark.defenses.chain import DefendedClassifier, randomized
from benchmark.errors import BenchmarkError
from benchmark.jsonio import sha256_file, sha256_of
from benchmark.models.reference import load_reference
from benchmark.plan.planner import DataFacts, ModelFacts
from benchmark.plan.suite import Suite
from benchmark.representations.base import Representation, build_representation
from benchmark.representations.cache import features_of
from benchmark.runfolders import make_run_folder
from benchmark.runtime import resolve_device

#: 1 GiB: the quick and standard suites' test sets stay resident; GTZAN's (koerich2020) is stored
DEFAULT_RESIDENT_BYTES = 1 << 30

def batches(count: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, count)) for start in range(0, count, size)]


def predict(network: torch.nn.Module, inputs: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Logits of ``inputs`` in batches, on the inputs' device."""
    with torch.no_grad():
        return torch.cat([network(inputs[part]) for part in batches(len(inputs), batch_size)])


@dataclass
class LoadedModel:
    """A classifier ready to attack: a reference model from baselines/ or a submitted model."""

    entry: str
    representation: Representation
    network: torch.nn.Module
    identity: dict[str, Any]  # what identifies the model in its cell keys: spec and weights' sha256
    info: dict[str, Any]  # architecture, config, parameters, checkpoint_sha256 (schema ModelInfo)
    features: Rows = field(repr=False)  # test-set model inputs, on the device or stored
    clean_logits: torch.Tensor = field(repr=False)  # on the device (through the defenses, if any)
    submission: dict[str, Any] | None = None  # schema SubmissionInfo, for submitted models
    defenses: list[Defense] = field(default_factory=list)  # applied in front, in order
    randomized: bool = False  # the network's own forward draws randomness (a submission declares it)
    masking_checks: bool = False  # every cell records masking evidence (a defended model always)

    @property
    def domain(self) -> str:
        return "waveform" if self.representation.name == "waveform" else "representation"

    def facts(self) -> ModelFacts:
        representation = self.representation
        return ModelFacts(
            self.entry,
            representation.name,
            representation.bounds,
            representation.invertible,
            self.identity,
            self.randomized or randomized(self.defenses),
            tuple(f"{d.name}:{d.surrogate_name}" for d in self.defenses if d.gradient != "exact"),
        )

    def defended(self, *, end_to_end: bool, bpda: bool = False) -> torch.nn.Module:
        """The classifier an attack sees: from the waveform (``end_to_end``) or from the features.
        A waveform model's features are its ``(B, 1, T)`` audio: flattened to the ``(B, T)`` the
        waveform defenses and the representation take, they pass the whole chain either way."""
        if end_to_end or self.domain != "waveform":
            representation = self.representation if end_to_end else None
            return DefendedClassifier(self.defenses, representation, self.network, bpda=bpda)
        defended = DefendedClassifier(self.defenses, self.representation, self.network, bpda=bpda)
        return torch.nn.Sequential(torch.nn.Flatten(1), defended).train(self.network.training)


@dataclass(frozen=True)
class ModelParts:
    """What a model source hands over before the test-set features exist."""

    representation: Representation
    network: torch.nn.Module
    identity: dict[str, Any]
    info: dict[str, Any]
    submission: dict[str, Any] | None = None
    defenses: list[Defense] = field(default_factory=list)
    randomized: bool = False
    masking_checks: bool = False


class ModelSource(Protocol):
    """Where a run's models come from: the suite's reference checkpoints, or a submission."""

    def entries(self) -> list[str]: ...

    def check(self, data: DataInfo) -> None:
        """Fail in one line on anything wrong before a checkpoint is read."""

    def load(self, entry: str, data: DataInfo) -> ModelParts: ...


@dataclass(frozen=True)
class ReferenceModels:
    """The suite's reference models, from checkpoints in ``baselines``."""

    suite: Suite
    baselines: Path

    def entries(self) -> list[str]:
        return list(self.suite.models)

    def check(self, data: DataInfo) -> None:
        for spec in self.suite.models.values():  # bad settings fail before any checkpoint is read
            build_representation(spec.representation, data.sample_rate, spec.representation_params)

    def load(self, entry: str, data: DataInfo) -> ModelParts:
        spec = self.suite.models[entry]
        reference, card = load_reference(
            spec.undefended or entry,
            spec.checkpoint_spec(),
            self.baselines,
            suite=self.suite.name,
            sample_rate=data.sample_rate,
            segment_samples=data.segment_samples,
            num_classes=data.num_classes,
        )
        if card.get("dataset", {}).get("content_sha256") != data.identity["content_sha256"]:
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
            defenses=check_chain(spec.defense, f"model {entry!r}"),
        )


@dataclass(frozen=True)
class InputsRecipe:
    """How any process rebuilds a run's inputs: picklable, with the device as a name."""

    suite: Suite
    source: ModelSource
    device: str
    cache_folder: Path | None
    data_root: Path | None = None
    #: test-set rows (waveforms, each model's features and reconstructions) up to this size are
    #: held on the device; larger ones are stored and read a batch at a time
    resident_bytes: int = DEFAULT_RESIDENT_BYTES


class Inputs:
    """The data and models a run's cells share, loaded lazily and kept on one device."""

    def __init__(self, recipe: InputsRecipe) -> None:
        suite = recipe.suite
        self.recipe = recipe
        self.suite = suite
        self.device = resolve_device(recipe.device)
        dataset = open_dataset(suite.dataset, suite.dataset_params, recipe.data_root)
        self.data = describe_data(
            dataset,
            segment_seconds=suite.segment_seconds,
            overlap=suite.overlap,
            short_clips=suite.short_clips,
            keep_silence=suite.keep_silence,
        )
        self.placement = RowPlacement(self._rows_folder(), recipe.resident_bytes, self.device)
        self.test = load_test_set(self.data, suite.test_fold, suite.test_tracks_per_class, self.placement)
        self.data.identity.update(self.test.segmentation)
        recipe.source.check(self.data)
        self._models: dict[str, LoadedModel] = {}
        self._clean_audio: dict[str, Rows] = {}

    def _rows_folder(self) -> Path:
        """The cache, or with ``--no-cache`` a private folder removed with this object."""
        if self.recipe.cache_folder is not None:
            return self.recipe.cache_folder
        folder = make_run_folder("rows")
        weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        return folder

    @property
    def num_classes(self) -> int:
        return self.data.num_classes

    def _batches(self, rows: Rows, compute: Callable[[slice], torch.Tensor]) -> Iterator[torch.Tensor]:
        with torch.no_grad():
            for part in batches(len(rows), self.suite.batch_size):
                yield compute(part)

    def model(self, entry: str) -> LoadedModel:
        """``entry`` on the device with its test-set features and clean logits (loaded once)."""
        if entry not in self._models:
            parts = self.recipe.source.load(entry, self.data)
            representation = parts.representation.to(self.device)
            network = parts.network.to(self.device)
            features = self._features(representation)
            defenses = [defense.to(self.device) for defense in parts.defenses]
            defended = DefendedClassifier(defenses, representation, network) if defenses else None
            logits = self._clean_logits(network, features, defended)
            self._models[entry] = LoadedModel(
                entry, representation, network, parts.identity, parts.info, features, logits,
                submission=parts.submission, defenses=defenses, randomized=parts.randomized,
                masking_checks=parts.masking_checks or bool(defenses),
            )
        return self._models[entry]

    def _clean_logits(
        self, network: torch.nn.Module, features: Rows, defended: torch.nn.Module | None
    ) -> torch.Tensor:
        """Logits of the clean test set; a defended model's through its defenses from the waveform,
        under the suite's seed for a randomized one (the same logits whichever cell loads it first)."""
        if defended is None:
            return torch.cat(list(self._batches(features, lambda part: network(features[part]))))
        waveforms = self.test.waveforms
        with torch.random.fork_rng(devices=[self.device.index or 0] if self.device.type == "cuda" else []):
            torch.manual_seed(self.suite.seed)
            return torch.cat(list(self._batches(waveforms, lambda part: defended(waveforms[part]))))

    def _features(self, representation: Representation) -> Rows:
        """Resident test sets go through the feature cache as one tensor; stored ones are
        transformed a batch at a time into a stored entry of their own."""
        waveforms = self.test.waveforms
        settings = representation.config()
        key = sha256_of({"features": settings, "of": waveforms.key, "device": self.device.type})
        if isinstance(waveforms, ResidentRows):
            features = features_of(
                representation,
                waveforms.tensor,
                batch_size=self.suite.batch_size,
                device=self.device,
                cache_root=self.recipe.cache_folder,
            )
            return ResidentRows(features, key)
        transformed = self._batches(waveforms, lambda part: representation(waveforms[part]))
        return self.placement.place(key, transformed)

    def load(self, entries: Iterable[str] | None = None) -> dict[str, LoadedModel]:
        """Every model of the run (or ``entries``), loaded: a bad checkpoint fails here."""
        names = self.recipe.source.entries() if entries is None else list(entries)
        return {entry: self.model(entry) for entry in names}

    def data_facts(self) -> DataFacts:
        """What planning needs from the data: no model is loaded."""
        tracks = tuple(self.test.track_index.tolist())
        return DataFacts(self.data.identity, len(self.test.labels), tracks)

    def facts(self) -> tuple[DataFacts, dict[str, ModelFacts]]:
        """What planning needs, from every model of the run."""
        return self.data_facts(), {entry: model.facts() for entry, model in self.load().items()}

    def clean_audio(self, entry: str) -> Rows:
        """Audio reconstructed from the clean test features of ``entry`` (on the device), computed
        once per process: Griffin-Lim makes the Mel inverse cost as much as an attack."""
        if entry not in self._clean_audio:
            model = self.model(entry)
            waveforms = self.test.waveforms

            def inverse(part: slice) -> torch.Tensor:
                return model.representation.inverse(model.features[part], waveforms[part])

            key = sha256_of({"inverse": model.representation.config(), "of": model.features.key})
            self._clean_audio[entry] = self.placement.place(key, self._batches(waveforms, inverse))
        return self._clean_audio[entry]
