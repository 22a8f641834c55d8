"""The ART backend (Adversarial Robustness Toolbox 1.20): FGSM and BIM computed by ART.

The single step is ART's ``FastGradientMethod``; BIM-a is the generic early-stopping loop of
:mod:`benchmark.attacks.gradient` over that step (ART has no per-example "stop at first
success"); BIM-b is ART's own ``BasicIterativeMethod`` (in ART 1.20 a ``ProjectedGradientDescent``
with ``norm=inf`` and ``num_random_init=0``). ART's cost is what it really spends: besides its
``steps`` gradients, its BIM predicts the adversarial (and, untargeted, the clean) batch once to
log a success rate, and those forwards are counted.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from contextlib import nullcontext
from typing import Any

import numpy as np
import torch
from torch import nn

from benchmark.attacks.base import CountingModel
from benchmark.attacks.gradient import FGSM, BIMa, BIMb, GradientStepAttack
from benchmark.attacks.library import LibraryAttack
from benchmark.budgets import Bounds

#: ART's name for each norm
ART_NORMS = {"linf": np.inf, "l2": 2}

# ART logs every attack's success rate at INFO; keep a caller's INFO logging readable.
logging.getLogger("art").setLevel(logging.WARNING)


class _KeepMode(nn.Module):
    """The model as ART sees it: ``train()`` does nothing.

    ART's estimator calls ``train(False)`` (``train(True)`` for RNNs) on every prediction and
    gradient, which would leave the caller's model in whatever mode ART chose last and make
    ART differ from the other backends when the caller deliberately uses train mode.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def train(self, mode: bool = True) -> _KeepMode:
        return self

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs)


class ArtBackend(LibraryAttack):
    """ART plumbing: the counted model as a ``PyTorchClassifier``, and torch in / torch out."""

    backend = "art"
    library = "art"
    requirement = "adversarial-robustness-toolbox==1.20.1"

    def wrap(self, model: CountingModel, inputs: torch.Tensor, bounds: Bounds) -> Any:
        from art.estimators.classification import PyTorchClassifier

        with model.uncounted(), torch.no_grad():
            nb_classes = model(inputs[:1]).shape[1]
        # ART places the model on the *current* CUDA device; make that the inputs' device.
        with torch.cuda.device(inputs.device) if inputs.is_cuda else nullcontext():
            return PyTorchClassifier(
                model=_KeepMode(model),
                loss=nn.CrossEntropyLoss(),
                input_shape=tuple(inputs.shape[1:]),
                nb_classes=nb_classes,
                clip_values=(bounds.lower, bounds.upper),
                device_type="gpu" if inputs.is_cuda else "cpu",
            )

    def generate(
        self, attack: Any, inputs: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor | None
    ) -> torch.Tensor:
        """Run an ART attack on torch tensors (ART takes class indices and returns numpy)."""
        classes = targets if self.targeted else labels
        assert classes is not None  # the base class rejects a targeted call without targets
        adversarial = attack.generate(x=inputs.detach().cpu().numpy(), y=classes.cpu().numpy())
        return torch.from_numpy(np.asarray(adversarial)).to(device=inputs.device, dtype=inputs.dtype)


class ArtEvasion(ArtBackend):
    """An attack that is one ART ``EvasionAttack`` per budget (JSMA, DeepFool, CW, APGD, ...)."""

    @abstractmethod
    def build(self, estimator: Any, budget: float, batch_size: int) -> Any:
        """The ART attack for one budget on ``estimator``."""

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        if self.budget_kind == "epsilon" and budget == 0:
            return inputs  # ART rejects eps=0; the zero ball holds only the inputs, at no cost
        attack = self.build(self.wrapped(model, inputs, bounds), budget, max(1, len(inputs)))
        return self.generate(attack, inputs, labels, targets)


class ArtStep(ArtBackend, GradientStepAttack):
    """One FGSM step, in the attack's norm, by ART's ``FastGradientMethod``."""

    def step(self, model, inputs, labels, *, step_size, bounds, targets):
        from art.attacks.evasion import FastGradientMethod

        attack = FastGradientMethod(
            self.wrapped(model, inputs, bounds),
            norm=ART_NORMS[self.norm],
            eps=step_size,
            targeted=self.targeted,
            batch_size=max(1, len(inputs)),
        )
        return self.generate(attack, inputs, labels, targets)


class ArtFGSM(ArtStep, FGSM):
    """FGSM (Linf), ART's FastGradientMethod."""


class ArtBIMa(ArtStep, BIMa):
    """BIM-a (stop at first success): the generic loop over ART's FGSM step."""


class ArtBIMb(ArtStep, BIMb):
    """BIM-b (fixed iterations), ART's BasicIterativeMethod."""

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        if budget == 0:
            # ART's BIM rejects a zero step; the generic loop over ART's FGSM spends the same gradients.
            return super().run(model, inputs, labels, budget=budget, bounds=bounds, targets=targets)
        from art.attacks.evasion import BasicIterativeMethod

        attack = BasicIterativeMethod(
            self.wrapped(model, inputs, bounds),
            eps=budget,
            eps_step=self.rel_stepsize * budget,
            max_iter=self.steps,
            targeted=self.targeted,
            batch_size=max(1, len(inputs)),
            verbose=False,
        )
        return self.generate(attack, inputs, labels, targets)
