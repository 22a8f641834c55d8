"""Speed of `arb validate` on the example submission, run as a user runs it (a fresh `arb`
process: harness start-up, manifest and path checks, the worker's import of torch and the
submission, one forward and backward pass). Target: under 10 s on the 2-core reference machine.

Run: ``python -m pytest tests/test_bench_submission.py -m benchmark --benchmark-enable``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.paths import project_root

EXAMPLE = project_root() / "submissions" / "example-cnn2d-stft"
ARB = Path(sys.executable).with_name("arb")
TARGET_S = 10.0


@pytest.mark.benchmark(group="arb validate")
def test_validate_the_example(benchmark):
    def validate() -> None:
        subprocess.run(
            [str(ARB), "validate", str(EXAMPLE), "--device", "cpu"], check=True, capture_output=True
        )

    benchmark.pedantic(validate, rounds=3, iterations=1, warmup_rounds=1)
    assert benchmark.stats.stats.mean < TARGET_S
