"""Masking flags of defended entries: each raised by a hand-built case and not raised by its
near twin (the numbers in the message are the evidence)."""

from __future__ import annotations

from typing import Any

from test_scoring import IDS, _cell

from benchmark.leaderboard.masking import defense_flags
from benchmark.leaderboard.schema import AttackCell

TOLERANCE = 0.02
ALL_RIGHT = {"segment": [1, 1, 1, 1, 1, 1], "mv": [1, 1, 1], "sr": [1, 1, 1]}
ONE_WRONG = {"segment": [1, 0, 1, 1, 1, 1], "mv": [1, 1, 1], "sr": [1, 1, 1]}


def _defended(
    name: str, correct: dict[str, list[int]], *, mode: str = "standard", eot: int = 1, **evidence: Any
) -> AttackCell:
    record = {
        "chain": [{"name": "quantize", "bits": 8}],
        "gradient_mode": mode,
        "eot": eot,
        "draws": 1,
        "zero_gradient_fraction": evidence.get("zero", 0.0),
        "randomized_output_fraction": evidence.get("randomized", 0.0),
    }
    params = {"steps": evidence["steps"]} if "steps" in evidence else {}
    cell = _cell(name, correct).model_dump()
    return AttackCell.model_validate({**cell, "defense": record, "params": params, "key": name + mode})


def _codes(cells: list[AttackCell]) -> list[str]:
    return [flag.code for flag in defense_flags(cells, tolerance=TOLERANCE, ids=len(IDS))]


def test_zero_gradients_flag_carries_the_fraction():
    flags = defense_flags([_defended("pgd/native", ALL_RIGHT, zero=0.5)], tolerance=TOLERANCE, ids=len(IDS))
    assert [f.code for f in flags] == ["zero_gradients"] and "50.0%" in flags[0].message
    assert _codes([_defended("pgd/native", ALL_RIGHT, zero=0.0)]) == []
    # a black-box attack never reads the gradient: its cell's evidence raises nothing
    assert _codes([_defended("square/native", ALL_RIGHT, zero=1.0)]) == []


def test_randomized_output_flag_is_once_per_entry():
    cells = [
        _defended("pgd/native", ALL_RIGHT, randomized=0.25),
        _defended("fgsm/native", ALL_RIGHT, randomized=1.0),
    ]
    flags = defense_flags(cells, tolerance=TOLERANCE, ids=len(IDS))
    assert [f.code for f in flags] == ["randomized_output"] and "100.0%" in flags[0].message
    assert _codes([_defended("pgd/native", ALL_RIGHT)]) == []


def test_adaptive_beats_standard_beyond_the_tolerance():
    # robust accuracy 5/6 standard, 4/6 under BPDA (clean: example 4 wrong): a drop of 1/6 > 0.02
    standard = _defended("pgd/native", ALL_RIGHT)
    bpda = _defended("pgd/native", ONE_WRONG, mode="bpda")
    flags = defense_flags([standard, bpda], tolerance=TOLERANCE, ids=len(IDS))
    assert [f.code for f in flags] == ["adaptive_beats_standard"]
    assert "0.667" in flags[0].message and "0.833" in flags[0].message
    assert flags[0].attack == "pgd/native bpda"
    assert _codes([standard, _defended("pgd/native", ALL_RIGHT, mode="bpda")]) == []
    # within a tolerance of 1/6: not flagged
    assert defense_flags([standard, bpda], tolerance=0.17, ids=len(IDS)) == []


def test_eot_cell_is_adaptive_too():
    flags = _codes([_defended("pgd/native", ALL_RIGHT), _defended("pgd/native", ONE_WRONG, eot=4)])
    assert flags == ["adaptive_beats_standard"]


def test_not_converged_when_doubling_steps_lowers_robust_accuracy():
    short = _defended("pgd/native", ALL_RIGHT, steps=10)
    assert _codes([short, _defended("pgd/native", ONE_WRONG, steps=20)]) == ["not_converged"]
    assert _codes([short, _defended("pgd/native", ALL_RIGHT, steps=20)]) == []
    assert _codes([short, _defended("pgd/native", ONE_WRONG, steps=30)]) == []  # not a doubling


def test_black_box_beats_white_box_on_some_example():
    white = [_defended("pgd/native", ALL_RIGHT), _defended("fgsm/native", ALL_RIGHT)]
    flags = defense_flags([*white, _defended("square/art", ONE_WRONG)], tolerance=TOLERANCE, ids=len(IDS))
    assert [f.code for f in flags] == ["black_box_beats_white_box"] and "fools 1 examples" in flags[0].message
    # the example Square fools is fooled by a white-box attack too: no flag
    white[1] = _defended("fgsm/native", ONE_WRONG)
    assert _codes([*white, _defended("square/art", ONE_WRONG)]) == []
