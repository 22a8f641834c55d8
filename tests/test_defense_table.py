"""The defense table: its robust accuracies and cost come from the cells the entry's score is the
worst case over, at the score's budget (one threat model), and a submission whose cells ran behind
a defense chain counts as defended. Entries are built from one committed defended entry, with
hand-set robust accuracies, so every number the table shows is computed here by hand."""

from __future__ import annotations

from typing import Any

import pytest

from benchmark.leaderboard.io import read_entry
from benchmark.leaderboard.schema import AttackCell, LeaderboardEntry, SubmissionInfo
from benchmark.paths import project_root
from benchmark.publish.boards import markdown_board
from benchmark.publish.defenses import TITLE, defense_tables
from benchmark.publish.tables import Cell

TEMPLATE = read_entry(
    project_root() / "leaderboards" / "defenses" / "v1" / "synth10" / "cnn2d_stft_squeeze.json"
)
#: its waveform PGD cell, budgets 0.003 and 0.01; the scores below are at 0.003, not the largest
PGD = TEMPLATE.attacks[0]
QUANTIZE = [{"name": "quantize", "bits": 8}]
NOISE = [{"name": "noise", "snr_db": 30.0}]
SUBMISSION = SubmissionInfo(
    name="sub",
    authors=["A. Author"],
    paper=None,
    license="MIT",
    entry_point="model:build",
    manifest_sha256="0" * 64,
    code_sha256="0" * 64,
)


def cell(
    domain: str,
    robust: tuple[float, float],
    *,
    chain: list[dict[str, Any]] | None = None,
    mode: str = "standard",
    eot: int = 1,
    grads: tuple[float, float] = (2.0, 5.0),
) -> AttackCell:
    """A PGD cell with these robust accuracies and gradients per example at 0.003 and 0.01 (no
    chain: a cell on an undefended model)."""
    points = [
        point.model_copy(
            update={
                "robust_accuracy": point.robust_accuracy.model_copy(update={"segment": accuracy}),
                "gradient_evals_per_example": cost,
            }
        )
        for point, accuracy, cost in zip(PGD.per_budget, robust, grads, strict=True)
    ]
    update = {"chain": chain, "gradient_mode": mode, "eot": eot}
    defense = None if chain is None else PGD.defense.model_copy(update=update)
    return PGD.model_copy(update={"domain": domain, "per_budget": points, "defense": defense})


def entry(
    name: str,
    cells: list[AttackCell],
    *,
    scored: list[str] | None,
    clean: float,
    undefended: str | None = None,
    submission: bool = False,
) -> LeaderboardEntry:
    """An entry whose score (at 0.003) is over the cells labelled ``scored`` (None: no score)."""
    score = None if scored is None else TEMPLATE.score.model_copy(update={"budget": 0.003, "attacks": scored})
    model = TEMPLATE.model.model_copy(
        update={"clean": TEMPLATE.model.clean.model_copy(update={"segment": clean})}
    )
    spec = {} if undefended is None else {"undefended": undefended}
    return TEMPLATE.model_copy(
        update={
            "entry": name,
            "config": {"models": {} if submission else {name: spec}},
            "attacks": cells,
            "score": score,
            "flags": [],
            "model": model,
            "submission": SUBMISSION if submission else None,
        }
    )


#: scored on the waveform; its STFT cell (robust 5 % at 0.01) is another threat model
BASE = entry(
    "stft",
    [cell("representation", (0.10, 0.05)), cell("waveform", (0.60, 0.40))],
    scored=["pgd/native @waveform"],
    clean=0.90,
)
QUANTIZED = entry(
    "stft_quantize",
    [
        cell("waveform", (0.95, 0.90), chain=QUANTIZE),
        cell("waveform", (0.50, 0.30), chain=QUANTIZE, mode="bpda"),
        cell("representation", (0.20, 0.10), chain=QUANTIZE, mode="bpda"),
    ],
    scored=["pgd/native @waveform", "pgd/native @waveform bpda"],
    clean=0.85,
    undefended="stft",
)
#: no score (a file whose cells none scored): every cell at its largest budget, as before
NOISY = entry(
    "stft_noise",
    [
        cell("waveform", (0.70, 0.60), chain=NOISE),
        cell("waveform", (0.50, 0.45), chain=NOISE, eot=3, grads=(6.0, 15.0)),
    ],
    scored=None,
    clean=0.90,
    undefended="stft",
)
SUBMITTED = entry(
    "sub",
    [
        cell("waveform", (0.80, 0.70), chain=QUANTIZE),
        cell("waveform", (0.40, 0.20), chain=QUANTIZE, mode="bpda"),
    ],
    scored=["pgd/native @waveform", "pgd/native @waveform bpda"],
    clean=0.80,
    submission=True,
)


def rows(entries: list[LeaderboardEntry]) -> dict[str, list[Cell | str]]:
    (table,) = defense_tables(entries)
    assert table.title == TITLE
    return {str(row[0].text): row for row in table.rows}


def shown(row: list[Cell | str]) -> tuple[str, ...]:
    """drop, robust % standard, robust % adaptive, grads/ex as the table prints them."""
    return tuple(row[i].text for i in (3, 4, 5, 7))


def test_robust_accuracy_and_cost_are_the_scores_cells_at_its_budget():
    table = rows([BASE, QUANTIZED, NOISY])
    assert list(table) == ["stft", "  stft_quantize", "  stft_noise"]
    # waveform PGD at 0.003 only: not the STFT cell's 5.0 at 0.01, nor 2 + 5 + 2 + 5 gradients
    assert shown(table["stft"]) == ("—", "60.0", "—", "2")
    # the STFT BPDA cell (10.0 at 0.01) is outside the score; 2 + 2 gradients at 0.003
    assert shown(table["  stft_quantize"]) == ("+5.0", "95.0", "50.0", "4")
    assert table["  stft_quantize"][1] == "quantize(bits=8)"
    # no score: each cell at its largest budget, 5 + 15 gradients
    assert shown(table["  stft_noise"]) == ("+0.0", "60.0", "45.0", "20")
    assert table["  stft_noise"][4].sort == pytest.approx(0.60) and table["  stft_noise"][7].sort == 20


def test_a_defended_submission_is_listed_after_the_undefended_groups():
    # alone beside an undefended entry (the quick board's case), it makes the table
    assert list(rows([BASE, SUBMITTED])) == ["stft", "sub"]
    table = rows([SUBMITTED, BASE, QUANTIZED])
    assert list(table) == ["stft", "  stft_quantize", "sub"]
    assert table["sub"][1] == "quantize(bits=8)"
    assert shown(table["sub"]) == ("—", "80.0", "40.0", "4")
    assert (
        "| sub | quantize(bits=8) | 80.0 | — | 80.0 | 40.0 | bpda, standard | 4 | none |"
        in markdown_board([BASE, SUBMITTED])
    )


def test_no_defended_entry_no_table():
    plain = entry(
        "plain", [cell("waveform", (0.50, 0.40))], scored=["pgd/native @waveform"], clean=0.9, submission=True
    )
    assert defense_tables([BASE, plain]) == []
