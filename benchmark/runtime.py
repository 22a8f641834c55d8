"""The run time every stage shares: device, determinism, seeds, and the provenance recorded in
every results file (versions, device, git commit)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import platform
import subprocess
from importlib import metadata

import numpy
import torch

from benchmark.errors import BenchmarkError
from benchmark.paths import installed, project_root


def make_deterministic() -> None:
    """Deterministic kernels wherever torch has them (DESIGN.md, Running); warn where it has none."""
    torch.use_deterministic_algorithms(True, warn_only=True)


def limit_threads(threads: int) -> None:
    """Pin torch's intra-op pool and every BLAS / OpenMP pool of this process to ``threads``: on a
    shared machine, a pool wider than the free cores stalls whenever another process holds one."""
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)


@functools.cache
def _libc_trim():
    """glibc's ``malloc_trim``, or ``None`` on other C libraries."""
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    return trim if platform.libc_ver()[0] == "glibc" else None


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS. glibc keeps a freed batch buffer mapped while a
    small live allocation sits above it on the heap, so a loop over batches that keeps small
    results (logits, norms) grows by a batch per step (measured: 0.6 -> 1.9 GB over one FGSM
    cell on 840 five-second segments; 0.6 GB after ``malloc_trim``)."""
    trim = _libc_trim()
    if trim is not None:
        trim(0)


def seed_generators(seed: int) -> None:
    """Seed torch's and NumPy's global generators at the start of every cell: ART draws its random
    restarts and Square's squares from NumPy's, Foolbox and the native engine from torch's, so a
    cell's numbers do not depend on which cells ran before it in the process (resume, cache)."""
    torch.manual_seed(seed)
    numpy.random.seed(seed)


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when available; asking for CUDA without it is an error, not a fallback."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BenchmarkError(f"device {name!r} requested but CUDA is not available; use --device cpu or auto")
    if name not in {"cpu"} and not name.startswith("cuda"):
        raise BenchmarkError(f"unknown device {name!r}; use auto, cpu or cuda[:N]")
    return torch.device(name)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def environment(device: torch.device) -> dict[str, str | None]:
    described = str(device)
    if device.type == "cuda":
        described += f" ({torch.cuda.get_device_name(device)})"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchaudio": _version("torchaudio") or "missing",
        "art": _version("adversarial-robustness-toolbox"),
        "foolbox": _version("foolbox"),
        "numpy": numpy.__version__,
        "device": described,
    }


def git_state() -> tuple[str | None, bool | None]:
    """(commit, dirty) of the project checkout, or (None, None) outside git. Changes under
    ``leaderboards/`` (the harness's own output, rewritten by every run) do not make it dirty."""
    if installed():  # a wheel's copy: any git repository around site-packages is not this code's
        return None, None
    root = project_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)leaderboards"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())
