"""The defense table: each defended entry under its undefended model, with its clean accuracy and
drop, robust accuracy under the standard and the adaptive attacks of its score's threat model, its
gradient modes, flags and cost. A robust accuracy that a masking flag puts in doubt is marked
unreliable (RobustBench marks such entries; Athalye et al. 2018 show why)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmark.leaderboard.schema import AttackCell, BudgetResult, LeaderboardEntry
from benchmark.publish.tables import Cell, Column, Table

TITLE = "Defenses: each defended model under its undefended one"
NOTE = (
    "Robust accuracy (%) is the lowest over the attack cells the entry's score is the worst case "
    "over, at the score's budget (one threat model), standard ones and adaptive ones (BPDA / EOT) "
    "apart; an entry without a score: every cell at its largest budget. Correct clean and under "
    "attack; a randomized defense is judged over k passes (robust only if all are right). "
    "'unreliable' marks a standard robust accuracy on an entry flagged for gradient masking. Drop is "
    "in percentage points from the undefended model (— where the board has none). Gradients per "
    "example are summed over those same cells at that budget. An entry is defended when its suite "
    "names its undefended model or its cells ran behind a defense chain (a defended submission)."
)
COLUMNS = (
    Column("entry"),
    Column("defense"),
    Column("clean %", numeric=True),
    Column("drop pp", numeric=True),
    Column("robust % standard"),
    Column("robust % adaptive", numeric=True),
    Column("gradient modes"),
    Column("grads/ex", numeric=True),
    Column("flags"),
)
#: flags that say a standard attack's number cannot be trusted
MASKING = frozenset(
    {
        "zero_gradients",
        "randomized_output",
        "black_box_beats_white_box",
        "adaptive_beats_standard",
        "not_converged",
    }
)


def undefended_of(entry: LeaderboardEntry) -> str | None:
    """The entry a defended entry names as its undefended model (its suite config says)."""
    spec = entry.config.get("models", {}).get(entry.entry, {})
    return spec.get("undefended") if isinstance(spec, dict) else None


def _chain(entry: LeaderboardEntry) -> list[dict[str, Any]]:
    """The defense chain the entry's cells ran behind (empty: undefended); a defended submission
    declares it in its manifest, not in a suite config, so only its cells say so."""
    return next((cell.defense.chain for cell in entry.attacks if cell.defense and cell.defense.chain), [])


def _defended(entry: LeaderboardEntry) -> bool:
    """Named so by its suite, or a submission whose manifest declared a chain."""
    return undefended_of(entry) is not None or bool(_chain(entry))


def _points(entry: LeaderboardEntry) -> list[tuple[AttackCell, BudgetResult]]:
    """The cells the entry's score is the worst case over, each at the score's budget, so the
    table compares numbers of one threat model; every cell at its largest budget without a score."""
    score = entry.score
    if score is None:
        return [(cell, cell.per_budget[-1]) for cell in entry.attacks]
    labels = set(score.attacks)
    return [
        (cell, point)
        for cell in entry.attacks
        if cell.label in labels
        for point in cell.per_budget
        if point.budget == score.budget
    ]


def _lowest(points: Sequence[BudgetResult]) -> float | None:
    return min((point.robust_accuracy.segment for point in points), default=None)


def _mode(cell: AttackCell) -> str:
    if cell.defense is None:
        return "standard"
    mode = cell.defense.gradient_mode
    return mode + (f"+eot{cell.defense.eot}" if cell.defense.eot > 1 else "")


def _row(entry: LeaderboardEntry, base: LeaderboardEntry | None) -> list[Cell | str]:
    defense = " -> ".join(
        f"{link['name']}({', '.join(f'{k}={v}' for k, v in link.items() if k != 'name')})"
        for link in _chain(entry)
    )
    clean = entry.model.clean.segment
    drop = None if base is None or base is entry else 100 * (base.model.clean.segment - clean)
    points = _points(entry)
    standard = _lowest([point for cell, point in points if not cell.adaptive])
    adaptive = _lowest([point for cell, point in points if cell.adaptive])
    masked = any(flag.code in MASKING for flag in entry.flags)
    shown = "—" if standard is None else f"{100 * standard:.1f}" + (" (unreliable)" if masked else "")
    cost = sum(point.gradient_evals_per_example for _, point in points)
    return [
        Cell(entry.entry if base is None or base is entry else f"  {entry.entry}", entry.entry),
        defense or "none",
        Cell(f"{100 * clean:.1f}", clean),
        Cell("—") if drop is None else Cell(f"{drop:+.1f}", drop),
        Cell(shown, standard),
        Cell("—") if adaptive is None else Cell(f"{100 * adaptive:.1f}", adaptive),
        ", ".join(sorted({_mode(c) for c in entry.attacks})),
        Cell(f"{cost:g}", cost),
        "; ".join(sorted({flag.code for flag in entry.flags})) or "none",
    ]


def defense_tables(entries: Sequence[LeaderboardEntry]) -> list[Table]:
    """The defense table as a list of one, or none where no entry is defended: every undefended
    entry (an adversarially trained model is one) with its defended entries under it, then the
    defended entries whose undefended model is not on the board."""
    defended = [entry for entry in entries if _defended(entry)]
    if not defended:
        return []
    bases = [entry for entry in entries if not _defended(entry)]
    rows = []
    for base in bases:
        under = [entry for entry in defended if undefended_of(entry) == base.entry]
        rows += [_row(base, base), *(_row(entry, base) for entry in under)]
    names = {base.entry for base in bases}
    orphans = [entry for entry in defended if undefended_of(entry) not in names]
    rows += [_row(entry, None) for entry in orphans]
    return [Table(TITLE, COLUMNS, rows, notes=NOTE, keys=(0,))]
