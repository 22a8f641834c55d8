"""The primary score, the masking flags, schema migration, and the ranked leaderboard in the
terminal, in Markdown and as a static HTML page that a real (headless) browser renders and sorts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from benchmark.cli import main
from benchmark.leaderboard.io import entry_path, load_entries, read_entry, write_entry
from benchmark.leaderboard.schema import SCHEMA_VERSION, AttackCell, LeaderboardEntry
from benchmark.leaderboard.scoring import masking_flags, primary_score
from benchmark.paths import project_root
from benchmark.publish.boards import boards
from benchmark.representations.base import domain_widths

QUICK = project_root() / "leaderboards" / "quick" / "v1" / "synth10"
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


@pytest.fixture(scope="module")
def cnn2d() -> LeaderboardEntry:
    return read_entry(QUICK / "cnn2d_stft.json")


#: a file migrated from schema 3 or older has no per-example outcomes: scored by its strongest attack
MIGRATED = {"examples": None, "test_segments": 260}


def with_rates(cell: AttackCell, rates: list[float], budgets: list[float] | None = None) -> AttackCell:
    points = [
        p.model_copy(update={"fooling_rate": rate, "budget": budget})
        for p, rate, budget in zip(
            cell.per_budget, rates, budgets or [p.budget for p in cell.per_budget], strict=True
        )
    ]
    return cell.model_copy(update={"per_budget": points})


def test_the_score_is_the_per_example_worst_case_at_the_reference_budget(cnn2d):
    committed = {"examples": cnn2d.examples, "test_segments": cnn2d.dataset.test_segments}
    score = primary_score(cnn2d.attacks, representation="stft", reference_budgets={"stft": 0.01}, **committed)
    at_budget = [p.robust_accuracy.segment for c in cnn2d.attacks for p in c.per_budget if p.budget == 0.01]
    assert score is not None and score.budget == 0.01 and score.method == "per_example_worst_case"
    assert score == cnn2d.score  # the committed score is recomputed from its own outcomes
    assert score.robust_accuracy.segment <= score.attack_robust_accuracy.segment == min(at_budget)
    assert score.attack.startswith("bim")
    largest = primary_score(cnn2d.attacks, representation="stft", reference_budgets={}, **committed)
    assert largest is not None and largest.budget == 0.03  # no reference budget: each schedule's largest
    assert primary_score([], representation="stft", reference_budgets={}, **committed) is None
    single = primary_score(cnn2d.attacks, representation="stft", reference_budgets={"stft": 0.01}, **MIGRATED)
    assert single.method == "strongest_single_attack" and single.robust_accuracy.segment == min(at_budget)


def test_masking_flags(cnn2d):
    cell = cnn2d.attacks[0]
    assert masking_flags([with_rates(cell, [0.1, 0.3, 0.6, 0.8])], widths=domain_widths("stft")) == []
    assert (
        masking_flags([with_rates(cell, [0.1, 0.3, 0.6, 0.595])], widths=domain_widths("stft")) == []
    )  # within 0.01
    (flag,) = masking_flags([with_rates(cell, [0.1, 0.5, 0.3, 0.8])], widths=domain_widths("stft"))
    assert flag.code == "fr_not_increasing" and flag.attack == "fgsm/native"
    assert "FR falls from 0.500 at budget 0.003 to 0.300 at 0.01" in flag.message
    # An Linf budget of 1.0 spans the whole [0, 1] STFT interval: it must fool ~everything.
    unbounded = with_rates(cell, [0.1, 0.3, 0.6, 0.9], budgets=[0.001, 0.01, 0.1, 1.0])
    (flag,) = masking_flags([unbounded], widths=domain_widths("stft"))
    assert flag.code == "unbounded_not_fooling" and "FR 0.900 at budget 1" in flag.message
    assert masking_flags([unbounded], widths=domain_widths("waveform")) == []  # [-1, 1]: 1.0 is not unbounded


def as_version_2(current: dict) -> dict:
    """``current`` as schema version 2 wrote it: no budget units, targets, minimum SNR, transferability."""
    cells = [
        {
            **{k: v for k, v in cell.items() if k not in ("budget_unit", "targets")},
            "per_budget": [{k: v for k, v in p.items() if k != "snr_db_min"} for p in cell["per_budget"]],
        }
        for cell in current["attacks"]
    ]
    old = {k: v for k, v in current.items() if k != "transferability"}
    return {**old, "schema_version": 2, "attacks": cells}


def test_old_files_are_migrated_and_unknown_versions_refused(cnn2d, tmp_path, one_line_error):
    current = cnn2d.model_dump(mode="json")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(as_version_2(current)))
    migrated = read_entry(path)
    assert migrated.schema_version == SCHEMA_VERSION and migrated.transferability == []
    assert [cell.budget_unit for cell in migrated.attacks] == [cell.budget_unit for cell in cnn2d.attacks]
    assert migrated.examples is None  # its per-example outcomes are marked unavailable, and the score says so
    assert migrated.score == primary_score(
        cnn2d.attacks, representation="stft", reference_budgets={"stft": 0.01}, **MIGRATED
    )
    assert migrated.score.method == "strongest_single_attack"
    old = {k: v for k, v in as_version_2(current).items() if k not in ("score", "flags", "submission")}
    old["config"] = {k: v for k, v in old["config"].items() if k not in ("reference_budgets", "tolerances")}
    path.write_text(json.dumps({**old, "schema_version": 1}))
    migrated = read_entry(path)
    assert migrated.schema_version == SCHEMA_VERSION and migrated.submission is None
    rescored = primary_score(cnn2d.attacks, representation="stft", reference_budgets={}, **MIGRATED)
    assert migrated.score == rescored and rescored.method == "strongest_single_attack"
    path.write_text(json.dumps({**current, "schema_version": 5}))
    assert main(["summary", str(path)]) == 2
    assert (
        "has schema_version 5; this harness reads versions 1, 2, 3, 4 (older ones are migrated)"
        in one_line_error()
    )


def variant(entry: LeaderboardEntry, name: str, *, robust: float, clean: float) -> LeaderboardEntry:
    data = entry.model_dump(mode="json")
    data["entry"] = name
    data["model"]["clean"]["segment"] = clean
    data["score"]["robust_accuracy"]["segment"] = robust
    # the committed entry's outcomes and intervals do not fit the variant's numbers: drop them
    data["score"]["interval"], data["examples"] = None, None
    if name.startswith("sub"):
        data["submission"] = {
            "name": name,
            "authors": ["A. Author"],
            "paper": "https://example.org/paper",
            "license": "MIT",
            "entry_point": "model:build",
            "manifest_sha256": "0" * 64,
            "code_sha256": "0" * 64,
        }
    return LeaderboardEntry.model_validate(data)


# Ranked by robust accuracy: beta, sub-alpha, gamma; by name: beta, gamma, sub-alpha; by clean: gamma first.
VARIANTS = {"sub-alpha": (0.20, 0.90), "beta": (0.35, 0.80), "gamma": (0.10, 0.99)}


@pytest.fixture(scope="module")
def root(cnn2d, tmp_path_factory) -> Path:
    """A leaderboard tree with three STFT entries and the committed waveform entry."""
    root = tmp_path_factory.mktemp("leaderboards")
    for name, (robust, clean) in VARIANTS.items():
        write_entry(
            entry_path(root, "quick", 1, "synth10", name), variant(cnn2d, name, robust=robust, clean=clean)
        )
    waveform = read_entry(QUICK / "cnn1d_gammatone_waveform.json")
    write_entry(entry_path(root, "quick", 1, "synth10", waveform.entry), waveform)
    return root


def test_entries_rank_within_their_threat_model(root):
    stft, waveform = boards(load_entries(root, "quick", 1))  # boards in title order
    assert stft.title == "synth10, stft domain" and waveform.title == "synth10, waveform domain"
    assert [e.entry for e in stft.entries] == ["beta", "sub-alpha", "gamma"]
    assert [row["rank"][0] for row in stft.rows] == ["1", "2", "3"]
    assert {c.key for c in stft.columns} >= {"clean", "robust", "auc_fgsm", "cost_bim_b", "snr", "flags"}
    assert stft.rows[0]["robust"][0] == "35.0" and stft.rows[0]["flags"][0] == "none"


def test_terminal_and_markdown_leaderboards(root, capsys):
    assert main(["leaderboard", "--suite", "quick", "--output", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.index("beta") < out.index("sub-alpha") < out.index("gamma") and "robust acc %" in out
    assert main(["leaderboard", "--suite", "quick", "--output", str(root), "--format", "markdown"]) == 0
    text = (root / "quick" / "v1" / "leaderboard.md").read_text()
    assert "## synth10, stft domain" in text and "| 1 | beta | 94.2 |" not in text  # clean is the variant's
    assert "| 1 | beta | 80.0 | 35.0 |" in text and "[sub-alpha](https://example.org/paper)" in text


def test_no_leaderboard_files_is_a_one_line_error(tmp_path, one_line_error):
    assert main(["leaderboard", "--suite", "quick", "--output", str(tmp_path)]) == 2
    assert "no leaderboard files in" in one_line_error()


def _dom(page: Path, fragment: str, profile: Path) -> str:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri() + fragment,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not found (Debian: apt-get install chromium; .ci/run installs it when missing)",
)
def test_the_html_page_renders_and_sorts_in_a_real_browser(root, tmp_path):
    assert main(["leaderboard", "--suite", "quick", "--output", str(root), "--format", "html"]) == 0
    page = root / "quick" / "v1" / "index.html"

    def order(dom: str) -> list[str]:
        stft_table = dom.split('<table class="board">')[1]
        return re.findall(r'<tr data-entry="([^"]+)"', stft_table)

    dom = _dom(page, "", tmp_path / "profile")
    assert order(dom) == ["beta", "sub-alpha", "gamma"]  # ranked
    assert dom.count('<table class="board">') == 2 and dom.count('src="data:image/png;base64,') == 4
    assert 'href="https://example.org/paper"' in dom
    sorted_by_name = _dom(page, "#sort=entry&order=asc", tmp_path / "profile")
    assert order(sorted_by_name) == ["beta", "gamma", "sub-alpha"]  # the page's script sorted the rows
    assert '<th data-key="entry" data-type="text" aria-sort="ascending">' in sorted_by_name
    by_clean = _dom(page, "#sort=clean&order=desc", tmp_path / "profile")
    assert order(by_clean) == ["gamma", "sub-alpha", "beta"]
