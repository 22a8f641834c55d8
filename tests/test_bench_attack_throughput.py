"""Throughput of every attack through every backend on ``cnn2d`` (compact) over Mel inputs
(1 x 64 x 63, one second at 16 kHz), batch 64, in one pytest-benchmark run: examples per
second, and input-gradient evaluations and model queries per second as counted by the harness's
wrapper (issue "full attack suite", Speed).

Run: ``python -m pytest tests/test_bench_attack_throughput.py -m benchmark --benchmark-enable -s``;
the report test prints the table the README holds. The native engine's overhead for FGSM, BIM
and PGD is held to :data:`NATIVE_OVERHEAD_LIMIT` against bare PyTorch loops that do the same
work (their gradient steps, then the one forward that judges success, which every attack
evaluation needs), timed in paired, interleaved rounds so that load from other processes hits
both alike.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from attack_models import cnn2d_problem, fastest_paired
from torch import nn

from benchmark.attacks.projected import seeded
from benchmark.budgets import Bounds, project
from benchmark.registry import ATTACKS

pytestmark = [
    pytest.mark.benchmark(group="attack throughput: cnn2d compact on mel 64x63, batch 64"),
    pytest.mark.usefixtures("one_thread"),
]

INPUT_SHAPE = (1, 64, 63)
BATCH = 64
BOUNDS = Bounds(0.0, 1.0)
STEPS = 10
NATIVE_OVERHEAD_LIMIT = 1.10
PAIRED_ROUNDS = 8

#: attack name -> (hyperparameters, budget): one point of a schedule, sized so every attack runs in
#: seconds (iterations for DeepFool / CW / L-BFGS, a fraction for JSMA, a radius otherwise)
SETTINGS: dict[str, tuple[dict, float]] = {
    "fgsm": ({}, 0.01),
    "fgsm_l2": ({}, 1.0),
    "bim_a": ({"steps": STEPS, "rel_stepsize": 0.2}, 0.01),
    "bim_b": ({"steps": STEPS, "rel_stepsize": 0.2}, 0.01),
    "pgd": ({"steps": STEPS}, 0.01),
    "pgd_l2": ({"steps": STEPS}, 1.0),
    "apgd": ({"steps": STEPS}, 0.01),
    "autoattack": ({"square_max_iter": 20}, 0.01),
    "square": ({"max_iter": 20}, 0.01),
    "deepfool": ({}, 5),
    "deepfool_linf": ({}, 5),
    "cw_l2": ({"binary_search_steps": 1}, 10),
    "jsma": ({}, 0.005),
    "lbfgs": ({"search_steps": 2}, 5),
}
ATTACK_NAMES = sorted(ATTACKS.names())
_ROWS: dict[str, dict[str, float]] = {}


@pytest.fixture(scope="module")
def problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    return cnn2d_problem(INPUT_SHAPE, BATCH)


def test_every_registered_attack_has_a_setting():
    assert {name.split("/")[0] for name in ATTACK_NAMES} == set(SETTINGS)


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_throughput(benchmark, problem, name):
    model, inputs, labels = problem
    attack_name = name.split("/")[0]
    params, budget = SETTINGS[attack_name]
    attack = ATTACKS.get(name)(**params)
    result = benchmark.pedantic(
        lambda: attack(model, inputs, labels, budgets=[budget], bounds=BOUNDS),
        rounds=2,
        warmup_rounds=0,
        iterations=1,
    )
    (output,) = result.outputs
    if benchmark.stats is not None:  # None under --benchmark-disable
        seconds = benchmark.stats.stats.mean
        row = {
            "seconds": seconds,
            "examples_per_s": BATCH / seconds,
            "gradients_per_s": output.gradient_evals / seconds,
            "forwards_per_s": output.forward_evals / seconds,
            "gradients_per_example": output.gradient_evals / BATCH,
            "success": float(output.success.float().mean()),
        }
        benchmark.extra_info.update({k: round(v, 3) for k, v in row.items()})
        _ROWS[name] = row


def test_report():
    """The README's table: one row per attack/backend."""
    if not _ROWS:
        pytest.skip("run with --benchmark-enable, all benchmarks of this file together")
    print("\n| attack/backend | s / batch of 64 | examples/s | gradients/s | queries/s | grads/example |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, row in sorted(_ROWS.items()):
        print(
            f"| {name} | {row['seconds']:.3f} | {row['examples_per_s']:.0f} | {row['gradients_per_s']:.0f} "
            f"| {row['forwards_per_s']:.0f} | {row['gradients_per_example']:.1f} |"
        )


# --- the native engine against bare loops ------------------------------------------------------


def _gradient(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    inputs = inputs.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(model(inputs), labels, reduction="sum"), inputs)
    return grad


def _judge(model: nn.Module, adversarial: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(adversarial).argmax(1)


def bare_fgsm(model, inputs, labels, budget=0.01):
    adversarial = (inputs + budget * _gradient(model, inputs, labels).sign()).clamp(0, 1)
    return adversarial, _judge(model, adversarial)


def bare_bim(model, inputs, labels, budget=0.01, start=None):
    adversarial = inputs if start is None else start
    for _ in range(STEPS):
        stepped = adversarial + 0.2 * budget * _gradient(model, adversarial, labels).sign()
        adversarial = (inputs + (stepped - inputs).clamp(-budget, budget)).clamp(0, 1)
    return adversarial, _judge(model, adversarial)


def bare_pgd(model, inputs, labels, budget=0.01):
    with seeded(0, inputs.device):
        start = (inputs + (torch.rand_like(inputs) * 2 - 1) * budget).clamp(0, 1)
    adversarial = start
    for _ in range(STEPS):
        stepped = adversarial + 0.25 * budget * _gradient(model, adversarial, labels).sign()
        adversarial = project(stepped, inputs, budget, "linf", BOUNDS)
    return adversarial, _judge(model, adversarial)


BARE: dict[str, tuple[Callable, dict]] = {
    "fgsm": (bare_fgsm, {}),
    "bim_b": (bare_bim, {"steps": STEPS, "rel_stepsize": 0.2}),
    "pgd": (bare_pgd, {"steps": STEPS}),
}


@pytest.mark.parametrize("name", sorted(BARE))
def test_native_overhead_within_limit(problem, name):
    """Fastest of paired, interleaved rounds: native engine / bare loop <= 1.10."""
    model, inputs, labels = problem
    bare, params = BARE[name]
    attack = ATTACKS.get(f"{name}/native")(**params)
    native_output = attack(model, inputs, labels, budgets=[0.01], bounds=BOUNDS).outputs[0]
    bare_adversarial, _ = bare(model, inputs, labels)
    torch.testing.assert_close(native_output.adversarial, bare_adversarial, atol=1e-5, rtol=0)
    runs = {
        "bare": lambda: bare(model, inputs, labels),
        "native": lambda: attack(model, inputs, labels, budgets=[0.01], bounds=BOUNDS),
    }
    fastest = fastest_paired(runs, PAIRED_ROUNDS)
    ratio = fastest["native"] / fastest["bare"]
    print(f"{name}: native / bare, fastest of {PAIRED_ROUNDS} interleaved rounds: {ratio:.3f}")
    assert ratio <= NATIVE_OVERHEAD_LIMIT
