"""Suites: named, versioned grids of cells declared in ``registry/suites/<name>.toml``.

A suite pairs one dataset protocol with reference models (architecture x representation x
training recipe), attacks (attack x backends x budget schedule per representation) and
2D->1D transfer experiments. The resolved suite is hashed into every cell key, so changing
anything in it invalidates exactly the cells it affects; changing what a suite *means*
must bump its ``version``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from benchmark.budgets import SNR_DB, WAVEFORM, Domain, schedule_table
from benchmark.defenses.base import check_adaptive, check_chain, defense_class
from benchmark.errors import BenchmarkError
from benchmark.models.spec import ModelSpec
from benchmark.paths import safe_name
from benchmark.registry import ATTACKS, MODELS, REPRESENTATIONS, SUITES
from benchmark.tolerances import Tolerances
from benchmark.validation import Seed, Strict, load_toml


class AttackSpec(Strict):
    attack: str
    backends: list[str] = Field(min_length=1)
    models: list[str] = Field(min_length=1)
    params: dict[str, int | float | str | bool] = {}
    targeted: bool = False
    #: what the attack perturbs: the model's input representation (the seed papers' setting), or
    #: the waveform, end to end through the differentiable representation (DESIGN.md, Threat model)
    domain: Domain = "representation"
    #: attack only the segments of evenly spaced whole test tracks, at most this many segments (all
    #: when unset): the RobustBench practice for attacks that cost minutes per example (CW, JSMA,
    #: AutoAttack); whole tracks keep MV / SR meaningful
    max_examples: int | None = Field(None, ge=1)
    #: whether the attack enters the primary score (only Linf epsilon attacks on the model's own
    #: input can); one run on another example set than the suite's score set must set false
    score: bool = True
    #: budget schedule per representation name, in that domain's normalized units; a waveform-
    #: domain attack keys its schedule ``waveform`` (amplitude) or ``snr_db`` (target SNR in dB,
    #: from the weakest attack -- the highest SNR -- down)
    budgets: dict[str, list[float]]
    #: adaptive attack on defended models (Athalye et al. 2018): BPDA differentiates each defense
    #: without an exact gradient through its surrogate; EOT averages the gradient over this many
    #: draws of a randomized defense (each draw counted). Left out of dumps at their defaults.
    bpda: bool = Field(False, exclude_if=lambda value: not value)
    eot: int = Field(1, ge=1, exclude_if=lambda value: value == 1)
    #: tells this spec's cells from another spec's of the same attack on the same entry (e.g. one
    #: with twice the steps): appended to their labels and keys. Left out of dumps when unset, so
    #: cells without it keep their keys and labels.
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9_.+-]+$", exclude_if=lambda value: value is None)

    def cell_label(self, backend: str) -> str:
        """How the results name this spec's cell on a model: ``AttackCell.label``'s marks, so two
        specs whose cells would share a label are caught before anything runs."""
        marks = (" targeted" if self.targeted else "") + (" @waveform" if self.domain == "waveform" else "")
        marks += (" bpda" if self.bpda else "") + (f" eot{self.eot}" if self.eot > 1 else "")
        return f"{self.attack}/{backend}{marks}" + (f" {self.name}" if self.name else "")


class TransferSpec(Strict):
    """Koerich protocol: attack ``source`` (2D, invertible representation), reconstruct audio,
    classify it with ``target`` (a waveform model)."""

    source: str
    target: str
    attacks: list[str] = Field(min_length=1)
    budget: float = Field(gt=0)


class TransferabilitySpec(Strict):
    """Esmaeilpour et al. 2021 Table 9: adversarials crafted on each of ``models`` (all on one
    representation with identical settings) by each attack at its budget, judged on the others."""

    models: list[str] = Field(min_length=2)
    #: ``attack/backend`` -> its budget (in that attack's budget kind)
    attacks: dict[str, float] = Field(min_length=1)
    max_examples: int | None = Field(None, ge=1)


def linf_epsilon(spec: AttackSpec) -> bool:
    """Whether the attack's budgets are Linf radii (its first backend speaks for all)."""
    cls = ATTACKS.get(f"{spec.attack}/{spec.backends[0]}")
    return cls.budget_kind == "epsilon" and cls.norm == "linf"


