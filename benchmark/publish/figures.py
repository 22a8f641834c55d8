"""Every plot the project draws, as PNG bytes: FR-vs-budget curves, transferability heat maps,
adversarial example panels and the sweep figure.

Figures are made on matplotlib's Agg canvas without pyplot, so no global figure state is kept
and nothing needs closing; matplotlib is imported on first use to keep ``arb`` quick to start.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
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
#: the largest marker and line width a curve hidden under others gets (points)
MAX_SIZES = (22, 9)


def _figure(
    rows: int, columns: int, size: tuple[float, float], dpi: int, **kwargs: Any
) -> tuple[Figure, Any]:
    """A figure on the Agg canvas and its (rows x columns) grid of axes; constrained layout keeps
    labels, colour bars and legends attached to an axes inside the figure and off its neighbours."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(rows, columns, squeeze=False, **kwargs)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.1)
    return buffer.getvalue()


def _curve_label(cell: AttackCell) -> str:
    return f"{cell.label} (AUC {cell.fr_auc:.2f})" if cell.fr_auc is not None else cell.label


#: inches of one FR panel's plot area with its labels, and of one legend row below it
PANEL_HEIGHT, LEGEND_ROW = 3.6, 0.17
#: points between the bottom of a panel and the top of its legend: tick labels and axis label
LABELS_POINTS = 36


def _legend_columns(count: int) -> int:
    return 1 if count <= 5 else 2


def _points(cell: AttackCell) -> list[tuple[float, float]]:
    return [(p.budget, p.fooling_rate) for p in cell.per_budget if p.fooling_rate is not None]


def _draw_curves(axis: Any, cells: list[AttackCell], colours: dict[str, str]) -> None:
    """One line per cell: colour per attack, marker and dash per backend. A curve that later ones
    would hide exactly (BIM-a under BIM-b, agreeing backends) is drawn underneath with larger
    markers and a wider line than every curve over it, half transparent, so each one still shows."""
    curves = [_points(cell) for cell in cells]
    sizes: list[tuple[float, float]] = [(0.0, 0.0)] * len(cells)  # (marker size, line width)
    for index in reversed(range(len(cells))):  # the top curve first: it keeps its own style
        over = [sizes[later] for later in range(index + 1, len(cells)) if curves[later] == curves[index]]
        base = BACKEND_STYLES.get(cells[index].backend, ("x", "-.", 5))[2]
        marker = max([base, *(size + 3 for size, _ in over)])
        width = max([1.5, *(width + 1.5 for _, width in over)])
        sizes[index] = (min(marker, MAX_SIZES[0]), min(width, MAX_SIZES[1]))
    for index, (cell, points) in enumerate(zip(cells, curves, strict=True)):
        if not points:
            continue
        marker, dash, _size = BACKEND_STYLES.get(cell.backend, ("x", "-.", 5))
        style = {
            "marker": marker,
            "linestyle": dash,
            "markersize": sizes[index][0],
            "linewidth": sizes[index][1],
            "color": colours[_attack_name(cell)],
            "alpha": 0.8,
            "zorder": 2 + index,
        }
        axis.plot(*zip(*points, strict=True), **style, label=_curve_label(cell))


def _attack_name(cell: AttackCell) -> str:
    return f"{cell.attack}{' targeted' if cell.targeted else ''}"


