"""The box: the submitted model in a bubblewrap sandbox, answering forward and backward only.

``bwrap`` gives the model process (:mod:`benchmark.submission.box_server`) a read-only view of the
submission, the Python environment and the harness package, a private tmpfs ``/tmp`` (and
``/dev/shm``) of at most :data:`TMP_BYTES` each, a read-only ``/dev``, no network
and its own PID namespace (``--unshare-all``), a new session, and it dies with its parent
(``--die-with-parent``): when the harness exits, however it exits, the namespace's init dies and
the kernel kills everything the model started. CPU time and memory are bounded by rlimits set
before ``bwrap`` starts (inherited by everything inside); the wall-clock limit is a deadline on
every answer the harness waits for.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import benchmark
from benchmark.errors import SubmissionError
from benchmark.submission.frames import ChannelClosed, ChannelTimeout, receive, send
from benchmark.submission.sandbox import Limits

UNSAFE_FLAG = "--unsafe-no-sandbox"
#: any file the model writes, its stderr included (RLIMIT_FSIZE): a chatty model cannot fill a disk
MAX_FILE_BYTES = 1 << 30
#: the size of the box's /tmp and of its /dev/shm: tmpfs pages are memory no rlimit counts, so
#: without a cap a model could fill the host's RAM through them
TMP_BYTES = 256 << 20
#: the end of the model's stderr read for the last line of a crash
STDERR_TAIL = 1 << 16
#: the host's system folders the model may read (those that exist; symlinks stay symlinks)
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: the few files of /etc a Python process reads
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd")


def _binds() -> list[str]:
    args = []
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC:
        args += ["--ro-bind-try", path, path]
    package = Path(benchmark.__file__).resolve().parent
    roots = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix), str(package)}
    for root in sorted(roots):
        args += ["--ro-bind", root, root]
    return args


def bwrap_command(folder: Path, device: str) -> list[str]:
    """The bwrap invocation for ``folder``'s model on ``device`` (GPUs: their /dev/nvidia* nodes)."""
    package_parent = str(Path(benchmark.__file__).resolve().parent.parent)
    gpus = [str(p) for p in sorted(Path("/dev").glob("nvidia*"))] if device.startswith("cuda") else []
    return [
        shutil.which("bwrap") or "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(TMP_BYTES), "--tmpfs", "/dev/shm",
        "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
        *_binds(),
        *[arg for gpu in gpus for arg in ("--dev-bind", gpu, gpu)],
        "--remount-ro", "/dev",  # its tmpfs would be RAM without a cap too
        "--ro-bind", str(folder), str(folder),
        "--chdir", "/tmp",
        "--setenv", "HOME", "/tmp",
        "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "PYTHONPATH", package_parent,
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        "--setenv", "LANG", "C.UTF-8",
        "--",
        sys.executable, "-m", "benchmark.submission.box_server",
    ]  # fmt: skip


@functools.cache
def sandbox_problem() -> str | None:
    """Why bwrap cannot start here (not installed, user namespaces disabled...), or ``None``."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    probe = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", *_binds(), "--", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap does not run ({error})"
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        return f"bwrap cannot create its namespaces ({lines[-1] if lines else f'exit {done.returncode}'})"
    return None


def require_sandbox() -> None:
    """One line naming the problem and ``--unsafe-no-sandbox`` where the box cannot start."""
    problem = sandbox_problem()
    if problem is not None:
        raise SubmissionError(
            f"the sandbox cannot start: {problem}; install bubblewrap and allow unprivileged user "
            f"namespaces, or pass {UNSAFE_FLAG} to run the submission unsandboxed (trusted code only)"
        )


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _wait_dead(pid: int, *, seconds: float) -> None:
    """Until ``pid`` is gone or a zombie (``R``/``S``/``D`` -> ``Z``), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.005)


