"""A settings sweep's declaration and its results file (Esmaeilpour et al. 2021 sec. 4.3, Tables 2-4
and 7): what ``arb sweep`` trains and attacks, and the validated ``sweep.json`` it writes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from benchmark.errors import BenchmarkError
from benchmark.leaderboard.schema import Accuracy
from benchmark.models.spec import TrainingRecipe
from benchmark.validation import Seed, Strict

SWEEP_SCHEMA_VERSION = 1
#: the one setting that is not a representation parameter: it is the rate the dataset is made at
SAMPLE_RATE = "sample_rate"

Value = int | float | str | bool | None


def parse_value(text: str) -> Value:
    """A command-line setting value: ``none`` / ``true`` / ``false``, an integer, a number, or text."""
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_assignment(text: str, *, many: bool) -> tuple[str, list[Value]]:
    """``name=v1,v2,...`` (``many``) or ``name=v``; one-line error otherwise."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip() or not values.strip():
        example = "n_mfcc=13,20,40" if many else "n_fft=1024"
        raise BenchmarkError(f"{text!r} is not NAME={'V1,V2,...' if many else 'VALUE'} (e.g. {example})")
    parsed = [parse_value(part) for part in values.split(",")] if many else [parse_value(values)]
    return name.strip(), parsed


def value_label(value: Value) -> str:
    """How a value appears in entry names, tables and plots: ``none``, ``0.25``, ``ortho``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class SweepConfig(Strict):
    """What a sweep trains and attacks; recorded in ``sweep.json``."""

    architecture: str
    config: str = "compact"
    representation: str
    #: the swept setting: a representation parameter, or ``sample_rate`` (the dataset's rate)
    setting: str
    values: list[Value] = Field(min_length=1)
    #: fixed representation parameters, the same for every value
    params: dict[str, Value] = {}
    #: ``attack/backend``, one table column each
    attacks: list[str] = Field(min_length=1)
    #: the budget schedule every attack runs, in the representation's units (or iterations / fractions
    #: for attacks whose budget is one)
    budgets: list[float] = Field(min_length=1)
    training: TrainingRecipe = TrainingRecipe(epochs=3, batch_size=50, learning_rate=2e-3, patience=4)
    dataset: str = "synth10"
    dataset_params: dict[str, int | float | str] = {}
    seed: Seed = 0
    test_fold: int = Field(0, ge=0)
    test_tracks_per_class: int | None = Field(2, ge=1)
    segment_seconds: float = Field(1.0, gt=0)
    overlap: float = Field(0.75, ge=0, lt=1)
    batch_size: int = Field(128, ge=1)

    @property
    def name(self) -> str:
        return f"sweep-{self.architecture}-{self.representation}-{self.setting}"

    def entry(self, value: Value) -> str:
        return f"{self.architecture}_{self.representation}_{self.setting}-{value_label(value)}"


class SweepAttack(Strict):
    """One attack at one setting value (Esmaeilpour Tables 2-4, 7: "AUC score, number of gradients")."""

    fr_auc: float | None = Field(ge=0, le=1, description="FR-AUC over the budget schedule")
    gradients_per_example: float = Field(
        ge=0, description="input gradients per example, averaged over the budget schedule"
    )
    gradients_to_fr90: float | None = Field(
        ge=0, description="gradients per example at the first budget with FR >= 0.9 (Figs. 1-5)"
    )


class SweepRow(Strict):
    value: Value
    entry: str
    clean: Accuracy = Field(description="clean accuracy on the attacked test segments / tracks")
    attacks: dict[str, SweepAttack]
    results_file: str = Field(description="the entry's leaderboard file, relative to the sweep folder")


class SweepResult(Strict):
    schema_version: Literal[1] = SWEEP_SCHEMA_VERSION
    harness_version: str
    git_commit: str | None
    created_utc: str
    sweep: SweepConfig
    dataset: dict[str, Any]
    test_segments: int = Field(ge=1)
    rows: list[SweepRow] = Field(min_length=1)
