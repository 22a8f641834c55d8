"""The box's wire format: one length-prefixed frame per message, never pickle.

A frame is ``u32 header length`` + a JSON header (``op``, the arrays' shapes, an optional text)
+ the arrays' raw little-endian float32 bytes, one after the other. Only float32 travels, so
what the harness receives is exactly what the model computed (no conversion on the way), and a
hostile peer can send nothing but numbers of a declared shape and a short text.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time

import numpy as np

from benchmark.errors import SubmissionError

#: a header is a few shapes and at most one line of text
MAX_HEADER_BYTES = 1 << 16
#: one frame's arrays: far above any batch of the suites (64 x 257 x 63 floats are 4 MiB)
MAX_PAYLOAD_BYTES = 1 << 32
LENGTH = struct.Struct("<I")
DTYPE = np.dtype("<f4")


class ChannelClosed(SubmissionError):
    """The peer closed its end (it exited, crashed or was killed)."""


class ChannelTimeout(SubmissionError):
    """The deadline passed while waiting on the peer."""


def _wait(fd: int, writing: bool, deadline: float | None) -> None:
    remaining = None if deadline is None else deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
        raise ChannelTimeout("the deadline passed")
    ready = select.select([], [fd], [], remaining) if writing else select.select([fd], [], [], remaining)
    if not any(ready):
        raise ChannelTimeout("the deadline passed")


def _read_exact(fd: int, size: int, deadline: float | None) -> bytearray:
    """``size`` bytes read straight into a writable buffer (arrays built on it need no copy)."""
    buffer, done = bytearray(size), 0
    view = memoryview(buffer)
    while done < size:
        _wait(fd, False, deadline)
        try:
            count = os.readv(fd, [view[done : done + (1 << 22)]])
        except BlockingIOError:
            continue
        if not count:
            raise ChannelClosed("the other end closed the channel")
        done += count
    return buffer


def _write_all(fd: int, data: bytes | memoryview, deadline: float | None) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, True, deadline)
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            continue
        except BrokenPipeError:
            raise ChannelClosed("the other end closed the channel") from None


def send(
    fd: int, op: str, arrays: tuple[np.ndarray, ...] = (), *, text: str = "", deadline: float | None = None
) -> None:
    """Write one frame: the arrays as float32 (C order), in the order given."""
    arrays = tuple(np.ascontiguousarray(array, dtype=DTYPE) for array in arrays)
    header = json.dumps({"op": op, "shapes": [list(a.shape) for a in arrays], "text": text}).encode()
    _write_all(fd, LENGTH.pack(len(header)) + header, deadline)
    for array in arrays:
        if array.size:  # an empty array has no bytes (and numpy's buffer of it cannot be cast)
            _write_all(fd, array.data.cast("B"), deadline)


def _shape(value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > 8 or not all(type(n) is int and n >= 0 for n in value):
        raise SubmissionError(f"malformed frame: shape {value!r}")
    return tuple(value)


def receive(
    fd: int, *, deadline: float | None = None, max_bytes: int = MAX_PAYLOAD_BYTES
) -> tuple[str, tuple[np.ndarray, ...], str]:
    """Read one frame: ``(op, arrays, text)``; anything malformed, or arrays over ``max_bytes``
    (checked before they are read), is a :class:`SubmissionError`."""
    (length,) = LENGTH.unpack(_read_exact(fd, LENGTH.size, deadline))
    if length > MAX_HEADER_BYTES:
        raise SubmissionError(f"malformed frame: a {length}-byte header")
    try:
        header = json.loads(_read_exact(fd, length, deadline))
        op, shapes, text = str(header["op"]), [_shape(s) for s in header["shapes"]], str(header["text"])
    except (ValueError, KeyError, TypeError):
        raise SubmissionError("malformed frame: the header is not the expected JSON") from None
    sizes = [int(np.prod(shape, dtype=np.int64)) * DTYPE.itemsize for shape in shapes]
    if sum(sizes) > max_bytes:
        raise SubmissionError(f"malformed frame: {sum(sizes)} bytes of arrays, over the {max_bytes} expected")
    arrays = tuple(
        np.frombuffer(_read_exact(fd, size, deadline), dtype=DTYPE).reshape(shape)
        for shape, size in zip(shapes, sizes, strict=True)
    )
    return op, arrays, text
