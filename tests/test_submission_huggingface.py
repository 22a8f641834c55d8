"""Hugging Face folders as submissions: the manifest kind, its one-line refusals before the worker
starts, the worker's build, and ``arb validate`` / ``arb submit`` end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hf_models import CLASSES, RATE, add_pickle_checkpoint, save_tiny
from test_submission import TINY_SUITE as SUBMISSION_SUITE

from benchmark.cli import main
from benchmark.leaderboard.io import read_entry
from benchmark.models.hf_folder import read_pretrained
from benchmark.paths import project_root
from benchmark.submission.loading import build, check_model
from benchmark.submission.manifest import load_manifest, read_manifest

transformers = pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

#: the README's manifest for a Hugging Face folder
MANIFEST = """
name = "hf-tiny"
authors = ["You"]
license = "MIT"
dataset = "synth10"
huggingface = "model"
input = { domain = "waveform", sample_rate = 16000, samples = 16000 }
"""


@pytest.fixture
def submission(tmp_path) -> Path:
    folder = tmp_path / "hf-tiny"
    save_tiny(transformers, folder / "model")
    (folder / "submission.toml").write_text(MANIFEST)
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'huggingface = "model"',
            'huggingface = "model"\nentry_point = "m:f"',
            "huggingface replaces entry_point",
        ),
        ('huggingface = "model"', "", "give entry_point and weights (your torch code), or huggingface ="),
        ('domain = "waveform"', 'domain = "representation", representation = "stft"', "takes raw audio"),
        ('huggingface = "model"', 'huggingface = "../elsewhere"', "leaves the submission folder"),
    ],
)
def test_a_bad_manifest_is_one_line(submission, old, new, message, one_line_error):
    manifest = submission / "submission.toml"
    manifest.write_text(manifest.read_text().replace(old, new))
    assert main(["validate", str(submission), "--device", "cpu"]) == 2
    assert message in one_line_error()


def test_a_pickle_in_the_folder_fails_before_the_worker_starts(submission, one_line_error, monkeypatch):
    add_pickle_checkpoint(submission / "model")
    monkeypatch.setattr("benchmark.submission.commands.run_worker", lambda *a, **k: pytest.fail("ran"))
    assert main(["validate", str(submission), "--device", "cpu"]) == 2
    assert "holds pickle files (pytorch_model.bin), which run arbitrary code" in one_line_error()


def test_a_file_symlinked_out_of_the_submission_is_refused(submission, tmp_path, one_line_error):
    weights = submission / "model" / "model.safetensors"
    outside = weights.rename(tmp_path / "elsewhere.safetensors")
    weights.symlink_to(outside)
    assert main(["validate", str(submission), "--device", "cpu"]) == 2
    assert "file 'model/model.safetensors' is a symlink to" in one_line_error()


def test_the_submission_folder_itself_may_be_the_model_folder(tmp_path):
    folder = save_tiny(transformers, tmp_path / "hf-tiny")
    (folder / "submission.toml").write_text(MANIFEST.replace('huggingface = "model"', 'huggingface = "."'))
    manifest, pretrained = load_manifest(folder)
    assert pretrained == folder.resolve() and manifest.source == "huggingface:."


def test_the_model_identity_names_only_the_kind_in_use(submission):
    """A code submission's cell keys (and targeted attacks' targets) are what they were before the
    huggingface field existed; a Hugging Face one names its folder."""
    example = read_manifest(project_root() / "submissions" / "example-cnn2d-stft").identity()
    assert "huggingface" not in example and example["entry_point"] == "model:build"
    identity = read_manifest(submission).identity()
    assert identity["huggingface"] == "model" and not {"entry_point", "weights"} & set(identity)


def test_the_worker_builds_and_checks_a_folder(submission):
    """What the worker does for `arb validate`, in process: build, then the forward/backward check."""
    built = build(submission)
    report = check_model(built, torch.device("cpu"))
    assert report["architecture"] == "Wav2Vec2ForSequenceClassification"
    assert report["input_shape"] == [1, RATE] and report["output_shape"] == [2, len(CLASSES)]
    assert built.weights_sha256 == read_pretrained(submission / "model").sha256()


@pytest.mark.slow
def test_a_wav2vec2_folder_validates_and_submits_end_to_end(submission, tmp_path, capsys):
    """Through the CLI and the worker process (about a minute on 2 busy cores: the worker imports
    transformers twice)."""
    assert main(["validate", str(submission), "--device", "cpu"]) == 0
    assert "huggingface:model builds Wav2Vec2ForSequenceClassification" in capsys.readouterr().out
    suite = tmp_path / "tiny_submit.toml"
    suite.write_text(SUBMISSION_SUITE)
    output = tmp_path / "leaderboards"
    args = ["submit", str(submission), "--suite", str(suite), "--device", "cpu", "--output", str(output)]
    assert main(args) == 0
    entry = read_entry(output / "tiny_submit" / "v1" / "synth10" / "hf-tiny.json")
    assert entry.submission is not None and entry.submission.entry_point == "huggingface:model"
    assert entry.model.architecture == "Wav2Vec2ForSequenceClassification"
    assert entry.model.domain == "waveform"
    assert [(cell.attack, cell.backend) for cell in entry.attacks] == [("fgsm", "native")]
    assert [p.gradient_evals_per_example for p in entry.attacks[0].per_budget] == [1.0, 1.0]
    assert entry.score is not None and entry.score.budget == 0.05
    assert sorted(path.name for path in submission.rglob("*")) == sorted(
        ["submission.toml", "model", "config.json", "model.safetensors", "preprocessor_config.json"]
    )  # nothing written into the submission
