"""Per-example outcomes: stable example ids, packed bits, track grouping and the worst case.

Results files keep, per attack cell and budget, which evaluated examples are classified
correctly under the attack, as bits (``numpy.packbits``, big-endian bit order, zero-padded to a
whole byte, base64): 260 examples take 44 characters. With the clean outcomes of the same
examples this gives RobustBench's robust accuracy (correct clean *and* under attack; Croce et al.
2021) and AutoAttack's per-example worst case over attacks (Croce & Hein 2020, sec. 4: an
example counts as robust only if it survives every attack).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

import numpy as np

#: separates the track id from the segment index in an example id (track ids may hold any other text)
ID_SEPARATOR = "#"


def example_ids(track_ids: Sequence[str], track_index: Sequence[int]) -> list[str]:
    """``<track id>#<segment index within the track>`` per segment, in test order."""
    seen: dict[int, int] = {}
    ids = []
    for track in track_index:
        position = seen.get(track, 0)
        seen[track] = position + 1
        ids.append(f"{track_ids[track]}{ID_SEPARATOR}{position}")
    return ids


def track_of(ids: Sequence[str]) -> np.ndarray:
    """Per example, the index of its track among the tracks in order of first appearance."""
    order: dict[str, int] = {}
    return np.array([order.setdefault(i.rsplit(ID_SEPARATOR, 1)[0], len(order)) for i in ids], dtype=np.int64)


def pack(bits: np.ndarray | Sequence[bool]) -> str:
    """Booleans as base64 of their packed bits."""
    return base64.b64encode(np.packbits(np.asarray(bits, dtype=bool)).tobytes()).decode("ascii")


def _packed(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8)


def unpack(text: str, count: int) -> np.ndarray:
    """The ``count`` booleans :func:`pack` stored in ``text``."""
    return np.unpackbits(_packed(text), count=count).astype(bool)


def differing(old: str, new: str) -> tuple[int, int] | None:
    """How many of two packed outcome strings' bits differ, and of how many (the byte padding
    included: at most 7 bits over the examples); None where their lengths differ."""
    a, b = (np.unpackbits(_packed(text)) for text in (old, new))
    return (int(np.count_nonzero(a != b)), len(a)) if len(a) == len(b) else None


def robust(clean_correct: np.ndarray, adversarial_correct: np.ndarray) -> np.ndarray:
    """RobustBench's robust outcome: correct when clean *and* under attack, so robust <= clean
    for every example and hence for every mean over examples."""
    return np.logical_and(clean_correct, adversarial_correct)


def worst_case(robust_per_attack: Sequence[np.ndarray]) -> np.ndarray:
    """AutoAttack's per-example worst case: robust only where every attack left the example robust."""
    return np.logical_and.reduce(np.stack(robust_per_attack), axis=0)


def packed(correct: Mapping[str, np.ndarray]) -> dict[str, str]:
    """The schema's ``Outcomes``: segment, MV and SR bits, each packed."""
    return {level: pack(correct[level]) for level in ("segment", "mv", "sr")}


def unpacked(outcomes: Mapping[str, str], segments: int, tracks: int) -> dict[str, np.ndarray]:
    """The bits :func:`packed` stored, for ``segments`` segments on ``tracks`` tracks."""
    counts = {"segment": segments, "mv": tracks, "sr": tracks}
    return {level: unpack(outcomes[level], count) for level, count in counts.items()}
