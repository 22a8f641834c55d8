"""Real-dataset loaders on tiny trees in the official layouts: folds, splits, bad input, cache, CLI."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from data_trees import (
    ESC_TARGETS,
    esc50_tree,
    gtzan_tree,
    tone,
    us8k_tree,
    write_clip,
    write_csv,
    write_padded_clip,
)

from benchmark.cli import main
from benchmark.data import audio as audio_module
from benchmark.data.audio import DamagedAudioError, load_audio, track_cache_dir
from benchmark.data.esc50 import ESC10, ESC50
from benchmark.data.folder import FolderDataset
from benchmark.data.gtzan import GENRES, GTZAN, filtered_split
from benchmark.data.protocol import prepare_data
from benchmark.data.segments import SILENCE_FLOOR_DBFS, segment_tracks
from benchmark.data.urbansound8k import UrbanSound8K
from benchmark.errors import BenchmarkError
from benchmark.jsonio import sha256_file
from benchmark.paths import project_root
from benchmark.registry import DATASETS


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own empty cache dir and fresh cache counters."""
    monkeypatch.setenv("ARB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(audio_module, "STATS", audio_module.CacheStats())
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def gtzan_full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 genres x 100 tracks of 0.05 s: the scaled Koerich split check needs every track."""
    return gtzan_tree(tmp_path_factory.mktemp("gtzan"), per_genre=100)


def test_registered_lazily() -> None:
    assert DATASETS.get("esc50") is ESC50 and DATASETS.get("esc10") is ESC10
    assert DATASETS.get("urbansound8k") is UrbanSound8K and DATASETS.get("gtzan") is GTZAN
    assert DATASETS.get("folder") is FolderDataset


# -- ESC-50 / ESC-10 -----------------------------------------------------------------------------
def test_esc50_official_folds_labels_and_rate(tmp_path: Path) -> None:
    esc50_tree(tmp_path)
    data = ESC50(root=str(tmp_path), sample_rate=22050)
    tracks = data.tracks()
    assert len(tracks) == 20 and len(data.classes) == 50
    by_id = {t.track_id: t for t in tracks}
    # 3-100023-A-2.wav: fold 3 of the CSV is fold 2, target 2 ("pig") is label 2
    pig = by_id["esc50/3-100023-A-2"]
    assert (pig.fold, pig.label, data.classes[pig.label]) == (2, 2, "pig")
    assert pig.audio.shape == (round(0.2 * 22050),) and pig.audio.dtype == np.float32
    assert sorted(Counter(t.fold for t in tracks).items()) == [(f, 4) for f in range(5)]
    expected = tone(0.2, 44100, 200.0 + 40 * 2, seed=23)
    assert np.corrcoef(pig.audio[100:-100], expected[::2][: pig.audio.size][100:-100])[0, 1] > 0.99
    ident = data.identity()
    assert ident["name"] == "esc50" and ident["num_tracks"] == 20 and ident["sample_rate"] == 22050


def test_esc10_is_the_esc10_rows_relabelled(tmp_path: Path) -> None:
    esc50_tree(tmp_path)
    data = ESC10(root=str(tmp_path))
    tracks = data.tracks()
    assert data.classes == (
        "dog",
        "rooster",
        "rain",
        "sea_waves",
        "crackling_fire",
        "crying_baby",
        "sneezing",
        "clock_tick",
        "helicopter",
        "chainsaw",
    )
    # targets 0, 1, 10 are ESC-10 (labels 0, 1, 2); target 2 ("pig") is not
    assert Counter(t.label for t in tracks) == {0: 5, 1: 5, 2: 5}
    assert all("-A-2" not in t.track_id for t in tracks) and len(tracks) == 15
    assert data.sample_rate == 44100 and tracks[0].audio.size == round(0.2 * 44100)


def test_esc50_missing_root_names_the_fetch_command() -> None:
    with pytest.raises(
        BenchmarkError, match=r"pass --data-root DIR; get esc50 with `arb data fetch esc50 --data-root DIR`"
    ):
        ESC50()


def test_root_that_is_not_the_dataset(tmp_path: Path) -> None:
    with pytest.raises(
        BenchmarkError, match=r"does not hold esc50 \(no meta/esc50.csv\).*arb data fetch esc50"
    ):
        ESC50(root=str(tmp_path)).tracks()
    with pytest.raises(BenchmarkError, match=r"does not hold urbansound8k \(no metadata/UrbanSound8K.csv\)"):
        UrbanSound8K(root=str(tmp_path)).tracks()
    with pytest.raises(
        BenchmarkError, match=r"does not hold gtzan \(no genres/<genre>\).*use the `folder` dataset"
    ):
        GTZAN(root=str(tmp_path)).tracks()
    with pytest.raises(BenchmarkError, match="is not a folder"):
        ESC50(root=str(tmp_path / "nowhere"))


def test_csv_with_missing_columns(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "meta" / "esc50.csv", ["filename", "target", "category"], [["1-1-A-0.wav", 0, "dog"]]
    )
    with pytest.raises(BenchmarkError, match=r"esc50.csv: missing column\(s\) fold, esc10; ESC-50 needs"):
        ESC50(root=str(tmp_path)).tracks()


def test_fold_out_of_range(tmp_path: Path) -> None:
    rows = esc50_tree(tmp_path)
    rows[3][1] = 6
    write_csv(
        tmp_path / "meta" / "esc50.csv",
        ["filename", "fold", "target", "category", "esc10", "src_file", "take"],
        rows,
    )
    with pytest.raises(BenchmarkError, match=r"esc50.csv:5: fold 6 out of range 1..5"):
        ESC50(root=str(tmp_path)).tracks()


def test_category_must_match_target(tmp_path: Path) -> None:
    rows = esc50_tree(tmp_path)
    rows[0][3] = "cat"
    write_csv(
        tmp_path / "meta" / "esc50.csv",
        ["filename", "fold", "target", "category", "esc10", "src_file", "take"],
        rows,
    )
    with pytest.raises(
        BenchmarkError,
        match=r"category 'cat' does not match target 0 \('dog'\); not the official esc50 metadata; "
        r"for other audio use the `folder` dataset \(--dataset folder:ROOT\): ROOT/<class>/\*.wav, "
        r"or ROOT/labels.csv \(filename,label\[,fold 1..K\]\) \+ ROOT/audio/",
    ):
        ESC50(root=str(tmp_path)).tracks()


def test_wrong_sample_rate_is_an_error(tmp_path: Path) -> None:
    esc50_tree(tmp_path)
    write_clip(tmp_path / "audio" / "2-100002-A-0.wav", 0.2, 22050, 200.0)
    with pytest.raises(
        BenchmarkError, match=r"2-100002-A-0.wav: sample rate 22050 Hz, but the official copy is 44100 Hz"
    ):
        ESC50(root=str(tmp_path)).tracks()


def test_damaged_file_among_many_is_a_warning_with_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    esc50_tree(tmp_path)
    (tmp_path / "audio" / "4-100014-A-1.wav").write_bytes(b"RIFF\x00\x00garbage")
    data = ESC50(root=str(tmp_path), max_damaged=0.1)
    tracks = data.tracks()
    assert len(tracks) == 19 and [Path(p).name for p, _ in data.damaged] == ["4-100014-A-1.wav"]
    err = capsys.readouterr().err
    assert "arb: warning: skipping" in err and "4-100014-A-1.wav: cannot decode audio" in err
    assert "1 of 20 esc50 files damaged, skipped: 4-100014-A-1.wav" in err


def test_damaged_beyond_the_limit_is_a_one_line_error(tmp_path: Path) -> None:
    esc50_tree(tmp_path)
    (tmp_path / "audio" / "1-100001-A-0.wav").write_bytes(b"")
    with pytest.raises(BenchmarkError) as raised:
        ESC50(root=str(tmp_path)).tracks()
    message = str(raised.value)
    assert "\n" not in message
    assert (
        "1 of 20 esc50 files damaged (first: " in message
        and "1-100001-A-0.wav: empty file (0 bytes)" in message
    )


def test_zero_length_and_corrupt_audio(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(DamagedAudioError, match=r"empty.wav: empty file \(0 bytes\)"):
        load_audio(tmp_path / "empty.wav", 16000)
    sf.write(tmp_path / "noframes.wav", np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(DamagedAudioError, match=r"noframes.wav: no audio frames"):
        load_audio(tmp_path / "noframes.wav", 16000)
    (tmp_path / "junk.wav").write_bytes(os.urandom(64))
    with pytest.raises(DamagedAudioError, match=r"junk.wav: cannot decode audio"):
        load_audio(tmp_path / "junk.wav", 16000)
    with pytest.raises(DamagedAudioError, match=r"gone.wav: missing"):
        load_audio(tmp_path / "gone.wav", 16000)


# -- UrbanSound8K ----------------------------------------------------------------------------------
def test_urbansound8k_folds_rates_and_repeat(tmp_path: Path) -> None:
    us8k_tree(tmp_path)
    data = UrbanSound8K(root=str(tmp_path), sample_rate=16000)
    tracks = data.tracks()
    assert len(tracks) == 30 and data.num_folds == 10
    assert sorted(Counter(t.fold for t in tracks).items()) == [(f, 3) for f in range(10)]
    assert Counter(t.label for t in tracks) == {0: 10, 3: 10, 6: 10}
    # every clip, whatever its own rate (44.1 / 48 / 22.05 kHz), is 0.5 s at 16 kHz, as decoded
    assert all(t.audio.size == 8000 for t in tracks)
    clip = next(t for t in tracks if t.track_id == "urbansound8k/4005-3-0-0")
    assert clip.fold == 4 and clip.label == 3
    # the suite's short_clips = "repeat" tiles each one up to a 4 s segment (Pons & Serra sec. 3.3)
    prepared = prepare_data(
        "urbansound8k",
        {"sample_rate": 16000},
        segment_seconds=4.0,
        overlap=0.0,
        root=tmp_path,
        short_clips="repeat",
    )
    windows = prepared.segments.waveforms
    assert windows.shape == (30, 64000) and torch.equal(windows[:, :8000], windows[:, 8000:16000])
    assert prepared.identity["short_clips"] == {"mode": "repeat", "tracks": 30}


def test_urbansound8k_pads_by_default(tmp_path: Path) -> None:
    us8k_tree(tmp_path, classes=(1,))
    padded = prepare_data(
        "urbansound8k", {"sample_rate": 8000}, segment_seconds=4.0, overlap=0.0, root=tmp_path
    ).segments.waveforms
    assert padded.shape == (10, 32000) and not padded[:, 4000:].any() and padded[:, :4000].any(1).all()


# -- GTZAN -----------------------------------------------------------------------------------------
def test_gtzan_koerich_split_is_340_330_330_stratified(
    gtzan_full: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = GTZAN(root=str(gtzan_full), split="koerich", seed=0)
    entries = data.entries()
    assert len(entries) == 1000
    assert sorted(Counter(e.fold for e in entries).items()) == [(0, 340), (1, 330), (2, 330)]
    for label in range(10):
        per_fold = Counter(e.fold for e in entries if e.label == label)
        assert sorted(per_fold.items()) == [(0, 34), (1, 33), (2, 33)], GENRES[label]
    assert len({e.track_id for e in entries}) == 1000  # no track in two folds
    split = gtzan_full / ".arb_folds-koerich-seed0.csv"
    lines = split.read_text().splitlines()
    assert lines[0] == "file,fold" and len(lines) == 1001
    # the split file is the split: a second dataset reads it, and it survives a changed algorithm
    again = {e.track_id: e.fold for e in GTZAN(root=str(gtzan_full)).entries()}
    assert again == {e.track_id: e.fold for e in entries}
    other = {e.track_id: e.fold for e in GTZAN(root=str(gtzan_full), seed=1).entries()}
    assert other != again and sorted(Counter(other.values()).items()) == [(0, 340), (1, 330), (2, 330)]
    assert (gtzan_full / ".arb_folds-koerich-seed1.csv").is_file()


def test_gtzan_segments_never_cross_folds(gtzan_full: Path) -> None:
    data = GTZAN(root=str(gtzan_full), sample_rate=8000)
    tracks = data.tracks()[::25]  # 40 tracks from every genre
    segments = segment_tracks(tracks, sample_rate=8000, segment_seconds=0.02, overlap=0.5, source_rate=8000)
    assert segments.waveforms.shape[1] == 160
    for index, track in enumerate(tracks):
        folds = segments.folds[segments.track_index == index]
        assert folds.numel() == 4 and bool((folds == track.fold).all())


def test_gtzan_filtered_split_counts(gtzan_full: Path) -> None:
    folds = filtered_split()
    assert sorted(Counter(folds.values()).items()) == [(0, 443), (1, 197), (2, 290)]
    for part in ("train", "valid", "test"):
        assert (project_root() / "registry" / "splits" / "gtzan_filtered" / f"{part}.txt").is_file()
    data = GTZAN(root=str(gtzan_full), split="filtered")
    entries = data.entries()
    assert len(entries) == 930
    assert sorted(Counter(e.fold for e in entries).items()) == [(0, 443), (1, 197), (2, 290)]
    by_id = {e.track_id: e.fold for e in entries}
    assert (
        by_id["gtzan/blues.00029"] == 0
        and by_id["gtzan/blues.00000"] == 1
        and by_id["gtzan/blues.00012"] == 2
    )


def test_gtzan_filtered_split_file_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gtzan_tree(tmp_path / "data", per_genre=1)
    monkeypatch.setenv("ARB_ROOT", str(tmp_path))
    with pytest.raises(
        BenchmarkError, match=r"GTZAN filtered split file .*gtzan_filtered/train.txt is missing"
    ):
        GTZAN(root=str(tmp_path / "data"), split="filtered")


def test_gtzan_wav_layout_and_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gtzan_tree(tmp_path, per_genre=3, fmt="wav")
    data = GTZAN(root=str(tmp_path / "genres"), sample_rate=11025)
    tracks = data.tracks()
    assert len(tracks) == 30 and tracks[0].audio.size == round(0.05 * 11025)
    assert "lists 30 gtzan files; the official copy has 1000" in capsys.readouterr().err
    write_clip(tmp_path / "genres" / "rock" / "rock.00001.wav", 0.05, 44100, 100.0)
    with pytest.raises(
        BenchmarkError, match=r"rock.00001.wav: sample rate 44100 Hz, but the official copy is 22050"
    ):
        GTZAN(root=str(tmp_path)).tracks()


# -- own data --------------------------------------------------------------------------------------
def _class_folders(root: Path, counts: dict[str, int], seconds: float = 0.3, rate: int = 16000) -> None:
    for c, (name, n) in enumerate(counts.items()):
        for i in range(n):
            write_clip(root / name / f"clip{i:02d}.wav", seconds, rate, 200.0 * (c + 1), seed=100 * c + i)


def test_folder_classes_stratified_seeded_split_file(tmp_path: Path) -> None:
    _class_folders(tmp_path, {"cat": 10, "bird": 7, "engine": 8})
    data = FolderDataset(root=str(tmp_path), num_folds=5, seed=3)
    assert data.classes == ("bird", "cat", "engine") and data.num_folds == 5
    tracks = data.tracks()
    assert len(tracks) == 25
    for label, n in enumerate((7, 10, 8)):
        per_fold = Counter(t.fold for t in tracks if t.label == label)
        assert (
            sum(per_fold.values()) == n
            and max(per_fold.values()) - min(per_fold.get(f, 0) for f in range(5)) <= 1
        )
    assert sorted(Counter(t.fold for t in tracks).values()) == [5, 5, 5, 5, 5]
    split = tmp_path / ".arb_folds-k5-seed3.csv"
    assert split.read_text().splitlines()[1].startswith("bird/clip00.wav,")
    assert [t.fold for t in FolderDataset(root=str(tmp_path), seed=3).tracks()] == [t.fold for t in tracks]


def test_folder_split_file_must_list_every_file(tmp_path: Path) -> None:
    _class_folders(tmp_path, {"a": 5, "b": 5})
    FolderDataset(root=str(tmp_path))
    write_clip(tmp_path / "a" / "new.wav", 0.3, 16000, 500.0)
    with pytest.raises(
        BenchmarkError, match=r"does not list a/new.wav \(1 file\(s\) in all\); delete it to re-split"
    ):
        FolderDataset(root=str(tmp_path))


def test_folder_read_only_root_writes_the_split_to_the_cache(tmp_path: Path, private_cache: Path) -> None:
    root = tmp_path / "data"
    _class_folders(root, {"a": 5, "b": 5})
    root.chmod(0o555)
    try:
        if os.access(root, os.W_OK):
            pytest.skip("running as a user who can write a read-only folder")
        FolderDataset(root=str(root))
        assert list((private_cache / "splits").rglob(".arb_folds-k5-seed0.csv"))
    finally:
        root.chmod(0o755)


def test_folder_csv_with_folds(tmp_path: Path) -> None:
    rows = []
    for i in range(6):
        label = ["x", "y"][i % 2]
        write_clip(tmp_path / "audio" / f"s{i}.wav", 0.25, 8000, 300.0 + 100 * i)
        rows.append([f"s{i}.wav", label, i // 2 + 1])
    write_csv(tmp_path / "labels.csv", ["filename", "label", "fold"], rows)
    data = FolderDataset(root=str(tmp_path), sample_rate=8000)
    assert data.num_folds == 3 and data.classes == ("x", "y")
    assert [(t.track_id, t.label, t.fold) for t in data.tracks()][:3] == [
        ("folder/s0", 0, 0),
        ("folder/s1", 1, 0),
        ("folder/s2", 0, 1),
    ]
    rows[2][2] = 0
    write_csv(tmp_path / "labels.csv", ["filename", "label", "fold"], rows)
    with pytest.raises(BenchmarkError, match=r"labels.csv:4: fold 0 out of range 1..3"):
        FolderDataset(root=str(tmp_path))
    write_csv(tmp_path / "labels.csv", ["file", "label"], rows)
    with pytest.raises(BenchmarkError, match=r"missing column\(s\) filename"):
        FolderDataset(root=str(tmp_path))


def test_folder_without_root_or_classes(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match=r"pass --dataset folder:PATH"):
        FolderDataset()
    with pytest.raises(BenchmarkError, match=r"holds no labels.csv and no <class>/ folders"):
        FolderDataset(root=str(tmp_path))


# -- the track cache -------------------------------------------------------------------------------
def test_cache_hits_and_recomputes_a_corrupt_entry(tmp_path: Path) -> None:
    write_clip(tmp_path / "a.wav", 0.3, 22050, 440.0)
    stats = audio_module.STATS
    cold = load_audio(tmp_path / "a.wav", 16000)
    assert (stats.hits, stats.misses) == (0, 1)
    entries = list(track_cache_dir().rglob("*.f32"))
    assert len(entries) == 1 and not list(track_cache_dir().rglob("*.tmp"))
    warm = load_audio(tmp_path / "a.wav", 16000)
    assert stats.hits == 1
    np.testing.assert_array_equal(cold, warm)
    # a moved file still hits (the key is its content); another rate misses
    (tmp_path / "a.wav").rename(tmp_path / "b.wav")
    load_audio(tmp_path / "b.wav", 16000)
    load_audio(tmp_path / "b.wav", 8000)
    assert (stats.hits, stats.misses) == (2, 2)
    blob = bytearray(entries[0].read_bytes())
    blob[-3] ^= 0xFF
    entries[0].write_bytes(bytes(blob))
    np.testing.assert_array_equal(load_audio(tmp_path / "b.wav", 16000), cold)
    assert stats.corrupt == 1 and stats.misses == 3
    entries[0].write_bytes(entries[0].read_bytes()[:20])  # truncated entry
    np.testing.assert_array_equal(load_audio(tmp_path / "b.wav", 16000), cold)
    assert stats.corrupt == 2 and load_audio(tmp_path / "b.wav", 16000) is not None and stats.hits == 3


def test_cache_keeps_the_rate_check(tmp_path: Path) -> None:
    """A file cached by a loader without a rate check still fails one with it."""
    write_clip(tmp_path / "c.wav", 0.2, 22050, 440.0)
    load_audio(tmp_path / "c.wav", 16000)
    with pytest.raises(BenchmarkError, match="sample rate 22050 Hz, but the official copy is 44100 Hz"):
        load_audio(tmp_path / "c.wav", 16000, expected_rate=44100)


# -- silence ---------------------------------------------------------------------------------------
def _padded_folder(root: Path, silent_tail: float = 0.5, silent_all: bool = False) -> None:
    """Classes a and b, two 1 s clips each at 8 kHz; a/0.wav is 0.5 s of tone then 0.5 s of zeros."""
    for c, (name, freq) in enumerate((("a", 300.0), ("b", 500.0))):
        for i in range(2):
            path = root / name / f"{i}.wav"
            if silent_all:
                write_padded_clip(path, 0.0, 1.0, 8000, freq)
            elif (name, i) == ("a", 0):
                write_padded_clip(path, 1.0 - silent_tail, silent_tail, 8000, freq, seed=c)
            else:
                write_clip(path, 1.0, 8000, freq, seed=10 * c + i)


def _folder_segments(root: Path, **options: object):
    params = {"sample_rate": 8000, "num_folds": 2}
    return prepare_data("folder", params, segment_seconds=0.25, overlap=0.0, root=root, **options)  # type: ignore[arg-type]


def test_silent_segments_of_a_zero_padded_clip_are_dropped_and_counted(tmp_path: Path) -> None:
    _padded_folder(tmp_path)
    prepared = _folder_segments(tmp_path)
    segments = prepared.segments
    # 4 clips x 4 windows of 0.25 s; the padded clip's last two windows are all zeros
    assert segments.waveforms.shape == (14, 2000)
    assert prepared.identity["silence"] == {"floor_dbfs": SILENCE_FLOOR_DBFS, "segments": 2, "dropped": True}
    padded = segments.track_ids.index("folder/a/0")
    assert int((segments.track_index == padded).sum()) == 2
    assert bool((segments.waveforms.abs().amax(1) > 10 ** (SILENCE_FLOOR_DBFS / 20)).all())
    kept = _folder_segments(tmp_path, keep_silence=True)
    assert (
        kept.segments.waveforms.shape == (16, 2000) and int((kept.segments.track_index == padded).sum()) == 4
    )
    assert kept.identity["silence"] == {"floor_dbfs": SILENCE_FLOOR_DBFS, "segments": 2, "dropped": False}
    # the count enters the identity (and so the cell keys) only where silence was found
    assert "silence" not in prepare_data("synth10", {}, segment_seconds=1.0, overlap=0.5).identity


def test_a_dataset_with_only_silence_fails_in_one_line(tmp_path: Path) -> None:
    _padded_folder(tmp_path, silent_all=True)
    with pytest.raises(BenchmarkError) as info:
        _folder_segments(tmp_path)
    message = str(info.value)
    assert "every segment of fold 0 is digital silence" in message and "keep_silence = true" in message
    assert "\n" not in message
    assert _folder_segments(tmp_path, keep_silence=True).segments.waveforms.shape == (16, 2000)


# -- CLI and prepare_data --------------------------------------------------------------------------
def test_prepare_data_takes_the_root(tmp_path: Path) -> None:
    esc50_tree(tmp_path)
    prepared = prepare_data("esc10", {"sample_rate": 8000}, segment_seconds=0.1, overlap=0.5, root=tmp_path)
    assert prepared.num_classes == 10 and prepared.sample_rate == 8000
    assert prepared.segments.waveforms.shape == (15 * 3, 800)
    with pytest.raises(
        BenchmarkError, match="dataset 'synth10' is generated, not read from disk; drop --data-root"
    ):
        prepare_data("synth10", {}, segment_seconds=1.0, overlap=0.5, root=tmp_path)


def test_cli_suite_on_a_real_dataset_without_root(tmp_path: Path, one_line_error) -> None:
    suite = tmp_path / "on_esc50.toml"
    text = (project_root() / "registry" / "suites" / "quick.toml").read_text()
    suite.write_text(text.replace('dataset = "synth10"', 'dataset = "esc50"', 1))
    assert main(["run", "--suite", str(suite), "--device", "cpu", "--output", str(tmp_path / "lb")]) == 2
    assert (
        "dataset 'esc50' reads files on disk: pass --data-root DIR; get esc50 with `arb data fetch esc50"
        in (one_line_error())
    )
    assert main(["run", "--suite", str(suite), "--data-root", str(tmp_path), "--device", "cpu"]) == 2
    assert "does not hold esc50 (no meta/esc50.csv)" in one_line_error()


def test_cli_train_on_own_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    """Models trained on other data go under the cache (one folder per suite and data location),
    never among the committed checkpoints. Ten 1.5 s clips leave 6 validation segments, on which
    this model scores 0.5: within chance for 2 classes (0.5 + 2 x 0.5 / sqrt(6) = 0.908), so it is
    reported and not saved, unless --force."""
    monkeypatch.setenv("ARB_CACHE_DIR", str(tmp_path / "cache"))
    committed = project_root() / "baselines" / "cnn2d_stft.safetensors"
    before = sha256_file(committed)
    _class_folders(tmp_path / "mine", {"hum": 5, "tick": 5}, seconds=1.5)
    args = ["--suite", "quick", "--dataset", f"folder:{tmp_path / 'mine'}", "--device", "cpu"]
    assert main(["train", *args, "--entry", "cnn2d_stft"]) == 2
    err = capsys.readouterr().err
    assert "cnn2d_stft: validation accuracy 0.500 is within chance (1/2 = 0.500" in err
    assert err.endswith(
        "arb: error: cnn2d_stft trained to within chance and was not saved; train longer or on more "
        "data, or pass --force to keep them\n"
    )
    assert not list((tmp_path / "cache").glob("baselines/**/*.safetensors"))
    assert main(["train", *args, "--entry", "cnn2d_stft", "--force"]) == 0
    out = capsys.readouterr().out.replace("\n", "")
    (weights,) = (tmp_path / "cache" / "baselines" / "quick").glob("folder-*/cnn2d_stft.safetensors")
    assert "cnn2d_stft: test accuracy" in out and str(weights) in out
    assert sha256_file(committed) == before
    assert (tmp_path / "mine" / ".arb_folds-k5-seed0.csv").is_file()


def test_cli_data_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    esc50_tree(tmp_path / "esc")
    write_clip(tmp_path / "esc" / "audio" / "1-100001-A-0.wav", 0.2, 48000, 300.0)
    (tmp_path / "esc" / "audio" / "2-100002-A-0.wav").write_bytes(b"")
    (tmp_path / "esc" / "audio" / "3-100003-A-0.wav").unlink()
    assert main(["data", "check", "esc50", "--data-root", str(tmp_path / "esc")]) == 1
    out, err = capsys.readouterr()
    assert "expected 2000 files, found 20" in out
    assert "1-100001-A-0.wav: sample rate 48000 Hz, expected 44100 Hz" in out
    assert "2-100002-A-0.wav: empty file (0 bytes)" in out and "3-100003-A-0.wav: missing" in out
    assert "esc50 at" in err and "4 problem(s) in 20 files" in err
    _class_folders(tmp_path / "own", {"a": 5, "b": 5})
    before = sorted(p.name for p in (tmp_path / "own").rglob("*"))
    assert main(["data", "check", "folder", "--data-root", str(tmp_path / "own")]) == 0
    out = capsys.readouterr().out
    assert "10 files, all readable" in out
    # 5 stratified folds of one a and one b each; the drawn split is not written into the folder
    assert "2 classes (a 5, b 5); 5 folds (files per fold 1: 2, 2: 2, 3: 2, 4: 2, 5: 2)" in out
    assert sorted(p.name for p in (tmp_path / "own").rglob("*")) == before
    assert len(ESC_TARGETS) == 4
