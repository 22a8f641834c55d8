"""Declarative model specs: what a suite says about a reference model and its training."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Unknown fields are errors, values are immutable: a typo in a suite never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainingRecipe(Strict):
    """Adam on cross-entropy with early stopping on validation accuracy (Koerich et al. 2020,
    sec. IV: up to 100 epochs, batch 50, early stopping, 20 % of training data for validation)."""

    epochs: int = Field(30, ge=1)
    batch_size: int = Field(64, ge=1)
    learning_rate: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    patience: int = Field(5, ge=1)
    val_fraction: float = Field(0.2, gt=0, lt=1)


class ModelSpec(Strict):
    architecture: str
    config: str = "compact"
    representation: str
    representation_params: dict[str, int | float | str | bool | None] = {}
    training: TrainingRecipe = TrainingRecipe()
