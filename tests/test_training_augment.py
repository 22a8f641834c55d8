"""Pitch-shift augmentation in training (Esmaeilpour et al. 2021, sec. 4): only training tracks get
copies, the card records them, and the default recipe's dump (hashed into cell keys and compared
with committed model cards) is unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from benchmark.data.augment import pitch_shift
from benchmark.data.protocol import PreparedData, prepare_data
from benchmark.errors import BenchmarkError
from benchmark.models.reference import build_reference
from benchmark.models.spec import ModelSpec, TrainingRecipe
from benchmark.plan.suite import load_suite
from benchmark.training import pitch_shifted_segments, train_reference, validation_tracks

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: one thread in every pool

FACTORS = (0.75, 1.5)


@pytest.fixture(scope="module")
def prepared() -> PreparedData:
    """50 one-second tracks cut into 0.5 s segments at 50 % overlap: 3 per track."""
    return prepare_data(
        "synth10", {"tracks_per_class": 5, "track_seconds": 1.0}, segment_seconds=0.5, overlap=0.5
    )


def _train(prepared: PreparedData, factors: tuple[float, ...]) -> dict:
    spec = ModelSpec(
        architecture="cnn2d",
        representation="stft",
        representation_params={"n_fft": 512, "hop_length": 128},
        training=TrainingRecipe(epochs=1, batch_size=32, pitch_shift=factors),
    )
    torch.manual_seed(0)
    model = build_reference(
        "m", spec, sample_rate=16000, segment_samples=prepared.segment_samples, num_classes=10
    )
    return train_reference(model, prepared, test_fold=0, seed=0, device=torch.device("cpu"))


def test_recipe_with_factors_trains_on_one_plus_k_times_the_training_segments(prepared: PreparedData) -> None:
    plain, augmented = _train(prepared, ()), _train(prepared, FACTORS)
    # 5 folds x 10 classes; fold 0 is test, 1 of the 4 other tracks per class validates: 30 train
    # tracks x 3 segments = 90, then 2 copies of each
    assert plain["training"]["train_segments"] == 90
    assert augmented["training"]["train_segments"] == (1 + len(FACTORS)) * 90 == 270
    assert augmented["training"]["validation_segments"] == plain["training"]["validation_segments"] == 30
    assert augmented["training"]["pitch_shift"] == list(FACTORS)
    assert augmented["training"]["augmentation"] == {
        "pitch_shift": list(FACTORS),
        "train_tracks": 30,
        "augmented_tracks": 60,
        "original_train_segments": 90,
        "augmented_train_segments": 180,
    }
    assert "augmentation" not in plain["training"] and "pitch_shift" not in plain["training"]
    # the test fold is the same 10 tracks either way: track accuracies are multiples of 1/10
    for card in (plain, augmented):
        assert card["clean_accuracy"]["test"]["mv"] * 10 == pytest.approx(
            round(card["clean_accuracy"]["test"]["mv"] * 10)
        )


def test_only_training_tracks_are_shifted_and_copies_are_real_pitch_shifts(prepared: PreparedData) -> None:
    segments = prepared.segments
    val = validation_tracks(prepared, test_fold=0, val_fraction=0.2, seed=0)
    track_folds = torch.zeros(len(segments.track_labels), dtype=torch.long)
    track_folds[segments.track_index] = segments.folds
    train_tracks = ((track_folds != 0) & ~val).nonzero().squeeze(1)
    extra, count = pitch_shifted_segments(prepared, train_tracks, FACTORS)
    assert count == 2 * len(train_tracks) == 60
    sources = {track_id.split("@")[0] for track_id in extra.track_ids}
    assert sources == {segments.track_ids[i] for i in train_tracks.tolist()}
    assert not sources & {
        segments.track_ids[i] for i in (val | (track_folds == 0)).nonzero().squeeze(1).tolist()
    }
    # the first copy is factor 0.75 of the first training track, cut like the originals
    track = prepared.dataset.tracks()[int(train_tracks[0])]
    shifted = pitch_shift(track.audio, 16000, 0.75)
    np.testing.assert_array_equal(extra.waveforms[0].numpy(), shifted[:8000])
    np.testing.assert_array_equal(extra.waveforms[1].numpy(), shifted[4000:12000])
    assert (extra.labels == track.label).sum() >= 6 and extra.track_ids[1].endswith("@pitch1.5")


def test_default_recipe_dump_is_unchanged() -> None:
    """The exact dump committed cards and cell keys were made with (no pitch_shift key)."""
    assert TrainingRecipe().model_dump(mode="json") == {
        "epochs": 30,
        "batch_size": 64,
        "learning_rate": 1e-3,
        "weight_decay": 0.0,
        "patience": 5,
        "val_fraction": 0.2,
    }
    assert "pitch_shift" not in str(load_suite("quick").resolved())
    assert TrainingRecipe(pitch_shift=[0.9]).model_dump()["pitch_shift"] == (0.9,)


@pytest.mark.parametrize(
    ("factors", "message"),
    [
        ([1.0], r"pitch_shift factor 1.0 must be in \[0.25, 4.0\] and not 1"),
        ([0.0], "pitch_shift factor 0.0 must be"),
        ([-0.75], "pitch_shift factor -0.75"),
        ([5.0], "pitch_shift factor 5.0"),
        ([0.75, 0.75], "repeat a factor"),
    ],
)
def test_bad_factors_are_refused(factors: list[float], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TrainingRecipe(pitch_shift=factors)


def test_bad_factor_in_a_suite_is_one_line(tmp_path: Path) -> None:
    suite = tmp_path / "s.toml"
    suite.write_text(
        'name = "s"\nversion = 1\ndescription = "d"\ndataset = "synth10"\nsegment_seconds = 1.0\n'
        'overlap = 0.5\n[models.m]\narchitecture = "cnn2d"\nrepresentation = "stft"\n'
        "training = { pitch_shift = [0.75, 1.0] }\n"
    )
    # the recipe kind (a tagged union: gradient | random_features) is part of the location
    with pytest.raises(
        BenchmarkError, match=r"models.m.training.gradient.pitch_shift: .*factor 1.0"
    ) as error:
        load_suite(str(suite))
    assert "\n" not in str(error.value)
