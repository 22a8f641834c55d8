"""What the third-party backends (ART, Foolbox) share: lazy import, model wrapping, side effects.

A library is imported only when one of its attacks is constructed, so the registry stays cheap
and a missing package is a one-line :class:`BenchmarkError` naming the fix. The library is
handed the :class:`CountingModel`, so its spending is counted by the same input hook as the
native engine's. Both libraries call ``loss.backward()``, which would also compute weight
gradients and accumulate them into the caller's model; parameters therefore stop requiring
gradients for the duration of an attack call (they are restored afterwards).
"""

from __future__ import annotations

import importlib
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import torch
from torch import nn

from benchmark.attacks.base import Attack, CountingModel
from benchmark.budgets import Bounds
from benchmark.errors import BenchmarkError


@contextmanager
def frozen_parameters(model: nn.Module) -> Iterator[None]:
    """Turn off ``requires_grad`` on the model's parameters, restoring it on exit."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    for parameter in trainable:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in trainable:
            parameter.requires_grad_(True)


class LibraryAttack(Attack):
    """An attack computed by a third-party library (subclasses name it and wrap models)."""

    #: import name of the library
    library: ClassVar[str]
    #: what to ``pip install`` when it is missing
    requirement: ClassVar[str]

    def __init__(self, **kwargs: Any) -> None:
        try:
            importlib.import_module(self.library)
        except ImportError as error:
            raise BenchmarkError(
                f"attack {self.name!r} (backend {self.backend!r}) needs {self.library!r}, which is not "
                f"installed: pip install {self.requirement}"
            ) from error
        super().__init__(**kwargs)
        self._wrapped: tuple[tuple[object, ...], Any] | None = None

    @abstractmethod
    def wrap(self, model: CountingModel, inputs: torch.Tensor, bounds: Bounds) -> Any:
        """The library's model object for ``model``, on inputs shaped and placed like ``inputs``."""

    def wrapped(self, model: CountingModel, inputs: torch.Tensor, bounds: Bounds) -> Any:
        """:meth:`wrap`, built once per attack call (BIM-a steps on the same model every iteration)."""
        key = (model, tuple(inputs.shape[1:]), inputs.device, bounds)
        if self._wrapped is None or self._wrapped[0] != key:
            self._wrapped = (key, self.wrap(model, inputs, bounds))
        return self._wrapped[1]

    @contextmanager
    def calling(self, model: nn.Module) -> Iterator[None]:
        """Freeze the model's parameters for the call, and drop the wrapper afterwards so the
        caller's model is not kept alive between calls."""
        try:
            with frozen_parameters(model):
                yield
        finally:
            self._wrapped = None
