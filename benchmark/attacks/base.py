"""The attack contract shared by every backend (Foolbox 3's ``__call__`` / ``run`` split).

An :class:`Attack` subclass implements only :meth:`Attack.run`, its core step, for one
budget. :meth:`Attack.__call__` owns everything that must be identical across backends:
budget validation, projection onto the budget ball and the input bounds, judging success
(untargeted: prediction differs from the label; targeted: prediction equals the target),
and cost accounting through :class:`CountingModel`, which counts forward and input-gradient
evaluations itself instead of trusting the attack library.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import nn

from benchmark.budgets import Bounds, BudgetKind, Norm, Radius, check_budgets, project
from benchmark.errors import BenchmarkError, BudgetError
from benchmark.registry import ATTACKS


class CountingModel(nn.Module):
    """Wraps a classifier and counts what any attack library spends on it.

    ``forward_evals`` counts examples passed forward; ``gradient_evals`` counts examples whose
    input gradient was computed (a hook on the input tensor fires once per backward pass that
    reaches it, whichever library called backward); ``gradient_batches`` counts those backward
    passes. Judging success in the base class runs under :meth:`uncounted`. Under :meth:`counted_rows`,
    only the examples of a mask count, as a device tensor (read once per budget, not per step).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        # Report the wrapped model's mode (libraries such as Foolbox check it); setting the flag
        # alone leaves the wrapped submodules' own modes untouched.
        self.training = model.training
        self.reset()
        self._counting = True

    def reset(self) -> None:
        self.forward_evals: int | torch.Tensor = 0
        self.forward_batches = 0
        self.gradient_evals: int | torch.Tensor = 0
        self.gradient_batches = 0
        self._rows: torch.Tensor | None = None

    @contextmanager
    def counted_rows(self, mask: torch.Tensor | None) -> Iterator[None]:
        """Count only the examples where ``mask`` (bool ``(B,)``) is set: an attack that freezes its
        finished examples inside a whole batch, instead of gathering the rest (which needs their
        number on the host), spends on the others only; ``None`` counts every example."""
        previous, self._rows = self._rows, mask
        try:
            yield
        finally:
            self._rows = previous

    @contextmanager
    def uncounted(self) -> Iterator[None]:
        previous, self._counting = self._counting, False
        try:
            yield
        finally:
            self._counting = previous

    def _on_input_grad(self, examples: int | torch.Tensor) -> None:
        self.gradient_evals += examples
        self.gradient_batches += 1

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self._counting:
            examples = inputs.shape[0] if self._rows is None else self._rows.sum()
            self.forward_evals += examples
            self.forward_batches += 1
            if inputs.requires_grad:
                inputs.register_hook(lambda grad: self._on_input_grad(examples))
        return self.model(inputs)


@dataclass
class AttackOutput:
    """What one attack call returns for one budget."""

    budget: float
    adversarial: torch.Tensor
    success: torch.Tensor  # bool (B,)
    logits: torch.Tensor  # (B, K), the model's output on the adversarial inputs
    gradient_evals: int
    gradient_batches: int
    forward_evals: int


@dataclass
class AttackResult:
    """One attack over a budget schedule on one batch."""

    attack: str
    backend: str
    norm: Norm
    targeted: bool
    outputs: list[AttackOutput] = field(default_factory=list)


