"""`arb sweep` (Esmaeilpour et al. 2021 Tables 2-4 / 7, Figs. 1-5): a tiny sweep end to end through
the CLI, and bad grids refused in one line before anything is trained or written."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from interrupts import KEPT, signal_when

from benchmark.cli import main
from benchmark.leaderboard.io import read_entry
from benchmark.plan.sweep import SweepResult, parse_value, value_label

#: synth10 shrunk to 5 two-second tracks per class (5 segments each at 1 s / 75 %), 1 test track per
#: class: 50 attacked segments; 4 epochs at batch 10 lift the compact cnn2d well above chance
TINY = [
    "--dataset-param", "tracks_per_class=5", "--dataset-param", "track_seconds=2",
    "--test-tracks-per-class", "1", "--epochs", "4", "--batch-size", "10", "--device", "cpu",
]  # fmt: skip


def _arguments(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "sweep", "--architecture", "cnn2d", "--representation", "stft",
        "--attack", "fgsm/native", "--attack", "bim_b/native", "--budgets", "0.003,0.01,0.03",
        *TINY, "--output", str(tmp_path / "sweep"), "--cache-dir", str(tmp_path / "cache"), *extra,
    ]  # fmt: skip


def _sweep(tmp_path: Path, *extra: str) -> int:
    return main(_arguments(tmp_path, *extra))


@pytest.mark.slow  # about 20 s on 2 shared cores: two trainings, four attack cells, a cached re-run
@pytest.mark.usefixtures("one_thread")
def test_tiny_sweep_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _sweep(tmp_path, "--setting", "n_fft=512,1024", "--param", "hop_length=256") == 0
    folder = tmp_path / "sweep"
    result = SweepResult.model_validate(json.loads((folder / "sweep.json").read_text()))
    assert [row.value for row in result.rows] == [512, 1024]
    assert [row.entry for row in result.rows] == ["cnn2d_stft_n_fft-512", "cnn2d_stft_n_fft-1024"]
    assert result.test_segments == 50 and result.sweep.training.epochs == 4
    for row in result.rows:
        entry = read_entry(folder / row.results_file)  # the runner's validated leaderboard file
        assert entry.model.representation["n_fft"] == row.value and entry.model.clean == row.clean
        assert row.clean.segment > 0.2  # chance is 0.1
        fgsm, bim = row.attacks["fgsm/native"], row.attacks["bim_b/native"]
        assert fgsm.gradients_per_example == 1.0  # one gradient per example at every budget
        assert bim.gradients_per_example == 10.0  # bim_b's default 10 fixed steps
        assert 0 < fgsm.fr_auc <= bim.fr_auc <= 1  # iterating fools at least as often here
        cells = {cell.attack: cell for cell in entry.attacks}
        assert fgsm.fr_auc == cells["fgsm"].fr_auc and bim.fr_auc == cells["bim_b"].fr_auc
        assert (folder / "checkpoints" / f"{row.entry}.safetensors").is_file()
    table = (folder / "sweep.md").read_text()
    assert "| n_fft | clean acc. segment (%) | MV (%) | SR (%) | fgsm/native FR-AUC |" in table
    first = result.rows[0]
    assert f"| 512 | {100 * first.clean.segment:.1f} |" in table
    assert f"{first.attacks['fgsm/native'].fr_auc:.4f}" in table
    assert (folder / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "n_fft sweep" in capsys.readouterr().out
    # a re-run reuses the checkpoints and the cached cells and gives the same table
    assert _sweep(tmp_path, "--setting", "n_fft=512,1024", "--param", "hop_length=256") == 0
    assert "reusing the checkpoint" in capsys.readouterr().err
    assert SweepResult.model_validate(json.loads((folder / "sweep.json").read_text())).rows == result.rows


#: two small STFTs: four cells (FGSM, then BIM-b with its 10 steps, on each), seconds each
SMALL = ["--setting", "n_fft=256,512", "--param", "hop_length=256", "--threads", "1"]


@pytest.mark.slow  # about 45 s each on 2 shared cores: two trainings, an interrupt, a resumed run
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_sweep_exits_130_saying_what_it_kept_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signum: int
) -> None:
    """Ctrl-C or SIGTERM while the cells run: exit 130 within seconds, the count of cached cells
    said, no table written; the same command then runs only the cells it lacked."""
    arguments = [sys.executable, "-m", "benchmark.cli", *_arguments(tmp_path, *SMALL)]
    process = subprocess.Popen(arguments, stderr=subprocess.PIPE, text=True)
    cells = tmp_path / "cache" / "cells"
    signal_when(process, lambda: any(cells.rglob("*.cell")), signum)
    signalled = time.monotonic()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and time.monotonic() - signalled < 10, err
    kept = KEPT.search(err)
    cached = len(list(cells.rglob("*.cell")))
    assert kept and (int(kept[1]), int(kept[2])) == (cached, 4) and 0 < cached < 4, err
    assert not (tmp_path / "sweep" / "sweep.json").exists()
    assert _sweep(tmp_path, *SMALL) == 0
    assert f"4 cells, {cached} from the cache, {4 - cached} to run" in capsys.readouterr().err
    assert (tmp_path / "sweep" / "sweep.json").is_file()


@pytest.mark.parametrize(
    ("setting", "extra", "message"),
    [
        ("n_fftt=512,1024", [], r"representation 'stft' has no setting 'n_fftt'; its settings are n_fft,"),
        ("n_fft=512,1024", ["--param", "n_fft=256"], "setting 'n_fft' is swept; do not also fix it"),
        ("n_fft=512,512", [], "setting 'n_fft' repeats a value: 512, 512"),
        ("n_fft", [], r"'n_fft' is not NAME=V1,V2,... \(e.g. n_mfcc=13,20,40\)"),
        ("window_scale=1,0.1", [], r"stft: window_scale=0.1 must be in \[0.25, 1.0\]"),
        ("win_length=512,1024", [], r"stft: win_length=1024 must be in \[1, n_fft=512\]"),
        ("hop_length=0,128", [], "stft: hop_length=0 must be >= 1 sample"),
        ("sample_rate=16000,96000", [], r"stft: sample_rate=96000 is not supported; .* \[8000, 48000\]"),
        ("n_fft=512,1024", ["--attack", "fgsm/nowhere"], "fgsm/nowhere"),
        ("n_fft=512,1024", ["--budgets", "0.03,0.01"], "budgets must be sorted ascending"),
        ("n_fft=512,1024", ["--budgets", "0.01,2"], r"fgsm' \(backend 'native'\): budget 2.0 exceeds"),
    ],
)
def test_bad_grid_fails_in_one_line_before_training(
    tmp_path: Path, one_line_error: Callable[[], str], setting: str, extra: list[str], message: str
) -> None:
    assert _sweep(tmp_path, "--setting", setting, *extra) == 2
    assert re.search(message, one_line_error())
    assert not (tmp_path / "sweep").exists() and not (tmp_path / "cache").exists()


def test_values_parse_and_label() -> None:
    assert [parse_value(t) for t in ("13", "0.25", "none", "True", "ortho", "cmor1.5-1.0")] == [
        13, 0.25, None, True, "ortho", "cmor1.5-1.0",
    ]  # fmt: skip
    assert [value_label(v) for v in (13, 0.25, None, False, "ortho")] == [
        "13",
        "0.25",
        "none",
        "false",
        "ortho",
    ]
