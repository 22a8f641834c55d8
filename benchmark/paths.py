"""Where the project's data folders, its outputs and the user cache live.

Read-only data (``registry/``, ``baselines/``, ``submissions/submission.template.toml``) comes from
the source checkout when the package runs from one (``pip install -e`` or ``PYTHONPATH``), else from
the copy a wheel ships as package data (``benchmark/_shipped/``, same layout, see ``setup.py``).
Leaderboards are written under the checkout, or under the working directory for an installed copy:
never into site-packages. ``ARB_ROOT`` overrides both roots (registry/, baselines/, leaderboards/);
``ARB_CACHE_DIR`` overrides the cache (default ``~/.cache/audio-robustbench``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: the package-data folder a wheel carries (``setup.py`` copies the shipped files there)
SHIPPED = "_shipped"


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
