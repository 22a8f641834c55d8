"""FGSM-L2, PGD (Linf, L2), DeepFool (L2, Linf) and CW-L2: the native engine against hand computation,
the backends against each other (statistically where random starts or optimizers differ), and the
counted cost against what each algorithm must spend.

Measured on the fixture (64 examples, 4 classes), untargeted / targeted successes per budget:
FGSM-L2 (0.5, 1.0, 1.5): 13/63/64 and 5/61/64 in every backend, identical adversarials.
PGD Linf (0.02, 0.05, 0.08): 0/22/62 and 0/9/54 in every backend; PGD L2 (0.3, 0.6, 1.0): 0/26/64
and 0/11/63-64 (Foolbox 27 untargeted at 0.6). DeepFool L2 (1, 3 iterations): 62/64 in ART and
Foolbox. CW-L2 with ``initial_const=0.1``, 25 iterations: ART 56 / 49, Foolbox 53 / 42.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
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
from benchmark.errors import BenchmarkError, BudgetError
from benchmark.registry import ATTACKS

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: one thread in every pool

BACKENDS = ("native", "art", "foolbox")
BATCH = 64
CLASSES = 4
STEPS = 10
BUDGETS = {"fgsm_l2": (0.5, 1.0, 1.5), "pgd": (0.02, 0.05, 0.08), "pgd_l2": (0.3, 0.6, 1.0)}
# Random starts come from each library's own draw: success counts agree statistically (measured
# differences 0 or 1 of 64).
MAX_PGD_DIFFERENCE = 4
# DeepFool ART vs Foolbox: measured 0 of 64 apart at 1 and 3 iterations.
MAX_DEEPFOOL_DIFFERENCE = 4
# CW: ART (gradient descent with line search) and Foolbox (Adam) are different optimizers;
# measured 3 (untargeted) and 7 (targeted) of 64 apart.
MAX_CW_DIFFERENCE = 8
# ART's PGD predicts the adversarial batch (untargeted: also the clean one) to log a success rate.
ART_LOGGING_FORWARDS = {False: 2 * BATCH, True: BATCH}


@pytest.fixture(scope="module")
def problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]:
    return trained_problem(BATCH)


@pytest.fixture(scope="module")
def attacked(problem) -> Callable[[str, str, bool], AttackResult]:
    """``attacked(attack, backend, targeted)``: an epsilon attack over its ``BUDGETS``, computed once."""
    return cached_attacks(problem, BUDGETS.__getitem__)


def _successes(result: AttackResult) -> list[int]:
    return [int(output.success.sum()) for output in result.outputs]


# --- FGSM-L2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("targeted", [False, True])
def test_native_fgsm_l2_is_x_plus_eps_normalized_grad(problem, attacked, targeted):
    model, inputs, labels, targets = problem
    grad = input_gradient(model, inputs, targets if targeted else labels)
    direction = grad / grad.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    for output in attacked("fgsm_l2", "native", targeted).outputs:
        step = -output.budget * direction if targeted else output.budget * direction
        torch.testing.assert_close(output.adversarial, (inputs + step).clamp(0, 1), atol=1e-6, rtol=0)


@pytest.mark.parametrize("backend", ["art", "foolbox"])
@pytest.mark.parametrize("targeted", [False, True])
def test_fgsm_l2_backends_agree_with_native(attacked, backend, targeted):
    for mine, theirs in zip(
        attacked("fgsm_l2", "native", targeted).outputs,
        attacked("fgsm_l2", backend, targeted).outputs,
        strict=True,
    ):
        close = torch.isclose(mine.adversarial, theirs.adversarial, atol=1e-5, rtol=0).flatten(1).all(1)
        assert (~close).sum() <= 1 and (mine.success != theirs.success).sum() <= 1, f"budget {mine.budget}"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("targeted", [False, True])
def test_fgsm_l2_spends_one_gradient_per_example(attacked, backend, targeted):
    for output in attacked("fgsm_l2", backend, targeted).outputs:
        assert (output.gradient_evals, output.gradient_batches, output.forward_evals) == (BATCH, 1, BATCH)


# --- PGD ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("attack", ["pgd", "pgd_l2"])
@pytest.mark.parametrize("backend", ["art", "foolbox"])
@pytest.mark.parametrize("targeted", [False, True])
def test_pgd_success_rates_agree_with_native(attacked, attack, backend, targeted):
    mine, theirs = (
        _successes(attacked(attack, "native", targeted)),
        _successes(attacked(attack, backend, targeted)),
    )
    assert all(abs(a - b) <= MAX_PGD_DIFFERENCE for a, b in zip(mine, theirs, strict=True)), (mine, theirs)
    assert mine[0] < BATCH // 4 and mine[-1] > BATCH // 2, mine  # the budgets are informative


@pytest.mark.parametrize("attack", ["pgd", "pgd_l2"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("targeted", [False, True])
def test_pgd_spends_steps_gradients_and_nothing_on_the_random_start(attacked, attack, backend, targeted):
    logging_forwards = ART_LOGGING_FORWARDS[targeted] if backend == "art" else 0
    for output in attacked(attack, backend, targeted).outputs:
        assert (output.gradient_evals, output.gradient_batches) == (STEPS * BATCH, STEPS)
        assert output.forward_evals == STEPS * BATCH + logging_forwards


@pytest.mark.parametrize("attack", ["fgsm_l2", "pgd", "pgd_l2"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_adversarials_stay_in_bounds_and_budget(problem, attacked, attack, backend):
    _, inputs, _, _ = problem
    for output in attacked(attack, backend, False).outputs:
        delta = (output.adversarial - inputs).flatten(1)
        distance = delta.abs().max(1).values if attack == "pgd" else delta.norm(dim=1)
        assert output.adversarial.min() >= 0 and output.adversarial.max() <= 1
        assert distance.max() <= output.budget + 1e-5


@pytest.mark.parametrize("attack", ["pgd", "pgd_l2"])
def test_native_pgd_random_start_is_seeded_and_leaves_global_generators_alone(problem, attack):
    model, inputs, labels, _ = problem
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()

    def run(seed: int) -> torch.Tensor:
        pgd = ATTACKS.get(f"{attack}/native")(steps=1, rel_stepsize=0.0, seed=seed)
        assert pgd.hyperparameters()["seed"] == seed
        (output,) = pgd(model, inputs, labels, budgets=[BUDGETS[attack][1]], bounds=BOUNDS).outputs
        return output.adversarial

    first, again, other = run(0), run(0), run(1)
    torch.testing.assert_close(first, again, atol=0, rtol=0)
    assert not torch.equal(first, other) and not torch.equal(first, inputs)  # a zero step leaves the start
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state(), numpy_state, strict=True))


def test_native_l2_random_start_fills_the_ball():
    """Uniform in volume: in d dimensions the radius is eps * u^(1/d), so its mean is eps * d / (d + 1)."""
    pgd = ATTACKS.get("pgd_l2/native")()
    torch.manual_seed(0)
    inputs = torch.full((2000, 3), 0.5)
    radius = (pgd.random_start(inputs, 0.3, BOUNDS) - inputs).norm(dim=1)
    assert radius.max() <= 0.3 + 1e-6 and abs(float(radius.mean()) - 0.3 * 3 / 4) < 0.01


@pytest.mark.parametrize("attack", ["pgd", "pgd_l2"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_budget_returns_the_inputs(problem, attack, backend):
    model, inputs, labels, _ = problem
    (output,) = ATTACKS.get(f"{attack}/{backend}")(steps=2)(
        model, inputs, labels, budgets=[0.0], bounds=BOUNDS
    ).outputs
    torch.testing.assert_close(output.adversarial, inputs, atol=0, rtol=0)
    assert output.gradient_evals == 2 * BATCH


# --- DeepFool ----------------------------------------------------------------------------------


class _ExponentialBoundary(nn.Module):
    """Two classes; the logit difference ``exp(4 (mean(x) - 0.5)) - 1`` is convex in the mean, so one
    linearized DeepFool step from ``mean(x) < 0.5`` always crosses the boundary: the count is known."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        difference = torch.exp(4 * (inputs.flatten(1).mean(1) - 0.5)) - 1
        return torch.stack([torch.zeros_like(difference), difference], dim=1)


