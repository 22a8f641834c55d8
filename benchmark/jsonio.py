"""Atomic, deterministic JSON files: a crash never leaves a half-written result; sealed files
(the caches' entries) also carry the sha256 of their content, so an edited one is never trusted."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any


def canonical_json(data: Any) -> str:
    """Key-sorted compact JSON: the input of every config hash."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256_of(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def _umask() -> int:
    """The process umask, read once: from /proc on Linux, else by setting it and back (Python has no
    getter, and the swap would race with threads creating files, so it is done at most once)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_mode(directory: bool = False) -> int:
    """The mode ``open()`` / ``mkdir`` would give: 0o666 (0o777 for a folder) less the umask."""
    return (0o777 if directory else 0o666) & ~_umask()


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``. The file
    gets the mode a plain ``open()`` would give (mkstemp's 0600 would hide results from others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, default_mode())
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def json_bytes(data: Any) -> bytes:
    """Indented JSON as every file of the harness writes it (NaN refused: it is not JSON)."""
    return (json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n").encode()


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, json_bytes(data))


#: the first line of a sealed file, followed by the sha256 (hex) of everything after that line
SEAL = b"arb-sha256:"


def atomic_write_sealed(path: Path, payload: bytes) -> None:
    """Write ``payload`` atomically behind a line holding its sha256 (:func:`read_sealed` checks it)."""
    atomic_write_bytes(path, SEAL + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


def read_sealed(path: Path) -> bytes | None:
    """The payload of a sealed file; ``None`` when it cannot be read or fails its checksum (truncated,
    edited, or not sealed at all), so the caller recomputes instead of trusting it."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header, newline, payload = data.partition(b"\n")
    if not newline or header != SEAL + hashlib.sha256(payload).hexdigest().encode():
        return None
    return payload
