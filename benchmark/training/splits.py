"""Which segments a reference model trains, validates and is tested on, and the pitch-shifted
training copies (Koerich et al. 2020, sec. IV; Esmaeilpour et al. 2021, sec. 4)."""

from __future__ import annotations

import torch

from benchmark.data.protocol import PreparedData
from benchmark.data.segments import Segments, segment_tracks
from benchmark.errors import BenchmarkError
from benchmark.metrics import accuracies
from benchmark.progress import progress_bar


def validation_tracks(
    prepared: PreparedData, *, test_fold: int, val_fraction: float, seed: int
) -> torch.Tensor:
    """Boolean mask over tracks: the stratified, seeded validation subset of the training folds."""
    segments = prepared.segments
    track_folds = torch.zeros(len(segments.track_labels), dtype=torch.long)
    track_folds[segments.track_index] = segments.folds
    generator = torch.Generator().manual_seed(seed)
    mask = torch.zeros(len(segments.track_labels), dtype=torch.bool)
    for label in segments.track_labels.unique():
        candidates = ((segments.track_labels == label) & (track_folds != test_fold)).nonzero().squeeze(1)
        count = max(1, round(val_fraction * len(candidates)))
        chosen = candidates[torch.randperm(len(candidates), generator=generator)[:count]]
        mask[chosen] = True
    return mask


def split_masks(
    prepared: PreparedData,
    *,
    test_fold: int,
    seed: int,
    val_fraction: float,
    validation_fold: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Boolean masks over segments: training, validation, test. Validation is ``validation_fold``
    where one is given, else the :func:`validation_tracks` of the training folds."""
    segments = prepared.segments
    is_test = segments.folds == test_fold
    if validation_fold is not None:
        is_val = segments.folds == validation_fold
    else:
        tracks = validation_tracks(prepared, test_fold=test_fold, val_fraction=val_fraction, seed=seed)
        is_val = tracks[segments.track_index] & ~is_test
    return ~is_test & ~is_val, is_val, is_test


def pitch_shifted_segments(
    prepared: PreparedData, train_tracks: torch.Tensor, factors: tuple[float, ...]
) -> tuple[Segments, int]:
    """Segments of one pitch-shifted copy of each track in ``train_tracks`` (indices into the
    dataset's tracks) per factor, and how many tracks that made."""
    from benchmark.data.augment import augment_tracks  # lazy: librosa

    tracks = prepared.dataset.tracks()
    if [t.track_id for t in tracks] != prepared.segments.track_ids:
        raise BenchmarkError(f"dataset {prepared.dataset.name!r} returned its tracks in a different order")
    rate = prepared.dataset.sample_rate
    augmented = []
    with progress_bar("pitch-shift training tracks", total=len(train_tracks)) as advance:
        for index in train_tracks.tolist():
            augmented += augment_tracks([tracks[index]], rate, factors)
            advance(1, tracks[index].track_id)
    segments = segment_tracks(
        augmented,
        sample_rate=prepared.sample_rate,
        source_rate=rate,
        segment_seconds=prepared.segment_seconds,
        overlap=prepared.overlap,
        short_clips=prepared.short_clips,
        drop_silence=prepared.drop_silence,
    )
    return segments, len(augmented)


def held_out_accuracies(
    test_logits: torch.Tensor, segments: Segments, is_test: torch.Tensor
) -> dict[str, float]:
    """Segment, majority-vote and sum-rule accuracy of the logits of the ``is_test`` segments."""
    test_tracks = segments.track_index[is_test].unique()
    remap = torch.full((len(segments.track_labels),), -1, dtype=torch.long)
    remap[test_tracks] = torch.arange(len(test_tracks))
    return accuracies(
        test_logits,
        segments.labels[is_test],
        remap[segments.track_index[is_test]],
        segments.track_labels[test_tracks],
    )
