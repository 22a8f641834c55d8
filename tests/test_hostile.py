"""Hostile input (issue 15), through the CLI's ``main`` as a user would give it: a name that would
become a path out of its root, dataset metadata naming a file outside the dataset, a seed NumPy
cannot take, an all-zero budget schedule, a non-UTF-8 file name in a submission, a results file
nested deep enough to crash a recursive parser or holding NaN / inf, an edited cache entry, and a
plan too costly to run. Each refusal is one ``arb: error:`` line and exit 2, with nothing written
outside the test's own run folder (nor into the repository's leaderboards)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from data_trees import esc50_tree, gtzan_tree, us8k_tree, write_clip, write_csv
from pydantic import BaseModel
from tiny_suite import QUICK_CNN2D_STFT, fgsm, suite_toml

from benchmark.attacks.base import build_attack
from benchmark.cells import cache as cache_module
from benchmark.cells.cache import CellCache
from benchmark.cli import main
from benchmark.errors import BenchmarkError
from benchmark.jsonio import SEAL, atomic_write_sealed, read_sealed
from benchmark.leaderboard.io import entry_path, read_entry
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.models.reference import card_path
from benchmark.paths import inside, project_root, safe_name
from benchmark.registry import REPRESENTATIONS
from benchmark.representations.base import build_representation, representation_settings
from benchmark.submission import boxed as boxed_module
from benchmark.submission import commands as commands_module

ROOT = project_root()
EXAMPLE = ROOT / "submissions" / "example-cnn2d-stft"
QUICK_ENTRY = ROOT / "leaderboards" / "quick" / "v1" / "synth10" / "cnn2d_stft.json"

#: the quick suite's 2D model (its committed checkpoint) on one test track per class
SUITE = suite_toml(
    "hostile",
    "hostile-input tests",
    QUICK_CNN2D_STFT,
    fgsm("cnn2d_stft", stft=[0.001, 0.01]),
    test_tracks_per_class=1,
    overlap=0.75,
)


def _snapshot(*roots: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for r in roots if r.exists() for p in r.rglob("*")}


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The folder a hostile command may write in; everything beside it (the test's other files, the
    repository's leaderboards) must be exactly as before the command."""
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv("ARB_CACHE_DIR", str(run / "user-cache"))  # track caches, split files
    watched = (tmp_path.parent, ROOT / "leaderboards")
    before = {p: s for p, s in _snapshot(*watched).items() if not p.is_relative_to(run)}
    yield run
    after = {p: s for p, s in _snapshot(*watched).items() if not p.is_relative_to(run)}
    assert after == before, sorted(set(after) ^ set(before))


def _suite(folder: Path, old: str = "", new: str = "") -> Path:
    path = folder / "hostile.toml"
    path.write_text(SUITE.replace(old, new, 1) if old else SUITE)
    return path


def _run(suite: Path, run: Path, *extra: str) -> list[str]:
    output, cache = run / "leaderboards", run / "cache"
    return ["run", "--suite", str(suite), "--output", str(output), "--cache-dir", str(cache),
            "--device", "cpu", "--baselines", str(ROOT / "baselines"), *extra]  # fmt: skip


def refused(args: list[str], one_line_error: Callable[[], str], message: str) -> str:
    assert main(args) == 2
    error = one_line_error()
    assert message in error, error
    return error


# --- names that become paths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "hostile"', 'name = "../ESCAPED"', "name '../ESCAPED' must be letters"),
        ('name = "hostile"', 'name = ".hidden"', "name '.hidden' must be letters"),
        ("[models.cnn2d_stft]", '[models."../cnn2d_stft"]', "model entry '../cnn2d_stft'"),
        ('dataset = "synth10"', 'dataset = "../synth10"', "name '../synth10'"),
    ],
)
@pytest.mark.parametrize("command", ["run", "leaderboard"])
def test_a_name_that_would_leave_its_root_is_refused(run_dir, one_line_error, old, new, message, command):
    suite = _suite(run_dir, old, new)
    if command == "run":
        args = _run(suite, run_dir)
    else:
        args = ["leaderboard", str(suite), "--output", str(run_dir / "leaderboards"), "--format", "markdown"]
    refused(args, one_line_error, message)
    assert not (run_dir / "leaderboards").exists()


