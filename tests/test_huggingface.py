"""Hugging Face models: tiny randomly initialised ``save_pretrained`` folders (built here, no
download) load as waveform classifiers whose torch front-ends match the real feature extractors;
every bad folder is one line (submissions: test_submission_huggingface.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hf_models import CLASSES, RATE, add_pickle_checkpoint, save_tiny, tiny_config

from benchmark.errors import BenchmarkError
from benchmark.models.hf_folder import require_transformers
from benchmark.models.hf_frontends import torch_front_end
from benchmark.models.huggingface import load_huggingface

#: how far a torch front-end may be from its feature extractor: |got - expected| <= ATOL + RTOL *
#: |expected| (float32 FFTs summed in another order; measured on this machine: under 1e-5 on the
#: normalised features of magnitude ~1, under 2e-4 on raw log-Mel values up to ~10)
ATOL = RTOL = 1e-4


@pytest.fixture
def transformers():
    """The optional ``transformers`` package (the ``hf`` extra), or the test is skipped."""
    return pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")


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
    assert network.sample_rate == RATE and network.labels == list(CLASSES)
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
    "a .bin checkpoint": (
        add_pickle_checkpoint,
        "holds pickle files (pytorch_model.bin), which run arbitrary code",
    ),
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
