"""Imports run down the data flow: no module under ``benchmark/`` imports from a stage above it.

Every module is parsed with :mod:`ast`, so imports inside functions count too; imports under
``if TYPE_CHECKING:`` (annotations only, never executed) are exempt. A new module or package is
placed by adding its first name (``benchmark/<name>``) to :data:`LAYERS`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from benchmark.paths import project_root

PACKAGE = project_root() / "benchmark"

#: stages, low to high, each with the first names (``benchmark/<name>``) it holds; a module may
#: import from its own stage and the ones before it
LAYERS: list[tuple[str, set[str]]] = [
    (
        "core",
        {
            "__init__",
            "errors",
            "jsonio",
            "paths",
            "runfolders",
            "validation",
            "progress",
            "registry",
            "catalog",
            "tolerances",
            "budgets",
            "metrics",
            "outcomes",
            "bootstrap",
            "runtime",
        },
    ),
    ("data", {"data"}),
    ("representations", {"representations"}),
    ("defenses", {"defenses"}),
    ("models", {"models"}),
    ("attacks", {"attacks"}),
    ("training", {"training", "random_features", "adversarial_training"}),
    ("leaderboard", {"leaderboard"}),
    ("plan", {"plan"}),
    ("cells", {"cells"}),
    ("publish", {"publish"}),
    ("front ends", {"harness", "submission", "evaluation", "api"}),
    ("cli", {"cli"}),
]
STAGE: dict[str, int] = {name: level for level, (_, names) in enumerate(LAYERS) for name in names}

#: known imports against the order, as ``(importing module, imported module)``: each names code
#: that is being moved; delete the line when it is gone (the test fails on a stale one)
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()
#: the one sanctioned upward import: the package's ``__getattr__`` resolves the public API
#: (``from benchmark import evaluate``) from the front end on first access, never at import time
FACADE: set[tuple[str, str]] = {("benchmark", "benchmark.api")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> int:
    """The stage of ``benchmark.<name>...``: its first name after ``benchmark``."""
    name = module.split(".")[1] if "." in module else "__init__"
    assert name in STAGE, f"benchmark/{name} is in no layer: add {name!r} to LAYERS in {Path(__file__).name}"
    return STAGE[name]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """``(module, line)`` of every ``benchmark`` import in ``path``, at any depth, except under
    ``if TYPE_CHECKING:``; ``from benchmark import x`` imports ``benchmark.x`` when that is a module."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parent = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule if _is_module(submodule) else base, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return sorted({(module, line) for module, line in found if module.split(".")[0] == "benchmark"})


def upward_imports() -> list[tuple[str, str, int]]:
    """``(importer, imported, line)`` for every import from a later stage."""
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for imported, line in imported_modules(path):
            if stage_of(imported) > stage_of(importer):
                upward.append((importer, imported, line))
    return upward


def test_every_module_has_a_stage():
    for path in PACKAGE.rglob("*.py"):
        stage_of(module_name(path))


def test_no_module_imports_from_a_later_stage():
    unexpected = [
        f"{importer}:{line} ({LAYERS[stage_of(importer)][0]}) imports {imported} "
        f"({LAYERS[stage_of(imported)][0]})"
        for importer, imported, line in upward_imports()
        if (importer, imported) not in KNOWN_EXCEPTIONS | FACADE
    ]
    assert not unexpected, "imports against the data flow:\n" + "\n".join(unexpected)


def test_known_exceptions_are_still_needed():
    stale = KNOWN_EXCEPTIONS - {(importer, imported) for importer, imported, _ in upward_imports()}
    assert not stale, f"fixed, remove from KNOWN_EXCEPTIONS: {sorted(stale)}"


def test_scoring_needs_only_results():
    """The score and flags are computed from a results file alone (a migration re-scores old files),
    so scoring imports only core modules and the schema, never a component."""
    allowed = {"benchmark.leaderboard.schema"}
    imported = {module for module, _ in imported_modules(PACKAGE / "leaderboard" / "scoring.py")}
    assert {m for m in imported if stage_of(m) > 0} <= allowed