def test_every_write_resolves_inside_its_root(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "linked").symlink_to(outside)  # a folder of the tree that leads out of it
    assert entry_path(root, "quick", 1, "synth10", "e") == root / "quick" / "v1" / "synth10" / "e.json"
    for make in (
        lambda: entry_path(root, "..", 1, "synth10", "e"),
        lambda: entry_path(root, "quick", 1, "synth10", "../../../../x"),
        lambda: entry_path(root, "linked", 1, "synth10", "e"),
        lambda: card_path(root, "../x"),
        lambda: inside(root, "/etc/passwd"),
    ):
        with pytest.raises(BenchmarkError, match="outside"):
            make()
    assert safe_name("cnn2d_stft-1.0", "name") == "cnn2d_stft-1.0"
    for bad in ("", ".", "..", "../x", "a/b", ".hidden", "a b", "é"):
        with pytest.raises(BenchmarkError, match="must be letters"):
            safe_name(bad, "name")


# --- dataset metadata naming files outside the dataset --------------------------------------------


def _esc50(root: Path) -> None:
    rows = esc50_tree(root)
    rows[0][0] = "../../outside.wav"  # from audio/, two levels up: beside the dataset's folder
    write_csv(root / "meta" / "esc50.csv", ["filename", "fold", "target", "category", "esc10",
                                            "src_file", "take"], rows)  # fmt: skip


def _us8k(root: Path) -> None:
    rows = us8k_tree(root)
    rows[0][0] = "../../../outside.wav"
    header = ["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class"]
    write_csv(root / "metadata" / "UrbanSound8K.csv", header, rows)


def _folder(root: Path) -> None:
    rows: list[list[object]] = []
    for i, label in enumerate(["a", "a", "b", "b"]):
        write_clip(root / "audio" / f"{i}.wav", 0.2, 16000, 300.0 + 50 * i)
        rows.append([f"{i}.wav", label, 1 + i % 2])
    write_csv(root / "labels.csv", ["filename", "label", "fold"], [*rows, ["../../outside.wav", "b", 2]])


def _gtzan(root: Path) -> None:
    gtzan_tree(root, per_genre=1)
    track = root / "genres" / "blues" / "blues.00000.au"
    track.unlink()
    track.symlink_to(root.parent / "outside.wav")  # a listed track that is a link out of the copy


@pytest.mark.parametrize(
    ("name", "build"), [("esc50", _esc50), ("urbansound8k", _us8k), ("folder", _folder), ("gtzan", _gtzan)]
)
def test_metadata_naming_a_file_outside_the_dataset_is_refused(run_dir, one_line_error, name, build):
    root = run_dir / "data" / name
    root.mkdir(parents=True)
    write_clip(run_dir / "data" / "outside.wav", 0.2, 44100, 440.0)
    build(root)
    error = refused(["data", "check", name, "--data-root", str(root)], one_line_error, "outside")
    assert "audio file" in error and "keep it inside" in error


# --- values the harness cannot take ----------------------------------------------------------------


FGSM, NATIVE = 'attack = "fgsm"', 'backends = ["native"]'
DATASET = 'dataset = "synth10"'


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ([("seed = 0", "seed = -1")], "seed: Input should be greater than or equal to 0"),
        ([("seed = 0", "seed = 4294967296")], "seed: Input should be less than or equal to 4294967295"),
        ([(DATASET, DATASET + "\ndataset_params = { seed = 4294967296 }")], "synth10 seed must be"),
        ([(FGSM, 'attack = "pgd"'), (NATIVE, NATIVE + "\nparams = { seed = -5 }")], "'pgd' seed must be"),
        ([("stft = [0.001, 0.01]", "stft = [0.0, 0.0]")], "the largest budget must be positive"),
        ([(FGSM, 'attack = "bim_b"'), (NATIVE, NATIVE + "\nparams = { steps = 0 }")], "steps must be >= 1"),
    ],
)
def test_a_value_the_harness_cannot_take_is_refused_before_any_cell(run_dir, one_line_error, edits, message):
    suite = _suite(run_dir)
    for old, new in edits:
        suite.write_text(suite.read_text().replace(old, new, 1))
    refused(_run(suite, run_dir), one_line_error, message)
    assert not (run_dir / "leaderboards").exists()
    assert not list((run_dir / "cache").rglob("*.cell"))  # refused at plan time: no cell ran


def test_sweep_seed_out_of_range(run_dir, one_line_error):
    args = ["sweep", "--architecture", "cnn2d", "--representation", "stft", "--setting", "n_fft=256,512",
            "--attack", "fgsm/native", "--budgets", "0.01", "--seed", "-1",
            "--output", str(run_dir / "s")]  # fmt: skip
    refused(args, one_line_error, "seed")
    assert not (run_dir / "s").exists()


