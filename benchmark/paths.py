"""Where the project's data folders and the user cache live, and the two checks that keep every
name and every written or read file where it belongs.

``ARB_ROOT`` overrides the repository root (registry/, baselines/, leaderboards/);
``ARB_CACHE_DIR`` overrides the cache (default ``~/.cache/audio-robustbench``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from benchmark.errors import BenchmarkError

#: a name that becomes one path component (suite, entry, dataset, submission): no separator, no
#: ``..``, no leading dot (hidden files, ``.`` and ``..``)
SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class UnsafeNameError(BenchmarkError, ValueError):
    """A name that would become a path is not one plain file name (a ValueError, so pydantic
    validators report it as a field error)."""


def project_root() -> Path:
    return Path(os.environ.get("ARB_ROOT", Path(__file__).resolve().parents[1]))


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "audio-robustbench"
    return Path(os.environ.get("ARB_CACHE_DIR", default))


def safe_name(value: str, what: str) -> str:
    """``value`` if it can be one file name; else a one-line error naming ``what`` and the rule."""
    if not SAFE_NAME.fullmatch(value):
        raise UnsafeNameError(
            f"{what} {value!r} must be letters, digits, '.', '_' or '-' without a leading dot "
            "(it becomes a file or folder name)"
        )
    return value


def inside(root: Path, *parts: str, what: str = "path") -> Path:
    """``root/parts...``, refused in one line when it resolves (``..``, an absolute part, a
    symlink) outside ``root``: every file the harness writes, and every file a dataset's metadata
    names, goes through here."""
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise BenchmarkError(
            f"{what} {path} resolves to {path.resolve()}, outside {root}; keep it inside {root}"
        )
    return path
