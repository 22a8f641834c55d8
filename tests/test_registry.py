"""The registries: one declaration per component (the catalog), lazy loading, typed entries,
close-match errors, `arb list`."""

import ast
import subprocess
import sys
from collections import Counter

import pytest

from benchmark import catalog
from benchmark.errors import UnknownNameError
from benchmark.paths import project_root
from benchmark.registry import DEFENSES, MODELS, REGISTRIES, SUITES, Kind, Registry

PACKAGE = project_root() / "benchmark"


def widgets(table: dict[str, object]) -> Registry[type]:
    return Registry("widget", lambda: table, Kind("a subclass of", "pathlib:PurePath"))


def test_lazy_entries_resolve_on_first_get_and_are_checked():
    import pathlib

    registry = widgets({"path": "pathlib:Path", "posix": pathlib.PurePosixPath, "bad": "pathlib:os"})
    assert registry.names() == ["bad", "path", "posix"]
    assert registry.get("path") is pathlib.Path and registry.get("posix") is pathlib.PurePosixPath
    with pytest.raises(TypeError) as caught:
        registry.get("bad")
    assert str(caught.value) == (
        "widget 'bad' is registered as pathlib:os, which is not a subclass of pathlib:PurePath"
    )


def test_the_table_is_loaded_on_first_use_only():
    loads = []
    registry: Registry[type] = Registry(
        "widget",
        lambda: loads.append(1) or {"path": "pathlib:Path"},
        Kind("a subclass of", "pathlib:PurePath"),
    )
    assert loads == []
    assert "path" in registry and registry.names() == ["path"] and loads == [1]


def test_describe_is_the_summary_or_the_first_docstring_line():
    assert (
        MODELS.describe("cnn2d")
        == "2D spectrogram CNN of Koerich et al. 2020, Table I; input (B, C, F, N), output logits."
    )
    assert SUITES.describe("quick").startswith("Koerich et al. 2020 models on synth10")
    # a defense says what an attacker must know before its source
    assert DEFENSES.describe("mp3").startswith(
        "[waveform; gradient none, BPDA surrogate: lowpass at the encoder's measured band edge] MP3 at"
    )
    assert DEFENSES.describe("noise").startswith("[waveform; gradient exact, randomized] Additive")


def test_unknown_name_lists_close_matches_in_one_line():
    with pytest.raises(UnknownNameError) as caught:
        MODELS.get("cnn2")
    message = str(caught.value)
    assert "unknown model 'cnn2'" in message and "did you mean 'cnn2d'" in message
    assert "\n" not in message


@pytest.mark.parametrize("kind", list(REGISTRIES))
def test_every_name_resolves_to_its_kind_and_one_component_has_one_name(kind):
    registry = REGISTRIES[kind]
    resolved = {name: registry.get(name) for name in registry.names()}
    assert all(registry.expect.admits(obj) for obj in resolved.values())
    twice = [obj for obj, count in Counter(resolved.values()).items() if count > 1]
    assert not twice, f"{kind}: registered under two names: {twice}"


def test_the_catalog_declares_the_builtins():
    assert {"fgsm/native", "bim_a/art", "bim_b/foolbox"} <= set(REGISTRIES["attacks"].names())
    assert "quick" in SUITES and SUITES.get("quick").path.name == "quick.toml"
    # An attack's name is <attack>/<backend>, as the class declares them.
    for name in REGISTRIES["attacks"]:
        cls = REGISTRIES["attacks"].get(name)
        assert name == f"{cls.name}/{cls.backend}"
    for name in REGISTRIES["representations"]:
        assert REGISTRIES["representations"].get(name).name == name


def _calls(tree: ast.AST, attrs: set[str]) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in attrs
    ]


def test_components_are_registered_only_in_the_catalog():
    """No module registers by decorator or call, and the catalog's names are literal strings."""
    for path in sorted(PACKAGE.rglob("*.py")):
        found = _calls(ast.parse(path.read_text()), {"register", "register_lazy"})
        assert not found, f"{path.relative_to(project_root())}:{found[0]} registers a component"
    tables = [catalog.DATASET_CLASSES, catalog.REPRESENTATION_CLASSES, catalog.MODEL_FACTORIES]
    tables.append(catalog.ATTACK_CLASSES)
    literal = {
        node.value
        for node in ast.walk(ast.parse((PACKAGE / "catalog.py").read_text()))
        if isinstance(node, ast.Constant)
    }
    for table in tables:
        assert all(name in literal and target in literal for name, target in table.items())
        assert len(set(table.values())) == len(table), "two names point at one target"


def test_the_registry_reads_the_catalog_and_not_the_reverse():
    """No import cycle: the registry imports the catalog only on first use, the catalog never
    imports the registry."""

    def imports(name: str, *, anywhere: bool) -> set[str]:
        tree = ast.parse((PACKAGE / name).read_text())
        nodes = ast.walk(tree) if anywhere else iter(tree.body)
        found = set()
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        return found

    assert not [m for m in imports("registry.py", anywhere=False) if "catalog" in m]
    assert not [m for m in imports("catalog.py", anywhere=True) if "registry" in m]


def test_importing_or_listing_imports_no_component():
    code = (
        "import sys; from benchmark.registry import REGISTRIES\n"
        "assert 'benchmark.catalog' not in sys.modules\n"
        "names = [name for registry in REGISTRIES.values() for name in registry]\n"
        "print(len(names), sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'art', 'foolbox', 'numpy') or m.startswith('benchmark.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    count, modules = out.split(" ", 1)
    assert int(count) > 50
    assert (
        modules.strip()
        == "['benchmark.catalog', 'benchmark.errors', 'benchmark.paths', 'benchmark.registry']"
    )


def test_arb_list_prints_each_kind():
    out = subprocess.run(
        [sys.executable, "-m", "benchmark.cli", "list"], capture_output=True, text=True, check=True
    ).stdout
    for kind in REGISTRIES:
        assert f"{kind}:" in out
    assert "cnn1d_gammatone" in out and "synth10" in out and "bim_b/native" in out
