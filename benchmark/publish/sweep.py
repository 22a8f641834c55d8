"""``sweep.md`` and ``sweep.png``: a representation sweep's table and figure (Esmaeilpour et al.
2021 Tables 2-4 / 7, Figs. 1-5)."""

from __future__ import annotations

from benchmark.plan.sweep import SweepResult, value_label
from benchmark.publish.figures import sweep_figure
from benchmark.publish.tables import Column, Table, to_markdown


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _cost(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def sweep_table(result: SweepResult) -> Table:
    """One row per setting value; clean accuracy, then per attack the FR-AUC and the gradients per
    example (mean over the schedule; to FR >= 0.9 in brackets)."""
    cfg = result.sweep
    columns = [Column(cfg.setting)]
    columns += [Column(title, numeric=True) for title in ("clean acc. segment (%)", "MV (%)", "SR (%)")]
    for name in cfg.attacks:
        columns += [
            Column(f"{name} FR-AUC", numeric=True),
            Column(f"{name} gradients (to FR>=0.9)", numeric=True),
        ]
    rows = []
    for row in result.rows:
        cells = [
            value_label(row.value),
            *(f"{100 * a:.1f}" for a in (row.clean.segment, row.clean.mv, row.clean.sr)),
        ]
        for name in cfg.attacks:
            cell = row.attacks[name]
            cells += [
                _number(cell.fr_auc, 4),
                f"{cell.gradients_per_example:.3g} ({_cost(cell.gradients_to_fr90)})",
            ]
        rows.append(cells)
    fixed = ", ".join(f"{k}={value_label(v)}" for k, v in cfg.params.items()) or "defaults"
    notes = (
        f"Dataset {result.dataset['name']} v{result.dataset['version']}, test fold {cfg.test_fold}, "
        f"{result.test_segments} attacked segments; fixed settings: {fixed}; "
        f"budgets {', '.join(f'{b:g}' for b in cfg.budgets)}; {cfg.training.epochs} epochs at most.\n"
        "FR-AUC: area under FR(budget / largest budget); gradients: input gradients per example, "
        "averaged over the budgets (in brackets: at the first budget with FR >= 0.9, - if never)."
    )
    title = f"{cfg.architecture} ({cfg.config}) on {cfg.representation}: {cfg.setting} sweep"
    return Table(title, columns, rows, notes=notes)


def markdown_table(result: SweepResult) -> str:
    """``sweep.md``: the sweep's table under a top-level heading."""
    return "\n".join(to_markdown(sweep_table(result), level=1))


def sweep_png(result: SweepResult) -> bytes:
    """``sweep.png``: accuracy, FR-AUC and attack cost against the setting's values."""
    return sweep_figure(result, [value_label(row.value) for row in result.rows])
