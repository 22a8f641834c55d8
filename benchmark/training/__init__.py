"""Seeded training of reference models with early stopping on a validation split.

The split follows Koerich et al. 2020 (sec. IV): the test fold is held out, and 20 % of the
training *tracks* (stratified by class, seeded) form the validation set, so segments of one
track never sit on both sides. Features are computed once (the representation is fixed),
which is what makes the compact models train in seconds.

A recipe's ``pitch_shift`` factors add one pitch-shifted copy of every *training* track per factor
(Esmaeilpour et al. 2021, sec. 4), cut into segments like the originals; validation and test
tracks are never augmented, so the early-stopping and test numbers stay on real clips.
"""

from benchmark.training.entries import train_entries, within_chance
from benchmark.training.loop import compute_features, train_reference
from benchmark.training.splits import held_out_accuracies, pitch_shifted_segments, validation_tracks

__all__ = [
    "compute_features",
    "held_out_accuracies",
    "pitch_shifted_segments",
    "train_entries",
    "train_reference",
    "validation_tracks",
    "within_chance",
]
