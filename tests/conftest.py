"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch
from threadpoolctl import threadpool_limits


@pytest.fixture
def one_line_error(capsys) -> Callable[[], str]:
    """The CLI's error contract: exactly one line on stderr, starting ``arb: error:``."""

    def read() -> str:
        err = capsys.readouterr().err.strip()
        assert err.startswith("arb: error:") and "\n" not in err, err
        return err

    return read


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """One thread in every pool, torch's intra-op and the BLAS / OpenMP ones numpy and librosa use,
    restored after the module. The tests' models and batches gain nothing from a second thread, and
    on 2 shared cores a pool's second thread stalls every op whenever the other core is busy
    (measured: one attack call 0.1 s alone, 8 s beside a busy process; a compact GoogLeNet step 80x
    slower); speed benchmarks pin both sides alike, so neither gets threads the other lacks."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(threads)
