"""Published numbers from the seed papers, transcribed in ``registry/published/<paper>.toml``,
and their comparison with this harness's results.

Each file holds one paper's tables; each value keeps the table, row and column it was read from,
its unit as printed, and, where our harness measures the same thing, the ``suite``, ``entry`` and
``metric`` it corresponds to. Values without a counterpart stay in the file for reference only,
so a reader can still see what the paper reported and why nothing is compared with it.

The metric paths a value maps to, and how they are read from an entry, are in
:mod:`benchmark.leaderboard.metric_paths`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from benchmark.leaderboard.metric_paths import Kind, parse_metric, resolve
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.paths import project_root
from benchmark.validation import load_toml

Unit = Literal["percent", "fraction", "dB", "count"]
UNITS_OF_KIND: dict[Kind, tuple[Unit, ...]] = {
    "rate": ("percent", "fraction"),
    "dB": ("dB",),
    "count": ("count",),
}


class Record(BaseModel):
    """Unknown fields are errors and types are not coerced: a typo in a transcription never passes."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PublishedValue(Record):
    """One number as the paper prints it, where it was printed, and what it corresponds to here."""

    row: str = Field(min_length=1, description="row label as printed (merged cells spelled out)")
    column: str = Field(min_length=1, description="column label as printed")
    value: float = Field(description="the number in the table's (or this value's) unit")
    sd: float | None = Field(None, ge=0, description="the printed standard deviation, same unit")
    bound: Literal["lower", "upper"] | None = Field(
        None, description="the paper prints only a bound ('>90' is a lower bound of 90)"
    )
    unit: Unit | None = Field(None, description="overrides the table's unit")
    suite: str | None = Field(None, description="overrides the table's suite")
    entry: str | None = Field(None, description="model entry of the suite this value corresponds to")
    metric: str | None = Field(None, description="metric path this value corresponds to (metric_paths.py)")
    not_comparable: str | None = Field(
        None,
        description="why no metric here has the paper's definition: shown beside ``entry`` as "
        "'not comparable: <reason>' instead of a number",
    )
    note: str = ""

    @model_validator(mode="after")
    def _mapping(self) -> PublishedValue:
        where = f"row {self.row!r}, column {self.column!r}"
        if self.not_comparable is not None:
            if self.entry is None or self.metric is not None:
                raise ValueError(f"{where}: not_comparable takes an entry and no metric")
        elif (self.entry is None) != (self.metric is None):
            raise ValueError(f"{where}: give entry and metric together")
        if self.metric is not None:
            parse_metric(self.metric)
        return self