@pytest.fixture(scope="module")
def deepfool(problem) -> Callable[[str, str], AttackResult]:
    model, inputs, labels, _ = problem
    cache: dict[tuple[str, str], AttackResult] = {}

    def get(attack: str, backend: str) -> AttackResult:
        if (attack, backend) not in cache:
            instance = ATTACKS.get(f"{attack}/{backend}")()
            cache[attack, backend] = instance(model, inputs, labels, budgets=[1, 3], bounds=BOUNDS)
        return cache[attack, backend]

    return get


def test_deepfool_success_rates_agree(deepfool):
    art, foolbox = _successes(deepfool("deepfool", "art")), _successes(deepfool("deepfool", "foolbox"))
    assert all(abs(a - b) <= MAX_DEEPFOOL_DIFFERENCE for a, b in zip(art, foolbox, strict=True)), (
        art,
        foolbox,
    )
    assert art[-1] > BATCH // 2 and _successes(deepfool("deepfool_linf", "foolbox"))[-1] > BATCH // 2


@pytest.mark.parametrize(
    ("attack", "backend", "per_iteration"),
    [
        # ART: the gradient of every class (candidates >= classes), before and after the iteration
        ("deepfool", "art", 2 * CLASSES),
        # Foolbox: one gradient per logit difference to the top candidates - 1 other classes
        ("deepfool", "foolbox", CLASSES - 1),
        ("deepfool_linf", "foolbox", CLASSES - 1),
    ],
)
def test_deepfool_first_iteration_spends_what_the_algorithm_needs(deepfool, attack, backend, per_iteration):
    first = deepfool(attack, backend).outputs[0]
    assert (first.gradient_evals, first.gradient_batches) == (per_iteration * BATCH, per_iteration)


