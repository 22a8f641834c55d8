"""The ranked leaderboard of a suite: one board per threat model, in the terminal and in Markdown
(the HTML page is :mod:`benchmark.publish.page`).

Entries rank by their primary score (schema ``Score``: the fraction of the score set robust under
every scored attack at the reference budget, the per-example worst case), ties broken by clean
accuracy; an entry whose 95 % score interval overlaps the one ranked above it is marked as not
separable from it. Budgets are in each
threat model's own units (waveform amplitude, normalized representation units), so entries rank
within one (dataset, attacked representation) board at a time, as RobustBench keeps separate
Linf and L2 boards.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from benchmark.bootstrap import overlap
from benchmark.leaderboard.schema import AttackCell, BudgetResult, Interval, LeaderboardEntry
from benchmark.publish.comparison import comparison_tables
from benchmark.publish.defenses import MASKING, defense_tables
from benchmark.publish.tables import Cell, Column, Table, to_markdown

NOTE = (
    "Ranked by the per-example worst case: the fraction of the score set's segments correct clean and "
    "under every scored attack and backend at the reference budget, with its 95 % interval (bootstrap "
    "over tracks); 'not separable' marks an interval that overlaps the one ranked above. The best single "
    "attack is shown beside it. FR-AUC is the strongest backend's, gradients per example are at the "
    "reference budget, SNR is the best single attack's. Flags mark results that look like gradient "
    "masking, a model near chance (scores not meaningful) and cells with too few clean-correct examples."
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


def _interval(value: float, interval: Interval | None) -> Cell:
    """A percentage with its 95 % interval where the file has one."""
    if interval is None:
        return _pct(value)
    return Cell(f"{100 * value:.1f} [{100 * interval.low:.1f}, {100 * interval.high:.1f}]", value)


def score_interval(entry: LeaderboardEntry) -> tuple[float, float] | None:
    score = entry.score
    if score is None or score.interval is None:
        return None
    return score.interval.segment.low, score.interval.segment.high


def _separable(rank: int, entry: LeaderboardEntry, above: LeaderboardEntry | None) -> Cell:
    """Whether the score interval clears the one of the entry ranked just above it."""
    mine, theirs = score_interval(entry), score_interval(above) if above else None
    if mine is None or theirs is None:
        return Cell("—")
    if overlap(mine, theirs):
        return Cell(f"not separable from #{rank - 1}", 0)
    return Cell("yes", 1)


def _row(
    rank: int, entry: LeaderboardEntry, attacks: list[str], above: LeaderboardEntry | None
) -> dict[str, Cell]:
    score = entry.score
    budget = score.budget if score else None
    paper = entry.submission.paper if entry.submission else None
    clean_interval = entry.examples.clean_interval.segment if entry.examples else None
    single = (
        f"{score.attack} {100 * score.attack_robust_accuracy.segment:.1f} @ {score.budget:g}" if score else ""
    )
    robust = (
        _interval(score.robust_accuracy.segment, score.interval.segment if score.interval else None)
        if score
        else Cell("—")
    )
    if score and any(flag.code in MASKING for flag in entry.flags):  # RobustBench marks such entries
        robust = robust._replace(text=robust.text + " (unreliable)")
    row: dict[str, Cell] = {
        "rank": Cell(str(rank), rank),
        "entry": Cell(entry.entry, entry.entry, paper),
        "clean": _interval(entry.model.clean.segment, clean_interval),
        "robust": robust,
        "separable": _separable(rank, entry, above),
        "method": Cell(score.method.replace("_", " ")) if score else Cell("—"),
        "attack": Cell(single, score.attack) if score else Cell("—"),
    }
    for name in attacks:
        cells = [c for c in entry.attacks if c.attack == name]
        strongest = max(cells, key=lambda c: -1.0 if c.fr_auc is None else c.fr_auc, default=None)
        row[f"auc_{name}"] = _num(strongest.fr_auc if strongest else None, 3)
        cost = _at(strongest, budget).gradient_evals_per_example if strongest else None
        row[f"cost_{name}"] = _num(cost, 2)
    worst = next((c for c in entry.attacks if score and c.label == score.attack), None)
    row["snr"] = _num(_at(worst, budget).snr_db_mean if worst else None, 1)
    codes = [flag.code + (f" ({flag.attack})" if flag.attack else "") for flag in entry.flags]
    row["flags"] = Cell("; ".join(codes) or "none", len(codes))
    return row


def _rank_key(entry: LeaderboardEntry) -> tuple[float, float, str]:
    robust = entry.score.robust_accuracy.segment if entry.score else -1.0
    return -robust, -entry.model.clean.segment, entry.entry


def _columns(attacks: list[str]) -> list[Column]:
    return [
        Column("#", numeric=True, key="rank"),
        Column("entry", key="entry"),
        Column("clean acc % [95 % CI]", numeric=True, key="clean"),
        Column("robust acc % (worst case) [95 % CI]", numeric=True, key="robust"),
        Column("separable", key="separable"),
        Column("score", key="method"),
        Column("best single attack (robust %) @ budget", key="attack"),
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
        above = [None, *ranked[:-1]]
        rows = [_row(rank, entry, attacks, above[rank - 1]) for rank, entry in enumerate(ranked, start=1)]
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
    return tables + defense_tables(entries) + comparison_tables(entries)


def markdown_board(entries: list[LeaderboardEntry]) -> str:
    """``leaderboard.md``: the note once, every board (entries link to their papers), the comparison."""
    lines = [f"# Leaderboard: {heading(entries)}", "", NOTE, ""]
    for board in boards(entries):
        lines += to_markdown(board_table(board))
    for table in defense_tables(entries) + comparison_tables(entries):
        lines += to_markdown(table)
    return "\n".join(lines)
