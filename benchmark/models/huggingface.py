"""Hugging Face audio classifiers (``AutoModelForAudioClassification``: wav2vec2, HuBERT, WavLM
sequence classifiers, AST) from a local ``save_pretrained`` folder, as waveform models.

The model is loaded from safetensors only, from the folder only, with built-in code only
(``use_safetensors=True``, ``local_files_only=True``, ``trust_remote_code=False``). Its feature
extractor is replaced by the torch equivalent in :mod:`benchmark.models.hf_frontends`, so the
wrapped module maps the suite's audio to logits differentiably and attacks perturb the waveform.

Example::

    from benchmark.models.huggingface import load_huggingface
    model = load_huggingface("my-finetuned-ast")  # (B, T) audio at its sampling rate -> logits
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from benchmark.errors import CheckpointError
from benchmark.models.hf_folder import (
    CONFIG,
    SAVE,
    PretrainedFolder,
    check_fits,
    read_pretrained,
    require_transformers,
)
from benchmark.models.hf_frontends import torch_front_end

#: no network, no pickle, no code from the folder
OPTIONS: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}


class HuggingFaceClassifier(nn.Module):
    """Audio ``(B, T)`` (or the waveform representation's ``(B, 1, T)``) -> logits ``(B, labels)``:
    the feature extractor's torch equivalent, then the ``transformers`` model. ``sample_rate`` and
    ``labels`` (logit order) say which data it fits."""

    def __init__(self, front_end: nn.Module, model: nn.Module, sample_rate: int, labels: list[str]) -> None:
        super().__init__()
        self.front_end, self.model = front_end, model
        self.sample_rate, self.labels = sample_rate, labels

    @property
    def architecture(self) -> str:
        """The transformers class, for the leaderboard (the wrapper is the same for every model)."""
        return type(self.model).__name__

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if waveform.ndim == 3 and waveform.shape[1] == 1:
            waveform = waveform[:, 0]
        return self.model(input_values=self.front_end(waveform)).logits


def _fail(pretrained: PretrainedFolder, what: str, error: BaseException) -> CheckpointError:
    lines = str(error).strip().splitlines()
    detail = f"{type(error).__name__}: {lines[0].rstrip('.')}" if lines else type(error).__name__
    return CheckpointError(f"{pretrained.path}: {what} ({detail}); save the folder again with {SAVE}")


def _load_model(pretrained: PretrainedFolder) -> tuple[nn.Module, object]:
    """The model (float32, eval mode) and its feature extractor, every key of the checkpoint used."""
    from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING

    path = str(pretrained.path)
    try:
        config = AutoConfig.from_pretrained(path, **OPTIONS)
        extractor = AutoFeatureExtractor.from_pretrained(path, **OPTIONS)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise _fail(pretrained, "its configs do not load", error) from None
    if type(config) not in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING:
        raise CheckpointError(
            f"{pretrained.path / CONFIG}: model_type {config.model_type!r} has no audio classification "
            f"model in transformers; save an AutoModelForAudioClassification model"
        )
    try:
        model, report = AutoModelForAudioClassification.from_pretrained(
            path, config=config, use_safetensors=True, output_loading_info=True, **OPTIONS
        )
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        raise _fail(pretrained, "the model does not load", error) from None
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        keys = sorted(str(key[0] if isinstance(key, tuple) else key) for key in report.get(kind, ()))
        if keys:
            raise CheckpointError(
                f"{pretrained.path}: the checkpoint does not fit {type(model).__name__} "
                f"({kind.replace('_', ' ')}: {', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''}); "
                f"save exactly this fine-tuned model with model.save_pretrained(folder)"
            )
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not bool(tensor.isfinite().all()):
            raise CheckpointError(
                f"{pretrained.path}: weight {name!r} has NaN or inf values; fix the checkpoint"
            )
    return model.float().eval(), extractor


def _check_front_end(pretrained: PretrainedFolder, model: nn.Module, extractor: object) -> None:
    """A spectrogram extractor must produce the shape the model was built for."""
    config = model.config  # type: ignore[attr-defined]
    for field in ("num_mel_bins", "max_length"):
        if hasattr(extractor, field) and hasattr(config, field):
            made, expected = getattr(extractor, field), getattr(config, field)
            if made != expected:
                raise CheckpointError(
                    f"{pretrained.path}: the feature extractor's {field} is {made} but the model's "
                    f"config has {expected}; save the extractor the model was trained with"
                )


def load_huggingface(
    folder: str | Path,
    *,
    classes: Sequence[str] | None = None,
    dataset: str = "the dataset",
    sample_rate: int | None = None,
) -> HuggingFaceClassifier:
    """Load a local ``save_pretrained`` audio classifier as a waveform model; with a suite's
    ``sample_rate`` (and its dataset's ``classes``), also check that they fit the model."""
    pretrained = read_pretrained(Path(folder).resolve())
    if sample_rate is not None:
        check_fits(pretrained, classes=classes, dataset=dataset, sample_rate=sample_rate)
    require_transformers()
    model, extractor = _load_model(pretrained)
    _check_front_end(pretrained, model, extractor)
    return HuggingFaceClassifier(
        torch_front_end(extractor), model, pretrained.sampling_rate, pretrained.labels
    )