def test_a_plan_beyond_max_gradients_is_refused_with_its_estimate(run_dir, one_line_error):
    """1e9 BIM steps would run until killed; the estimate refuses it before the first cell."""
    suite = _suite(run_dir, NATIVE, NATIVE + "\nparams = { steps = 1000000000 }")
    suite.write_text(suite.read_text().replace(FGSM, 'attack = "bim_b"'))
    error = refused(_run(suite, run_dir), one_line_error, "needs an estimated 2.6e+11 input gradients")
    assert "cnn2d_stft bim_b/native" in error and "--max-gradients 1e+10" in error
    # the default suite: 130 segments x (1 + 1) FGSM budgets = 260 gradients, refused under 259
    refused(_run(_suite(run_dir), run_dir, "--max-gradients", "259"), one_line_error, "estimated 260 input")
    assert not (run_dir / "leaderboards").exists() and not list((run_dir / "cache").rglob("*.cell"))


# --- submissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "submit"])
def test_a_submission_with_a_non_utf8_file_name_is_refused(run_dir, one_line_error, command):
    folder = Path(shutil.copytree(EXAMPLE, run_dir / EXAMPLE.name))
    Path(os.fsdecode(bytes(folder) + b"/\xff.py")).write_bytes(b"")  # not UTF-8: surrogate-escaped
    args = [command, str(folder), "--device", "cpu"]
    if command == "submit":
        args += ["--suite", "quick", "--output", str(run_dir / "leaderboards")]
    error = refused(args, one_line_error, "is not valid UTF-8")
    assert "\\xff.py" in error and "rename or remove it" in error
    assert not (run_dir / "leaderboards").exists()


# --- results files ---------------------------------------------------------------------------------


def test_a_deeply_nested_results_file_is_refused(run_dir, one_line_error):
    data = json.loads(QUICK_ENTRY.read_text())
    data["attacks"][0]["params"] = "DEEP"
    hostile = run_dir / "nested.json"
    hostile.write_text(json.dumps(data).replace('"DEEP"', "[" * 100_000 + "]" * 100_000))
    refused(["compare", str(QUICK_ENTRY), str(hostile)], one_line_error, "nests arrays or objects too deeply")


def test_compare_treats_equal_non_finite_values_as_equal(run_dir, capsys):
    data = json.loads(QUICK_ENTRY.read_text())
    point = data["attacks"][0]["per_budget"][0]
    point["snr_db_mean"], point["snr_db_std"] = float("nan"), float("inf")
    old, new = run_dir / "old.json", run_dir / "new.json"
    old.write_text(json.dumps(data))  # NaN and Infinity literals, as Python's json reads them
    new.write_text(json.dumps(data))
    assert main(["compare", str(old), str(new)]) == 0
    assert "all within tolerance" in capsys.readouterr().out
    for value, metric in ((12.5, "snr_db_mean"), (float("-inf"), "snr_db_std")):
        changed = json.loads(old.read_text())
        changed["attacks"][0]["per_budget"][0][metric] = value
        new.write_text(json.dumps(changed))
        assert main(["compare", str(old), str(new)]) == 1
        out = capsys.readouterr().out
        assert "1 beyond tolerance" in out and metric in out


# --- cache entries ---------------------------------------------------------------------------------


class Cell(BaseModel):
    key: str
    fooling_rate: float


@pytest.mark.parametrize("damage", ["edit", "truncate", "unsealed"])
def test_an_edited_cache_entry_is_recomputed_with_a_warning(tmp_path, monkeypatch, damage):
    printed: list[str] = []
    monkeypatch.setattr(cache_module.CONSOLE, "print", lambda text, **_: printed.append(text))
    cache = CellCache(tmp_path)
    key = "ab" * 32
    cache.put(key, {"key": key, "fooling_rate": 0.25})
    assert cache.get(key, Cell) == {"key": key, "fooling_rate": 0.25} and not printed
    (path,) = (tmp_path / "cells").rglob("*.cell")
    stored = path.read_bytes()
    assert stored.startswith(SEAL) and read_sealed(path) is not None
    if damage == "edit":  # valid JSON, valid schema, a better number: only the checksum can tell
        path.write_bytes(stored.replace(b"0.25", b"0.05"))
    elif damage == "truncate":
        path.write_bytes(stored[:-9])
    else:
        path.write_bytes(stored.partition(b"\n")[2])  # the JSON alone, as an older harness wrote it
    assert cache.get(key, Cell) is None
    assert len(printed) == 1 and "recomputing" in printed[0] and "\n" not in printed[0]
    atomic_write_sealed(path, json.dumps({"key": key, "fooling_rate": 0.5}).encode())
    assert cache.get(key, Cell) == {"key": key, "fooling_rate": 0.5}


