"""A local Hugging Face ``save_pretrained`` folder, checked before anything in it is loaded.

Only names and the two JSON configs are read here (no ``transformers`` import, no weights, no
code), so the harness can refuse a folder before its worker starts: each problem is one line
naming the file and the fix.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.errors import BenchmarkError, CheckpointError
from benchmark.jsonio import sha256_file, sha256_of
from benchmark.models.hf_frontends import SUPPORTED
from benchmark.models.reference import PICKLE_SUFFIXES

CONFIG = "config.json"
PREPROCESSOR = "preprocessor_config.json"
WEIGHTS = "model.safetensors"
SHARDS = "model.safetensors.index.json"
INSTALL = "pip install 'audio-robustbench[hf]'"
SAVE = "model.save_pretrained(folder) and feature_extractor.save_pretrained(folder)"


@dataclass(frozen=True)
class PretrainedFolder:
    """A folder that passed :func:`read_pretrained`: its configs and safetensors files."""

    path: Path
    config: dict[str, Any]
    preprocessor: dict[str, Any]
    weights: tuple[Path, ...]

    @property
    def labels(self) -> list[str]:
        """Label names in logit order (``id2label``; transformers' default is two labels)."""
        id2label = self.config.get("id2label") or {}
        count = len(id2label) or int(self.config.get("num_labels", 2))
        return [str(id2label.get(str(index), f"LABEL_{index}")) for index in range(count)]

    @property
    def sampling_rate(self) -> int:
        return int(self.preprocessor["sampling_rate"])

    def sha256(self) -> str:
        """Over the configs and the weights (names and sha256s): together they define the model."""
        files = [self.path / CONFIG, self.path / PREPROCESSOR, *self.weights]
        return sha256_of({path.name: sha256_file(path) for path in files})


def _read_json(path: Path, fix: str) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(f"{path.parent} has no {path.name}; {fix}")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(
            f"{path} is not valid JSON ({error}); save the folder again with {SAVE}"
        ) from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} is not a JSON object; save the folder again with {SAVE}")
    if "auto_map" in data:
        raise CheckpointError(
            f"{path} names custom code (auto_map), which would run on load; remote code is never run: "
            f"use a model class built into transformers"
        )
    return data


def _safetensors(folder: Path) -> tuple[Path, ...]:
    """The weight files: ``model.safetensors``, or the shards its index names."""
    if (folder / WEIGHTS).is_file():
        return (folder / WEIGHTS,)
    if not (folder / SHARDS).is_file():
        raise CheckpointError(
            f"{folder} has no {WEIGHTS}; save the model with model.save_pretrained(folder) "
            f"(safetensors is its default)"
        )
    index = _read_json(folder / SHARDS, f"save the model again with {SAVE}")
    names = sorted(set(index.get("weight_map", {}).values()))
    missing = [name for name in names if not (folder / name).is_file()]
    if not names or missing:
        raise CheckpointError(
            f"{folder / SHARDS} names missing shard files ({', '.join(missing) or 'none listed'}); "
            f"copy every shard into {folder}"
        )
    return tuple(folder / name for name in names)


def read_pretrained(folder: Path) -> PretrainedFolder:
    """Check that ``folder`` is a complete, safetensors-only, built-in-code audio classifier."""
    if not folder.is_dir():
        raise CheckpointError(f"Hugging Face folder {folder} does not exist; give the save_pretrained folder")
    pickles = sorted(path.name for path in folder.iterdir() if path.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise CheckpointError(
            f"{folder} holds pickle files ({', '.join(pickles)}), which run arbitrary code when loaded; "
            f"save the model with model.save_pretrained(folder) (safetensors) and delete them"
        )
    config = _read_json(folder / CONFIG, f"it is not a save_pretrained folder: save it with {SAVE}")
    weights = _safetensors(folder)
    preprocessor = _read_json(
        folder / PREPROCESSOR, "save the feature extractor too: feature_extractor.save_pretrained(folder)"
    )
    kind = preprocessor.get("feature_extractor_type")
    if kind not in SUPPORTED:
        raise CheckpointError(
            f"{folder / PREPROCESSOR}: feature extractor {kind!r} has no torch equivalent here; "
            f"supported: {', '.join(SUPPORTED)} (wav2vec2, HuBERT, WavLM, AST)"
        )
    if not isinstance(preprocessor.get("sampling_rate"), int):
        raise CheckpointError(
            f"{folder / PREPROCESSOR} has no integer sampling_rate; save the feature extractor again"
        )
    return PretrainedFolder(folder, config, preprocessor, weights)


def check_fits(
    pretrained: PretrainedFolder, *, classes: Sequence[str] | None, dataset: str, sample_rate: int
) -> None:
    """The model's labels must be ``dataset``'s classes (count, and order where the names agree;
    ``None``: known only once the data is read, as for ``folder``) and its feature extractor must
    take audio at ``sample_rate``."""
    labels, where = pretrained.labels, pretrained.path / CONFIG
    if classes is not None and len(labels) != len(classes):
        raise CheckpointError(
            f"{where}: the model has {len(labels)} labels but {dataset} has {len(classes)} classes; "
            f"fine-tune it with num_labels={len(classes)} and id2label in {dataset}'s class order"
        )
    if classes is not None and set(labels) == set(classes) and labels != list(classes):
        raise CheckpointError(
            f"{where}: id2label orders the classes differently from {dataset} ({', '.join(classes)}); "
            f"permute the classifier's rows and id2label to that order"
        )
    if pretrained.sampling_rate != sample_rate:
        raise CheckpointError(
            f"{pretrained.path / PREPROCESSOR}: the model takes {pretrained.sampling_rate} Hz audio but "
            f"{dataset} here is at {sample_rate} Hz; evaluate it on a suite at {pretrained.sampling_rate} Hz"
        )


def require_transformers() -> None:
    """Hugging Face models need the optional ``transformers`` package."""
    if importlib.util.find_spec("transformers") is None:
        raise BenchmarkError(f"Hugging Face models need the transformers package: {INSTALL}")
