"""A run's summary: its tables (terminal and Markdown) and the figures written beside its results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from benchmark.jsonio import atomic_write_bytes
from benchmark.leaderboard.schema import Accuracy, AttackCell, LeaderboardEntry, Score
from benchmark.publish.comparison import comparison_tables
from benchmark.publish.figures import fooling_curves_png, transferability_png
from benchmark.publish.tables import Column, Table, to_markdown

#: budget unit as printed after a budget in tables (normalized units print bare)
UNIT_SHORT = {
    "normalized": "",
    "amplitude": "amp",
    "snr_db": "dB SNR",
    "iterations": "it",
    "fraction": "of input",
}
ATTACK_COLUMNS = (
    Column("entry"),
    Column("clean acc % (seg/MV/SR)", numeric=True),
    Column("attack/backend"),
    *(
        Column(title, numeric=True)
        for title in ("FR-AUC", "mean FR", "grads/ex @max", "grads/ex to FR≥0.9", "max budget")
    ),
    *(
        Column(title, numeric=True)
        for title in (
            "FR % @max (targeted: hit / misclassified)",
            "robust acc % @max (seg/MV/SR)",
            "SNR dB @max",
        )
    ),
)
TRANSFER_COLUMNS = (
    Column("source -> target"),
    Column("attack"),
    *(Column(title, numeric=True) for title in ("budget", "source FR %", "1D acc % original (seg/MV/SR)")),
    *(Column(title, numeric=True) for title in ("clean recon.", "adversarial recon.", "SNR dB (mean ± sd)")),
    Column("clean recon. SNR dB", numeric=True),
)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _triple(accuracy: Accuracy) -> str:
    return f"{_pct(accuracy.segment)} / {_pct(accuracy.mv)} / {_pct(accuracy.sr)}"


def attack_table(entries: Sequence[LeaderboardEntry]) -> Table:
    """One row per (entry, attack, backend): clean accuracy, FR-AUC, cost, strongest-budget numbers."""
    rows = []
    for entry in entries:
        for cell in entry.attacks:
            last = cell.per_budget[-1]
            rows.append(
                [
                    entry.entry,
                    _triple(entry.model.clean),
                    cell.label,
                    _num(cell.fr_auc, 3),
                    _num(cell.fr_mean, 3),
                    _num(last.gradient_evals_per_example, 2),
                    _num(cell.gradient_evals_to_fr90, 2),
                    f"{last.budget:g} {UNIT_SHORT[cell.budget_unit]}".strip(),
                    _pct(last.fooling_rate)
                    + (f" / {_pct(last.misclassified_rate)}" if cell.targeted else ""),
                    _triple(last.robust_accuracy),
                    _num(last.snr_db_mean),
                ]
            )
    return Table("Attacks", ATTACK_COLUMNS, rows, keys=(0, 2))


def _auc_and_cost(cell: AttackCell) -> str:
    return f"{_num(cell.fr_auc, 3)} / {_num(cell.per_budget[-1].gradient_evals_per_example, 1)}"


def score_text(score: Score | None) -> str:
    """The primary score with its interval, as every table and message shows it."""
    if score is None:
        return "—"
    text = f"{100 * score.robust_accuracy.segment:.1f}"
    if score.interval is not None:
        text += f" [{100 * score.interval.segment.low:.1f}, {100 * score.interval.segment.high:.1f}]"
    return text if score.method == "per_example_worst_case" else f"<= {text} (single attack)"


def robustness_table(entries: Sequence[LeaderboardEntry]) -> Table:
    """Esmaeilpour et al. 2021 Tables 2-4 layout: one row per model, its recognition accuracy, then
    (FR-AUC, gradient evaluations per example at the largest budget) per attack."""
    attacks = list(dict.fromkeys(cell.label for entry in entries for cell in entry.attacks))
    columns = [Column("entry"), Column("representation"), Column("acc % (seg/MV/SR)", numeric=True)]
    columns += [Column(f"{name} AUC / grads", numeric=True) for name in attacks]
    columns += [Column("score % (worst case)", numeric=True), Column("flags")]
    rows = []
    for entry in entries:
        cells = {cell.label: cell for cell in entry.attacks}
        row = [entry.entry, entry.model.representation.get("name", "?"), _triple(entry.model.clean)]
        for name in attacks:
            cell = cells.get(name)
            row.append("" if cell is None else _auc_and_cost(cell))
        row += [score_text(entry.score), ", ".join(flag.code for flag in entry.flags) or "none"]
        rows.append(row)
    title = "Robustness (Esmaeilpour et al. 2021, Tables 2-4 layout: FR-AUC / gradients per example)"
    return Table(title, columns, rows if any(entry.attacks for entry in entries) else [])


def transfer_table(entries: Sequence[LeaderboardEntry]) -> Table:
    """Koerich et al. 2020 Tables IV, VI, VII: 2D adversarials reconstructed as audio, fed to 1D."""
    rows = [
        [
            f"{t.source} -> {t.target}",
            f"{t.attack}/{t.backend}",
            f"{t.budget:g}",
            _pct(t.source_fooling_rate),
            _triple(t.original),
            _triple(t.clean_reconstructed),
            _triple(t.adversarial_reconstructed),
            f"{_num(t.snr_db_mean)} ± {_num(t.snr_db_std)}",
            _num(t.clean_reconstruction_snr_db),
        ]
        for entry in entries
        for t in entry.transfer
    ]
    return Table("2D -> 1D transfer", TRANSFER_COLUMNS, rows, keys=(0, 1))


Matrices = dict[tuple[str, str, float], tuple[list[str], list[list[float | None]]]]


def transferability_matrices(entries: Sequence[LeaderboardEntry]) -> Matrices:
    """Esmaeilpour et al. 2021 Table 9 per (representation, attack/backend, budget): models (sources
    as rows, targets as columns) and the fraction of each source's fooling adversarials that fool
    each target (1 on the diagonal, by definition)."""
    grouped: dict[tuple[str, str, float], dict[str, dict[str, float | None]]] = {}
    for entry in entries:
        for row in entry.transferability:
            key = (row.representation, f"{row.attack}/{row.backend}", row.budget)
            rates = {target.target: target.rate for target in row.targets}
            grouped.setdefault(key, {})[entry.entry] = {**rates, entry.entry: 1.0}
    matrices = {}
    for key, by_source in grouped.items():
        models = list(dict.fromkeys([*by_source, *(t for rates in by_source.values() for t in rates)]))
        matrix = [[by_source.get(source, {}).get(target) for target in models] for source in models]
        matrices[key] = (models, matrix)
    return matrices


def transferability_tables(entries: Sequence[LeaderboardEntry]) -> list[Table]:
    tables = []
    for (representation, attack, budget), (models, matrix) in transferability_matrices(entries).items():
        title = f"Transferability: {attack} @ {budget:g} on {representation} (Esmaeilpour 2021, Table 9)"
        note = (
            "Rows: source (crafted on); columns: target. "
            "Fraction of the source's fooling adversarials that also fool the target."
        )
        columns = [Column("source \\ target"), *(Column(model, numeric=True) for model in models)]
        rows = [[source, *map(_pct, row)] for source, row in zip(models, matrix, strict=True)]
        tables.append(Table(title, columns, rows, notes=note))
    return tables


def rich_tables(entries: Sequence[LeaderboardEntry]) -> list[Table]:
    """The terminal's summary: attacks, transfer and the published comparison (those with rows)."""
    tables = [
        replace(attack_table(entries), title="Attacks (numbers at the largest budget of each schedule)"),
        replace(transfer_table(entries), title="2D -> 1D transfer (Koerich et al. 2020, Tables IV, VI, VII)"),
    ]
    return [table for table in tables if table.rows] + comparison_tables(entries)


