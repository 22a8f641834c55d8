"""A small fixed-seed trained model and task for attack tests: realistic gradients, seconds to train."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.attacks.base import AttackResult
from benchmark.budgets import Bounds
from benchmark.registry import ATTACKS

BOUNDS = Bounds(0.0, 1.0)


def task(n: int, generator: torch.Generator, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Class c brightens quadrant c of a noisy (1, size, size) image in [0, 1]."""
    labels = torch.arange(n) % 4
    inputs = 0.4 + 0.15 * torch.randn(n, 1, size, size, generator=generator)
    half = size // 2
    for c in range(4):
        row, col = divmod(c, 2)
        inputs[labels == c, :, half * row : half * (row + 1), half * col : half * (col + 1)] += 0.15
    return inputs.clamp(BOUNDS.lower, BOUNDS.upper), labels


def trained_problem(batch: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(4-class conv net trained 40 Adam steps, in eval mode; inputs; labels; targets = label + 1 mod 4)."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(32, 4),
    )
    train_inputs, train_labels = task(256, generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(40):
        optimizer.zero_grad()
        F.cross_entropy(model(train_inputs), train_labels).backward()
        optimizer.step()
    model.eval().zero_grad(set_to_none=True)
    inputs, labels = task(batch, generator)
    with torch.no_grad():
        assert (model(inputs).argmax(1) == labels).float().mean() > 0.9
    return model, inputs, labels, (labels + 1) % 4


def input_gradient(model: nn.Module, inputs: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Hand-computed gradient of the summed cross-entropy, to check the engines against."""
    inputs = inputs.clone().requires_grad_(True)
    F.cross_entropy(model(inputs), classes, reduction="sum").backward()
    assert inputs.grad is not None
    return inputs.grad


def cached_attacks(
    problem: tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor],
    budgets: Callable[[str], Sequence[float]],
) -> Callable[[str, str, bool], AttackResult]:
    """``get(attack, backend, targeted)``: the attack over ``budgets(attack)``, computed once."""
    model, inputs, labels, targets = problem
    cache: dict[tuple[str, str, bool], AttackResult] = {}

    def get(attack: str, backend: str, targeted: bool) -> AttackResult:
        key = (attack, backend, targeted)
        if key not in cache:
            instance = ATTACKS.get(f"{attack}/{backend}")(targeted=targeted)
            cache[key] = instance(
                model,
                inputs,
                labels,
                budgets=budgets(attack),
                bounds=BOUNDS,
                targets=targets if targeted else None,
            )
        return cache[key]

    return get


def cnn2d_problem(input_shape: tuple[int, ...], batch: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """(untrained compact ``cnn2d`` in eval mode, seeded inputs in [0, 1], its own predictions as
    labels): the speed benchmarks' model at a representation's input size."""
    from benchmark.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.get("cnn2d")(input_shape=input_shape, num_classes=10, config="compact").eval()
    inputs = torch.rand(batch, *input_shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        labels = model(inputs).argmax(1)
    return model, inputs, labels


def fastest_paired(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Fastest wall time of each run over ``rounds`` paired, interleaved rounds: load from other
    processes hits every run alike, where sequential benchmark rounds drift by more than the ratios
    being tested (seen: 0.85x to 1.3x)."""
    import math
    import time

    fastest = dict.fromkeys(runs, math.inf)
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            fastest[name] = min(fastest[name], time.perf_counter() - start)
    return fastest
