"""Publish a run's readable outputs beside its entries: summary.md, FR-vs-budget plots, one
adversarial example per attack, and transferability heat maps."""

from __future__ import annotations

from pathlib import Path

from benchmark.cells.inputs import Inputs
from benchmark.jsonio import atomic_write_bytes
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.plan.planner import Plan
from benchmark.publish.examples import draw_examples
from benchmark.publish.summary import markdown, plot_fooling_curves, plot_transferability


def publish_outputs(
    entries: list[tuple[Path, LeaderboardEntry]], plan: Plan, inputs: Inputs, cache_folder: Path | None
) -> Path:
    """Write the summary and figures of ``entries`` into their folder; return the folder."""
    folder = entries[0][0].parent
    atomic_write_bytes(folder / "summary.md", markdown([entry for _, entry in entries]).encode())
    for path, entry in entries:
        plot_fooling_curves(entry, path.with_name(f"{entry.entry}_fooling_rate.png"))
        draw_examples(plan, inputs, entry.entry, path.with_name(f"{entry.entry}_examples.png"), cache_folder)
    plot_transferability([entry for _, entry in entries], folder)
    return folder
