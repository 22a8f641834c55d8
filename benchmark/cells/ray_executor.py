"""The Ray executor: cells as Ray tasks, on a local instance (``--ray``) or a cluster
(``--ray-address``). Ray is an optional extra; without it the flags fail in one line.

Each task carries the cell spec and the inputs recipe; a Ray worker builds the inputs on its
first cell and keeps them (:func:`~benchmark.cells.executors.worker_inputs`). Ray re-runs a task
whose worker died (``max_retries``); a cell that raises is not retried: its error is the run's.
Results come back to this process, which alone writes the cache and the leaderboard, so a
cluster's nodes need the data and checkpoints but no shared output folder.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

from benchmark.cells.execute import execute
from benchmark.cells.executors import MAX_ATTEMPTS, Done, Executor, thread_environment, worker_inputs
from benchmark.cells.inputs import Inputs, InputsRecipe
from benchmark.errors import BenchmarkError
from benchmark.plan.specs import AnyCellSpec
from benchmark.progress import CellProgress
from benchmark.runtime import limit_threads, make_deterministic

INSTALL_HINT = "pip install 'audio-robustbench[ray]'"


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BenchmarkError(
            f"--ray and --ray-address need the optional extra 'ray': {INSTALL_HINT}"
        ) from None
    return ray


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Refuse an address nothing answers at in one line, before Ray spends a minute retrying."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or address, int(port or 6379)), timeout=timeout):
            pass
    except (OSError, ValueError) as error:
        raise BenchmarkError(
            f"--ray-address {address!r} is unreachable ({error}); give HOST:PORT of a running Ray head "
            "(`ray start --head` prints it), or use --ray for a local instance"
        ) from None


def _run_task(recipe: InputsRecipe, cell: AnyCellSpec, threads: int) -> dict[str, Any]:
    limit_threads(threads)
    make_deterministic()
    return execute(cell, worker_inputs(recipe))


class RayExecutor(Executor):
    """Up to ``jobs`` cells at once as Ray tasks of ``threads`` CPUs each."""

    def __init__(self, jobs: int, threads: int, address: str | None) -> None:
        self.ray = import_ray()
        if address is not None:
            check_reachable(address)
        self.slots, self.threads, self.address = jobs, threads, address

    def _start(self) -> Any:
        ray = self.ray
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
            "runtime_env": {"env_vars": thread_environment(self.threads)},
        }
        try:
            if self.address is None:
                ray.init(num_cpus=self.slots * self.threads, **options)
            else:
                ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError) as error:
            raise BenchmarkError(f"Ray did not start: {error}") from None
        return ray.remote(num_cpus=self.threads, max_retries=MAX_ATTEMPTS - 1)(_run_task)

    def run(self, cells: Sequence[AnyCellSpec], inputs: Inputs, progress: CellProgress, done: Done) -> None:
        if not cells:
            return
        ray = self.ray
        task = self._start()
        queue = list(cells)
        flight: dict[Any, AnyCellSpec] = {}
        try:
            while queue or flight:
                while queue and len(flight) < self.slots:
                    cell = queue.pop(0)
                    progress.started(cell.label)
                    flight[task.remote(inputs.recipe, cell, self.threads)] = cell
                finished, _ = ray.wait(list(flight), num_returns=1)
                for reference in finished:
                    cell = flight.pop(reference)
                    done(cell, self._result(reference, cell))
        finally:
            ray.shutdown()

    def _result(self, reference: Any, cell: AnyCellSpec) -> dict[str, Any]:
        ray = self.ray
        try:
            result: dict[str, Any] = ray.get(reference)
        except ray.exceptions.RayTaskError as error:
            cause = getattr(error, "cause", None)  # the cell's own exception, e.g. a one-line BenchmarkError
            if isinstance(cause, Exception):
                raise cause from None
            raise
        except ray.exceptions.WorkerCrashedError:
            raise BenchmarkError(
                f"cell {cell.label!r} lost its Ray worker {MAX_ATTEMPTS} times (killed or out of memory?); "
                "run it with --jobs 1 to see its error"
            ) from None
        return result
