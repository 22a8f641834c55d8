"""Submissions: the example validates and submits end to end on a tiny suite; every bad input
(manifest, paths, weights, model behaviour, time and memory) is one line, exit 2, nothing written."""

from __future__ import annotations

import json
import os
import shutil
import time
import tomllib
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from tiny_suite import CNN1D_WAVEFORM, SMALL_SYNTH10, fgsm, suite_toml

from benchmark.cli import main
from benchmark.leaderboard.io import read_entry
from benchmark.paths import project_root
from benchmark.submission.manifest import Manifest, code_sha256

EXAMPLE = project_root() / "submissions" / "example-cnn2d-stft"
TEMPLATE = project_root() / "submissions" / "submission.template.toml"

# synth10 at 16 kHz cut into 1 s segments, like quick, but 10 test tracks of 2 s and one attack.
TINY_SUITE = suite_toml(
    "tiny_submit",
    "tiny suite for submission tests",
    CNN1D_WAVEFORM,
    fgsm("cnn1d_gammatone_waveform", stft=[0.005, 0.05], waveform=[0.005, 0.05]),
    dataset_params=SMALL_SYNTH10,
    test_fold=0,
    overlap=0.5,
    batch_size=32,
    reference_budgets={"stft": 0.05},
)

FORWARD = "return self.head(self.features(spectrogram).mean(dim=3).flatten(1))"
BUILD = "    return SmallSpectrogramCNN()"


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "tiny_submit.toml"
    path.write_text(TINY_SUITE)
    return path


@pytest.fixture
def example(tmp_path) -> Path:
    """A private copy of the example submission to break."""
    return Path(
        shutil.copytree(EXAMPLE, tmp_path / EXAMPLE.name, ignore=shutil.ignore_patterns("__pycache__"))
    )


def submit(folder: Path, suite: Path, output: Path, *extra: str) -> int:
    args = ["submit", str(folder), "--suite", str(suite), "--device", "cpu", "--output", str(output)]
    return main([*args, *extra])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_the_template_is_a_valid_manifest():
    manifest = Manifest.model_validate(tomllib.loads(TEMPLATE.read_text()))
    assert manifest.entry_point == "model:build" and manifest.input.representation_name == "stft"


