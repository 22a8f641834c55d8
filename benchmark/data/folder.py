"""Your own data: a folder per class, or a CSV ``filename,label[,fold]`` beside an ``audio/`` folder.

Layouts (``ROOT`` is the dataset root, ``--dataset folder:ROOT``):

* ``ROOT/<class>/*.wav`` (also .flac .ogg .au .aiff): the class is the folder name;
* ``ROOT/labels.csv`` + ``ROOT/audio/``: ``filename`` is relative to ``ROOT/audio``; an
  optional ``fold`` column numbers folds 1..K as the ESC-50 and UrbanSound8K metadata do.

Classes are the sorted label names. Without given folds the tracks are dealt into
``num_folds`` stratified folds with ``seed`` and the split is written to
``ROOT/.arb_folds-k<num_folds>-seed<seed>.csv`` (or under the cache dir when ``ROOT`` is
read-only); later runs read that file, so the folds never move under a result.
"""

from __future__ import annotations

from benchmark.data.files import OWN_DATA_LAYOUT, FileDataset, FileEntry, listed_audio
from benchmark.data.metadata import parse_fold, read_csv, split_file, stratified_folds
from benchmark.errors import BenchmarkError
from benchmark.validation import check_seed


class FolderDataset(FileDataset):
    """Your own labelled clips: class folders or labels.csv; stratified seeded folds if none given."""

    name = "folder"
    version = "1.0"

    def __init__(
        self,
        *,
        root: str | None = None,
        sample_rate: int = 16000,
        num_folds: int = 5,
        seed: int = 0,
        cache: bool = True,
        max_damaged: float = 0.01,
    ) -> None:
        super().__init__(root=root, sample_rate=sample_rate, cache=cache, max_damaged=max_damaged)
        if num_folds < 2:
            raise BenchmarkError(f"folder num_folds must be >= 2, got {num_folds}")
        self.num_folds = num_folds
        self.seed = check_seed(seed, "folder seed")
        self._entries: list[FileEntry] | None = None
        self._entries = self.entries()

    def missing_root_message(self) -> str:
        return "dataset 'folder' needs its folder: pass --dataset folder:PATH (or --data-root PATH)"

    def fetch_hint(self) -> str:
        return f"a folder dataset is {OWN_DATA_LAYOUT}"

    def _rows(self) -> list[tuple[str, str, str | None]]:
        """(file relative to the audio folder, label, 1-based fold or None) in file order."""
        csv_path = self.root / "labels.csv"
        if csv_path.is_file():
            rows = read_csv(csv_path, ("filename", "label"), "a folder dataset's labels.csv")
            return [(r["filename"], r["label"], r.get("fold") or None) for r in rows]
        classes = sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        rows = [(f"{c}/{f.name}", c, None) for c in classes for f in listed_audio(self.root / c)]
        if not rows:
            raise BenchmarkError(
                f"{self.root} holds no labels.csv and no <class>/ folders with audio; {self.fetch_hint()}"
            )
        return rows

    def entries(self) -> list[FileEntry]:
        if self._entries is not None:
            return self._entries
        rows = self._rows()
        csv_mode = (self.root / "labels.csv").is_file()
        audio_root = self.root / "audio" if csv_mode else self.root
        self.classes = tuple(sorted({label for _, label, _ in rows}))
        if len(self.classes) < 2:
            raise BenchmarkError(
                f"{self.root}: a classification dataset needs >= 2 classes, found {len(self.classes)}"
            )
        given = [fold for _, _, fold in rows if fold is not None]
        if given and len(given) != len(rows):
            raise BenchmarkError(
                f"{self.root / 'labels.csv'}: the fold column is empty on some rows; fill all or none"
            )
        labels = [self.classes.index(label) for _, label, _ in rows]
        keys = [name for name, _, _ in rows]
        if len(set(keys)) != len(keys):
            raise BenchmarkError(f"{self.root}: {next(k for k in keys if keys.count(k) > 1)} is listed twice")
        if given:
            numbers = [int(f) for f in given if f.lstrip("-").isdigit()]
            self.num_folds = max(numbers) if len(numbers) == len(given) else self.num_folds
            folds = [
                parse_fold(fold or "", self.num_folds, f"{self.root / 'labels.csv'}:{i + 2}")
                for i, (_, _, fold) in enumerate(rows)
            ]
        else:
            if len(rows) < self.num_folds:
                raise BenchmarkError(f"{self.root}: {len(rows)} files cannot fill {self.num_folds} folds")
            by_key = split_file(
                self.root,
                f".arb_folds-k{self.num_folds}-seed{self.seed}.csv",
                keys,
                lambda: stratified_folds(labels, self.num_folds, self.seed, rotate=True),
            )
            folds = [by_key[k] for k in keys]
            if any(not 0 <= f < self.num_folds for f in folds):
                raise BenchmarkError(
                    f"{self.root}: the split file has a fold out of range 0..{self.num_folds - 1}"
                )
        empty = sorted(set(range(self.num_folds)) - set(folds))
        if empty:
            raise BenchmarkError(
                f"{self.root}: fold {empty[0] + 1} has no files; folds must be 1..{self.num_folds}"
            )
        return [
            FileEntry(
                self.listed_file(audio_root, key, str(self.root / "labels.csv" if csv_mode else self.root)),
                f"{self.name}/{key.rsplit('.', 1)[0]}",
                label,
                fold,
            )
            for key, label, fold in zip(keys, labels, folds, strict=True)
        ]
