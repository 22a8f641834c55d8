"""Plan: a suite resolved once into an ordered list of typed cell specs, every check done.

Planning runs before any cell: unknown names, attack hyperparameters, budget schedules against
each model's input bounds, SNR schedules through backends without per-example radii, transfer
pairs without an inverse. A bad suite fails here in one line with nothing run or written. The
facts a plan needs about the data and the models (identities, bounds) are handed in by the
caller, so planning imports nothing from the stages that load or run them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import benchmark
from benchmark.attacks.base import build_attack
from benchmark.budgets import Bounds, Domain, Schedule, check_schedule
from benchmark.errors import BenchmarkError
from benchmark.jsonio import sha256_of
from benchmark.plan.facts import DataFacts, ModelFacts, Plan, whole_tracks
from benchmark.plan.specs import (
    AnyCellSpec,
    AttackCellSpec,
    TransferabilityCellSpec,
    TransferCellSpec,
)
from benchmark.plan.suite import AttackSpec, Suite, TransferabilitySpec, TransferSpec, linf_epsilon

__all__ = [
    "DataFacts",
    "ModelFacts",
    "Plan",
    "Planner",
    "check_attack",
    "plan_suite",
    "scores",
    "whole_tracks",
]

#: the gradient mode and judging of a cell on an undefended model (left out of its key)
UNADAPTED: dict[str, Any] = {"bpda": False, "eot": 1, "draws": 1}


def scores(spec: AttackSpec, score_domain: Domain) -> bool:
    """Whether ``spec`` is of the kind the primary score compares: a Linf epsilon attack in the
    suite's score domain (the model's own input by default; other units never compete)."""
    return spec.domain == score_domain and linf_epsilon(spec)


def check_attack(
    name: str,
    backend: str,
    params: Mapping[str, Any],
    *,
    targeted: bool,
    budgets: Sequence[float],
    bounds: Bounds,
    per_example: bool = False,
    eot: int = 1,
) -> None:
    """Build the attack (its hyperparameters) and check its schedule against the input bounds."""
    attack = build_attack(name, backend, dict(params), targeted).with_eot(eot)
    check_schedule(name, backend, budgets, bounds, attack.norm, attack.budget_kind)
    if per_example:
        attack.require_per_example_budgets()


class Planner:
    """Resolve a suite against the facts of its data and models."""

    def __init__(self, suite: Suite, data: DataFacts, models: Mapping[str, ModelFacts]) -> None:
        self.suite = suite
        self.data = data
        self.models = dict(models)

    def common_key(self, entry: str) -> dict[str, Any]:
        """What every cell key of ``entry`` holds: harness version, data slice, seed, model identity."""
        suite = self.suite
        return {
            "harness_version": benchmark.__version__,
            "dataset": self.data.identity,
            "test_fold": suite.test_fold,
            "test_tracks_per_class": suite.test_tracks_per_class,
            "segment_seconds": suite.segment_seconds,
            "overlap": suite.overlap,
            "seed": suite.seed,
            "batch_size": suite.batch_size,
            "model": entry,
            **self.models[entry].identity,
        }

    def _common(self, label: str, owner: str, attack: str, backend: str, examples: Any) -> dict[str, Any]:
        return {
            "owner": owner,
            "label": label,
            "attack": attack,
            "backend": backend,
            "seed": self.suite.seed,
            "batch_size": self.suite.batch_size,
            "examples": examples,
        }

    def attack_cell(self, spec: AttackSpec, entry: str, backend: str) -> AttackCellSpec:
        model = self.models[entry]
        schedule = Schedule.resolve(spec.budgets, domain=spec.domain, representation=model.representation)
        check_attack(
            spec.attack,
            backend,
            spec.params,
            targeted=spec.targeted,
            budgets=schedule.budgets,
            bounds=schedule.bounds(model.bounds, domain=spec.domain),
            per_example=schedule.per_example,
            eot=spec.eot,
        )
        draws = self.suite.defense_draws if model.randomized else 1
        # the gradient mode and the judging draws enter the key only where they are not the
        # defaults, so the cells of undefended models keep their keys
        adaptive = {"bpda": spec.bpda, "eot": spec.eot, "draws": draws}
        key = sha256_of(
            {
                "kind": "attack",
                **self.common_key(entry),
                "attack": spec.attack,
                "backend": backend,
                "params": spec.params,
                "targeted": spec.targeted,
                "domain": spec.domain,
                "max_examples": spec.max_examples,
                "min_clean_correct": self.suite.min_clean_correct,
                "budget_table": schedule.table,
                "budgets": list(schedule.declared),
                **{name: value for name, value in adaptive.items() if value != UNADAPTED[name]},
                **({"surrogates": list(model.surrogates)} if spec.bpda and model.surrogates else {}),
                **({"name": spec.name} if spec.name is not None else {}),
            }
        )
        field = f"attack {spec.attack!r} max_examples"
        examples = whole_tracks(self.data.test_tracks, spec.max_examples, field)
        scored = spec.score and scores(spec, self.suite.score_domain)
        if scored:
            self._check_score_set(spec, examples)
        return AttackCellSpec(
            key=key,
            **self._common(f"{entry} {spec.cell_label(backend)}", entry, spec.attack, backend, examples),
            model=entry,
            representation=model.representation,
            domain=spec.domain,
            params=spec.params,
            targeted=spec.targeted,
            max_examples=spec.max_examples,
            min_clean_correct=self.suite.min_clean_correct,
            scored=scored,
            budget_table=schedule.table,
            budgets=schedule.declared,
            name=spec.name,
            **adaptive,
        )

    def _check_score_set(self, spec: AttackSpec, examples: tuple[int, ...] | None) -> None:
        """A scored attack runs on exactly the score set, else one line naming the fields."""
        score_set = whole_tracks(self.data.test_tracks, self.suite.score_max_examples, "score_max_examples")
        if examples != score_set:
            size = len(examples) if examples is not None else self.data.test_segments
            wanted = len(score_set) if score_set is not None else self.data.test_segments
            raise BenchmarkError(
                f"attack {spec.attack!r} enters the score but runs on {size} segments (max_examples = "
                f"{spec.max_examples}), not the score set's {wanted} (score_max_examples = "
                f"{self.suite.score_max_examples}): set `score = false` on it (reported, not scored) or "
                f"give it the score set's max_examples"
            )

    def transfer_cells(self, spec: TransferSpec) -> list[TransferCellSpec]:
        source, target = self.models[spec.source], self.models[spec.target]
        if not source.invertible:
            raise BenchmarkError(f"transfer source {spec.source!r} has a representation without an inverse")
        if target.domain != "waveform":
            raise BenchmarkError(f"transfer target {spec.target!r} must be a waveform model")
        cells = []
        for name in spec.attacks:
            attack, backend = name.split("/", 1)
            check_attack(attack, backend, {}, targeted=False, budgets=[spec.budget], bounds=source.bounds)
            key = sha256_of(
                {
                    "kind": "transfer",
                    "source": self.common_key(spec.source),
                    "target": self.common_key(spec.target),
                    "attack": name,
                    "budget": spec.budget,
                }
            )
            label = f"transfer {spec.source}->{spec.target} {name}"
            common = self._common(label, spec.source, attack, backend, None)
            cells.append(
                TransferCellSpec(
                    key=key, **common, source=spec.source, target=spec.target, budget=spec.budget
                )
            )
        return cells

    def transferability_cells(self, table: TransferabilitySpec) -> list[TransferabilityCellSpec]:
        bounds = self.models[table.models[0]].bounds
        for name, budget in table.attacks.items():
            attack, backend = name.split("/", 1)
            check_attack(attack, backend, {}, targeted=False, budgets=[budget], bounds=bounds)
        examples = whole_tracks(self.data.test_tracks, table.max_examples, "transferability max_examples")
        cells = []
        for source in table.models:
            targets = tuple(entry for entry in table.models if entry != source)
            for name, budget in table.attacks.items():
                attack, backend = name.split("/", 1)
                key = sha256_of(
                    {
                        "kind": "transferability",
                        "source": self.common_key(source),
                        "targets": [self.common_key(target) for target in targets],
                        "attack": name,
                        "budget": budget,
                        "max_examples": table.max_examples,
                    }
                )
                common = self._common(f"transferability {source} {name}", source, attack, backend, examples)
                cells.append(
                    TransferabilityCellSpec(
                        key=key,
                        **common,
                        source=source,
                        targets=targets,
                        budget=budget,
                        max_examples=table.max_examples,
                    )
                )
        return cells


def plan_suite(
    suite: Suite,
    data: DataFacts,
    models: Mapping[str, ModelFacts],
    *,
    attacked_by: Callable[[AttackSpec], list[str]] | None = None,
    variants: Callable[[AttackSpec], list[AttackSpec]] | None = None,
) -> Plan:
    """Every cell of ``suite`` on ``models`` (attack cells, then transfer, then transferability),
    checked. ``attacked_by`` picks the entries an attack spec runs on (default: the spec's own
    ``models``; a submission is attacked by every spec with budgets for its representation);
    ``variants`` turns each spec into the versions that run (default: itself; a defended or
    randomized submission adds its adaptive version). A cell two specs plan alike (a submission's
    adapted version of a spec the suite already adapts, e.g. the ``defenses`` suite's ``bpda = true``
    PGD) is planned once: a suite's own labels are unique, so only such a repeat is dropped."""
    planner = Planner(suite, data, models)
    pick = attacked_by or (lambda spec: spec.models)
    expand = variants or (lambda spec: [spec])
    attack_cells = (
        planner.attack_cell(variant, entry, backend)
        for spec in suite.attacks
        for entry in pick(spec)
        for variant in expand(spec)
        for backend in variant.backends
    )
    unique: dict[str, AnyCellSpec] = {}
    for cell in attack_cells:
        unique.setdefault(cell.key, cell)
    cells = list(unique.values())
    for transfer in suite.transfer:
        if {transfer.source, transfer.target} <= models.keys():
            cells += planner.transfer_cells(transfer)
    for table in suite.transferability:
        if set(table.models) <= models.keys():
            cells += planner.transferability_cells(table)
    return Plan(suite, data, dict(models), tuple(cells))
