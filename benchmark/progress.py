"""Progress bars on stderr for long work (rich); silent when stderr is not a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

CONSOLE = Console(stderr=True)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int, str], None]]:
    """Yield ``advance(steps, status)``; the bar disappears when done."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=CONSOLE,
        transient=True,
        disable=not CONSOLE.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=total, status="")

        def advance(steps: int, status: str = "") -> None:
            progress.update(task, advance=steps, status=status)

        yield advance
