"""``arb validate`` and ``arb submit`` with the model in the box: the harness process runs the
checks, the attacks and every metric, and writes the entry; submitted code runs only in the box.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from benchmark.jsonio import sha256_file
from benchmark.leaderboard.schema import Flag, LeaderboardEntry
from benchmark.models.hf_folder import read_pretrained
from benchmark.runtime import make_deterministic, resolve_device
from benchmark.submission.box import Box, require_sandbox
from benchmark.submission.checks import gradient_flags, requery_flags, same_logits_flags
from benchmark.submission.loading import Submission, check_inputs, check_model, representation_of
from benchmark.submission.manifest import Manifest
from benchmark.submission.proxy import BoxedNetwork
from benchmark.submission.sandbox import Limits


@contextmanager
def boxed(
    folder: Path, manifest: Manifest, weights: Path, limits: Limits, *, device: str, stage: str
) -> Iterator[tuple[Submission, BoxedNetwork]]:
    """The submission with its network in a started box (killed on leaving, however one leaves),
    and that network."""
    require_sandbox()
    folder = folder.resolve()
    threads = torch.get_num_threads()
    with Box(folder, limits, device=str(resolve_device(device)), threads=threads, stage=stage) as box:
        network = BoxedNetwork(box)
        checksum = weights_checksum(manifest, weights)
        yield Submission(folder, manifest, representation_of(manifest), network, checksum), network


def weights_checksum(manifest: Manifest, weights: Path) -> str:
    """What the in-process loader records: the safetensors file's sha256, or the HF folder's."""
    return sha256_file(weights) if manifest.huggingface is None else read_pretrained(weights).sha256()


def answer_flags(submission: Submission, network: BoxedNetwork, device: torch.device) -> list[Flag]:
    """The model's first answers checked against themselves (:mod:`benchmark.submission.checks`);
    a model declared randomized answers differently by design (its masking evidence is recorded
    in every cell instead)."""
    if submission.manifest.randomized:
        return []
    inputs = check_inputs(submission.representation, submission.manifest.input.samples, device)
    same = same_logits_flags(network, inputs)
    return same + gradient_flags(network, inputs, width=submission.representation.bounds.width)


def validate_boxed(
    folder: Path, manifest: Manifest, weights: Path, limits: Limits, *, device: str
) -> dict[str, Any]:
    """``check_model`` through the box, plus the answer checks (their flags in the report)."""
    started = time.perf_counter()
    with boxed(folder, manifest, weights, limits, device=device, stage="validating") as (submission, network):
        report = check_model(submission, resolve_device(device))
        flags = answer_flags(submission, network, resolve_device(device))
    seconds = round(time.perf_counter() - started, 3)
    return {**report, "seconds": seconds, "where": "the box", "flags": [flag.message for flag in flags]}


def submit_boxed(
    folder: Path,
    manifest: Manifest,
    weights: Path,
    evaluate: Callable[[Submission], LeaderboardEntry],
    limits: Limits,
    *,
    device: str,
) -> LeaderboardEntry:
    """Check, evaluate (``evaluate(submission) -> entry``, in this process) and re-query (unless
    the model declares itself randomized); the entry comes back with the answer checks' flags added."""
    make_deterministic()
    stage = "validating and evaluating"
    with boxed(folder, manifest, weights, limits, device=device, stage=stage) as (submission, network):
        check_model(submission, resolve_device(device))
        flags = answer_flags(submission, network, resolve_device(device))
        entry = evaluate(submission)
        flags += [] if manifest.randomized else requery_flags(network)
    return entry.model_copy(update={"flags": [*entry.flags, *flags]})
