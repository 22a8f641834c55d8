"""The order parallel executors receive cells in: costliest first (estimated input gradients x the
model's forward FLOPs), every result back under its key whatever order the cells finish in."""

from __future__ import annotations

from collections.abc import Sequence
from io import StringIO
from pathlib import Path
from typing import Any

import torch
from rich.console import Console

from benchmark.cells.cache import CellCache
from benchmark.cells.executors import Done, Executor, run_cells
from benchmark.plan.cost import forward_flops
from benchmark.plan.specs import AnyCellSpec, AttackCellSpec
from benchmark.progress import CellProgress


def _cell(key: str) -> AttackCellSpec:
    return AttackCellSpec(
        key=key,
        owner="model",
        label=f"cell {key}",
        attack="fgsm",
        backend="native",
        seed=0,
        batch_size=8,
        model="model",
        representation="waveform",
        domain="waveform",
        budget_table="waveform",
        budgets=(0.01,),
    )


class Recording(Executor):
    """Records the order it is handed the cells in; reports them back in the reverse order."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.order: list[str] = []

    def run(self, cells: Sequence[AnyCellSpec], inputs: Any, progress: CellProgress, done: Done) -> None:
        self.order = [cell.key for cell in cells]
        for cell in reversed(cells):
            progress.started(cell.label)
            done(cell, {"key": cell.key, "wall_time_s": 0.0, "fooled_source": 1, "examples": 2})


def _run(executor: Executor, tmp_path: Path, work: dict[str, float] | None) -> dict[str, dict[str, Any]]:
    cells = [_cell(key) for key in ("a", "b", "c", "d", "e")]
    progress = CellProgress("suite t", live=False, console=Console(file=StringIO()))
    cache = CellCache(tmp_path, enabled=False)
    return run_cells(cells, cache=cache, executor=executor, inputs=None, progress=progress, work=work)  # type: ignore[arg-type]


def test_parallel_executors_get_the_costliest_cell_first(tmp_path):
    executor = Recording(slots=2)
    results = _run(executor, tmp_path, {"a": 1, "b": 50, "c": 7, "d": 50, "e": 900})
    assert executor.order == ["e", "b", "d", "c", "a"]  # ties (b, d) keep their plan order
    assert sorted(results) == ["a", "b", "c", "d", "e"]  # all back, each under its own key
    assert all(result["key"] == key for key, result in results.items())


def test_one_slot_or_no_estimate_keeps_the_plan_order(tmp_path):
    serial = Recording(slots=1)
    _run(serial, tmp_path, {"a": 1, "b": 50, "c": 7, "d": 50, "e": 900})
    assert serial.order == ["a", "b", "c", "d", "e"]
    unestimated = Recording(slots=2)
    assert len(_run(unestimated, tmp_path, None)) == 5
    assert unestimated.order == ["a", "b", "c", "d", "e"]


def test_forward_flops_counts_the_model_not_the_batch():
    """Conv1d(1 -> 4 channels, kernel 3) over 10 samples: 8 outputs x 4 channels x 3 taps x 2
    (multiply and add) = 192; a linear layer on top adds 2 x 32 x 5 = 320."""
    conv = torch.nn.Conv1d(1, 4, 3, bias=False)
    assert forward_flops(conv, torch.zeros(1, 1, 10)) == 192
    network = torch.nn.Sequential(conv, torch.nn.Flatten(), torch.nn.Linear(32, 5))
    assert forward_flops(network, torch.zeros(1, 1, 10)) == 192 + 320
    assert forward_flops(torch.nn.ReLU(), torch.zeros(1, 4)) == 1  # nothing counted: gradients decide
