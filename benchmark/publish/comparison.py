"""The papers' published numbers beside this run's (values from :mod:`benchmark.leaderboard.published`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmark.leaderboard.metric_paths import Kind
from benchmark.leaderboard.published import comparisons, not_comparable
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.publish.tables import Column, Table

COMPARISON_TITLE = "Published beside this run"
COMPARISON_NOTE = (
    "Rates in %, SNR in dB, gradients per example. Published values are the papers' (registry/published/); "
    "the protocols differ where the suite's description says so."
)
COLUMNS = (
    Column("entry"),
    Column("metric"),
    Column("this run", numeric=True),
    Column("published", numeric=True),
    Column("source"),
)


def _show(value: float, kind: Kind) -> str:
    if kind == "rate":
        return f"{100 * value:.2f}"
    return f"{value:.2f}" if kind == "dB" else f"{value:.1f}"


def comparison_rows(entries: Sequence[LeaderboardEntry], folder: Path | None = None) -> list[list[str]]:
    """Rows of the 'published beside this run' table: entry, metric, this run, published, source."""
    rows = []
    for c in comparisons(entries, folder):
        p = c.published
        shown = _show(p.value, c.kind)
        if p.bound:
            shown = (">" if p.bound == "lower" else "<") + shown
        if p.sd is not None:
            shown += f" ± {_show(p.sd, c.kind)}"
        rows.append([c.entry, c.metric, _show(c.this_run, c.kind), shown, p.source])
    for p in not_comparable(entries, folder):
        rows.append([p.entry, f"not comparable: {p.not_comparable}", "—", p.printed, p.source])
    return rows


def comparison_tables(entries: Sequence[LeaderboardEntry], folder: Path | None = None) -> list[Table]:
    """The comparison as a list of one table, or none where nothing compares (so a caller appends
    it to its own tables as it is)."""
    rows = comparison_rows(entries, folder)
    return [Table(COMPARISON_TITLE, COLUMNS, rows, notes=COMPARISON_NOTE, keys=(0, 1))] if rows else []
