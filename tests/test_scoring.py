"""The score from per-example outcomes: RobustBench robust accuracy, AutoAttack's worst case on one
score set, whole-track example selection, sanity flags, the track bootstrap. Hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.bootstrap import accuracy_interval, track_bootstrap
from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError
from benchmark.leaderboard.schema import AttackCell, Examples
from benchmark.leaderboard.scoring import majority_share, primary_score, sanity_flags
from benchmark.metrics import correctness
from benchmark.outcomes import example_ids, pack, packed, robust, track_of, unpack
from benchmark.paths import project_root
from benchmark.plan.planner import DataFacts, ModelFacts, plan_suite, whole_tracks
from benchmark.plan.suite import Suite, load_suite

#: 3 tracks of 2 segments
IDS = ["t0#0", "t0#1", "t1#0", "t1#1", "t2#0", "t2#1"]
TRACKS = np.array([0, 0, 1, 1, 2, 2])
CLEAN = {"segment": [1, 1, 1, 1, 0, 1], "mv": [1, 1, 1], "sr": [1, 1, 0]}


def _bits(values) -> np.ndarray:
    return np.asarray(values, dtype=bool)


def _examples(score_set=(1, 1, 1, 1, 1, 1)) -> Examples:
    clean = {level: _bits(values) for level, values in CLEAN.items()}
    return Examples.model_validate(
        {
            "ids": IDS,
            "score_set": pack(_bits(score_set)),
            "clean": packed(clean),
            "clean_interval": accuracy_interval(clean, TRACKS, seed=0),
        }
    )


def _cell(name: str, correct: dict[str, list[int]], evaluated=(1, 1, 1, 1, 1, 1)) -> AttackCell:
    """An Linf cell at budget 0.01 whose examples (``evaluated``) are correct under attack as given."""
    mask = _bits(evaluated)
    tracks = np.unique(TRACKS[mask])
    clean = {"segment": _bits(CLEAN["segment"])[mask], "mv": _bits(CLEAN["mv"])[tracks]}
    clean["sr"] = _bits(CLEAN["sr"])[tracks]
    bits = {level: _bits(values) for level, values in correct.items()}
    robust_bits = {level: robust(clean[level], bits[level]) for level in bits}
    point = {
        "budget": 0.01,
        "fooling_rate": None,
        "misclassified_rate": None,
        "success_rate": 0.0,
        "robust_accuracy": {level: float(b.mean()) for level, b in robust_bits.items()},
        "adversarial_accuracy": {level: float(b.mean()) for level, b in bits.items()},
        "robust_interval": None,
        "correct": packed(bits),
        "clean_correct": int(clean["segment"].sum()),
        "gradient_evals": 0,
        "gradient_batches": 0,
        "forward_evals": 0,
        "gradient_evals_per_example": 1.0,
        "l0_mean": 0.0,
        "l2_mean": 0.0,
        "linf_mean": 0.0,
        "snr_db_mean": None,
        "snr_db_std": None,
        "snr_db_min": None,
    }
    attack, backend = name.split("/")
    return AttackCell.model_validate(
        {
            "key": name,
            "attack": attack,
            "backend": backend,
            "domain": "representation",
            "norm": "linf",
            "budget_unit": "normalized",
            "targeted": False,
            "targets_seed": None,
            "targets": None,
            "params": {},
            "examples": int(mask.sum()),
            "evaluated": pack(mask),
            "per_budget": [point],
            "fr_auc": None,
            "fr_mean": None,
            "gradient_evals_to_fr90": None,
            "wall_time_s": 0.0,
        }
    )


A = _cell("fgsm/native", {"segment": [0, 1, 1, 1, 1, 1], "mv": [1, 0, 1], "sr": [1, 1, 1]})
B = _cell("pgd/native", {"segment": [1, 1, 0, 1, 1, 0], "mv": [1, 1, 1], "sr": [0, 1, 1]})


def _score(cells, examples=None):
    return primary_score(
        cells,
        representation="stft",
        reference_budgets={"stft": 0.01},
        examples=examples or _examples(),
        test_segments=6,
    )


def test_packed_bits_round_trip_and_example_ids():
    bits = np.array([1, 0, 1, 1, 0, 0, 0, 1, 1], dtype=bool)
    assert pack(bits) == "sYA=" and (unpack(pack(bits), 9) == bits).all()  # 0b10110001, 0b10000000
    assert example_ids(["a", "b#c"], [0, 0, 1, 1, 1]) == ["a#0", "a#1", "b#c#0", "b#c#1", "b#c#2"]
    assert track_of(["a#0", "a#1", "b#c#0", "b#c#1"]).tolist() == [0, 0, 1, 1]


def test_worst_case_equals_the_hand_computed_value_and_is_below_every_single_attack():
    # robust A = [0,1,1,1,0,1] (4/6), robust B = [1,1,0,1,0,0] (3/6): both survive only t0#1, t1#1
    score = _score([A, B])
    assert score.method == "per_example_worst_case" and score.attacks == ["fgsm/native", "pgd/native"]
    assert score.robust_accuracy.segment == pytest.approx(2 / 6)
    assert score.robust_accuracy.mv == pytest.approx(2 / 3)  # clean [1,1,1] & A [1,0,1] & B [1,1,1]
    assert score.robust_accuracy.sr == pytest.approx(1 / 3)  # clean [1,1,0] & A [1,1,1] & B [0,1,1]
    assert score.attack == "pgd/native" and score.attack_robust_accuracy.segment == pytest.approx(3 / 6)
    for cell in (A, B):
        for level in ("segment", "mv", "sr"):
            single = getattr(cell.per_budget[0].robust_accuracy, level)
            assert getattr(score.robust_accuracy, level) <= single
    low, high = score.interval.segment.low, score.interval.segment.high
    assert low <= 2 / 6 <= high


def test_an_attack_on_a_subset_cannot_lower_the_score_of_examples_it_never_saw():
    # it fools every example of track t2 it attacked, and is not on the score set
    subset = _cell(
        "square/art", {"segment": [0, 0], "mv": [0], "sr": [0]}, evaluated=(0, 0, 0, 0, 1, 1)
    )
    assert _score([A, B, subset]) == _score([A, B])
    assert "square/art" not in _score([A, B, subset]).attacks


def test_score_without_per_example_outcomes_is_the_strongest_single_attack_and_says_so():
    legacy = [cell.model_copy(update={"evaluated": None}) for cell in (A, B)]
    legacy = [
        cell.model_copy(update={"per_budget": [cell.per_budget[0].model_copy(update={"correct": None})]})
        for cell in legacy
    ]
    score = primary_score(
        legacy, representation="stft", reference_budgets={"stft": 0.01}, examples=None, test_segments=6
    )
    assert score.method == "strongest_single_attack" and score.interval is None
    assert score.robust_accuracy.segment == pytest.approx(3 / 6)


def test_robust_above_clean_is_impossible_by_construction():
    """Random logits, random clean and adversarial predictions: robust <= clean at every level."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 4, (40,), generator=generator)
    track_index = torch.arange(40) // 5
    track_labels = labels[::5]
    labels = track_labels[track_index]
    for _ in range(20):
        clean = correctness(torch.randn(40, 4, generator=generator), labels, track_index, track_labels)
        attacked = correctness(torch.randn(40, 4, generator=generator), labels, track_index, track_labels)
        for level in clean:
            bits = robust(clean[level].numpy(), attacked[level].numpy())
            assert not (bits & ~clean[level].numpy()).any() and bits.mean() <= clean[level].double().mean()


