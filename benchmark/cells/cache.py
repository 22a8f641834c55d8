"""Content-addressed cache of finished cells: ``<cache>/cells/<key[:2]>/<key>.json``.

A cell is written only when complete (atomically), so an interrupted run resumes at the first
unfinished cell and a re-run of a finished suite reads everything back. A corrupt entry is
reported and recomputed, never trusted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from benchmark.jsonio import atomic_write_json
from benchmark.progress import CONSOLE


class CellCache:
    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.root = root / "cells"
        self.enabled = enabled

    @property
    def folder(self) -> Path | None:
        """The cache directory other content-addressed caches (features, figures) share; ``None``
        when caching is off, so ``--no-cache`` turns every one of them off."""
        return self.root.parent if self.enabled else None

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str, schema: type[BaseModel]) -> dict[str, Any] | None:
        """The cached cell if present and valid under ``schema`` (else ``None``: recompute)."""
        path = self._path(key)
        if not self.enabled or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            schema.model_validate(data)
        except (json.JSONDecodeError, UnicodeDecodeError, ValidationError):
            CONSOLE.print(f"[yellow]cache entry {path} is corrupt or from an older schema; recomputing[/]")
            return None
        return data if data.get("key") == key else None

    def put(self, key: str, result: dict[str, Any]) -> None:
        if self.enabled:
            atomic_write_json(self._path(key), result)
