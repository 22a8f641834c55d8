"""UrbanSound8K (Salamon et al. 2014) in the official layout, with the official 10 folds.

Layout (zenodo record 1203745, ``UrbanSound8K/``): ``metadata/UrbanSound8K.csv`` with columns
``slice_file_name,fsID,start,end,salience,fold,classID,class`` and
``audio/fold<k>/<slice_file_name>``; 8732 slices of at most 4 s. The files keep their
freesound sample rates (8 to 192 kHz), so there is no official rate to check: every file is
resampled to ``sample_rate``.

Slices are up to 4 s long and many are shorter. How a short slice fills a segment is the suite's
``short_clips`` option, the same for every dataset (:mod:`benchmark.data.segments`): the seed suites
on UrbanSound8K set ``"repeat"``, as Pons & Serra 2019 do (sec. 3.3: "urban sounds are shorter than
4 seconds ... the signal is repeated to create inputs of the same length"). Zero padding would hand
the classifier the clip length as a cue and put windows of silence, labelled with the class, into
the segment set (they are dropped as digital silence by default).
"""

from __future__ import annotations

from benchmark.data.files import FileDataset, FileEntry
from benchmark.data.metadata import parse_fold, read_csv
from benchmark.errors import BenchmarkError

US8K_CLASSES = (
    "air_conditioner", "car_horn", "children_playing", "dog_bark", "drilling",
    "engine_idling", "gun_shot", "jackhammer", "siren", "street_music",
)  # fmt: skip
CSV_COLUMNS = ("slice_file_name", "fsID", "start", "end", "salience", "fold", "classID", "class")


class UrbanSound8K(FileDataset):
    """UrbanSound8K: 8732 urban sound slices (<= 4 s), 10 classes, official 10 folds."""

    name = "urbansound8k"
    version = "1.0"
    classes = US8K_CLASSES
    num_folds = 10
    expected_files = 8732

    def __init__(
        self,
        *,
        root: str | None = None,
        sample_rate: int = 22050,
        cache: bool = True,
        max_damaged: float = 0.01,
    ) -> None:
        super().__init__(root=root, sample_rate=sample_rate, cache=cache, max_damaged=max_damaged)

    def entries(self) -> list[FileEntry]:
        meta = self.root / "metadata" / "UrbanSound8K.csv"
        if not meta.is_file():
            raise self.not_dataset(meta.relative_to(self.root))
        entries = []
        for line, row in enumerate(read_csv(meta, CSV_COLUMNS, "UrbanSound8K"), start=2):
            where = f"{meta}:{line}"
            try:
                label = int(row["classID"])
            except ValueError:
                raise BenchmarkError(f"{where}: classID {row['classID']!r} is not an integer") from None
            if not 0 <= label < len(US8K_CLASSES):
                raise BenchmarkError(f"{where}: classID {label} out of range 0..{len(US8K_CLASSES) - 1}")
            if row["class"] != US8K_CLASSES[label]:
                raise self.not_official(
                    where, f"class {row['class']!r} does not match classID {label} ({US8K_CLASSES[label]!r})"
                )
            fold = parse_fold(row["fold"], self.num_folds, where)
            name = row["slice_file_name"]
            path = self.listed_file(self.root / "audio" / f"fold{fold + 1}", name, where)
            entries.append(FileEntry(path, f"{self.name}/{name.rsplit('.', 1)[0]}", label, fold))
        return entries
