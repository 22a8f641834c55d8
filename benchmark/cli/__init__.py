"""The ``arb`` command line: list, train, run, sweep, summary, schema, validate, submit, leaderboard,
compare, data. Errors the user can fix are one line on stderr and exit 2."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from benchmark.errors import BenchmarkError


def main(argv: Sequence[str] | None = None) -> int:
    from benchmark.cli.parser import build_parser

    args = build_parser().parse_args(argv)
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
