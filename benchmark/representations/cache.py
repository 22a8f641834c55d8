"""A content-addressed cache of representation outputs (DESIGN.md, Running: "a content-addressed
cache (features, ...)"): ``<cache>/features/<key[:2]>/<key>.safetensors``.

The key is the sha256 of the representation's settings (:meth:`Representation.config`, every
setting that determines its output), the torch version, and the exact bytes, shape and dtype of
the input waveforms, so the same audio through the same settings is computed once, and any
change to either is a different key. Files are written atomically and sealed with the sha256 of
their content (:func:`benchmark.jsonio.atomic_write_sealed`, as the cell cache's entries are); a
file that fails it (truncated, edited) is reported and recomputed, never used.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from benchmark.jsonio import atomic_write_sealed, canonical_json, read_sealed
from benchmark.paths import inside
from benchmark.progress import CONSOLE
from benchmark.representations.base import Representation

#: bump when the cache's layout or key changes
FEATURE_CACHE_VERSION = 2


def feature_key(representation: Representation, waveforms: torch.Tensor) -> str:
    digest = hashlib.sha256()
    settings = {"v": FEATURE_CACHE_VERSION, "torch": torch.__version__, **representation.config()}
    digest.update(canonical_json(settings).encode())
    digest.update(f"{tuple(waveforms.shape)} {waveforms.dtype}\n".encode())
    digest.update(waveforms.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def features_of(
    representation: Representation,
    waveforms: torch.Tensor,
    *,
    batch_size: int,
    device: torch.device,
    cache_root: Path | None,
) -> torch.Tensor:
    """The representation of every waveform, batched, on ``device``; read from / written to the
    cache under ``cache_root`` when one is given."""
    path = None
    if cache_root is not None:
        key = feature_key(representation, waveforms)
        path = inside(cache_root, "features", key[:2], f"{key}.safetensors", what="cache entry")
        if path.is_file():
            payload = read_sealed(path)
            try:
                if payload is not None:
                    return load(payload)["features"].to(device)
            except (SafetensorError, KeyError):
                pass
            CONSOLE.print(f"[yellow]feature cache entry {path} is corrupt; recomputing[/]")
    representation = representation.to(device)
    with torch.no_grad():
        features = torch.cat([representation(chunk.to(device)) for chunk in waveforms.split(batch_size)])
    if path is not None:
        atomic_write_sealed(path, save({"features": features.detach().cpu().contiguous()}))
    return features
