"""`arb compare`: metric by metric within the suite's tolerances, a readable diff, exit 1 on drift.
The CI regression step compares a fresh run of `quick` with the committed folder exactly so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmark.cli import main
from benchmark.leaderboard.compare import CATEGORIES, metrics
from benchmark.leaderboard.io import read_entry, write_entry
from benchmark.paths import project_root

QUICK = project_root() / "leaderboards" / "quick" / "v1" / "synth10"
CNN2D = "cnn2d_stft.json"


@pytest.fixture
def copy(tmp_path) -> Path:
    """The committed quick leaderboard, re-written (current schema) into a folder of our own."""
    folder = tmp_path / "fresh"
    for path in sorted(QUICK.glob("*.json")):
        write_entry(folder / path.name, read_entry(path))
    return folder


def change(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def point(data: dict[str, Any], attack: str, backend: str, budget: float) -> dict[str, Any]:
    cell = next(c for c in data["attacks"] if (c["attack"], c["backend"]) == (attack, backend))
    return next(p for p in cell["per_budget"] if p["budget"] == budget)


def compare(old: Path, new: Path, capsys) -> tuple[int, str]:
    code = main(["compare", str(old), str(new)])
    return code, capsys.readouterr().out


def test_an_identical_rerun_is_within_tolerance(copy, capsys):
    code, out = compare(QUICK, copy, capsys)
    assert code == 0 and "all within tolerance" in out
    assert int(out.split("compared ")[1].split()[0]) > 500  # every number of both entries


def test_a_perturbed_number_fails_with_a_readable_diff(copy, capsys):
    """The CI regression check: one committed number drifting past its tolerance fails the build."""
    change(copy / CNN2D, lambda d: point(d, "fgsm", "native", 0.01).update(fooling_rate=0.66))  # was 0.6122
    code, out = compare(QUICK, copy, capsys)
    assert code == 1 and "1 beyond tolerance" in out
    row = next(line for line in out.splitlines() if "fooling_rate" in line and "cnn2d_stft" in line)
    for text in ("fgsm/native @ 0.01", "0.612245", "0.66", "fooling_rate: abs 0.02"):
        assert text in row, text


def test_drift_within_tolerance_passes_and_counts_move_by_one_percent_at_most(copy, capsys):
    """quick declares counts rel 0.01: one example stopping a step earlier on another CPU passes,
    a counting change does not."""
    change(copy / CNN2D, lambda d: point(d, "fgsm", "native", 0.01).update(fooling_rate=0.62))
    assert compare(QUICK, copy, capsys)[0] == 0
    change(copy / CNN2D, lambda d: point(d, "bim_b", "art", 0.03).update(gradient_evals=1301))  # was 1300
    assert compare(QUICK, copy, capsys)[0] == 0
    change(copy / CNN2D, lambda d: point(d, "bim_b", "art", 0.03).update(gradient_evals=1314))
    code, out = compare(QUICK, copy, capsys)
    assert code == 1 and "gradient_evals" in out and "counts: rel 0.01" in out


def test_tolerances_come_from_the_reference_files_suite(copy, tmp_path, capsys):
    old = tmp_path / "old"
    write_entry(old / CNN2D, read_entry(copy / CNN2D))
    change(old / CNN2D, lambda d: d["config"].update(tolerances={"fooling_rate": {"abs": 0.1}}))
    new = tmp_path / "new.json"
    write_entry(new, read_entry(copy / CNN2D))
    change(new, lambda d: point(d, "fgsm", "native", 0.01).update(fooling_rate=0.66))
    assert compare(old / CNN2D, new, capsys)[0] == 0  # file mode; 0.05 is within the declared 0.1


def test_missing_results_and_new_flags_are_drift(copy, capsys):
    change(copy / CNN2D, lambda d: d["attacks"].pop())
    change(
        copy / CNN2D,
        lambda d: d["flags"].append({"code": "fr_not_increasing", "attack": "fgsm/art", "message": "..."}),
    )
    (copy / "cnn1d_gammatone_waveform.json").unlink()
    code, out = compare(QUICK, copy, capsys)
    assert code == 1
    assert "missing in NEW" in out and "bim_b/foolbox" in out and "fr_not_increasing fgsm/art" in out
    change(copy / CNN2D, lambda d: point(d, "fgsm", "art", 0.03).update(snr_db_mean=None))
    assert "snr_db_mean" in compare(QUICK, copy, capsys)[1]  # a number that became null


def test_entries_of_different_data_do_not_compare(copy, tmp_path, one_line_error):
    change(copy / CNN2D, lambda d: d["dataset"].update(content_sha256="0" * 64))
    assert main(["compare", str(QUICK), str(copy)]) == 2
    assert "different dataset content" in one_line_error()
    assert main(["compare", str(QUICK), str(copy / CNN2D)]) == 2
    assert "compare two files or two folders" in one_line_error()
    assert main(["compare", str(QUICK / CNN2D), str(tmp_path / "nope.json")]) == 2
    assert "does not exist" in one_line_error()


def test_every_numeric_field_has_a_tolerance_category():
    for path in sorted(QUICK.glob("*.json")):
        for (where, metric), value in metrics(read_entry(path)).items():
            text = isinstance(value, str)  # packed outcomes, ids, names: compared exactly
            assert where == "flags" or text or metric.rsplit(".", 1)[-1] in CATEGORIES, metric


def _flip(text: str, count: int) -> str:
    """``text``'s packed outcomes with the first ``count`` example bits flipped."""
    import base64

    import numpy as np

    bits = np.unpackbits(np.frombuffer(base64.b64decode(text), dtype=np.uint8))
    bits[:count] ^= 1
    return base64.b64encode(np.packbits(bits).tobytes()).decode("ascii")


def test_per_example_outcomes_may_differ_on_the_accuracy_tolerances_share(copy, capsys):
    """quick: 260 segments packed in 264 bits, abs 0.02: 5 flipped examples pass (5.28 allowed), 6
    fail, naming the rule; the accuracies are left as they were, so only the bits drift."""
    path = ("fgsm", "native", 0.01)
    original = point(json.loads((copy / CNN2D).read_text()), *path)["correct"]["segment"]
    assert len(original) == 44  # 33 bytes of base64: 264 bits
    change(copy / CNN2D, lambda d: point(d, *path)["correct"].update(segment=_flip(original, 5)))
    assert compare(QUICK, copy, capsys)[0] == 0
    change(copy / CNN2D, lambda d: point(d, *path)["correct"].update(segment=_flip(original, 6)))
    code, out = compare(QUICK, copy, capsys)
    assert code == 1 and "1 beyond tolerance" in out and "6 of 264 differ" in out and "correct.segment" in out
