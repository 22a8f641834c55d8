"""End to end on a tiny suite: train -> run -> validated leaderboard files, cache, resume, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from tiny_suite import TINY_SUITE, run_args

from benchmark.cells import executors as executors_module
from benchmark.cli import main
from benchmark.jsonio import sha256_file
from benchmark.leaderboard.io import read_entry
from benchmark.outcomes import pack, robust, track_of, unpack, unpacked
from benchmark.publish.summary import score_text


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    suite = root / "tiny.toml"
    suite.write_text(TINY_SUITE)
    baselines = root / "baselines"
    # --force: the tiny models train to chance (3 epochs on 50 tracks) and only need to exist
    assert (
        main(["train", "--suite", str(suite), "--device", "cpu", "--baselines", str(baselines), "--force"])
        == 0
    )
    return {"root": root, "suite": suite, "baselines": baselines}


@pytest.fixture(scope="module")
def ran(trained) -> dict[str, Path]:
    """One full run shared by the tests that only read its output or its cache."""
    output, cache = trained["root"] / "leaderboards", trained["root"] / "cache"
    assert main(run_args(trained, output, cache)) == 0
    return {**trained, "output": output, "cache": cache, "folder": output / "tiny" / "v1" / "synth10"}


def test_model_cards_record_training(trained):
    card = json.loads((trained["baselines"] / "cnn2d_stft.json").read_text())
    assert card["architecture"] == "cnn2d" and card["representation"]["name"] == "stft"
    assert card["dataset"]["name"] == "synth10" and card["seed"] == 0
    assert 0 <= card["clean_accuracy"]["test"]["mv"] <= 1
    assert card["weights_sha256"] == sha256_file(trained["baselines"] / "cnn2d_stft.safetensors")


def test_run_writes_valid_entries_and_counts_costs_exactly(ran):
    folder = ran["folder"]
    entry = read_entry(folder / "cnn2d_stft.json")
    assert (folder / "summary.md").is_file() and (folder / "cnn2d_stft_fooling_rate.png").is_file()
    assert entry.suite.version == 1 and entry.dataset.test_tracks == 10 and entry.dataset.test_segments == 30
    cells = {c.label: c for c in entry.attacks}
    assert set(cells) == {
        "fgsm/native",
        "fgsm/art",
        "bim_b/native",
        "fgsm/native @waveform",
        "pgd_l2/native @waveform",
        "bim_b/art @waveform",
        "fgsm/native targeted",
    }
    for cell in entry.attacks:
        if cell.domain == "waveform" or cell.targeted:
            continue  # test_waveform_domain_and_targeted_cells
        expected = 3.0 if cell.attack == "bim_b" else 1.0
        assert [p.gradient_evals_per_example for p in cell.per_budget] == [expected, expected]
        assert all(p.linf_mean <= p.budget + 1e-6 for p in cell.per_budget)
        assert all(p.snr_db_mean is not None for p in cell.per_budget)  # STFT inverts with the phase
        # every example is changed (no +inf SNR left out), and the STFT has no Griffin-Lim value
        assert all(p.snr_db_excluded == 0 and p.snr_db_griffin_lim_mean is None for p in cell.per_budget)
    # Native and ART FGSM are the same algorithm: identical fooling rates.
    native, art = cells["fgsm/native"].per_budget, cells["fgsm/art"].per_budget
    assert [p.fooling_rate for p in native] == [p.fooling_rate for p in art]
    (transfer,) = entry.transfer
    assert transfer.target == "cnn1d_gammatone_waveform"
    assert transfer.clean_reconstruction_snr_db > 90  # original phase: exact inverse (Koerich sec. III)
    assert transfer.snr_db_excluded == 0 and transfer.snr_db_griffin_lim_mean is None
    waveform_entry = read_entry(folder / "cnn1d_gammatone_waveform.json")
    assert waveform_entry.model.domain == "waveform" and not waveform_entry.transfer


def test_waveform_domain_and_targeted_cells(ran):
    """SNR budgets hold for every example; amplitude budgets bound the waveform; targets are recorded."""
    folder = ran["folder"]
    entry = read_entry(folder / "cnn2d_stft.json")
    cells = {c.label: c for c in entry.attacks}
    for label, steps in (("fgsm/native @waveform", 1), ("pgd_l2/native @waveform", 2)):
        cell = cells[label]
        assert cell.budget_unit == "snr_db" and cell.examples == 30
        for point in cell.per_budget:
            assert point.snr_db_min >= point.budget - 1e-3  # every adversarial waveform meets its target
            assert point.gradient_evals_per_example == steps  # gradients through the STFT, counted once
    fgsm = cells["fgsm/native @waveform"].per_budget
    assert fgsm[0].snr_db_mean > fgsm[1].snr_db_mean and fgsm[0].linf_mean < fgsm[1].linf_mean
    amplitude = cells["bim_b/art @waveform"]
    assert amplitude.budget_unit == "amplitude" and amplitude.norm == "linf"
    assert all(p.linf_mean <= p.budget + 1e-6 and p.snr_db_mean is not None for p in amplitude.per_budget)
    targeted = cells["fgsm/native targeted"]
    assert targeted.examples == 12 and targeted.targets_seed is not None and len(targeted.targets) == 12
    assert all(0 <= t < 10 for t in targeted.targets)
    waveform_model = read_entry(folder / "cnn1d_gammatone_waveform.json")
    (snr,) = [c for c in waveform_model.attacks if c.domain == "waveform"]
    assert all(p.snr_db_min >= p.budget - 1e-3 for p in snr.per_budget)
    assert (folder / "cnn2d_stft_examples.png").read_bytes()[:4] == b"\x89PNG"


def test_transferability_rows_and_heat_map(ran):
    """Esmaeilpour Table 9: adversarials fooling the source, and how many of them fool the other model."""
    folder = ran["folder"]
    for source, target in (("cnn2d_stft", "cnn2d_stft_b"), ("cnn2d_stft_b", "cnn2d_stft")):
        (row,) = read_entry(folder / f"{source}.json").transferability
        (other,) = row.targets
        assert other.target == target and row.examples == 30
        assert 0 <= other.fooled_both <= row.fooled_source <= 30
        assert other.rate == (other.fooled_both / row.fooled_source if row.fooled_source else None)
    assert (folder / "transferability_stft_fgsm-native_0.05.png").is_file()
    assert "Transferability: fgsm/native @ 0.05 on stft" in (folder / "summary.md").read_text()


def test_rerun_reads_every_cell_from_the_cache(ran, tmp_path, monkeypatch, capsys):
    first = read_entry(ran["folder"] / "cnn2d_stft.json")
    output = tmp_path / "leaderboards"

    def forbidden(*args, **kwargs):
        raise AssertionError("a cached cell was recomputed")

    monkeypatch.setattr(executors_module, "execute", forbidden)
    assert main(run_args(ran, output, ran["cache"])) == 0
    second = read_entry(output / "tiny" / "v1" / "synth10" / "cnn2d_stft.json")
    assert second.attacks == first.attacks and second.cell_keys == first.cell_keys
    out = capsys.readouterr().out
    assert "fgsm/native" in out  # the summary table
    # after the tables: each entry's primary score and where every file is (issue 14); compared
    # without whitespace, since rich folds lines (and paths) at the console's width
    tail = "".join(out.split()).split("└")[-1]  # └ closes the last table
    folder = output / "tiny" / "v1" / "synth10"
    expected = [
        f"wrote {folder / entry.entry}.json; score: robust accuracy {score_text(entry.score)} %"
        for entry in (second, read_entry(folder / "cnn1d_gammatone_waveform.json"))
    ]
    expected.append(f"wrote {folder / 'summary.md'}, FR-vs-budget plots, adversarial examples and heat maps")
    for line in expected:
        assert "".join(line.split()) in tail


def test_interrupted_run_resumes_and_writes_no_partial_leaderboard(trained, tmp_path, monkeypatch, capsys):
    output, cache = tmp_path / "leaderboards", tmp_path / "cache"
    original = executors_module.execute
    calls = {"n": 0}

    def interrupt_second(cell, inputs):
        calls["n"] += cell.kind == "attack"
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(cell, inputs)

    monkeypatch.setattr(executors_module, "execute", interrupt_second)
    assert main(run_args(trained, output, cache)) == 130
    assert not output.exists()
    assert len(list((cache / "cells").rglob("*.cell"))) == 1
    message = "arb: interrupted; 1 of 13 cells finished and are cached; run the same command again to resume"
    assert capsys.readouterr().err.strip().endswith(message)
    calls["n"] = -100  # the resumed run recomputes only the unfinished cells
    assert main(run_args(trained, output, cache)) == 0
    assert calls["n"] == -100 + 9  # ten attack cells, one of them cached


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("arb: error:") and "\n" not in err, err
    return err


def test_unknown_suite_is_a_one_line_error(capsys):
    assert main(["run", "--suite", "quik"]) == 2
    assert "did you mean 'quick'" in _one_line_error(capsys)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("stft = [0.005, 0.05]", "stft = [0.005, 5.0]", "exceeds the input bounds"),
        ("stft = [0.005, 0.05]", "stft = [0.05, 0.005]", "sorted ascending"),
        ("snr_db = [40.0, 20.0]", "snr_db = [20.0, 40.0]", "sorted descending"),
        (
            'backends = ["native"]\nmodels = ["cnn2d_stft"]\nparams = { steps = 2 }',
            'backends = ["art"]\nmodels = ["cnn2d_stft"]\nparams = { steps = 2 }',
            "cannot take SNR budgets",
        ),
        ('attack = "fgsm"', 'attack = "fgsn"', "did you mean 'fgsm/native'"),
        ("steps = 3,", "stepz = 3,", "stepz"),
        ('architecture = "cnn2d"', 'architecture = "cnn3d"', "unknown model 'cnn3d'"),
        (
            "overlap = 0.5\n",
            'overlap = 0.5\nshort_clips = "loop"\n',
            "short_clips: Input should be 'pad' or 'repeat'",
        ),
    ],
)
def test_bad_suite_fails_before_anything_is_written(trained, tmp_path, capsys, old, new, message):
    suite = tmp_path / "bad.toml"
    suite.write_text(TINY_SUITE.replace(old, new, 1))
    output = tmp_path / "leaderboards"
    assert main(run_args(trained, output, tmp_path / "cache", suite)) == 2
    assert message in _one_line_error(capsys)
    assert not output.exists()


def _copy_baselines(trained, tmp_path) -> Path:
    return Path(shutil.copytree(trained["baselines"], tmp_path / "baselines"))


@pytest.mark.parametrize("damage", ["missing", "corrupt", "nan", "card", "shape"])
def test_bad_checkpoint_is_a_one_line_error(trained, tmp_path, capsys, damage):
    baselines = _copy_baselines(trained, tmp_path)
    weights, card_file = baselines / "cnn2d_stft.safetensors", baselines / "cnn2d_stft.json"
    if damage == "missing":
        weights.unlink()
        expected = "is missing; run `arb train --suite tiny`"
    elif damage == "corrupt":
        weights.write_bytes(weights.read_bytes()[:-7] + b"garbage")
        expected = "does not match the sha256"
    elif damage == "card":
        card_file.write_text("{not json")
        expected = "is not valid JSON"
    else:
        state = load_file(str(weights))
        name = next(k for k, v in state.items() if v.is_floating_point() and v.dim() > 1)
        if damage == "nan":
            state[name][0] = float("nan")
            expected = "non-finite values"
        else:
            state[name] = state[name][:1]
            expected = "does not fit 'cnn2d'"
        save_file(state, str(weights))
        card = json.loads(card_file.read_text())
        card["weights_sha256"] = sha256_file(weights)
        card_file.write_text(json.dumps(card))
    output = tmp_path / "leaderboards"
    args = run_args({**trained, "baselines": baselines}, output, tmp_path / "cache")
    assert main(args) == 2
    assert expected in _one_line_error(capsys)
    assert not output.exists()


def test_results_file_failing_the_schema_is_a_one_line_error(ran, tmp_path, capsys):
    path = Path(shutil.copy(ran["folder"] / "cnn2d_stft.json", tmp_path / "entry.json"))
    assert main(["summary", str(path)]) == 0
    capsys.readouterr()
    data = json.loads(path.read_text())
    data["attacks"][0]["fr_auc"] = "0.9"  # a number stored as a string
    path.write_text(json.dumps(data))
    assert main(["summary", str(path)]) == 2
    assert "fails the schema at attacks.0.fr_auc" in _one_line_error(capsys)
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    assert main(["summary", str(path)]) == 2
    assert "schema_version 99" in _one_line_error(capsys)


def _synth10_test_set(tracks_per_class: int, fold: int, kept: int | None, folder: Path):
    from benchmark.cells.testset import RowPlacement, load_test_set
    from benchmark.data.protocol import describe_data, open_dataset

    dataset = open_dataset("synth10", {"tracks_per_class": tracks_per_class, "track_seconds": 2.0})
    info = describe_data(dataset, segment_seconds=1.0, overlap=0.5)
    return load_test_set(info, fold, kept, RowPlacement(folder, 1 << 30, torch.device("cpu")))


def test_test_tracks_per_class_keeps_whole_tracks_of_every_class(tmp_path):
    full = _synth10_test_set(5, 0, None, tmp_path)
    subset = _synth10_test_set(5, 0, 1, tmp_path)
    assert len(full.track_labels) == 10 and len(subset.track_labels) == 10  # 5 tracks/class -> 1 in fold 0
    subset = _synth10_test_set(10, 1, 1, tmp_path)
    assert sorted(subset.track_labels.tolist()) == list(range(10))
    assert len(subset.labels) == 3 * 10  # every segment of each kept track
    assert (subset.labels == subset.track_labels[subset.track_index]).all()


def test_per_example_outcomes_give_robust_accuracy_and_compare_exactly(ran, tmp_path, capsys):
    """Each cell's bits reproduce its robust accuracy (correct clean AND under attack, so never above
    clean), the score is the worst case over the cells on the score set, and a flipped bit drifts."""
    folder = ran["folder"]
    entry = read_entry(folder / "cnn2d_stft.json")
    ids = entry.examples.ids
    assert len(set(ids)) == 30 and ids[:2] == [ids[0].rsplit("#", 1)[0] + f"#{k}" for k in (0, 1)]
    tracks = track_of(ids)
    clean = unpacked(entry.examples.clean.model_dump(), 30, 10)
    assert clean["segment"].mean() == pytest.approx(entry.model.clean.segment)
    for cell in entry.attacks:
        mask = unpack(cell.evaluated, 30)
        kept = np.unique(tracks[mask])
        assert mask.sum() == cell.examples and (np.isin(tracks, kept) == mask).all()  # whole tracks
        subset = {"segment": clean["segment"][mask], "mv": clean["mv"][kept], "sr": clean["sr"][kept]}
        for point in cell.per_budget:
            correct = unpacked(point.correct.model_dump(), cell.examples, len(kept))
            for level, bits in subset.items():
                value = getattr(point.robust_accuracy, level)
                assert value == pytest.approx(robust(bits, correct[level]).mean()) and value <= bits.mean()
                assert getattr(point.adversarial_accuracy, level) == pytest.approx(correct[level].mean())
                interval = getattr(point.robust_interval, level)
                assert interval.low <= value <= interval.high
    score = entry.score
    assert score.method == "per_example_worst_case"
    assert sorted(score.attacks) == ["bim_b/native", "fgsm/art", "fgsm/native"]  # not the 12-segment one
    singles = [
        p.robust_accuracy.segment
        for c in entry.attacks
        for p in c.per_budget
        if c.label in score.attacks and p.budget == score.budget
    ]
    assert score.robust_accuracy.segment <= score.attack_robust_accuracy.segment == min(singles)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    data = json.loads((copy / "cnn2d_stft.json").read_text())
    bits = unpack(data["attacks"][0]["per_budget"][0]["correct"]["segment"], 30)
    bits[0] = not bits[0]
    data["attacks"][0]["per_budget"][0]["correct"]["segment"] = pack(bits)
    (copy / "cnn2d_stft.json").write_text(json.dumps(data))
    assert main(["compare", str(folder), str(copy)]) == 1
    assert "correct.segment" in capsys.readouterr().out