def fooling_curves_figure(entry: LeaderboardEntry) -> Figure:
    """FR vs budget of one entry, one line per attack/backend and one panel per (domain, budget
    unit), since epsilon in each domain, SNR, iterations and fractions have different axes. Each
    panel's legend sits below it, and each grid row is as tall as its longest legend needs."""
    from matplotlib.transforms import offset_copy

    panels: dict[tuple[str, str], list[AttackCell]] = {}
    for cell in entry.attacks:
        panels.setdefault((cell.domain, cell.budget_unit), []).append(cell)
    count = max(1, len(panels))
    columns = min(count, 3)
    rows = -(-count // columns)
    sizes = [len(cells) for cells in panels.values()] or [0]
    legend_rows = [
        max(-(-n // _legend_columns(n)) for n in sizes[row * columns : (row + 1) * columns])
        for row in range(rows)
    ]
    heights = [PANEL_HEIGHT + LEGEND_ROW * n for n in legend_rows]
    figure, axes = _figure(rows, columns, (5.4 * columns, sum(heights) + 0.5), 100, height_ratios=heights)
    colours = {name: f"C{i % 10}" for i, name in enumerate(dict.fromkeys(map(_attack_name, entry.attacks)))}
    for axis, ((domain, unit), cells) in zip(axes.flat, panels.items(), strict=False):
        _draw_curves(axis, cells, colours)
        if unit != "snr_db" and all(p.budget > 0 for c in cells for p in c.per_budget):
            axis.set_xscale("log")  # radii, iterations and fractions span decades; dB are already a log
        if unit == "snr_db":
            axis.invert_xaxis()  # a lower SNR is a stronger attack: strength grows to the right
        axis.set_title(f"{domain} domain", fontsize=10)
        axis.set_xlabel(f"budget ({BUDGET_UNITS[unit]})")
        axis.set_ylabel("fooling rate")
        axis.set_ylim(-0.02, 1.02)
        axis.grid(alpha=0.3)
        if not axis.get_lines():
            continue  # no budget with a defined FR: nothing to name
        below = offset_copy(axis.transAxes, figure, y=-LABELS_POINTS, units="points")
        legend = axis.legend(
            fontsize=7,
            loc="upper center",
            bbox_to_anchor=(0.5, 0),
            bbox_transform=below,
            ncol=_legend_columns(len(cells)),
        )
        for handle in legend.legend_handles:  # the legend names curves by colour, marker and dash
            handle.set(markersize=6, linewidth=1.5)  # type: ignore[union-attr]
    for axis in list(axes.flat)[count:]:
        axis.set_visible(False)
    figure.suptitle(f"{entry.entry} ({entry.suite.name} v{entry.suite.version})")
    return figure


def fooling_curves_png(entry: LeaderboardEntry) -> bytes:
    return _png(fooling_curves_figure(entry))


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


#: the STFT the example figures draw audio with: 512-point frames every 128 samples
DISPLAY_FFT, DISPLAY_HOP = 512, 128


def _display(values: torch.Tensor, audio: bool) -> torch.Tensor:
    """A 2D image of one example: its first channel, or the dB STFT magnitude of audio."""
    import torch

    if audio:
        signal = values.reshape(-1).float()
        window = torch.hann_window(DISPLAY_FFT, device=signal.device)
        spectrum = torch.stft(signal, DISPLAY_FFT, DISPLAY_HOP, window=window, return_complex=True).abs()
        return 20 * torch.log10(spectrum.clamp_min(1e-6)).cpu()
    return values.reshape(-1, *values.shape[-2:])[0].float().cpu()


@dataclass(frozen=True)
class ExamplePanel:
    """One row of the example figure: the attack, the clean and adversarial model inputs (or
    waveforms), whether they are audio (drawn as dB STFTs), the predicted class's name, and the
    representation they are (its name labels the vertical axis; an STFT's is in Hz)."""

    title: str
    clean: torch.Tensor
    adversarial: torch.Tensor
    audio: bool
    prediction: str
    representation: str


def audio_name(entry: str, which: str) -> str:
    """The WAV file written beside the example figure: ``clean``, or an audio row's label."""
    return f"{entry}_example_{which}.wav"


def _vertical(panel: ExamplePanel, rows: int, sample_rate: int) -> tuple[float, str]:
    """The top of the vertical axis and its label: Hz for audio and STFTs, else bins."""
    if panel.audio or panel.representation == "stft":
        return sample_rate / 2, "frequency (Hz)"
    return float(rows), f"{panel.representation} bin"


def examples_figure(
    entry: str, label: str, panels: Sequence[ExamplePanel], *, sample_rate: int, seconds: float
) -> Figure:
    """Clean / perturbation / adversarial, one row per attack (Koerich et al. 2020 Fig. 4;
    Esmaeilpour et al. 2021 Fig. 6): time in s, frequency in Hz (or the representation's bins),
    colour bars for the clean-and-adversarial scale and for the perturbation; waveforms are drawn
    as log-magnitude STFTs."""
    figure, axes = _figure(len(panels), 3, (13, 2.7 * len(panels) + 0.6), 80)
    for row, panel in zip(axes, panels, strict=True):
        clean, adversarial = panel.clean, panel.adversarial
        images = (_display(clean, panel.audio), _display(adversarial - clean, panel.audio))
        images += (_display(adversarial, panel.audio),)
        top, vertical = _vertical(panel, images[0].shape[0], sample_rate)
        shown = {"origin": "lower", "aspect": "auto", "extent": (0, seconds, 0, top)}
        low, high = float(images[0].min()), float(images[0].max())
        row[0].imshow(images[0], cmap="magma", vmin=low, vmax=high, **shown)
        both = row[2].imshow(images[2], cmap="magma", vmin=low, vmax=high, **shown)
        if panel.audio:  # the perturbation's own dB STFT
            change = row[1].imshow(images[1], cmap="magma", **shown)
        else:  # signed, on a symmetric diverging scale
            extent = float(images[1].abs().max()) or 1.0
            change = row[1].imshow(images[1], cmap="RdBu_r", vmin=-extent, vmax=extent, **shown)
        unit = "dB" if panel.audio else "input value"
        figure.colorbar(change, ax=row[1], label=f"perturbation ({unit})")
        figure.colorbar(both, ax=row[2], label=f"clean and adversarial ({unit})")
        names = (f"{panel.title}: clean", "perturbation", f"adversarial: predicted {panel.prediction}")
        for axis, name in zip(row, names, strict=True):
            axis.set_title(name, fontsize=9)
            axis.set_xlabel("time (s)", fontsize=8)
            axis.set_ylabel(vertical, fontsize=8)
            axis.tick_params(labelsize=7)
    audio_note = "; waveforms drawn as dB STFTs" if any(panel.audio for panel in panels) else ""
    figure.suptitle(f"{entry}: one example of class {label}{audio_note}", fontsize=11)
    return figure


def examples_png(
    entry: str, label: str, panels: Sequence[ExamplePanel], *, sample_rate: int, seconds: float
) -> bytes:
    return _png(examples_figure(entry, label, panels, sample_rate=sample_rate, seconds=seconds))


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
