"""Overhead of the box: BIM-b (10 steps, batch 64) on the example submission, the model in the box
against the same model in process (issue 15: target at most 1.3x).

Run: ``python -m pytest tests/test_bench_box.py -m benchmark -s``. Both sides run with one thread
(the box takes the harness's thread count) in paired, interleaved rounds, fastest of each: load
from other processes hits both alike. Each box step sends the batch forward (4.1 MB of float32),
then the batch and its logit gradients back for the backward, and reads back the logits and the
input gradient; the box reuses the forward's graph for the backward.
"""

from __future__ import annotations

import pytest
import torch
from attack_models import fastest_paired
from test_sandbox import LIMITS, needs_box

from benchmark.budgets import Bounds
from benchmark.paths import project_root
from benchmark.registry import ATTACKS
from benchmark.submission.boxed import boxed
from benchmark.submission.loading import build
from benchmark.submission.manifest import load_manifest

pytestmark = [pytest.mark.benchmark(group="box overhead"), pytest.mark.usefixtures("one_thread"), needs_box]

EXAMPLE = project_root() / "submissions" / "example-cnn2d-stft"
BATCH = 64
STEPS = 10
BUDGET = 0.03
ROUNDS = 5
OVERHEAD_LIMIT = 1.3


def test_box_overhead_on_bim_within_limit():
    in_process = build(EXAMPLE)
    manifest, weights = load_manifest(EXAMPLE)
    audio = 2 * torch.rand(BATCH, manifest.input.samples, generator=torch.Generator().manual_seed(0)) - 1
    with torch.no_grad():
        inputs = in_process.representation(audio)
        labels = in_process.network(inputs).argmax(dim=1)
    attack = ATTACKS.get("bim_b/native")(steps=STEPS, rel_stepsize=0.2)
    bounds = Bounds(0.0, 1.0)
    with boxed(EXAMPLE, manifest, weights, LIMITS, device="cpu", stage="benchmarking") as (_, network):
        runs = {
            name: (lambda model=model: attack(model, inputs, labels, budgets=[BUDGET], bounds=bounds))
            for name, model in (("in process", in_process.network), ("box", network))
        }
        expected, got = (run().outputs[0].adversarial for run in runs.values())
        fastest = fastest_paired(runs, ROUNDS)
    assert torch.equal(got, expected)  # the same attack, to the bit
    ratio = fastest["box"] / fastest["in process"]
    print(f"box / in process, BIM-b {STEPS} steps batch {BATCH}, fastest of {ROUNDS} rounds: "
          f"{fastest['box']:.3f} s / {fastest['in process']:.3f} s = {ratio:.3f}")  # fmt: skip
    assert ratio <= OVERHEAD_LIMIT
