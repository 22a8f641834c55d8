"""Executors: where cells run. Serial (in this process), local processes (``--jobs N``), or Ray.

Every executor runs the same pure cell function on the same specs, so results are identical
whichever runs them (given the same thread count: intra-op threads may reorder float sums).
Workers rebuild the shared inputs from an :class:`InputsRecipe` once per process. A worker
that dies (killed, out of memory) costs only its cell, which is run again, up to
:data:`MAX_ATTEMPTS` times. Finished cells never reach an executor: :func:`run_cells` reads
them from the cache, and writes each new result there the moment it arrives. With more than one
slot the costliest cells go first (longest processing time first), so the run does not end on one
long cell started last while the other slots idle.
"""

from __future__ import annotations

import multiprocessing
import os
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from benchmark.cells.cache import CellCache
from benchmark.cells.execute import execute, result_schema
from benchmark.cells.inputs import Inputs, InputsRecipe
from benchmark.errors import BenchmarkError, CellsInterrupted
from benchmark.plan.specs import AnyCellSpec
from benchmark.progress import CellProgress
from benchmark.runtime import limit_threads, make_deterministic

#: how often a cell may lose its worker before the run gives up on it
MAX_ATTEMPTS = 3

Done = Callable[[AnyCellSpec, dict[str, Any]], None]


class Executor(ABC):
    """Runs cells and reports each result as it arrives."""

    #: how many cells run at once
    slots: int = 1

    @abstractmethod
    def run(self, cells: Sequence[AnyCellSpec], inputs: Inputs, progress: CellProgress, done: Done) -> None:
        """Run every cell; call ``done(cell, result)`` in the calling process for each."""


class SerialExecutor(Executor):
    """In this process, one cell at a time, on the inputs planning already loaded."""

    def run(self, cells: Sequence[AnyCellSpec], inputs: Inputs, progress: CellProgress, done: Done) -> None:
        for cell in cells:
            progress.started(cell.label)
            done(cell, execute(cell, inputs))


_WORKER: dict[str, Any] = {}


def worker_inputs(recipe: InputsRecipe) -> Inputs:
    """This worker process's inputs for ``recipe``, built on its first cell and kept."""
    if _WORKER.get("recipe") != recipe:
        _WORKER["recipe"], _WORKER["inputs"] = recipe, Inputs(recipe)
    inputs: Inputs = _WORKER["inputs"]
    return inputs


def _start_worker(threads: int) -> None:
    limit_threads(threads)
    make_deterministic()


def _run_in_worker(recipe: InputsRecipe, cell: AnyCellSpec) -> dict[str, Any]:
    return execute(cell, worker_inputs(recipe))


class ProcessExecutor(Executor):
    """``jobs`` local worker processes (spawned, so no thread pool is forked half-initialised)."""

    def __init__(self, jobs: int, threads: int) -> None:
        self.slots = jobs
        self.threads = threads

    def _pool(self) -> ProcessPoolExecutor:
        # BLAS reads its thread count from the environment when the worker imports numpy.
        os.environ.update(thread_environment(self.threads))
        return ProcessPoolExecutor(
            self.slots,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.threads,),
        )

    def run(self, cells: Sequence[AnyCellSpec], inputs: Inputs, progress: CellProgress, done: Done) -> None:
        pending = list(cells)
        attempts: Counter[str] = Counter()
        while pending:
            with self._pool() as pool:
                pending = self._drain(pool, pending, inputs.recipe, progress, done, attempts)

    def _drain(self, pool, pending, recipe, progress, done, attempts) -> list[AnyCellSpec]:
        """Keep ``slots`` cells in flight until all are done or the pool breaks; return the rest."""
        queue = list(pending)
        flight: dict[Future, AnyCellSpec] = {}
        try:
            while queue or flight:
                while queue and len(flight) < self.slots:
                    cell = queue.pop(0)
                    progress.started(cell.label)
                    flight[pool.submit(_run_in_worker, recipe, cell)] = cell
                finished, _ = wait(flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    result = future.result()  # a dead worker raises BrokenProcessPool here
                    done(flight.pop(future), result)
        except BrokenProcessPool:
            for future in [f for f in flight if f.done() and f.exception() is None]:
                done(flight.pop(future), future.result())  # finished before the pool broke
            for cell in flight.values():
                attempts[cell.key] += 1
                if attempts[cell.key] >= MAX_ATTEMPTS:
                    raise BenchmarkError(
                        f"cell {cell.label!r} lost its worker process {MAX_ATTEMPTS} times (killed or out "
                        "of memory?); run it with --jobs 1 to see its error"
                    ) from None
                progress.note(f"a worker died; running {cell.label} again")
            return [*flight.values(), *queue]
        return []


def thread_environment(threads: int) -> dict[str, str]:
    return {name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def costliest_first(cells: Sequence[AnyCellSpec], work: Mapping[str, float]) -> list[AnyCellSpec]:
    """``cells`` by estimated ``work`` (by key), largest first; ties keep their plan order."""
    return sorted(cells, key=lambda cell: -work[cell.key])


def run_cells(
    cells: Sequence[AnyCellSpec],
    *,
    cache: CellCache,
    executor: Executor,
    inputs: Inputs,
    progress: CellProgress,
    work: Mapping[str, float] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every cell's result by key: from the cache where finished, else from ``executor``, which
    gets the costliest first when it has several slots and ``work`` estimates the cells' cost; an
    interrupt becomes :class:`CellsInterrupted`, counting the cells kept."""
    results: dict[str, dict[str, Any]] = {}
    pending = []
    for cell in cells:
        cached = cache.get(cell.key, result_schema(cell))
        if cached is None:
            pending.append(cell)
        else:
            results[cell.key] = cached
    progress.begin(total=len(cells), cached=len(results), slots=executor.slots)

    def done(cell: AnyCellSpec, result: dict[str, Any]) -> None:
        cache.put(cell.key, result)
        results[cell.key] = result
        progress.finished(cell.label, result)

    if work is not None and executor.slots > 1:
        pending = costliest_first(pending, work)
    try:
        executor.run(pending, inputs, progress, done)
    except KeyboardInterrupt:
        finished = f"{len(results)} of {len(cells)} cells finished"
        raise CellsInterrupted(
            f"{finished} and are cached; run the same command again to resume"
            if cache.enabled
            else f"{finished}; none is kept (caching is off)"
        ) from None
    return results
