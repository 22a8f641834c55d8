"""ESC-50 and ESC-10 (Piczak 2015) in the official layout, with the official 5 folds.

Layout (the GitHub archive ``ESC-50-master``): ``meta/esc50.csv`` with columns
``filename,fold,target,category,esc10,src_file,take`` and ``audio/<filename>``; 2000 clips of
5 s at 44.1 kHz, 40 per class. ESC-10 is the rows with ``esc10 == True`` (400 clips, 10
classes), relabelled 0..9 in ESC-50 target order. Esmaeilpour et al. 2021 (sec. 4) evaluate on
both with these folds; folds 1..5 of the CSV are folds 0..4 here.
"""

from __future__ import annotations

from benchmark.data.files import FileDataset, FileEntry
from benchmark.data.metadata import parse_fold, read_csv
from benchmark.errors import BenchmarkError

#: ESC-50 categories in ``target`` order (0..49), as in meta/esc50.csv
ESC50_CLASSES = (
    "dog", "rooster", "pig", "cow", "frog", "cat", "hen", "insects", "sheep", "crow",
    "rain", "sea_waves", "crackling_fire", "crickets", "chirping_birds", "water_drops", "wind",
    "pouring_water", "toilet_flush", "thunderstorm", "crying_baby", "sneezing", "clapping",
    "breathing", "coughing", "footsteps", "laughing", "brushing_teeth", "snoring",
    "drinking_sipping", "door_wood_knock", "mouse_click", "keyboard_typing", "door_wood_creaks",
    "can_opening", "washing_machine", "vacuum_cleaner", "clock_alarm", "clock_tick",
    "glass_breaking", "helicopter", "chainsaw", "siren", "car_horn", "engine", "train",
    "church_bells", "airplane", "fireworks", "hand_saw",
)  # fmt: skip
#: the ESC-10 subset's targets (rows with esc10 == True)
ESC10_TARGETS = (0, 1, 10, 11, 12, 20, 21, 38, 40, 41)
CSV_COLUMNS = ("filename", "fold", "target", "category", "esc10")


class ESC50(FileDataset):
    """ESC-50: 2000 environmental sound clips, 50 classes, official 5 folds (44.1 kHz files)."""

    name = "esc50"
    version = "1.0"
    classes = ESC50_CLASSES
    num_folds = 5
    official_rate = 44100
    expected_files = 2000
    #: targets kept and their labels (None: all 50, label = target)
    subset: tuple[int, ...] | None = None

    def __init__(
        self,
        *,
        root: str | None = None,
        sample_rate: int = 44100,
        cache: bool = True,
        max_damaged: float = 0.01,
    ) -> None:
        super().__init__(root=root, sample_rate=sample_rate, cache=cache, max_damaged=max_damaged)

    def entries(self) -> list[FileEntry]:
        meta = self.root / "meta" / "esc50.csv"
        if not meta.is_file():
            raise self.not_dataset(meta.relative_to(self.root))
        relabel = {t: i for i, t in enumerate(self.subset)} if self.subset else None
        entries = []
        for line, row in enumerate(read_csv(meta, CSV_COLUMNS, "ESC-50"), start=2):
            where = f"{meta}:{line}"
            try:
                target = int(row["target"])
            except ValueError:
                raise BenchmarkError(f"{where}: target {row['target']!r} is not an integer") from None
            if not 0 <= target < len(ESC50_CLASSES):
                raise BenchmarkError(f"{where}: target {target} out of range 0..{len(ESC50_CLASSES) - 1}")
            if row["category"] != ESC50_CLASSES[target]:
                expected = ESC50_CLASSES[target]
                raise self.not_official(
                    where, f"category {row['category']!r} does not match target {target} ({expected!r})"
                )
            fold = parse_fold(row["fold"], self.num_folds, where)
            if relabel is not None:
                if row["esc10"] not in ("True", "False"):
                    raise BenchmarkError(f"{where}: esc10 {row['esc10']!r} is not True or False")
                if row["esc10"] != "True":
                    continue
                if target not in relabel:
                    raise BenchmarkError(f"{where}: esc10 row has target {target}, not an ESC-10 class")
            label = relabel[target] if relabel is not None else target
            stem = row["filename"].rsplit(".", 1)[0]
            path = self.listed_file(self.root / "audio", row["filename"], where)
            entries.append(FileEntry(path, f"{self.name}/{stem}", label, fold))
        return entries


class ESC10(ESC50):
    """ESC-10: the 400-clip, 10-class subset of ESC-50 (esc10 column), same files and folds."""

    name = "esc10"
    classes = tuple(ESC50_CLASSES[t] for t in ESC10_TARGETS)
    expected_files = 400
    subset = ESC10_TARGETS
