"""Loading a submitted model and checking it before any attack runs (in the worker process only).

Importing the entry point runs submitted code, so these functions are called only by
:mod:`benchmark.submission.worker`; each failure is one :class:`SubmissionError` line naming
the manifest field or file and the fix.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from benchmark.errors import BenchmarkError, SubmissionError
from benchmark.jsonio import sha256_file
from benchmark.models.hf_folder import read_pretrained
from benchmark.registry import DATASETS, REPRESENTATIONS
from benchmark.representations.base import Representation
from benchmark.submission.box import TMP_BYTES
from benchmark.submission.manifest import Manifest, load_manifest

#: examples in the validation forward pass: more than one, so batch-dependent bugs show
CHECK_BATCH = 2


@dataclass
class Submission:
    folder: Path
    manifest: Manifest
    representation: Representation
    network: nn.Module
    weights_sha256: str


def architecture(network: nn.Module) -> str:
    """The model's class name, or the class a wrapper names (a Hugging Face model's)."""
    return str(getattr(network, "architecture", type(network).__name__))


def parameter_count(network: nn.Module) -> int:
    """The model's parameters, or the count a proxy carries (a boxed model has none here)."""
    count = getattr(network, "parameter_count", None)
    return int(count) if count is not None else sum(p.numel() for p in network.parameters())


def describe(error: BaseException, fix: str) -> str:
    """``Type: first line; fix`` for an exception from submitted code; when memory or the box's
    /tmp ran out the fix is the limit's. The box's errors arrive described already: as they are."""
    if isinstance(error, SubmissionError):
        return " ".join(str(error).split())
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0].rstrip('.')}" if lines else type(error).__name__
    if isinstance(error, MemoryError) or "can't allocate memory" in text:
        fix = "the memory limit was reached: raise --memory-limit or shrink the model"
    elif "No space left on device" in text:
        fix = f"a disk is full (the box's /tmp holds {TMP_BYTES >> 20} MiB): write less to temporary files"
    return f"{text}; {fix}"


def build(folder: Path) -> Submission:
    """Import the entry point with the submission folder on ``sys.path``, build the model and
    load its weights; every failure is one line naming the manifest field or file."""
    manifest, weights = load_manifest(folder)
    folder = folder.resolve()
    if manifest.huggingface is not None:
        return _build_huggingface(folder, manifest, weights)
    entry = manifest.source
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(manifest.module)
    except (Exception, SystemExit) as error:
        raise SubmissionError(
            f"entry_point {entry!r} does not import: "
            + describe(error, f"check `import {manifest.module}` in {folder}")
        ) from None
    origin = Path(getattr(module, "__file__", None) or "<built-in>").resolve()
    if not origin.is_relative_to(folder):
        raise SubmissionError(
            f"entry_point {entry!r}: module {manifest.module!r} is {origin}, "
            f"not the submission's file; rename it"
        )
    factory = getattr(module, manifest.function, None)
    if not callable(factory):
        raise SubmissionError(f"entry_point {entry!r}: {origin.name} has no function {manifest.function!r}")
    try:
        network = factory()
    except (Exception, SystemExit) as error:
        raise SubmissionError(
            f"entry_point {entry!r} raised "
            + describe(error, "fix the function (it is called without arguments)")
        ) from None
    if not isinstance(network, nn.Module):
        raise SubmissionError(
            f"entry_point {entry!r} returned {type(network).__name__}, not a torch.nn.Module"
        )
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as error:
        raise SubmissionError(
            f"weights file {manifest.weights!r} is not readable safetensors: "
            + describe(error, "write it with safetensors.torch.save_file(model.state_dict(), ...)")
        ) from None
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as error:
        detail = [line.strip().rstrip(".") for line in str(error).splitlines() if line.strip()][-1]
        raise SubmissionError(
            f"weights file {manifest.weights!r} does not fit the model of {entry!r}: {detail}; "
            f"save the state_dict of exactly this model"
        ) from None
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(tensor.isfinite().all()):
            raise SubmissionError(
                f"weights file {manifest.weights!r} has non-finite values (NaN or inf) in {name!r}; "
                f"fix the checkpoint"
            )
    return Submission(folder, manifest, representation_of(manifest), network.eval(), sha256_file(weights))


