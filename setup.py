"""Ships the harness's read-only data inside the wheel as package data (``benchmark/_shipped/``).

The suites, split lists and published numbers (``registry/``), the committed checkpoints
(``baselines/``) and the submission template live at the top of the repository, where the CLI,
CI and the README name them; an installed copy reads them with ``importlib.resources`` through
``benchmark.paths.project_root``. An editable install reads the checkout in place, so nothing is
copied for it. Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: repository paths shipped, kept at the same relative paths under benchmark/_shipped/
SHIPPED = ("registry", "baselines", "submissions/submission.template.toml")


class BuildWithData(build_py):
    """build_py, then a fresh copy of :data:`SHIPPED` (a stale build/ must not keep old files)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "benchmark" / "_shipped"
        shutil.rmtree(target, ignore_errors=True)
        for name in SHIPPED:
            source, destination = Path(name), target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, destination)


setup(cmdclass={"build_py": BuildWithData})
