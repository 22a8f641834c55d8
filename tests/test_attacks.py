"""FGSM / BIM-a / BIM-b: the native engine against hand computation, the three backends against
each other, and the counted cost against what each algorithm must spend.

Everything runs on one small conv net, trained for a few seconds on a fixed-seed synthetic
4-class task so that gradients are realistic and budgets separate fooled from robust examples.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
import torch
from attack_models import (
    BOUNDS,
    cached_attacks,
    input_gradient,
    trained_problem,
)
from torch import nn

from benchmark.attacks.base import Attack, AttackResult
from benchmark.budgets import Bounds, project
from benchmark.errors import BenchmarkError, BudgetError, UnknownNameError
from benchmark.registry import ATTACKS

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: one thread in every pool

BACKENDS = ("native", "art", "foolbox")
BATCH = 64
STEPS = 10
# Untargeted FGSM fools 0 / 18 / 61 of 64 at these budgets, BIM-b 0 / 21 / 62: none, some, most.
BUDGETS = (0.02, 0.05, 0.08)
# Sign of a gradient element that is float noise around 0 may differ between backends (ART
# differentiates the mean loss, Foolbox and native the sum); one flipped element can move one
# example across the decision boundary. Measured here: bit-identical adversarials, 0 differ.
MAX_DIFFERENT_EXAMPLES = 1
MAX_SUCCESS_DIFFERENCE = 2  # of 64, BIM-a / BIM-b success counts (measured: 0)


@pytest.fixture(scope="module")
def problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(trained model in eval mode, inputs (64, 1, 16, 16), labels, targets = label + 1 mod 4)."""
    return trained_problem(BATCH)


@pytest.fixture(scope="module")
def attacked(problem) -> Callable[[str, str, bool], AttackResult]:
    """``attacked(attack, backend, targeted)``: the attack over ``BUDGETS``, computed once."""
    return cached_attacks(problem, lambda attack: BUDGETS)


# --- the native engine against hand computation ----------------------------------------------


