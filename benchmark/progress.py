"""Progress on stderr: a live bar on a terminal, plain lines in a log.

On a terminal, :class:`CellProgress` shows a rich bar with the running cells' names, the ETA
and the throughput; when stderr is not a terminal (CI, ``> run.log``) it prints one plain line
per finished cell (count, name, seconds, key numbers, ETA), so a long run is never silent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

CONSOLE = Console(stderr=True)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int, str], None]]:
    """Yield ``advance(steps, status)`` for work that is not made of cells (training epochs)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=CONSOLE,
        transient=True,
        disable=not CONSOLE.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=total, status="")

        def advance(steps: int, status: str = "") -> None:
            progress.update(task, advance=steps, status=status)

        yield advance


def describe_result(result: Mapping[str, Any]) -> str:
    """The key numbers of a finished cell for its log line."""
    if "fr_auc" in result:
        auc = result["fr_auc"]
        last = result["per_budget"][-1]
        robust = last["robust_accuracy"]["segment"]
        return (
            f"FR-AUC {'-' if auc is None else f'{auc:.3f}'}, robust acc. {robust:.3f} at {last['budget']:g}"
        )
    if "adversarial_reconstructed" in result:
        return (
            f"1D accuracy on reconstructed adversarials {result['adversarial_reconstructed']['segment']:.3f}"
        )
    return f"fooled the source {result['fooled_source']} of {result['examples']}"


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class CellProgress:
    """Progress of a run's cells; ``live`` (default: stderr is a terminal) picks bar or lines."""

    def __init__(self, title: str, *, live: bool | None = None, console: Console = CONSOLE) -> None:
        self.title = title
        self.console = console
        self.live = console.is_terminal if live is None else live
        self._running: list[str] = []
        self._progress: Progress | None = None
        self.done = self.total = self.cached = 0

    def __enter__(self) -> CellProgress:
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[rate]} {task.fields[running]}"),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.title, total=None, rate="", running="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def begin(self, *, total: int, cached: int, slots: int) -> None:
        self.total, self.cached, self.done = total, cached, cached
        self._started = time.perf_counter()
        note = f"{total} cells, {cached} from the cache, {total - cached} to run"
        self.note(f"{self.title}: {note}" + (f" ({slots} at a time)" if slots > 1 else ""))
        if self._progress is not None:
            self._progress.update(self._task, total=total, completed=cached)

    def started(self, label: str) -> None:
        self._running.append(label)
        self._refresh()

    def finished(self, label: str, result: Mapping[str, Any]) -> None:
        if label in self._running:
            self._running.remove(label)
        self.done += 1
        ran = self.done - self.cached
        elapsed = time.perf_counter() - self._started
        eta = elapsed / ran * (self.total - self.done) if ran else 0.0
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done)
            self._refresh()
        else:
            self.console.print(
                f"[{self.done}/{self.total}] {label}: {result['wall_time_s']:.1f} s, "
                f"{describe_result(result)}; ETA {_duration(eta)}",
                highlight=False,
                soft_wrap=True,
            )

    def note(self, message: str) -> None:
        self.console.print(message, highlight=False, soft_wrap=True)

    def _refresh(self) -> None:
        if self._progress is None:
            return
        ran = self.done - self.cached
        elapsed = time.perf_counter() - getattr(self, "_started", time.perf_counter())
        rate = f"{60 * ran / elapsed:.1f} cells/min" if ran and elapsed > 0 else ""
        self._progress.update(self._task, rate=rate, running=", ".join(self._running))
        self._progress.refresh()
