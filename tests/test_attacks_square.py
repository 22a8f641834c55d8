"""The native Square attack (Andriushchenko et al. 2020): on a linear model, whose optimum over the
Linf ball and the bounds is known per element, it must reach that optimum within its query budget
without leaving the ball or the bounds; it spends queries, never gradients; and on a small trained
image model it agrees with ART's SquareAttack on success rates."""

from __future__ import annotations

import pytest
import torch
from attack_models import BOUNDS, trained_problem
from torch import nn

from benchmark.attacks.projected import seeded
from benchmark.attacks.square import margin, p_selection
from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.registry import ATTACKS

EPS = 0.1


class Linear(nn.Module):
    """Two classes; the margin of class 0 is ``v . x + offset``, so each element's best move is
    known: to whichever end of its feasible interval lowers ``v_i x_i``."""

    def __init__(self, weights: torch.Tensor, offset: float) -> None:
        super().__init__()
        self.weights, self.offset = weights, offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = (x * self.weights).flatten(1).sum(1) + self.offset
        return torch.stack([score, torch.zeros_like(score)], dim=1)


def _linear_case(shape: tuple[int, ...], offset: float) -> tuple[Linear, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    weights = torch.randn(shape[1:], generator=generator)
    # inputs near both bounds, so clipping decides some elements' optimum
    inputs = torch.rand(shape, generator=generator) * 2 - 1
    inputs[..., :2] = 0.97
    return Linear(weights, offset), inputs, torch.zeros(shape[0], dtype=torch.long)


def _optimum(model: Linear, inputs: torch.Tensor, bounds: Bounds) -> torch.Tensor:
    low = (inputs - EPS).clamp(min=bounds.lower)
    high = (inputs + EPS).clamp(max=bounds.upper)
    return torch.where(model.weights > 0, low, high)


@pytest.mark.parametrize(
    "shape", [(3, 24), (3, 1, 24), (3, 1, 4, 6)], ids=["waveform", "channel-waveform", "representation"]
)
def test_square_reaches_the_linear_optimum_inside_the_ball(shape):
    bounds = Bounds(-1.0, 1.0)
    model, inputs, labels = _linear_case(shape, offset=100.0)  # never fooled: every query is spent
    (output,) = ATTACKS.get("square/native")(queries=400)(
        model, inputs, labels, budgets=[EPS], bounds=bounds
    ).outputs
    best = _optimum(model, inputs, bounds)
    with torch.no_grad():
        assert margin(model(output.adversarial), labels) == pytest.approx(
            margin(model(best), labels), abs=1e-4
        )
    assert torch.equal(output.adversarial, best)
    assert (output.adversarial - inputs).abs().max() <= EPS + 1e-6
    assert output.adversarial.min() >= bounds.lower and output.adversarial.max() <= bounds.upper
    assert output.gradient_evals == 0
    assert output.forward_evals == 400 * shape[0]  # the stripes' start and 399 windows, each example


def test_square_stops_each_example_at_success():
    bounds = Bounds(-1.0, 1.0)
    model, inputs, labels = _linear_case((3, 1, 24), offset=-0.2)
    with torch.no_grad():
        assert (margin(model(_optimum(model, inputs, bounds)), labels) < 0).all()  # reachable
    attack = ATTACKS.get("square/native")(queries=400)
    (output,) = attack(model, inputs, labels, budgets=[EPS], bounds=bounds).outputs
    assert output.success.all()
    assert output.forward_evals < 400 * 3  # finished examples spend no more queries


def test_square_is_seeded():
    model, inputs, labels, _ = trained_problem(16)
    runs = [
        ATTACKS.get("square/native")(queries=30, seed=seed)(
            model, inputs, labels, budgets=[0.05], bounds=BOUNDS
        )
        for seed in (0, 0, 1)
    ]
    same, other = (torch.equal(runs[0].outputs[0].adversarial, r.outputs[0].adversarial) for r in runs[1:])
    assert same and not other


def test_p_schedule_halves_on_the_authors_iterations():
    assert [p_selection(0.8, i, 10000) for i in (0, 10, 11, 50, 51, 8001, 9999)] == [
        0.8,
        0.8,
        0.4,
        0.4,
        0.2,
        0.8 / 512,
        0.8 / 512,
    ]
    assert p_selection(0.8, 50, 100) == 0.8 / 128  # rescaled: iteration 50 of 100 is 5000 of 10 000


@pytest.mark.parametrize(
    ("params", "message"), [({"queries": 0}, "queries must be >= 1"), ({"p_init": 0}, "p_init")]
)
def test_square_refuses_bad_params(params, message):
    with pytest.raises(BenchmarkError, match=message):
        from benchmark.attacks.base import build_attack

        build_attack("square", "native", params, targeted=False)


def test_native_square_agrees_with_art_on_a_small_image_model():
    """Same model, inputs and radii: success rates within 0.2 of each other. The native attack runs
    200 queries per example; ART's 100 iterations spend up to three forwards each."""
    model, inputs, labels, _ = trained_problem(64)
    for eps in (0.1, 0.2):
        native = ATTACKS.get("square/native")(queries=200)(
            model, inputs, labels, budgets=[eps], bounds=BOUNDS
        )
        with seeded(0, inputs.device):
            art = ATTACKS.get("square/art")(max_iter=100)(model, inputs, labels, budgets=[eps], bounds=BOUNDS)
        rates = [float(run.outputs[0].success.float().mean()) for run in (native, art)]
        assert abs(rates[0] - rates[1]) <= 0.2, (eps, rates)
        assert min(rates) >= 0.75, (eps, rates)
