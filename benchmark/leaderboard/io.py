"""Reading and writing leaderboard files: validated both ways, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from benchmark.errors import SchemaError
from benchmark.jsonio import atomic_write_json
from benchmark.leaderboard.schema import SCHEMA_VERSION, LeaderboardEntry


def entry_path(root: Path, suite: str, version: int, dataset: str, entry: str) -> Path:
    """RobustBench-style tree: ``<root>/<suite>/v<version>/<dataset>/<entry>.json``."""
    return root / suite / f"v{version}" / dataset / f"{entry}.json"


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"


def read_entry(path: Path) -> LeaderboardEntry:
    """Load and validate; a one-line :class:`SchemaError` names the file and the first problem."""
    if not path.is_file():
        raise SchemaError(f"results file {path} does not exist")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SchemaError(f"results file {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise SchemaError(f"results file {path} must hold a JSON object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"results file {path} has schema_version {version!r}; this harness reads version "
            f"{SCHEMA_VERSION}: re-run the suite to regenerate it"
        )
    try:
        return LeaderboardEntry.model_validate(data)
    except ValidationError as error:
        raise SchemaError(f"results file {path} fails the schema at {_first_error(error)}") from None


def validate_entry(document: LeaderboardEntry | dict, path: Path) -> LeaderboardEntry:
    """Validate a document meant for ``path``; one-line :class:`SchemaError` otherwise."""
    if isinstance(document, LeaderboardEntry):
        document = document.model_dump(mode="json")
    try:
        return LeaderboardEntry.model_validate(document)
    except ValidationError as error:
        raise SchemaError(f"refusing to write {path}: {_first_error(error)}") from None


def write_entry(path: Path, document: LeaderboardEntry | dict) -> LeaderboardEntry:
    """Validate, then write atomically; nothing is written if validation fails."""
    validated = validate_entry(document, path)
    atomic_write_json(path, validated.model_dump(mode="json"))
    return validated
