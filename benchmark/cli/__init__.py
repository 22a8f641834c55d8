"""The ``arb`` command line: list, train, run, sweep, summary, schema, validate, submit, leaderboard,
compare, data. Errors the user can fix are one line on stderr and exit 2."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence

from benchmark.errors import BenchmarkError


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    from benchmark.cli.parser import build_parser

    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM stops a command as SIGINT does: boxes killed, temporary folders removed, exit 130
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except BenchmarkError as error:
        print(f"arb: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "arb: interrupted; finished cells are cached, run the same command again to resume",
            file=sys.stderr,
        )
        return 130
