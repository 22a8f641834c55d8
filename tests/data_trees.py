"""Tiny dataset trees in the official layouts (real file names and CSV columns, short clips)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmark.data.esc50 import ESC50_CLASSES
from benchmark.data.gtzan import GENRES
from benchmark.data.urbansound8k import US8K_CLASSES


def tone(seconds: float, rate: int, freq: float, seed: int = 0) -> np.ndarray:
    """A sine plus a little seeded noise, peak 0.5: distinct, valid, quick to write."""
    t = np.arange(round(seconds * rate)) / rate
    noise = np.random.default_rng(seed).normal(0.0, 0.01, t.size)
    return (0.5 * np.sin(2 * np.pi * freq * t) + noise).clip(-1, 1).astype(np.float32)


def write_clip(
    path: Path, seconds: float, rate: int, freq: float, seed: int = 0, fmt: str | None = None
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(seconds, rate, freq, seed), rate, subtype="PCM_16", format=fmt)


def write_padded_clip(
    path: Path, seconds: float, silence: float, rate: int, freq: float, seed: int = 0
) -> None:
    """A tone followed by ``silence`` seconds of digital zeros, as ESC-50 and UrbanSound8K pad
    their shorter recordings to the clip length."""
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = np.concatenate([tone(seconds, rate, freq, seed), np.zeros(round(silence * rate), np.float32)])
    sf.write(path, audio, rate, subtype="PCM_16")


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


#: targets in the tiny ESC-50 tree: three ESC-10 classes (dog, rooster, rain) and one other (pig)
ESC_TARGETS = (0, 1, 2, 10)


def esc50_tree(root: Path, seconds: float = 0.2, rate: int = 44100) -> list[list[object]]:
    """``meta/esc50.csv`` + ``audio/``: one clip per (target, fold); returns the CSV rows."""
    rows: list[list[object]] = []
    for t in ESC_TARGETS:
        for fold in range(1, 6):
            name = f"{fold}-{100000 + 10 * t + fold}-A-{t}.wav"
            write_clip(root / "audio" / name, seconds, rate, 200.0 + 40 * t, seed=t * 10 + fold)
            rows.append([name, fold, t, ESC50_CLASSES[t], str(t in (0, 1, 10)), f"{100000 + t}", "A"])
    write_csv(
        root / "meta" / "esc50.csv",
        ["filename", "fold", "target", "category", "esc10", "src_file", "take"],
        rows,
    )
    return rows


US8K_RATES = (44100, 48000, 22050)


def us8k_tree(root: Path, seconds: float = 0.5, classes: tuple[int, ...] = (0, 3, 6)) -> list[list[object]]:
    """``metadata/UrbanSound8K.csv`` + ``audio/fold1..fold10``: one short slice per (class, fold),
    at mixed sample rates as in the real data."""
    rows: list[list[object]] = []
    for c in classes:
        for fold in range(1, 11):
            fs_id = 1000 * (c + 1) + fold
            name = f"{fs_id}-{c}-0-0.wav"
            rate = US8K_RATES[(c + fold) % len(US8K_RATES)]
            write_clip(root / "audio" / f"fold{fold}" / name, seconds, rate, 300.0 + 50 * c, seed=fs_id)
            rows.append([name, fs_id, 0.0, seconds, 1, fold, c, US8K_CLASSES[c]])
    write_csv(
        root / "metadata" / "UrbanSound8K.csv",
        ["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class"],
        rows,
    )
    return rows


def gtzan_tree(root: Path, per_genre: int, seconds: float = 0.05, fmt: str = "au") -> Path:
    """``genres/<genre>/<genre>.000NN.au`` at 22050 Hz (the marsyas archive's layout)."""
    for g, genre in enumerate(GENRES):
        for i in range(per_genre):
            path = root / "genres" / genre / f"{genre}.{i:05d}.{fmt}"
            write_clip(path, seconds, 22050, 110.0 * (g + 1), seed=g * 1000 + i, fmt=fmt.upper())
    return root
