"""Executors side by side: the quick suite serial against ``--jobs 2``, and Ray's cost per cell
against ``--jobs`` on the same cells, interleaved in one session (the machine is shared, so only
ratios of neighbouring runs mean much).

Run: ``python -m pytest tests/test_bench_executors.py -m benchmark --benchmark-enable -s``. The
quick-suite runs are fresh ``arb run --no-cache`` processes into a temporary folder; Ray's
overhead is measured on the tiny suite's cheap cells (what a task costs beyond its work shows
best there), calling the executors directly. The report prints every wall time and the ratios.
"""

from __future__ import annotations

import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from tiny_suite import TINY_SUITE

from benchmark.cells.executors import Executor, ProcessExecutor
from benchmark.cells.inputs import Inputs, InputsRecipe, ReferenceModels
from benchmark.cli import main
from benchmark.plan.planner import plan_suite
from benchmark.plan.specs import AnyCellSpec
from benchmark.plan.suite import load_suite
from benchmark.progress import CellProgress

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


@pytest.fixture(scope="module")
def tiny_cells(tmp_path_factory) -> tuple[list[AnyCellSpec], Inputs]:
    """The tiny suite's 13 cheap cells (trained to chance: they only need to exist) and its inputs."""
    root = tmp_path_factory.mktemp("ray-overhead")
    suite_file = root / "tiny.toml"
    suite_file.write_text(TINY_SUITE)
    baselines = root / "baselines"
    train = ["train", "--suite", str(suite_file), "--device", "cpu", "--baselines", str(baselines), "--force"]
    assert main(train) == 0
    suite = load_suite(str(suite_file))
    inputs = Inputs(InputsRecipe(suite, ReferenceModels(suite, baselines), "cpu", None))
    data, models = inputs.facts()
    return list(plan_suite(suite, data, models).cells), inputs


def _executor_run(executor: Executor, cells: list[AnyCellSpec], inputs: Inputs) -> tuple[float, dict]:
    """Seconds ``executor`` takes for ``cells`` from its start (pool or Ray instance) to its last
    result, and the results by key without their wall times."""
    results: dict[str, dict] = {}
    progress = CellProgress("overhead", live=False, console=Console(file=StringIO()))

    def done(cell: AnyCellSpec, result: dict) -> None:
        results[cell.key] = {name: value for name, value in result.items() if name != "wall_time_s"}

    started = time.perf_counter()
    executor.run(cells, inputs, progress, done)
    return time.perf_counter() - started, results


def test_ray_overhead_per_cell(tiny_cells) -> None:
    """Ray's start-up and per-task cost against ``--jobs 2`` (one thread each), on the tiny suite's
    cheap cells run once and three times over: the difference of the two executors' times is
    Ray's start-up (intercept) plus its extra seconds per cell (slope) times the cells."""
    pytest.importorskip("ray", reason="the optional 'ray' extra is not installed")
    from benchmark.cells.ray_executor import RayExecutor

    cells, inputs = tiny_cells
    sizes = {1: cells, 3: cells * 3}
    walls: dict[str, dict[int, float]] = {"jobs2": {}, "ray": {}}
    for times, batch in sizes.items():  # interleaved: neighbouring runs see the same load
        walls["jobs2"][times], by_jobs = _executor_run(ProcessExecutor(2, 1), batch, inputs)
        walls["ray"][times], by_ray = _executor_run(RayExecutor(2, 1, None), batch, inputs)
        assert by_ray == by_jobs and len(by_ray) == len(cells)  # every cell back, numbers identical
    extra = {times: walls["ray"][times] - walls["jobs2"][times] for times in sizes}
    per_cell = (extra[3] - extra[1]) / (2 * len(cells))
    start_up = extra[1] - per_cell * len(cells)
    for name, wall in walls.items():
        count = len(cells)
        print(f"\ntiny suite, {name}: {count} cells {wall[1]:.1f} s, {3 * count} cells {wall[3]:.1f} s")
    print(f"Ray's extra start-up: {start_up:.2f} s; extra seconds per cell: {per_cell:.3f}")
