"""The per-cell parts of a results file (schema :data:`benchmark.leaderboard.schema.SCHEMA_VERSION`):
accuracies with their intervals, per-example outcomes, one attack cell's per-budget results and
defense record, and the transfer and transferability rows. Split from the entry's schema, which
re-exports every name, so its version history covers these models too."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Fraction = float  # documented as [0, 1]; validated with Field bounds where it is stored


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Accuracy(Record):
    """Accuracy per segment and per track (majority vote, sum rule), Koerich et al. 2020 sec. II-C."""

    segment: float = Field(ge=0, le=1, description="fraction of segments classified correctly")
    mv: float = Field(ge=0, le=1, description="fraction of tracks correct by majority vote over segments")
    sr: float = Field(ge=0, le=1, description="fraction of tracks correct by the sum rule over probabilities")


class Interval(Record):
    """A 95 % interval by the seeded bootstrap over tracks (:mod:`benchmark.bootstrap`)."""

    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)


class AccuracyInterval(Record):
    segment: Interval
    mv: Interval
    sr: Interval


class Outcomes(Record):
    """Per-example outcomes as packed bits (base64 of ``numpy.packbits``, :mod:`benchmark.outcomes`)."""

    segment: str = Field(description="one bit per evaluated segment, in the order of the entry's example ids")
    mv: str = Field(description="one bit per evaluated track (order of first appearance): majority vote")
    sr: str = Field(description="one bit per evaluated track: sum rule")


class BudgetResult(Record):
    """One point of an attack's budget schedule."""

    budget: float = Field(ge=0, description="the budget as the suite declares it, in the cell's budget_unit")
    fooling_rate: float | None = Field(
        ge=0,
        le=1,
        description="among clean-correct examples, fraction misclassified (untargeted) or classified as "
        "the target (targeted); None with fewer clean-correct examples than the suite's min_clean_correct",
    )
    misclassified_rate: float | None = Field(
        ge=0,
        le=1,
        description="among clean-correct examples, fraction misclassified under attack (for an "
        "untargeted cell this is fooling_rate; for a targeted one it also counts missed targets)",
    )
    success_rate: float = Field(ge=0, le=1, description="fraction of all examples judged successful")
    robust_accuracy: Accuracy = Field(
        description="fraction of evaluated examples (tracks for MV / SR) correct clean AND under attack"
        " (RobustBench), so never above clean accuracy"
    )
    adversarial_accuracy: Accuracy = Field(
        description="accuracy on the adversarial examples over every evaluated example, clean-correct or "
        "not (Koerich et al. 2020 Table V); can exceed clean accuracy, so it never scores"
    )
    robust_interval: AccuracyInterval | None = Field(
        description="95 % track-bootstrap interval of robust_accuracy (None: migrated file)"
    )
    correct: Outcomes | None = Field(
        description="which evaluated examples are classified correctly under attack (None: migrated file)"
    )
    clean_correct: int = Field(ge=0, description="examples classified correctly when clean")
    gradient_evals: int = Field(ge=0, description="input-gradient evaluations counted by the model wrapper")
    gradient_batches: int = Field(ge=0, description="backward passes that reached the input")
    forward_evals: int = Field(
        ge=0, description="examples passed forward by the attack (success judging excluded)"
    )
    gradient_evals_per_example: float = Field(ge=0, description="gradient_evals / examples")
    l0_mean: float = Field(ge=0, description="mean number of changed input elements")
    l2_mean: float = Field(ge=0, description="mean L2 norm of the perturbation in its own domain")
    linf_mean: float = Field(ge=0, description="mean Linf norm of the perturbation in its own domain")
    snr_db_mean: float | None = Field(
        description="mean SNR (Koerich eq. 3-4) of the adversarial audio against the clean audio; for a "
        "representation whose inverse estimates the phase (Mel: Griffin-Lim) both are rebuilt with the "
        "clean waveform's STFT phase, so the noise is the perturbation's alone"
    )
    snr_db_std: float | None = Field(description="standard deviation of that SNR")
    snr_db_min: float | None = Field(
        description="lowest finite SNR over the examples (an SNR budget is met when this is >= it)"
    )
    snr_db_excluded: int | None = Field(
        None,
        ge=0,
        description="examples left out of the SNR mean, std and min because their SNR is not finite: "
        "+inf where the reconstructed noise is exactly zero (the attack left the example unchanged), "
        "-inf or undefined where the clean audio is silent (None: no SNR, or a file from before the count)",
    )
    snr_db_griffin_lim_mean: float | None = Field(
        None,
        description="secondary SNR for a Mel representation: both audios rebuilt by Griffin-Lim, each "
        "with its own phase estimate (Koerich Table VII's SNR; it mostly measures the phase estimate)",
    )
    snr_db_griffin_lim_std: float | None = Field(None, description="standard deviation of that SNR")
    snr_db_griffin_lim_excluded: int | None = Field(
        None, ge=0, description="examples left out of that mean, for the reasons of snr_db_excluded"
    )


