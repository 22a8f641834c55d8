"""Plan -> cells -> publish: typed cells, and the three executors agreeing exactly.

The tiny suite of tests/test_harness.py runs serially, with ``--jobs 2`` and through Ray (where the
extra is installed), every one on one thread per job, and ``arb compare`` with zero tolerance
must find every number equal. Bad execution flags fail in one line with nothing written.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from interrupts import KEPT, catches_sigterm, signal_when
from tiny_suite import TINY_SUITE, run_args

from benchmark.cli import main
from benchmark.jsonio import read_sealed
from benchmark.leaderboard.compare import compare_paths
from benchmark.leaderboard.io import read_entry
from benchmark.plan.specs import AttackCellSpec

ZERO_TOLERANCES = """
[tolerances]
accuracy = { abs = 0.0 }
fooling_rate = { abs = 0.0 }
fr_auc = { abs = 0.0 }
snr_db = { abs = 0.0 }
perturbation = { abs = 0.0 }
gradient_cost = { abs = 0.0 }
counts = { abs = 0.0 }
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    """The tiny suite with zero tolerances, trained once; a serial one-thread run as reference."""
    root = tmp_path_factory.mktemp("executors")
    suite = root / "tiny.toml"
    suite.write_text(TINY_SUITE + ZERO_TOLERANCES)
    baselines = root / "baselines"
    # --force: the tiny models train to chance (3 epochs on 50 tracks) and only need to exist
    assert (
        main(["train", "--suite", str(suite), "--device", "cpu", "--baselines", str(baselines), "--force"])
        == 0
    )
    paths = {"root": root, "suite": suite, "baselines": baselines}
    serial = root / "serial"
    assert main([*run_args(paths, serial, root / "cache-serial"), "--threads", "1"]) == 0
    return {**paths, "serial": serial / "tiny" / "v1" / "synth10"}


def _assert_identical(reference: Path, other: Path) -> None:
    comparison = compare_paths(reference, other)
    assert comparison.entries == 3 and comparison.compared > 300
    assert not comparison.drifts, [str(d) for d in comparison.drifts[:5]]
    for path in reference.glob("*.json"):
        assert read_entry(path).cell_keys == read_entry(other / path.name).cell_keys


def test_plan_resolves_typed_hashable_cells(tiny):
    """Every cell of the tiny suite is a typed, frozen spec keyed like its cache entry."""
    from benchmark.cells.cache import CellCache
    from benchmark.harness.run import run_suite
    from benchmark.plan.suite import load_suite

    result = run_suite(
        load_suite(str(tiny["suite"])),
        device="cpu",
        baselines=tiny["baselines"],
        output_root=tiny["root"] / "unused",
        cache=CellCache(tiny["root"] / "cache-serial"),
        write=False,
    )
    cells = result.plan.cells
    assert len(cells) == len({cell.key for cell in cells}) == len(set(cells)) == 13
    assert [cell.kind for cell in cells] == ["attack"] * 10 + ["transfer"] + ["transferability"] * 2
    targeted = next(c for c in cells if isinstance(c, AttackCellSpec) and c.targeted)
    assert targeted.examples is not None and len(targeted.examples) == 12
    with pytest.raises(Exception, match="frozen"):
        targeted.seed = 1  # type: ignore[misc]
    assert not (tiny["root"] / "unused").exists()


def test_jobs_2_equals_serial_exactly(tiny):
    output = tiny["root"] / "jobs"
    args = [*run_args(tiny, output, tiny["root"] / "cache-jobs"), "--jobs", "2", "--threads", "1"]
    assert main(args) == 0
    _assert_identical(tiny["serial"], output / "tiny" / "v1" / "synth10")