def markdown(entries: Sequence[LeaderboardEntry]) -> str:
    """``summary.md``: the run's identity, then every table that has rows."""
    first = entries[0]
    lines = [
        f"# {first.suite.name} v{first.suite.version} on {first.dataset.name} {first.dataset.version}",
        "",
        f"Test fold {first.dataset.test_fold}: {first.dataset.test_tracks} tracks, "
        f"{first.dataset.test_segments} segments. Harness {first.harness_version}, commit "
        f"{(first.git_commit or 'unknown')[:12]}, {first.environment.device}, "
        f"torch {first.environment.torch}.",
        "",
    ]
    tables = [robustness_table(entries), attack_table(entries), transfer_table(entries)]
    tables += transferability_tables(entries) + comparison_tables(entries)
    for table in tables:
        if table.rows:
            lines += to_markdown(table)
    return "\n".join(lines)


def plot_fooling_curves(entry: LeaderboardEntry, path: Path) -> None:
    """FR vs budget, one line per attack/backend, for one entry (PNG, written atomically)."""
    atomic_write_bytes(path, fooling_curves_png(entry))


def plot_transferability(entries: Sequence[LeaderboardEntry], folder: Path) -> list[Path]:
    """One heat map PNG per transferability matrix, written atomically beside the results."""
    written = []
    for (representation, attack, budget), (models, matrix) in transferability_matrices(entries).items():
        title = f"transferability: {attack} @ {budget:g}, {representation}"
        path = folder / f"transferability_{representation}_{attack.replace('/', '-')}_{budget:g}.png"
        atomic_write_bytes(path, transferability_png(title, models, matrix))
        written.append(path)
    return written
