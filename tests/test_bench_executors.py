"""Executors side by side: the quick suite serial against ``--jobs 2``, and Ray's cost per cell
against ``--jobs`` on the same cells, interleaved round by round in one session (the machine is
shared, so only ratios of neighbouring runs mean much).

Run: ``python -m pytest tests/test_bench_executors.py -m benchmark --benchmark-enable -s``. Each
run is a fresh ``arb run --no-cache`` process into a temporary folder; the report prints every
wall time and the ratios.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

ROUNDS = 2


def _wall(args: list[str], tmp: Path, name: str) -> float:
    """Seconds one ``arb run --no-cache`` takes as a whole process."""
    output = tmp / name
    command = [sys.executable, "-m", "benchmark.cli", "run", "--no-cache", "--device", "cpu"]
    command += ["--output", str(output)]
    started = time.perf_counter()
    subprocess.run([*command, *args], check=True, capture_output=True)
    return time.perf_counter() - started


def _interleaved(variants: dict[str, list[str]], tmp: Path) -> dict[str, list[float]]:
    walls: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(ROUNDS):
        for name, args in variants.items():
            walls[name].append(_wall(args, tmp, f"{name}-{round_}"))
    return walls


def test_jobs_2_against_serial_on_quick(tmp_path: Path) -> None:
    """Target (issue 13): ``--jobs 2`` at most 0.6x the serial wall time on this 2-core machine."""
    variants = {"serial": ["--suite", "quick"], "jobs2": ["--suite", "quick", "--jobs", "2"]}
    walls = _interleaved(variants, tmp_path)
    ratios = [jobs / serial for serial, jobs in zip(walls["serial"], walls["jobs2"], strict=True)]
    print(f"\nquick, serial (2 threads): {[round(w, 1) for w in walls['serial']]} s")
    print(f"quick, --jobs 2 (1 thread each): {[round(w, 1) for w in walls['jobs2']]} s")
    print(f"ratio jobs2 / serial per round: {[round(r, 3) for r in ratios]}")
    assert min(ratios) <= 0.6, f"--jobs 2 took {min(ratios):.2f}x the serial wall time at best (target 0.6x)"


def test_ray_overhead_per_cell(tmp_path: Path) -> None:
    """Ray's start-up and per-task cost against local processes, on the quick suite's 16 cells."""
    pytest.importorskip("ray", reason="the optional 'ray' extra is not installed")
    args = ["--suite", "quick", "--jobs", "2"]
    walls = _interleaved({"jobs2": args, "ray": [*args, "--ray"]}, tmp_path)
    cells = 16
    per_cell = [(ray - jobs) / cells for jobs, ray in zip(walls["jobs2"], walls["ray"], strict=True)]
    print(f"\nquick, --jobs 2: {[round(w, 1) for w in walls['jobs2']]} s")
    print(f"quick, --ray --jobs 2: {[round(w, 1) for w in walls['ray']]} s")
    print(f"Ray's extra seconds per cell: {[round(c, 2) for c in per_cell]}")
    written = sorted(path.name for path in (tmp_path / "ray-0" / "quick" / "v1" / "synth10").glob("*.json"))
    assert written == ["cnn1d_gammatone_waveform.json", "cnn2d_stft.json"]