def check_defended(entry: str, spec: ModelSpec, models: dict[str, ModelSpec]) -> None:
    """A defended entry names an undefended entry of the same model, and its chain builds."""
    where = f"model {entry!r}"
    if spec.undefended is not None:
        base = models[spec.undefended]  # an undefended entry: checked where the entry inherits it
        if base.checkpoint_spec() != spec.checkpoint_spec():
            raise BenchmarkError(f"{where}: differs from {spec.undefended!r} in more than its defense")
        if not spec.defense:
            raise BenchmarkError(f"{where}: names undefended = {spec.undefended!r} but no defense")
    elif spec.defense:
        raise BenchmarkError(f"{where}: a defense needs undefended = <the entry whose checkpoint it uses>")
    check_chain(spec.defense, where)


def check_adaptive_attack(attack: AttackSpec, entry: str, spec: ModelSpec) -> None:
    """One line for BPDA / EOT that cannot apply, and for a representation-domain attack that would
    skip a waveform defense."""
    where = f"attack {attack.attack!r} on model {entry!r}"
    if (attack.bpda or attack.eot > 1) and not spec.defense:
        raise BenchmarkError(f"{where}: bpda / eot need a defended model; remove them or name a defended one")
    check_adaptive(spec.defense, bpda=attack.bpda, eot=attack.eot, where=where)
    waveform = [d.name for d in spec.defense if defense_class(d.name, where).domain == "waveform"]
    if waveform and attack.domain != "waveform":
        raise BenchmarkError(
            f"{where}: the waveform defense {waveform[0]!r} acts before the representation; "
            'set domain = "waveform"'
        )


def _check_unique_labels(attacks: list[AttackSpec]) -> None:
    """Results, tables and ``arb compare`` name an entry's cells by label: two specs whose cells on
    one model would share one are refused in one line naming the fix."""
    seen: dict[tuple[str, str], int] = {}
    for number, attack in enumerate(attacks, 1):
        for model in attack.models:
            for backend in attack.backends:
                label = attack.cell_label(backend)
                first = seen.setdefault((model, label), number)
                if first != number:
                    raise ValueError(
                        f"attacks #{first} and #{number} both run {label!r} on model {model!r}: give one "
                        'of them a distinguishing name = "..." (e.g. name = "steps10")'
                    )


