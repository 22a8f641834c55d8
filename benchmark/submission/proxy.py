"""The boxed model seen from the harness: a ``torch.nn.Module`` whose forward asks the box.

Its forward is a custom :class:`torch.autograd.Function` (forward -> ``box.forward``, backward
-> ``box.backward``), so every attack backend (native, ART, Foolbox) differentiates through it
unchanged, the harness's gradient counter (a hook on the model input) fires as for any model,
and every number is computed here, in the harness process. Batches travel as float32 on the CPU
and come back on the input's device.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import torch
from torch import nn

from benchmark.submission.box import Box

#: forward batches remembered for the re-query check (the last ones a cell scored)
REMEMBERED = 4


def _array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to("cpu", torch.float32).contiguous().numpy()


class _BoxFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, network: BoxedNetwork) -> torch.Tensor:
        ctx.network = network
        ctx.save_for_backward(x)
        return network.ask_forward(x, keep=bool(ctx.needs_input_grad[0]))

    @staticmethod
    def backward(ctx: Any, grad_logits: torch.Tensor) -> tuple[torch.Tensor | None, None]:
        (x,) = ctx.saved_tensors
        grad = ctx.network.box.backward(_array(x), _array(grad_logits))
        return (None if grad is None else torch.from_numpy(grad).to(x.device, x.dtype)), None


class BoxedNetwork(nn.Module):
    """The submitted network, living in ``box``: same logits, same input gradients."""

    def __init__(self, box: Box) -> None:
        super().__init__()
        self.box = box
        self.architecture = str(box.facts["architecture"])
        self.parameter_count = int(box.facts["parameters"])
        self.recent: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=REMEMBERED)
        self.eval()  # as the boxed network is (Foolbox warns about a module in training mode)

    def ask_forward(self, x: torch.Tensor, *, keep: bool) -> torch.Tensor:
        """The box's logits for ``x``, remembered (input and answer) for :func:`requery`."""
        array = _array(x)
        logits = self.box.forward(array, keep=keep)
        self.recent.append((array.copy(), logits.copy()))  # the caller may change either in place
        return torch.from_numpy(logits).to(x.device, x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _BoxFunction.apply(x, self)
