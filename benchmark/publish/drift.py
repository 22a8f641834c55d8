"""The table ``arb compare`` prints: one row per metric beyond its tolerance."""

from __future__ import annotations

from benchmark.leaderboard.compare import Comparison, Value
from benchmark.publish.tables import Column, Table


def _show(value: Value | str) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "null" if value is None else str(value)


DRIFT_COLUMNS = (
    Column("entry"),
    Column("where"),
    Column("metric"),
    *(Column(title, numeric=True) for title in ("old", "new", "|new - old|")),
    Column("tolerance"),
)


def drift_table(comparison: Comparison) -> Table:
    """One row per drift; the entry, where and metric columns name it in every part of a split table."""
    rows = []
    for drift in comparison.drifts:
        difference = ""
        if isinstance(drift.old, int | float) and isinstance(drift.new, int | float):
            difference = f"{abs(drift.new - drift.old):.3g}"
        old, new = _show(drift.old), _show(drift.new)
        rows.append([drift.entry, drift.where, drift.metric, old, new, difference, drift.tolerance])
    title = "Drift beyond tolerance (tolerances from the OLD file's suite)"
    return Table(title, DRIFT_COLUMNS, rows, keys=(0, 1, 2))
