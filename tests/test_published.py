"""Published numbers (registry/published/): every file validates, every number is in its seed text,
every mapping names a real suite entry and attack, and summaries show them beside this run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

from benchmark.cli import main
from benchmark.errors import BenchmarkError
from benchmark.leaderboard.io import entry_path, read_entry, write_entry
from benchmark.leaderboard.metric_paths import parse_metric, resolve
from benchmark.leaderboard.published import PublishedPaper, load_paper, mapped_values, published_dir
from benchmark.leaderboard.schema import LeaderboardEntry, SuiteRef
from benchmark.paths import project_root
from benchmark.plan.suite import load_suite
from benchmark.publish.comparison import COMPARISON_TITLE, comparison_rows
from benchmark.publish.summary import markdown, rich_tables

SEEDS = project_root().parent / "shared" / "seeds"
PAPERS = {"koerich2020": "000", "esmaeilpour2021": "001", "pons2019": "002"}
QUICK = project_root() / "leaderboards" / "quick" / "v1" / "synth10"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not found at {SEEDS}")


def papers() -> dict[str, PublishedPaper]:
    return {name: load_paper(published_dir() / f"{name}.toml") for name in PAPERS}


def seed_text(paper: PublishedPaper) -> str:
    return (SEEDS / paper.seed).read_text()


def test_one_valid_file_per_seed_paper():
    assert sorted(p.stem for p in published_dir().glob("*.toml")) == sorted(PAPERS)
    loaded = papers()
    for name, number in PAPERS.items():
        assert loaded[name].seed.startswith(number)
    counts = {name: sum(len(t.values) for t in paper.tables) for name, paper in loaded.items()}
    # Koerich Tables III-VII; Esmaeilpour Tables 2, 3, 4, 7 (13 numbers a row) and 9 (81 cells).
    assert counts == {"koerich2020": 36, "esmaeilpour2021": (12 + 9 + 6 + 9) * 13 + 81, "pons2019": 14}


@needs_seeds
def test_every_number_is_printed_in_its_seed_text():
    """No invented numbers: each value, as the paper prints it (any of 0-4 decimals, or a
    zero-padded 3-digit gradient count), occurs in the seed text."""
    for paper in papers().values():
        text = seed_text(paper)
        for table in paper.tables:
            for v in table.values:
                forms = {f"{v.value:.{d}f}" for d in range(5)} | {f"{v.value:03.0f}"}
                if v.value == int(v.value):
                    forms.add(str(int(v.value)))
                found = [f for f in forms if re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", text)]
                assert found, (
                    f"{paper.seed} table {table.table} {v.row} / {v.column}: {v.value} not in the text"
                )
                if v.sd is not None:
                    assert f"{v.sd:.2f}" in text, (table.table, v.row, v.sd)


@needs_seeds
def test_spot_checks_against_the_printed_rows():
    loaded = papers()

    def value(paper: str, table: str, row: str, column: str) -> tuple[float, float | None]:
        t = next(t for t in loaded[paper].tables if t.table == table)
        v = next(v for v in t.values if v.row == row and v.column == column)
        return v.value, v.sd

    koerich = seed_text(loaded["koerich2020"])
    assert "STFT\t67.09±1.49\t75.84±1.92\t75.64±2.09" in koerich
    assert value("koerich2020", "III", "STFT", "MV Aggregation") == (75.84, 1.92)
    assert "\tBIM\t15.38±1.99\t12.09±2.01\t12.49±1.88" in koerich
    assert value("koerich2020", "V", "MF BIM", "MV Aggreg.") == (12.09, 2.01)
    assert "STFT Recons\tFGSM\t26.45±1.09\t28.00±0.98\t27.91±0.85" in koerich
    assert value("koerich2020", "VI", "STFT Recons FGSM", "SR Aggreg.") == (27.91, 0.85)
    assert "\tFGSM\t42.69±9.45" in koerich
    assert value("koerich2020", "VII", "Audio Reconstructed (MF) FGSM", "SNR_dB(x, v)") == (42.69, 9.45)

    esm = seed_text(loaded["esmaeilpour2021"])
    assert "\t2 048\t92.23\t0.9895 , 1\t0.9764 , 643\t$0.9407,\\ 602$" in esm  # Table 3, US8k
    assert value("esmaeilpour2021", "3", "US8k 2048 FFTs", "Recog. Acc. (%)")[0] == 92.23
    assert value("esmaeilpour2021", "3", "US8k 2048 FFTs", "BIM-a AUC")[0] == 0.9407
    assert value("esmaeilpour2021", "3", "US8k 2048 FFTs", "BIM-a gradients")[0] == 602
    assert "ESC-10\t8\t73.23" not in esm and "\t8\t73.23\t0.9822 , 1\t0.9473,074" in esm  # Table 2
    assert value("esmaeilpour2021", "2", "ESC-10 8 kHz", "DeepFool gradients")[0] == 74
    assert "TICOL\t8\t94.70\t0.9401 , 1" in esm  # Table 4's garbled US8k label
    assert value("esmaeilpour2021", "4", "US8k 8 kHz", "FGSM AUC")[0] == 0.9401
    assert "ESC-50\tGoogLeNet\t0.630\t1\t0.531\t0.578" in esm  # Table 9
    assert value("esmaeilpour2021", "9", "ESC-50 GoogLeNet", "STFT ResNet-18")[0] == 0.578
    assert value("esmaeilpour2021", "7", "ESC-10 2048 FFTs", "CWA AUC")[0] == 0.8639

    pons = seed_text(loaded["pons2019"])
    assert "VGG* and SVMs (≈ 3500): 70.74%" in pons
    assert value("pons2019", "sec. 4.3", "VGG (random), SVM ≈3500", "accuracy")[0] == 70.74


def test_mappings_name_real_suite_entries_and_cells():
    values = mapped_values()
    # Koerich: all; Esmaeilpour: Tables 3 and 7 whole, 2 and 4 one rate each; Pons: 3 GTZAN, 2 US8K accuracies
    assert len(values) == 36 + 312 + 3 + 2
    # the early-stopping attacks' per-batch gradient counts (4 of 6 attacks) have no same-definition metric
    assert sum(item.metric is None for item in values) == 96
    for item in values:
        suite = load_suite(item.suite)
        assert item.entry in suite.models, (item.suite, item.entry)
        if item.metric is None:
            assert item.not_comparable
            continue
        metric = parse_metric(item.metric)
        if metric.section == "attack":
            assert any(
                a.attack == metric.attack and metric.backend in a.backends and item.entry in a.models
                for a in suite.attacks
            ), item
        if metric.section == "transfer":
            assert any(
                t.source == item.entry and f"{metric.attack}/{metric.backend}" in t.attacks
                for t in suite.transfer
            ), item
        if metric.at == "reference":
            representation = suite.models[item.entry].representation
            assert representation in suite.reference_budgets, item


def test_the_schema_refuses_duplicates_bad_metrics_and_unit_mismatches(tmp_path):
    def paper(values: str, unit: str = "percent") -> Path:
        path = tmp_path / "p.toml"
        path.write_text(
            f'paper = "X et al. 2020, T"\nseed = "s.txt"\nunits = "as printed"\nsuite = "koerich2020"\n'
            f'[[tables]]\ntable = "I"\ncaption = "c"\nunit = "{unit}"\nvalues = [{values}]\n'
        )
        return path

    good = '{ row = "a", column = "b", value = 50.0, entry = "cnn2d_stft", metric = "clean.mv" }'
    assert load_paper(paper(good)).tables[0].values[0].value == 50.0
    cell = '{ row = "a", column = "b", value = 5.0, '
    cases = {
        f"{good}, {good}": "row 'a', column 'b' appears twice",
        cell + 'entry = "e", metric = "clean.median" }': "metric 'clean.median'",
        cell + 'entry = "e", metric = "attack.fgsm.fooling_rate" }': "is not clean",
        cell + 'entry = "e" }': "give entry and metric together",
        cell + 'entry = "e", metric = "clean.mv", not_comparable = "x" }': "not_comparable takes an entry",
        cell + 'not_comparable = "x" }': "not_comparable takes an entry and no metric",
        cell + 'colour = "red" }': "Extra inputs are not permitted",
        '{ row = "a", column = "b", value = "5.0" }': "valid number",
    }
    for values, message in cases.items():
        with pytest.raises(BenchmarkError) as raised:
            load_paper(paper(values))
        assert message in str(raised.value) and "\n" not in str(raised.value), str(raised.value)
    with pytest.raises(BenchmarkError, match=r"is in dB but clean\.mv is measured in percent or fraction"):
        load_paper(paper(good, unit="dB"))


def relabelled(path: Path, suite: str, entry: str) -> LeaderboardEntry:
    """A committed quick entry posing as an entry of a seed suite (same metrics, other names)."""
    return read_entry(path).model_copy(update={"suite": SuiteRef(name=suite, version=1), "entry": entry})


@pytest.fixture(scope="module")
def koerich_stft() -> LeaderboardEntry:
    return relabelled(QUICK / "cnn2d_stft.json", "koerich2020", "cnn2d_stft")


def test_metrics_resolve_on_an_entry(koerich_stft):
    entry = koerich_stft
    assert resolve(entry, "clean.sr") == entry.model.clean.sr
    fgsm = next(c for c in entry.attacks if c.attack == "fgsm" and c.backend == "native")
    at = {p.budget: p for p in fgsm.per_budget}
    assert resolve(entry, "attack.fgsm/native.robust_accuracy.mv@reference") == at[0.01].robust_accuracy.mv
    adversarial = resolve(entry, "attack.fgsm/native.adversarial_accuracy.mv@reference")
    assert adversarial == at[0.01].adversarial_accuracy.mv  # Koerich Table V's accuracy under attack
    assert resolve(entry, "attack.fgsm/native.fooling_rate@0.003") == at[0.003].fooling_rate
    assert resolve(entry, "attack.fgsm/native.fooling_rate@0.5") is None  # not in the schedule
    assert resolve(entry, "attack.fgsm/native.snr_db_mean@max") == fgsm.per_budget[-1].snr_db_mean
    mean = sum(p.gradient_evals_per_example for p in fgsm.per_budget) / len(fgsm.per_budget)
    assert resolve(entry, "attack.fgsm/native.gradient_evals_per_example@mean") == pytest.approx(mean)
    # Esmaeilpour's "AUC ... averaged over budgets": the mean FR (misclassified, for untargeted cells)
    mean_fr = sum(p.fooling_rate for p in fgsm.per_budget) / len(fgsm.per_budget)
    assert resolve(entry, "attack.fgsm/native.fr_mean") == pytest.approx(mean_fr)
    assert resolve(entry, "attack.fgsm/native.misclassified_rate@mean") == pytest.approx(mean_fr)
    assert fgsm.fr_mean == pytest.approx(mean_fr)
    strongest = max((c for c in entry.attacks if c.attack == "bim_b"), key=lambda c: c.fr_auc or 0.0)
    assert resolve(entry, "attack.bim_b.fr_auc") == strongest.fr_auc  # no backend: the strongest
    assert resolve(entry, "attack.cw_l2/foolbox.fr_auc") is None
    transfer = next(t for t in entry.transfer if t.attack == "fgsm")
    assert (
        resolve(entry, "transfer.fgsm/native.adversarial_reconstructed.mv")
        == transfer.adversarial_reconstructed.mv
    )
    assert (
        resolve(entry, "transfer.fgsm/native.clean_reconstruction_snr_db")
        == transfer.clean_reconstruction_snr_db
    )


def test_summaries_show_published_beside_this_run(koerich_stft):
    rows = comparison_rows([koerich_stft])
    by_metric = {row[1]: row for row in rows}
    # Table III (3 values), IV STFT recons (3), V STFT (6), VI (6), VII STFT (3): all have counterparts.
    assert len(rows) == 21
    assert by_metric["clean.mv"][2:] == [
        f"{100 * koerich_stft.model.clean.mv:.2f}",
        "75.84 ± 1.92",
        "Koerich et al. 2020, Table III, STFT / MV Aggregation",
    ]
    assert by_metric["transfer.fgsm/native.clean_reconstruction_snr_db"][3] == ">90.00"
    assert by_metric["transfer.fgsm/native.snr_db_mean"][3] == "14.62 ± 5.93"
    text = markdown([koerich_stft])
    assert f"## {COMPARISON_TITLE}" in text
    assert "| cnn2d_stft | attack.bim_b/native.adversarial_accuracy.segment@reference |" in text
    console = Console(record=True, width=240)
    for table in rich_tables([koerich_stft]):
        console.print(table)
    shown = console.export_text()
    assert COMPARISON_TITLE in shown and "13.26 ± 1.20" in shown
    # An entry no paper reports on (the quick suite) gets no such section.
    assert COMPARISON_TITLE not in markdown([read_entry(QUICK / "cnn2d_stft.json")])


def test_values_without_a_same_definition_metric_are_shown_as_not_comparable():
    """Esmaeilpour's per-batch gradient counts of early-stopping attacks: a reason, never a number."""
    entry = relabelled(QUICK / "cnn2d_stft.json", "esmaeilpour2021", "resnet18_mfcc")
    rows = comparison_rows([entry])
    reasons = [row for row in rows if row[1].startswith("not comparable: gradients per batch execution")]
    assert [row[4].split(" / ")[1] for row in reasons] == [
        "DeepFool gradients",
        "BIM-a gradients",
        "JSMA gradients",
        "CWA gradients",
    ]
    assert reasons[0][2:4] == ["—", "74"] and "Table 2, ESC-10 8 kHz" in reasons[0][4]
    compared = {row[1] for row in rows if not row[1].startswith("not comparable")}
    assert "attack.fgsm/native.gradient_evals_per_example@mean" in compared
    assert "attack.bim_a/native.gradient_evals_per_example@mean" not in compared


def test_arb_leaderboard_shows_published_values(koerich_stft, tmp_path, capsys):
    waveform = relabelled(QUICK / "cnn1d_gammatone_waveform.json", "koerich2020", "cnn1d_gammatone_waveform")
    for entry in (koerich_stft, waveform):
        write_entry(entry_path(tmp_path, "koerich2020", 1, "synth10", entry.entry), entry)
    assert main(["leaderboard", "--suite", "koerich2020", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert COMPARISON_TITLE in out and "77.69 ± 0.81" in out  # Table IV, the 1D model's clean MV
    markdown = ["--format", "markdown"]
    assert main(["leaderboard", "--suite", "koerich2020", "--output", str(tmp_path), *markdown]) == 0
    board = (tmp_path / "koerich2020" / "v1" / "leaderboard.md").read_text()
    assert "| cnn1d_gammatone_waveform | clean.segment |" in board and "70.82 ± 0.20" in board
