"""`arb train` keeps the committed checkpoints and refuses models that learned nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.api import default_baselines
from benchmark.cli import main
from benchmark.jsonio import sha256_file
from benchmark.paths import project_root
from benchmark.plan.suite import load_suite
from benchmark.training import within_chance


def test_within_chance_hand_values() -> None:
    """p = 1/K plus two binomial standard errors: K = 10, n = 100 gives 0.1 + 2 x 0.03 = 0.16;
    K = 2, n = 6 gives 0.5 + 2 x 0.5 / sqrt(6) = 0.908."""
    assert within_chance(0.159, 10, 100) and not within_chance(0.161, 10, 100)
    assert within_chance(0.9, 2, 6) and not within_chance(0.92, 2, 6)
    assert within_chance(0.0, 10, 100)  # below chance is no better
    assert not within_chance(0.0, 10, 0)  # no validation segments: nothing to judge


def test_train_refuses_committed_checkpoints(one_line_error) -> None:
    """Refused before any data is prepared, and the checkpoints are untouched."""
    committed = project_root() / "baselines"
    before = {p.name: sha256_file(p) for p in committed.glob("*.safetensors")}
    assert main(["train", "--suite", "quick", "--device", "cpu"]) == 2
    assert one_line_error() == (
        f"arb: error: {committed / 'cnn2d_stft'}.safetensors is a committed checkpoint (2 of the 2 "
        "entries have one); pass --force to retrain over them, or --baselines DIR"
    )
    assert {p.name: sha256_file(p) for p in committed.glob("*.safetensors")} == before


def test_real_data_models_default_under_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARB_CACHE_DIR", str(tmp_path / "cache"))
    suite = load_suite("koerich2020")
    assert default_baselines(suite, None, swapped=False) == project_root() / "baselines"
    one = default_baselines(suite, tmp_path / "gtzan", swapped=False)
    assert one.parent == tmp_path / "cache" / "baselines" / "koerich2020" and one.name.startswith("gtzan-")
    assert default_baselines(suite, tmp_path / "gtzan", swapped=False) == one  # train and run meet
    assert default_baselines(suite, tmp_path / "other", swapped=False) != one
