"""Data layer: Synth10 determinism and learnability, segmentation, resampling, identity."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from benchmark.data.base import Track
from benchmark.data.segments import lengthen, resample, segment_tracks, silent
from benchmark.data.synth10 import Synth10, generate_track
from benchmark.data.synth_sounds import GENERATORS
from benchmark.errors import BenchmarkError
from benchmark.registry import DATASETS

# sha256 of the default Synth10 bytes (identity()["content_sha256"]). If this changes, the
# generated data changed: bump Synth10.version and update this constant in the same commit.
DEFAULT_CONTENT_SHA256 = "06adf3e59a0fbccf30c7a663acab7a32b5b2a49e9f4951a3da721c401be5ced3"


@pytest.fixture(scope="module")
def default() -> Synth10:
    return Synth10()


@pytest.fixture(scope="module")
def small() -> Synth10:
    return Synth10(seed=3, tracks_per_class=5, track_seconds=1.5)


def test_registered_under_its_name() -> None:
    assert DATASETS.get("synth10") is Synth10


def test_default_bytes_are_pinned(default: Synth10) -> None:
    ident = default.identity()
    assert ident["content_sha256"] == DEFAULT_CONTENT_SHA256
    assert ident["name"] == "synth10" and ident["version"] == Synth10.version
    assert ident["sample_rate"] == 16000 and ident["num_tracks"] == 200


def test_default_layout(default: Synth10) -> None:
    tracks = default.tracks()
    assert len(default.classes) == 10 and len(set(default.classes)) == 10
    assert len(tracks) == 200 and len({t.track_id for t in tracks}) == 200
    assert tracks[0].track_id == f"synth10/{default.classes[0]}/000"
    labels = np.array([t.label for t in tracks])
    folds = np.array([t.fold for t in tracks])
    assert np.array_equal(np.bincount(labels), np.full(10, 20))
    for fold in range(5):
        assert np.array_equal(np.bincount(labels[folds == fold], minlength=10), np.full(10, 4))


def test_default_audio_is_valid_pcm(default: Synth10) -> None:
    audio = np.stack([t.audio for t in default.tracks()])
    assert audio.shape == (200, 64000) and audio.dtype == np.float32
    assert np.isfinite(audio).all()
    peaks = np.abs(audio).max(axis=1)
    assert peaks.min() >= 0.5 - 1e-4 and peaks.max() <= 0.9 + 1e-4
    levels = audio.astype(np.float64) * 32767
    assert np.abs(levels - np.round(levels)).max() < 1e-2


def test_same_seed_same_bytes_other_seed_differs(small: Synth10) -> None:
    again = Synth10(seed=3, tracks_per_class=5, track_seconds=1.5)
    other = Synth10(seed=4, tracks_per_class=5, track_seconds=1.5)
    assert small.identity() == again.identity()
    for a, b, c in zip(small.tracks(), again.tracks(), other.tracks(), strict=True):
        assert a.audio.tobytes() == b.audio.tobytes()
        assert a.track_id == c.track_id and not np.array_equal(a.audio, c.audio)
    assert small.identity()["clip_ids_sha256"] == other.identity()["clip_ids_sha256"]
    assert small.identity()["content_sha256"] != other.identity()["content_sha256"]


def test_track_does_not_depend_on_how_many_are_generated(small: Synth10) -> None:
    more = {t.track_id: t for t in Synth10(seed=3, tracks_per_class=6, track_seconds=1.5).tracks()}
    for track in small.tracks():
        assert np.array_equal(track.audio, more[track.track_id].audio)


def _mean_log_spectrum(audio: np.ndarray, n_fft: int = 512) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(audio, n_fft)[:: n_fft // 2] * np.hanning(n_fft)
    return np.log(np.mean(np.abs(np.fft.rfft(frames)) ** 2, axis=0) + 1e-10)


def test_classes_separable_by_nearest_centroid_on_held_out_folds(default: Synth10) -> None:
    tracks = default.tracks()
    x = np.stack([_mean_log_spectrum(t.audio) for t in tracks])
    y = np.array([t.label for t in tracks])
    folds = np.array([t.fold for t in tracks])
    correct = 0
    for fold in range(default.num_folds):
        train = folds != fold
        centroids = np.stack([x[train & (y == c)].mean(axis=0) for c in range(10)])
        dist = ((x[~train, None, :] - centroids[None]) ** 2).sum(axis=-1)
        correct += int((dist.argmin(axis=1) == y[~train]).sum())
    # Measured 0.725 (chance 0.1): learnable, yet a spectral average alone does not solve it.
    assert correct / len(tracks) > 0.5


def test_every_generator_makes_sound_at_other_rates() -> None:
    for rate in (8000, 22050):
        for name in GENERATORS:
            audio = generate_track(name, np.random.default_rng(1), num_samples=rate, sample_rate=rate)
            assert audio.shape == (rate,) and np.isfinite(audio).all() and np.abs(audio).max() >= 0.5


@pytest.mark.parametrize(
    "kwargs",
    [{"seed": -1}, {"tracks_per_class": 4}, {"sample_rate": 4000}, {"track_seconds": 0.5}],
)
def test_synth10_bad_arguments(kwargs: dict[str, float]) -> None:
    with pytest.raises(BenchmarkError):
        Synth10(**kwargs)  # type: ignore[arg-type]


def test_generate_track_unknown_class() -> None:
    with pytest.raises(BenchmarkError, match="valid: vibrato_tone"):
        generate_track("tuba", np.random.default_rng(0), num_samples=100, sample_rate=16000)


def test_track_validates_and_freezes_audio() -> None:
    with pytest.raises(BenchmarkError, match="1-D float32"):
        Track("x", 0, 0, np.zeros((2, 3), dtype=np.float32))
    track = Track("x", 0, 0, np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError):
        track.audio[0] = 1.0


def test_identity_clip_ids_hash(small: Synth10) -> None:
    ids = sorted(t.track_id for t in small.tracks())
    expected = hashlib.sha256("\n".join(ids).encode()).hexdigest()
    assert small.identity()["clip_ids_sha256"] == expected


def _noise_track(track_id: str, seconds: float, rate: int, label: int = 0, fold: int = 0) -> Track:
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, round(seconds * rate)).astype(np.float32)
    return Track(track_id, label, fold, audio)


def test_segments_of_synth10_tracks() -> None:
    ds = Synth10(tracks_per_class=5, track_seconds=4.0)
    tracks = ds.tracks()[:12]
    seg = segment_tracks(tracks, sample_rate=16000, segment_seconds=1.0, overlap=0.75, source_rate=16000)
    assert seg.waveforms.shape == (12 * 13, 16000) and seg.waveforms.dtype == torch.float32
    assert seg.labels.dtype == seg.track_index.dtype == seg.folds.dtype == torch.long
    assert seg.track_ids == [t.track_id for t in tracks]
    assert torch.equal(seg.track_labels, torch.tensor([t.label for t in tracks]))
    assert torch.equal(torch.bincount(seg.track_index), torch.full((12,), 13))
    for i, track in enumerate(tracks):
        mine = seg.track_index == i
        assert set(seg.labels[mine].tolist()) == {track.label}
        assert set(seg.folds[mine].tolist()) == {track.fold}
        windows = seg.waveforms[mine]
        assert torch.equal(windows[1], torch.from_numpy(track.audio[4000:20000].copy()))
        assert torch.equal(windows[-1], torch.from_numpy(track.audio[48000:].copy()))


def test_koerich_protocol_gives_21_segments_per_30s_track() -> None:
    tracks = [_noise_track(f"t{i}", 30.0, 22050) for i in range(2)]
    seg = segment_tracks(tracks, sample_rate=22050, segment_seconds=5.0, overlap=0.75, source_rate=22050)
    assert seg.waveforms.shape == (42, 110250)
    assert torch.equal(seg.waveforms[20], torch.from_numpy(tracks[0].audio[551250:].copy()))


def test_short_track_is_zero_padded_to_one_segment() -> None:
    track = _noise_track("short", 0.4, 16000, label=3, fold=2)
    seg = segment_tracks([track], sample_rate=16000, segment_seconds=1.0, overlap=0.5, source_rate=16000)
    assert seg.waveforms.shape == (1, 16000)
    assert torch.equal(seg.waveforms[0, :6400], torch.from_numpy(track.audio.copy()))
    assert not seg.waveforms[0, 6400:].any()
    assert seg.labels.tolist() == [3] and seg.folds.tolist() == [2]


def test_short_track_is_repeated_or_padded_to_one_segment() -> None:
    x = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    assert lengthen(x, 7, "repeat").tolist() == pytest.approx([0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1])
    assert lengthen(x, 5, "pad").tolist() == pytest.approx([0.1, 0.2, 0.3, 0.0, 0.0])
    assert lengthen(x, 2, "repeat") is x
    with pytest.raises(BenchmarkError, match="short_clips must be one of pad, repeat, got 'loop'"):
        lengthen(x, 7, "loop")
    track, long = Track("short", 0, 0, x), Track("long", 0, 0, np.full(8, 0.5, np.float32))
    args = {"sample_rate": 7, "segment_seconds": 1.0, "overlap": 0.0, "source_rate": 7}
    repeated = segment_tracks([track, long], short_clips="repeat", **args)  # type: ignore[arg-type]
    assert repeated.waveforms[0].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1])
    assert repeated.short_tracks == 1 and repeated.waveforms.shape == (2, 7)
    padded = segment_tracks([track, long], **args)  # type: ignore[arg-type]
    assert padded.waveforms[0].tolist() == pytest.approx([0.1, 0.2, 0.3, 0, 0, 0, 0])


def test_silence_floor_is_one_16_bit_step() -> None:
    """-90 dBFS lies just above one 16-bit step (2**-15, -90.3 dBFS): +-1 LSB is silence, 2 LSB is not."""
    windows = np.zeros((3, 4), dtype=np.float32)
    windows[1, 2], windows[2, 0] = -(2.0**-15), 2 * 2.0**-15
    assert silent(windows).tolist() == [True, True, False]
    track = Track("gap", 1, 0, np.concatenate([np.zeros(4), np.full(4, 0.5)]).astype(np.float32))
    args = {"sample_rate": 4, "segment_seconds": 1.0, "overlap": 0.0, "source_rate": 4}
    kept = segment_tracks([track], **args)  # type: ignore[arg-type]
    assert kept.waveforms.shape == (2, 4) and (kept.silent_segments, kept.silence_dropped) == (1, False)
    dropped = segment_tracks([track], drop_silence=True, **args)  # type: ignore[arg-type]
    assert dropped.waveforms.tolist() == [[0.5] * 4] and (
        dropped.silent_segments,
        dropped.silence_dropped,
    ) == (1, True)


def test_segment_tracks_resamples_from_source_rate() -> None:
    t = np.arange(32000) / 16000
    track = Track("sine", 0, 0, (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32))
    seg = segment_tracks([track], sample_rate=22050, segment_seconds=1.0, overlap=0.0, source_rate=16000)
    assert seg.waveforms.shape == (2, 22050)
    expected = 0.5 * np.sin(2 * np.pi * 440.0 * np.arange(44100) / 22050)
    got = seg.waveforms.reshape(-1).numpy()
    # Away from the edges (filter transients) the resampled sine matches the analytic one.
    assert np.abs(got[1000:-1000] - expected[1000:-1000]).max() < 1e-3


def test_resample_helper() -> None:
    audio = np.linspace(-1.0, 1.0, 1000, dtype=np.float32)
    assert resample(audio, 16000, 16000) is audio
    square = np.sign(np.sin(np.arange(8000) / 5.0)).astype(np.float32)
    out = resample(square, 8000, 22050)
    assert out.dtype == np.float32 and out.shape == (22050,)
    assert np.abs(out).max() <= 1.0  # Gibbs overshoot of the full-scale square is clipped
    with pytest.raises(BenchmarkError):
        resample(audio, 0, 16000)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overlap": 1.0}, "overlap must be in [0, 1), got 1.0"),
        ({"overlap": -0.1}, "overlap must be in [0, 1), got -0.1"),
        ({"segment_seconds": 0.0}, "segment_seconds must be > 0"),
        ({"segment_seconds": -1.0}, "segment_seconds must be > 0"),
        ({"sample_rate": 0}, "sample rates must be positive"),
        ({"source_rate": -16000}, "sample rates must be positive"),
        ({"segment_seconds": 1e-4, "overlap": 0.9}, "below one sample"),
    ],
)
def test_segment_tracks_bad_arguments(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float] = {
        "sample_rate": 16000,
        "segment_seconds": 1.0,
        "overlap": 0.5,
        "source_rate": 16000,
    }
    with pytest.raises(BenchmarkError) as info:
        segment_tracks([_noise_track("x", 1.0, 16000)], **(args | kwargs))  # type: ignore[arg-type]
    assert message in str(info.value) and "\n" not in str(info.value)


def test_segment_tracks_needs_tracks() -> None:
    with pytest.raises(BenchmarkError, match="no tracks"):
        segment_tracks([], sample_rate=16000, segment_seconds=1.0, overlap=0.5, source_rate=16000)
