"""Evaluating a submitted model with a suite's standard protocol (in the worker process)."""

from __future__ import annotations

from typing import Any

from benchmark.harness.runner import LoadedModel, SuiteRunner
from benchmark.harness.suite import AttackSpec, Suite
from benchmark.submission.loading import Submission


class SubmissionRunner(SuiteRunner):
    """The suite's standard protocol on one submitted model: every attack spec with budgets for
    the model's representation, through each of its backends. Transfer experiments pair the
    suite's own models and do not apply."""

    def __init__(self, suite: Suite, submission: Submission, info: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(suite, baselines=submission.folder, **kwargs)
        self.submission = submission
        self.info = info

    def load_models(self) -> dict[str, LoadedModel]:
        submission, name = self.submission, self.submission.manifest.name
        network = submission.network
        return {
            name: self.ready(
                name,
                submission.representation,
                network,
                identity={
                    "submission": submission.manifest.model_dump(mode="json"),
                    "weights_sha256": submission.weights_sha256,
                    "code_sha256": self.info["code_sha256"],
                },
                info={
                    "architecture": type(network).__name__,
                    "config": submission.manifest.entry_point,
                    "parameters": sum(p.numel() for p in network.parameters()),
                    "checkpoint_sha256": submission.weights_sha256,
                },
                submission=self.info,
            )
        }

    def attacked_by(self, spec: AttackSpec) -> list[str]:
        attacked = self.submission.manifest.input.representation_name in spec.budgets
        return [self.submission.manifest.name] if attacked else []
