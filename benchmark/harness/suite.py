"""Suites: named, versioned grids of cells declared in ``registry/suites/<name>.toml``.

A suite pairs one dataset protocol with reference models (architecture x representation x
training recipe), attacks (attack x backends x budget schedule per representation) and
2D->1D transfer experiments. The resolved suite is hashed into every cell key, so changing
anything in it invalidates exactly the cells it affects; changing what a suite *means*
must bump its ``version``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from benchmark.errors import BenchmarkError
from benchmark.models.spec import ModelSpec, Strict
from benchmark.registry import ATTACKS, MODELS, REPRESENTATIONS, SUITES


class AttackSpec(Strict):
    attack: str
    backends: list[str] = Field(min_length=1)
    models: list[str] = Field(min_length=1)
    params: dict[str, int | float | str | bool] = {}
    targeted: bool = False
    #: budget schedule per representation name, in that domain's normalized units
    budgets: dict[str, list[float]]


class TransferSpec(Strict):
    """Koerich protocol: attack ``source`` (2D, invertible representation), reconstruct audio,
    classify it with ``target`` (a waveform model)."""

    source: str
    target: str
    attacks: list[str] = Field(min_length=1)
    budget: float = Field(gt=0)


class Tolerance(Strict):
    """``|old - new| <= abs + rel * |old|`` passes (the rule of ``numpy.isclose``)."""

    abs: float = Field(0.0, ge=0)
    rel: float = Field(0.0, ge=0)


class Tolerances(Strict):
    """How far each metric may drift between two runs of the suite before ``arb compare`` fails.

    Deterministic CPU runs reproduce every number exactly; the slack absorbs other devices and
    library versions. Counts (examples, correct examples, gradient and forward evaluations) are
    exact by default: a changed count means the protocol changed, not the arithmetic.
    """

    accuracy: Tolerance = Tolerance(abs=0.02)
    fooling_rate: Tolerance = Tolerance(abs=0.02)
    fr_auc: Tolerance = Tolerance(abs=0.02)
    snr_db: Tolerance = Tolerance(abs=0.5)
    perturbation: Tolerance = Tolerance(rel=0.02)
    gradient_cost: Tolerance = Tolerance()
    counts: Tolerance = Tolerance()


class Suite(Strict):
    name: str
    version: int = Field(ge=1)
    description: str
    dataset: str
    dataset_params: dict[str, int | float | str] = {}
    seed: int = 0
    test_fold: int = Field(0, ge=0)
    #: evaluate only the first N tracks of each class in the test fold (all when unset): keeps
    #: small suites fast while every kept track still contributes all its segments (MV / SR)
    test_tracks_per_class: int | None = Field(None, ge=1)
    segment_seconds: float = Field(gt=0)
    overlap: float = Field(ge=0, lt=1)
    batch_size: int = Field(128, ge=1)
    models: dict[str, ModelSpec]
    attacks: list[AttackSpec] = []
    transfer: list[TransferSpec] = []
    #: budget of the primary leaderboard score per representation (worst-case robust accuracy over
    #: the attacks at that budget); a representation not listed uses each schedule's largest budget
    reference_budgets: dict[str, float] = {}
    tolerances: Tolerances = Tolerances()

    @model_validator(mode="after")
    def _references_resolve(self) -> Suite:
        for spec in self.models.values():
            MODELS.get(spec.architecture)
            REPRESENTATIONS.get(spec.representation)
        for attack in self.attacks:
            for backend in attack.backends:
                ATTACKS.get(f"{attack.attack}/{backend}")
            for model in attack.models:
                if model not in self.models:
                    raise ValueError(f"attack {attack.attack!r} names unknown model {model!r}")
                representation = self.models[model].representation
                if representation not in attack.budgets:
                    raise ValueError(
                        f"attack {attack.attack!r} has no budgets for representation {representation!r}"
                    )
        for representation, budget in self.reference_budgets.items():
            schedules = [a.budgets[representation] for a in self.attacks if representation in a.budgets]
            if not schedules:
                raise ValueError(f"reference_budgets names {representation!r}; no attack has budgets for it")
            if any(budget not in schedule for schedule in schedules):
                raise ValueError(
                    f"reference budget {budget} for {representation!r} must be in every "
                    f"{representation!r} budget schedule"
                )
        for transfer in self.transfer:
            for model in (transfer.source, transfer.target):
                if model not in self.models:
                    raise ValueError(f"transfer names unknown model {model!r}")
            for name in transfer.attacks:
                ATTACKS.get(name)
        return self

    def resolved(self) -> dict:
        """The fully resolved config (defaults filled in): what cell keys hash."""
        return self.model_dump(mode="json")


def suite_path(name: str) -> Path:
    path: Path = SUITES.get(name).path
    return path


def load_suite(name_or_path: str) -> Suite:
    """Load a suite by registered name or by path to a TOML file; one-line error otherwise."""
    path = Path(name_or_path) if name_or_path.endswith(".toml") else suite_path(name_or_path)
    if not path.is_file():
        raise BenchmarkError(f"suite file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise BenchmarkError(f"suite file {path} is not valid TOML: {error}") from None
    try:
        return Suite.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise BenchmarkError(f"suite file {path}: {where}: {first['msg']}") from None
