"""Hugging Face models: tiny randomly initialised ``save_pretrained`` folders (built here, no
download) load as waveform classifiers whose torch front-ends match the real feature extractors;
every bad folder is one line; a wav2vec2 folder validates and submits end to end."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from test_submission import TINY_SUITE as SUBMISSION_SUITE

from benchmark.cli import main
from benchmark.data.synth10 import Synth10
from benchmark.errors import BenchmarkError
from benchmark.leaderboard.io import read_entry
from benchmark.models.hf_folder import read_pretrained, require_transformers
from benchmark.models.hf_frontends import torch_front_end
from benchmark.models.huggingface import load_huggingface
from benchmark.paths import project_root
from benchmark.submission.loading import build, check_model
from benchmark.submission.manifest import load_manifest, read_manifest

CLASSES = Synth10.classes
RATE = 16000
#: how far a torch front-end may be from its feature extractor: |got - expected| <= ATOL + RTOL *
#: |expected| (float32 FFTs summed in another order; measured on this machine: under 1e-5 on the
#: normalised features of magnitude ~1, under 2e-4 on raw log-Mel values up to ~10)
ATOL = RTOL = 1e-4


@pytest.fixture
def transformers():
    return pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")


def tiny_config(transformers, kind: str, labels: int):
    """A randomly initialised classifier config a few thousand parameters large."""
    common = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}
    if kind == "ast":
        return transformers.ASTConfig(
            **common, max_length=100, frequency_stride=16, time_stride=16, num_labels=labels
        )
    convolutions = {"conv_dim": (8, 8), "conv_kernel": (10, 3), "conv_stride": (5, 2)}
    positions = {"num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 2}
    config = {"wav2vec2": "Wav2Vec2Config", "hubert": "HubertConfig", "wavlm": "WavLMConfig"}[kind]
    return getattr(transformers, config)(
        **common, **convolutions, **positions, classifier_proj_size=8, num_labels=labels
    )


def save_tiny(transformers, folder: Path, kind: str = "wav2vec2", labels: int = len(CLASSES)) -> Path:
    """``model.save_pretrained`` + ``feature_extractor.save_pretrained`` of a tiny model."""
    torch.manual_seed(0)
    config = tiny_config(transformers, kind, labels)
    config.id2label = {i: name for i, name in enumerate(CLASSES)} if labels == len(CLASSES) else None
    transformers.AutoModelForAudioClassification.from_config(config).save_pretrained(folder)
    extractor = (
        transformers.ASTFeatureExtractor(max_length=100)
        if kind == "ast"
        else transformers.Wav2Vec2FeatureExtractor(do_normalize=True)
    )
    extractor.save_pretrained(folder)
    return folder


def random_audio(batch: int, samples: int, amplitude: float, seed: int = 0) -> np.ndarray:
    generator = np.random.default_rng(seed)
    return (amplitude * (2 * generator.random((batch, samples)) - 1)).astype(np.float32)


#: extractor settings under test, by name: (class, keyword arguments)
EXTRACTORS = {
    "ast": ("ASTFeatureExtractor", {}),
    "ast-truncated": ("ASTFeatureExtractor", {"max_length": 64}),
    "ast-unnormalised": ("ASTFeatureExtractor", {"do_normalize": False}),
    "wav2vec2": ("Wav2Vec2FeatureExtractor", {"do_normalize": True}),
    "wav2vec2-raw": ("Wav2Vec2FeatureExtractor", {"do_normalize": False}),
}
AST_EXTRACTOR = (
    "transformers.models.audio_spectrogram_transformer.feature_extraction_audio_spectrogram_transformer"
)
ARCHITECTURES = {
    "wav2vec2": "Wav2Vec2ForSequenceClassification",
    "hubert": "HubertForSequenceClassification",
    "wavlm": "WavLMForSequenceClassification",
    "ast": "ASTForAudioClassification",
}


@pytest.mark.parametrize("kaldi", ["torchaudio", "numpy"])
@pytest.mark.parametrize("name", list(EXTRACTORS))
def test_torch_front_ends_match_the_feature_extractors(transformers, name, kaldi, monkeypatch):
    """On random audio (loud and quiet, shorter than the AST window and not a multiple of the
    hop), within ATOL + RTOL * |expected| of the extractor, through either of its fbank code paths."""
    if kaldi == "torchaudio" and importlib.util.find_spec("torchaudio") is None:
        pytest.skip("torchaudio is not installed: the extractor uses its numpy path")
    if kaldi == "numpy":
        monkeypatch.setattr(f"{AST_EXTRACTOR}.is_speech_available", lambda: False)
    kind, settings = EXTRACTORS[name]
    extractor = getattr(transformers, kind)(**settings)
    front_end = torch_front_end(extractor)
    for amplitude, samples in ((0.5, RATE), (0.01, 12345)):
        audio = random_audio(3, samples, amplitude)
        expected = extractor(list(audio), sampling_rate=RATE, return_tensors="pt")["input_values"]
        got = front_end(torch.from_numpy(audio))
        torch.testing.assert_close(got, expected, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("kind", ["wav2vec2", "hubert", "wavlm", "ast"])
def test_a_folder_loads_as_a_differentiable_waveform_classifier(transformers, kind, tmp_path):
    folder = save_tiny(transformers, tmp_path / kind, kind)
    network = load_huggingface(folder, classes=CLASSES, dataset="synth10", sample_rate=RATE)
    audio = torch.from_numpy(random_audio(2, RATE, 0.5)).requires_grad_(True)
    logits = network(audio)
    assert logits.shape == (2, len(CLASSES)) and network.architecture == ARCHITECTURES[kind]
    # the same logits as the transformers pipeline: extractor in numpy, then the model
    extractor = transformers.AutoFeatureExtractor.from_pretrained(folder)
    model = transformers.AutoModelForAudioClassification.from_pretrained(folder).eval()
    features = extractor(list(audio.detach().numpy()), sampling_rate=RATE, return_tensors="pt")
    with torch.no_grad():
        reference = model(input_values=features["input_values"]).logits
    torch.testing.assert_close(logits.detach(), reference, atol=1e-4, rtol=1e-4)
    # the suite's waveform representation hands (B, 1, T): the same logits
    torch.testing.assert_close(network(audio.detach()[:, None]), logits.detach())
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1])).backward()
    assert audio.grad is not None and bool(audio.grad.isfinite().all()) and bool((audio.grad != 0).any())


def _edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, **changes}))


def _bin_checkpoint(folder: Path) -> None:
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04K\x00.")  # a pickle of 0


BAD_FOLDERS = {
    "no config.json": (
        lambda f: (f / "config.json").unlink(),
        "has no config.json; it is not a save_pretrained",
    ),
    "no weights": (lambda f: (f / "model.safetensors").unlink(), "has no model.safetensors; save the model"),
    "no feature extractor": (
        lambda f: (f / "preprocessor_config.json").unlink(),
        "has no preprocessor_config.json; save the feature extractor too",
    ),
    "a .bin checkpoint": (_bin_checkpoint, "holds pytorch_model.bin, a pickle checkpoint"),
    "remote code": (
        lambda f: _edit_json(f / "config.json", auto_map={"AutoModelForAudioClassification": "x.Y"}),
        "names custom code (auto_map), which would run on load; remote code is never run",
    ),
    "too few labels": (
        lambda f: _edit_json(f / "config.json", id2label={"0": "a", "1": "b"}, label2id={"a": 0, "b": 1}),
        "the model has 2 labels but synth10 has 10 classes; fine-tune it with num_labels=10",
    ),
    "labels out of order": (
        lambda f: _edit_json(f / "config.json", id2label={str(i): c for i, c in enumerate(CLASSES[::-1])}),
        "id2label orders the classes differently from synth10",
    ),
    "another sampling rate": (
        lambda f: _edit_json(f / "preprocessor_config.json", sampling_rate=8000),
        "the model takes 8000 Hz audio but synth10 here is at 16000 Hz; evaluate it on a suite at 8000 Hz",
    ),
    "an unsupported extractor": (
        lambda f: _edit_json(
            f / "preprocessor_config.json", feature_extractor_type="WhisperFeatureExtractor"
        ),
        "feature extractor 'WhisperFeatureExtractor' has no torch equivalent here",
    ),
    "not JSON": (lambda f: (f / "config.json").write_text("{"), "config.json is not valid JSON"),
    "missing shards": (
        lambda f: (
            (f / "model.safetensors").unlink(),
            (f / "model.safetensors.index.json").write_text(
                '{"weight_map": {"a": "model-00001.safetensors"}}'
            ),
        ),
        "names missing shard files (model-00001.safetensors)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FOLDERS))
def test_a_bad_folder_is_one_line_before_transformers_loads_it(transformers, case, tmp_path, monkeypatch):
    breaks, message = BAD_FOLDERS[case]
    folder = save_tiny(transformers, tmp_path / "model")
    breaks(folder)
    monkeypatch.setattr(
        "benchmark.models.huggingface._load_model", lambda *a: pytest.fail("loaded a bad folder")
    )
    with pytest.raises(BenchmarkError) as error:
        load_huggingface(folder, classes=CLASSES, dataset="synth10", sample_rate=RATE)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_checkpoint_without_its_classifier_head_is_refused(transformers, tmp_path):
    """A base model saved without the fine-tuned head would get a random head: refused."""
    folder = tmp_path / "base"
    torch.manual_seed(0)
    transformers.Wav2Vec2Model(tiny_config(transformers, "wav2vec2", len(CLASSES))).save_pretrained(folder)
    transformers.Wav2Vec2FeatureExtractor().save_pretrained(folder)
    _edit_json(folder / "config.json", architectures=["Wav2Vec2ForSequenceClassification"])
    with pytest.raises(
        BenchmarkError, match=r"does not fit Wav2Vec2ForSequenceClassification \(missing keys"
    ):
        load_huggingface(folder)


def test_a_model_that_is_not_an_audio_classifier_is_refused(transformers, tmp_path):
    folder = save_tiny(transformers, tmp_path / "bert")
    transformers.BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2).save_pretrained(
        folder
    )
    with pytest.raises(BenchmarkError, match="model_type 'bert' has no audio classification model"):
        load_huggingface(folder)


def test_without_transformers_the_error_names_the_extra(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        "importlib.util.find_spec",
        lambda name, *args: None if name == "transformers" else find_spec(name, *args),
    )
    with pytest.raises(BenchmarkError, match=r"pip install 'audio-robustbench\[hf\]'"):
        require_transformers()


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
def submission(transformers, tmp_path) -> Path:
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
    _bin_checkpoint(submission / "model")
    monkeypatch.setattr("benchmark.submission.commands.run_worker", lambda *a, **k: pytest.fail("ran"))
    assert main(["validate", str(submission), "--device", "cpu"]) == 2
    assert "holds pytorch_model.bin, a pickle checkpoint" in one_line_error()


def test_a_file_symlinked_out_of_the_submission_is_refused(submission, tmp_path, one_line_error):
    weights = submission / "model" / "model.safetensors"
    outside = weights.rename(tmp_path / "elsewhere.safetensors")
    weights.symlink_to(outside)
    assert main(["validate", str(submission), "--device", "cpu"]) == 2
    assert "file 'model/model.safetensors' is a symlink to" in one_line_error()


def test_the_submission_folder_itself_may_be_the_model_folder(transformers, tmp_path):
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
