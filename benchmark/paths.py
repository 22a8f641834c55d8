"""Where the project's data folders and the user cache live.

``ARB_ROOT`` overrides the repository root (registry/, baselines/, leaderboards/);
``ARB_CACHE_DIR`` overrides the cache (default ``~/.cache/audio-robustbench``).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    return Path(os.environ.get("ARB_ROOT", Path(__file__).resolve().parents[1]))


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "audio-robustbench"
    return Path(os.environ.get("ARB_CACHE_DIR", default))