def test_the_example_validates(example, capsys, monkeypatch):
    """Its speed is a benchmark (tests/test_bench_submission.py), not asserted here."""
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    assert main(["validate", str(example), "--device", "cpu", "--suite", "quick"]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "SmallSpectrogramCNN" in out and "1x257x63" in out
    assert "suite 'quick' can evaluate it" in out
    assert not list(example.rglob("__pycache__"))  # the worker writes no bytecode into the submission


def test_validate_with_a_suite_that_cannot_evaluate_it(example, tmp_path, one_line_error):
    """A suite without budgets for the model's input is named with the inputs it does attack, in one
    line, before the worker starts (the mel model refused by `submit --suite quick` in issue 14)."""
    waveform_only = tmp_path / "tiny_submit.toml"
    text = TINY_SUITE.replace("budgets = { stft = [0.005, 0.05], ", "budgets = { ")
    waveform_only.write_text(text.replace("reference_budgets = { stft = 0.05 }", ""))
    assert main(["validate", str(example), "--device", "cpu", "--suite", str(waveform_only)]) == 2
    assert one_line_error() == (
        "arb: error: suite 'tiny_submit' has no attack budgets for input 'stft'; it attacks waveform: "
        "give the model one of those inputs, or pick a suite that attacks 'stft'"
    )


def test_the_example_submits_end_to_end_and_never_overwrites_silently(example, suite, tmp_path, capsys):
    output = tmp_path / "leaderboards"
    assert submit(example, suite, output) == 0
    path = output / "tiny_submit" / "v1" / "synth10" / "example-cnn2d-stft.json"
    entry = read_entry(path)
    assert path.with_name("example-cnn2d-stft_fooling_rate.png").is_file()
    assert entry.submission is not None and entry.submission.entry_point == "model:build"
    assert entry.submission.code_sha256 == code_sha256(example)
    assert entry.model.architecture == "SmallSpectrogramCNN" and entry.model.domain == "representation"
    assert [(c.attack, c.backend) for c in entry.attacks] == [("fgsm", "native")]  # no transfer
    assert entry.attacks[0].defense is None and not entry.flags  # undefended, deterministic: no extras
    assert [p.gradient_evals_per_example for p in entry.attacks[0].per_budget] == [1.0, 1.0]
    assert entry.score is not None and entry.score.budget == 0.05
    assert entry.model.clean.segment > 0.8  # trained on synth10 (the same generator and seed)
    assert "wrote" in capsys.readouterr().out
    before = path.read_bytes()
    assert submit(example, suite, output) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert submit(example, suite, output, "--force") == 0
    assert json.loads(path.read_text())["created_utc"] >= json.loads(before)["created_utc"]


def _write_state(folder: Path, change) -> None:
    weights = folder / "model.safetensors"
    state = load_file(str(weights))
    change(state)
    save_file(state, str(weights))


# Each case breaks one thing; the expected text names the field or file and the fix.
NO_CODE_RUNS = {
    "missing manifest": (lambda f: (f / "submission.toml").unlink(), "no submission.toml in"),
    "unknown field": (
        lambda f: edit(f / "submission.toml", 'license = "MIT"', 'license = "MIT"\nlicence = "MIT"'),
        "unknown field 'licence'",
    ),
    "wrong type": (
        lambda f: edit(f / "submission.toml", "sample_rate = 16000", 'sample_rate = "16000"'),
        "field 'input.sample_rate': Input should be a valid integer",
    ),
    "bad entry point": (
        lambda f: edit(f / "submission.toml", '"model:build"', '"model.build"'),
        "field 'entry_point': 'model.build' must look like module:function",
    ),
    "no such module": (lambda f: edit(f / "submission.toml", '"model:build"', '"net:build"'), "no net.py in"),
    "unknown representation": (
        lambda f: edit(f / "submission.toml", '"stft"', '"stfft"'),
        "field 'input.representation': unknown representation 'stfft'; did you mean 'stft'",
    ),
    "pickle suffix": (
        lambda f: edit(f / "submission.toml", '"model.safetensors"', '"model.pt"'),
        "'model.pt' is a pickle checkpoint, which runs arbitrary code when loaded; convert",
    ),
    "pickle content": (
        lambda f: torch.save({"w": torch.zeros(1)}, f / "model.safetensors"),
        "holds a pickle / torch.save checkpoint, not safetensors; convert it",
    ),
    "weights missing": (
        lambda f: (f / "model.safetensors").unlink(),
        "weights file 'model.safetensors' does not exist",
    ),
    "dotdot path": (
        lambda f: edit(f / "submission.toml", '"model.safetensors"', '"../model.safetensors"'),
        "leaves the submission folder ('..')",
    ),
    "absolute path": (
        lambda f: edit(f / "submission.toml", '"model.safetensors"', '"/tmp/model.safetensors"'),
        "is an absolute path",
    ),
    "name is not the folder's": (
        lambda f: edit(f / "submission.toml", 'name = "example-cnn2d-stft"', 'name = "other"'),
        "name 'other' must equal the folder's name 'example-cnn2d-stft'",
    ),
    "wrong sample rate for the suite": (
        lambda f: edit(f / "submission.toml", "sample_rate = 16000", "sample_rate = 22050"),
        "input.sample_rate 22050 does not match suite 'tiny_submit'",
    ),
}


@pytest.mark.parametrize("case", list(NO_CODE_RUNS))
def test_bad_manifest_or_files_fail_before_any_code_runs(case, example, suite, tmp_path, one_line_error):
    damage, expected = NO_CODE_RUNS[case]
    damage(example)
    output = tmp_path / "leaderboards"
    assert submit(example, suite, output) == 2
    assert expected in one_line_error()
    assert not output.exists()


def test_symlinks_out_of_the_folder_are_refused(example, suite, tmp_path, one_line_error):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (example / "model.safetensors").rename(outside / "model.safetensors")
    os.symlink(outside / "model.safetensors", example / "model.safetensors")
    output = tmp_path / "leaderboards"
    assert submit(example, suite, output) == 2
    assert "weights 'model.safetensors' is a symlink to" in one_line_error()
    (example / "model.safetensors").unlink()
    (outside / "model.safetensors").rename(example / "model.safetensors")
    (example / "model.py").rename(outside / "model.py")
    os.symlink(outside / "model.py", example / "model.py")
    assert submit(example, suite, output) == 2
    assert "entry point module 'model': file 'model.py' is a symlink to" in one_line_error()
    assert not output.exists()


# These run the submitted code, in the box (or the unsandboxed worker).
IN_THE_WORKER = {
    "does not import": (
        lambda f: edit(f / "model.py", "import torch\n", "import torch\nimport torchh\n"),
        "entry_point 'model:build' does not import: ModuleNotFoundError: No module named 'torchh'",
    ),
    "raises": (
        lambda f: edit(f / "model.py", BUILD, '    raise RuntimeError("no GPU found")'),
        "entry_point 'model:build' raised RuntimeError: no GPU found",
    ),
    "wrong weight shape": (
        lambda f: _write_state(f, lambda s: s.update({"head.weight": s["head.weight"][:5]})),
        "weights file 'model.safetensors' does not fit the model of 'model:build': size mismatch",
    ),
    "nan weights": (
        lambda f: _write_state(f, lambda s: s["head.bias"].fill_(float("nan"))),
        "has non-finite values (NaN or inf) in 'head.bias'",
    ),
    "wrong output shape": (
        lambda f: edit(f / "model.py", FORWARD, FORWARD.replace("flatten(1))", "flatten(1))[:, :5]")),
        "the model returned (2, 5) for stft input (2, 1, 257, 63); it must return logits of shape (2, 10)",
    ),
    "non-finite logits": (
        lambda f: edit(f / "model.py", FORWARD, FORWARD.replace("return ", "return float('nan') * ")),
        "the model returned non-finite or non-float logits",
    ),
    "no gradient path": (
        lambda f: edit(f / "model.py", FORWARD, FORWARD.replace("(spectrogram)", "(spectrogram.detach())")),
        "no gradient reaches the model's input (none)",
    ),
}


@pytest.mark.parametrize("case", list(IN_THE_WORKER))
def test_bad_models_fail_in_the_worker_before_any_attack(case, example, suite, tmp_path, one_line_error):
    damage, expected = IN_THE_WORKER[case]
    damage(example)
    output = tmp_path / "leaderboards"
    assert submit(example, suite, output) == 2
    assert expected in one_line_error()
    assert not output.exists()


def test_a_worker_that_dies_is_one_line(example, suite, tmp_path, one_line_error):
    edit(example / "model.py", BUILD, "    import os\n\n    os._exit(3)\n" + BUILD)
    output = tmp_path / "leaderboards"
    assert submit(example, suite, output) == 2
    assert "the submission's process exited with code 3 while validating and evaluating" in one_line_error()
    assert not output.exists()


def test_a_submission_past_the_time_limit_is_killed(example, tmp_path, one_line_error):
    edit(example / "model.py", BUILD, "    import time\n\n    time.sleep(120)\n" + BUILD)
    started = time.perf_counter()
    assert main(["validate", str(example), "--device", "cpu", "--time-limit", "5"]) == 2
    assert (
        "ran past the 5 s time limit while validating; make it faster or raise --time-limit"
        in one_line_error()
    )
    assert time.perf_counter() - started < 60  # killed at the limit, long before the 120 s sleep ends


def test_a_submission_over_the_memory_limit_is_stopped(example, tmp_path, one_line_error):
    edit(example / "model.py", BUILD, "    torch.ones(2**30)  # 4 GiB\n" + BUILD)
    assert main(["validate", str(example), "--device", "cpu", "--memory-limit", "2"]) == 2
    assert "the memory limit was reached: raise --memory-limit" in one_line_error()
