"""One registry mechanism for every kind of component (lm-evaluation-harness / timm style).

Names are declared once, in :mod:`benchmark.catalog`, as ``"module:attr"`` strings. A registry
reads its catalog table on first use (a lookup, a listing, ``in``) and imports an entry's module
on the entry's first :meth:`Registry.get`, so importing this module, or listing names, imports no
component, no heavy backend (ART, Foolbox) and reads no file until suites are listed.

The registry reads the catalog, never the reverse: the catalog is plain data that imports nothing
of this module, so the two form no import cycle, and every module keeps importing its registries
from here. An unknown name raises :class:`UnknownNameError` listing the closest registered names;
an entry of the wrong kind (a typo in the catalog) raises a one-line :class:`TypeError`.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from benchmark.errors import UnknownNameError

if TYPE_CHECKING:
    from torch import nn

    from benchmark.attacks.base import Attack
    from benchmark.catalog import SuiteFile
    from benchmark.data.base import AudioDataset
    from benchmark.defenses.base import Defense
    from benchmark.representations.base import Representation

T = TypeVar("T")


def import_target(target: str) -> Any:
    """The object that ``"package.module:attr"`` names, importing its module."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Kind:
    """What every entry of a registry must be: a subclass or an instance of the class ``base``
    (``"module:attr"``, imported only when an entry is checked, so declaring it costs nothing),
    or any callable."""

    relation: Literal["a subclass of", "an instance of", "callable"]
    base: str = ""

    def admits(self, obj: object) -> bool:
        if self.relation == "callable":
            return callable(obj)
        cls = import_target(self.base)
        if self.relation == "an instance of":
            return isinstance(obj, cls)
        return isinstance(obj, type) and issubclass(obj, cls)

    def __str__(self) -> str:
        return f"{self.relation} {self.base}".rstrip()


class Registry(Generic[T]):
    """A named table of components of one kind, filled by ``load`` on first use.

    ``load`` returns ``name -> "module:attr"`` (imported on first :meth:`get`) or ``name -> object``.
    """

    def __init__(self, kind: str, load: Callable[[], Mapping[str, str | T]], expect: Kind) -> None:
        self.kind = kind
        self.expect = expect
        self._load = load
        self._table: dict[str, str | T] | None = None
        self._resolved: dict[str, T] = {}

    @property
    def _entries(self) -> dict[str, str | T]:
        if self._table is None:
            self._table = dict(self._load())
        return self._table

    def get(self, name: str) -> T:
        """Return the component, importing it on first use and checking it is of this kind."""
        if name in self._resolved:
            return self._resolved[name]
        if name not in self._entries:
            close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            known = ", ".join(sorted(self._entries))
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; {hint or 'registered: ' + known}"
                + (f" (registered: {known})" if hint else "")
            )
        entry = self._entries[name]
        obj: T = import_target(entry) if isinstance(entry, str) else entry
        if not self.expect.admits(obj):
            where = entry if isinstance(entry, str) else repr(entry)
            raise TypeError(f"{self.kind} {name!r} is registered as {where}, which is not {self.expect}")
        self._resolved[name] = obj
        return obj

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


def _catalog() -> ModuleType:
    """:mod:`benchmark.catalog`, imported on a registry's first use (see the module docstring)."""
    from benchmark import catalog

    return catalog


DATASETS: Registry[type[AudioDataset]] = Registry(
    "dataset", lambda: _catalog().DATASET_CLASSES, Kind("a subclass of", "benchmark.data.base:AudioDataset")
)
REPRESENTATIONS: Registry[type[Representation]] = Registry(
    "representation",
    lambda: _catalog().REPRESENTATION_CLASSES,
    Kind("a subclass of", "benchmark.representations.base:Representation"),
)
#: model factories: ``factory(*, input_shape, num_classes, sample_rate, config) -> nn.Module``
MODELS: Registry[Callable[..., nn.Module]] = Registry(
    "model", lambda: _catalog().MODEL_FACTORIES, Kind("callable")
)
ATTACKS: Registry[type[Attack]] = Registry(
    "attack", lambda: _catalog().ATTACK_CLASSES, Kind("a subclass of", "benchmark.attacks.base:Attack")
)
DEFENSES: Registry[type[Defense]] = Registry(
    "defense", lambda: _catalog().DEFENSE_CLASSES, Kind("a subclass of", "benchmark.defenses.base:Defense")
)
SUITES: Registry[SuiteFile] = Registry(
    "suite", lambda: _catalog().suite_files(), Kind("an instance of", "benchmark.catalog:SuiteFile")
)

REGISTRIES: dict[str, Registry[Any]] = {
    "datasets": DATASETS,
    "representations": REPRESENTATIONS,
    "models": MODELS,
    "attacks": ATTACKS,
    "defenses": DEFENSES,
    "suites": SUITES,
}