def test_a_constant_classifier_is_flagged_near_chance_and_few_correct_cells_are_flagged():
    # 10 classes, 2 tracks of 5 segments each; the model says class 0 for everything
    labels = torch.arange(10).repeat_interleave(5) % 10
    track_index = torch.arange(50) // 5
    logits = torch.zeros(50, 10)
    logits[:, 0] = 1.0
    clean = {k: v.numpy() for k, v in correctness(logits, labels, track_index, labels[::5]).items()}
    examples = Examples.model_validate(
        {
            "ids": example_ids([f"t{i}" for i in range(10)], track_index.tolist()),
            "score_set": pack(np.ones(50, dtype=bool)),
            "clean": packed(clean),
            "clean_interval": accuracy_interval(clean, track_index.numpy(), seed=0),
        }
    )
    share = majority_share(logits.argmax(dim=1).numpy())
    assert share == 1.0
    flags = sanity_flags([A], examples=examples, classes=10, majority_share=share, min_clean_correct=10)
    assert [(f.code, f.attack) for f in flags] == [("near_chance", None), ("few_correct", "fgsm/native")]
    healthy = sanity_flags([A], examples=_examples(), classes=10, majority_share=0.2, min_clean_correct=5)
    assert healthy == []


def test_track_bootstrap_is_reproducible_with_its_seed_and_covers_the_estimate():
    rng = np.random.default_rng(1)
    tracks = np.repeat(np.arange(20), 13)
    correct = rng.random(len(tracks)) < 0.7
    first = track_bootstrap(correct, tracks, seed=3)
    assert first == track_bootstrap(correct, tracks, seed=3)
    assert first != track_bootstrap(correct, tracks, seed=4)
    assert first[0] <= correct.mean() <= first[1] and first[1] - first[0] < 0.3
    # resampling tracks, not segments: perfectly correlated tracks widen the interval
    clustered = np.repeat(rng.random(20) < 0.7, 13)
    wide = track_bootstrap(clustered, tracks, seed=3)
    narrow = track_bootstrap(clustered, np.arange(len(tracks)), seed=3)
    assert wide[1] - wide[0] > 2 * (narrow[1] - narrow[0])


