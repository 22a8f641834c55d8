"""Publish: a plan's cell results assembled into one validated leaderboard entry per model.

The per-example ids, the score and the masking and sanity flags are computed here from the attack
cells; every document is validated before any is written, so a failure leaves no partial
leaderboard.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import benchmark
from benchmark.bootstrap import accuracy_interval
from benchmark.cells.inputs import Inputs
from benchmark.jsonio import sha256_of
from benchmark.leaderboard.io import entry_path, validate_entry, write_entry
from benchmark.leaderboard.masking import defense_flags
from benchmark.leaderboard.schema import SCHEMA_VERSION, AttackCell, Examples, Flag, LeaderboardEntry, Score
from benchmark.leaderboard.scoring import majority_share, masking_flags, primary_score, sanity_flags
from benchmark.metrics import correctness
from benchmark.outcomes import example_ids, pack, packed
from benchmark.plan.planner import Plan
from benchmark.plan.specs import AttackCellSpec
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


def examples_document(plan: Plan, inputs: Inputs, entry: str) -> dict[str, Any]:
    """The schema's ``Examples``: stable ids of every test segment, the suite's score set and the
    clean outcomes with their track-bootstrap interval."""
    test, model = inputs.test, inputs.model(entry)
    tracks = test.track_index.cpu().numpy()
    score_set = np.ones(len(tracks), dtype=bool)
    if (chosen := plan.score_set()) is not None:
        score_set[:] = False
        score_set[list(chosen)] = True
    bits = correctness(model.clean_logits, test.labels, test.track_index, test.track_labels)
    clean = {level: values.numpy() for level, values in bits.items()}
    return {
        "ids": example_ids(test.track_ids, tracks.tolist()),
        "score_set": pack(score_set),
        "clean": packed(clean),
        "clean_interval": accuracy_interval(clean, tracks, seed=plan.suite.seed),
    }


def _score_and_flags(
    plan: Plan, inputs: Inputs, entry: str, cells: list[AttackCell], examples: Examples
) -> tuple[Score | None, list[Flag]]:
    """The per-example worst-case score over the cells the plan scores, the masking and sanity flags."""
    suite, model = plan.suite, inputs.model(entry)
    name = model.representation.name
    score = primary_score(
        cells,
        representation=name,
        reference_budgets=suite.reference_budgets,
        examples=examples,
        test_segments=len(inputs.test.labels),
        scored={c.key for c in plan.owned(entry) if isinstance(c, AttackCellSpec) and c.scored},
        seed=suite.seed,
        score_domain=suite.score_domain,
    )
    flags = masking_flags(cells, widths=domain_widths(name)) + sanity_flags(
        cells,
        examples=examples,
        classes=inputs.num_classes,
        majority_share=majority_share(model.clean_logits.argmax(dim=1).cpu().numpy()),
        min_clean_correct=suite.min_clean_correct,
    )
    flags += defense_flags(cells, tolerance=suite.tolerances.accuracy.abs, ids=len(examples.ids))
    return score, flags


def entry_document(
    plan: Plan, inputs: Inputs, entry: str, results: dict[str, dict[str, Any]], provenance: dict[str, Any]
) -> dict[str, Any]:
    """The results file of ``entry``: its cells' results, clean accuracy, score, flags, provenance."""
    suite, model = plan.suite, inputs.model(entry)
    owned = plan.owned(entry)
    by_kind = {kind: [results[c.key] for c in owned if c.kind == kind] for kind in ("attack", "transfer")}
    transferability = [results[c.key] for c in owned if c.kind == "transferability"]
    cells = [AttackCell.model_validate(cell) for cell in by_kind["attack"]]
    examples = examples_document(plan, inputs, entry)
    score, flags = _score_and_flags(plan, inputs, entry, cells, Examples.model_validate(examples))
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
        "examples": examples,
        "attacks": by_kind["attack"],
        "transfer": by_kind["transfer"],
        "transferability": transferability,
        "score": score.model_dump(mode="json") if score else None,
        "flags": [flag.model_dump(mode="json") for flag in flags],
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
