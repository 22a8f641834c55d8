"""The generic registry: decorator and lazy registration, close-match errors, `arb list`."""

import subprocess
import sys

import pytest

from benchmark.errors import UnknownNameError
from benchmark.registry import ATTACKS, DATASETS, MODELS, REGISTRIES, REPRESENTATIONS, SUITES, Registry


def test_decorator_and_lazy_registration():
    registry: Registry[object] = Registry("widget")

    @registry.register("alpha")
    class Alpha:
        """An alpha widget."""

    registry.register_lazy("path", "pathlib:Path")
    assert registry.get("alpha") is Alpha
    assert registry.describe("alpha") == "An alpha widget."
    import pathlib

    assert registry.get("path") is pathlib.Path
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("alpha")(object())


def test_unknown_name_lists_close_matches_in_one_line():
    with pytest.raises(UnknownNameError) as caught:
        MODELS.get("cnn2")
    message = str(caught.value)
    assert "unknown model 'cnn2'" in message and "did you mean 'cnn2d'" in message
    assert "\n" not in message


def test_every_builtin_entry_resolves():
    for registry in (DATASETS, REPRESENTATIONS, MODELS, ATTACKS, SUITES):
        for name in registry.names():
            assert registry.get(name) is not None
    assert {"fgsm/native", "bim_a/art", "bim_b/foolbox"} <= set(ATTACKS.names())
    assert "quick" in SUITES


def test_importing_the_registry_does_not_import_heavy_backends():
    code = "import sys, benchmark.registry; print('art' in sys.modules, 'foolbox' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_arb_list_prints_each_kind():
    out = subprocess.run(
        [sys.executable, "-m", "benchmark.cli", "list"], capture_output=True, text=True, check=True
    ).stdout
    for kind in REGISTRIES:
        assert f"{kind}:" in out
    assert "cnn1d_gammatone" in out and "synth10" in out and "bim_b/native" in out
