"""``evaluate()`` against the command line on the same model: the example submission's network,
built in a notebook-like process and passed to ``evaluate(..., suite="quick")``, against ``arb submit``
of the same folder (the same nine attack cells), each a fresh process, interleaved round by round
(the machine is shared, so only ratios of neighbouring runs mean much).

Run: ``python -m pytest tests/test_bench_api.py -m benchmark --benchmark-enable -s``; the report
prints every wall time and the ratios.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmark.paths import project_root

pytestmark = pytest.mark.benchmark

ROUNDS = 2
EXAMPLE = project_root() / "submissions" / "example-cnn2d-stft"

#: what a notebook cell does: build the module, load its weights, evaluate it
NOTEBOOK = f"""
import sys
from safetensors.torch import load_file
sys.path.insert(0, {str(EXAMPLE)!r})
import model
import benchmark
network = model.build()
network.load_state_dict(load_file({str(EXAMPLE / "model.safetensors")!r}))
stft = {{"n_fft": 512, "hop_length": 256}}
result = benchmark.evaluate(network, "quick", input="stft", input_params=stft, name="example", device="cpu")
print(result.robust_accuracy)
"""


def _wall(command: list[str], folder: Path) -> float:
    """Seconds one fresh process takes, run in ``folder``."""
    folder.mkdir()
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=folder)
    return time.perf_counter() - started


def test_evaluate_against_arb_submit_on_quick(tmp_path: Path) -> None:
    """Target (issue 14): ``evaluate()`` adds no measurable time over the command line."""
    submit = [sys.executable, "-m", "benchmark.cli", "submit", str(EXAMPLE), "--suite", "quick"]
    submit += ["--device", "cpu", "--output", "out"]
    walls: dict[str, list[float]] = {"submit": [], "evaluate": []}
    for round_ in range(ROUNDS):
        walls["submit"].append(_wall(submit, tmp_path / f"submit-{round_}"))
        walls["evaluate"].append(_wall([sys.executable, "-c", NOTEBOOK], tmp_path / f"evaluate-{round_}"))
    ratios = [e / s for s, e in zip(walls["submit"], walls["evaluate"], strict=True)]
    print(f"\narb submit: {[round(w, 1) for w in walls['submit']]} s")
    print(f"evaluate(): {[round(w, 1) for w in walls['evaluate']]} s")
    print(f"ratio evaluate / submit per round: {[round(r, 3) for r in ratios]}")
    assert min(ratios) <= 1.05, f"evaluate() took {min(ratios):.2f}x arb submit at best"
