"""FGSM and BIM, written once for every backend (Goodfellow et al. 2015; Kurakin et al. 2017).

A backend supplies one primitive, :meth:`GradientStepAttack.step` (one signed-gradient step of
a given size, computed by that backend). FGSM is one step of size ``budget``. BIM iterates
the step with ``step_size = rel_stepsize * budget`` and projects back onto the budget ball
after every step; BIM-a stops each example at its first success (a forward pass judges it,
counted), BIM-b runs all ``steps`` (Esmaeilpour et al. 2021, sec. 2.4). A backend that ships
its own BIM (ART, Foolbox) overrides :meth:`BIMb.run` to call it. No native step reads a tensor
back to the host: on an accelerator, BIM-a freezes finished examples with a mask (:meth:`BIM._masks`).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import torch

from benchmark.attacks.base import Attack, CountingModel
from benchmark.budgets import Bounds, Radius, project, rows


class GradientStepAttack(Attack):
    """An attack built from a backend's single gradient-sign step."""

    #: whether :meth:`step` keeps its tensors on the inputs' device (no conversion to numpy)
    device_resident: ClassVar[bool] = False

    @abstractmethod
    def step(
        self,
        model: CountingModel,
        inputs: torch.Tensor,
        labels: torch.Tensor,
        *,
        step_size: Radius,
        bounds: Bounds,
        targets: torch.Tensor | None,
    ) -> torch.Tensor:
        """One FGSM step of size ``step_size`` from ``inputs`` (toward ``targets`` if targeted)."""


class FGSM(GradientStepAttack):
    """Fast Gradient Sign Method, Linf: ``x' = x + eps * sign(grad_x J(x, y))`` (Koerich eq. 2)."""

    name = "fgsm"

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        return self.step(model, inputs, labels, step_size=budget, bounds=bounds, targets=targets)


class BIM(GradientStepAttack):
    """Basic Iterative Method, Linf: ``steps`` FGSM steps of ``rel_stepsize * eps``, projected."""

    early_stop: bool = False

    def __init__(self, *, steps: int = 10, rel_stepsize: float = 0.2, targeted: bool = False) -> None:
        super().__init__(targeted=targeted)
        if steps < 1:
            raise ValueError(f"attack {self.name!r}: steps must be >= 1, got {steps}")
        self.steps = int(steps)
        self.rel_stepsize = float(rel_stepsize)

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """One gradient per step (BIM-a may stop earlier)."""
        return float(self.steps)

    def _fooled(self, model: CountingModel, adversarial: torch.Tensor, labels, targets) -> torch.Tensor:
        with torch.no_grad():
            predictions = model(adversarial).argmax(dim=1)
        return predictions == targets if self.targeted else predictions != labels

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        if self.early_stop and not self._masks(inputs.device):
            return self._run_shrinking(model, inputs, labels, budget, bounds, targets)
        adversarial = inputs.detach().clone()
        step_size = self.rel_stepsize * budget
        active = torch.ones(len(inputs), dtype=torch.bool, device=inputs.device) if self.early_stop else None
        row = (-1,) + (1,) * (inputs.dim() - 1)
        for _ in range(self.steps):
            with model.counted_rows(active):
                stepped = self.step(
                    model, adversarial, labels, step_size=step_size, bounds=bounds, targets=targets
                )
                projected = project(stepped.detach(), inputs, budget, self.norm, bounds)
                if active is None:
                    adversarial = projected
                else:
                    adversarial = torch.where(active.view(row), projected, adversarial)
                    active = active & ~self._fooled(model, adversarial, labels, targets)
        return adversarial

    def _masks(self, device: torch.device) -> bool:
        """Whether BIM-a steps the whole batch, freezing (and not counting) its finished examples
        with a mask, instead of gathering the rest: where the step stays on an accelerator, whose
        queue would otherwise wait every step for the number left to reach the host."""
        return self.device_resident and device.type != "cpu"

    def _run_shrinking(self, model, inputs, labels, budget, bounds, targets) -> torch.Tensor:
        """BIM-a elsewhere: each step gathers the examples still unfooled and stops once none is
        left, so finished examples cost nothing; on the CPU, reading their number is no round trip."""
        adversarial = inputs.detach().clone()
        active = torch.ones(len(inputs), dtype=torch.bool, device=inputs.device)
        step_size = self.rel_stepsize * budget
        for _ in range(self.steps):
            index = active.nonzero().squeeze(1)
            if len(index) == 0:
                break
            sub_targets = targets[index] if targets is not None else None
            stepped = self.step(
                model,
                adversarial[index],
                labels[index],
                step_size=rows(step_size, index),
                bounds=bounds,
                targets=sub_targets,
            )
            radius = rows(budget, index)
            adversarial[index] = project(stepped.detach(), inputs[index], radius, self.norm, bounds)
            active[index] = ~self._fooled(model, adversarial[index], labels[index], sub_targets)
        return adversarial


class BIMa(BIM):
    """BIM-a: iterate until the first success per example, at most ``steps`` gradients each."""

    name = "bim_a"
    early_stop = True


class BIMb(BIM):
    """BIM-b: always ``steps`` iterations (stronger, costlier; Esmaeilpour sec. 2.4)."""

    name = "bim_b"
