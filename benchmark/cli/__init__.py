"""The ``arb`` command line: list, train, run, sweep, summary, schema, validate, submit, leaderboard,
compare, data. Errors the user can fix are one line on stderr and exit 2."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

from benchmark.errors import BenchmarkError, CellsInterrupted

#: what an interrupt leaves behind, per command (the default: nothing was written); ``run`` and
#: ``sweep`` interrupted while their cells run say how many were kept instead (CellsInterrupted)
INTERRUPTED = {
    "run": "finished cells are cached; run the same command again to resume",
    "sweep": "finished cells are cached; run the same command again to resume",
    "train": "checkpoints saved before the interrupt are kept; the interrupted model was not saved",
    "submit": "nothing was published; the box and its temporary folder are gone",
    "validate": "nothing was written; the box is gone",
}


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops a command as Ctrl-C does (KeyboardInterrupt: the box and pool workers are
    ended, temporary folders removed, nothing half-written, exit 130); the previous handler comes
    back after. Pool workers are spawned interpreters, so they keep the default handler and die
    on the SIGTERM their pool sends them."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _remove_stale_run_folders() -> None:
    """The temporary folders of ``arb`` processes killed with SIGKILL, removed in one line."""
    from benchmark.runfolders import remove_stale

    removed = remove_stale()
    if removed:
        names = ", ".join(path.name for path in removed)
        print(f"arb: removed {len(removed)} temporary folder(s) of killed runs: {names}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    from benchmark.cli.parser import build_parser

    args = build_parser().parse_args(argv)
    if args.command in ("run", "sweep", "validate", "submit"):
        _remove_stale_run_folders()
    try:
        with sigterm_interrupts():
            return args.func(args)
    except BenchmarkError as error:
        print(f"arb: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        counted = isinstance(interrupt, CellsInterrupted) and args.command in ("run", "sweep")
        left = str(interrupt) if counted else INTERRUPTED.get(args.command, "nothing was written")
        print(f"arb: interrupted; {left}", file=sys.stderr)
        return 130