TRACKS_13 = tuple(np.repeat(np.arange(20), 13).tolist())


def test_max_examples_selects_whole_tracks_and_refuses_less_than_one():
    chosen = whole_tracks(TRACKS_13, 40, "attack 'autoattack' max_examples")
    assert len(chosen) == 39 and {TRACKS_13[i] for i in chosen} == {0, 10, 19}
    assert whole_tracks(TRACKS_13, 260, "x") is None
    with pytest.raises(BenchmarkError, match=r"^attack 'jsma' max_examples = 5 is smaller than one test"):
        whole_tracks(TRACKS_13, 5, "attack 'jsma' max_examples")


BUDGETS = {"stft": [0.01]}
BOUNDS = Bounds(0.0, 1.0)


def _suite(**attack) -> Suite:
    return Suite.model_validate(
        {
            "name": "t",
            "version": 1,
            "description": "t",
            "dataset": "synth10",
            "segment_seconds": 1.0,
            "overlap": 0.75,
            "models": {"m": {"architecture": "cnn2d", "representation": "stft"}},
            "attacks": [
                {"attack": "pgd", "backends": ["native"], "models": ["m"], "budgets": BUDGETS},
                {"attack": "autoattack", "backends": ["art"], "models": ["m"], "budgets": BUDGETS, **attack},
            ],
        }
    )


def _plan(suite: Suite):
    data = DataFacts({"name": "synth10"}, len(TRACKS_13), TRACKS_13)
    model = ModelFacts("m", "stft", Bounds(0.0, 1.0), True, {})
    return plan_suite(suite, data, {"m": model})


def test_a_subset_attack_that_enters_the_score_is_refused_in_one_line():
    with pytest.raises(BenchmarkError, match=r"^attack 'autoattack' enters the score but runs on 39 "):
        _plan(_suite(max_examples=40))
    plan = _plan(_suite(max_examples=40, score=False))
    assert [(c.attack, c.scored, len(c.examples or TRACKS_13)) for c in plan.cells] == [
        ("pgd", True, 260),
        ("autoattack", False, 39),
    ]


