"""The defense contract: an input transformation in front of a model, declared by what an
attacker must know about it (Athalye et al. 2018, sec. 4: which gradient it has, whether it
is randomized).

A :class:`Defense` is a ``torch.nn.Module`` built from keyword parameters only. It transforms
either the waveform (before the representation) or the representation (before the network),
declares its ``gradient`` (``"exact"``: autograd through it is the true gradient; ``"bpda"``:
it is not usefully differentiable and an adaptive attack uses :meth:`Defense.surrogate`, the
identity by default, in its backward pass; ``"none"``: no gradient at all, BPDA with the
surrogate is the only way through) and whether it draws randomness at every forward pass
(``randomized``; then EOT applies). A suite names a chain of them as plain data
(:class:`DefenseSpec`); :func:`check_chain` refuses a bad one in one line before anything runs.
"""

from __future__ import annotations

import difflib
import inspect
import itertools
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import torch
from pydantic import model_serializer, model_validator
from torch import nn

from benchmark.errors import BenchmarkError
from benchmark.registry import DEFENSES
from benchmark.validation import Strict

DefenseDomain = Literal["waveform", "representation"]
Gradient = Literal["exact", "bpda", "none"]


class Defense(nn.Module):
    """Base class: subclasses set the class variables, take keyword parameters, implement forward."""

    name: ClassVar[str]
    domain: ClassVar[DefenseDomain] = "waveform"
    gradient: ClassVar[Gradient] = "exact"
    randomized: ClassVar[bool] = False
    #: what the backward pass of BPDA differentiates instead of :meth:`forward`
    surrogate_name: ClassVar[str] = "identity"

    @classmethod
    def summary(cls) -> str:
        """What ``arb list defenses --describe`` prints: what an attacker must know, then the source."""
        surrogate = f", BPDA surrogate: {cls.surrogate_name}" if cls.gradient != "exact" else ""
        gradient = f"{cls.gradient}{surrogate}"
        randomness = ", randomized" if cls.randomized else ""
        doc = (cls.__doc__ or "").strip().splitlines()
        return f"[{cls.domain}; gradient {gradient}{randomness}] {doc[0] if doc else ''}".rstrip()

    def surrogate(self, inputs: torch.Tensor) -> torch.Tensor:
        """The differentiable stand-in BPDA uses for the backward pass (Athalye et al. 2018, sec.
        4.1: the identity where the defense approximately preserves its input)."""
        return inputs

    def parameters_dict(self) -> dict[str, Any]:
        """The keyword parameters this defense was built with (recorded in results)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "training"}


class DefenseSpec(Strict):
    """One link of a chain as a suite writes it: ``{name = "quantize", bits = 8}``."""

    name: str
    params: dict[str, int | float | str | bool] = {}

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, value: Any) -> Any:
        """Every key but ``name`` is a parameter (a flat inline table in TOML)."""
        if isinstance(value, dict) and "params" not in value:
            return {"name": value.get("name"), "params": {k: v for k, v in value.items() if k != "name"}}
        return value

    @model_serializer(mode="plain")
    def _dump(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}


def defense_class(name: str, where: str) -> type[Defense]:
    """The registered class of ``name``; ``where`` (e.g. ``model 'x'``) prefixes the one-line error."""
    try:
        return DEFENSES.get(name)
    except BenchmarkError as error:
        raise BenchmarkError(f"{where}: {error}") from None


def build_defense(spec: DefenseSpec, where: str) -> Defense:
    """Instantiate one link; an unknown parameter names the close matches and the valid ones."""
    cls = defense_class(spec.name, where)
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    for key in spec.params:
        if key not in accepted:
            close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise BenchmarkError(
                f"{where}: defense {spec.name!r} has no parameter {key!r}; {hint}its parameters: "
                f"{', '.join(accepted) or 'none'}"
            )
    try:
        return cls(**spec.params)
    except (TypeError, ValueError) as error:
        raise BenchmarkError(f"{where}: defense {spec.name!r}: {error}; fix its parameters") from None


def check_chain(chain: Sequence[DefenseSpec], where: str) -> list[Defense]:
    """Build every link and check the order: waveform defenses first, then representation ones
    (a representation-domain defense cannot act before the representation exists)."""
    defenses = [build_defense(spec, where) for spec in chain]
    for before, after in itertools.pairwise(defenses):
        if before.domain == "representation" and after.domain == "waveform":
            raise BenchmarkError(
                f"{where}: defense {before.name!r} (domain representation) comes before {after.name!r} "
                f"(domain waveform): put waveform defenses first in the chain"
            )
    return defenses


def check_adaptive(chain: Sequence[DefenseSpec], *, bpda: bool, eot: int, where: str) -> None:
    """BPDA needs a link without an exact gradient; EOT needs a randomized link (one line otherwise)."""
    classes = [defense_class(spec.name, where) for spec in chain]
    if bpda and not any(cls.gradient != "exact" for cls in classes):
        named = ", ".join(repr(cls.name) for cls in classes) or "none"
        raise BenchmarkError(
            f"{where}: bpda = true, but every defense of the chain ({named}) has an exact gradient: "
            f"remove bpda (the standard attack already differentiates them)"
        )
    if eot > 1 and not any(cls.randomized for cls in classes):
        named = ", ".join(repr(cls.name) for cls in classes) or "none"
        raise BenchmarkError(
            f"{where}: eot = {eot}, but no defense of the chain ({named}) is randomized: set eot = 1 "
            f"(averaging identical gradients only multiplies the cost)"
        )
