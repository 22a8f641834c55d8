"""Declarative model specs: what a suite says about a reference model and its training."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_serializer

from benchmark.validation import Strict


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
        """Leave ``pitch_shift`` out of dumps when empty: model specs are hashed into cell keys and
        compared with committed model cards, which must not change for recipes without it."""
        data: dict[str, Any] = handler(self)
        if not self.pitch_shift:
            data.pop("pitch_shift", None)
        return data


class ModelSpec(Strict):
    architecture: str
    config: str = "compact"
    representation: str
    representation_params: dict[str, int | float | str | bool | None] = {}
    training: TrainingRecipe = TrainingRecipe()
