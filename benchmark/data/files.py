"""Datasets read from a copy on disk: shared listing, loading and damage reporting.

A loader only says which files exist and their label and fold (:meth:`FileDataset.entries`);
decoding, resampling, caching, progress and the damaged-file policy live here once.

Damaged files: a real copy can hold a few undecodable files (the widely shared GTZAN copy has
a truncated ``jazz.00054.wav``), so a damaged file among many is skipped with a warning naming
it and a count of all skipped files; more than ``max_damaged`` (a fraction) fails in one line.
A file at the wrong sample rate or a fold out of range always fails: the copy is not the
official one, and a number computed on it would not be comparable.
"""

from __future__ import annotations

import sys
from abc import abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmark.data.audio import DamagedAudioError, decode, load_audio
from benchmark.data.base import AudioDataset, Track
from benchmark.errors import BenchmarkError
from benchmark.paths import inside
from benchmark.progress import progress_bar

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".au", ".aiff", ".aif")


def warn(message: str) -> None:
    """A data warning on stderr in the CLI's style (visible in any run log, never swallowed)."""
    print(f"arb: warning: {message}", file=sys.stderr)


@dataclass(frozen=True)
class FileEntry:
    path: Path
    track_id: str
    label: int
    fold: int


#: the layouts of the ``folder`` dataset (benchmark/data/folder.py): the way in for audio that is
#: not an official copy
OWN_DATA_LAYOUT = "ROOT/<class>/*.wav, or ROOT/labels.csv (filename,label[,fold 1..K]) + ROOT/audio/"