def test_streaming_from_disk_equals_resident_exactly(tiny):
    """``--resident-mb 0`` stores the test set, features and reconstructions and reads them a
    batch at a time (what a GTZAN-sized suite does): every number equals the in-memory run."""
    output = tiny["root"] / "streamed"
    cache = tiny["root"] / "cache-streamed"
    assert main([*run_args(tiny, output, cache), "--resident-mb", "0", "--threads", "1"]) == 0
    _assert_identical(tiny["serial"], output / "tiny" / "v1" / "synth10")
    assert len(list((cache / "rows").rglob("*.f32"))) >= 4  # test set, features, reconstructions


def test_ray_equals_serial_exactly(tiny):
    pytest.importorskip("ray", reason="the optional 'ray' extra is not installed")
    output = tiny["root"] / "ray"
    args = [*run_args(tiny, output, tiny["root"] / "cache-ray"), "--ray", "--jobs", "2", "--threads", "1"]
    assert main(args) == 0
    _assert_identical(tiny["serial"], output / "tiny" / "v1" / "synth10")


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(status.parent.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


@pytest.mark.slow
def test_a_killed_worker_costs_only_its_cell(tiny):
    """SIGKILL a --jobs worker in the middle of the run: its cell runs again, numbers unchanged."""
    output = tiny["root"] / "killed"
    args = run_args(tiny, output, tiny["root"] / "cache-killed")
    command = [sys.executable, "-m", "benchmark.cli", *args, "--jobs", "2", "--threads", "1"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = [pid for pid in _children(process.pid) if "spawn_main" in _cmdline(pid)]
        if len(workers) == 2 and (Path(tiny["root"]) / "cache-killed" / "cells").exists():
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
    _, err = process.communicate(timeout=600)
    assert killed is not None, "no worker was seen running a cell"
    assert process.returncode == 0, err
    assert "a worker died" in err
    _assert_identical(tiny["serial"], output / "tiny" / "v1" / "synth10")


@pytest.mark.slow
def test_sigterm_stops_a_parallel_run_and_a_rerun_resumes(tiny):
    """SIGTERM on `arb run --jobs 2`: exit 130 within seconds, the workers gone, no leaderboard
    written; the same command then finishes from the cells it kept and equals the serial run."""
    output, cache = tiny["root"] / "terminated", tiny["root"] / "cache-terminated"
    args = [*run_args(tiny, output, cache), "--jobs", "2", "--threads", "1"]
    command = [sys.executable, "-m", "benchmark.cli", *args]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []

    def running() -> bool:
        workers[:] = [pid for pid in _children(process.pid) if "spawn_main" in _cmdline(pid)]
        return len(workers) == 2 and (cache / "cells").exists()

    signal_when(process, running, signal.SIGTERM)
    signalled = time.monotonic()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and time.monotonic() - signalled < 20, err
    kept = KEPT.search(err)
    assert kept and int(kept[2]) == 13 and int(kept[1]) == len(list((cache / "cells").rglob("*.cell"))), err
    assert not output.exists() and not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert main(args) == 0
    _assert_identical(tiny["serial"], output / "tiny" / "v1" / "synth10")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_training_saves_nothing_half_written(tiny, tmp_path, signum):
    suite = tmp_path / "long.toml"
    endless = "epochs = 10000, batch_size = 16, patience = 10000"
    suite.write_text(TINY_SUITE.replace("epochs = 3, batch_size = 16, patience = 2", endless))
    baselines = tmp_path / "baselines"
    command = [sys.executable, "-m", "benchmark.cli", "train", "--suite", str(suite), "--device", "cpu"]
    command += ["--baselines", str(baselines), "--force"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    started: list[float] = []  # when arb's handler was in place: training is under way 8 s later

    def training() -> bool:
        if not started and catches_sigterm(process.pid):
            started.append(time.monotonic())
        return bool(started) and time.monotonic() - started[0] > 8

    signal_when(process, training, signum)
    signalled = time.monotonic()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and time.monotonic() - signalled < 20, err
    assert "arb: interrupted; checkpoints saved before the interrupt are kept" in err
    saved = sorted(path.name for path in baselines.glob("*")) if baselines.exists() else []
    assert "cnn2d_stft.safetensors" not in saved and all(not name.endswith(".tmp") for name in saved)


def test_progress_prints_one_plain_line_per_cell_off_a_terminal(tiny, capsys):
    output = tiny["root"] / "logged"
    assert main(run_args(tiny, output, tiny["root"] / "cache-serial")) == 0
    err = capsys.readouterr().err
    assert "suite tiny: 13 cells, 13 from the cache, 0 to run" in err
    fresh = tiny["root"] / "logged-fresh"
    assert main([*run_args(tiny, fresh, tiny["root"] / "cache-fresh"), "--threads", "1"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert len(lines) == 13 and lines[-1].startswith("[13/13] ")
    assert all(" s, " in line and "ETA" in line for line in lines)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--threads", "999"], "--threads must be between 1 and"),
        (["--resident-mb", "-1"], "--resident-mb must be 0 or more"),
        pytest.param(
            ["--ray-address", "127.0.0.1:9"],
            "--ray-address '127.0.0.1:9' is unreachable",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("ray") is None, reason="the optional 'ray' extra is not installed"
            ),
        ),
    ],
)
def test_bad_execution_flags_are_one_line_errors(tiny, tmp_path, one_line_error, flags, message):
    output = tmp_path / "leaderboards"
    assert main([*run_args(tiny, output, tmp_path / "cache"), *flags]) == 2
    assert message in one_line_error()
    assert not output.exists() and not (tmp_path / "cache").exists()


def test_ray_without_the_extra_names_it(tiny, tmp_path, one_line_error, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    output = tmp_path / "leaderboards"
    assert main([*run_args(tiny, output, tmp_path / "cache"), "--ray"]) == 2
    assert "pip install 'audio-robustbench[ray]'" in one_line_error()
    assert not output.exists()


def test_two_runs_sharing_one_cache_agree(tiny, tmp_path):
    """Two processes fill one cache at once: atomic sealed writes, checked reads, identical entries."""
    cache = tmp_path / "shared-cache"
    runs = []
    for name in ("a", "b"):
        args = [*run_args(tiny, tmp_path / name, cache), "--threads", "1"]
        runs.append(subprocess.Popen([sys.executable, "-m", "benchmark.cli", *args], stderr=subprocess.PIPE))
    for process in runs:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err.decode()
    _assert_identical(tiny["serial"], tmp_path / "a" / "tiny" / "v1" / "synth10")
    _assert_identical(tiny["serial"], tmp_path / "b" / "tiny" / "v1" / "synth10")
    entries = sorted((cache / "cells").rglob("*.cell"))
    assert entries and not list((cache / "cells").rglob("*.tmp"))  # no temporary file left behind
    for path in entries:  # every entry whole and sealed: its checksum holds and it names its key
        payload = read_sealed(path)
        assert payload is not None, path
        assert json.loads(payload)["key"] == path.stem


def test_live_progress_names_the_running_cells_and_the_rate():
    """On a terminal the bar shows the running cells, cells per minute and an ETA column."""
    from rich.console import Console

    from benchmark.progress import CellProgress

    console = Console(force_terminal=True, record=True, width=160)
    result = {"wall_time_s": 1.0, "fooled_source": 3, "examples": 10}
    with CellProgress("suite tiny", console=console) as progress:
        progress.begin(total=3, cached=1, slots=2)
        progress.started("cnn2d_stft fgsm/native")
        progress.started("cnn2d_stft bim_b/art")
        progress.finished("cnn2d_stft fgsm/native", result)
        shown = console.export_text()
    assert "suite tiny: 3 cells, 1 from the cache, 2 to run (2 at a time)" in shown
    assert "cnn2d_stft bim_b/art" in shown and "cells/min" in shown and "ETA" in shown
    assert "[2/3]" not in shown  # no plain log lines on a terminal