@pytest.mark.parametrize("backend", ["art", "foolbox"])
def test_deepfool_stops_when_every_example_is_fooled(backend):
    generator = torch.Generator().manual_seed(0)
    inputs = (
        (0.4 + 0.08 * torch.rand(BATCH, 1, 1, 1, generator=generator)).expand(BATCH, 1, 4, 4).contiguous()
    )
    labels = torch.zeros(BATCH, dtype=torch.long)
    result = ATTACKS.get(f"deepfool/{backend}")()(
        _ExponentialBoundary().eval(), inputs, labels, budgets=[1, 5], bounds=BOUNDS
    )
    one, five = result.outputs
    assert one.success.all() and five.success.all()
    if (
        backend == "art"
    ):  # all (two) class gradients before and after the one iteration; 5 budgeted iterations stop there
        assert one.gradient_evals == five.gradient_evals == 2 * 2 * BATCH
        assert one.forward_evals == five.forward_evals == 4 * BATCH  # 2 predictions, 2 gradient forwards
    else:  # one logit difference per iteration; the second finds all fooled and stops
        assert (one.gradient_evals, five.gradient_evals) == (BATCH, 2 * BATCH)
        assert (one.forward_evals, five.forward_evals) == (2 * BATCH, 3 * BATCH)  # + the initial logits


@pytest.mark.parametrize("backend", ["art", "foolbox"])
def test_deepfool_is_untargeted(backend):
    with pytest.raises(BenchmarkError, match=rf"'deepfool' \(backend '{backend}'\) is untargeted"):
        ATTACKS.get(f"deepfool/{backend}")(targeted=True)


