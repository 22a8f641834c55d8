"""One home for what a budget means: input bounds, budget kinds and units, schedules, SNR targets.

A suite declares each attack's schedule per *budget table* (a representation name, ``waveform``
for amplitudes, or ``snr_db`` for target SNRs); :class:`Schedule` resolves the table that applies
to one model and domain, converts it to the values the attack takes, and names the unit the
results file records. Every other module asks this one instead of testing strings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from benchmark.errors import BudgetError

Norm = Literal["linf", "l2"]
#: what a budget means: an epsilon-ball radius in the attack's norm (FGSM, BIM, PGD), or an
#: iteration count for minimal-perturbation attacks whose result is not bounded by a radius
#: (DeepFool's iteration grid, Esmaeilpour et al. 2021 sec. 4.3), or the fraction in (0, 1] of input
#: elements that may change (JSMA's maximum distortion gamma, ibid. sec. 4.3)
BudgetKind = Literal["epsilon", "iterations", "fraction"]
#: what a results file's budgets are measured in (schema ``AttackCell.budget_unit``)
BudgetUnit = Literal["normalized", "amplitude", "snr_db", "iterations", "fraction"]
Domain = Literal["representation", "waveform"]
#: an epsilon budget: one radius for the batch, or one per example shaped ``(B, 1, ..., 1)``
#: (an SNR target turned into amplitude, :func:`snr_radius_scale`)
Radius = float | torch.Tensor

#: budget-table key of a waveform-domain schedule given as target SNRs in dB (descending)
SNR_DB = "snr_db"
#: budget-table key of a waveform-domain schedule in amplitude (and the waveform representation's name)
WAVEFORM = "waveform"


@dataclass(frozen=True)
class Bounds:
    """Closed interval every element of an attacked input lies in."""

    lower: float
    upper: float

    @property
    def width(self) -> float:
        return self.upper - self.lower


#: audio in [-1, 1]: what waveform models and waveform-domain attacks perturb
WAVEFORM_BOUNDS = Bounds(-1.0, 1.0)


def snr_radius_scale(waveforms: torch.Tensor, norm: Norm) -> torch.Tensor:
    """Per-example factor ``s`` such that an epsilon budget ``10 ** (-snr / 20) * s`` keeps every
    adversarial waveform at an SNR of at least ``snr`` dB (Koerich eq. 3-4, ``P`` = RMS).

    Linf: ``|v| <= eps`` everywhere gives ``RMS(v) <= eps``, so ``s = RMS(x)``. L2: ``RMS(v) =
    ||v||_2 / sqrt(T)``, so ``s = RMS(x) * sqrt(T)``. Clipping to [-1, 1] afterwards only moves
    samples toward the clean ones, so it can only raise the SNR.
    """
    flat = waveforms.detach().flatten(1)
    rms = flat.pow(2).mean(dim=1).sqrt()
    return rms if norm == "linf" else rms * flat.shape[1] ** 0.5


def rows(radius: Radius, index: torch.Tensor | slice) -> Radius:
    """The radii of the examples at ``index`` (a shared float radius is everyone's)."""
    return radius[index] if isinstance(radius, torch.Tensor) else radius


def project(
    adversarial: torch.Tensor, inputs: torch.Tensor, budget: Radius, norm: Norm, bounds: Bounds
) -> torch.Tensor:
    """Project onto the ``norm`` ball of radius ``budget`` around ``inputs``, then the bounds."""
    delta = adversarial - inputs
    if norm == "linf":
        delta = delta.clamp(-budget, budget)  # a tensor radius clamps each example to its own
    else:
        flat = delta.flatten(1).norm(dim=1).clamp_min(1e-12)
        radius = budget.flatten() if isinstance(budget, torch.Tensor) else budget
        factor = (radius / flat).clamp(max=1.0)
        delta = delta * factor.view(-1, *([1] * (delta.dim() - 1)))
    return (inputs + delta).clamp(bounds.lower, bounds.upper)


def budget_unit(kind: str, *, on_waveform: bool, snr: bool) -> BudgetUnit:
    """A cell's ``budget_unit`` from its attack's budget kind: iterations and fractions are their
    own units; a radius is a target SNR, waveform amplitude, or normalized representation units."""
    if kind != "epsilon":
        return kind  # type: ignore[return-value]
    if snr:
        return "snr_db"
    return "amplitude" if on_waveform else "normalized"


def check_budgets(
    attack: str,
    backend: str,
    budgets: Sequence[float],
    bounds: Bounds,
    norm: Norm,
    budget_kind: BudgetKind = "epsilon",
) -> None:
    """Reject an empty, unsorted, negative or out-of-bounds budget schedule in one line."""
    where = f"attack {attack!r} (backend {backend!r})"
    if len(budgets) == 0:
        raise BudgetError(f"{where}: the budget schedule is empty; give at least one budget")
    if any(not math.isfinite(b) or b < 0 for b in budgets):
        raise BudgetError(f"{where}: budgets must be finite and >= 0, got {list(budgets)}")
    if list(budgets) != sorted(budgets):
        raise BudgetError(f"{where}: budgets must be sorted ascending, got {list(budgets)}")
    if budget_kind == "iterations":
        if any(b < 1 or b != int(b) for b in budgets):
            raise BudgetError(
                f"{where}: budgets are iteration counts and must be whole numbers >= 1, got {list(budgets)}"
            )
        return
    if budget_kind == "fraction":
        if any(not 0 < b <= 1 for b in budgets):
            raise BudgetError(
                f"{where}: budgets are fractions of the input elements and must lie in (0, 1], "
                f"got {list(budgets)}"
            )
        return
    # The largest useful Linf budget spans the whole bounded interval; larger ones are a unit mistake.
    if norm == "linf" and budgets[-1] > bounds.width:
        raise BudgetError(
            f"{where}: budget {budgets[-1]} exceeds the input bounds' width {bounds.width} "
            f"([{bounds.lower}, {bounds.upper}]); budgets are in the domain's normalized units"
        )


def check_schedule(
    attack: str,
    backend: str,
    budgets: Sequence[float],
    bounds: Bounds,
    norm: Norm,
    budget_kind: BudgetKind = "epsilon",
) -> None:
    """:func:`check_budgets`, and what scoring a suite's schedule needs besides: a positive largest
    budget, since FR-AUC divides the budget axis by it (an attack called directly may take a lone
    zero budget, which returns its inputs)."""
    check_budgets(attack, backend, budgets, bounds, norm, budget_kind)
    if budgets[-1] <= 0:
        raise BudgetError(
            f"attack {attack!r} (backend {backend!r}): the largest budget must be positive (FR-AUC "
            f"divides the budget axis by it), got {list(budgets)}"
        )


def reference_key(representation: str, score_domain: Domain) -> str:
    """The ``reference_budgets`` key of a model's primary score: its representation when the suite
    scores attacks on each model's own input (the default), ``waveform`` when it scores the audio
    (a suite whose defenses act on the waveform compares every model under one threat model)."""
    return WAVEFORM if score_domain == WAVEFORM else representation


def schedule_table(tables: Mapping[str, Sequence[float]], *, domain: Domain, representation: str) -> str:
    """Which of a suite attack's budget tables applies to a model on ``representation``: its own
    representation's in the representation domain; ``snr_db`` if declared, else ``waveform``, when
    the attack perturbs the waveform end to end."""
    if domain == "representation":
        return representation
    return SNR_DB if SNR_DB in tables else WAVEFORM


@dataclass(frozen=True)
class Schedule:
    """One cell's budget schedule: as declared, and as the attack takes it."""

    table: str
    declared: tuple[float, ...]

    @classmethod
    def resolve(
        cls, tables: Mapping[str, Sequence[float]], *, domain: Domain, representation: str
    ) -> Schedule:
        table = schedule_table(tables, domain=domain, representation=representation)
        return cls(table, tuple(float(b) for b in tables[table]))

    @property
    def per_example(self) -> bool:
        """SNR targets become one radius per example (scaled by its RMS)."""
        return self.table == SNR_DB

    @property
    def budgets(self) -> list[float]:
        """The schedule in the attack's units: SNR targets in dB become amplitude ratios
        ``10^(-SNR/20)``, ascending (weakest attack first), so FR-AUC integrates over strength."""
        if self.per_example:
            return [10 ** (-snr / 20) for snr in self.declared]
        return list(self.declared)

    def radius_scale(self, waveforms: torch.Tensor, norm: Norm) -> torch.Tensor | None:
        """Per-example radius factors for SNR targets, ``None`` for a shared radius."""
        return snr_radius_scale(waveforms, norm) if self.per_example else None

    def unit(self, kind: BudgetKind, *, domain: Domain) -> BudgetUnit:
        return budget_unit(
            kind, on_waveform=domain == WAVEFORM or self.table == WAVEFORM, snr=self.per_example
        )

    def bounds(self, representation_bounds: Bounds, *, domain: Domain) -> Bounds:
        """What the attacked input is clipped to: audio bounds when the attack perturbs audio."""
        return WAVEFORM_BOUNDS if domain == WAVEFORM else representation_bounds
