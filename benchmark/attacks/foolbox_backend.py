"""The Foolbox backend (Foolbox 3): FGSM and BIM computed by Foolbox.

Attacks are called through ``run``, not ``__call__``: ``__call__`` adds its own forwards,
clipping and success judgement, all of which the base class does once for every backend.
BIM-a is the generic early-stopping loop of :mod:`benchmark.attacks.gradient` over Foolbox's
FGSM step (Foolbox has no per-example "stop at first success"); BIM-b is Foolbox's own
``LinfBasicIterativeAttack``.
"""

from __future__ import annotations

from typing import Any

import torch

from benchmark.attacks.base import CountingModel
from benchmark.attacks.gradient import FGSM, BIMa, BIMb, GradientStepAttack
from benchmark.attacks.library import LibraryAttack
from benchmark.budgets import Bounds


class FoolboxBackend(LibraryAttack):
    """Foolbox plumbing: the counted model as a ``PyTorchModel``, and this attack's criterion."""

    backend = "foolbox"
    library = "foolbox"
    requirement = "foolbox==3.3.4"

    def wrap(self, model: CountingModel, inputs: torch.Tensor, bounds: Bounds) -> Any:
        import foolbox as fb

        return fb.PyTorchModel(model, bounds=(bounds.lower, bounds.upper), device=inputs.device)

    def run_attack(
        self,
        attack: Any,
        model: CountingModel,
        inputs: torch.Tensor,
        labels: torch.Tensor,
        *,
        epsilon: float | None,
        bounds: Bounds,
        targets: torch.Tensor | None,
    ) -> torch.Tensor:
        """``attack.run`` with this attack's criterion (targeted: reach ``targets``); minimization
        attacks (DeepFool, CW) take no ``epsilon``."""
        import foolbox as fb

        criterion = (
            fb.criteria.TargetedMisclassification(targets)
            if self.targeted
            else fb.criteria.Misclassification(labels)
        )
        extra = {} if epsilon is None else {"epsilon": epsilon}
        return attack.run(self.wrapped(model, inputs, bounds), inputs, criterion, **extra)


class FoolboxStep(FoolboxBackend, GradientStepAttack):
    """One FGSM step, in the attack's norm, by Foolbox."""

    def step(self, model, inputs, labels, *, step_size, bounds, targets):
        import foolbox as fb

        # Foolbox's fast-gradient attacks reject a targeted criterion; its one-step BIM of the same
        # norm is the same update rule.
        if self.targeted:
            iterative = (
                fb.attacks.LinfBasicIterativeAttack
                if self.norm == "linf"
                else fb.attacks.L2BasicIterativeAttack
            )
            attack = iterative(rel_stepsize=1.0, steps=1, random_start=False)
        else:
            fast = (
                fb.attacks.LinfFastGradientAttack if self.norm == "linf" else fb.attacks.L2FastGradientAttack
            )
            attack = fast(random_start=False)
        return self.run_attack(
            attack, model, inputs, labels, epsilon=step_size, bounds=bounds, targets=targets
        )


class FoolboxFGSM(FoolboxStep, FGSM):
    """FGSM (Linf), Foolbox's LinfFastGradientAttack (targeted: its one-step BIM, the same update)."""


class FoolboxBIMa(FoolboxStep, BIMa):
    """BIM-a (stop at first success): the generic loop over Foolbox's FGSM step."""


class FoolboxBIMb(FoolboxStep, BIMb):
    """BIM-b (fixed iterations), Foolbox's LinfBasicIterativeAttack."""

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        import foolbox as fb

        attack = fb.attacks.LinfBasicIterativeAttack(
            abs_stepsize=self.rel_stepsize * budget, steps=self.steps, random_start=False
        )
        return self.run_attack(attack, model, inputs, labels, epsilon=budget, bounds=bounds, targets=targets)
