"""Masking evidence measured on a classifier (Athalye et al. 2018, sec. 3; Carlini et al. 2019,
"On evaluating adversarial robustness", sec. 5): gradients that vanish or break, and outputs
that change between two passes of one input. Numbers, so a flag can show them."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def zero_gradient_fraction(network: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of examples whose cross-entropy input gradient is all zero or not finite (a
    forward pass off the autograd graph counts as zero for every example)."""
    inputs = inputs.detach().requires_grad_(True)
    loss = F.cross_entropy(network(inputs), labels, reduction="sum")
    if not loss.requires_grad:
        return 1.0
    (grad,) = torch.autograd.grad(loss, inputs, allow_unused=True)
    if grad is None:
        return 1.0
    flat = grad.flatten(1)
    broken = (flat == 0).all(dim=1) | ~flat.isfinite().all(dim=1)
    return float(broken.float().mean())


def randomized_output_fraction(network: nn.Module, inputs: torch.Tensor) -> float:
    """The fraction of examples whose logits differ between two forward passes of the same input."""
    with torch.no_grad():
        first, second = network(inputs), network(inputs)
    return float((first != second).flatten(1).any(dim=1).float().mean())
