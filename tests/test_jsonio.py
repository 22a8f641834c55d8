"""Atomic writes give the mode a plain ``open()`` would (0o666 less the umask), not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmark import jsonio


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under the umask given by the parameter, then restore the process's own."""
    previous = os.umask(request.param)
    jsonio._umask.cache_clear()
    try:
        yield request.param
    finally:
        os.umask(previous)
        jsonio._umask.cache_clear()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("umask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)], indirect=["umask"]
)
def test_atomic_write_has_the_mode_open_would_give(tmp_path: Path, umask: int, expected: int) -> None:
    written, plain = tmp_path / "result.json", tmp_path / "plain.txt"
    jsonio.atomic_write_json(written, {"score": 1.0})
    plain.write_text("x")
    assert mode(written) == mode(plain) == expected
    jsonio.atomic_write_bytes(written, b"{}\n")  # replacing a file keeps the same rule
    assert mode(written) == expected and written.read_bytes() == b"{}\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("umask", [0o027], indirect=True)
def test_default_mode_for_files_and_folders(tmp_path: Path, umask: int) -> None:
    assert jsonio.default_mode() == 0o640 and jsonio.default_mode(directory=True) == 0o750
    (tmp_path / "made").mkdir()
    assert mode(tmp_path / "made") == jsonio.default_mode(directory=True)