def test_the_standard_suite_scores_only_attacks_on_its_whole_test_set():
    """synth10 fold 0, 2 tracks per class, 13 segments each: the subset attacks are reported only."""
    suite = load_suite("standard")
    bounds = {"mfcc": Bounds(-1.0, 1.0), "waveform": Bounds(-1.0, 1.0)}
    models = {
        entry: ModelFacts(entry, spec.representation, bounds.get(spec.representation, BOUNDS), True, {})
        for entry, spec in suite.models.items()
    }
    plan = plan_suite(suite, DataFacts({"name": "synth10"}, len(TRACKS_13), TRACKS_13), models)
    scored = [cell for cell in plan.cells if getattr(cell, "scored", False)]
    assert scored and all(cell.examples is None for cell in scored)
    attacks = [cell for cell in plan.cells if cell.kind == "attack"]
    unscored = {(c.attack, c.model) for c in attacks if c.max_examples and not c.scored}
    assert ("autoattack", "cnn2d_stft") in unscored and ("pgd", "cnn1d_gammatone_waveform") in unscored


def test_a_reference_budget_outside_a_schedule_is_one_line_naming_the_field(tmp_path):
    quick = (project_root() / "registry" / "suites" / "quick.toml").read_text()
    path = tmp_path / "bad.toml"
    path.write_text(quick.replace("reference_budgets = { stft = 0.01,", "reference_budgets = { stft = 0.02,"))
    with pytest.raises(BenchmarkError, match=r"reference_budgets\.stft = 0\.02 is not in") as raised:
        load_suite(str(path))
    assert "\n" not in str(raised.value)


def test_a_waveform_scored_suite_compares_attacks_on_the_audio_only():
    """``score_domain = "waveform"``: Linf amplitude cells on the audio compete at
    ``reference_budgets.waveform``; the model's own-input cells do not (and the reverse by default)."""
    on_audio = B.model_copy(update={"domain": "waveform", "budget_unit": "amplitude"})
    args = {"representation": "stft", "examples": _examples(), "test_segments": 6}
    audio = {"reference_budgets": {"waveform": 0.01}, "score_domain": "waveform"}
    score = primary_score([A, on_audio], **audio, **args)
    assert score.attacks == ["pgd/native @waveform"] and score.robust_accuracy.segment == pytest.approx(3 / 6)
    own_input = primary_score([A, on_audio], reference_budgets={"stft": 0.01}, **args)
    assert own_input.attacks == ["fgsm/native"] and own_input.robust_accuracy.segment == pytest.approx(4 / 6)
    assert primary_score([A], **audio, **args) is None


def test_the_defenses_suite_scores_every_entry_on_the_audio(tmp_path):
    suite = load_suite("defenses")
    assert suite.score_domain == "waveform" and suite.reference_budgets == {"waveform": 0.01}
    plan = plan_suite(
        suite,
        DataFacts({"name": "synth10"}, len(TRACKS_13), TRACKS_13),
        {
            entry: ModelFacts(entry, spec.representation, Bounds(-1.0, 1.0), True, {})
            for entry, spec in suite.models.items()
        },
    )
    attacks = [cell for cell in plan.cells if cell.kind == "attack"]
    assert {cell.domain for cell in attacks if cell.scored} == {"waveform"}
    assert {cell.model for cell in attacks if cell.scored} == set(suite.models)  # every entry has a score
    assert not any(cell.scored for cell in attacks if cell.domain == "representation")
    text = (project_root() / "registry" / "suites" / "defenses.toml").read_text()
    path = tmp_path / "bad.toml"
    path.write_text(text.replace("{ waveform = 0.01 }", "{ stft = 0.01 }"))
    wrong_key = r"reference_budgets names 'stft', but score_domain = \"waveform\""
    with pytest.raises(BenchmarkError, match=wrong_key):
        load_suite(str(path))
