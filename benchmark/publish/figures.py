"""Every plot the project draws, as PNG bytes: FR-vs-budget curves, transferability heat maps,
adversarial example panels and the sweep figure.

Figures are made on matplotlib's Agg canvas without pyplot, so no global figure state is kept
and nothing needs closing; matplotlib is imported on first use to keep ``arb`` quick to start.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from benchmark.leaderboard.schema import AttackCell, LeaderboardEntry

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure

    from benchmark.plan.sweep import SweepResult

#: axis label of each budget unit (schema ``AttackCell.budget_unit``)
BUDGET_UNITS = {
    "normalized": "Linf / L2, normalized representation units",
    "amplitude": "Linf / L2, waveform amplitude",
    "snr_db": "target SNR, dB",
    "iterations": "attack iterations",
    "fraction": "fraction of input elements",
}
#: marker, dash and marker size per backend: agreeing backends overlap but stay visible
BACKEND_STYLES = {"native": ("o", "-", 8), "art": ("s", "--", 6), "foolbox": ("^", ":", 4)}


def _figure(
    rows: int, columns: int, size: tuple[float, float], dpi: int, **kwargs: Any
) -> tuple[Figure, Any]:
    """A figure on the Agg canvas and its (rows x columns) grid of axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(figure)
    return figure, figure.subplots(rows, columns, squeeze=False, **kwargs)


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _curve_label(cell: AttackCell) -> str:
    return f"{cell.label} (AUC {cell.fr_auc:.2f})" if cell.fr_auc is not None else cell.label


def fooling_curves_png(entry: LeaderboardEntry) -> bytes:
    """FR vs budget of one entry, one line per attack/backend and one panel per (domain, budget
    unit), since epsilon in each domain, SNR, iterations and fractions have different axes."""
    panels: dict[tuple[str, str], list[AttackCell]] = {}
    for cell in entry.attacks:
        panels.setdefault((cell.domain, cell.budget_unit), []).append(cell)
    count = max(1, len(panels))
    columns = min(count, 3)
    rows = -(-count // columns)
    figure, axes = _figure(rows, columns, (5.2 * columns, 3.8 * rows), 100)
    # colour per attack (and target mode), marker and dash per backend
    names = dict.fromkeys(f"{c.attack}{' targeted' if c.targeted else ''}" for c in entry.attacks)
    colours = {name: f"C{i % 10}" for i, name in enumerate(names)}
    for axis, ((domain, unit), cells) in zip(axes.flat, panels.items(), strict=False):
        for cell in cells:
            points = [(p.budget, p.fooling_rate) for p in cell.per_budget if p.fooling_rate is not None]
            if not points:
                continue
            marker, dash, size = BACKEND_STYLES.get(cell.backend, ("x", "-.", 5))
            colour = colours[f"{cell.attack}{' targeted' if cell.targeted else ''}"]
            style = {"marker": marker, "linestyle": dash, "markersize": size, "color": colour}
            axis.plot(*zip(*points, strict=True), **style, label=_curve_label(cell))
        if unit != "snr_db" and all(p.budget > 0 for c in cells for p in c.per_budget):
            axis.set_xscale("log")  # radii, iterations and fractions span decades; dB are already a log
        if unit == "snr_db":
            axis.invert_xaxis()  # a lower SNR is a stronger attack: strength grows to the right
        axis.set_xlabel(f"budget ({BUDGET_UNITS[unit]}; {domain} domain)")
        axis.set_ylabel("fooling rate")
        axis.set_ylim(-0.02, 1.02)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    for axis in list(axes.flat)[count:]:
        axis.set_visible(False)
    figure.suptitle(f"{entry.entry} ({entry.suite.name} v{entry.suite.version})")
    return _png(figure)


def transferability_png(title: str, models: list[str], matrix: list[list[float | None]]) -> bytes:
    """Esmaeilpour et al. 2021 Table 9 as a heat map: sources as rows, targets as columns."""
    import numpy as np

    values = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    size = 1.2 + 1.1 * len(models)
    figure, axes = _figure(1, 1, (size + 1.5, size), 100)
    axis = axes[0, 0]
    image = axis.imshow(values, vmin=0, vmax=1, cmap="viridis")
    axis.set_xticks(range(len(models)), models, rotation=30, ha="right", fontsize=8)
    axis.set_yticks(range(len(models)), models, fontsize=8)
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):
            axis.text(j, i, f"{value:.2f}", ha="center", va="center", color="w" if value < 0.6 else "k")
    axis.set_xlabel("target model")
    axis.set_ylabel("source model (crafted on)")
    axis.set_title(title, fontsize=9)
    figure.colorbar(image, ax=axis, fraction=0.046)
    return _png(figure)


