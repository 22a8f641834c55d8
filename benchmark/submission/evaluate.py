"""Evaluating a submitted model with a suite's standard protocol (in the harness process with a
boxed model, or in the unsandboxed worker), behind its declared defense chain, with the adaptive
attacks and masking evidence the submission calls for (:mod:`benchmark.submission.adaptive`);
and its planned cost, known before either starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmark.cells.cache import CellCache
from benchmark.cells.inputs import Inputs, InputsRecipe, ModelParts
from benchmark.data.protocol import DataInfo
from benchmark.defenses.base import check_chain
from benchmark.defenses.checks import zero_gradient_fraction
from benchmark.harness.run import Execution, run_suite
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.plan.cost import check_gradient_budget, plan_gradients
from benchmark.plan.planner import ModelFacts, plan_suite
from benchmark.plan.suite import AttackSpec, Suite
from benchmark.registry import DATASETS
from benchmark.runtime import resolve_device
from benchmark.submission.adaptive import CHAIN, declared_adaptation, variants
from benchmark.submission.declared import attacks_submission
from benchmark.submission.loading import (
    Submission,
    architecture,
    check_inputs,
    parameter_count,
    representation_of,
)
from benchmark.submission.manifest import Manifest


def needs_masking_evidence(submission: Submission, device: str) -> bool:
    """Whether every cell records masking evidence: a declared chain or randomness, or (the check
    every submission gets) an input gradient that is zero or not finite on the check inputs."""
    manifest = submission.manifest
    if manifest.defense or manifest.randomized:
        return True
    where = resolve_device(device)
    inputs = check_inputs(submission.representation, manifest.input.samples, where)
    labels = torch.arange(len(inputs), device=where) % len(DATASETS.get(manifest.dataset).classes)
    return zero_gradient_fraction(submission.network.to(where), inputs, labels) > 0


@dataclass(frozen=True)
class ManifestModel:
    """What the manifest alone says of a submitted model: enough to plan its run."""

    manifest: Manifest
    info: dict[str, Any]

    @property
    def name(self) -> str:
        return self.manifest.name

    def entries(self) -> list[str]:
        return [self.name]

    def check(self, data: DataInfo) -> None:
        """The manifest was checked against the suite before the run (``check_fits_suite``)."""

    def attacked_by(self, spec: AttackSpec) -> list[str]:
        """The suite's standard protocol: every attack spec with budgets for the submission's
        representation (only the end-to-end ones from the audio where a waveform defense sits in
        front of a representation input: :func:`attacks_submission`), through each of its
        backends. Transfer experiments pair the suite's own models and do not apply."""
        manifest = self.manifest
        return [self.name] if attacks_submission(spec, manifest.defense, manifest.input) else []

    def variants(self, spec: AttackSpec) -> list[AttackSpec]:
        """Each spec as written and, where the submission calls for it, adapted (BPDA / EOT)."""
        return variants(spec, declared_adaptation(self.manifest))


@dataclass(frozen=True)
class SubmittedModel(ManifestModel):
    """A model source holding one submitted model (built; runs serially in this process)."""

    submission: Submission
    #: record masking evidence in every cell (see :func:`needs_masking_evidence`)
    masking_checks: bool = False

    def load(self, entry: str, data: DataInfo) -> ModelParts:
        submission, network = self.submission, self.submission.network
        return ModelParts(
            submission.representation,
            network,
            identity={
                "submission": submission.manifest.identity(),
                "weights_sha256": submission.weights_sha256,
                "code_sha256": self.info["code_sha256"],
            },
            info={
                "architecture": architecture(network),
                "config": submission.manifest.source,
                "parameters": parameter_count(network),
                "checkpoint_sha256": submission.weights_sha256,
            },
            submission=self.info,
            defenses=check_chain(submission.manifest.defense, CHAIN),
            randomized=submission.manifest.randomized,
            masking_checks=self.masking_checks,
        )


def evaluate_submission(
    suite: Suite,
    submission: Submission,
    info: dict[str, Any],
    *,
    device: str,
    output_root: Path,
    max_gradients: int | None = None,
) -> tuple[Path, LeaderboardEntry]:
    """Run the suite on the submission (no cache: the run directory is temporary)."""
    masking_checks = needs_masking_evidence(submission, device)
    source = SubmittedModel(submission.manifest, info, submission, masking_checks)
    result = run_suite(
        suite,
        device=device,
        output_root=output_root,
        cache=CellCache(Path("cache"), enabled=False),
        source=source,
        attacked_by=source.attacked_by,
        variants=source.variants,
        execution=Execution(max_gradients=max_gradients),
    )
    ((path, entry),) = result.entries
    return path, entry


def check_planned_gradients(suite: Suite, manifest: Manifest, info: dict[str, Any], *, limit: int) -> int:
    """The run's estimated input gradients from the suite, its test set and the manifest's input
    (adaptive variants included), refused in one line above ``limit`` before any submitted code
    runs (the run checks again)."""
    source = ManifestModel(manifest, info)
    inputs = Inputs(InputsRecipe(suite, source, "cpu", None))  # type: ignore[arg-type]  # loads no model
    representation = representation_of(manifest)
    with torch.no_grad():
        elements = representation(torch.zeros(1, manifest.input.samples))[0].numel()
    identity = {"submission": manifest.identity(), "code_sha256": info["code_sha256"]}
    bounds, invertible = representation.bounds, representation.invertible
    models = {source.name: ModelFacts(source.name, representation.name, bounds, invertible, identity)}
    plan = plan_suite(
        suite, inputs.data_facts(), models, attacked_by=source.attacked_by, variants=source.variants
    )
    gradients = plan_gradients(plan, classes=inputs.num_classes, elements={source.name: elements})
    return check_gradient_budget(plan, gradients, limit=limit)