@pytest.mark.slow
def test_an_edited_cell_never_reaches_the_leaderboard(run_dir, capsys):
    """End to end: a run, one cached number edited, a re-run recomputes the cell and writes the
    number the first run wrote (not the edited one), saying so."""
    suite = _suite(run_dir)
    assert main(_run(suite, run_dir)) == 0
    entry = run_dir / "leaderboards" / "hostile" / "v1" / "synth10" / "cnn2d_stft.json"
    first = json.loads(entry.read_text())["attacks"][0]["per_budget"][1]["fooling_rate"]
    (cell,) = (run_dir / "cache" / "cells").rglob("*.cell")
    header, _, payload = cell.read_bytes().partition(b"\n")
    data = json.loads(payload)
    data["per_budget"][1]["fooling_rate"] = 0.0  # a model that looks perfectly robust
    cell.write_bytes(header + b"\n" + json.dumps(data).encode())
    capsys.readouterr()
    assert main(_run(suite, run_dir)) == 0
    captured = capsys.readouterr()
    assert "corrupt, edited or from an older schema; recomputing" in captured.out + captured.err
    assert "0 from the cache, 1 to run" in captured.out + captured.err
    assert json.loads(entry.read_text())["attacks"][0]["per_budget"][1]["fooling_rate"] == first != 0.0


@pytest.mark.parametrize("flags", [[], ["--unsafe-no-sandbox"]])
def test_a_submission_beyond_max_gradients_is_refused_before_its_code_runs(
    run_dir, one_line_error, monkeypatch, flags
):
    """Refused from the suite, its test set and the manifest, before the box (or the unsandboxed
    worker) starts. The quick suite attacks the example with FGSM (1 gradient), BIM-a and BIM-b
    (5 steps) through 3 backends, at 4 budgets, on 260 segments: 260 x 4 x 3 x (1 + 5 + 5) = 34320."""
    started = []
    monkeypatch.setattr(boxed_module, "Box", lambda *args, **kwargs: started.append("box"))
    monkeypatch.setattr(commands_module, "run_worker", lambda *args, **kwargs: started.append("worker"))
    args = ["submit", str(EXAMPLE), "--suite", "quick", "--device", "cpu",
            "--output", str(run_dir / "leaderboards"), "--max-gradients", "34319", *flags]  # fmt: skip
    error = refused(args, one_line_error, "needs an estimated 3.43e+04 input gradients")
    assert "(most: example-cnn2d-stft " in error and "more than --max-gradients 3.43e+04" in error
    assert started == [] and not (run_dir / "leaderboards").exists()


def _input_elements(entry: LeaderboardEntry, domain: str) -> int:
    """Values per example the entry's attacks perturbed: its segment's samples (waveform domain) or
    its representation's output on one segment, rebuilt from the settings the entry records."""
    config = entry.model.representation
    samples = round(entry.dataset.segment_seconds * entry.dataset.sample_rate)
    if domain == "waveform" or config["name"] == "waveform":
        return samples
    settings = representation_settings(REPRESENTATIONS.get(config["name"]))
    params = {k: v for k, v in config.items() if k in settings and k != "sample_rate"}
    representation = build_representation(config["name"], config["sample_rate"], params)
    with torch.no_grad():
        return representation(torch.zeros(1, samples)).numel()


def test_the_gradient_estimate_bounds_what_every_committed_cell_spent():
    """``--max-gradients`` refuses on an estimate; on every committed cell (every attack, backend and
    budget kind) it is at least the gradients the harness counted."""
    checked = 0
    for path in sorted((ROOT / "leaderboards").glob("*/v1/synth10/*.json")):
        entry = read_entry(path)
        for cell in entry.attacks:
            params = {k: v for k, v in cell.params.items() if k != "targeted"}
            attack = build_attack(cell.attack, cell.backend, params, cell.targeted)
            elements = _input_elements(entry, cell.domain)
            eot = cell.defense.eot if cell.defense else 1  # EOT spends eot gradients a step (plan/cost.py)
            for point in cell.per_budget:
                budget = 10 ** (-point.budget / 20) if cell.budget_unit == "snr_db" else point.budget
                estimate = eot * attack.gradient_estimate(budget, classes=10, elements=elements)
                assert point.gradient_evals_per_example <= estimate, (path.name, cell.label, point.budget)
                checked += 1
    assert checked > 400
