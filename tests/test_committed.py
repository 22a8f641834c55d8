"""The committed artifacts: leaderboard files validate and say what the algorithms must say;
baselines load through their verified cards; a slow test re-runs `quick` against them."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from benchmark.cli import main
from benchmark.data.protocol import prepare_data
from benchmark.harness.suite import load_suite
from benchmark.leaderboard.io import read_entry
from benchmark.models.reference import load_reference
from benchmark.paths import project_root

ROOT = project_root()
QUICK = ROOT / "leaderboards" / "quick" / "v1" / "synth10"
ENTRIES = sorted(QUICK.glob("*.json"))
#: the suite's own models (`arb run`); the other entries are submissions (`arb submit`)
REFERENCES = [path for path in ENTRIES if read_entry(path).submission is None]


def test_the_quick_leaderboard_is_committed_for_every_model():
    suite = load_suite("quick")
    assert sorted(path.stem for path in REFERENCES) == sorted(suite.models)
    assert (QUICK / "summary.md").is_file()


@pytest.mark.parametrize("path", ENTRIES, ids=lambda p: p.stem)
def test_committed_entries_validate_and_are_internally_consistent(path: Path):
    entry = read_entry(path)
    suite = load_suite("quick")
    assert entry.suite.version == suite.version and entry.config == suite.resolved()
    assert entry.dataset.test_tracks == 10 * suite.test_tracks_per_class
    for cell in entry.attacks:
        steps = 1 if cell.attack == "fgsm" else cell.params["steps"]
        for point in cell.per_budget:
            if cell.attack == "bim_a":
                assert 1 <= point.gradient_evals_per_example <= steps
            else:
                assert point.gradient_evals_per_example == steps  # exact, counted by the wrapper
            assert point.linf_mean <= point.budget + 1e-6  # float32: one ulp of values near 1
        rates = [p.fooling_rate for p in cell.per_budget]
        assert all(a <= b + 1e-9 for a, b in itertools.pairwise(rates)) or cell.attack == "fgsm"
    by_attack: dict[str, list] = {}
    for cell in entry.attacks:
        by_attack.setdefault(cell.attack, []).append([p.fooling_rate for p in cell.per_budget])
    for attack, curves in by_attack.items():  # backends agree on the same model, inputs, budgets
        for curve in curves[1:]:
            assert curve == pytest.approx(curves[0], abs=2 / entry.dataset.test_segments), attack
    for transfer in entry.transfer:
        assert transfer.clean_reconstruction_snr_db > 90  # Koerich sec. IV: exact with the phase


def test_baselines_load_through_their_verified_cards():
    suite = load_suite("quick")
    prepared = prepare_data(
        suite.dataset, suite.dataset_params, segment_seconds=suite.segment_seconds, overlap=suite.overlap
    )
    for entry, spec in suite.models.items():
        _model, card = load_reference(
            entry,
            spec,
            ROOT / "baselines",
            suite=suite.name,
            sample_rate=prepared.sample_rate,
            segment_samples=prepared.segment_samples,
            num_classes=prepared.num_classes,
        )
        assert card["dataset"]["content_sha256"] == prepared.identity["content_sha256"]
        assert card["clean_accuracy"]["test"]["mv"] >= 0.9
        assert card["training"]["wall_time_s"] < 60


@pytest.mark.slow
def test_rerunning_quick_reproduces_the_committed_numbers(tmp_path):
    """Same machine class, same seed: every metric within 1e-6, every count exact."""
    args = ["run", "--suite", "quick", "--device", "cpu", "--output", str(tmp_path), "--no-cache"]
    assert main(args) == 0
    for path in REFERENCES:
        committed = json.loads(path.read_text())
        fresh = json.loads((tmp_path / "quick" / "v1" / "synth10" / path.name).read_text())
        for old, new in zip(committed["attacks"], fresh["attacks"], strict=True):
            for a, b in zip(old["per_budget"], new["per_budget"], strict=True):
                for key, value in a.items():
                    if isinstance(value, int):
                        assert b[key] == value, key
                    elif isinstance(value, float) and math.isfinite(value):
                        assert b[key] == pytest.approx(value, abs=1e-6), key
