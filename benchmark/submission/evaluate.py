"""Evaluating a submitted model with a suite's standard protocol (in the worker process)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.cells.cache import CellCache
from benchmark.cells.inputs import ModelParts
from benchmark.data.protocol import DataInfo
from benchmark.harness.run import Execution, run_suite
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.plan.suite import AttackSpec, Suite
from benchmark.submission.loading import Submission, architecture, parameter_count


@dataclass(frozen=True)
class SubmittedModel:
    """A model source holding one submitted model (built in this worker; runs serially here)."""

    submission: Submission
    info: dict[str, Any]

    @property
    def name(self) -> str:
        return self.submission.manifest.name

    def entries(self) -> list[str]:
        return [self.name]

    def check(self, data: DataInfo) -> None:
        """The worker built and checked the model before the run."""

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

    def attacked_by(self, spec: AttackSpec) -> list[str]:
        """The suite's standard protocol: every attack spec with budgets for the submission's
        representation, through each of its backends. Transfer experiments pair the suite's own
        models and do not apply."""
        attacked = self.submission.manifest.input.representation_name in spec.budgets
        return [self.name] if attacked else []


def evaluate_submission(
    suite: Suite,
    submission: Submission,
    info: dict[str, Any],
    *,
    device: str,
    output_root: Path,
    max_gradients: int | None = None,
) -> tuple[Path, LeaderboardEntry]:
    """Run the suite on the submission (no cache: the worker's run directory is temporary)."""
    source = SubmittedModel(submission, info)
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
