"""The results / leaderboard file schema (pydantic), validated on every read and write.

One file per (suite, suite version, dataset, entry). Numbers are numbers, never strings;
accuracies and rates are fractions in [0, 1]; ``None`` means "not defined here" (e.g. SNR
for a representation without an inverse), never "failed". Any change to these models bumps
:data:`SCHEMA_VERSION`; :func:`benchmark.leaderboard.io.read_entry` says which version a file
needs when it does not match, and migrates files of older versions it still understands.

Version history: 1, the first; 2 adds the primary ``score``, the masking ``flags`` and the
``submission`` metadata (all computable from a version-1 file, which is migrated on read);
3 adds each attack cell's ``budget_unit`` and drawn ``targets``, the per-budget ``snr_db_min``
(waveform-domain SNR budgets) and the cross-model ``transferability`` rows (Esmaeilpour Table 9);
4 adds per-example outcomes (the entry's example ids and clean outcomes, each cell's evaluated
examples and per budget which are correct under attack, as packed bits), redefines robust
accuracy as RobustBench's (correct clean *and* under attack), adds 95 % track-bootstrap
intervals, the per-example worst-case score, the sanity flags and the mean fooling rate. Files of
version <= 3 are migrated with their per-example data marked unavailable (``None``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from benchmark.leaderboard.results import (  # noqa: F401  (re-exported: the schema is one document)
    Accuracy,
    AccuracyInterval,
    AttackCell,
    BudgetResult,
    DefenseRecord,
    Fraction,
    Interval,
    Outcomes,
    Record,
    TransferabilityRow,
    TransferabilityTarget,
    TransferResult,
)

SCHEMA_VERSION = 4


class ModelInfo(Record):
    entry: str
    architecture: str
    config: str
    representation: dict[str, Any] = Field(description="the representation's full settings")
    domain: Literal["representation", "waveform"]
    parameters: int = Field(ge=0)
    checkpoint_sha256: str
    clean: Accuracy = Field(description="clean accuracy on the test fold")


class Silence(Record):
    """Segments of digital silence the segmentation found (benchmark.data.segments)."""

    floor_dbfs: float = Field(description="a segment whose peak is below this level is digital silence")
    segments: int = Field(ge=1, description="silent segments found, over all folds")
    dropped: bool = Field(description="left out of training and evaluation (false: keep_silence)")


class ShortClips(Record):
    """Tracks shorter than one segment and how each was brought to one."""

    mode: Literal["pad", "repeat"] = Field(description="trailing zeros, or the track repeated")
    tracks: int = Field(ge=1, description="tracks shorter than one segment, over all folds")


class DatasetInfo(Record):
    name: str
    version: str
    sample_rate: int
    num_tracks: int
    clip_ids_sha256: str
    content_sha256: str
    test_fold: int
    test_tracks: int
    test_segments: int
    segment_seconds: float
    overlap: float
    silence: Silence | None = Field(None, description="silent segments found (None: none)")
    short_clips: ShortClips | None = Field(None, description="tracks shorter than a segment (None: none)")


class Environment(Record):
    python: str
    platform: str
    torch: str
    torchaudio: str
    art: str | None
    foolbox: str | None
    numpy: str
    device: str


class SuiteRef(Record):
    name: str
    version: int


class Examples(Record):
    """The entry's evaluated test examples, once per file, and their clean outcomes."""

    ids: list[str] = Field(description="'<track id>#<segment index>' of every test segment, in test order")
    score_set: str = Field(description="packed bits over ids: the suite's score set (whole tracks)")
    clean: Outcomes = Field(description="which examples (tracks for MV / SR) are correct when clean")
    clean_interval: AccuracyInterval = Field(description="95 % track-bootstrap interval of clean accuracy")


class Score(Record):
    """The primary leaderboard score at the reference budget: the fraction of the score set that
    survives every scored attack and backend (AutoAttack's per-example worst case)."""

    method: Literal["per_example_worst_case", "strongest_single_attack"] = Field(
        description="per_example_worst_case; strongest_single_attack where per-example outcomes are "
        "unavailable (a file migrated from schema <= 3), an upper bound on the worst case"
    )
    budget: float = Field(ge=0, description="the suite's reference budget for this representation")
    examples: int = Field(ge=1, description="segments in the score set")
    attacks: list[str] = Field(description="labels of the attack cells the score is the worst case over")
    robust_accuracy: Accuracy = Field(description="worst-case robust accuracy; ranks by its segment value")
    interval: AccuracyInterval | None = Field(description="95 % track-bootstrap interval (None: migrated)")
    attack: str = Field(description="the best single attack: the scored cell with the lowest robust accuracy")
    attack_robust_accuracy: Accuracy = Field(description="that cell's robust accuracy at the budget")


class Flag(Record):
    """A result that looks like gradient masking (DESIGN.md, Defenses and evaluation integrity), or
    a sanity check that failed: ``near_chance`` (score not meaningful), ``few_correct`` (FR null);
    or a submitted model whose answers disagree with themselves (``inconsistent_logits``,
    ``inconsistent_gradient``: :mod:`benchmark.submission.checks`)."""

    code: Literal[
        "fr_not_increasing",
        "unbounded_not_fooling",
        "near_chance",
        "few_correct",
        "inconsistent_logits",
        "inconsistent_gradient",
        "zero_gradients",
        "randomized_output",
        "black_box_beats_white_box",
        "adaptive_beats_standard",
        "not_converged",
    ]
    attack: str | None = Field(description="label of the flagged cell (None: the flag is on the model)")
    message: str = Field(description="what was seen, in one line")


class SubmissionInfo(Record):
    """Who submitted an entry and what exactly ran (``submissions/<name>/submission.toml``)."""

    name: str
    authors: list[str]
    paper: str | None
    license: str
    entry_point: str
    manifest_sha256: str
    code_sha256: str = Field(description="sha256 over the submission's Python files (names and bytes)")


class LeaderboardEntry(Record):
    """The whole evaluation of one entry by one suite version on one dataset."""

    schema_version: Literal[4] = Field(description="version of this schema")
    harness_version: str
    suite: SuiteRef
    entry: str
    git_commit: str | None = Field(description="commit of the harness that produced the file")
    git_dirty: bool | None = Field(
        description="whether the working tree had uncommitted changes (outside leaderboards/)"
    )
    created_utc: str = Field(description="ISO 8601 UTC time the file was written")
    config: dict[str, Any] = Field(description="the fully resolved suite config")
    config_sha256: str
    cell_keys: list[str] = Field(description="keys of every cell the numbers come from")
    dataset: DatasetInfo
    environment: Environment
    wall_time_s: float = Field(ge=0, description="wall time of the cells in this file, as computed")
    model: ModelInfo
    examples: Examples | None = Field(description="per-example ids and clean outcomes (None: migrated file)")
    attacks: list[AttackCell]
    transfer: list[TransferResult]
    transferability: list[TransferabilityRow] = Field(description="cross-model transfer rows, as source")
    score: Score | None = Field(description="primary score (None without attacks)")
    flags: list[Flag] = Field(description="masking and sanity checks that failed; empty is good")
    submission: SubmissionInfo | None = Field(description="submission metadata (None for reference models)")
