"""Temporary run folders that outlive a killed ``arb`` only until the next command.

A ``TemporaryDirectory`` is removed on exit, Ctrl-C and SIGTERM, but SIGKILL runs no cleanup.
So each run folder is named after its owner, ``arb-<kind>-<owner>-<random>`` (owner: the PID
namespace's id and the process id), and ``arb run``, ``sweep``, ``validate`` and ``submit`` first
remove the folders whose owner is dead. The namespace id keeps a process in another container
sharing the temp dir from mistaking a live owner for a dead one.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

#: what makes run folders: the submission's run folder, the unsandboxed validation's, test-set rows
KINDS = ("submit", "validate", "rows")
_NAME = re.compile(rf"arb-(?:{'|'.join(KINDS)})-(\d+)\.(\d+)-.+")


def _namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def _owner() -> str:
    return f"{_namespace()}.{os.getpid()}"


def run_folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for one run of ``kind``, removed on leaving (or by a later command)."""
    return tempfile.TemporaryDirectory(prefix=f"arb-{kind}-{_owner()}-")


def make_run_folder(kind: str) -> Path:
    """The same, for an owner that removes it itself (``mkdtemp``)."""
    return Path(tempfile.mkdtemp(prefix=f"arb-{kind}-{_owner()}-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale() -> list[Path]:
    """Remove this user's run folders whose owner died (in this PID namespace); return them."""
    removed = []
    for path in sorted(Path(tempfile.gettempdir()).glob("arb-*")):
        match = _NAME.fullmatch(path.name)
        if match is None or int(match[1]) != _namespace() or _alive(int(match[2])):
            continue
        try:
            if path.lstat().st_uid != os.getuid() or not path.is_dir() or path.is_symlink():
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
