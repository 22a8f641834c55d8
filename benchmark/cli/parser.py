"""The ``arb`` argument parser: flags, help and examples only (the commands are in
:mod:`benchmark.cli.commands`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark import __version__
from benchmark.cli import commands
from benchmark.paths import cache_dir, project_root
from benchmark.plan.cost import DEFAULT_MAX_GRADIENTS
from benchmark.registry import REGISTRIES


def device(sub: argparse.ArgumentParser) -> None:
    """The one ``--device`` option; it is resolved once, where the run's inputs are built."""
    sub.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")


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


def build_parser() -> argparse.ArgumentParser:
    root = project_root()
    parser = argparse.ArgumentParser(
        prog="arb",
        description="audio-robustbench: adversarial robustness benchmark for audio classifiers.",
        epilog="Example: arb run --suite quick   (see README.md for metric definitions)",
    )
    parser.add_argument("--version", action="version", version=f"audio-robustbench {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = subcommands.add_parser("list", help="list registered components")
    listing.add_argument("kind", nargs="?", choices=list(REGISTRIES), help="one kind (default: all)")
    listing.add_argument("--describe", action="store_true", help="show each entry's one-line description")
    listing.set_defaults(func=commands.cmd_list)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--suite", default="quick", help="suite name or path to a suite TOML (default: quick)"
        )
        device(sub)
        sub.add_argument(
            "--baselines",
            type=Path,
            default=root / "baselines",
            help="checkpoint folder (default: baselines/)",
        )
        sub.add_argument(
            "--data-root",
            type=Path,
            help="folder holding the suite's real dataset (see `arb data fetch` / `arb data check`)",
        )
        sub.add_argument(
            "--dataset",
            metavar="NAME[:PATH]",
            help="use this dataset instead of the suite's, e.g. folder:PATH for your own data",
        )

    train = subcommands.add_parser(
        "train",
        help="train the suite's reference models into baselines/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  arb train --suite quick\n"
            "  arb train --suite quick --entry cnn2d_stft\n"
            "  arb train --suite quick --dataset folder:~/my_clips --baselines /tmp/my_baselines"
        ),
    )
    common(train)
    train.add_argument("--entry", action="append", help="train only this model entry (repeatable)")
    train.set_defaults(func=commands.cmd_train)

    run = subcommands.add_parser(
        "run",
        help="evaluate a suite and write its leaderboard files",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  arb run --suite quick                      the walking skeleton (~2 min on 2 cores)\n"
            "  arb run --suite standard --jobs 2          two cells at once, one thread each\n"
            "  arb run --suite quick --no-cache --output /tmp/lb   recompute everything elsewhere\n"
            "  arb run --suite zoo --ray                  cells as tasks of a local Ray instance\n"
            "  arb run --suite koerich2020 --data-root ~/data/gtzan   a seed protocol on real data"
        ),
    )
    common(run)
    run.add_argument(
        "--output", type=Path, default=root / "leaderboards", help="leaderboard root (default: leaderboards/)"
    )
    execution(run)
    run.set_defaults(func=commands.cmd_run)

    sweep = subcommands.add_parser(
        "sweep",
        help="train and attack one architecture over a grid of one representation setting",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Train ARCHITECTURE once per value of one representation setting on the dataset (default:\n"
            "the embedded synth10), attack every model with each --attack over --budgets, and write a\n"
            "table like Esmaeilpour et al. 2021 Tables 2-4 and 7 (rows: setting values; columns: clean\n"
            "accuracy, then per attack FR-AUC and gradients per example) as OUTPUT/sweep.md and\n"
            "OUTPUT/sweep.json, and OUTPUT/sweep.png (accuracy and attack cost against the setting, like\n"
            "their Figs. 1-5). Checkpoints go to OUTPUT/checkpoints (reused on a re-run), leaderboard\n"
            "files to OUTPUT/results; finished attack cells are cached. Every value is checked before\n"
            "the first model trains."
        ),
        epilog=(
            "examples:\n"
            "  arb sweep --architecture cnn2d --representation mfcc_resized --setting n_mfcc=13,20,40 \\\n"
            "      --attack fgsm/native --attack bim_b/native --budgets 0.001,0.01,0.03 \\\n"
            "      --output sweeps/n_mfcc\n"
            "  ... --representation stft --setting window_scale=0.25,0.5,1 --param n_fft=1024 \\\n"
            "      --param hop_length=256                       (Fig. 4: window length / n_fft)\n"
            "  ... --representation mfcc --setting dct_norm=ortho,none  (none/true/false parse as such)\n"
            "  ... --representation dwt --setting wavelet=haar,mexh,cmor1.5-1.0\n"
            "  ... --representation mfcc --setting sample_rate=8000,16000,22050,24000  (the data's rate)\n"
            "settings: `arb list representations --describe`, or a bad name lists the valid ones."
        ),
    )
    sweep.add_argument("--architecture", required=True, help="registered model, e.g. cnn2d or resnet18")
    sweep.add_argument("--config", default="compact", help="architecture config (default: compact)")
    sweep.add_argument("--representation", required=True, help="registered representation, e.g. mfcc")
    sweep.add_argument(
        "--setting",
        required=True,
        help="NAME=V1,V2,...: the swept setting and its values (none/true/false, numbers or text); "
        "NAME is a representation setting or sample_rate",
    )
    sweep.add_argument(
        "--param", action="append", default=[], help="NAME=VALUE: a fixed representation setting (repeatable)"
    )
    sweep.add_argument(
        "--attack", action="append", required=True, help="ATTACK/BACKEND, e.g. fgsm/native (repeatable)"
    )
    sweep.add_argument(
        "--budgets",
        required=True,
        help="comma-separated ascending budget schedule, in the representation's units",
    )
    sweep.add_argument("--epochs", type=int, default=3, help="training epochs at most (default: 3)")
    sweep.add_argument("--batch-size", type=int, default=50, help="training batch size (default: 50)")
    sweep.add_argument(
        "--pitch-shift",
        default="",
        help="comma-separated pitch-shift factors for the training tracks, e.g. 0.75,0.9,1.15,1.5",
    )
    sweep.add_argument(
        "--dataset-param",
        action="append",
        default=[],
        help="NAME=VALUE for synth10, e.g. tracks_per_class=10",
    )
    sweep.add_argument(
        "--test-tracks-per-class", type=int, default=2, help="test tracks attacked per class (default: 2)"
    )
    sweep.add_argument("--seed", type=int, default=0, help="training and attack seed (default: 0)")
    sweep.add_argument("--output", type=Path, required=True, help="sweep folder (created)")
    device(sweep)
    execution(sweep)
    sweep.set_defaults(func=commands.cmd_sweep)

    summary = subcommands.add_parser("summary", help="validate results files and print their summary")
    summary.add_argument("paths", nargs="+", type=Path, help="results files or folders")
    summary.add_argument("--markdown", action="store_true", help="print Markdown instead of a table")
    summary.set_defaults(func=commands.cmd_summary)

    schema = subcommands.add_parser("schema", help="print the JSON Schema of results files")
    schema.set_defaults(func=commands.cmd_schema)

    def sandboxed(sub: argparse.ArgumentParser, seconds: float) -> None:
        sub.add_argument("path", type=Path, help="submission folder (holds submission.toml)")
        device(sub)
        sub.add_argument(
            "--time-limit",
            type=float,
            default=seconds,
            help=f"seconds the submitted code may run (default: {seconds:g})",
        )
        sub.add_argument(
            "--memory-limit",
            type=float,
            default=8.0,
            help="GiB of memory the submitted code may use (default 8)",
        )

    validate = subcommands.add_parser("validate", help="check a submission before any attack runs")
    sandboxed(validate, 120)
    validate.set_defaults(func=commands.cmd_validate)

    submit = subcommands.add_parser(
        "submit", help="validate, evaluate and publish a submission's leaderboard entry"
    )
    sandboxed(submit, 3600)
    submit.add_argument("--suite", default="quick", help="suite name or suite TOML path (default: quick)")
    submit.add_argument(
        "--output", type=Path, default=root / "leaderboards", help="leaderboard root (default: leaderboards/)"
    )
    submit.add_argument("--force", action="store_true", help="replace an existing entry of the same name")
    max_gradients(submit)
    submit.set_defaults(func=commands.cmd_submit)

    board = subcommands.add_parser("leaderboard", help="print or write a suite's ranked leaderboard")
    board.add_argument("suite", help="suite name or path to a suite TOML")
    board.add_argument(
        "--format",
        choices=["terminal", "markdown", "html"],
        default="terminal",
        help="terminal table, or write leaderboard.md / index.html beside the entries (default: terminal)",
    )
    board.add_argument(
        "--root", type=Path, default=root / "leaderboards", help="leaderboard root (default: leaderboards/)"
    )
    board.add_argument("--version", type=int, help="suite version (default: the suite's current one)")
    board.set_defaults(func=commands.cmd_leaderboard)

    compare = subcommands.add_parser(
        "compare", help="compare two results files or folders within the suite's tolerances (exit 1 on drift)"
    )
    compare.add_argument("old", type=Path, help="reference file or folder (its suite's tolerances apply)")
    compare.add_argument("new", type=Path, help="file or folder to check against it")
    compare.set_defaults(func=commands.cmd_compare)

    data = subcommands.add_parser(
        "data", help="fetch or check a real dataset (ESC-50, ESC-10, UrbanSound8K, GTZAN)"
    )
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    fetch = data_commands.add_parser("fetch", help="download, verify and extract a dataset's public archive")
    fetch.add_argument("name", help="dataset name (arb data list shows the archives)")
    fetch.add_argument("--root", type=Path, required=True, help="folder to create with the dataset")
    fetch.add_argument("--url", help="download from this mirror instead of the official URL")
    fetch.add_argument("--checksum", help="md5:<hex>, sha256:<hex> or none (default: the recorded one)")
    fetch.set_defaults(func=commands.cmd_data_fetch)
    check = data_commands.add_parser(
        "check", help="verify a copy: file count, missing or unreadable files, sample rates"
    )
    check.add_argument("name", help="dataset name")
    check.add_argument("--root", type=Path, required=True, help="the copy's folder")
    check.set_defaults(func=commands.cmd_data_check)
    data_list = data_commands.add_parser("list", help="the public archives: URL, checksum, source")
    data_list.set_defaults(func=commands.cmd_data_list)
    return parser
