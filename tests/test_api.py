"""The Python API: ``evaluate()`` of an in-memory model gives exactly the numbers ``arb submit`` gives
for the same weights; a submission folder and a Hugging Face folder go the same way; bad input is
one message and nothing is written; the ``list_*`` and ``load_reference`` helpers."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file
from tiny_suite import CNN1D_WAVEFORM, SMALL_SYNTH10, fgsm, suite_toml
from torch import nn

import benchmark
from benchmark.cli import main
from benchmark.errors import BenchmarkError
from benchmark.harness.memory import state_sha256
from benchmark.leaderboard.io import read_entry
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.paths import project_root
from benchmark.publish.summary import score_text

EXAMPLE = project_root() / "submissions" / "example-cnn2d-stft"
STFT = {"n_fft": 512, "hop_length": 256}

# synth10 at 16 kHz, 10 test tracks of 2 s cut into 1 s segments; FGSM on the STFT (the example's
# input) and FGSM and BIM-b on the waveform (a Hugging Face model's input).
SUITE = suite_toml(
    "tiny_api",
    "tiny suite for the Python API tests",
    CNN1D_WAVEFORM,
    fgsm("cnn1d_gammatone_waveform", stft=[0.005, 0.05], waveform=[0.001, 0.01]),
    """[[attacks]]