def _display(values: torch.Tensor, audio: bool) -> torch.Tensor:
    """A 2D image of one example: its first channel, or the dB STFT magnitude of audio."""
    import torch

    if audio:
        signal = values.reshape(-1).float()
        window = torch.hann_window(512, device=signal.device)
        spectrum = torch.stft(signal, 512, 128, window=window, return_complex=True).abs()
        return 20 * torch.log10(spectrum.clamp_min(1e-6)).cpu()
    return values.reshape(-1, *values.shape[-2:])[0].float().cpu()


#: one row of the example figure: title, clean input, adversarial input, drawn as audio, prediction
ExamplePanel = tuple[str, "torch.Tensor", "torch.Tensor", bool, int]


def examples_png(entry: str, label: int, panels: Sequence[ExamplePanel]) -> bytes:
    """Clean / perturbation / adversarial, one row per attack (Koerich et al. 2020 Fig. 4;
    Esmaeilpour et al. 2021 Fig. 6); waveforms are drawn as log-magnitude STFTs."""
    figure, axes = _figure(len(panels), 3, (10, 2.1 * len(panels)), 64)
    for row, (title, clean, adversarial, audio, prediction) in zip(axes, panels, strict=True):
        images = (_display(clean, audio), _display(adversarial - clean, audio), _display(adversarial, audio))
        names = ("clean", "perturbation", f"adversarial (predicted {prediction})")
        low, high = float(images[0].min()), float(images[0].max())
        for axis, image, name in zip(row, images, names, strict=True):
            if name != "perturbation":  # clean and adversarial on one colour scale
                axis.imshow(image, origin="lower", aspect="auto", cmap="magma", vmin=low, vmax=high)
            elif audio:  # the perturbation's own dB STFT
                axis.imshow(image, origin="lower", aspect="auto", cmap="magma")
            else:  # signed, on a symmetric diverging scale
                extent = float(image.abs().max()) or 1.0
                axis.imshow(image, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-extent, vmax=extent)
            axis.set_title(f"{title}: {name}" if name == "clean" else name, fontsize=8)
            axis.set_xticks([])
            axis.set_yticks([])
    audio_note = "; waveforms drawn as dB STFTs" if any(panel[3] for panel in panels) else ""
    figure.suptitle(f"{entry}: one example (true class {label}){audio_note}", fontsize=10)
    return _png(figure)


def sweep_figure(result: SweepResult, labels: Sequence[str]) -> bytes:
    """Esmaeilpour et al. 2021 Figs. 1-5: recognition accuracy (with each attack's FR-AUC) and attack
    cost against the setting, one panel each; values are evenly spaced categories named by
    ``labels``, so text settings (wavelets, DCT norms) plot too."""
    cfg, rows = result.sweep, result.rows
    positions = list(range(len(rows)))
    figure, axes = _figure(2, 1, (6.5, 6.0), 110, sharex=True)
    top, bottom = axes[0, 0], axes[1, 0]
    top.plot(positions, [row.clean.segment for row in rows], "ko-", linewidth=2, label="clean accuracy")
    costs_positive = True
    for index, name in enumerate(cfg.attacks):
        colour = f"C{index}"
        aucs = [math.nan if row.attacks[name].fr_auc is None else row.attacks[name].fr_auc for row in rows]
        top.plot(positions, aucs, "s--", color=colour, label=f"{name} FR-AUC")
        costs = [row.attacks[name].gradients_per_example for row in rows]
        costs_positive &= all(c > 0 for c in costs)
        bottom.plot(positions, costs, "o-", color=colour, label=f"{name} (mean over budgets)")
        reach = [row.attacks[name].gradients_to_fr90 for row in rows]
        if any(r is not None for r in reach):
            reach_line = [math.nan if r is None else r for r in reach]
            bottom.plot(positions, reach_line, "^:", color=colour, label=f"{name} to FR>=0.9")
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel("accuracy / FR-AUC")
    top.set_title(
        f"{cfg.architecture} on {cfg.representation}: {cfg.setting} sweep ({result.dataset['name']})"
    )
    bottom.set_ylabel("gradients per example")
    if costs_positive:
        bottom.set_yscale("log")
    bottom.set_xlabel(cfg.setting)
    bottom.set_xticks(positions, labels)
    for axis in (top, bottom):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    return _png(figure)
