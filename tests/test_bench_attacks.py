"""Speed of BIM-b (10 steps, batch 64) on the compact ``cnn2d``: a bare PyTorch loop, the native
engine, ART and Foolbox, side by side in one pytest-benchmark group (DESIGN.md, Attacks: the
native engine's overhead over a bare forward+backward loop is measured).

Run: ``python -m pytest tests/test_bench_attacks.py -m benchmark --benchmark-enable``. The bare
loop runs first; every later benchmark records its ratios to it in ``extra_info``; the report
test prints them side by side. The native engine is held to :data:`NATIVE_OVERHEAD_LIMIT` by a
separate paired test that interleaves bare and native rounds, so that load from other processes
hits both alike.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from attack_models import cnn2d_problem, fastest_paired
from torch import nn

from benchmark.budgets import Bounds
from benchmark.registry import ATTACKS

pytestmark = [
    pytest.mark.benchmark(group="bim_b: cnn2d compact, 10 steps, batch 64"),
    pytest.mark.usefixtures("one_thread"),
]

INPUT_SHAPE = (1, 257, 63)
BATCH = 64
STEPS = 10
BUDGET = 0.03
REL_STEPSIZE = 0.2
BOUNDS = Bounds(0.0, 1.0)
ROUNDS = 5
PAIRED_ROUNDS = 8
#: Measured (torch profiler): the judging forward costs ~4% of ten forward+backward steps, BIM's
#: per-step gather/scatter of the active examples and repeated projection ~2-3%.
NATIVE_OVERHEAD_LIMIT = 1.10

_STATS: dict[str, tuple[float, float]] = {}  # name -> (mean, min) seconds


@pytest.fixture(scope="module")
def problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    return cnn2d_problem(INPUT_SHAPE, BATCH)


def bare_bim_b(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """BIM-b with nothing around it: forward, input gradient, sign step, projection."""
    adversarial = inputs
    for _ in range(STEPS):
        adversarial = adversarial.detach().requires_grad_(True)
        loss = F.cross_entropy(model(adversarial), labels, reduction="sum")
        (grad,) = torch.autograd.grad(loss, adversarial)
        stepped = adversarial.detach() + REL_STEPSIZE * BUDGET * grad.sign()
        adversarial = (inputs + (stepped - inputs).clamp(-BUDGET, BUDGET)).clamp(BOUNDS.lower, BOUNDS.upper)
    return adversarial


def _measure(benchmark, name: str, function, *args):
    result = benchmark.pedantic(function, args=args, rounds=ROUNDS, warmup_rounds=1, iterations=1)
    if benchmark.stats is not None:  # None under --benchmark-disable
        stats = benchmark.stats.stats
        _STATS[name] = (stats.mean, stats.min)
        if name != "bare" and "bare" in _STATS:
            bare_mean, bare_min = _STATS["bare"]
            benchmark.extra_info["ratio_to_bare_mean"] = round(stats.mean / bare_mean, 3)
            benchmark.extra_info["ratio_to_bare_min"] = round(stats.min / bare_min, 3)
    return result


def test_bare_loop(benchmark, problem):
    _measure(benchmark, "bare", bare_bim_b, *problem)


@pytest.mark.parametrize("backend", ["native", "art", "foolbox"])
def test_engine(benchmark, problem, backend):
    model, inputs, labels = problem
    attack = ATTACKS.get(f"bim_b/{backend}")(steps=STEPS, rel_stepsize=REL_STEPSIZE)
    result = _measure(
        benchmark, backend, lambda: attack(model, inputs, labels, budgets=[BUDGET], bounds=BOUNDS)
    )
    (output,) = result.outputs
    assert output.gradient_evals == STEPS * BATCH
    torch.testing.assert_close(output.adversarial, bare_bim_b(model, inputs, labels), atol=1e-5, rtol=0)


def test_report():
    """Print mean and fastest times and their ratios to the bare loop, side by side."""
    if "bare" not in _STATS:
        pytest.skip("run with --benchmark-enable, all benchmarks of this file together")
    bare_mean, bare_min = _STATS["bare"]
    for name, (mean, fastest) in _STATS.items():
        print(
            f"{name:>8}: mean {mean:6.3f} s ({mean / bare_mean:4.2f}x bare), "
            f"min {fastest:6.3f} s ({fastest / bare_min:4.2f}x bare)"
        )


def test_native_overhead_within_limit(problem):
    """Native vs bare by paired, interleaved rounds, fastest of each: sequential benchmark rounds
    on a shared machine drift by more than the 10% being tested (seen: 0.85x to 1.3x)."""
    model, inputs, labels = problem
    attack = ATTACKS.get("bim_b/native")(steps=STEPS, rel_stepsize=REL_STEPSIZE)
    runs = {
        "bare": lambda: bare_bim_b(model, inputs, labels),
        "native": lambda: attack(model, inputs, labels, budgets=[BUDGET], bounds=BOUNDS),
    }
    fastest = fastest_paired(runs, PAIRED_ROUNDS)
    ratio = fastest["native"] / fastest["bare"]
    print(f"native / bare, fastest of {PAIRED_ROUNDS} interleaved rounds: {ratio:.3f}")
    assert ratio <= NATIVE_OVERHEAD_LIMIT
