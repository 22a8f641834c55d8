"""The ``arb`` commands: each parses nothing and decides nothing, it calls the Python API
(:mod:`benchmark.api`, the harness and leaderboard modules) and prints what they return."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmark.errors import BenchmarkError
from benchmark.registry import REGISTRIES

STDOUT = None  # created lazily so `arb --help` stays fast


def _stdout():
    """The console for results: the terminal's width, or 120 columns when output is not a terminal."""
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


def cmd_train(args: argparse.Namespace) -> int:
    from benchmark.api import train

    train(
        args.suite,
        entries=args.entry,
        device=args.device,
        baselines=args.baselines,
        dataset=args.dataset,
        data_root=args.data_root,
        force=args.force,
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from benchmark.api import run
    from benchmark.publish.summary import rich_tables

    started = time.perf_counter()
    result = run(
        args.suite,
        device=args.device,
        baselines=args.baselines,
        output=args.output,
        cache=args.cache_dir,
        use_cache=not args.no_cache,
        dataset=args.dataset,
        data_root=args.data_root,
        **_execution(args),
    )
    console = _stdout()
    for table in rich_tables([entry for _, entry in result.entries]):
        console.print(table)
    for path, entry in result.entries:
        console.print(f"wrote {path}; {_score(entry)}")
    console.print(
        f"wrote {result.entries[0][0].parent / 'summary.md'}, FR-vs-budget plots, adversarial examples and "
        f"heat maps; wall time {time.perf_counter() - started:.1f} s"
    )
    return 0


def _execution(args: argparse.Namespace) -> dict:
    names = ("jobs", "threads", "ray", "ray_address", "resident_mb")
    return {**{name: getattr(args, name) for name in names}, "max_gradients": int(args.max_gradients)}


def _score(entry) -> str:
    from benchmark.publish.summary import score_text

    score = entry.score
    if score is None:
        return "no primary score (no Linf attack at the reference budget)"
    return (
        f"score: robust accuracy {score_text(score)} % under {len(score.attacks)} attacks at budget "
        f"{score.budget:g} (best single: {score.attack}, "
        f"{100 * score.attack_robust_accuracy.segment:.1f} %); "
        f"flags: {', '.join(f.code for f in entry.flags) or 'none'}"
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    from benchmark.cells.cache import CellCache
    from benchmark.harness.run import Execution
    from benchmark.harness.sweep import Sweep
    from benchmark.models.spec import TrainingRecipe
    from benchmark.plan.sweep import SweepConfig, parse_assignment
    from benchmark.publish.sweep import markdown_table
    from benchmark.runtime import make_deterministic

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
    execution = Execution(**_execution(args))
    make_deterministic()
    sweep = Sweep(
        config,
        output=args.output,
        device=args.device,
        cache=CellCache(args.cache_dir, enabled=not args.no_cache),
        execution=execution,
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
    from benchmark.submission.adaptive import declared_adaptation
    from benchmark.submission.commands import validate

    manifest, report = validate(
        args.path,
        limits=_limits(args),
        device=args.device,
        suite=args.suite,
        sandbox=not args.unsafe_no_sandbox,
    )
    shape = "x".join(str(n) for n in report["input_shape"])
    weights = manifest.weights or f"{manifest.huggingface}/ (safetensors)"
    gradient = "all zero (masked: flagged zero_gradients)" if report.get("zero_gradient") else "non-zero"
    print(
        f"{args.path}: valid. {manifest.source} builds {report['architecture']} "
        f"({report['parameters']:,} parameters); weights {weights} load; "
        f"{manifest.input.representation_name} input {shape} -> logits {tuple(report['output_shape'])}, "
        f"finite; the input gradient is finite and {gradient} "
        f"({report['seconds']:.1f} s in {report.get('where', 'the unsandboxed worker')})"
        + (f"; suite {args.suite!r} can evaluate it" if args.suite else "")
    )
    if (adapted := declared_adaptation(manifest)) is not None:
        modes = ["bpda"] * adapted.bpda + [f"eot{adapted.eot}"] * (adapted.eot > 1)
        print(f"adaptive: submit also runs every attack with {' + '.join(modes)} (as the manifest declares)")
    for flag in report.get("flags", []):
        print(f"flag: {flag}")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from benchmark.publish.summary import rich_tables
    from benchmark.submission.commands import submit

    path, entry = submit(
        args.path,
        args.suite,
        output=args.output,
        force=args.force,
        limits=_limits(args),
        device=args.device,
        max_gradients=int(args.max_gradients),
        sandbox=not args.unsafe_no_sandbox,
    )
    for table in rich_tables([entry]):
        _stdout().print(table)
    _stdout().print(_score(entry))
    _stdout().print(f"wrote {path}")
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from benchmark.jsonio import atomic_write_bytes
    from benchmark.leaderboard.io import board_folder, load_entries
    from benchmark.plan.suite import load_suite
    from benchmark.publish.boards import markdown_board, rich_boards
    from benchmark.publish.page import html_board

    suite = load_suite(_board_suite(args))
    version = args.version or suite.version
    entries = load_entries(args.output, suite.name, version)
    if args.format == "terminal":
        for table in rich_boards(entries):
            _stdout().print(table)
        return 0
    folder = board_folder(args.output, suite.name, version)
    path, text = (
        (folder / "leaderboard.md", markdown_board(entries))
        if args.format == "markdown"
        else (folder / "index.html", html_board(entries, folder))
    )
    atomic_write_bytes(path, text.encode())
    print(f"wrote {path}")
    return 0


def _board_suite(args: argparse.Namespace) -> str:
    """``--suite``, or the older positional SUITE (still accepted; both at once must agree)."""
    given, flag = args.positional_suite, args.suite
    if given and flag and given != flag:
        raise BenchmarkError(f"two suites given ({given!r} and --suite {flag!r}); pass only --suite NAME")
    return given or flag or "quick"


def cmd_compare(args: argparse.Namespace) -> int:
    from benchmark.leaderboard.compare import compare_paths
    from benchmark.publish.drift import drift_table

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
