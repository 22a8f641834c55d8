"""Speed of `arb compare` on two leaderboards of 1,000 entries each (2,000 files, every one read
and validated against the schema, every metric compared), run as a user runs it.

Run: ``python -m pytest tests/test_bench_leaderboard.py -m benchmark --benchmark-enable``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.leaderboard.io import read_entry
from benchmark.paths import project_root

ENTRIES = 1000
ARB = Path(sys.executable).with_name("arb")
COMMITTED = project_root() / "leaderboards" / "quick" / "v1" / "synth10" / "cnn2d_stft.json"


@pytest.fixture(scope="module")
def leaderboards(tmp_path_factory) -> tuple[Path, Path]:
    """Two folders of 1,000 current-schema entries; NEW drifts within tolerance on every entry."""
    root = tmp_path_factory.mktemp("thousand")
    document = read_entry(COMMITTED).model_dump(mode="json")
    for side, shift in (("old", 0.0), ("new", 0.001)):
        (root / side).mkdir()
        for index in range(ENTRIES):
            document["entry"] = f"entry-{index:04d}"
            document["attacks"][0]["per_budget"][0]["fooling_rate"] += shift
            (root / side / f"entry-{index:04d}.json").write_text(json.dumps(document))
            document["attacks"][0]["per_budget"][0]["fooling_rate"] -= shift
    return root / "old", root / "new"


@pytest.mark.benchmark(group="arb compare")
def test_compare_two_thousand_entry_leaderboards(benchmark, leaderboards):
    old, new = leaderboards

    def compare() -> str:
        done = subprocess.run(
            [str(ARB), "compare", str(old), str(new)], check=True, capture_output=True, text=True
        )
        return done.stdout

    out = benchmark.pedantic(compare, rounds=3, iterations=1)
    assert f"of {ENTRIES} entries: all within tolerance" in out
