"""DeepFool and Carlini-Wagner L2: minimal-perturbation attacks whose budget is an iteration count.

Both search for the smallest perturbation that fools the model, so a distance budget does not
apply: the budget bounds the work (Esmaeilpour et al. 2021 sec. 4.3: DeepFool iterations 100..1000
in steps of 100; CW iterations {25, 100, 1k, 2k, 5k} per search step over {1, 3, 7, 9} search steps
for the constant ``c``). They are computed by ART and Foolbox, whose algorithms spend differently:

* DeepFool, ART: before the first and after every iteration, one backward pass over the whole batch
  per class among the top ``candidates`` (every class when ``candidates`` >= classes), i.e.
  ``(iterations + 1) * classes`` gradients per example. It stops when every prediction has changed
  *before* the overshoot is applied, so one example left on its linearized boundary keeps it running
  to the budget (on the tests' 4-class model, 100 of 100 iterations). ART implements only L2.
* DeepFool, Foolbox: per iteration, ``candidates - 1`` forward+backward passes over the whole batch
  (one per logit difference); an iteration that finds every example fooled spends one and stops.
* CW, ART: per iteration, two ``class_gradient`` calls that each backpropagate every class
  (``2 * classes`` gradients per example) plus line-search forwards; no early stop in a search step.
* CW, Foolbox: Adam, one forward+backward per step; it aborts a search step when the loss stalls
  (checked every tenth of the steps), so its spending is counted, not predicted.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import torch

from benchmark.attacks.art_backend import ArtEvasion
from benchmark.attacks.base import Attack
from benchmark.attacks.foolbox_backend import FoolboxBackend
from benchmark.errors import BenchmarkError


class DeepFool(Attack):
    """DeepFool, L2 (Moosavi-Dezfooli et al. 2016; Esmaeilpour sec. 2.7 eq. 13): step to the
    nearest linearized decision boundary among the ``candidates`` most likely classes, repeat,
    and overshoot the total perturbation by ``overshoot``. Untargeted, as both libraries implement it.
    """

    name = "deepfool"
    norm = "l2"
    budget_kind = "iterations"
    supports_targeted = False

    def __init__(self, *, overshoot: float = 0.02, candidates: int = 10, targeted: bool = False) -> None:
        if targeted:
            raise BenchmarkError(
                f"attack {self.name!r} (backend {self.backend!r}) is untargeted in every backend"
            )
        super().__init__(targeted=targeted)
        if candidates < 2:
            raise ValueError(f"attack {self.name!r}: candidates must be >= 2, got {candidates}")
        self.overshoot = float(overshoot)
        self.candidates = int(candidates)

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """ART takes every class's gradient at each of budget + 1 iterations (Foolbox fewer)."""
        return (budget + 1) * classes


class DeepFoolLinf(DeepFool):
    """DeepFool, Linf: the same search with Linf distances to the linearized boundaries."""

    name = "deepfool_linf"
    norm = "linf"


class CarliniWagnerL2(Attack):
    """Carlini-Wagner L2 (Carlini & Wagner 2017; Esmaeilpour sec. 2.6 eqs. 9-12): minimize
    ``||x' - x||_2^2 + c * f(x')`` in tanh space, binary-searching ``c`` over ``binary_search_steps``
    from ``initial_const`` (Foolbox's default 1e-3, given to ART too). The budget is the number of
    optimizer iterations per search step; one search step is the default for speed.
    """

    name = "cw_l2"
    norm = "l2"
    budget_kind = "iterations"

    def __init__(
        self,
        *,
        binary_search_steps: int = 1,
        confidence: float = 0.0,
        learning_rate: float = 0.01,
        initial_const: float = 1e-3,
        targeted: bool = False,
    ) -> None:
        super().__init__(targeted=targeted)
        if binary_search_steps < 1:
            raise ValueError(
                f"attack {self.name!r}: binary_search_steps must be >= 1, got {binary_search_steps}"
            )
        self.binary_search_steps = int(binary_search_steps)
        self.confidence = float(confidence)
        self.learning_rate = float(learning_rate)
        self.initial_const = float(initial_const)

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """ART: 2 x classes gradients per iteration, per search step (Foolbox: one)."""
        return budget * self.binary_search_steps * 2 * classes


# --- ART --------------------------------------------------------------------------------------


class ArtDeepFool(ArtEvasion, DeepFool):
    """DeepFool (L2), ART's DeepFool (its ``epsilon`` is the overshoot, ``nb_grads`` the candidates)."""

    def build(self, estimator, budget, batch_size):
        from art.attacks.evasion import DeepFool as ArtDeepFoolAttack

        return ArtDeepFoolAttack(
            estimator,
            max_iter=int(budget),
            epsilon=self.overshoot,
            nb_grads=self.candidates,
            batch_size=batch_size,
            verbose=False,
        )


class ArtCarliniWagnerL2(ArtEvasion, CarliniWagnerL2):
    """CW L2, ART's CarliniL2Method."""

    def build(self, estimator, budget, batch_size):
        from art.attacks.evasion import CarliniL2Method

        return CarliniL2Method(
            estimator,
            confidence=self.confidence,
            targeted=self.targeted,
            learning_rate=self.learning_rate,
            binary_search_steps=self.binary_search_steps,
            max_iter=int(budget),
            initial_const=self.initial_const,
            batch_size=batch_size,
            verbose=False,
        )


# --- Foolbox ----------------------------------------------------------------------------------


class FoolboxMinimal(FoolboxBackend):
    """A Foolbox minimization attack: subclasses build it for an iteration budget."""

    @abstractmethod
    def build(self, iterations: int) -> Any:
        """Foolbox's attack for ``iterations`` iterations."""

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        attack = self.build(int(budget))
        return self.run_attack(attack, model, inputs, labels, epsilon=None, bounds=bounds, targets=targets)


class FoolboxDeepFool(FoolboxMinimal, DeepFool):
    """DeepFool (L2), Foolbox's L2DeepFoolAttack (the implementation Esmaeilpour sec. 4.3 used)."""

    def build(self, iterations):
        import foolbox as fb

        deepfool = fb.attacks.L2DeepFoolAttack if self.norm == "l2" else fb.attacks.LinfDeepFoolAttack
        return deepfool(steps=iterations, candidates=self.candidates, overshoot=self.overshoot)


class FoolboxDeepFoolLinf(FoolboxDeepFool, DeepFoolLinf):
    """DeepFool (Linf), Foolbox's LinfDeepFoolAttack."""


class FoolboxCarliniWagnerL2(FoolboxMinimal, CarliniWagnerL2):
    """CW L2, Foolbox's L2CarliniWagnerAttack."""

    def build(self, iterations):
        import foolbox as fb

        return fb.attacks.L2CarliniWagnerAttack(
            binary_search_steps=self.binary_search_steps,
            steps=iterations,
            stepsize=self.learning_rate,
            confidence=self.confidence,
            initial_const=self.initial_const,
        )

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        adversarial = super().run(model, inputs, labels, budget=budget, bounds=bounds, targets=targets)
        # Foolbox returns all zeros where it found no adversarial; the honest answer is the input.
        failed = (adversarial == 0).flatten(1).all(dim=1).view(-1, *([1] * (inputs.dim() - 1)))
        return torch.where(failed, inputs, adversarial)
