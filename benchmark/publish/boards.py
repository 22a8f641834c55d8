"""The ranked leaderboard of a suite: one board per threat model, in the terminal and in Markdown
(the HTML page is :mod:`benchmark.publish.page`).

Entries rank by their primary score (schema ``Score``: the lowest robust segment accuracy over
the suite's attacks at the reference budget), ties broken by clean accuracy. Budgets are in each
threat model's own units (waveform amplitude, normalized representation units), so entries rank
within one (dataset, attacked representation) board at a time, as RobustBench keeps separate
Linf and L2 boards.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from benchmark.leaderboard.schema import AttackCell, BudgetResult, LeaderboardEntry
from benchmark.publish.comparison import comparison_tables
from benchmark.publish.tables import Cell, Column, Table, to_markdown

NOTE = (
    "Ranked by robust accuracy (segments) under the strongest of the suite's attacks at its reference "
    "budget; "
    "FR-AUC is the strongest backend's, gradients per example are at the reference budget, SNR is the "
    "strongest attack's. Flags mark results that look like gradient masking."
)


@dataclass
class Board:
    """One threat model's ranked table; each row maps a column key to its cell."""

    title: str
    columns: list[Column]
    entries: list[LeaderboardEntry]  # in rank order
    rows: list[dict[str, Cell]]


def _pct(value: float | None) -> Cell:
    return Cell("—") if value is None else Cell(f"{100 * value:.1f}", value)


def _num(value: float | None, digits: int) -> Cell:
    return Cell("—") if value is None else Cell(f"{value:.{digits}f}", value)


def _at(cell: AttackCell, budget: float | None) -> BudgetResult:
    """The cell's result at ``budget`` (the reference budget), else at its largest budget."""
    return next((p for p in cell.per_budget if p.budget == budget), cell.per_budget[-1])


def _row(rank: int, entry: LeaderboardEntry, attacks: list[str]) -> dict[str, Cell]:
    score = entry.score
    budget = score.budget if score else None
    paper = entry.submission.paper if entry.submission else None
    row: dict[str, Cell] = {
        "rank": Cell(str(rank), rank),
        "entry": Cell(entry.entry, entry.entry, paper),
        "clean": _pct(entry.model.clean.segment),
        "robust": _pct(score.robust_accuracy.segment if score else None),
        "attack": Cell(f"{score.attack} @ {score.budget:g}", score.attack) if score else Cell("—"),
    }
    for name in attacks:
        cells = [c for c in entry.attacks if c.attack == name]
        strongest = max(cells, key=lambda c: -1.0 if c.fr_auc is None else c.fr_auc, default=None)
        row[f"auc_{name}"] = _num(strongest.fr_auc if strongest else None, 3)
        cost = _at(strongest, budget).gradient_evals_per_example if strongest else None
        row[f"cost_{name}"] = _num(cost, 2)
    worst = next((c for c in entry.attacks if score and c.label == score.attack), None)
    row["snr"] = _num(_at(worst, budget).snr_db_mean if worst else None, 1)
    codes = [f"{flag.code} ({flag.attack})" for flag in entry.flags]
    row["flags"] = Cell("; ".join(codes) or "none", len(codes))
    return row


def _rank_key(entry: LeaderboardEntry) -> tuple[float, float, str]:
    robust = entry.score.robust_accuracy.segment if entry.score else -1.0
    return -robust, -entry.model.clean.segment, entry.entry


def _columns(attacks: list[str]) -> list[Column]:
    return [
        Column("#", numeric=True, key="rank"),
        Column("entry", key="entry"),
        Column("clean acc %", numeric=True, key="clean"),
        Column("robust acc % (worst case)", numeric=True, key="robust"),
        Column("strongest attack @ budget", key="attack"),
        *[Column(f"FR-AUC {name}", numeric=True, key=f"auc_{name}") for name in attacks],
        *[Column(f"grads/ex {name}", numeric=True, key=f"cost_{name}") for name in attacks],
        Column("SNR dB", numeric=True, key="snr"),
        Column("flags", key="flags"),
    ]


def boards(entries: list[LeaderboardEntry]) -> list[Board]:
    """Entries grouped by (dataset, attacked representation), each group ranked."""
    groups: dict[str, list[LeaderboardEntry]] = {}
    for entry in entries:
        threat = "waveform" if entry.model.domain == "waveform" else f"{entry.model.representation['name']}"
        groups.setdefault(f"{entry.dataset.name}, {threat} domain", []).append(entry)
    result = []
    for title, group in sorted(groups.items()):
        ranked = sorted(group, key=_rank_key)
        attacks = list(dict.fromkeys(cell.attack for entry in ranked for cell in entry.attacks))
        rows = [_row(rank, entry, attacks) for rank, entry in enumerate(ranked, start=1)]
        result.append(Board(title, _columns(attacks), ranked, rows))
    return result


def board_table(board: Board) -> Table:
    """A board in the table model; rows are named by their entry (the HTML page's ``data-entry``)."""
    rows = [[row[column.key] for column in board.columns] for row in board.rows]
    return Table(board.title, board.columns, rows, keys=(0, 1), row_ids=[e.entry for e in board.entries])


def heading(entries: list[LeaderboardEntry]) -> str:
    suite = entries[0].suite
    return f"{suite.name} v{suite.version}"


def rich_boards(entries: list[LeaderboardEntry]) -> list[Table]:
    """The terminal's boards, each titled by its suite and explained below it, then the comparison."""
    tables = [
        replace(board_table(board), title=f"{heading(entries)}: {board.title}", notes=NOTE)
        for board in boards(entries)
    ]
    return tables + comparison_tables(entries)


def markdown_board(entries: list[LeaderboardEntry]) -> str:
    """``leaderboard.md``: the note once, every board (entries link to their papers), the comparison."""
    lines = [f"# Leaderboard: {heading(entries)}", "", NOTE, ""]
    for board in boards(entries):
        lines += to_markdown(board_table(board))
    for table in comparison_tables(entries):
        lines += to_markdown(table)
    return "\n".join(lines)
