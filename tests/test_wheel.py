"""A wheel install works outside the checkout: suites, baselines and the template ship as package
data, and outputs go under the working directory, never into site-packages (slow: builds a wheel).

The venv is created from the test's interpreter with ``--system-site-packages`` and a ``.pth`` line
naming this interpreter's site-packages, so the dependencies come from here (no download); the
wheel is installed with ``--no-deps`` and shadows any editable copy of ``benchmark`` there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from tiny_suite import QUICK_CNN2D_STFT, fgsm, suite_toml

from benchmark.paths import checkout_root

#: the quick suite's shipped cnn2d_stft (same model spec, so its committed checkpoint loads), one
#: FGSM budget on one test track per class
WHEEL_SUITE = suite_toml(
    "wheeltiny",
    "a shipped quick-suite model, one attack",
    QUICK_CNN2D_STFT,
    fgsm("cnn2d_stft", stft=[0.01]),
    test_fold=0,
    test_tracks_per_class=1,
    overlap=0.75,
    batch_size=128,
)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without PYTHONPATH / ARB_ROOT: the checkout must not leak into the venv
    (pip would take a checkout's egg-info on the path as the package already installed)."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "ARB_ROOT")}
    return {**env, **extra}


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    env = env or clean_env()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if "__pycache__" not in path.parts}


def install_wheel(tmp_path: Path) -> tuple[Path, Path]:
    """Build the wheel from this checkout and install it into a fresh venv: (venv, its package)."""
    source = checkout_root()
    assert source is not None, "run from the source checkout"
    wheels, venv = tmp_path / "wheels", tmp_path / "venv"
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)], tmp_path)
    (wheel,) = wheels.glob("audio_robustbench-*.whl")
    run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path)
    python = str(venv / "bin" / "python")
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(run([python, "-c", purelib], tmp_path).strip())
    run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], tmp_path)
    # after the install: pip would otherwise find this interpreter's (editable) copy and skip it
    (site / "arb-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv, site / "benchmark"


@pytest.mark.slow
def test_wheel_install_runs_from_any_directory(tmp_path: Path) -> None:
    venv, package = install_wheel(tmp_path)
    shipped = package / "_shipped"
    assert (shipped / "registry" / "suites" / "quick.toml").is_file()
    assert (shipped / "baselines" / "cnn2d_stft.safetensors").is_file()
    assert (shipped / "submissions" / "submission.template.toml").is_file()
    before = files_under(package)
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(ARB_CACHE_DIR=str(tmp_path / "cache"), OMP_NUM_THREADS="1", COLUMNS="300")
    where = [str(venv / "bin" / "python"), "-c", "import benchmark; print(benchmark.__file__)"]
    assert Path(run(where, work, env).strip()).parent == package
    arb = str(venv / "bin" / "arb")
    listed = run([arb, "list", "suites"], work, env)
    assert {"quick", "standard", "pons", "koerich2020"} <= set(listed.split())
    (work / "wheeltiny.toml").write_text(WHEEL_SUITE)
    printed = run([arb, "run", "--suite", "wheeltiny.toml", "--device", "cpu"], work, env)
    board = work / "leaderboards" / "wheeltiny" / "v1" / "synth10"
    assert (board / "cnn2d_stft.json").is_file() and (board / "summary.md").is_file()
    assert str(board / "cnn2d_stft.json") in printed
    refused = subprocess.run(
        [arb, "train", "--suite", "quick"], cwd=work, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "installed package's committed checkpoints" in refused.stderr
    assert files_under(package) == before  # nothing written into site-packages
