"""What a manifest declares about the model's input and the defenses in front of it, checked
without running submitted code: the input spec, and a defense chain in the suite's form
(``defense = [{ name = "quantize", bits = 8 }]``) that must fit that input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from benchmark.defenses.base import DefenseSpec, check_chain
from benchmark.errors import BenchmarkError, UnknownNameError
from benchmark.registry import REPRESENTATIONS, Registry
from benchmark.validation import Strict


def registered(registry: Registry[Any], name: str) -> str:
    """``name`` if registered (without importing it: the harness process stays light), else
    the registry's error with close matches."""
    if name not in registry:
        try:
            registry.get(name)
        except UnknownNameError as error:
            raise ValueError(str(error)) from None
    return name


class InputSpec(Strict):
    """What the model takes: audio ``(B, 1, T)`` or a registered representation's output."""

    model_config = ConfigDict(strict=True)  # TOML has types: "16000" is not a sample rate

    domain: Literal["waveform", "representation"]
    representation: str | None = Field(None, description="registry name (arb list representations)")
    representation_params: dict[str, int | float | str | bool] = {}
    sample_rate: int = Field(gt=0)
    samples: int = Field(gt=0, description="input length in samples")

    @field_validator("representation")
    @classmethod
    def _representation_is_registered(cls, value: str | None) -> str | None:
        return value if value is None else registered(REPRESENTATIONS, value)

    @model_validator(mode="after")
    def _representation_matches_domain(self) -> InputSpec:
        has_representation = self.representation not in (None, "waveform")
        if self.domain == "waveform" and (has_representation or self.representation_params):
            raise ValueError('domain "waveform" takes raw audio: remove representation(_params)')
        if self.domain == "representation" and not has_representation:
            raise ValueError(
                'domain "representation" needs representation = a name from `arb list representations`'
            )
        return self

    @property
    def representation_name(self) -> str:
        return self.representation or "waveform"


def check_defense(chain: Sequence[DefenseSpec], spec: InputSpec) -> None:
    """The chain builds (names, parameters, order: the suite's own check) and every link acts on
    the model's input: the suite attacks that input, so a waveform defense in front of a
    representation model (or a representation defense on audio) would never be attacked."""
    try:
        defenses = check_chain(chain, "field 'defense'")
    except BenchmarkError as error:
        raise ValueError(str(error)) from None
    for defense in defenses:
        if defense.domain != spec.domain:
            raise ValueError(
                f"field 'defense': {defense.name!r} acts on the {defense.domain}, but the model takes "
                f'input.domain = "{spec.domain}" ({spec.representation_name}); the suite attacks that '
                f"input: give the model a {defense.domain} input or use a {spec.domain}-domain defense "
                f"(`arb list defenses`)"
            )