class Attack(ABC):
    """Base class. Subclasses set the class variables and implement :meth:`run`."""

    name: ClassVar[str]
    backend: ClassVar[str]
    norm: ClassVar[Norm] = "linf"
    budget_kind: ClassVar[BudgetKind] = "epsilon"
    supports_targeted: ClassVar[bool] = True
    #: whether :meth:`run` accepts one epsilon per example (a tensor ``budget``): needed for SNR
    #: targets in the waveform domain; ART and Foolbox take one epsilon per call
    per_example_budgets: ClassVar[bool] = False
    #: whether each gradient step can average ``eot`` input gradients (EOT, Athalye et al. 2018,
    #: sec. 4.3): the native engine's steps can; library attacks take one gradient per step
    supports_eot: ClassVar[bool] = False
    #: gradients averaged per step (private: not a hyperparameter of the attack itself)
    _eot: int = 1

    def __init__(self, *, targeted: bool = False) -> None:
        self.targeted = targeted

    def with_eot(self, samples: int) -> Attack:
        """Average ``samples`` input gradients per step (every one counted); one line where unsupported."""
        if samples > 1 and not self.supports_eot:
            raise BenchmarkError(
                f"attack {self.name!r} (backend {self.backend!r}) cannot average gradients (eot = "
                f"{samples}): use a native gradient attack (fgsm, bim_a, bim_b, pgd, ...) with eot"
            )
        self._eot = int(samples)
        return self

    def hyperparameters(self) -> dict[str, object]:
        """Keyword-only hyperparameters, recorded in results and cell keys."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    @abstractmethod
    def run(
        self,
        model: CountingModel,
        inputs: torch.Tensor,
        labels: torch.Tensor,
        *,
        budget: Radius,
        bounds: Bounds,
        targets: torch.Tensor | None,
    ) -> torch.Tensor:
        """Return raw adversarial inputs for one budget (the base class projects and judges);
        ``budget`` is a ``(B, 1, ..., 1)`` tensor only where :attr:`per_example_budgets` is set."""

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """Input gradients per example this attack spends, at most about, at ``budget`` on inputs of
        ``elements`` values and ``classes`` classes: what ``--max-gradients`` bounds before a plan
        runs. The default is one gradient step (FGSM); iterative attacks override it."""
        return 1.0

    @contextmanager
    def calling(self, model: nn.Module) -> Iterator[None]:
        """Context held around a whole call; backends use it to set up and tear down state."""
        yield

    def require_per_example_budgets(self) -> None:
        """Refuse, in one line, per-example radii (SNR targets) where :meth:`run` takes one epsilon."""
        if not (self.budget_kind == "epsilon" and self.per_example_budgets):
            raise BudgetError(
                f"attack {self.name!r} (backend {self.backend!r}) takes no per-example budgets, so it "
                "cannot take SNR budgets; use an epsilon attack through backend 'native', or budgets "
                "in amplitude"
            )

    def __call__(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        labels: torch.Tensor,
        *,
        budgets: Sequence[float],
        bounds: Bounds,
        targets: torch.Tensor | None = None,
        scale: torch.Tensor | None = None,
    ) -> AttackResult:
        """Attack at every budget of the schedule. With ``scale`` (shape ``(B,)``), example i's
        radius is ``budget * scale[i]``: how SNR targets become amplitudes (:func:`snr_radius_scale`)."""
        check_budgets(self.name, self.backend, budgets, bounds, self.norm, self.budget_kind)
        if self.targeted and targets is None:
            raise BudgetError(f"attack {self.name!r} (backend {self.backend!r}) is targeted: pass targets")
        if scale is not None:
            self.require_per_example_budgets()
            # moved to the inputs' device and dtype once, not once per budget
            scale = scale.view((-1,) + (1,) * (inputs.dim() - 1)).to(inputs)
        counting = model if isinstance(model, CountingModel) else CountingModel(model)
        result = AttackResult(self.name, self.backend, self.norm, self.targeted)
        with self.calling(model):
            for budget in budgets:
                radius = float(budget) if scale is None else float(budget) * scale
                result.outputs.append(
                    self._one_budget(counting, inputs, labels, float(budget), radius, bounds, targets)
                )
        return result

    def _one_budget(
        self,
        counting: CountingModel,
        inputs: torch.Tensor,
        labels: torch.Tensor,
        budget: float,
        radius: Radius,
        bounds: Bounds,
        targets: torch.Tensor | None,
    ) -> AttackOutput:
        """Run, project, judge and count one budget (``radius``: its per-example value, if any)."""
        counting.reset()
        raw = self.run(counting, inputs, labels, budget=radius, bounds=bounds, targets=targets).detach()
        raw = raw.to(inputs.dtype)
        if self.budget_kind == "epsilon":
            adversarial = project(raw, inputs, radius, self.norm, bounds)
        else:  # an iteration or fraction budget does not bound the distance: only the input bounds apply
            adversarial = raw.clamp(bounds.lower, bounds.upper)
        with counting.uncounted(), torch.no_grad():
            logits = counting(adversarial)
        predictions = logits.argmax(dim=1)
        return AttackOutput(
            budget=budget,
            adversarial=adversarial,
            success=predictions == targets if self.targeted else predictions != labels,
            logits=logits,
            gradient_evals=int(counting.gradient_evals),
            gradient_batches=counting.gradient_batches,
            forward_evals=int(counting.forward_evals),
        )


def build_attack(name: str, backend: str, params: dict[str, object], targeted: bool) -> Attack:
    """Instantiate ``name/backend``; a wrong hyperparameter is a one-line error naming it."""
    cls = ATTACKS.get(f"{name}/{backend}")
    if targeted and not cls.supports_targeted:
        raise BenchmarkError(
            f"attack {name!r} (backend {backend!r}) has no targeted mode; set targeted = false"
        )
    try:
        return cls(targeted=targeted, **params)
    except BenchmarkError:
        raise
    except (TypeError, ValueError) as error:  # an unknown name, or a value the attack refuses
        raise BenchmarkError(
            f"attack {name!r} (backend {backend!r}): {error}; check its params in the suite"
        ) from None
