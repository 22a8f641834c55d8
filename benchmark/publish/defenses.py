"""The defense table: each defended entry under its undefended model, with its clean accuracy and
drop, robust accuracy under the standard and the adaptive attacks, its gradient modes, flags and
cost. A robust accuracy that a masking flag puts in doubt is marked unreliable (RobustBench marks
such entries; Athalye et al. 2018 show why)."""

from __future__ import annotations

from collections.abc import Sequence

from benchmark.leaderboard.schema import AttackCell, LeaderboardEntry
from benchmark.publish.tables import Cell, Column, Table

TITLE = "Defenses: each defended model under its undefended one"
NOTE = (
    "Robust accuracy (%) is the lowest over the entry's standard (resp. adaptive: BPDA / EOT) "
    "attack cells at their largest budget, correct clean and under attack; a randomized defense "
    "is judged over k passes (robust only if all are right). 'unreliable' marks a standard robust "
    "accuracy on an entry flagged for gradient masking. Drop is in percentage points from the "
    "undefended model. Gradients per example at the largest budget, summed over the entry's cells."
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


def _lowest(cells: Sequence[AttackCell]) -> float | None:
    return min((cell.per_budget[-1].robust_accuracy.segment for cell in cells), default=None)


def _mode(cell: AttackCell) -> str:
    if cell.defense is None:
        return "standard"
    mode = cell.defense.gradient_mode
    return mode + (f"+eot{cell.defense.eot}" if cell.defense.eot > 1 else "")


def _row(entry: LeaderboardEntry, base: LeaderboardEntry | None) -> list[Cell | str]:
    chain = entry.attacks[0].defense.chain if entry.attacks and entry.attacks[0].defense else []
    defense = " -> ".join(
        f"{link['name']}({', '.join(f'{k}={v}' for k, v in link.items() if k != 'name')})" for link in chain
    )
    clean = entry.model.clean.segment
    drop = None if base is None or base is entry else 100 * (base.model.clean.segment - clean)
    standard = _lowest([c for c in entry.attacks if not c.adaptive])
    adaptive = _lowest([c for c in entry.attacks if c.adaptive])
    masked = any(flag.code in MASKING for flag in entry.flags)
    shown = "—" if standard is None else f"{100 * standard:.1f}" + (" (unreliable)" if masked else "")
    cost = sum(cell.per_budget[-1].gradient_evals_per_example for cell in entry.attacks)
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
    entry (an adversarially trained model is one) with its defended entries under it."""
    by_name = {entry.entry: entry for entry in entries}
    defended = [entry for entry in entries if undefended_of(entry) is not None]
    if not defended:
        return []
    rows = []
    for base in (entry for entry in entries if undefended_of(entry) is None):
        under = [entry for entry in defended if undefended_of(entry) == base.entry]
        rows += [_row(base, base), *(_row(entry, base) for entry in under)]
    orphans = [entry for entry in defended if undefended_of(entry) not in by_name]
    rows += [_row(entry, None) for entry in orphans]
    return [Table(TITLE, COLUMNS, rows, notes=NOTE, keys=(0,))]
