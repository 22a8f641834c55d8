"""Reading and writing leaderboard files: validated both ways, written atomically; files of an
older schema version are migrated on read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from benchmark.budgets import budget_unit
from benchmark.errors import BenchmarkError, SchemaError
from benchmark.jsonio import atomic_write_json
from benchmark.leaderboard.schema import SCHEMA_VERSION, AttackCell, LeaderboardEntry
from benchmark.leaderboard.scoring import masking_flags, primary_score
from benchmark.paths import inside
from benchmark.registry import ATTACKS
from benchmark.representations.base import domain_widths
from benchmark.validation import first_error


def entry_path(root: Path, suite: str, version: int, dataset: str, entry: str) -> Path:
    """RobustBench-style tree: ``<root>/<suite>/v<version>/<dataset>/<entry>.json`` (refused if
    a name would lead it out of ``root``)."""
    return inside(root, suite, f"v{version}", dataset, f"{entry}.json", what="results file")


def board_folder(root: Path, suite: str, version: int) -> Path:
    """``<root>/<suite>/v<version>``: where a suite version's datasets and boards live."""
    return inside(root, suite, f"v{version}", what="leaderboard folder")


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 adds the score and flags (recomputed by :func:`_rescore` once the file is current)
    and ``submission`` (version 1 files hold only reference models)."""
    return {**data, "schema_version": 2, "score": None, "flags": [], "submission": None}


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 records each cell's budget unit (version 2 had amplitude budgets in the waveform
    domain, normalized units otherwise, the attack's own kind for iteration / fraction budgets),
    drawn targets (not kept before), per-budget minimum SNR, and transferability rows (none)."""
    migrated = {**data, "schema_version": 3, "transferability": []}
    try:
        waveform = data["model"]["representation"]["name"] == "waveform"
        cells = []
        for cell in data["attacks"]:
            kind = ATTACKS.get(f"{cell['attack']}/{cell['backend']}").budget_kind
            unit = budget_unit(kind, on_waveform=waveform or cell["domain"] == "waveform", snr=False)
            points = [{**point, "snr_db_min": None} for point in cell["per_budget"]]
            cells.append({**cell, "budget_unit": unit, "targets": None, "per_budget": points})
    except (KeyError, TypeError, AttributeError, BenchmarkError):
        return migrated  # the schema check that follows names the problem
    migrated["attacks"] = cells
    return migrated


def _v3_to_v4(data: dict[str, Any]) -> dict[str, Any]:
    """Version 4 adds per-example outcomes, which no older file kept: they are marked unavailable
    (``None``: ids, evaluated examples, outcomes, intervals), so the rescored score falls back to the
    strongest single attack and says so. What older files called robust accuracy (accuracy under
    attack over all examples) is exactly ``adversarial_accuracy``; RobustBench's robust accuracy
    needs the outcomes, so ``robust_accuracy`` keeps the older value (an upper bound only where it
    is at most clean accuracy) and the score's method marks the file. The mean FR over the
    budgets and, for untargeted cells, the misclassified rate (their FR) follow from the file."""
    migrated = {**data, "schema_version": 4, "examples": None}
    try:
        cells = []
        for cell in data["attacks"]:
            rates = [point["fooling_rate"] for point in cell["per_budget"]]
            points = [
                {
                    **point,
                    "misclassified_rate": None if cell["targeted"] else point["fooling_rate"],
                    "adversarial_accuracy": point["robust_accuracy"],
                    "robust_interval": None,
                    "correct": None,
                }
                for point in cell["per_budget"]
            ]
            fr_mean = None if None in rates else sum(rates) / len(rates)
            cells.append({**cell, "evaluated": None, "fr_mean": fr_mean, "per_budget": points})
    except (KeyError, TypeError, ZeroDivisionError):
        return migrated  # the schema check that follows names the problem
    migrated["attacks"] = cells
    return migrated


def _rescore(data: dict[str, Any]) -> dict[str, Any]:
    """Recompute a migrated file's score and flags with this harness's rules (both derive from the
    per-budget results, so an old file is scored exactly as a new one would be)."""
    try:
        cells = [AttackCell.model_validate(cell) for cell in data["attacks"]]
        representation = data["model"]["representation"]["name"]
        reference_budgets = data["config"].get("reference_budgets", {})
        score_domain = data["config"].get("score_domain", "representation")
        test_segments = data["dataset"]["test_segments"]
    except (KeyError, TypeError, AttributeError, ValidationError):
        return data  # the schema check that follows names the problem
    score = primary_score(
        cells,
        representation=representation,
        reference_budgets=reference_budgets,
        examples=None,
        test_segments=test_segments,
        score_domain=score_domain,
    )
    flags = masking_flags(cells, widths=domain_widths(representation))
    return {
        **data,
        "score": score.model_dump(mode="json") if score else None,
        "flags": [flag.model_dump(mode="json") for flag in flags],
    }


#: schema version -> function that upgrades a file of that version by one version
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
}


def read_entry(path: Path) -> LeaderboardEntry:
    """Load, migrate and validate; a one-line :class:`SchemaError` names the file and the first problem."""
    if not path.is_file():
        raise SchemaError(f"results file {path} does not exist")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SchemaError(f"results file {path} is not valid JSON: {error}") from None
    except RecursionError:  # a results file is a few levels deep; thousands is an attack on the parser
        raise SchemaError(f"results file {path} nests arrays or objects too deeply to be one") from None
    if not isinstance(data, dict):
        raise SchemaError(f"results file {path} must hold a JSON object")
    version = data.get("schema_version")
    migrated = version in MIGRATIONS
    while version in MIGRATIONS:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    if migrated and version == SCHEMA_VERSION:
        data = _rescore(data)
    if version != SCHEMA_VERSION:
        readable = ", ".join(str(v) for v in [*MIGRATIONS, SCHEMA_VERSION])
        raise SchemaError(
            f"results file {path} has schema_version {version!r}; this harness reads versions {readable} "
            f"(older ones are migrated): use the harness that wrote it or re-run the suite"
        )
    try:
        return LeaderboardEntry.model_validate(data)
    except ValidationError as error:
        raise SchemaError(f"results file {path} fails the schema at {first_error(error)}") from None


def validate_entry(document: LeaderboardEntry | dict, path: Path) -> LeaderboardEntry:
    """Validate a document meant for ``path``; one-line :class:`SchemaError` otherwise."""
    if isinstance(document, LeaderboardEntry):
        document = document.model_dump(mode="json")
    try:
        return LeaderboardEntry.model_validate(document)
    except ValidationError as error:
        raise SchemaError(f"refusing to write {path}: {first_error(error)}") from None


def write_entry(path: Path, document: LeaderboardEntry | dict) -> LeaderboardEntry:
    """Validate, then write atomically; nothing is written if validation fails."""
    validated = validate_entry(document, path)
    atomic_write_json(path, validated.model_dump(mode="json"))
    return validated


def load_entries(root: Path, suite: str, version: int) -> list[LeaderboardEntry]:
    """Every validated entry file of ``<root>/<suite>/v<version>/<dataset>/``."""
    folder = board_folder(root, suite, version)
    paths = sorted(folder.glob("*/*.json"))
    if not paths:
        raise BenchmarkError(
            f"no leaderboard files in {folder}; run `arb run --suite {suite}` "
            f"or `arb submit PATH --suite {suite}`"
        )
    return [read_entry(path) for path in paths]
