"""FGSM-L2 and PGD (Linf, L2) for every backend (Esmaeilpour et al. 2021 sec. 2.3 eq. 4; Madry et al. 2018).

FGSM-L2 is FGSM with the L2-normalized gradient as its step direction: ``x' = x + eps * g / ||g||_2``
(targeted: minus, toward the target). PGD is BIM-b started from a point drawn uniformly from the
budget ball; the draw is seeded by the ``seed`` hyperparameter (torch's and numpy's global
generators are forked for the call and restored after, so a run does not disturb the caller's).
ART and Foolbox run their own PGD; their random starts come from different generators, so
backends agree on success rates, not on adversarials. None of them spends a gradient or a forward
on the random start: every backend spends exactly ``steps`` gradients per example.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

from benchmark.attacks.art_backend import ART_NORMS, ArtStep
from benchmark.attacks.foolbox_backend import FoolboxStep
from benchmark.attacks.gradient import FGSM, GradientStepAttack
from benchmark.attacks.native import NativeStep
from benchmark.budgets import Bounds, Radius, project
from benchmark.validation import check_seed


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's and numpy's global generators (what Foolbox and ART draw from), restoring both."""
    numpy_state = np.random.get_state()
    devices = (
        [device.index if device.index is not None else torch.cuda.current_device()]
        if device.type == "cuda"
        else []
    )
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(numpy_state)


class FGSML2(FGSM):
    """FGSM, L2: ``x' = x + eps * grad / ||grad||_2`` (Esmaeilpour eq. 4)."""

    name = "fgsm_l2"
    norm = "l2"


class PGD(GradientStepAttack):
    """PGD, Linf: BIM-b from a seeded uniform random start in the ball (Madry et al. 2018).

    The default step, ``rel_stepsize = 0.25`` over 10 steps, is Madry's ``2.5 * eps / steps``:
    enough to cross the ball from the far side of a random start.
    """

    name = "pgd"

    def __init__(
        self, *, steps: int = 10, rel_stepsize: float = 0.25, seed: int = 0, targeted: bool = False
    ) -> None:
        super().__init__(targeted=targeted)
        if steps < 1:
            raise ValueError(f"attack {self.name!r}: steps must be >= 1, got {steps}")
        self.steps = int(steps)
        self.rel_stepsize = float(rel_stepsize)
        self.seed = check_seed(int(seed), f"attack {self.name!r} seed")

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """One gradient per step; the random start costs none."""
        return float(self.steps)

    def random_start(self, inputs: torch.Tensor, budget: Radius, bounds: Bounds) -> torch.Tensor:
        """A point drawn uniformly from the ``norm`` ball of radius ``budget``, clipped to the bounds."""
        if self.norm == "linf":
            delta = (torch.rand_like(inputs) * 2 - 1) * budget
        else:
            direction = torch.randn_like(inputs).flatten(1)
            direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
            # a radius u^(1/d) * eps makes the draw uniform in volume, not concentrated at the centre
            scale = budget.reshape(-1, 1) if isinstance(budget, torch.Tensor) else budget
            radius = scale * torch.rand(len(inputs), 1, device=inputs.device) ** (1 / direction.shape[1])
            delta = (direction * radius).view_as(inputs)
        return (inputs + delta).clamp(bounds.lower, bounds.upper)

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        with seeded(self.seed, inputs.device):
            adversarial = self.random_start(inputs, budget, bounds)
        for _ in range(self.steps):
            stepped = self.step(
                model,
                adversarial,
                labels,
                step_size=self.rel_stepsize * budget,
                bounds=bounds,
                targets=targets,
            )
            adversarial = project(stepped.detach(), inputs, budget, self.norm, bounds)
        return adversarial


class PGDL2(PGD):
    """PGD, L2: the same loop with L2-normalized gradient steps and an L2 ball."""

    name = "pgd_l2"
    norm = "l2"


# --- native -----------------------------------------------------------------------------------


class NativeFGSML2(NativeStep, FGSML2):
    """FGSM (L2), native PyTorch engine."""


class NativePGD(NativeStep, PGD):
    """PGD (Linf), native PyTorch engine."""


class NativePGDL2(NativeStep, PGDL2):
    """PGD (L2), native PyTorch engine."""


# --- ART --------------------------------------------------------------------------------------


class ArtFGSML2(ArtStep, FGSML2):
    """FGSM (L2), ART's FastGradientMethod(norm=2)."""


class ArtPGD(ArtStep, PGD):
    """PGD (Linf), ART's ProjectedGradientDescent with one random initialisation."""

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        if budget == 0:
            # ART rejects a zero step; the generic loop over ART's step spends the same gradients
            # (ART's L2 projection then divides a zero perturbation by its zero norm: harmless).
            with np.errstate(invalid="ignore"):
                return super().run(model, inputs, labels, budget=budget, bounds=bounds, targets=targets)
        from art.attacks.evasion import ProjectedGradientDescent

        attack = ProjectedGradientDescent(
            self.wrapped(model, inputs, bounds),
            norm=ART_NORMS[self.norm],
            eps=budget,
            eps_step=self.rel_stepsize * budget,
            max_iter=self.steps,
            targeted=self.targeted,
            num_random_init=1,
            batch_size=max(1, len(inputs)),
            verbose=False,
        )
        with seeded(self.seed, inputs.device):
            return self.generate(attack, inputs, labels, targets)


class ArtPGDL2(ArtPGD, PGDL2):
    """PGD (L2), ART's ProjectedGradientDescent(norm=2) with one random initialisation."""


# --- Foolbox ----------------------------------------------------------------------------------


class FoolboxFGSML2(FoolboxStep, FGSML2):
    """FGSM (L2), Foolbox's L2FastGradientAttack (targeted: its one-step L2 BIM)."""


class FoolboxPGD(FoolboxStep, PGD):
    """PGD (Linf), Foolbox's LinfPGD."""

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        import foolbox as fb

        pgd = fb.attacks.LinfPGD if self.norm == "linf" else fb.attacks.L2PGD
        attack = pgd(abs_stepsize=self.rel_stepsize * budget, steps=self.steps, random_start=True)
        with seeded(self.seed, inputs.device):
            return self.run_attack(
                attack, model, inputs, labels, epsilon=budget, bounds=bounds, targets=targets
            )


class FoolboxPGDL2(FoolboxPGD, PGDL2):
    """PGD (L2), Foolbox's L2PGD."""