class Suite(Strict):
    name: str
    version: int = Field(ge=1)
    description: str
    dataset: str
    dataset_params: dict[str, int | float | str] = {}
    seed: Seed = 0
    test_fold: int = Field(0, ge=0)
    #: evaluate only the first N tracks of each class in the test fold (all when unset): keeps
    #: small suites fast while every kept track still contributes all its segments (MV / SR)
    test_tracks_per_class: int | None = Field(None, ge=1)
    segment_seconds: float = Field(gt=0)
    overlap: float = Field(ge=0, lt=1)
    #: a track shorter than one segment is zero-padded ("pad") or repeated ("repeat") to one, for
    #: every dataset (benchmark.data.segments). Both options below are left out of the resolved
    #: config at their defaults, so suites that do not set them resolve as before (their committed
    #: results keep their config); cell keys see what the options changed through the data identity.
    short_clips: Literal["pad", "repeat"] = Field("pad", exclude_if=lambda mode: mode == "pad")
    #: keep segments of digital silence, which are dropped from data read from files by default
    keep_silence: bool = Field(False, exclude_if=lambda keep: not keep)
    batch_size: int = Field(128, ge=1)
    models: dict[str, ModelSpec]
    attacks: list[AttackSpec] = []
    transfer: list[TransferSpec] = []
    transferability: list[TransferabilitySpec] = []
    #: budget of the primary leaderboard score per representation (worst-case robust accuracy over
    #: the attacks at that budget); a representation not listed uses each schedule's largest budget
    reference_budgets: dict[str, float] = {}
    #: which Linf epsilon attacks the primary score compares: those on each model's own input
    #: ("representation"), or those on the audio for every model ("waveform": the end-to-end threat
    #: model of the defenses suite, where a defense sits in front of the representation)
    score_domain: Domain = Field("representation", exclude_if=lambda domain: domain == "representation")
    #: the score set: segments of evenly spaced whole test tracks, at most this many (all when unset);
    #: every attack that enters the score runs on exactly this set
    score_max_examples: int | None = Field(None, ge=1)
    #: an attack cell with fewer clean-correct examples has no fooling rate (null, never 0), and the
    #: entry is flagged ``few_correct``
    min_clean_correct: int = Field(10, ge=1)
    tolerances: Tolerances = Tolerances()
    #: independent forward passes a randomized defense is judged over: an example is robust only
    #: if every pass is correct (left out of dumps at its default)
    defense_draws: int = Field(5, ge=1, le=100, exclude_if=lambda value: value == 5)

    @model_validator(mode="before")
    @classmethod
    def _expand_defended(cls, data: Any) -> Any:
        """A defended entry (``undefended = "X"``) inherits X's architecture, representation and recipe."""
        models = data.get("models") if isinstance(data, dict) else None
        if not isinstance(models, dict):
            return data
        expanded = {}
        for entry, spec in models.items():
            named = spec.get("undefended") if isinstance(spec, dict) else None
            if named is not None:
                base = models.get(named)
                if not isinstance(base, dict) or "undefended" in base:
                    raise BenchmarkError(f"model {entry!r}: undefended = {named!r} is no undefended entry")
                spec = {**{k: v for k, v in base.items() if k != "defense"}, **spec}
            expanded[entry] = spec
        return {**data, "models": expanded}

    @field_validator("name", "dataset")
    @classmethod
    def _is_a_file_name(cls, value: str) -> str:
        """Suite and dataset names become folders of the leaderboard tree."""
        return safe_name(value, "name")

    @field_validator("models")
    @classmethod
    def _entries_are_file_names(cls, value: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
        """Model entries become results, checkpoint and figure file names."""
        for entry in value:
            safe_name(entry, "model entry")
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> Suite:
        for entry, spec in self.models.items():
            MODELS.get(spec.architecture)
            REPRESENTATIONS.get(spec.representation)
            check_defended(entry, spec, self.models)
        _check_unique_labels(self.attacks)
        for attack in self.attacks:
            for backend in attack.backends:
                ATTACKS.get(f"{attack.attack}/{backend}")
            for model in attack.models:
                if model not in self.models:
                    raise ValueError(f"attack {attack.attack!r} names unknown model {model!r}")
                representation = self.models[model].representation
                key = schedule_table(attack.budgets, domain=attack.domain, representation=representation)
                if key not in attack.budgets:
                    raise ValueError(
                        f"attack {attack.attack!r} has no budgets for {key!r} (model {model!r}, "
                        f"domain {attack.domain!r})"
                    )
                check_adaptive_attack(attack, model, self.models[model])
            snr = attack.budgets.get(SNR_DB)
            if snr is not None and (attack.domain != "waveform" or snr != sorted(snr, reverse=True)):
                raise ValueError(
                    f'attack {attack.attack!r}: an {SNR_DB} schedule needs domain = "waveform" and '
                    f"target SNRs sorted descending (weakest attack first), got {snr}"
                )
        for representation, budget in self.reference_budgets.items():
            # the score compares Linf epsilon attacks in the score domain (leaderboard.scoring)
            if self.score_domain == WAVEFORM and representation != WAVEFORM:
                raise ValueError(
                    f'reference_budgets names {representation!r}, but score_domain = "waveform" scores '
                    "attacks on the audio: give the budget as reference_budgets.waveform"
                )
            schedules = [
                a.budgets[representation]
                for a in self.attacks
                if representation in a.budgets and a.domain == self.score_domain and linf_epsilon(a)
            ]
            if not schedules:
                raise ValueError(
                    f"reference_budgets names {representation!r}; no Linf epsilon attack has budgets for it"
                )
            if any(budget not in schedule for schedule in schedules):
                raise ValueError(
                    f"reference_budgets.{representation} = {budget} is not in every Linf epsilon "
                    f"{representation!r} budget schedule: add it to each schedule or pick one they share"
                )
        for table in self.transferability:
            for model in table.models:
                if model not in self.models:
                    raise ValueError(f"transferability names unknown model {model!r}")
            settings = {
                (self.models[m].representation, str(sorted(self.models[m].representation_params.items())))
                for m in table.models
            }
            if len(settings) > 1:
                raise ValueError(
                    f"transferability models {table.models} must share one representation and its settings"
                )
            for name in table.attacks:
                ATTACKS.get(name)
        for transfer in self.transfer:
            for model in (transfer.source, transfer.target):
                if model not in self.models:
                    raise ValueError(f"transfer names unknown model {model!r}")
            for name in transfer.attacks:
                ATTACKS.get(name)
        return self

    def attacked_inputs(self) -> list[str]:
        """The model inputs (representation names) some attack has budgets for."""
        return sorted({name for attack in self.attacks for name in attack.budgets})

    def resolved(self) -> dict:
        """The fully resolved config (defaults filled in): what cell keys hash."""
        return self.model_dump(mode="json")


def suite_path(name: str) -> Path:
    path: Path = SUITES.get(name).path
    return path


def load_suite(name_or_path: str) -> Suite:
    """Load a suite by registered name or by path to a TOML file; one-line error otherwise."""
    path = Path(name_or_path) if name_or_path.endswith(".toml") else suite_path(name_or_path)
    return load_toml(path, Suite, "suite file")