attack = "bim_b"
domain = "waveform"
backends = ["native"]
models = ["cnn1d_gammatone_waveform"]
params = { steps = 2, rel_stepsize = 0.5 }
budgets = { waveform = [0.001, 0.01] }
""",
    dataset_params=SMALL_SYNTH10,
    test_fold=0,
    overlap=0.5,
    batch_size=32,
    reference_budgets={"stft": 0.05, "waveform": 0.01},
)

#: what may differ between two evaluations of the same weights: when, where and how long, and the
#: cell keys (they hash the model's identity: a submission's manifest and code, or an in-memory one)
VOLATILE = {"key", "created_utc", "wall_time_s", "cell_keys", "git_dirty", "model", "submission"}


def strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "tiny_api.toml"
    path.write_text(SUITE)
    return path


def example_module() -> nn.Module:
    """The example submission's network with its weights, built in this process (as a notebook would)."""
    spec = importlib.util.spec_from_file_location("example_model", EXAMPLE / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    network = module.build()
    network.load_state_dict(load_file(str(EXAMPLE / "model.safetensors")))
    return network


@pytest.fixture(scope="module")
def submitted(suite, tmp_path_factory) -> LeaderboardEntry:
    """``arb submit`` of the example: the reference the API must reproduce."""
    output = tmp_path_factory.mktemp("submitted")
    args = ["submit", str(EXAMPLE), "--suite", str(suite), "--device", "cpu", "--output", str(output)]
    assert main(args) == 0
    return read_entry(output / "tiny_api" / "v1" / "synth10" / "example-cnn2d-stft.json")


def test_evaluate_an_in_memory_model_equals_arb_submit_exactly(submitted, suite, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    network = example_module()
    result = benchmark.evaluate(
        network, str(suite), input="stft", input_params=STFT, name="example-cnn2d-stft", device="cpu"
    )
    assert isinstance(result, benchmark.Evaluation) and isinstance(result, LeaderboardEntry)
    assert strip(result.model_dump(mode="json")) == strip(submitted.model_dump(mode="json"))
    # the submission protocol: every attack with budgets for the model's input (here the STFT's)
    assert [(c.attack, c.domain, c.examples) for c in result.attacks] == [("fgsm", "representation", 30)]
    # provenance: in memory, identified by its state_dict (not a faked checkpoint file)
    assert result.model.config == "in-memory" and result.submission is None
    assert result.model.checkpoint_sha256 == state_sha256(network)
    assert (
        result.model.architecture == "SmallSpectrogramCNN"
        and result.model.parameters == submitted.model.parameters == 6218
    )
    assert result.model.clean == submitted.model.clean
    # conveniences: the score, its interval, the file's JSON and the Markdown summary
    score = submitted.score
    assert result.robust_accuracy == score.robust_accuracy.segment
    assert result.interval == (score.interval.segment.low, score.interval.segment.high)
    assert LeaderboardEntry.model_validate(json.loads(result.to_json())).model_dump() == result.model_dump()
    assert "| example-cnn2d-stft |" in result.summary() and score_text(score) in result.summary()
    assert not list(tmp_path.iterdir())  # nothing written without output=


def test_evaluate_a_submission_folder_is_arb_submit(submitted, suite, tmp_path):
    folder = Path(shutil.copytree(EXAMPLE, tmp_path / EXAMPLE.name))
    result = benchmark.evaluate(folder, str(suite), device="cpu", output=tmp_path / "out")
    assert strip(result.model_dump(mode="json")) == strip(submitted.model_dump(mode="json"))
    assert result.submission == submitted.submission and result.cell_keys == submitted.cell_keys
    assert (tmp_path / "out" / "tiny_api" / "v1" / "synth10" / "example-cnn2d-stft.json").is_file()


def test_arb_submit_ends_with_the_score_and_where_the_files_are(submitted, suite, tmp_path, capsys):
    output = tmp_path / "out"
    args = ["submit", str(EXAMPLE), "--suite", str(suite), "--device", "cpu", "--output", str(output)]
    assert main(args) == 0
    out = "".join(capsys.readouterr().out.split())  # rich folds lines (and paths) at its width
    path = output / "tiny_api" / "v1" / "synth10" / "example-cnn2d-stft.json"
    score = f"score: robust accuracy {score_text(submitted.score)} % under 1 attacks at budget 0.05"
    assert out.endswith(f"flags:nonewrote{path}") and "".join(score.split()) in out.split("└")[-1]
    assert path.is_file()


def test_evaluate_writes_the_entry_and_its_plot_only_when_asked(suite, tmp_path):
    output = tmp_path / "boards"
    kwargs = {"input": "stft", "input_params": STFT, "name": "mine", "device": "cpu", "output": output}
    result = benchmark.evaluate(example_module(), str(suite), **kwargs)
    folder = output / "tiny_api" / "v1" / "synth10"
    assert sorted(p.name for p in folder.iterdir()) == ["mine.json", "mine_fooling_rate.png"]
    assert read_entry(folder / "mine.json").model_dump() == result.model_dump()
    with pytest.raises(BenchmarkError, match=r"mine.json already exists; pass force=True to replace it$"):
        benchmark.evaluate(example_module(), str(suite), **kwargs)


class Linear(nn.Module):
    """A waveform classifier with ``classes`` outputs."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.layer = nn.Linear(16000, classes)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.layer(audio.flatten(1))


BAD = {
    "wrong class count": (
        Linear(7),
        {"input": "waveform"},
        "the model returned (2, 7) for waveform input (2, 1, 16000); it must return logits of shape "
        "(2, 10), one per class of synth10",
    ),
    "unknown input": (
        Linear(10),
        {"input": "spectrogram"},
        "unknown input 'spectrogram'; pass input= one of the registered representations (",
    ),
    "input not attacked": (
        Linear(10),
        {"input": "mel"},
        "suite 'tiny_api' has no attack budgets for input 'mel'; it attacks stft, waveform: give the "
        "model one of those inputs, or a suite that attacks 'mel'",
    ),
    "no input": (Linear(10), {}, "evaluate() needs input=, the representation the model takes; suite"),
    "forward raises": (
        Linear(10),
        {"input": "stft", "input_params": STFT},
        "the model's forward pass on stft input (2, 1, 257, 63) raised RuntimeError: mat1 and mat2 "
        "shapes cannot be multiplied",
    ),
    "not a model": ("not-a-folder", {}, "not-a-folder holds neither submission.toml (a submission) nor"),
    "bad name": (Linear(10), {"input": "waveform", "name": "../x"}, "name '../x' must be letters"),
    "input for a submission": (EXAMPLE, {"input": "stft"}, f"{EXAMPLE}/submission.toml declares the model"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_message_and_nothing_written(case, suite, tmp_path):
    model, kwargs, message = BAD[case]
    with pytest.raises(BenchmarkError) as error:
        benchmark.evaluate(model, str(suite), device="cpu", output=tmp_path / "out", **kwargs)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
    assert not (tmp_path / "out").exists()


def test_lists_and_reference_models():
    assert {"quick", "standard", "zoo"} <= set(benchmark.list_suites())
    assert {"fgsm/native", "fgsm/art", "bim_b/foolbox", "pgd/native"} <= set(benchmark.list_attacks())
    assert {"cnn2d", "cnn1d_gammatone"} <= set(benchmark.list_models())
    model, card = benchmark.load_reference("cnn2d_stft")
    assert card["entry"] == "cnn2d_stft" and model.parameter_count() == card["parameters"] == 33634
    assert model.representation.config() == card["representation"] and not model.network.training
    with pytest.raises(BenchmarkError, match=r"^no reference model 'cnn2d_stfft' in .*; it has .*cnn2d_stft"):
        benchmark.load_reference("cnn2d_stfft")


def test_a_reference_model_is_evaluated_on_its_own_input(suite):
    model, card = benchmark.load_reference("cnn2d_stft")
    result = benchmark.evaluate(model, str(suite), device="cpu")
    assert result.entry == "cnn2d_stft" and result.model.representation == card["representation"]
    assert result.model.parameters == 33634 and result.model.checkpoint_sha256 == state_sha256(model.network)
    assert [(c.attack, c.domain) for c in result.attacks] == [("fgsm", "representation")]
    assert result.model.clean.segment > 0.8  # trained on synth10 clips of the same classes


def test_a_hugging_face_folder_is_evaluated_on_the_waveform(suite, tmp_path):
    transformers = pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")
    from hf_models import save_tiny

    folder = save_tiny(transformers, tmp_path / "tiny-wav2vec2")
    result = benchmark.evaluate(folder, str(suite), device="cpu")
    assert result.entry == "tiny-wav2vec2" and result.model.domain == "waveform"
    assert result.model.config == "huggingface:tiny-wav2vec2"
    assert result.model.architecture == "Wav2Vec2ForSequenceClassification"
    # its input is the waveform: the waveform attacks of both domain settings apply
    assert [(c.attack, c.domain) for c in result.attacks] == [
        ("fgsm", "representation"),
        ("bim_b", "waveform"),
    ]