@pytest.mark.parametrize("targeted", [False, True])
def test_native_fgsm_is_x_plus_eps_sign_grad(problem, attacked, targeted):
    model, inputs, labels, targets = problem
    sign = -1.0 if targeted else 1.0
    grad = input_gradient(model, inputs, targets if targeted else labels)
    for output in attacked("fgsm", "native", targeted).outputs:
        expected = (inputs + sign * output.budget * grad.sign()).clamp(BOUNDS.lower, BOUNDS.upper)
        torch.testing.assert_close(output.adversarial, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("rel_stepsize", [0.2, 1.5])  # 1.5: the step leaves the ball, projection bites
def test_native_bim_one_step_is_the_projected_step(problem, rel_stepsize):
    model, inputs, labels, _ = problem
    budget = 0.05
    stepped = (inputs + rel_stepsize * budget * input_gradient(model, inputs, labels).sign()).clamp(0, 1)
    expected = (inputs + (stepped - inputs).clamp(-budget, budget)).clamp(0, 1)
    for name in ("bim_a", "bim_b"):
        attack = ATTACKS.get(f"{name}/native")(steps=1, rel_stepsize=rel_stepsize)
        (output,) = attack(model, inputs, labels, budgets=[budget], bounds=BOUNDS).outputs
        torch.testing.assert_close(output.adversarial, expected, atol=1e-6, rtol=0)


# --- the three backends agree ------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["art", "foolbox"])
@pytest.mark.parametrize("targeted", [False, True])
def test_fgsm_backends_agree_with_native(attacked, backend, targeted):
    native = attacked("fgsm", "native", targeted)
    other = attacked("fgsm", backend, targeted)
    for mine, theirs in zip(native.outputs, other.outputs, strict=True):
        close = torch.isclose(mine.adversarial, theirs.adversarial, atol=1e-5, rtol=0).flatten(1).all(1)
        assert (~close).sum() <= MAX_DIFFERENT_EXAMPLES, f"budget {mine.budget}"
        assert (mine.success != theirs.success).sum() <= MAX_DIFFERENT_EXAMPLES, f"budget {mine.budget}"


@pytest.mark.parametrize("attack", ["bim_a", "bim_b"])
@pytest.mark.parametrize("backend", ["art", "foolbox"])
@pytest.mark.parametrize("targeted", [False, True])
def test_bim_success_rates_agree_with_native(attacked, attack, backend, targeted):
    native = attacked(attack, "native", targeted)
    other = attacked(attack, backend, targeted)
    for mine, theirs in zip(native.outputs, other.outputs, strict=True):
        difference = abs(int(mine.success.sum()) - int(theirs.success.sum()))
        assert difference <= MAX_SUCCESS_DIFFERENCE, f"budget {mine.budget}"


def test_budgets_separate_robust_from_fooled(attacked):
    """The fixture is informative: the smallest budget fools few, the largest fools most."""
    counts = [int(o.success.sum()) for o in attacked("bim_b", "native", False).outputs]
    assert counts[0] < BATCH // 4 and counts[-1] > BATCH // 2, counts


# --- counted cost ------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("targeted", [False, True])
def test_fgsm_spends_one_gradient_per_example(attacked, backend, targeted):
    for output in attacked("fgsm", backend, targeted).outputs:
        assert (output.gradient_evals, output.gradient_batches, output.forward_evals) == (BATCH, 1, BATCH)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("targeted", [False, True])
def test_bim_b_spends_steps_gradients_per_example(attacked, backend, targeted):
    # ART's BIM predicts the adversarial batch (untargeted: also the clean one) to log a success rate.
    logging_forwards = {"art": BATCH if targeted else 2 * BATCH}.get(backend, 0)
    for output in attacked("bim_b", backend, targeted).outputs:
        assert output.gradient_evals == STEPS * BATCH
        assert output.gradient_batches == STEPS
        assert output.forward_evals == STEPS * BATCH + logging_forwards


def _first_success_steps(model, inputs, labels, targets, budget: float, targeted: bool) -> torch.Tensor:
    """Per example, the BIM iteration (1..STEPS) at which it is first fooled, else STEPS."""
    adversarial, spent = inputs.clone(), torch.full((len(inputs),), STEPS)
    for step in range(1, STEPS + 1):
        classes = targets if targeted else labels
        grad = input_gradient(model, adversarial, classes).sign() * (-1 if targeted else 1)
        adversarial = project(adversarial + 0.2 * budget * grad, inputs, budget, "linf", BOUNDS)
        with torch.no_grad():
            predictions = model(adversarial).argmax(1)
        fooled = predictions == targets if targeted else predictions != labels
        spent = torch.where(fooled & (spent == STEPS), torch.full_like(spent, step), spent)
    return spent


@pytest.mark.parametrize("targeted", [False, True])
def test_bim_a_stops_each_example_at_its_first_success(problem, attacked, targeted):
    model, inputs, labels, targets = problem
    for output in attacked("bim_a", "native", targeted).outputs:
        spent = _first_success_steps(model, inputs, labels, targets, output.budget, targeted)
        assert output.gradient_evals == int(spent.sum())  # each example spends k <= STEPS
        assert output.gradient_batches == int(spent.max())
        assert output.forward_evals == 2 * output.gradient_evals  # one gradient + one judging forward
    largest = attacked("bim_a", "native", targeted).outputs[-1]
    assert largest.success.any() and largest.gradient_evals < STEPS * BATCH


@pytest.mark.parametrize("backend", ["art", "foolbox"])
@pytest.mark.parametrize("targeted", [False, True])
def test_bim_a_library_backends_spend_like_native(attacked, backend, targeted):
    for mine, theirs in zip(
        attacked("bim_a", "native", targeted).outputs,
        attacked("bim_a", backend, targeted).outputs,
        strict=True,
    ):
        assert theirs.gradient_evals <= STEPS * BATCH
        assert abs(theirs.gradient_evals - mine.gradient_evals) <= MAX_SUCCESS_DIFFERENCE * STEPS
    largest = attacked("bim_a", backend, targeted).outputs[-1]
    assert largest.success.any() and largest.gradient_evals < STEPS * BATCH


# --- the contract: budgets, bounds, side effects ------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("budgets", [[], [0.05, 0.02], [-0.01, 0.05], [0.5, 1.5], [float("nan")]], ids=str)
def test_bad_budget_schedules_raise_naming_attack_and_backend(problem, backend, budgets):
    model, inputs, labels, _ = problem
    with pytest.raises(BudgetError, match=rf"'bim_b' \(backend '{backend}'\)"):
        ATTACKS.get(f"bim_b/{backend}")()(model, inputs, labels, budgets=budgets, bounds=BOUNDS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_targeted_without_targets_raises(problem, backend):
    model, inputs, labels, _ = problem
    with pytest.raises(BudgetError, match="targeted: pass targets"):
        ATTACKS.get(f"fgsm/{backend}")(targeted=True)(model, inputs, labels, budgets=[0.05], bounds=BOUNDS)


@pytest.mark.parametrize("attack", ["fgsm", "bim_a", "bim_b"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("targeted", [False, True])
def test_adversarials_stay_in_bounds_and_budget(problem, attacked, attack, backend, targeted):
    _, inputs, _, _ = problem
    for output in attacked(attack, backend, targeted).outputs:
        assert output.adversarial.min() >= BOUNDS.lower and output.adversarial.max() <= BOUNDS.upper
        assert (output.adversarial - inputs).abs().max() <= output.budget + 1e-6


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_budget_returns_the_inputs(problem, backend):
    model, inputs, labels, _ = problem
    (output,) = ATTACKS.get(f"bim_b/{backend}")(steps=2)(
        model, inputs, labels, budgets=[0.0], bounds=BOUNDS
    ).outputs
    torch.testing.assert_close(output.adversarial, inputs, atol=0, rtol=0)
    assert output.gradient_evals == 2 * BATCH


@pytest.mark.parametrize("backend", ["art", "foolbox"])
def test_libraries_leave_the_model_as_they_found_it(problem, backend):
    """Mode, ``requires_grad`` and ``.grad`` survive: ART switches modes, both call ``backward()``."""
    model, inputs, labels, _ = problem
    model.train()
    try:
        ATTACKS.get(f"bim_b/{backend}")(steps=2)(model, inputs, labels, budgets=[0.05], bounds=BOUNDS)
        assert all(m.training for m in model.modules())
    finally:
        model.eval()
    assert all(p.requires_grad and p.grad is None for p in model.parameters())


@pytest.mark.parametrize(("backend", "package"), [("art", "art"), ("foolbox", "foolbox")])
def test_missing_library_names_the_fix(monkeypatch, backend, package):
    monkeypatch.setitem(sys.modules, package, None)  # makes ``import package`` fail
    with pytest.raises(BenchmarkError, match=rf"'fgsm' \(backend '{backend}'\).*pip install"):
        ATTACKS.get(f"fgsm/{backend}")()


# --- registry ----------------------------------------------------------------------------------


def test_every_registered_attack_resolves():
    for name in ATTACKS:
        attack = ATTACKS.get(name)
        assert issubclass(attack, Attack) and name == f"{attack.name}/{attack.backend}"


def test_unknown_attack_suggests_close_names():
    with pytest.raises(UnknownNameError, match="did you mean 'bim_b/native'"):
        ATTACKS.get("bim_b/nativ")


def test_iteration_budgets_are_whole_counts_and_skip_the_epsilon_ball():
    from benchmark.budgets import check_budgets
    from benchmark.errors import BudgetError

    bounds = Bounds(0.0, 1.0)
    check_budgets("deepfool", "art", [100, 200, 1000], bounds, "l2", "iterations")  # > bounds width is fine
    with pytest.raises(BudgetError, match="whole numbers >= 1"):
        check_budgets("deepfool", "art", [0.5, 2], bounds, "l2", "iterations")
    with pytest.raises(BudgetError, match="exceeds the input bounds' width"):
        check_budgets("fgsm", "native", [2.0], bounds, "linf")