def representation_of(manifest: Manifest) -> Representation:
    spec = manifest.input
    try:
        representation = REPRESENTATIONS.get(spec.representation_name)(
            sample_rate=spec.sample_rate, **spec.representation_params
        )
    except (TypeError, ValueError, BenchmarkError) as error:
        raise SubmissionError(
            "input.representation_params: " + describe(error, "use the representation's parameters")
        ) from None
    return representation.eval()


def _build_huggingface(folder: Path, manifest: Manifest, pretrained: Path) -> Submission:
    """A ``save_pretrained`` folder: transformers builds the model from its config and safetensors
    (no submitted code runs), wrapped to take the waveform; its checksum covers configs and weights."""
    from benchmark.models.huggingface import load_huggingface

    network = load_huggingface(
        pretrained,
        classes=getattr(DATASETS.get(manifest.dataset), "classes", None),
        dataset=manifest.dataset,
        sample_rate=manifest.input.sample_rate,
    )
    checksum = read_pretrained(pretrained).sha256()
    return Submission(folder, manifest, representation_of(manifest), network.eval(), checksum)


def check_inputs(representation: Representation, samples: int, device: torch.device) -> torch.Tensor:
    """The model's input for :data:`CHECK_BATCH` seeded noise clips of ``samples`` at half scale."""
    generator = torch.Generator().manual_seed(0)
    audio = 0.5 * (2 * torch.rand(CHECK_BATCH, samples, generator=generator) - 1)
    with torch.no_grad():
        return representation.to(device)(audio.to(device))


def check_model(submission: Submission, device: torch.device) -> dict[str, Any]:
    """The checks of :func:`check_network` on the manifest's declared input."""
    manifest = submission.manifest
    return check_network(
        submission.representation,
        submission.network,
        samples=manifest.input.samples,
        dataset=manifest.dataset,
        device=device,
        fix="fix the model or `input` in the manifest",
        zero_gradient_ok=True,  # a masked submission is evaluated and flagged (adaptive.py)
    )


def check_network(
    representation: Representation,
    network: nn.Module,
    *,
    samples: int,
    dataset: str,
    device: torch.device,
    fix: str,
    zero_gradient_ok: bool = False,
) -> dict[str, Any]:
    """One forward pass on ``samples`` of random audio through ``representation``: logits of shape
    (batch, classes of ``dataset``), finite, and an input gradient that exists, is finite and is
    not all zero (gradient attacks need it; ``zero_gradient_ok``: all zero is allowed, for a
    submission whose masking the harness flags). ``fix`` ends the message of a forward pass that
    raises."""
    classes = len(DATASETS.get(dataset).classes)
    network = network.to(device)
    inputs = check_inputs(representation, samples, device).requires_grad_(True)
    shape = tuple(inputs.shape)
    source = f"{representation.name} input {shape}"
    try:
        logits = network(inputs)
    except Exception as error:
        raise SubmissionError(
            f"the model's forward pass on {source} raised " + describe(error, fix)
        ) from None
    expected = (CHECK_BATCH, classes)
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != expected:
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise SubmissionError(
            f"the model returned {got} for {source}; it must return logits of shape {expected}, "
            f"one per class of {dataset}"
        )
    if not logits.is_floating_point() or not bool(logits.isfinite().all()):
        raise SubmissionError(
            f"the model returned non-finite or non-float logits for {source}; they must be finite floats"
        )
    if logits.requires_grad:
        labels = torch.arange(CHECK_BATCH, device=device) % classes
        F.cross_entropy(logits, labels).backward()
    gradient = inputs.grad
    if gradient is None or not (zero_gradient_ok or bool((gradient != 0).any())):
        raise SubmissionError(
            f"no gradient reaches the model's input ({'none' if gradient is None else 'all zero'}); "
            f"gradient attacks need a differentiable path: remove detach(), torch.no_grad(), argmax "
            f"or rounding from forward"
        )
    if not bool(gradient.isfinite().all()):
        raise SubmissionError(
            "the model's input gradient has NaN or inf values; make the forward pass numerically stable"
        )
    return {
        "input_shape": list(shape[1:]),
        "output_shape": list(expected),
        "parameters": parameter_count(network),
        "architecture": architecture(network),
        "zero_gradient": not bool((gradient != 0).any()),
    }
