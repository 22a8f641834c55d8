"""Evaluating a submitted model with a suite's standard protocol (in the harness process, the
model in the box; or in the unsandboxed worker), and its planned cost, known before either starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from benchmark.cells.cache import CellCache
from benchmark.cells.inputs import Inputs, InputsRecipe, ModelParts
from benchmark.data.protocol import DataInfo
from benchmark.harness.run import Execution, run_suite
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.plan.cost import check_gradient_budget
from benchmark.plan.planner import ModelFacts, plan_suite
from benchmark.plan.suite import AttackSpec, Suite
from benchmark.submission.loading import Submission, architecture, parameter_count, representation_of
from benchmark.submission.manifest import Manifest


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
        representation, through each of its backends. Transfer experiments pair the suite's own
        models and do not apply."""
        return [self.name] if self.manifest.input.representation_name in spec.budgets else []


@dataclass(frozen=True)
class SubmittedModel(ManifestModel):
    """A model source holding one submitted model (built; runs serially in this process)."""

    submission: Submission

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
    source = SubmittedModel(submission.manifest, info, submission)
    result = run_suite(
        suite,
        device=device,
        output_root=output_root,
        cache=CellCache(Path("cache"), enabled=False),
        source=source,
        attacked_by=source.attacked_by,
        execution=Execution(max_gradients=max_gradients),
    )
    ((path, entry),) = result.entries
    return path, entry


def check_planned_gradients(suite: Suite, manifest: Manifest, info: dict[str, Any], *, limit: int) -> int:
    """The run's estimated input gradients from the suite, its test set and the manifest's input,
    refused in one line above ``limit`` before any submitted code runs (the run checks again)."""
    source = ManifestModel(manifest, info)
    inputs = Inputs(InputsRecipe(suite, source, "cpu", None))  # type: ignore[arg-type]  # loads no model
    representation = representation_of(manifest)
    with torch.no_grad():
        elements = representation(torch.zeros(1, manifest.input.samples))[0].numel()
    identity = {"submission": manifest.identity(), "code_sha256": info["code_sha256"]}
    bounds, invertible = representation.bounds, representation.invertible
    models = {source.name: ModelFacts(source.name, representation.name, bounds, invertible, identity)}
    plan = plan_suite(suite, inputs.data_facts(), models, attacked_by=source.attacked_by)
    elements_of = {source.name: elements}
    return check_gradient_budget(plan, classes=inputs.num_classes, elements=elements_of, limit=limit)
