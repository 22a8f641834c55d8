"""Declarative model specs: what a suite says about a reference model and its training."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_serializer, model_validator

from benchmark.defenses.base import DefenseSpec
from benchmark.models import pons_grid
from benchmark.validation import Seed, Strict


class AdversarialTraining(Strict):
    """PGD adversarial training (Madry et al. 2018, sec. 3 eq. 2.1): every training batch is replaced
    by its Linf PGD adversarial (``steps`` steps of ``rel_stepsize`` x ``epsilon`` from a random
    start), crafted in ``domain`` (the waveform end to end, or the model's representation)."""

    epsilon: float = Field(gt=0, le=1)
    steps: int = Field(3, ge=1, le=100)
    rel_stepsize: float = Field(0.5, gt=0)
    domain: Literal["waveform", "representation"] = "waveform"


class TrainingRecipe(Strict):
    """Adam on cross-entropy with early stopping on validation accuracy (Koerich et al. 2020,
    sec. IV: up to 100 epochs, batch 50, early stopping, 20 % of training data for validation)."""

    epochs: int = Field(30, ge=1)
    batch_size: int = Field(64, ge=1)
    learning_rate: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    patience: int = Field(5, ge=1)
    val_fraction: float = Field(0.2, gt=0, lt=1)
    #: pitch-shift factors for augmenting the *training* tracks, one copy per track and factor
    #: (Esmaeilpour et al. sec. 4: 0.75, 0.9, 1.15, 1.5); empty: no augmentation
    pitch_shift: tuple[float, ...] = ()
    #: train on PGD adversarials of every batch instead of the clean batch (None: standard training)
    adversarial: AdversarialTraining | None = None

    @field_validator("pitch_shift")
    @classmethod
    def _factors_shift(cls, factors: tuple[float, ...]) -> tuple[float, ...]:
        from benchmark.data.augment import FACTOR_RANGE  # lazy: augment imports librosa

        low, high = FACTOR_RANGE
        for factor in factors:
            if not low <= factor <= high or factor == 1:
                raise ValueError(f"pitch_shift factor {factor} must be in [{low}, {high}] and not 1")
        if len(set(factors)) != len(factors):
            raise ValueError(f"pitch_shift factors {list(factors)} repeat a factor")
        return factors

    @model_serializer(mode="wrap")
    def _omit_no_augmentation(self, handler: Any) -> dict[str, Any]:
        """Leave ``pitch_shift`` and ``adversarial`` out of dumps when unset: model specs are hashed into
        cell keys and compared with committed model cards, which must not change for recipes without them."""
        data: dict[str, Any] = handler(self)
        if not self.pitch_shift:
            data.pop("pitch_shift", None)
        if self.adversarial is None:
            data.pop("adversarial", None)
        return data

    @model_validator(mode="after")
    def _one_augmentation(self) -> TrainingRecipe:
        if self.adversarial is not None and self.pitch_shift:
            raise ValueError("adversarial training takes no pitch_shift augmentation: remove one of them")
        return self

    def builder_kwargs(self) -> dict[str, Any]:
        """What the recipe adds to the architecture factory's arguments: nothing."""
        return {}


def _subset(name: str, values: tuple[Any, ...], supported: tuple[Any, ...]) -> tuple[Any, ...]:
    bad = [v for v in values if v not in supported]
    if bad or not values:
        raise ValueError(f"{name} {list(values)} must be a non-empty subset of {list(supported)}")
    return values


class RandomFeaturesRecipe(Strict):
    """Pons & Serra 2019 (sec. 3.2): no gradient descent. The front-end's weights are drawn from
    ``seed`` and never trained; a back-end (SVM or ELM) is fitted on its features, the grid's best
    setting chosen on a validation split (``validation_fold`` when the dataset has one, as GTZAN's
    fault-filtered split does, else a stratified ``val_fraction`` of the training tracks)."""

    kind: Literal["random_features"]
    backend: Literal["svm", "elm"]
    seed: Seed = 0
    kernels: tuple[str, ...] = pons_grid.SVM_KERNELS
    c: tuple[float, ...] = pons_grid.SVM_C
    gamma: tuple[float | str, ...] = pons_grid.SVM_GAMMA
    hidden_units: tuple[int, ...] = pons_grid.ELM_HIDDEN
    val_fraction: float = Field(0.2, gt=0, lt=1)
    validation_fold: int | None = Field(None, ge=0)
    #: clips per batch when extracting features
    batch_size: int = Field(64, ge=1)

    @field_validator("kernels")
    @classmethod
    def _kernels(cls, kernels: tuple[str, ...]) -> tuple[str, ...]:
        return _subset("kernels", kernels, pons_grid.SVM_KERNELS)

    @field_validator("c")
    @classmethod
    def _c(cls, c: tuple[float, ...]) -> tuple[float, ...]:
        return _subset("c", c, pons_grid.SVM_C)

    @field_validator("gamma")
    @classmethod
    def _gamma(cls, gamma: tuple[float | str, ...]) -> tuple[float | str, ...]:
        return _subset("gamma", gamma, pons_grid.SVM_GAMMA)

    @field_validator("hidden_units")
    @classmethod
    def _hidden(cls, units: tuple[int, ...]) -> tuple[int, ...]:
        low, high = pons_grid.ELM_HIDDEN_RANGE
        if not units or any(not low <= u <= high for u in units):
            raise ValueError(f"hidden_units {list(units)} must be non-empty, each in [{low}, {high}]")
        return units

    def builder_kwargs(self) -> dict[str, Any]:
        """The front-end seed and the back-end the architecture factory builds."""
        return {"seed": self.seed, "backend": self.backend}


def _recipe_kind(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return "random_features" if kind == "random_features" else "gradient"


Recipe = Annotated[
    Annotated[TrainingRecipe, Tag("gradient")] | Annotated[RandomFeaturesRecipe, Tag("random_features")],
    Discriminator(_recipe_kind),
]


class ModelSpec(Strict):
    architecture: str
    config: str = "compact"
    representation: str
    representation_params: dict[str, int | float | str | bool | None] = {}
    training: Recipe = TrainingRecipe()
    #: input transformations in front of the model, applied in order (waveform ones first)
    defense: tuple[DefenseSpec, ...] = ()
    #: the entry whose checkpoint a defended entry loads and under which the leaderboard groups it
    undefended: str | None = None

    @model_serializer(mode="wrap")
    def _omit_no_defense(self, handler: Any) -> dict[str, Any]:
        """Leave the defense fields out of dumps when unset: specs are hashed into cell keys and
        compared with committed model cards, which must not change for undefended models."""
        data: dict[str, Any] = handler(self)
        if not self.defense:
            data.pop("defense", None)
        if self.undefended is None:
            data.pop("undefended", None)
        return data

    def checkpoint_spec(self) -> ModelSpec:
        """The spec the checkpoint was trained for: this one without its defense."""
        return self.model_copy(update={"defense": (), "undefended": None})
