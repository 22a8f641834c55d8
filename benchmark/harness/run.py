"""A suite run end to end: inputs -> plan -> cells -> publish.

:func:`run_suite` is what ``arb run``, ``arb submit`` (in its worker) and ``arb sweep`` call:
load the shared inputs, plan every cell (all checks, and the estimated gradient cost against
``--max-gradients``), run the cells not in the cache through the
chosen executor, and assemble the entries. Nothing is written to the leaderboard until every
cell is done; each finished cell is in the cache at once, so an interrupted run resumes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmark.cells.cache import CellCache
from benchmark.cells.executors import Executor, ProcessExecutor, SerialExecutor, run_cells
from benchmark.cells.inputs import DEFAULT_RESIDENT_BYTES, Inputs, InputsRecipe, ModelSource, ReferenceModels
from benchmark.errors import BenchmarkError
from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.plan.cost import (
    DEFAULT_MAX_GRADIENTS,
    cell_work,
    check_gradient_budget,
    forward_flops,
    plan_gradients,
)
from benchmark.plan.planner import Plan, plan_suite
from benchmark.plan.suite import AttackSpec, Suite
from benchmark.progress import CellProgress
from benchmark.publish.entries import assemble_entries, write_entries
from benchmark.runtime import limit_threads


def available_cores() -> int:
    """Cores this process may use (its CPU affinity, which containers and taskset narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Execution:
    """How a run's cells execute: how many at once, where, and on how many threads each.

    The default thread count gives every job an equal share of the cores (jobs x threads <=
    cores): on a loaded machine a torch pool wider than its free cores stalls (a quick-suite cell
    took ~5 min with two threads beside another process, seconds with one).
    """

    jobs: int = 1
    threads: int | None = None
    ray: bool = False
    ray_address: str | None = None
    #: test-set rows up to this many MiB stay on the device; larger ones stream from disk
    resident_mb: int = DEFAULT_RESIDENT_BYTES >> 20
    #: refuse a plan whose estimated input gradients exceed this (None: no bound)
    max_gradients: int | None = DEFAULT_MAX_GRADIENTS

    def __post_init__(self) -> None:
        cores = available_cores()
        if self.resident_mb < 0:
            raise BenchmarkError(
                f"--resident-mb must be 0 or more (got {self.resident_mb}); "
                "0 streams every test set from disk"
            )
        if self.jobs < 1:
            raise BenchmarkError(
                f"--jobs must be at least 1 (got {self.jobs}); --jobs 1 runs cells one by one"
            )
        if self.threads is not None and not 1 <= self.threads <= cores:
            raise BenchmarkError(
                f"--threads must be between 1 and this machine's {cores} cores (got {self.threads}); "
                "leave it out to share the cores among the jobs"
            )
        if self.max_gradients is not None and self.max_gradients < 1:
            raise BenchmarkError(f"--max-gradients must be at least 1 (got {self.max_gradients})")

    @property
    def thread_count(self) -> int:
        return self.threads or max(1, available_cores() // self.jobs)

    def executor(self) -> Executor:
        """The executor these options name (checked: a missing Ray extra fails here, in one line)."""
        if self.ray or self.ray_address:
            from benchmark.cells.ray_executor import RayExecutor

            return RayExecutor(self.jobs, self.thread_count, self.ray_address)
        if self.jobs > 1:
            return ProcessExecutor(self.jobs, self.thread_count)
        return SerialExecutor()


@dataclass
class RunResult:
    """What a run produced: the entries (written or not) and what publishing figures needs."""

    plan: Plan
    inputs: Inputs
    entries: list[tuple[Path, LeaderboardEntry]]
    cache: CellCache


def estimated_work(plan: Plan, inputs: Inputs, max_gradients: int | None) -> dict[str, int]:
    """Each cell's estimated work by key, for the dispatch order; a plan whose estimated input
    gradients exceed ``max_gradients`` fails here, before any cell runs."""
    examples = {entry: inputs.model(entry).features[0:1] for entry in plan.models}
    elements = {entry: example.numel() for entry, example in examples.items()}
    gradients = plan_gradients(plan, classes=inputs.num_classes, elements=elements)
    check_gradient_budget(plan, gradients, limit=max_gradients)
    flops = {entry: forward_flops(inputs.model(entry).network, x) for entry, x in examples.items()}
    return cell_work(plan, gradients, flops)


def run_suite(
    suite: Suite,
    *,
    device: str,
    output_root: Path,
    cache: CellCache,
    baselines: Path | None = None,
    data_root: Path | None = None,
    execution: Execution | None = None,
    source: ModelSource | None = None,
    attacked_by: Callable[[AttackSpec], list[str]] | None = None,
    variants: Callable[[AttackSpec], list[AttackSpec]] | None = None,
    write: bool = True,
) -> RunResult:
    """Plan, run and publish ``suite`` on the reference models in ``baselines`` (or ``source``)."""
    execution = execution or Execution()
    executor = execution.executor()
    limit_threads(execution.thread_count)
    if source is None:
        if baselines is None:
            raise ValueError("run_suite needs baselines or a model source")
        source = ReferenceModels(suite, baselines)
    recipe = InputsRecipe(suite, source, device, cache.folder, data_root, execution.resident_mb << 20)
    inputs = Inputs(recipe)
    data, models = inputs.facts()
    plan = plan_suite(suite, data, models, attacked_by=attacked_by, variants=variants)
    work = estimated_work(plan, inputs, execution.max_gradients)
    with CellProgress(f"suite {suite.name}") as progress:
        results = run_cells(
            plan.cells,
            cache=cache,
            executor=executor,
            inputs=inputs,
            progress=progress,
            work=work,
        )
    entries = assemble_entries(plan, inputs, results, output_root)
    if write:
        write_entries(entries)
    return RunResult(plan, inputs, entries, cache)
