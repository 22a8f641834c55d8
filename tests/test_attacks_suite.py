"""JSMA, L-BFGS, APGD, AutoAttack and Square: each finds adversarials on a small trained model,
stays in bounds (and in the epsilon ball), and spends what its algorithm fixes, counted.

The model is a tiny conv net trained for a moment on a fixed-seed 4-class task (class c
brightens quadrant c of a noisy (1, 12, 12) image); NumPy is seeded for ART's random draws.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from attack_models import (
    BOUNDS,
    task,
)
from torch import nn

from benchmark.attacks.base import Attack, AttackResult
from benchmark.budgets import check_budgets
from benchmark.errors import BenchmarkError, BudgetError
from benchmark.registry import ATTACKS

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: one thread in every pool

BATCH = 16
ELEMENTS = 12 * 12
NAMES = ("jsma/art", "lbfgs/native", "apgd/art", "autoattack/art", "square/art")


@pytest.fixture(scope="module")
def problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(trained model in eval mode, inputs (16, 1, 12, 12), labels, targets = label + 1 mod 4)."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 4),
    )
    train_inputs, train_labels = task(128, generator, size=12)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    for _ in range(40):
        optimizer.zero_grad()
        F.cross_entropy(model(train_inputs), train_labels).backward()
        optimizer.step()
    model.eval().zero_grad(set_to_none=True)
    inputs, labels = task(BATCH, generator, size=12)
    with torch.no_grad():
        assert (model(inputs).argmax(1) == labels).float().mean() > 0.9
    return model, inputs, labels, (labels + 1) % 4


def attack(problem, name: str, budgets, *, targeted: bool = False, **hyperparameters) -> AttackResult:
    model, inputs, labels, targets = problem
    np.random.seed(0)
    instance = ATTACKS.get(name)(targeted=targeted, **hyperparameters)
    return instance(
        model, inputs, labels, budgets=budgets, bounds=BOUNDS, targets=targets if targeted else None
    )


#: name -> (budgets: small then large, hyperparameters kept light for a quick run, targeted variants)
CONFIGS: dict[str, tuple[tuple[float, ...], dict[str, int], tuple[bool, ...]]] = {
    "jsma/art": ((0.05, 0.2), {}, (False, True)),
    "lbfgs/native": ((5, 20), {"search_steps": 5}, (False, True)),
    "apgd/art": ((0.02, 0.1), {"steps": 10}, (False, True)),
    "autoattack/art": ((0.05, 0.1), {"square_max_iter": 20}, (False,)),
    "square/art": ((0.05, 0.2), {"max_iter": 50}, (False,)),
}
CASES = [(name, targeted) for name, (_, _, variants) in CONFIGS.items() for targeted in variants]


@pytest.fixture(scope="module")
def results(problem) -> dict[tuple[str, bool], AttackResult]:
    """Every configured attack over its budgets, computed once."""
    return {
        (name, targeted): attack(problem, name, CONFIGS[name][0], targeted=targeted, **CONFIGS[name][1])
        for name, targeted in CASES
    }


@pytest.mark.parametrize(("name", "targeted"), CASES)
def test_finds_adversarials_in_bounds(problem, results, name, targeted):
    _, inputs, _, _ = problem
    result = results[name, targeted]
    counts = [int(output.success.sum()) for output in result.outputs]
    assert counts[0] <= counts[-1] and counts[-1] >= 3 * BATCH // 4, counts
    for output in result.outputs:
        assert output.adversarial.min() >= BOUNDS.lower and output.adversarial.max() <= BOUNDS.upper
        if ATTACKS.get(name).budget_kind == "epsilon":
            assert (output.adversarial - inputs).abs().max() <= output.budget + 1e-6


# --- JSMA: a fraction budget ---------------------------------------------------------------------


def test_fraction_budgets_lie_in_zero_one():
    check_budgets("jsma", "art", [0.01, 0.5, 1.0], BOUNDS, "linf", "fraction")
    for bad in ([0.0, 0.5], [0.5, 1.5]):
        with pytest.raises(BudgetError, match=r"'jsma' \(backend 'art'\): .* must lie in \(0, 1\]"):
            check_budgets("jsma", "art", bad, BOUNDS, "linf", "fraction")


@pytest.mark.parametrize("targeted", [False, True])
def test_jsma_changes_at_most_gamma_of_the_elements(problem, results, targeted):
    """ART's JSMA stops once more than gamma has changed: at most one pair past gamma."""
    _, inputs, _, _ = problem
    for output in results["jsma/art", targeted].outputs:
        changed = (output.adversarial != inputs).flatten(1).float().sum(1)
        assert changed.max() <= output.budget * ELEMENTS + 2
        assert (output.adversarial - inputs).abs().max() > output.budget  # a fraction is not a radius


