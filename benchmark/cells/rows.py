"""Row stores: a test set's waveforms, features and reconstructions, read by the batch.

A small test set is held whole on the device (:class:`ResidentRows`): every row of a cell's
batches is one index away and nothing is copied per batch. A large one (GTZAN in the
`koerich2020` suite is ~3 GiB of test segments, as much again in STFT features) would not fit
beside the model, so it is written once to a content-addressed file and read back a batch at a
time (:class:`StoredRows`): the process then holds a batch, not the dataset. Both answer the
same ``rows[index]``, so cells never know which one they read, and the numbers are identical
(a test runs a cell both ways).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmark.jsonio import atomic_write_json
from benchmark.runtime import release_free_memory

Index = int | slice | torch.Tensor

#: bump when the stored layout changes
ROWS_VERSION = 1


class Rows(ABC):
    """``N`` float32 rows of one shape, on a device, indexed by a slice or an index tensor."""

    shape: tuple[int, ...]
    device: torch.device
    #: what the rows are (a content hash), from which the keys of rows derived from them follow
    key: str

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Index) -> torch.Tensor:
        if isinstance(index, int):
            return self.read(torch.tensor([index]))[0]
        if isinstance(index, slice):
            index = torch.arange(len(self))[index]
        return self.read(index.reshape(-1))

    @abstractmethod
    def read(self, index: torch.Tensor) -> torch.Tensor:
        """The rows at ``index`` (1-D, any device) on :attr:`device`, in that order."""

    def subset(self, index: torch.Tensor) -> Rows:
        return SubsetRows(self, index)


class ResidentRows(Rows):
    def __init__(self, tensor: torch.Tensor, key: str) -> None:
        self.tensor, self.key = tensor, key
        self.shape = tuple(tensor.shape)
        self.device = tensor.device

    def __getitem__(self, index: Index) -> torch.Tensor:
        if isinstance(index, int | slice):
            return self.tensor[index]
        return self.read(index.reshape(-1))

    def read(self, index: torch.Tensor) -> torch.Tensor:
        return self.tensor[index.to(self.device)]


class SubsetRows(Rows):
    """The rows of ``parent`` at ``index``, renumbered from 0, read through the parent."""

    def __init__(self, parent: Rows, index: torch.Tensor) -> None:
        self.parent, self.index = parent, index.cpu()
        self.key = f"{parent.key}[{len(self.index)}]"
        self.shape = (len(self.index), *parent.shape[1:])
        self.device = parent.device

    def read(self, index: torch.Tensor) -> torch.Tensor:
        return self.parent.read(self.index[index.cpu()])


class StoredRows(Rows):
    """Rows in a raw little-endian float32 file; each read touches only the rows it returns."""

    def __init__(self, path: Path, shape: tuple[int, ...], device: torch.device) -> None:
        self.path, self.shape, self.device = path, shape, device
        self.key = path.stem
        self.row_values = int(np.prod(shape[1:], dtype=np.int64))

    def read(self, index: torch.Tensor) -> torch.Tensor:
        release_free_memory()  # the previous batch's buffers, before this one is read
        unique, inverse = np.unique(index.cpu().numpy().astype(np.int64), return_inverse=True)
        block = np.empty((len(unique), self.row_values), dtype="<f4")
        filled = 0
        with open(self.path, "rb") as handle:
            for start, stop in _runs(unique):
                count = stop - start
                handle.seek(start * self.row_values * 4)
                values = np.fromfile(handle, dtype="<f4", count=count * self.row_values)
                block[filled : filled + count] = values.reshape(count, self.row_values)
                filled += count
        rows = block[inverse.reshape(-1)].astype(np.float32, copy=False)
        return torch.from_numpy(rows).reshape(len(rows), *self.shape[1:]).to(self.device)


def _runs(unique: np.ndarray) -> Iterator[tuple[int, int]]:
    """Ranges ``[start, stop)`` of consecutive rows of sorted distinct ``unique``: few reads a batch."""
    if not len(unique):
        return
    breaks = np.flatnonzero(np.diff(unique) != 1) + 1
    for part in np.split(unique, breaks):
        yield int(part[0]), int(part[-1]) + 1


def _entry_paths(folder: Path, key: str) -> tuple[Path, Path]:
    path = folder / "rows" / key[:2] / f"{key}.f32"
    return path, path.with_suffix(".json")


def store_rows(
    folder: Path,
    key: str,
    chunks: Iterable[torch.Tensor],
    device: torch.device,
    extra: Callable[[], Any] | None = None,
) -> StoredRows:
    """The rows of ``chunks`` stored under ``folder/rows/<key>``, written once and reused.

    The file is written beside its destination and renamed into place only when complete, with
    a sidecar naming its shape, the sha256 of its bytes and ``extra()`` (JSON, read after the
    last chunk); an entry whose size or checksum does not match (truncated, edited) is
    rewritten, never read.
    """
    found = stored_extra(folder, key, device)
    if found is not None:
        return found[0]
    path, meta_path = _entry_paths(folder, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    digest, count, row_shape = hashlib.sha256(), 0, ()
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                payload = chunk.detach().cpu().contiguous().numpy().astype("<f4", copy=False).tobytes()
                digest.update(payload)
                stream.write(payload)
                count, row_shape = count + len(chunk), tuple(chunk.shape[1:])
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    shape = (count, *row_shape)
    meta = {"v": ROWS_VERSION, "shape": list(shape), "sha256": digest.hexdigest()}
    atomic_write_json(meta_path, {**meta, "extra": extra() if extra is not None else None})
    return StoredRows(path, shape, device)


def stored_extra(folder: Path, key: str, device: torch.device) -> tuple[StoredRows, Any] | None:
    """The complete, intact entry of ``key`` and its extra, or ``None`` (absent or damaged)."""
    path, meta_path = _entry_paths(folder, key)
    try:
        meta = json.loads(meta_path.read_text())
        shape = tuple(int(n) for n in meta["shape"])
        if meta.get("v") != ROWS_VERSION or path.stat().st_size != 4 * int(np.prod(shape, dtype=np.int64)):
            return None
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
        if digest.hexdigest() != meta["sha256"]:
            return None
        return StoredRows(path, shape, device), meta.get("extra")
    except (OSError, ValueError, KeyError, TypeError):
        return None