class DefenseRecord(Record):
    """How an attack cell met a defended model, and the masking evidence seen on its clean inputs."""

    chain: list[dict[str, Any]] = Field(description="the defenses in order, each its name and parameters")
    gradient_mode: Literal["standard", "bpda"] = Field(
        description="standard: autograd through every defense; bpda: each defense without an exact "
        "gradient differentiated through its surrogate (Athalye et al. 2018)"
    )
    eot: int = Field(ge=1, description="input gradients averaged per attack step (EOT), each counted as cost")
    draws: int = Field(ge=1, description="forward passes each adversarial is judged over (robust: all right)")
    zero_gradient_fraction: float = Field(
        ge=0, le=1, description="clean examples whose input gradient (this mode) is zero or non-finite"
    )
    randomized_output_fraction: float = Field(
        ge=0, le=1, description="clean examples whose logits differ between two forward passes"
    )


class AttackCell(Record):
    """One attack through one backend on one model over its budget schedule."""

    key: str = Field(description="sha256 of the cell's fully resolved config")
    attack: str = Field(description="attack name, e.g. fgsm, bim_a, bim_b")
    backend: str = Field(description="native, art or foolbox")
    domain: Literal["representation", "waveform"] = Field(description="what the attack perturbs")
    norm: Literal["linf", "l2"]
    budget_unit: Literal["normalized", "amplitude", "snr_db", "iterations", "fraction"] = Field(
        description="normalized representation units, waveform amplitude, target SNR in dB (schedule "
        "descending), attack iterations, or the fraction of input elements that may change"
    )
    targeted: bool
    targets_seed: int | None = Field(description="seed of the generator that drew the wrong target labels")
    targets: list[int] | None = Field(description="the drawn target label of each attacked example")
    params: dict[str, Any] = Field(description="the attack's keyword-only hyperparameters")
    examples: int = Field(ge=1, description="test segments attacked (whole tracks when max_examples is set)")
    evaluated: str | None = Field(
        description="packed bits over the entry's example ids: the attacked ones (None: migrated file)"
    )
    per_budget: list[BudgetResult] = Field(min_length=1)
    fr_auc: float | None = Field(ge=0, le=1, description="area under FR(budget / max budget), from (0, 0)")
    fr_mean: float | None = Field(
        ge=0, le=1, description="mean FR over the schedule's budgets (Esmaeilpour's 'averaged over budgets')"
    )
    gradient_evals_to_fr90: float | None = Field(
        description="gradient evaluations per example at the first budget with FR >= 0.9 (None if never)"
    )
    wall_time_s: float = Field(ge=0)
    defense: DefenseRecord | None = Field(
        None, exclude_if=lambda record: record is None, description="on a defended model (absent otherwise)"
    )
    name: str | None = Field(
        None,
        exclude_if=lambda name: name is None,
        description="the suite spec's distinguishing name (e.g. twice the steps), ending the label",
    )

    @property
    def adaptive(self) -> bool:
        """Whether the cell attacked with BPDA or EOT."""
        return self.defense is not None and (self.defense.gradient_mode == "bpda" or self.defense.eot > 1)

    @property
    def label(self) -> str:
        """``attack/backend``, marked when targeted, perturbing the waveform end to end, or adaptive
        (BPDA, EOT), then the spec's ``name`` if it has one: unique among an entry's cells (tables,
        plots and ``arb compare`` name cells by it; the suite refuses specs that would collide)."""
        marks = (" targeted" if self.targeted else "") + (" @waveform" if self.domain == "waveform" else "")
        if self.defense is not None:
            marks += " bpda" if self.defense.gradient_mode == "bpda" else ""
            marks += f" eot{self.defense.eot}" if self.defense.eot > 1 else ""
        return f"{self.attack}/{self.backend}{marks}" + (f" {self.name}" if self.name else "")