class PublishedTable(Record):
    table: str = Field(
        min_length=1, description="the paper's table number as printed ('III', '2'), or 'sec. 4.1' for text"
    )
    caption: str = Field(min_length=1)
    unit: Unit
    suite: str | None = Field(None, description="suite the mapped values correspond to")
    notes: str = ""
    values: list[PublishedValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_cells(self) -> PublishedTable:
        seen: set[tuple[str, str]] = set()
        for value in self.values:
            cell = (value.row, value.column)
            if cell in seen:
                raise ValueError(
                    f"table {self.table}: row {value.row!r}, column {value.column!r} appears twice"
                )
            seen.add(cell)
            if value.metric is not None:
                unit = value.unit or self.unit
                kind = parse_metric(value.metric).kind
                if unit not in UNITS_OF_KIND[kind]:
                    raise ValueError(
                        f"table {self.table}: {value.row!r}/{value.column!r} is in {unit} but "
                        f"{value.metric} is measured in {' or '.join(UNITS_OF_KIND[kind])}"
                    )
        return self


class PublishedPaper(Record):
    """One paper's transcribed tables (``registry/published/<name>.toml``)."""

    paper: str = Field(min_length=1, description="citation")
    seed: str = Field(min_length=1, description="the seed text the numbers were read from")
    units: str = Field(min_length=1, description="how units are stored (as printed, per table)")
    suite: str | None = Field(None, description="default suite of the mapped values")
    notes: str = ""
    tables: list[PublishedTable] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> PublishedPaper:
        ids = [t.table for t in self.tables]
        if len(set(ids)) != len(ids):
            raise ValueError(f"table ids must be unique, got {ids}")
        mapped: set[tuple[str, str, str]] = set()
        for table in self.tables:
            for value in table.values:
                if value.metric is None:
                    continue
                suite = value.suite or table.suite or self.suite
                if suite is None:
                    raise ValueError(
                        f"table {table.table}: {value.row!r}/{value.column!r} is mapped but no suite"
                    )
                key = (suite, value.entry or "", value.metric)
                if key in mapped:
                    raise ValueError(f"table {table.table}: {value.entry} {value.metric} is mapped twice")
                mapped.add(key)
        return self


@dataclass(frozen=True)
class Published:
    """A mapped value with its provenance, flattened for lookups."""

    paper: str
    source: str  # "Koerich et al. 2020, Table III, STFT / MV"
    suite: str
    entry: str
    metric: str | None  # None: not comparable
    value: float  # in the metric's own unit (percent converted to a fraction)
    sd: float | None
    bound: Literal["lower", "upper"] | None
    printed: str = ""  # the value with its unit as printed
    not_comparable: str | None = None  # the reason, where no metric has the paper's definition


def published_dir() -> Path:
    return project_root() / "registry" / "published"


def load_paper(path: Path) -> PublishedPaper:
    """Read and validate one file; one-line :class:`BenchmarkError` naming the first problem."""
    return load_toml(path, PublishedPaper, "published file")


def _short(citation: str) -> str:
    """'Koerich et al. 2020' from a full citation that starts with it."""
    return citation.split(",")[0].strip()


@lru_cache(maxsize=4)
def _mapped(folder: Path) -> tuple[Published, ...]:
    found = []
    for path in sorted(folder.glob("*.toml")):
        paper = load_paper(path)
        for table in paper.tables:
            for v in table.values:
                if v.entry is None:
                    continue
                unit = v.unit or table.unit
                scale = 0.01 if unit == "percent" else 1.0
                label = table.table if table.table.startswith("sec.") else f"Table {table.table}"
                found.append(
                    Published(
                        paper=_short(paper.paper),
                        source=f"{_short(paper.paper)}, {label}, {v.row} / {v.column}",
                        suite=v.suite or table.suite or paper.suite or "",
                        entry=v.entry,
                        metric=v.metric,
                        value=v.value * scale,
                        sd=None if v.sd is None else v.sd * scale,
                        bound=v.bound,
                        printed=f"{v.value:g}" + (" %" if unit == "percent" else ""),
                        not_comparable=v.not_comparable,
                    )
                )
    return tuple(found)


def mapped_values(folder: Path | None = None) -> tuple[Published, ...]:
    """Every published value placed beside an entry: with a counterpart here, or marked not
    comparable (files are read once per process)."""
    return _mapped(folder or published_dir())


@dataclass(frozen=True)
class Comparison:
    entry: str
    metric: str
    kind: Kind
    this_run: float
    published: Published


def comparisons(entries: Sequence[LeaderboardEntry], folder: Path | None = None) -> list[Comparison]:
    """Every (entry, metric) that both this run and a paper report, in entry then file order."""
    values = mapped_values(folder)
    found = []
    for entry in entries:
        for item in values:
            if item.suite != entry.suite.name or item.entry != entry.entry or item.metric is None:
                continue
            measured = resolve(entry, item.metric)
            if measured is not None:
                found.append(
                    Comparison(entry.entry, item.metric, parse_metric(item.metric).kind, measured, item)
                )
    return found


def not_comparable(entries: Sequence[LeaderboardEntry], folder: Path | None = None) -> list[Published]:
    """The published values beside ``entries`` that no metric here measures with the paper's
    definition (each carries its reason)."""
    names = {(entry.suite.name, entry.entry) for entry in entries}
    return [v for v in mapped_values(folder) if v.metric is None and (v.suite, v.entry) in names]
