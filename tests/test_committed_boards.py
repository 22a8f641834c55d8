"""The committed leaderboard.md and index.html of every board are what `arb leaderboard` renders
from the committed entries, so a change to the entries or to the renderers cannot leave them stale."""

from __future__ import annotations

import re

import pytest

from benchmark.leaderboard.io import board_folder, load_entries
from benchmark.paths import project_root
from benchmark.plan.suite import load_suite
from benchmark.publish import page
from benchmark.publish.boards import markdown_board

ROOT = project_root() / "leaderboards"
BOARDS = ("quick", "pons", "zoo", "standard", "defenses")
#: an embedded PNG's bytes: matplotlib (unpinned) writes its version into them and its rendering
#: varies between releases, so the page is compared with every embedded image emptied
EMBEDDED = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]*")


def _stale(name: str, file: str, form: str) -> str:
    return (
        f"leaderboards/{name}/v1/{file} is stale: regenerate it with "
        f"`arb leaderboard --suite {name} --output leaderboards --format {form}`"
    )


@pytest.mark.parametrize("name", BOARDS)
def test_committed_markdown_board_is_rendered_from_its_entries(name: str):
    suite = load_suite(name)
    folder = board_folder(ROOT, suite.name, suite.version)
    entries = load_entries(ROOT, suite.name, suite.version)
    assert markdown_board(entries) == (folder / "leaderboard.md").read_text(), _stale(
        name, "leaderboard.md", "markdown"
    )


@pytest.mark.parametrize("name", BOARDS)
def test_committed_html_board_is_rendered_from_its_entries(name: str, monkeypatch):
    monkeypatch.setattr(page, "fooling_curves_png", lambda entry: b"")  # emptied anyway: skip drawing
    suite = load_suite(name)
    folder = board_folder(ROOT, suite.name, suite.version)
    rendered = page.html_board(load_entries(ROOT, suite.name, suite.version), folder)
    committed = EMBEDDED.sub("data:image/png;base64,", (folder / "index.html").read_text())
    assert rendered == committed, _stale(name, "index.html", "html")