class TransferResult(Record):
    """Koerich 2D->1D protocol: attack the 2D model, reconstruct audio, classify it with the 1D model."""

    key: str
    attack: str
    backend: str
    params: dict[str, Any] = Field(description="the attack's keyword-only hyperparameters")
    source: str = Field(description="entry attacked on its representation")
    target: str = Field(description="waveform entry that classifies the reconstructed audio")
    budget: float = Field(gt=0)
    examples: int = Field(ge=1)
    source_fooling_rate: float | None = Field(ge=0, le=1)
    original: Accuracy = Field(
        description="target accuracy on the original audio (Koerich Table IV, Original)"
    )
    clean_reconstructed: Accuracy = Field(description="on audio reconstructed from clean features (Table IV)")
    adversarial_reconstructed: Accuracy = Field(
        description="on audio reconstructed from adversarial features (Table VI)"
    )
    clean_reconstruction_snr_db: float | None = Field(
        description="mean SNR of the clean reconstruction (the source's own inverse) vs the original "
        "(Table VII, None row)"
    )
    clean_reconstruction_snr_db_excluded: int | None = Field(
        None,
        ge=0,
        description="examples left out of that mean, for the reasons of BudgetResult.snr_db_excluded",
    )
    snr_db_mean: float | None = Field(
        description="mean SNR of adversarial vs clean reconstruction, both with the original phase (for "
        "the STFT this is Table VII's value; for the Mel see snr_db_griffin_lim_mean)"
    )
    snr_db_std: float | None
    snr_db_excluded: int | None = Field(
        None,
        ge=0,
        description="examples left out of that mean, for the reasons of BudgetResult.snr_db_excluded",
    )
    snr_db_griffin_lim_mean: float | None = Field(
        None,
        description="Mel source: mean SNR of the Griffin-Lim reconstructions (the audio the target hears), "
        "Koerich Table VII's MF rows",
    )
    snr_db_griffin_lim_std: float | None = Field(None, description="standard deviation of that SNR")
    snr_db_griffin_lim_excluded: int | None = Field(
        None, ge=0, description="examples left out of that mean, for the reasons of snr_db_excluded"
    )
    wall_time_s: float = Field(ge=0)


class TransferabilityTarget(Record):
    target: str = Field(description="entry that classifies the source's adversarial examples")
    fooled_both: int = Field(ge=0, description="source adversarials that also fool the target")
    rate: float | None = Field(ge=0, le=1, description="fooled_both / fooled_source (None if 0 / 0)")


class TransferabilityRow(Record):
    """One row of Esmaeilpour et al. 2021 Table 9: adversarials crafted on this entry (the source)
    that fool it, and the fraction of them each other model on the same representation misclassifies."""

    key: str
    attack: str
    backend: str
    params: dict[str, Any]
    budget: float = Field(ge=0, description="in the attack's budget kind (epsilon, iterations, fraction)")
    representation: str
    examples: int = Field(ge=1, description="test segments attacked")
    fooled_source: int = Field(
        ge=0, description="clean-correct examples whose adversarial the source misclassifies"
    )
    targets: list[TransferabilityTarget]
    wall_time_s: float = Field(ge=0)
