"""Interrupting a command the way a user does: a signal once it is under way, and the message it
leaves (the executor and sweep tests share these)."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

#: the interrupt message of `arb run` / `arb sweep`: cells kept, cells planned
KEPT = re.compile(r"arb: interrupted; (\d+) of (\d+) cells finished and are cached; run the same command")


def signal_when(process: subprocess.Popen, ready: Callable[[], bool], signum: int) -> None:
    """Send ``signum`` to ``process`` once ``ready()`` holds (polled every 0.2 s, 240 s at most)."""
    deadline = time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            process.send_signal(signum)
            return
        time.sleep(0.2)
    pytest.fail("the command ended before it could be interrupted")


def catches_sigterm(pid: int) -> bool:
    """Whether ``pid`` has its SIGTERM handler installed (``arb`` does so inside ``main``, after
    imports that take seconds on a loaded machine: a signal before then ends it without a word)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)
