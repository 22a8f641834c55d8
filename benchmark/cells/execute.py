"""One way to run any cell: dispatch on its kind, time it, return its typed result.

Attack, transfer and transferability cells share one shape, ``(spec, inputs) -> Record``; the
executors and the cache see only that shape.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from benchmark.cells.attack import run_attack_cell
from benchmark.cells.inputs import Inputs
from benchmark.cells.transfer import run_transfer_cell, run_transferability_cell
from benchmark.leaderboard.schema import AttackCell, TransferabilityRow, TransferResult
from benchmark.plan.specs import AnyCellSpec

#: each cell kind's function and the schema of its result (what the cache validates on read)
CELL_KINDS: dict[str, tuple[Callable[[Any, Inputs], BaseModel], type[BaseModel]]] = {
    "attack": (run_attack_cell, AttackCell),
    "transfer": (run_transfer_cell, TransferResult),
    "transferability": (run_transferability_cell, TransferabilityRow),
}


def result_schema(spec: AnyCellSpec) -> type[BaseModel]:
    return CELL_KINDS[spec.kind][1]


def execute(spec: AnyCellSpec, inputs: Inputs) -> dict[str, Any]:
    """Run ``spec`` and return its result as JSON-ready data, with its wall time."""
    run, _ = CELL_KINDS[spec.kind]
    started = time.perf_counter()
    result = run(spec, inputs)
    data = result.model_dump(mode="json")
    data["wall_time_s"] = round(time.perf_counter() - started, 3)
    return data
