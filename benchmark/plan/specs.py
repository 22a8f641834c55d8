"""Typed cell specs: what one unit of work computes, resolved once from a suite.

A cell spec names everything its result depends on (model entry, representation, domain,
attack, backend, schedule, examples, seed, batch size) and nothing about where it runs (no
device, no paths), so any executor can run it and its ``key`` (the content hash the cache
and results files use) is the same everywhere. Specs hash and compare by that key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from benchmark.budgets import Domain, Schedule


class CellSpec(BaseModel):
    """Common fields of every cell: its identity, its owner's results file and its seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(description="sha256 of everything the result depends on (the cache key)")
    owner: str = Field(description="the entry whose results file holds this cell")
    label: str = Field(description="how progress and logs name the cell")
    attack: str
    backend: str
    seed: int
    batch_size: int
    #: test-set indices of the attacked segments, ascending (None: every test segment)
    examples: tuple[int, ...] | None = None

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellSpec) and other.key == self.key


class AttackCellSpec(CellSpec):
    """One attack through one backend on one model over a budget schedule."""

    kind: Literal["attack"] = "attack"
    model: str
    representation: str
    domain: Domain
    params: dict[str, Any] = {}
    targeted: bool = False
    max_examples: int | None = None
    #: an attack with fewer clean-correct examples reports FR as null
    min_clean_correct: int = 1
    #: whether the cell enters the primary score (on the score set; not part of the key)
    scored: bool = False
    budget_table: str
    budgets: tuple[float, ...]
    #: gradient mode on a defended model: BPDA through the defenses' surrogates, EOT gradients per step
    bpda: bool = False
    eot: int = 1
    #: forward passes each adversarial example is judged over (a randomized defense: > 1)
    draws: int = 1
    #: the spec's distinguishing name (two specs of one attack on one entry), if any
    name: str | None = None

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.budget_table, self.budgets)


class TransferCellSpec(CellSpec):
    """Koerich et al. 2020 sec. III-IV: attack a 2D source, classify its reconstructed audio with a
    waveform target."""

    kind: Literal["transfer"] = "transfer"
    source: str
    target: str
    budget: float


class TransferabilityCellSpec(CellSpec):
    """Esmaeilpour et al. 2021 Table 9, one row: adversarials crafted on ``source`` judged on
    ``targets``."""

    kind: Literal["transferability"] = "transferability"
    source: str
    targets: tuple[str, ...]
    budget: float
    max_examples: int | None = None


AnyCellSpec = Annotated[
    AttackCellSpec | TransferCellSpec | TransferabilityCellSpec, Field(discriminator="kind")
]
