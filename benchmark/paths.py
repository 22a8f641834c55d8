"""Where the project's data folders, its outputs and the user cache live, and the two checks that
keep every name and every written or read file where it belongs.

Read-only data (``registry/``, ``baselines/``, ``submissions/submission.template.toml``) comes from
the source checkout when the package runs from one (``pip install -e`` or ``PYTHONPATH``), else from
the copy a wheel ships as package data (``benchmark/_shipped/``, same layout, see ``setup.py``).
Leaderboards are written under the checkout, or under the working directory for an installed copy:
never into site-packages. ``ARB_ROOT`` overrides both roots (registry/, baselines/, leaderboards/);
``ARB_CACHE_DIR`` overrides the cache (default ``~/.cache/audio-robustbench``).
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from benchmark.errors import BenchmarkError

#: the package-data folder a wheel carries (``setup.py`` copies the shipped files there)
SHIPPED = "_shipped"

#: a name that becomes one path component (suite, entry, dataset, submission): no separator, no
#: ``..``, no leading dot (hidden files, ``.`` and ``..``)
SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class UnsafeNameError(BenchmarkError, ValueError):
    """A name that would become a path is not one plain file name (a ValueError, so pydantic
    validators report it as a field error)."""


def checkout_root() -> Path | None:
    """The source checkout holding this package, or None for an installed wheel."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "registry" / "suites").is_dir() else None


def project_root() -> Path:
    """The folder holding ``registry/``, ``baselines/`` and ``submissions/``."""
    if "ARB_ROOT" in os.environ:
        return Path(os.environ["ARB_ROOT"])
    return checkout_root() or Path(str(resources.files("benchmark").joinpath(SHIPPED)))


def installed() -> bool:
    """True when the data is the wheel's read-only copy (no ``ARB_ROOT``, no checkout)."""
    return "ARB_ROOT" not in os.environ and checkout_root() is None


def output_root() -> Path:
    """Default leaderboard root: the project's ``leaderboards/``, or ``./leaderboards`` when installed."""
    return Path.cwd() / "leaderboards" if installed() else project_root() / "leaderboards"


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
