"""Shared test helpers."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def one_line_error(capsys) -> Callable[[], str]:
    """The CLI's error contract: exactly one line on stderr, starting ``arb: error:``."""

    def read() -> str:
        err = capsys.readouterr().err.strip()
        assert err.startswith("arb: error:") and "\n" not in err, err
        return err

    return read
