"""GTZAN (Tzanetakis & Cook 2002): 10 genres x 100 tracks of 30 s at 22050 Hz, two split schemes.

Layout (the marsyas ``genres.tar.gz``): ``genres/<genre>/<genre>.000NN.au``; converted copies
with ``.wav`` files and the Kaggle folder name ``genres_original`` load too, and so does a root
that holds the genre folders itself.

``split = "koerich"``: Koerich et al. 2020 (sec. IV) shuffle the 1000 tracks into three folds of
340 / 330 / 330, 34 / 33 / 33 tracks per genre. The paper publishes no list, so the split is
drawn with ``seed`` (per genre shuffled, dealt round-robin from fold 0) and written to the split
file ``ROOT/.arb_folds-koerich-seed<seed>.csv`` on first use; later runs read that file.

``split = "filtered"``: the artist-filtered train / valid / test split (443 / 197 / 290) of
Kereliuk et al. 2015 that Pons & Serra 2019 use (sec. 3.3), as folds 0 / 1 / 2, read from
``registry/splits/gtzan_filtered/`` (see the README there). The 70 tracks in no list are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmark.data.files import FileDataset, FileEntry, warn
from benchmark.data.metadata import split_file, stratified_folds
from benchmark.errors import BenchmarkError
from benchmark.paths import project_root
from benchmark.validation import check_seed

GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
FILTERED_PARTS = ("train", "valid", "test")
_NAME = re.compile(r"^([a-z]+)\.(\d{5})\.(au|wav)$")


def filtered_split() -> dict[str, int]:
    """Track stem (``blues.00029``) -> fold 0/1/2 of the fault-filtered split."""
    folds: dict[str, int] = {}
    for fold, part in enumerate(FILTERED_PARTS):
        path = project_root() / "registry" / "splits" / "gtzan_filtered" / f"{part}.txt"
        try:
            lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        except FileNotFoundError:
            raise BenchmarkError(f"GTZAN filtered split file {path} is missing") from None
        for line in lines:
            folds[Path(line).name.rsplit(".", 1)[0]] = fold
    return folds


class GTZAN(FileDataset):
    """GTZAN music genres: 1000 x 30 s tracks; Koerich 3-fold or fault-filtered split."""

    name = "gtzan"
    version = "1.0"
    classes = GENRES
    num_folds = 3
    official_rate = 22050
    expected_files = 1000

    def __init__(
        self,
        *,
        root: str | None = None,
        sample_rate: int = 22050,
        split: str = "koerich",
        seed: int = 0,
        cache: bool = True,
        max_damaged: float = 0.01,
    ) -> None:
        super().__init__(root=root, sample_rate=sample_rate, cache=cache, max_damaged=max_damaged)
        if split not in ("koerich", "filtered"):
            raise BenchmarkError(f"gtzan split must be 'koerich' or 'filtered', got {split!r}")
        check_seed(seed, "gtzan seed")
        self.split = split
        self.seed = seed
        if split == "filtered":
            self.expected_files = sum(1 for _ in filtered_split())

    def genre_folder(self) -> Path:
        for candidate in (self.root / "genres", self.root / "genres_original", self.root):
            if all((candidate / genre).is_dir() for genre in GENRES):
                return candidate
        raise self.not_dataset(Path("genres") / "<genre>")

    def listing(self) -> list[tuple[Path, int]]:
        """Every ``<genre>.000NN`` file with its genre index, sorted by name."""
        folder = self.genre_folder()
        files: list[tuple[Path, int]] = []
        for label, genre in enumerate(GENRES):
            for path in sorted((folder / genre).iterdir()):
                match = _NAME.match(path.name)
                if match and match.group(1) == genre:
                    files.append((self.listed_file(folder / genre, path.name, str(folder / genre)), label))
                elif path.is_file() and not path.name.startswith("."):
                    warn(f"ignoring {path}: not a GTZAN track name ({genre}.000NN.au or .wav)")
        stems = [p.name.rsplit(".", 1)[0] for p, _ in files]
        if len(set(stems)) != len(stems):
            duplicate = next(s for s in stems if stems.count(s) > 1)
            raise BenchmarkError(f"{folder}: {duplicate} exists twice (.au and .wav); keep one")
        return files

    def entries(self) -> list[FileEntry]:
        files = self.listing()
        stems = [path.name.rsplit(".", 1)[0] for path, _ in files]
        if self.split == "filtered":
            folds = filtered_split()
            present = set(stems)
            absent = sorted(set(folds) - present)
            if absent:
                warn(
                    f"{len(absent)} track(s) of the filtered split are not in {self.root}: "
                    f"{', '.join(absent[:5])}"
                )
        else:
            labels = [label for _, label in files]
            folds = split_file(
                self.root,
                f".arb_folds-koerich-seed{self.seed}.csv",
                stems,
                lambda: stratified_folds(labels, self.num_folds, self.seed, rotate=False),
            )
        return [
            FileEntry(path, f"{self.name}/{stem}", label, folds[stem])
            for (path, label), stem in zip(files, stems, strict=True)
            if stem in folds
        ]
