"""Every ``arb`` subcommand's ``--help`` ends with examples that the real parser accepts, and the
shared spellings (``--suite``, ``--output``, ``--data-root``) hold across commands."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from benchmark.cli import main
from benchmark.cli.examples import EXAMPLES
from benchmark.cli.parser import build_parser


def subparsers(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every subcommand by its full name ("run", "data fetch", ...)."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[f"{prefix}{name}"] = sub
                found.update(subparsers(sub, f"{prefix}{name} "))
    return found


def example_commands(text: str) -> list[list[str]]:
    """The ``arb ...`` lines of an epilog (backslash continuations joined), comments cut off."""
    commands, pending = [], ""
    for line in text.splitlines():
        line = pending + line.strip()
        if line.endswith("\\"):
            pending = line[:-1].rstrip() + " "
            continue
        pending = ""
        if line.startswith("arb "):
            words = shlex.split(line.split("  ")[0] if "  " in line else line)
            commands.append(words[1:])
    return commands


COMMANDS = subparsers(build_parser())


def test_every_subcommand_has_examples() -> None:
    assert set(COMMANDS) == set(EXAMPLES)
    for name, sub in COMMANDS.items():
        help_text = sub.format_help()
        assert "examples:" in help_text and f"arb {name}" in help_text, name


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_parse(name: str) -> None:
    """Each example is accepted by the parser as the command it illustrates."""
    examples = example_commands(EXAMPLES[name])
    assert examples, f"{name}: no runnable example"
    for words in examples:
        args = build_parser().parse_args(words)
        assert " ".join(words).startswith(name) and args.func is not None


def test_one_spelling_for_suite_and_output() -> None:
    for name in ("train", "run", "submit", "validate", "leaderboard"):
        assert "--suite" in COMMANDS[name].format_help(), name
    for name in ("run", "submit", "leaderboard"):
        assert "--output" in COMMANDS[name].format_help(), name
    for name in ("data fetch", "data check"):
        assert "--data-root" in COMMANDS[name].format_help(), name
    assert "--root" not in COMMANDS["leaderboard"].format_help()  # accepted, not advertised


def test_old_leaderboard_spellings_still_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``arb leaderboard SUITE --root DIR`` reads the same board as ``--suite SUITE --output DIR``,
    with a one-line warning for ``--root``; two different suites are refused in one line."""
    assert main(["leaderboard", "--suite", "quick", "--output", str(tmp_path)]) == 2
    new = capsys.readouterr().err
    assert main(["leaderboard", "quick", "--root", str(tmp_path)]) == 2
    old = capsys.readouterr().err
    assert old == "arb: warning: --root is deprecated; use --output\n" + new
    assert str(tmp_path) in new
    assert main(["leaderboard", "zoo", "--suite", "quick"]) == 2
    assert "two suites given ('zoo' and --suite 'quick'); pass only --suite NAME" in capsys.readouterr().err


def test_data_commands_need_a_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "check", "esc50"]) == 2
    assert (
        capsys.readouterr().err
        == "arb: error: arb data check needs the dataset's folder: pass --data-root DIR\n"
    )
