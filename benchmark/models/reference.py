"""Reference models: (architecture, representation, dataset, training recipe) + a checkpoint.

Checkpoints live in ``baselines/<entry>.safetensors`` beside a JSON model card
``baselines/<entry>.json``. Only safetensors are read: a pickle checkpoint would run
arbitrary code on load. Loading verifies the card, the weights' sha256, the exact state-dict
keys and shapes, and that every weight is finite, and names the fix in one line otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from benchmark.errors import CheckpointError
from benchmark.jsonio import atomic_write_bytes, atomic_write_json, sha256_file
from benchmark.models.spec import ModelSpec
from benchmark.paths import inside
from benchmark.registry import MODELS
from benchmark.representations.base import Representation, build_representation

CARD_VERSION = 1
#: extensions of pickle-based checkpoints: loading one runs arbitrary code
PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin"}


@dataclass
class ReferenceModel:
    """A representation and the network that classifies its output."""

    entry: str
    spec: ModelSpec
    representation: Representation
    network: nn.Module

    def classifier(self) -> nn.Module:
        """Waveform ``(B, T)`` -> logits, end to end (for waveform-domain use)."""
        return nn.Sequential(self.representation, self.network)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.network.parameters())

    def to(self, device: torch.device) -> ReferenceModel:
        self.representation.to(device)
        self.network.to(device)
        return self


def build_reference(entry: str, spec: ModelSpec, *, sample_rate: int, segment_samples: int, num_classes: int):
    """Instantiate the representation and an untrained network sized for its output."""
    representation = build_representation(spec.representation, sample_rate, spec.representation_params)
    input_shape = representation.output_shape(segment_samples)
    network = MODELS.get(spec.architecture)(
        input_shape=input_shape,
        num_classes=num_classes,
        sample_rate=sample_rate,
        config=spec.config,
        **spec.training.builder_kwargs(),
    )
    return ReferenceModel(entry, spec, representation.eval(), network)


def card_path(folder: Path, entry: str) -> Path:
    return inside(folder, f"{entry}.json", what="model card")


def save_reference(model: ReferenceModel, folder: Path, card: dict[str, Any]) -> Path:
    """Write weights then card, each atomically; the card records the weights' sha256."""
    weights = inside(folder, f"{model.entry}.safetensors", what="checkpoint")
    state = {k: v.detach().cpu().contiguous() for k, v in model.network.state_dict().items()}
    folder.mkdir(parents=True, exist_ok=True)
    temporary = weights.with_suffix(".safetensors.tmp")
    save_file(state, str(temporary))
    atomic_write_bytes(weights, temporary.read_bytes())
    temporary.unlink()
    full_card = {
        "card_version": CARD_VERSION,
        "entry": model.entry,
        "architecture": model.spec.architecture,
        "config": model.spec.config,
        "representation": model.representation.config(),
        "spec": model.spec.model_dump(mode="json"),
        "parameters": model.parameter_count(),
        "weights_file": weights.name,
        "weights_sha256": sha256_file(weights),
        **card,
    }
    atomic_write_json(card_path(folder, model.entry), full_card)
    return weights


def _fix(suite: str) -> str:
    return f"run `arb train --suite {suite}` to re-create it"


def read_card(folder: Path, entry: str, suite: str) -> dict[str, Any]:
    path = card_path(folder, entry)
    fix = _fix(suite)
    if not path.is_file():
        raise CheckpointError(f"model card {path} is missing; {fix}")
    try:
        card = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise CheckpointError(f"model card {path} is not valid JSON ({error.msg}); {fix}") from None
    if not isinstance(card, dict) or card.get("card_version") != CARD_VERSION:
        raise CheckpointError(
            f"model card {path} has card_version {card.get('card_version')!r}, expected {CARD_VERSION}; {fix}"
        )
    return card


def load_reference(
    entry: str,
    spec: ModelSpec,
    folder: Path,
    *,
    suite: str,
    sample_rate: int,
    segment_samples: int,
    num_classes: int,
) -> tuple[ReferenceModel, dict[str, Any]]:
    """Build the model for ``spec`` and load its verified weights from ``folder``; every
    failure names the ``arb train --suite <suite>`` command that re-creates the checkpoint."""
    card = read_card(folder, entry, suite)
    fix = _fix(suite)
    if card.get("spec") != spec.model_dump(mode="json"):
        raise CheckpointError(
            f"checkpoint {entry!r} in {folder} was trained for a different model spec; {fix}"
        )
    weights = inside(folder, str(card.get("weights_file", "")), what="checkpoint")
    if weights.suffix != ".safetensors":
        raise CheckpointError(f"checkpoint {weights} is not a .safetensors file; only safetensors are loaded")
    if not weights.is_file():
        raise CheckpointError(f"checkpoint {weights} is missing; {fix}")
    if sha256_file(weights) != card.get("weights_sha256"):
        raise CheckpointError(
            f"checkpoint {weights} does not match the sha256 in its model card (corrupt?); {fix}"
        )
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"checkpoint {weights} cannot be read ({error}); {fix}") from None
    model = build_reference(
        entry, spec, sample_rate=sample_rate, segment_samples=segment_samples, num_classes=num_classes
    )
    try:
        model.network.load_state_dict(state, strict=True)
    except RuntimeError as error:
        detail = str(error).splitlines()[1].strip() if len(str(error).splitlines()) > 1 else str(error)
        raise CheckpointError(
            f"checkpoint {weights} does not fit {spec.architecture!r}: {detail}; {fix}"
        ) from None
    bad = [
        name for name, tensor in state.items() if tensor.is_floating_point() and not tensor.isfinite().all()
    ]
    if bad:
        raise CheckpointError(f"checkpoint {weights} has non-finite values in {bad[0]!r}; {fix}")
    model.network.eval()
    return model, card