def test_jsma_spends_one_class_gradient_per_iteration(problem):
    """With one target class for all, an iteration is one class gradient of the examples still active
    (a forward and a backward of those) and one forward of the whole batch."""
    model, inputs, labels, _ = problem
    keep = labels != 0
    inputs, labels = inputs[keep], labels[keep]
    (output,) = ATTACKS.get("jsma/art")(targeted=True)(
        model, inputs, labels, budgets=[0.2], bounds=BOUNDS, targets=torch.zeros_like(labels)
    ).outputs
    iterations = output.gradient_batches
    # ART predicts the batch once before iterating
    assert output.forward_evals == len(inputs) * (iterations + 1) + output.gradient_evals
    assert len(inputs) <= output.gradient_evals <= len(inputs) * iterations
    assert output.success.all()


# --- L-BFGS --------------------------------------------------------------------------------------


def test_lbfgs_is_smaller_than_fgsm_where_both_succeed(problem, results):
    _, inputs, _, _ = problem
    lbfgs = results["lbfgs/native", False].outputs[-1]
    fgsm = attack(problem, "fgsm/native", [0.1]).outputs[0]
    both = lbfgs.success & fgsm.success
    assert both.sum() >= BATCH // 2
    lbfgs_size = (lbfgs.adversarial - inputs)[both].flatten(1).norm(dim=1)
    fgsm_size = (fgsm.adversarial - inputs)[both].flatten(1).norm(dim=1)
    assert (lbfgs_size < fgsm_size).all()


@pytest.mark.parametrize("targeted", [False, True])
def test_lbfgs_spends_whole_batch_closures_and_one_judging_forward_per_round(results, targeted):
    steps = CONFIGS["lbfgs/native"][1]["search_steps"]
    for output in results["lbfgs/native", targeted].outputs:
        # torch's L-BFGS stops once 1.25 * max_iter closure calls are spent, after a line search of <= 25
        assert steps <= output.gradient_batches <= steps * (int(1.25 * output.budget) + 25)
        assert output.gradient_evals == BATCH * output.gradient_batches
        assert output.forward_evals == output.gradient_evals + steps * BATCH


def test_lbfgs_leaves_parameter_gradients_alone(problem, results):
    model, _, _, _ = problem
    assert results["lbfgs/native", False].outputs
    assert all(p.grad is None for p in model.parameters())


# --- APGD, AutoAttack, Square ---------------------------------------------------------------------


@pytest.mark.parametrize("targeted", [False, True])
def test_apgd_spends_steps_gradients_per_example(results, targeted):
    steps = CONFIGS["apgd/art"][1]["steps"]
    for output in results["apgd/art", targeted].outputs:
        assert (output.gradient_evals, output.gradient_batches) == (steps * BATCH, steps)
        assert output.forward_evals >= steps * BATCH


def test_autoattack_runs_later_attacks_only_on_survivors(results):
    small, large = results["autoattack/art", False].outputs
    assert large.success.all()
    assert small.gradient_evals > large.gradient_evals  # survivors of APGD-CE meet APGD-DLR, DeepFool
    assert small.forward_evals > large.forward_evals  # ... and Square's queries


def test_square_spends_queries_only(results):
    max_iter = CONFIGS["square/art"][1]["max_iter"]
    for output in results["square/art", False].outputs:
        assert output.gradient_evals == output.gradient_batches == 0
        # per iteration: a prediction of the batch, and two losses on the examples still robust
        assert BATCH <= output.forward_evals <= 3 * BATCH * (max_iter + 1)


