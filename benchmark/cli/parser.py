"""The ``arb`` argument parser: flags, help and examples only (the commands are in
:mod:`benchmark.cli.commands`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark import __version__
from benchmark.cli import commands, data_commands
from benchmark.cli.options import command, data_root, device, execution, max_gradients, output, suite_option
from benchmark.registry import REGISTRIES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arb",
        description="audio-robustbench: adversarial robustness benchmark for audio classifiers.",
        epilog="Example: arb run --suite quick   (`arb COMMAND --help` shows each command's examples)",
    )
    parser.add_argument("--version", action="version", version=f"audio-robustbench {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = command(subcommands, "list", "list registered components")
    listing.add_argument("kind", nargs="?", choices=list(REGISTRIES), help="one kind (default: all)")
    listing.add_argument("--describe", action="store_true", help="show each entry's one-line description")
    listing.set_defaults(func=commands.cmd_list)
    _train_and_run(subcommands)
    _sweep(subcommands)
    _submissions(subcommands)
    _boards(subcommands)
    _data(subcommands)
    return parser


def _train_and_run(subcommands) -> None:
    def common(sub: argparse.ArgumentParser) -> None:
        suite_option(sub)
        device(sub)
        sub.add_argument(
            "--baselines",
            type=Path,
            help="checkpoint folder (default: the committed baselines/; with --data-root or --dataset, "
            "a folder under the cache dir per suite and data location)",
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

    train = command(subcommands, "train", "train the suite's reference models into baselines/")
    common(train)
    train.add_argument("--entry", action="append", help="train only this model entry (repeatable)")
    train.add_argument(
        "--force",
        action="store_true",
        help="retrain over committed checkpoints, and save models whose validation accuracy is within chance",
    )
    train.set_defaults(func=commands.cmd_train)

    run = command(subcommands, "run", "evaluate a suite and write its leaderboard files")
    common(run)
    output(run)
    execution(run)
    run.set_defaults(func=commands.cmd_run)


def _sweep(subcommands) -> None:
    sweep = command(
        subcommands,
        "sweep",
        "train and attack one architecture over a grid of one representation setting",
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


def _submissions(subcommands) -> None:
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
        sub.add_argument(
            "--unsafe-no-sandbox",
            action="store_true",
            help="run the submitted code outside the bubblewrap box, with your user's rights "
            "(trusted code only; see the README's trust model)",
        )

    validate = command(subcommands, "validate", "check a submission before any attack runs")
    sandboxed(validate, 120)
    suite_option(validate, default=None)
    validate.set_defaults(func=commands.cmd_validate)

    submit = command(subcommands, "submit", "validate, evaluate and publish a submission's leaderboard entry")
    sandboxed(submit, 3600)
    suite_option(submit)
    output(submit)
    submit.add_argument("--force", action="store_true", help="replace an existing entry of the same name")
    max_gradients(submit)
    submit.set_defaults(func=commands.cmd_submit)


def _boards(subcommands) -> None:
    summary = command(subcommands, "summary", "validate results files and print their summary")
    summary.add_argument("paths", nargs="+", type=Path, help="results files or folders")
    summary.add_argument("--markdown", action="store_true", help="print Markdown instead of a table")
    summary.set_defaults(func=commands.cmd_summary)

    schema = command(subcommands, "schema", "print the JSON Schema of results files")
    schema.set_defaults(func=commands.cmd_schema)

    board = command(subcommands, "leaderboard", "print or write a suite's ranked leaderboard")
    board.add_argument("--suite", help="suite name or path to a suite TOML (default: quick)")
    board.add_argument("positional_suite", nargs="?", metavar="SUITE", help=argparse.SUPPRESS)
    board.add_argument(
        "--format",
        choices=["terminal", "markdown", "html"],
        default="terminal",
        help="terminal table, or write leaderboard.md / index.html beside the entries (default: terminal)",
    )
    output(board, deprecated_root=True)
    board.add_argument("--version", type=int, help="suite version (default: the suite's current one)")
    board.set_defaults(func=commands.cmd_leaderboard)

    compare = command(
        subcommands,
        "compare",
        "compare two results files or folders within the suite's tolerances (exit 1 on drift)",
    )
    compare.add_argument("old", type=Path, help="reference file or folder (its suite's tolerances apply)")
    compare.add_argument("new", type=Path, help="file or folder to check against it")
    compare.set_defaults(func=commands.cmd_compare)


def _data(subcommands) -> None:
    data = command(subcommands, "data", "fetch or check a real dataset (ESC-50, ESC-10, UrbanSound8K, GTZAN)")
    actions = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    fetch = command(actions, "fetch", "download, verify and extract a dataset's public archive", "data fetch")
    fetch.add_argument("name", help="dataset name (arb data list shows the archives)")
    data_root(fetch, "folder to create with the dataset (then pass it to run / train as --data-root)")
    fetch.add_argument("--url", help="download from this mirror instead of the official URL")
    fetch.add_argument("--checksum", help="md5:<hex>, sha256:<hex> or none (default: the recorded one)")
    fetch.set_defaults(func=data_commands.cmd_data_fetch)
    check = command(
        actions,
        "check",
        "verify a copy: file count, missing or unreadable files, sample rates",
        "data check",
    )
    check.add_argument("name", help="dataset name")
    data_root(check, "the copy's folder (what run / train take as --data-root)")
    check.set_defaults(func=data_commands.cmd_data_check)
    data_list = command(actions, "list", "the public archives: URL, checksum, source", "data list")
    data_list.set_defaults(func=data_commands.cmd_data_list)
