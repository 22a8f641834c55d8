"""The options several ``arb`` commands share, each declared once (``--device``, ``--output``,
``--suite``, ``--data-root``, the execution flags), and the subcommand factory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cells.inputs import DEFAULT_RESIDENT_BYTES
from benchmark.cli.examples import epilog
from benchmark.paths import cache_dir, output_root
from benchmark.plan.cost import DEFAULT_MAX_GRADIENTS


def device(sub: argparse.ArgumentParser) -> None:
    """The one ``--device`` option; it is resolved once, where the run's inputs are built."""
    sub.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")


class DeprecatedAlias(argparse.Action):
    """An old spelling of an option (``--root``): still accepted, with a one-line warning."""

    def __init__(self, option_strings: list[str], dest: str, replacement: str, **kwargs) -> None:
        self.replacement = replacement
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"arb: warning: {option_string} is deprecated; use {self.replacement}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def command(
    subcommands, name: str, help: str, examples: str | None = None, **kwargs
) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` ends with its examples (:mod:`benchmark.cli.examples`)."""
    return subcommands.add_parser(
        name,
        help=help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=epilog(examples or name),
        **kwargs,
    )


def output(sub: argparse.ArgumentParser, *, deprecated_root: bool = False) -> None:
    """The one ``--output``: the leaderboard root every command reads or writes."""
    sub.add_argument(
        "--output",
        type=Path,
        default=output_root(),
        help="leaderboard root (default: leaderboards/ of the checkout, or ./leaderboards when installed)",
    )
    if deprecated_root:
        sub.add_argument("--root", type=Path, dest="output", action=DeprecatedAlias, replacement="--output")


def suite_option(sub: argparse.ArgumentParser, default: str | None = "quick") -> None:
    """The one ``--suite``: a registered name or a suite TOML path."""
    shown = f"default: {default}" if default else "optional"
    sub.add_argument("--suite", default=default, help=f"suite name or path to a suite TOML ({shown})")


def data_root(sub: argparse.ArgumentParser, help: str) -> None:
    """The one ``--data-root``: a dataset's folder (``--root`` is its deprecated spelling in ``arb data``)."""
    sub.add_argument("--data-root", type=Path, help=help)
    sub.add_argument("--root", type=Path, dest="data_root", action=DeprecatedAlias, replacement="--data-root")


def execution(sub: argparse.ArgumentParser) -> None:
    """Where and how the cells run (see README, Execution), and their cache."""
    sub.add_argument(
        "--cache-dir", type=Path, default=cache_dir(), help="cell cache (default: user cache dir)"
    )
    sub.add_argument(
        "--no-cache", action="store_true", help="recompute every cell, write nothing to the cache"
    )
    sub.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="cells run at once in worker processes (default: 1, in this process)",
    )
    sub.add_argument(
        "--threads",
        type=int,
        help="torch and BLAS threads per job (default: the cores divided among the jobs)",
    )
    sub.add_argument("--ray", action="store_true", help="run cells as tasks of a local Ray instance")
    sub.add_argument("--ray-address", metavar="ADDR", help="run cells on the Ray cluster at HOST:PORT")
    sub.add_argument(
        "--resident-mb",
        type=int,
        default=DEFAULT_RESIDENT_BYTES >> 20,
        metavar="MB",
        help="test sets (waveforms, features) up to this size stay in memory; larger ones are "
        "stored in the cache and read a batch at a time (default: 1024; 0 streams everything)",
    )
    max_gradients(sub)


def max_gradients(sub: argparse.ArgumentParser) -> None:
    """The bound on a plan's estimated cost, checked before any cell runs (see README)."""
    sub.add_argument(
        "--max-gradients",
        type=float,
        default=DEFAULT_MAX_GRADIENTS,
        metavar="N",
        help=f"refuse a plan whose estimated input gradients exceed N (default: {DEFAULT_MAX_GRADIENTS:.0e})",
    )
