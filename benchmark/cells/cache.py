"""Content-addressed cache of finished cells: ``<cache>/cells/<key[:2]>/<key>.cell``.

A cell is written only when complete, atomically and sealed with the sha256 of its content
(:func:`benchmark.jsonio.atomic_write_sealed`, as the feature cache's entries are), so an
interrupted run resumes at the first unfinished cell, two runs sharing the cache never read a
half-written entry, and a re-run of a finished suite reads everything back. A corrupt entry
(truncated, edited, from an older schema) is reported and recomputed, never trusted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from benchmark.jsonio import atomic_write_sealed, json_bytes, read_sealed
from benchmark.paths import inside
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
        return inside(self.root, key[:2], f"{key}.cell", what="cache entry")

    def get(self, key: str, schema: type[BaseModel]) -> dict[str, Any] | None:
        """The cached cell if present, intact and valid under ``schema`` (else ``None``: recompute)."""
        path = self._path(key)
        if not self.enabled or not path.is_file():
            return None
        payload = read_sealed(path)
        try:
            if payload is None:
                raise ValueError("checksum mismatch")
            data = json.loads(payload)
            schema.model_validate(data)
        except (ValueError, RecursionError, ValidationError):  # JSON and UTF-8 errors are ValueErrors
            CONSOLE.print(
                f"[yellow]cache entry {path} is corrupt, edited or from an older schema; recomputing[/]"
            )
            return None
        return data if data.get("key") == key else None

    def put(self, key: str, result: dict[str, Any]) -> None:
        if self.enabled:
            atomic_write_sealed(self._path(key), json_bytes(result))
