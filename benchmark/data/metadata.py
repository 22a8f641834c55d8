"""Metadata of datasets on disk: CSV rows, official fold numbers, and the seeded splits a loader
draws once and writes beside the data (so a later algorithm change can never re-fold a dataset)."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np

from benchmark.errors import BenchmarkError
from benchmark.jsonio import atomic_write_bytes
from benchmark.paths import cache_dir


def read_csv(path: Path, required: Sequence[str], what: str) -> list[dict[str, str]]:
    """Rows of a metadata CSV; a missing file or column is a one-line error naming it."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in required if c not in columns]
            if missing:
                raise BenchmarkError(
                    f"{path}: missing column(s) {', '.join(missing)}; {what} needs {', '.join(required)}"
                )
            return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except FileNotFoundError:
        raise BenchmarkError(f"{path} not found") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise BenchmarkError(f"{path}: not a readable CSV ({error})") from None


def parse_fold(value: str, num_folds: int, where: str) -> int:
    """A 1-based fold number of an official metadata CSV as a 0-based fold."""
    try:
        fold = int(value)
    except ValueError:
        raise BenchmarkError(f"{where}: fold {value!r} is not an integer") from None
    if not 1 <= fold <= num_folds:
        raise BenchmarkError(f"{where}: fold {fold} out of range 1..{num_folds}")
    return fold - 1


def stratified_folds(labels: Sequence[int], num_folds: int, seed: int, *, rotate: bool) -> list[int]:
    """Seeded stratified fold assignment: each class is shuffled and dealt round-robin.

    ``rotate=False`` starts every class at fold 0, so with 100 tracks per class and 3 folds
    every class gives 34 / 33 / 33 and the folds hold 340 / 330 / 330 tracks (Koerich et al.
    2020, sec. IV: "Fold 1 contains 34 tracks of each of the 10 genres; Folds 2
    and 3 contain 33"). ``rotate=True`` starts each class where the previous one stopped, which
    keeps fold sizes within one track of each other for any class sizes.
    """
    rng = np.random.default_rng(seed)
    folds = [-1] * len(labels)
    offset = 0
    for label in sorted(set(labels)):
        members = [i for i, value in enumerate(labels) if value == label]
        for k, j in enumerate(rng.permutation(len(members))):
            folds[members[j]] = (k + offset) % num_folds
        if rotate:
            offset += len(members)
    return folds


#: False inside :func:`read_only_splits`: drawn folds are computed but not written
_WRITE_SPLITS: ContextVar[bool] = ContextVar("write_splits", default=True)


@contextmanager
def read_only_splits() -> Iterator[None]:
    """Draw missing splits without writing their files (``arb data check`` leaves the data folder
    as it found it; the first train / run writes the split)."""
    token = _WRITE_SPLITS.set(False)
    try:
        yield
    finally:
        _WRITE_SPLITS.reset(token)


def split_file(
    root: Path, name: str, keys: Sequence[str], compute: Callable[[], list[int]]
) -> dict[str, int]:
    """Folds by key, read from the split file ``name`` or computed once and written there.

    The file lives in ``root`` (so it travels with the data) or, when ``root`` is read-only,
    in ``cache_dir()/splits/<sha of root>/``. Once written it is the split: later runs read it
    instead of recomputing, so an algorithm change can never silently re-fold a dataset. A key
    it does not list is an error (delete the file to re-split); keys it lists that are gone
    are ignored (missing files are reported by the loader).
    """
    fallback = cache_dir() / "splits" / hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16] / name
    for path in (root / name, fallback):
        if path.is_file():
            rows = read_csv(path, ("file", "fold"), "a split file")
            try:
                folds = {row["file"]: int(row["fold"]) for row in rows}
            except ValueError:
                raise BenchmarkError(
                    f"{path}: a fold is not an integer; delete the file to re-split"
                ) from None
            absent = [key for key in keys if key not in folds]
            if absent:
                raise BenchmarkError(
                    f"split file {path} does not list {absent[0]} ({len(absent)} file(s) in all); "
                    "delete it to re-split"
                )
            return folds
    assigned = compute()
    if not _WRITE_SPLITS.get():
        return dict(zip(keys, assigned, strict=True))
    text = "file,fold\n" + "".join(f"{key},{fold}\n" for key, fold in zip(keys, assigned, strict=True))
    try:
        atomic_write_bytes(root / name, text.encode())
    except OSError:
        atomic_write_bytes(fallback, text.encode())
    return dict(zip(keys, assigned, strict=True))
