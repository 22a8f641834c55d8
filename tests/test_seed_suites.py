"""The seed-protocol suites (koerich2020, esmaeilpour2021*, pons2019): they load, their models build
at the suites' input sizes, a missing dataset is a one-line error with the fetch command, and
koerich2020, esmaeilpour2021 and pons2019 run end to end (scaled down) on tiny trees in their
datasets' layouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmark.cli import main
from benchmark.leaderboard.io import read_entry
from benchmark.plan.suite import load_suite, suite_path
from benchmark.publish.comparison import comparison_rows
from benchmark.registry import REPRESENTATIONS

SEED_SUITES = {
    "koerich2020": "gtzan",
    "esmaeilpour2021": "esc10",
    "esmaeilpour2021_esc50": "esc50",
    "esmaeilpour2021_us8k": "urbansound8k",
    "pons2019": "gtzan",
    "pons2019_us8k": "urbansound8k",
}


def test_seed_suites_load_and_are_listed(capsys):
    for name, dataset in SEED_SUITES.items():
        suite = load_suite(name)
        assert suite.name == name and suite.dataset == dataset and suite.description
        assert "sample_rate" in suite.dataset_params and "root" not in suite.dataset_params
    assert main(["list", "suites", "--describe"]) == 0
    listed = capsys.readouterr().out
    for name in SEED_SUITES:
        assert f"  {name} " in listed
    assert "random CNN front-ends + SVM / ELM and MFCC + SVM" in listed


def test_seed_suites_declare_the_papers_settings():
    koerich = load_suite("koerich2020")
    assert koerich.dataset_params == {"split": "koerich", "sample_rate": 22050}
    assert (koerich.segment_seconds, koerich.overlap) == (5.0, 0.75)
    assert {m.config for m in koerich.models.values()} == {"paper"}
    assert koerich.models["cnn2d_stft"].representation_params == {"n_fft": 512, "hop_length": 256}
    assert (koerich.transfer[0].source, koerich.transfer[0].target) == (
        "cnn2d_stft",
        "cnn1d_gammatone_waveform",
    )
    pons = load_suite("pons2019")
    assert pons.dataset_params["split"] == "filtered" and pons.test_fold == 2  # the split's test songs
    assert round(pons.segment_seconds * pons.dataset_params["sample_rate"]) == 350_000  # sec. 3.1
    for name in ("esmaeilpour2021", "esmaeilpour2021_esc50", "esmaeilpour2021_us8k"):
        suite = load_suite(name)
        assert {a.attack for a in suite.attacks} == {"fgsm", "deepfool", "bim_a", "bim_b", "jsma", "cw_l2"}
        assert {m.architecture for m in suite.models.values()} == {"resnet18"}
        cw = next(a for a in suite.attacks if a.attack == "cw_l2")
        assert cw.targeted and cw.budgets["stft_resized"] == [25, 100, 1000, 2000, 5000]  # sec. 4.3.1


@pytest.mark.parametrize("name", list(SEED_SUITES))
def test_every_model_representation_builds_at_the_suite_input_size(name):
    suite = load_suite(name)
    rate = int(suite.dataset_params["sample_rate"])
    samples = round(suite.segment_seconds * rate)
    expected = {
        "koerich2020": {"cnn2d_stft": (1, 257, 431), "cnn2d_mel": (1, 64, 431)},  # Table I inputs
    }.get(name, {})
    for entry, spec in suite.models.items():
        representation = REPRESENTATIONS.get(spec.representation)(
            sample_rate=rate, **spec.representation_params
        )
        shape = representation.output_shape(samples)
        if spec.representation.endswith("_resized"):
            assert shape == (1, 128, 128)  # Esmaeilpour sec. 4.2
        assert expected.get(entry, shape) == shape


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            [],
            "dataset 'gtzan' reads files on disk: pass --data-root DIR; "
            "get gtzan with `arb data fetch gtzan --data-root DIR`",
        ),
        (
            ["--data-root", "MISSING"],
            "is not a folder; get gtzan with `arb data fetch gtzan --data-root DIR`",
        ),
    ],
)
def test_a_missing_dataset_is_one_line_naming_the_fetch_command(extra, message, tmp_path, one_line_error):
    extra = [str(tmp_path / "missing") if arg == "MISSING" else arg for arg in extra]
    assert main(["train", "--suite", "koerich2020", "--baselines", str(tmp_path / "b"), *extra]) == 2
    assert message in one_line_error()
    run = [
        "run",
        "--suite",
        "koerich2020",
        "--baselines",
        str(tmp_path / "b"),
        "--output",
        str(tmp_path / "o"),
    ]
    assert main([*run, "--cache-dir", str(tmp_path / "c"), *extra]) == 2
    assert message in one_line_error()
    assert not (tmp_path / "o").exists()


def scaled_koerich(path: Path) -> Path:
    """koerich2020 with the same models, attacks and transfer cells, scaled to run in seconds: 1 s
    segments, compact configs (the paper's 2D CNN has a 405M-parameter dense layer), one epoch, two
    budgets, two BIM steps, 4 Griffin-Lim iterations (32 would take most of the time)."""
    text = suite_path("koerich2020").read_text()
    for old, new in (
        ("segment_seconds = 5.0", "segment_seconds = 1.0"),
        ('config = "paper"', 'config = "compact"'),
        ("epochs = 100", "epochs = 1"),
        ("[0.001, 0.003, 0.01, 0.03]", "[0.003, 0.01]"),
        ("steps = 10", "steps = 2"),
        ("n_mels = 64 }", "n_mels = 64, n_iter = 4 }"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return path


@pytest.mark.slow
def test_koerich2020_end_to_end_on_a_tiny_gtzan_tree(tmp_path, monkeypatch, capsys):
    from data_trees import gtzan_tree

    monkeypatch.setenv("ARB_CACHE_DIR", str(tmp_path / "cache"))
    tree = gtzan_tree(tmp_path / "gtzan", per_genre=3, seconds=1.5, fmt="wav")
    suite = str(scaled_koerich(tmp_path / "koerich2020.toml"))
    common = ["--suite", suite, "--data-root", str(tree), "--baselines", str(tmp_path / "baselines")]
    assert main(["train", *common, "--device", "cpu", "--force"]) == 0  # tiny trees: chance is fine
    out = tmp_path / "leaderboards"
    assert (
        main(["run", *common, "--device", "cpu", "--output", str(out), "--cache-dir", str(tmp_path / "c")])
        == 0
    )
    folder = out / "koerich2020" / "v1" / "gtzan"
    entries = {path.stem: read_entry(path) for path in sorted(folder.glob("*.json"))}
    assert set(entries) == {"cnn2d_stft", "cnn2d_mel", "cnn1d_gammatone_waveform"}
    stft = entries["cnn2d_stft"]
    # Test fold 0 of the koerich split: one track per genre, 3 one-second windows at 75 % overlap.
    assert (stft.dataset.test_tracks, stft.dataset.test_segments) == (10, 30)
    assert {f"{c.attack}/{c.backend}" for c in stft.attacks} == {"fgsm/native", "bim_b/native"}
    assert (
        {t.attack for t in stft.transfer}
        == {"fgsm", "bim_b"}
        == {t.attack for t in entries["cnn2d_mel"].transfer}
    )
    assert json.loads((folder / "cnn2d_stft.json").read_text())["suite"]["name"] == "koerich2020"
    # The published Koerich numbers show beside this run: every table has a counterpart here.
    tables = {row[4].split(", ")[1] for row in comparison_rows(list(entries.values()))}
    assert tables == {"Table III", "Table IV", "Table V", "Table VI", "Table VII"}
    assert "Published beside this run" in (folder / "summary.md").read_text()
    capsys.readouterr()


def scaled(name: str, path: Path, replacements: tuple[tuple[str, str], ...]) -> Path:
    """A copy of suite ``name`` with the same models, attacks and protocol, scaled to run in seconds."""
    text = suite_path(name).read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return path


def train_and_run(suite: Path, tree: Path, tmp_path: Path) -> dict[str, object]:
    common = ["--suite", str(suite), "--data-root", str(tree), "--baselines", str(tmp_path / "baselines")]
    assert main(["train", *common, "--device", "cpu", "--force"]) == 0  # tiny trees: chance is fine
    out = tmp_path / "leaderboards"
    run = [*common, "--device", "cpu", "--output", str(out), "--cache-dir", str(tmp_path / "c")]
    assert main(["run", *run]) == 0
    return {path.stem: read_entry(path) for path in sorted(out.rglob("*.json"))}


@pytest.mark.slow
def test_esmaeilpour2021_end_to_end_on_a_tiny_esc10_tree(tmp_path, monkeypatch, capsys):
    """ESC-10 layout, eight ResNet-18s (MFCC, STFT and Mel at three n_fft, DWT) with pitch-shift
    augmentation, the six attacks; compact configs, one epoch, schedules cut to two points."""
    from data_trees import esc50_tree

    monkeypatch.setenv("ARB_CACHE_DIR", str(tmp_path / "cache"))
    esc50_tree(tmp_path / "esc", seconds=1.0)
    suite = scaled(
        "esmaeilpour2021",
        tmp_path / "esmaeilpour2021.toml",
        (
            ("segment_seconds = 5.0", "segment_seconds = 1.0"),
            ('config = "paper"', 'config = "compact"'),
            ("epochs = 100", "epochs = 1"),
            ("[100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]", "[1, 2]"),
            ("[25, 100, 1000, 2000, 5000]", "[2, 5]"),
            ("steps = 10", "steps = 2"),
        ),
    )
    entries = train_and_run(suite, tmp_path / "esc", tmp_path)
    suite_models = load_suite(str(suite)).models
    assert set(entries) == set(suite_models)
    for entry in entries.values():
        assert entry.dataset.name == "esc10" and entry.dataset.test_tracks == 3  # 3 ESC-10 classes, fold 1
        assert {c.attack for c in entry.attacks} == {"fgsm", "deepfool", "bim_a", "bim_b", "jsma", "cw_l2"}
    card = json.loads((tmp_path / "baselines" / "resnet18_dwt.json").read_text())
    assert card["training"]["augmentation"]["pitch_shift"] == [0.75, 0.9, 1.15, 1.5]
    capsys.readouterr()


@pytest.mark.slow
def test_pons2019_end_to_end_on_a_tiny_gtzan_tree(tmp_path, monkeypatch, capsys):
    """The fault-filtered GTZAN split (443 / 197 / 290 tracks; test = fold 2, validation = fold 1) on a
    tree with every GTZAN file name, Pons's random front-ends + SVM / ELM and the MFCC baseline, FGSM and
    BIM-b; short clips and compact configs."""
    from data_trees import gtzan_tree

    monkeypatch.setenv("ARB_CACHE_DIR", str(tmp_path / "cache"))
    tree = gtzan_tree(tmp_path / "gtzan", per_genre=100, seconds=1.1, fmt="wav")
    suite = scaled(
        "pons2019",
        tmp_path / "pons2019.toml",
        (
            ("segment_seconds = 29.1666667", "segment_seconds = 1.0"),
            ('config = "paper"', 'config = "compact"'),
            ("[0.001, 0.003, 0.01, 0.03]", "[0.003, 0.01]"),
            ("steps = 10", "steps = 2"),
        ),
    )
    entries = train_and_run(suite, tree, tmp_path)
    assert set(entries) == set(load_suite("pons2019").models)
    for entry in entries.values():
        assert entry.dataset.test_fold == 2 and entry.dataset.test_tracks == 290
        assert {f"{c.attack}/{c.backend}" for c in entry.attacks} == {"fgsm/native", "bim_b/native"}
    card = json.loads((tmp_path / "baselines" / "pons_vgg_svm.json").read_text())
    assert (card["training"]["train_segments"], card["training"]["validation_segments"]) == (443, 197)
    # The paper's GTZAN numbers (sec. 4.1) show beside this run.
    sources = {row[4] for row in comparison_rows(list(entries.values()))}
    assert len(sources) == 3 and all("sec. 4.1" in source for source in sources)
    capsys.readouterr()


@pytest.mark.slow
def test_pons2019_us8k_end_to_end_on_a_tiny_urbansound8k_tree(tmp_path, monkeypatch, capsys):
    """UrbanSound8K layout, clips repeated to the input length (sec. 3.3), random VGG + SVM and the
    MFCC baseline; 1 s inputs and compact configs; the sec. 4.3 numbers show beside the run."""
    from data_trees import us8k_tree

    monkeypatch.setenv("ARB_CACHE_DIR", str(tmp_path / "cache"))
    us8k_tree(tmp_path / "us8k", seconds=0.5, classes=tuple(range(10)))  # an SVM needs every class
    suite = scaled(
        "pons2019_us8k",
        tmp_path / "pons2019_us8k.toml",
        (
            ("segment_seconds = 29.1666667", "segment_seconds = 1.0"),
            ('config = "paper"', 'config = "compact"'),
            ("[0.001, 0.003, 0.01, 0.03]", "[0.003, 0.01]"),
            ("steps = 10", "steps = 2"),
        ),
    )
    entries = train_and_run(suite, tmp_path / "us8k", tmp_path)
    assert set(entries) == {"pons_vgg_svm", "pons_mfcc_svm"}
    for entry in entries.values():
        assert entry.dataset.test_tracks == 10 and entry.dataset.test_segments == 10  # one repeated clip each
    sources = {row[4] for row in comparison_rows(list(entries.values()))}
    assert len(sources) == 2 and all("sec. 4.3" in source for source in sources)
    capsys.readouterr()