class Box:
    """A started box: ``forward`` and ``backward`` on numpy float32 batches, each call counted."""

    def __init__(self, folder: Path, limits: Limits, *, device: str, threads: int, stage: str) -> None:
        self.limits, self.stage = limits, stage
        self.deadline = time.monotonic() + limits.seconds
        self.calls = {"forward": 0, "backward": 0}
        # a file, not a pipe: a chatty model cannot block on it; closed in __exit__
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115
        cpu = max(1, int(limits.seconds))

        def rlimits() -> None:
            limits.apply()
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
            resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))

        self.process = subprocess.Popen(
            [*bwrap_command(folder.resolve(), device), str(folder.resolve()), device, str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            preexec_fn=rlimits,
            start_new_session=True,  # a Ctrl-C reaches the harness only, which then closes the box
        )
        self.write, self.read = self.process.stdin.fileno(), self.process.stdout.fileno()
        os.set_blocking(self.write, False)
        try:
            self.facts = self._ready()
        except BaseException:
            self.__exit__()
            raise

    def _ready(self) -> dict[str, Any]:
        """The box's first answer: the model's architecture name and parameter count."""
        op, _, text = self._answer()
        try:
            facts = json.loads(text) if op == "ready" else None
        except ValueError:
            facts = None
        if not (
            isinstance(facts, dict)
            and isinstance(facts.get("architecture"), str)
            and type(facts.get("parameters")) is int
        ):
            raise SubmissionError(f"the box's first answer is not the model's description: {op!r}")
        return facts

    def _answer(self, max_bytes: int = 0) -> tuple[str, tuple[np.ndarray, ...], str]:
        """The next frame; at most ``max_bytes`` of arrays, so a box cannot make the harness allocate
        more than the question's size."""
        try:
            op, arrays, text = receive(self.read, deadline=self.deadline, max_bytes=max_bytes)
        except ChannelTimeout:
            self.close()
            raise SubmissionError(
                f"the submission ran past the {self.limits.seconds:g} s time limit while {self.stage}; "
                f"make it faster or raise --time-limit"
            ) from None
        except ChannelClosed:
            raise SubmissionError(self._died()) from None
        except SubmissionError as error:  # a malformed frame: something else wrote into the channel
            self.close()
            raise SubmissionError(
                f"the box sent a malformed answer while {self.stage} ({error}); the submitted code must "
                f"not write to file descriptors it did not open"
            ) from None
        if op == "error":  # one line, whatever the box sent
            raise SubmissionError(" ".join(text.split())[:1000] or "the box reported an error")
        return op, arrays, text

    def _died(self) -> str:
        code = self.close()
        self.stderr.seek(max(0, self.stderr.seek(0, os.SEEK_END) - STDERR_TAIL))
        lines = [line for line in self.stderr.read().decode(errors="replace").splitlines() if line.strip()]
        reason = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return (
            f"the submission's process {reason} while {self.stage} (memory limit "
            f"{self.limits.memory_bytes / 2**30:g} GiB, CPU time {self.limits.seconds:g} s): "
            f"{lines[-1].strip() if lines else 'no output'}"
        )

    def _ask(self, op: str, arrays: tuple[np.ndarray, ...], text: str = "") -> tuple[np.ndarray, ...]:
        self.calls[op] += 1
        try:
            send(self.write, op, arrays, text=text, deadline=self.deadline)
        except ChannelClosed:
            raise SubmissionError(self._died()) from None
        # a gradient is x's size; logits (batch, classes) fit in it, or in 1 MiB per example
        return self._answer(max_bytes=arrays[0].nbytes + len(arrays[0]) * (1 << 20))[1]

    def forward(self, x: np.ndarray, *, keep: bool) -> np.ndarray:
        """Logits of the batch ``x``; ``keep``: a ``backward`` on the same ``x`` follows."""
        answer = self._ask("forward", (x,), "keep" if keep else "")
        if len(answer) != 1 or answer[0].ndim != 2 or len(answer[0]) != len(x):
            shapes = [a.shape for a in answer]
            raise SubmissionError(f"the box answered a batch of {len(x)} with arrays of shapes {shapes}")
        return answer[0]

    def backward(self, x: np.ndarray, grad_logits: np.ndarray) -> np.ndarray | None:
        """``grad_logits^T d logits / dx`` for the batch ``x``; ``None``: no gradient reaches ``x``."""
        answer = self._ask("backward", (x, grad_logits))
        if answer and (len(answer) != 1 or answer[0].shape != x.shape):
            shapes = [a.shape for a in answer]
            raise SubmissionError(f"the box answered an input of shape {x.shape} with gradients {shapes}")
        return answer[0] if answer else None

    def close(self) -> int:
        """Kill the box and return once everything it started is dead: killing bwrap kills the
        namespace's init (``--die-with-parent``), whose exit kills every process in the namespace
        before it turns zombie, so its state is the signal."""
        if self.process.poll() is None:
            init = _children(self.process.pid)
            self.process.kill()
            for pid in init:
                _wait_dead(pid, seconds=10)
        return self.process.wait()

    def __enter__(self) -> Box:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        for stream in (self.process.stdin, self.process.stdout, self.stderr):
            stream.close()
