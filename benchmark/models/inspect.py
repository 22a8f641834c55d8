"""Layer-by-layer output shapes, computed without allocating the model's real tensors.

The reference models are checked against the shape tables of their papers at the papers'
input sizes, which can be too large to run for real (Koerich's 2D CNN has a 405M-weight
dense layer), so the forward runs on the ``meta`` device.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import torch
from torch import nn
from torch.func import functional_call


def layer_output_shapes(
    model: nn.Module, example_input_shape: tuple[int, ...]
) -> list[tuple[str, tuple[int, ...]]]:
    """Return ``(type name, output shape without batch)`` for every leaf-layer call, in call order.

    ``example_input_shape`` excludes the batch dimension. The model itself is left untouched:
    its parameters and buffers are swapped for ``meta`` stand-ins for this one forward, so it
    may live on any device (or on ``meta`` already). A leaf whose output is a tuple (e.g. an
    LSTM) reports its first element.
    """
    records: list[tuple[str, tuple[int, ...]]] = []

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        tensor = output[0] if isinstance(output, tuple) else output
        records.append((type(module).__name__, tuple(tensor.shape[1:])))

    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    handles = [leaf.register_forward_hook(record) for leaf in leaves]
    state = {
        name: torch.empty_like(tensor, device="meta")
        for name, tensor in chain(model.named_parameters(), model.named_buffers())
    }
    dtype = next((t.dtype for t in state.values() if t.is_floating_point()), torch.get_default_dtype())
    # Batch of 2: batch norm in training mode rejects a single example per channel.
    example = torch.empty((2, *example_input_shape), device="meta", dtype=dtype)
    try:
        with torch.no_grad():
            functional_call(model, state, (example,))
    finally:
        for handle in handles:
            handle.remove()
    return records