class FileDataset(AudioDataset):
    """A dataset read from ``root``; subclasses list its files in :meth:`entries`."""

    #: each file's own rate in the official copy (None: the official copy mixes rates)
    official_rate: int | None = None
    #: number of files in a complete official copy (None: user data, any count)
    expected_files: int | None = None
    #: ``--data-root`` applies (open_dataset passes it as ``root``)
    reads_files = True

    def __init__(
        self,
        *,
        root: str | Path | None,
        sample_rate: int,
        cache: bool = True,
        max_damaged: float = 0.01,
    ) -> None:
        if root is None or str(root) == "":
            raise BenchmarkError(self.missing_root_message())
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise BenchmarkError(f"{self.root} is not a folder; {self.fetch_hint()}")
        if sample_rate < 1000:
            raise BenchmarkError(f"{self.name} sample_rate must be >= 1000 Hz, got {sample_rate}")
        if not 0.0 <= max_damaged <= 1.0:
            raise BenchmarkError(f"{self.name} max_damaged must be a fraction in [0, 1], got {max_damaged}")
        self.sample_rate = int(sample_rate)
        self.cache = cache
        self.max_damaged = max_damaged
        #: (file, reason) of every file skipped by the last :meth:`tracks`
        self.damaged: list[tuple[str, str]] = []
        self._tracks: list[Track] | None = None
        self._warned = False

    def missing_root_message(self) -> str:
        return f"dataset {self.name!r} reads files on disk: pass --data-root DIR; {self.fetch_hint()}"

    def fetch_hint(self) -> str:
        return (
            f"get {self.name} with `arb data fetch {self.name} --data-root DIR`, "
            f"or verify a copy with `arb data check {self.name} --data-root DIR`"
        )

    def own_data_hint(self) -> str:
        return f"for other audio use the `folder` dataset (--dataset folder:ROOT): {OWN_DATA_LAYOUT}"

    def not_dataset(self, missing: Path) -> BenchmarkError:
        """The error for a root that is not this dataset: names what is missing and the fixes."""
        hints = f"{self.fetch_hint()}; {self.own_data_hint()}"
        return BenchmarkError(f"{self.root} does not hold {self.name} (no {missing}); {hints}")

    def not_official(self, where: str, problem: str) -> BenchmarkError:
        """Metadata that is not the official dataset's (other classes): the way out is ``folder``."""
        return BenchmarkError(
            f"{where}: {problem}; not the official {self.name} metadata; {self.own_data_hint()}"
        )

    @abstractmethod
    def entries(self) -> list[FileEntry]:
        """Every file of the dataset with its label and fold, in a fixed order."""

    def listed_file(self, folder: Path, name: str, where: str) -> Path:
        """``folder/name`` for a file the metadata lists, refused in one line if it resolves
        (``..``, an absolute name, a symlink) outside ``folder``: the metadata cannot make the
        harness read files that are not part of the dataset."""
        return inside(folder, name, what=f"{where}: audio file")

    def tracks(self) -> list[Track]:
        if self._tracks is None:
            self._tracks = list(self._load(self._listed(), f"loading {self.name}"))
        return list(self._tracks)

    def tracks_in(self, fold: int) -> Iterator[Track]:
        if self._tracks is not None:
            return super().tracks_in(fold)
        entries = self._listed()
        in_fold = [entry for entry in entries if entry.fold == fold]
        return self._load(in_fold, f"loading {self.name} fold {fold}", len(entries))

    def tracks_by_id(self) -> Iterator[Track]:
        if self._tracks is not None:
            return super().tracks_by_id()
        return self._load(sorted(self._listed(), key=lambda e: e.track_id), f"hashing {self.name}")

    def _listed(self) -> list[FileEntry]:
        """The entries, with a warning (once) when their count is not the official copy's."""
        entries = self.entries()
        if self.expected_files is not None and len(entries) != self.expected_files and not self._warned:
            warn(
                f"{self.root} lists {len(entries)} {self.name} files; the official copy has "
                f"{self.expected_files} (`arb data check {self.name} --data-root {self.root}` "
                "shows what differs)"
            )
            self._warned = True
        return entries

    def _load(self, entries: list[FileEntry], label: str, of: int | None = None) -> Iterator[Track]:
        """Tracks of ``entries`` one at a time; damaged files are skipped, and more than
        ``max_damaged`` of ``of`` (default: of ``entries``) fails once all were tried."""
        damaged: list[tuple[str, str]] = []
        loaded = 0
        with progress_bar(label, len(entries)) as advance:
            for entry in entries:
                try:
                    audio = load_audio(
                        entry.path, self.sample_rate, expected_rate=self.official_rate, cache=self.cache
                    )
                except DamagedAudioError as error:
                    damaged.append((str(entry.path), str(error)))
                    warn(f"skipping {error}")
                else:
                    loaded += 1
                    yield Track(entry.track_id, entry.label, entry.fold, audio)
                advance(1, entry.track_id)
        self.damaged = damaged
        if damaged:
            total = of if of is not None else len(entries)
            summary = f"{len(damaged)} of {len(entries)} {self.name} files damaged"
            if len(damaged) > self.max_damaged * total or not loaded:
                raise BenchmarkError(
                    f"{summary} (first: {damaged[0][1]}), more than max_damaged={self.max_damaged:g} "
                    f"allows; {self.fetch_hint()}"
                )
            warn(f"{summary}, skipped: {', '.join(Path(p).name for p, _ in damaged)}")

    def found(self) -> str:
        """The classes and folds the copy lists, with their file counts (what ``arb data check``
        reports before the file checks)."""
        entries = self.entries()
        per_class, per_fold = Counter(e.label for e in entries), Counter(e.fold for e in entries)
        classes = ", ".join(f"{self.classes[label]} {n}" for label, n in sorted(per_class.items()))
        folds = ", ".join(f"{fold + 1}: {n}" for fold, n in sorted(per_fold.items()))
        return f"{len(per_class)} classes ({classes}); {len(per_fold)} folds (files per fold {folds})"

    def check(self) -> list[str]:
        """Every problem of the copy at ``root``: file count, missing, undecodable, wrong rate."""
        entries = self.entries()
        problems: list[str] = []
        if self.expected_files is not None and len(entries) != self.expected_files:
            problems.append(f"expected {self.expected_files} files, found {len(entries)}")
        with progress_bar(f"checking {self.name}", len(entries)) as advance:
            for entry in entries:
                try:
                    _, rate = decode(entry.path.read_bytes(), str(entry.path))
                    if self.official_rate is not None and rate != self.official_rate:
                        problems.append(
                            f"{entry.path}: sample rate {rate} Hz, expected {self.official_rate} Hz"
                        )
                except FileNotFoundError:
                    problems.append(f"{entry.path}: missing")
                except OSError as error:
                    problems.append(f"{entry.path}: unreadable ({error.strerror})")
                except DamagedAudioError as error:
                    problems.append(str(error))
                advance(1, entry.track_id)
        return problems


def listed_audio(folder: Path) -> list[Path]:
    """Audio files directly in ``folder``, sorted by name (hidden files excluded)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".")
    )