@pytest.mark.parametrize("name", ["apgd/art", "autoattack/art", "square/art"])
def test_zero_budget_returns_the_inputs_for_free(problem, name):
    _, inputs, _, _ = problem
    (output,) = attack(problem, name, [0.0]).outputs
    torch.testing.assert_close(output.adversarial, inputs, atol=0, rtol=0)
    assert output.gradient_evals == output.forward_evals == 0


# --- the contract --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "budgets", "message"),
    [
        ("jsma/art", [0.0], "must lie in"),
        ("lbfgs/native", [2.5], "whole numbers"),
        ("apgd/art", [1.5], "exceeds the input bounds"),
        ("square/art", [0.2, 0.1], "sorted ascending"),
    ],
)
def test_bad_budgets_raise_one_line(problem, name, budgets, message):
    with pytest.raises(BudgetError, match=message) as error:
        attack(problem, name, budgets)
    assert "\n" not in str(error.value)


def test_missing_art_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "art", None)  # makes ``import art`` fail
    with pytest.raises(BenchmarkError, match=r"'jsma' \(backend 'art'\).*pip install"):
        ATTACKS.get("jsma/art")()


@pytest.mark.parametrize("name", NAMES)
def test_registered_names_resolve(name):
    cls = ATTACKS.get(name)
    assert issubclass(cls, Attack) and name == f"{cls.name}/{cls.backend}"
    assert name in ATTACKS


@pytest.mark.parametrize("name", ["square/art", "autoattack/art"])
def test_square_runs_on_tall_narrow_spectrograms(name):
    """ART draws a sqrt(p h w)-sided square inside h x w: at the paper's p = 0.8 a 257 x 63 STFT
    has no room (ART fails with ``high <= 0``); the initial fraction is clamped to fit."""
    from benchmark.attacks.art_suite import SQUARE_P_INIT, square_p_init

    assert square_p_init((1, 64, 64)) == SQUARE_P_INIT
    assert square_p_init((1, 257, 63)) == pytest.approx(62**2 / (257 * 63))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(40 * 8, 3)).eval()
    inputs = torch.rand(4, 1, 40, 8, generator=torch.Generator().manual_seed(0))
    labels = model(inputs).argmax(1)
    params = {"max_iter": 5} if name == "square/art" else {"square_max_iter": 5}
    (output,) = ATTACKS.get(name)(**params)(model, inputs, labels, budgets=[0.05], bounds=BOUNDS).outputs
    assert output.adversarial.shape == inputs.shape


def test_autoattack_on_waveform_inputs_runs_without_square():
    """Square needs an image; on (N, 1, T) inputs AutoAttack's list runs without it (gradients only
    from APGD and DeepFool, so a robust example costs gradients, and Square's queries never come)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 4, 9, stride=4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 98, 3)).eval()
    inputs = torch.rand(4, 1, 400, generator=torch.Generator().manual_seed(0)) * 2 - 1
    labels = model(inputs).argmax(1)
    bounds = type(BOUNDS)(-1.0, 1.0)
    (output,) = ATTACKS.get("autoattack/art")(square_max_iter=5)(
        model, inputs, labels, budgets=[0.001], bounds=bounds
    ).outputs
    assert output.adversarial.shape == inputs.shape and output.gradient_evals > 0


@pytest.mark.parametrize(("name", "params"), [("apgd/art", {"steps": 5}), ("square/art", {"max_iter": 10})])
def test_the_runner_seeding_makes_art_random_attacks_reproducible(problem, name, params):
    """ART draws restarts and squares from NumPy's global generator: the runner seeds it (and torch's)
    at the start of every cell, so a cell gives the same numbers whatever ran before it."""
    from benchmark.runtime import seed_generators

    model, inputs, labels, _ = problem
    runs = []
    for seed in (0, 0, 1):
        seed_generators(seed)
        np.random.rand(7)  # what ran before must not matter once the cell seeds
        seed_generators(seed)
        runs.append(ATTACKS.get(name)(**params)(model, inputs, labels, budgets=[0.05], bounds=BOUNDS))
    first, again, other = (run.outputs[0] for run in runs)
    torch.testing.assert_close(again.adversarial, first.adversarial, atol=0, rtol=0)
    assert again.forward_evals == first.forward_evals
    assert not torch.equal(other.adversarial, first.adversarial)  # the seed is really used
