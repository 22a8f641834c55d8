"""``--unsafe-no-sandbox``: run submitted code in a child process with a wall-clock limit and a
memory limit (and :class:`Limits`, which the box uses too).

The child is ``python -m benchmark.submission.worker`` in a fresh run directory: it reads its
request from a JSON file there and writes its answer to another, so nothing the submitted code
prints can be mistaken for a result. This bounds time and memory; it is not a security sandbox
(the box of :mod:`benchmark.submission.box` is; the README's trust model compares the two).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.errors import SubmissionError
from benchmark.jsonio import atomic_write_json

REQUEST = "request.json"
RESULT = "result.json"


@dataclass(frozen=True)
class Limits:
    """Wall-clock seconds and bytes of memory the child may use."""

    seconds: float
    memory_bytes: int

    def apply(self) -> None:
        """In the child, before exec. RLIMIT_DATA bounds the heap and every private writable
        mapping (tensors, thread stacks) but not address space merely reserved, which CUDA
        reserves by the tens of GiB, so the same limit works on CPU and GPU (RLIMIT_AS does not)."""
        resource.setrlimit(resource.RLIMIT_DATA, (self.memory_bytes, self.memory_bytes))


def _last_line(path: Path) -> str:
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def run_worker(request: dict[str, Any], run_dir: Path, limits: Limits, *, stage: str) -> dict[str, Any]:
    """Run one worker request in ``run_dir`` and return its answer; every failure (an error the
    worker reports, a crash, the time limit) is one :class:`SubmissionError` line."""
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(run_dir / REQUEST, request)
    # Bytecode caches would be written into the submission folder; keep it untouched.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with open(run_dir / "stdout.log", "wb") as out, open(run_dir / "stderr.log", "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmark.submission.worker", REQUEST],
            cwd=run_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group: the time limit kills its children too
            preexec_fn=limits.apply,
        )
        timed_out = False
        try:
            process.wait(timeout=limits.seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            with contextlib.suppress(ProcessLookupError):  # whatever the submission left running
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if timed_out:
        raise SubmissionError(
            f"the submission ran past the {limits.seconds:g} s time limit while {stage}; "
            f"make it faster or raise --time-limit"
        )
    code = process.returncode
    result_path = run_dir / RESULT
    if code != 0 or not result_path.is_file():
        reason = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        raise SubmissionError(
            f"the submission's process {reason} while {stage} (memory limit "
            f"{limits.memory_bytes / 2**30:g} GiB): {_last_line(run_dir / 'stderr.log')}"
        )
    result = json.loads(result_path.read_text())
    if not result.get("ok"):
        raise SubmissionError(result["error"])
    return result
