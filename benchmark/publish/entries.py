"""Publish: a plan's cell results assembled into one validated leaderboard entry per model.

The score and the masking flags are computed here from the attack cells; every document is
validated before any is written, so a failure leaves no partial leaderboard.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import benchmark
from benchmark.cells.inputs import Inputs
from benchmark.jsonio import sha256_of
from benchmark.leaderboard.io import entry_path, validate_entry, write_entry
from benchmark.leaderboard.schema import SCHEMA_VERSION, AttackCell, LeaderboardEntry
from benchmark.leaderboard.scoring import masking_flags, primary_score
from benchmark.plan.planner import Plan
from benchmark.representations.base import domain_widths
from benchmark.runtime import environment, git_state

#: what an entry records of the dataset identity
DATASET_FIELDS = ("name", "version", "sample_rate", "num_tracks", "clip_ids_sha256", "content_sha256")


def _dataset(plan: Plan, inputs: Inputs) -> dict[str, Any]:
    suite, identity = plan.suite, plan.data.identity
    return {
        **{name: identity[name] for name in DATASET_FIELDS},
        "test_fold": suite.test_fold,
        "test_tracks": len(inputs.test.track_labels),
        "test_segments": len(inputs.test.labels),
        "segment_seconds": suite.segment_seconds,
        "overlap": suite.overlap,
        "silence": identity.get("silence"),
        "short_clips": identity.get("short_clips"),
    }


def entry_document(
    plan: Plan, inputs: Inputs, entry: str, results: dict[str, dict[str, Any]], provenance: dict[str, Any]
) -> dict[str, Any]:
    """The results file of ``entry``: its cells' results, clean accuracy, score, flags, provenance."""
    suite, model = plan.suite, inputs.model(entry)
    owned = plan.owned(entry)
    by_kind = {kind: [results[c.key] for c in owned if c.kind == kind] for kind in ("attack", "transfer")}
    transferability = [results[c.key] for c in owned if c.kind == "transferability"]
    cells = [AttackCell.model_validate(cell) for cell in by_kind["attack"]]
    name = model.representation.name
    score = primary_score(cells, representation=name, reference_budgets=suite.reference_budgets)
    every = by_kind["attack"] + by_kind["transfer"] + transferability
    return {
        "schema_version": SCHEMA_VERSION,
        "harness_version": benchmark.__version__,
        "suite": {"name": suite.name, "version": suite.version},
        "entry": entry,
        **provenance,
        "cell_keys": [cell.key for cell in owned],
        "dataset": _dataset(plan, inputs),
        "environment": environment(inputs.device),
        "wall_time_s": round(sum(result["wall_time_s"] for result in every), 3),
        "model": {
            "entry": entry,
            **model.info,
            "representation": model.representation.config(),
            "domain": model.domain,
            "clean": inputs.test.accuracy(model.clean_logits),
        },
        "attacks": by_kind["attack"],
        "transfer": by_kind["transfer"],
        "transferability": transferability,
        "score": score.model_dump(mode="json") if score else None,
        "flags": [flag.model_dump(mode="json") for flag in masking_flags(cells, widths=domain_widths(name))],
        "submission": model.submission,
    }


def assemble_entries(
    plan: Plan, inputs: Inputs, results: dict[str, dict[str, Any]], output_root: Path
) -> list[tuple[Path, LeaderboardEntry]]:
    """Every model's validated entry and the path it belongs at (nothing written yet)."""
    commit, dirty = git_state()
    resolved = plan.suite.resolved()
    provenance = {
        "git_commit": commit,
        "git_dirty": dirty,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config": resolved,
        "config_sha256": sha256_of(resolved),
    }
    suite, dataset = plan.suite, plan.data.identity["name"]
    assembled = []
    for entry in plan.models:
        path = entry_path(output_root, suite.name, suite.version, dataset, entry)
        assembled.append(
            (path, validate_entry(entry_document(plan, inputs, entry, results, provenance), path))
        )
    return assembled


def write_entries(assembled: list[tuple[Path, LeaderboardEntry]]) -> None:
    """Write entries validated beforehand, so a failure leaves no partial leaderboard."""
    for path, document in assembled:
        write_entry(path, document)
