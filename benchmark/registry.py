"""One registry mechanism for every kind of component (lm-evaluation-harness / timm style).

Components register by decorator (``@MODELS.register("cnn2d")``) or lazily by a
``"module:attr"`` string, so that heavy backends (ART, Foolbox) are only imported when an
entry that needs them is used. An unknown name raises :class:`UnknownNameError` listing the
closest registered names.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from benchmark.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named table of components of one kind (datasets, models, attacks, ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | str] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated object under ``name``."""

        def decorate(obj: T) -> T:
            self._add(name, obj)
            return obj

        return decorate

    def register_lazy(self, name: str, target: str) -> None:
        """Register ``"package.module:attr"``; it is imported on first :meth:`get`."""
        if ":" not in target:
            raise ValueError(f"lazy target {target!r} must look like 'module:attr'")
        self._add(name, target)

    def _add(self, name: str, obj: T | str) -> None:
        existing = self._entries.get(name)
        # A lazy entry is replaced by the object it points to when its module is imported.
        if existing is not None and not isinstance(existing, str) and existing is not obj:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        if existing is None or isinstance(existing, str):
            self._entries[name] = obj

    def get(self, name: str) -> T:
        """Return the component, importing it if it was registered lazily."""
        if name not in self._entries:
            close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            known = ", ".join(sorted(self._entries))
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; {hint or 'registered: ' + known}"
                + (f" (registered: {known})" if hint else "")
            )
        entry = self._entries[name]
        if isinstance(entry, str):
            module_name, attr = entry.split(":", 1)
            obj: T = getattr(importlib.import_module(module_name), attr)
            self._entries[name] = obj
            return obj
        return entry

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def describe(self, name: str) -> str:
        """An entry's own ``summary()`` if it has one, else its first docstring line."""
        obj: Any = self.get(name)
        if callable(getattr(obj, "summary", None)):
            return obj.summary()
        doc = (getattr(obj, "__doc__", None) or "").strip().splitlines()
        return doc[0] if doc else ""


DATASETS: Registry[Any] = Registry("dataset")
REPRESENTATIONS: Registry[Any] = Registry("representation")
MODELS: Registry[Any] = Registry("model")
ATTACKS: Registry[Any] = Registry("attack")
SUITES: Registry[Any] = Registry("suite")

REGISTRIES: dict[str, Registry[Any]] = {
    "datasets": DATASETS,
    "representations": REPRESENTATIONS,
    "models": MODELS,
    "attacks": ATTACKS,
    "suites": SUITES,
}

import benchmark.catalog  # noqa: E402, F401  (fills the registries lazily)