# --- Carlini-Wagner L2 ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def carlini(problem) -> Callable[[str, bool], AttackResult]:
    """CW over 25 iterations with ``initial_const = 0.1``: strong enough to fool most examples."""
    model, inputs, labels, targets = problem
    cache: dict[tuple[str, bool], AttackResult] = {}

    def get(backend: str, targeted: bool) -> AttackResult:
        if (backend, targeted) not in cache:
            instance = ATTACKS.get(f"cw_l2/{backend}")(initial_const=0.1, targeted=targeted)
            cache[backend, targeted] = instance(
                model, inputs, labels, budgets=[25], bounds=BOUNDS, targets=targets if targeted else None
            )
        return cache[backend, targeted]

    return get


@pytest.mark.parametrize("targeted", [False, True])
def test_cw_success_rates_agree(carlini, targeted):
    art, foolbox = _successes(carlini("art", targeted)), _successes(carlini("foolbox", targeted))
    assert abs(art[0] - foolbox[0]) <= MAX_CW_DIFFERENCE and art[0] > BATCH // 2, (art, foolbox)


@pytest.mark.parametrize("targeted", [False, True])
def test_cw_spends_what_each_optimizer_needs(carlini, targeted):
    # ART: per iteration, two class_gradient calls, each backpropagating every class; no early stop.
    (art,) = carlini("art", targeted).outputs
    assert (art.gradient_evals, art.gradient_batches) == (2 * CLASSES * 25 * BATCH, 2 * CLASSES * 25)
    # Foolbox: one Adam step = one forward + one gradient per example, at most 25 (it aborts early).
    (foolbox,) = carlini("foolbox", targeted).outputs
    assert foolbox.gradient_evals == foolbox.forward_evals <= 25 * BATCH
    assert foolbox.gradient_evals % BATCH == 0


def test_foolbox_cw_failure_returns_the_input_not_zeros(problem):
    """With the default ``initial_const = 1e-3`` one search step fools nobody; Foolbox answers zeros."""
    model, inputs, labels, _ = problem
    attack = ATTACKS.get("cw_l2/foolbox")()
    assert attack.hyperparameters()["binary_search_steps"] == 1
    (output,) = attack(model, inputs, labels, budgets=[25], bounds=BOUNDS).outputs
    torch.testing.assert_close(output.adversarial, inputs, atol=0, rtol=0)
    assert not output.success.any()


# --- budgets and registry ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["deepfool/art", "deepfool_linf/foolbox", "cw_l2/foolbox"])
@pytest.mark.parametrize("budgets", [[0.5], [1.5, 2], [0], [math.inf]], ids=str)
def test_iteration_budgets_must_be_whole_numbers(problem, name, budgets):
    model, inputs, labels, _ = problem
    with pytest.raises(BudgetError, match=rf"\(backend '{name.split('/')[1]}'\)"):
        ATTACKS.get(name)()(model, inputs, labels, budgets=budgets, bounds=BOUNDS)


@pytest.mark.parametrize(
    ("name", "budgets"),
    [("pgd/native", [1.5]), ("pgd/art", [0.1, 0.05]), ("pgd_l2/foolbox", [-0.1]), ("fgsm_l2/native", [])],
    ids=str,
)
def test_epsilon_budgets_are_checked(problem, name, budgets):
    model, inputs, labels, _ = problem
    with pytest.raises(BudgetError, match=rf"'{name.split('/')[0]}' \(backend '{name.split('/')[1]}'\)"):
        ATTACKS.get(name)()(model, inputs, labels, budgets=budgets, bounds=BOUNDS)


MINE = [
    *(f"{attack}/{backend}" for attack in ("fgsm_l2", "pgd", "pgd_l2") for backend in BACKENDS),
    "deepfool/art",
    "deepfool/foolbox",
    "deepfool_linf/foolbox",
    "cw_l2/art",
    "cw_l2/foolbox",
]


