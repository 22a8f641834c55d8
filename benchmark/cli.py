"""The ``arb`` command line: list, train, run, sweep, summary, schema, validate, submit, leaderboard,
compare."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmark import __version__
from benchmark.errors import BenchmarkError
from benchmark.paths import cache_dir, project_root
from benchmark.registry import REGISTRIES

STDOUT = None  # created lazily so `arb --help` stays fast


def _stdout():
    from benchmark.publish.tables import terminal_console

    global STDOUT
    STDOUT = STDOUT or terminal_console()
    return STDOUT


def cmd_list(args: argparse.Namespace) -> int:
    kinds = [args.kind] if args.kind else list(REGISTRIES)
    for kind in kinds:
        registry = REGISTRIES[kind]
        print(f"{kind}:")
        for name in registry.names():
            print(f"  {name:<28} {registry.describe(name) if args.describe else ''}".rstrip())
    return 0


def _with_data(suite, args: argparse.Namespace):
    """Apply ``--dataset NAME[:PATH]`` and ``--data-root DIR``: returns (suite, data root).

    ``--dataset`` swaps the suite's dataset (keeping its sample rate, so its models fit); the
    suite object changes, so cell keys and leaderboard entries name the new dataset.
    """
    import inspect

    from benchmark.registry import DATASETS

    root: Path | None = args.data_root
    if args.dataset:
        name, sep, path = args.dataset.partition(":")
        if sep:
            if root is not None:
                raise BenchmarkError("give the data folder once: --dataset NAME:PATH or --data-root PATH")
            root = Path(path)
        accepts = inspect.signature(DATASETS.get(name)).parameters
        rate = suite.dataset_params.get("sample_rate")
        if rate is None:
            default = inspect.signature(DATASETS.get(suite.dataset)).parameters.get("sample_rate")
            rate = default.default if default is not None else None
        params = {"sample_rate": rate} if rate is not None and "sample_rate" in accepts else {}
        suite = suite.model_copy(update={"dataset": name, "dataset_params": params})
    return suite, root


def _suite_and_data(args: argparse.Namespace):
    from benchmark.data.protocol import prepare_data
    from benchmark.harness.suite import load_suite

    suite, root = _with_data(load_suite(args.suite), args)
    prepared = prepare_data(
        suite.dataset,
        suite.dataset_params,
        segment_seconds=suite.segment_seconds,
        overlap=suite.overlap,
        root=root,
    )
    return suite, prepared


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from benchmark.harness.environment import make_deterministic, resolve_device
    from benchmark.models.reference import build_reference, save_reference
    from benchmark.training import train_reference

    device = resolve_device(args.device)
    make_deterministic()
    if args.dataset and args.baselines == project_root() / "baselines":
        raise BenchmarkError(
            "--dataset trains on other data than the suite's: pass --baselines DIR so the checkpoints in "
            "baselines/ stay as they are"
        )
    suite, prepared = _suite_and_data(args)
    entries = args.entry or list(suite.models)
    for entry in entries:
        if entry not in suite.models:
            raise BenchmarkError(
                f"suite {suite.name!r} has no model {entry!r}; it has {', '.join(suite.models)}"
            )
    sizes = {
        "sample_rate": prepared.sample_rate,
        "segment_samples": prepared.segment_samples,
        "num_classes": prepared.num_classes,
    }
    # Build every model once before training any, so a bad representation setting fails with nothing
    # written; under fork_rng, so each model's initial weights are what they were without this check.
    with torch.random.fork_rng(devices=[]):
        for entry in entries:
            build_reference(entry, suite.models[entry], **sizes)
    for entry in entries:
        model = build_reference(entry, suite.models[entry], **sizes)
        card = train_reference(model, prepared, test_fold=suite.test_fold, seed=suite.seed, device=device)
        weights = save_reference(model, args.baselines, card)
        test = card["clean_accuracy"]["test"]
        print(
            f"{entry}: test accuracy segment {test['segment']:.3f}, MV {test['mv']:.3f}, SR {test['sr']:.3f} "
            f"({card['training']['epochs_run']} epochs, {card['training']['wall_time_s']:.1f} s) -> {weights}"
        )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from benchmark.harness.cache import CellCache
    from benchmark.harness.environment import make_deterministic, resolve_device
    from benchmark.harness.examples import draw_examples
    from benchmark.harness.runner import SuiteRunner
    from benchmark.harness.suite import load_suite
    from benchmark.jsonio import atomic_write_bytes
    from benchmark.publish.summary import markdown, plot_fooling_curves, plot_transferability, rich_tables

    started = time.perf_counter()
    make_deterministic()
    suite, data_root = _with_data(load_suite(args.suite), args)
    runner = SuiteRunner(
        suite,
        device=resolve_device(args.device),
        baselines=args.baselines,
        output_root=args.output,
        cache=CellCache(args.cache_dir, enabled=not args.no_cache),
        data_root=data_root,
    )
    written = runner.run()
    entries = [entry for _, entry in written]
    folder = written[0][0].parent
    atomic_write_bytes(folder / "summary.md", markdown(entries).encode())
    for path, entry in written:
        plot_fooling_curves(entry, path.with_name(f"{entry.entry}_fooling_rate.png"))
        draw_examples(runner, entry.entry, path.with_name(f"{entry.entry}_examples.png"))
    plot_transferability(entries, folder)
    console = _stdout()
    for table in rich_tables(entries):
        console.print(table)
    for path, _ in written:
        console.print(f"wrote {path}")
    console.print(
        f"wrote {folder / 'summary.md'}, FR-vs-budget plots, adversarial examples and heat maps; "
        f"wall time {time.perf_counter() - started:.1f} s"
    )
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from benchmark.harness.cache import CellCache
    from benchmark.harness.environment import make_deterministic, resolve_device
    from benchmark.harness.sweep import Sweep, SweepConfig, parse_assignment
    from benchmark.models.spec import TrainingRecipe
    from benchmark.publish.sweep import markdown_table

    started = time.perf_counter()
    setting, values = parse_assignment(args.setting, many=True)
    params = dict(parse_assignment(text, many=False) for text in args.param)
    dataset_params = dict(parse_assignment(text, many=False) for text in args.dataset_param)
    try:
        budgets = [float(b) for b in args.budgets.split(",")]
        factors = [float(f) for f in args.pitch_shift.split(",")] if args.pitch_shift else []
        config = SweepConfig(
            architecture=args.architecture,
            config=args.config,
            representation=args.representation,
            setting=setting,
            values=values,
            params={name: value[0] for name, value in params.items()},
            attacks=args.attack,
            budgets=budgets,
            training=TrainingRecipe(
                epochs=args.epochs,
                batch_size=args.batch_size,
                learning_rate=2e-3,
                patience=4,
                pitch_shift=factors,
            ),
            dataset_params={name: value[0] for name, value in dataset_params.items()},  # type: ignore[misc]
            seed=args.seed,
            test_tracks_per_class=args.test_tracks_per_class,
        )
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        first = str(error).splitlines()
        raise BenchmarkError(f"sweep: {' '.join(line.strip() for line in first[1:3]) or first[0]}") from None
    make_deterministic()
    sweep = Sweep(
        config,
        output=args.output,
        device=resolve_device(args.device),
        cache=CellCache(args.cache_dir, enabled=not args.no_cache),
    )
    result = sweep.run()
    print(markdown_table(result))
    print(
        f"wrote {args.output / 'sweep.json'}, sweep.md and sweep.png; "
        f"wall time {time.perf_counter() - started:.1f} s"
    )
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from benchmark.leaderboard.io import read_entry
    from benchmark.publish.summary import markdown, rich_tables

    paths: list[Path] = []
    for path in args.paths:
        paths += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    if not paths:
        raise BenchmarkError(f"no results files found in {', '.join(map(str, args.paths))}")
    entries = [read_entry(path) for path in paths]
    if args.markdown:
        print(markdown(entries))
    else:
        for table in rich_tables(entries):
            _stdout().print(table)
    return 0


def _limits(args: argparse.Namespace):
    from benchmark.submission.sandbox import Limits

    if args.time_limit <= 0 or args.memory_limit <= 0:
        raise BenchmarkError("--time-limit and --memory-limit must be positive")
    return Limits(seconds=args.time_limit, memory_bytes=int(args.memory_limit * 2**30))


def cmd_validate(args: argparse.Namespace) -> int:
    from benchmark.submission.commands import validate

    manifest, report = validate(args.path, limits=_limits(args), device=args.device)
    shape = "x".join(str(n) for n in report["input_shape"])
    print(
        f"{args.path}: valid. {manifest.entry_point} builds {report['architecture']} "
        f"({report['parameters']:,} parameters); weights {manifest.weights} load; "
        f"{manifest.input.representation_name} input {shape} -> logits {tuple(report['output_shape'])}, "
        f"finite; the input gradient is finite and non-zero ({report['seconds']:.1f} s in the worker)"
    )
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from benchmark.publish.summary import rich_tables
    from benchmark.submission.commands import submit

    path, entry = submit(
        args.path, args.suite, output=args.output, force=args.force, limits=_limits(args), device=args.device
    )
    for table in rich_tables([entry]):
        _stdout().print(table)
    score = entry.score
    if score is not None:
        _stdout().print(
            f"score: robust accuracy {100 * score.robust_accuracy.segment:.1f} % under {score.attack} "
            f"at budget {score.budget:g}; flags: {', '.join(f.code for f in entry.flags) or 'none'}"
        )
    _stdout().print(f"wrote {path}")
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from benchmark.harness.suite import load_suite
    from benchmark.jsonio import atomic_write_bytes
    from benchmark.leaderboard.io import load_entries
    from benchmark.publish.boards import markdown_board, rich_boards
    from benchmark.publish.page import html_board

    suite = load_suite(args.suite)
    version = args.version or suite.version
    entries = load_entries(args.root, suite.name, version)
    if args.format == "terminal":
        for table in rich_boards(entries):
            _stdout().print(table)
        return 0
    folder = args.root / suite.name / f"v{version}"
    path, text = (
        (folder / "leaderboard.md", markdown_board(entries))
        if args.format == "markdown"
        else (folder / "index.html", html_board(entries))
    )
    atomic_write_bytes(path, text.encode())
    print(f"wrote {path}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from benchmark.leaderboard.compare import compare_paths, drift_table

    comparison = compare_paths(args.old, args.new)
    console = _stdout()
    if comparison.drifts:
        console.print(drift_table(comparison))
    verdict = f"{len(comparison.drifts)} beyond tolerance" if comparison.drifts else "all within tolerance"
    entries = f"{comparison.entries} {'entry' if comparison.entries == 1 else 'entries'}"
    console.print(f"compared {comparison.compared} metrics of {entries}: {verdict}")
    return 1 if comparison.drifts else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from benchmark.leaderboard.schema import LeaderboardEntry

    print(json.dumps(LeaderboardEntry.model_json_schema(), indent=2))
    return 0


def _check_copy(name: str, root: Path) -> int:
    """Print every problem of a dataset copy; 0 when there is none."""
    from benchmark.data.files import FileDataset
    from benchmark.registry import DATASETS

    cls = DATASETS.get(name)
    if not getattr(cls, "reads_files", False):
        raise BenchmarkError(f"dataset {name!r} is generated, there is no copy to check")
    dataset: FileDataset = cls(root=root)
    problems = dataset.check()
    files = len(dataset.entries())
    for problem in problems[:50]:
        print(f"  {problem}")
    if len(problems) > 50:
        print(f"  ... and {len(problems) - 50} more")
    if problems:
        print(f"{name} at {root}: {len(problems)} problem(s) in {files} files", file=sys.stderr)
        return 1
    print(f"{name} at {root}: {files} files, all readable at the expected sample rate")
    return 0


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from benchmark.data.fetch import fetch

    root = fetch(args.name, args.root, url=args.url, checksum=args.checksum)
    print(f"extracted {args.name} into {root}")
    return _check_copy(args.name, root)


def cmd_data_check(args: argparse.Namespace) -> int:
    return _check_copy(args.name, args.root)


def cmd_data_list(args: argparse.Namespace) -> int:
    from benchmark.data.fetch import ARCHIVES

    for name, archive in ARCHIVES.items():
        print(f"{name:<13} {archive.url}\n{'':<13} {archive.checksum}  ({archive.source})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    root = project_root()
    parser = argparse.ArgumentParser(
        prog="arb",
        description="audio-robustbench: adversarial robustness benchmark for audio classifiers.",
        epilog="Example: arb run --suite quick   (see README.md for metric definitions)",
    )
    parser.add_argument("--version", action="version", version=f"audio-robustbench {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="list registered components")
    listing.add_argument("kind", nargs="?", choices=list(REGISTRIES), help="one kind (default: all)")
    listing.add_argument("--describe", action="store_true", help="show each entry's one-line description")
    listing.set_defaults(func=cmd_list)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--suite", default="quick", help="suite name or path to a suite TOML (default: quick)"
        )
        sub.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")
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

    train = commands.add_parser("train", help="train the suite's reference models into baselines/")
    common(train)
    train.add_argument("--entry", action="append", help="train only this model entry (repeatable)")
    train.set_defaults(func=cmd_train)

    run = commands.add_parser("run", help="evaluate a suite and write its leaderboard files")
    common(run)
    run.add_argument(
        "--output", type=Path, default=root / "leaderboards", help="leaderboard root (default: leaderboards/)"
    )
    run.add_argument(
        "--cache-dir", type=Path, default=cache_dir(), help="cell cache (default: user cache dir)"
    )
    run.add_argument(
        "--no-cache", action="store_true", help="recompute every cell, write nothing to the cache"
    )
    run.set_defaults(func=cmd_run)

    sweep = commands.add_parser(
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
    sweep.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")
    sweep.add_argument(
        "--cache-dir", type=Path, default=cache_dir(), help="cell cache (default: user cache dir)"
    )
    sweep.add_argument(
        "--no-cache", action="store_true", help="recompute every cell, write nothing to the cache"
    )
    sweep.set_defaults(func=cmd_sweep)

    summary = commands.add_parser("summary", help="validate results files and print their summary")
    summary.add_argument("paths", nargs="+", type=Path, help="results files or folders")
    summary.add_argument("--markdown", action="store_true", help="print Markdown instead of a table")
    summary.set_defaults(func=cmd_summary)

    schema = commands.add_parser("schema", help="print the JSON Schema of results files")
    schema.set_defaults(func=cmd_schema)

    def sandboxed(sub: argparse.ArgumentParser, seconds: float) -> None:
        sub.add_argument("path", type=Path, help="submission folder (holds submission.toml)")
        sub.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default: auto)")
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

    validate = commands.add_parser("validate", help="check a submission before any attack runs")
    sandboxed(validate, 120)
    validate.set_defaults(func=cmd_validate)

    submit = commands.add_parser(
        "submit", help="validate, evaluate and publish a submission's leaderboard entry"
    )
    sandboxed(submit, 3600)
    submit.add_argument("--suite", default="quick", help="suite name or suite TOML path (default: quick)")
    submit.add_argument(
        "--output", type=Path, default=root / "leaderboards", help="leaderboard root (default: leaderboards/)"
    )
    submit.add_argument("--force", action="store_true", help="replace an existing entry of the same name")
    submit.set_defaults(func=cmd_submit)

    board = commands.add_parser("leaderboard", help="print or write a suite's ranked leaderboard")
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
    board.set_defaults(func=cmd_leaderboard)

    compare = commands.add_parser(
        "compare", help="compare two results files or folders within the suite's tolerances (exit 1 on drift)"
    )
    compare.add_argument("old", type=Path, help="reference file or folder (its suite's tolerances apply)")
    compare.add_argument("new", type=Path, help="file or folder to check against it")
    compare.set_defaults(func=cmd_compare)

    data = commands.add_parser(
        "data", help="fetch or check a real dataset (ESC-50, ESC-10, UrbanSound8K, GTZAN)"
    )
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    fetch = data_commands.add_parser("fetch", help="download, verify and extract a dataset's public archive")
    fetch.add_argument("name", help="dataset name (arb data list shows the archives)")
    fetch.add_argument("--root", type=Path, required=True, help="folder to create with the dataset")
    fetch.add_argument("--url", help="download from this mirror instead of the official URL")
    fetch.add_argument("--checksum", help="md5:<hex>, sha256:<hex> or none (default: the recorded one)")
    fetch.set_defaults(func=cmd_data_fetch)
    check = data_commands.add_parser(
        "check", help="verify a copy: file count, missing or unreadable files, sample rates"
    )
    check.add_argument("name", help="dataset name")
    check.add_argument("--root", type=Path, required=True, help="the copy's folder")
    check.set_defaults(func=cmd_data_check)
    data_list = data_commands.add_parser("list", help="the public archives: URL, checksum, source")
    data_list.set_defaults(func=cmd_data_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
