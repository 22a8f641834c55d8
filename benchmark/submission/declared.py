"""What a manifest declares about the model's input and the defenses in front of it, checked
without running submitted code: the input spec, and a defense chain in the suite's form
(``defense = [{ name = "quantize", bits = 8 }]``) that must fit that input, and which of a
suite's attacks reach both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from benchmark.defenses.base import DefenseSpec, check_chain, defense_class
from benchmark.errors import BenchmarkError, UnknownNameError
from benchmark.plan.suite import AttackSpec
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
    """The chain builds (names, parameters, order: the suite's own check) and every link can be
    attacked: a representation link needs a representation input (audio has none), and a waveform
    link in front of a representation input is attacked end to end from the audio
    (:func:`end_to_end_link`; ``arb submit`` checks that the suite has such attacks)."""
    try:
        defenses = check_chain(chain, "field 'defense'")
    except BenchmarkError as error:
        raise ValueError(str(error)) from None
    for defense in defenses:
        if defense.domain == "representation" and spec.domain == "waveform":
            raise ValueError(
                f"field 'defense': {defense.name!r} acts on the representation, but the model takes "
                'input.domain = "waveform" (raw audio, no representation to act on): give the model a '
                "representation input or use a waveform-domain defense (`arb list defenses`)"
            )


def end_to_end_link(chain: Sequence[DefenseSpec], spec: InputSpec) -> str | None:
    """The first waveform link in front of a representation input, if any: the harness computes
    the representation, so such a model is attacked from the audio through the whole chain, and
    only that way (an attack on the features would skip the link)."""
    if spec.domain != "representation":
        return None
    where = "field 'defense'"
    return next((d.name for d in chain if defense_class(d.name, where).domain == "waveform"), None)


def attacks_submission(attack: AttackSpec, chain: Sequence[DefenseSpec], spec: InputSpec) -> bool:
    """Whether the suite's ``attack`` runs on a submission with this chain and input: the
    end-to-end specs (``domain = "waveform"``, ``waveform`` budgets) where a waveform link sits in
    front of a representation input, else every spec with budgets for the input."""
    if end_to_end_link(chain, spec) is not None:
        return attack.domain == "waveform" and "waveform" in attack.budgets
    return spec.representation_name in attack.budgets