@pytest.mark.parametrize("name", MINE)
def test_every_registered_name_resolves(name):
    attack = ATTACKS.get(name)
    assert issubclass(attack, Attack) and name == f"{attack.name}/{attack.backend}"
    assert attack.budget_kind == ("iterations" if name.startswith(("deepfool", "cw")) else "epsilon")
    assert attack.__doc__ and attack.norm == (
        "linf" if name.split("/")[0] in ("pgd", "deepfool_linf") else "l2"
    )


@pytest.mark.parametrize("name", ["fgsm", "fgsm_l2", "bim_a", "bim_b", "pgd", "pgd_l2"])
def test_per_example_radii_scale_each_example_and_match_a_shared_radius(problem, name):
    """``scale`` gives example i the radius ``budget * scale[i]`` (how SNR targets reach the attack):
    with every scale 1 the result equals the shared radius; with scales 0.5 / 2 each example's
    perturbation norm stays within its own radius and is what a call at that radius gives."""
    model, inputs, labels, _ = problem
    attack = ATTACKS.get(f"{name}/native")()
    budget = BUDGETS[name][1] if name in BUDGETS else 0.05
    shared = attack(model, inputs, labels, budgets=[budget], bounds=BOUNDS).outputs[0]
    ones = attack(model, inputs, labels, budgets=[budget], bounds=BOUNDS, scale=torch.ones(BATCH)).outputs[0]
    torch.testing.assert_close(ones.adversarial, shared.adversarial, atol=1e-6, rtol=0)
    scale = torch.where(torch.arange(BATCH) % 2 == 0, 0.5, 2.0)
    mixed = attack(model, inputs, labels, budgets=[budget], bounds=BOUNDS, scale=scale).outputs[0]
    norms = (mixed.adversarial - inputs).flatten(1).norm(p=math.inf if attack.norm == "linf" else 2, dim=1)
    assert (norms <= budget * scale + 1e-5).all()
    if name in ("fgsm", "fgsm_l2", "bim_b"):  # deterministic per example: equal to the per-radius calls
        for factor in (0.5, 2.0):
            alone = attack(model, inputs, labels, budgets=[budget * factor], bounds=BOUNDS).outputs[0]
            rows = scale == factor
            torch.testing.assert_close(mixed.adversarial[rows], alone.adversarial[rows], atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", ["fgsm/art", "bim_b/foolbox", "deepfool/foolbox"])
def test_per_example_radii_are_refused_where_a_backend_takes_one_epsilon(problem, name):
    model, inputs, labels, _ = problem
    budget = 2 if name.startswith("deepfool") else 0.05
    with pytest.raises(BudgetError, match="takes no per-example budgets"):
        ATTACKS.get(name)()(model, inputs, labels, budgets=[budget], bounds=BOUNDS, scale=torch.ones(BATCH))


def test_snr_radius_scale_guarantees_the_target_snr():
    """Koerich eq. 3-4 with P = RMS: a perturbation at the scaled radius never beats the target."""
    from benchmark.budgets import snr_radius_scale
    from benchmark.metrics import snr_db

    generator = torch.Generator().manual_seed(0)
    audio = 0.3 * torch.randn(8, 4000, generator=generator)
    for norm in ("linf", "l2"):
        radius = 10 ** (-30 / 20) * snr_radius_scale(audio, norm)
        worst = torch.sign(torch.randn(8, 4000, generator=generator))  # Linf extreme: every sample at +-1
        if norm == "l2":
            worst = torch.randn(8, 4000, generator=generator)
            worst = worst / worst.norm(dim=1, keepdim=True)
        snr = snr_db(audio, worst * radius[:, None])
        torch.testing.assert_close(snr, torch.full((8,), 30.0, dtype=snr.dtype), atol=1e-3, rtol=0)
