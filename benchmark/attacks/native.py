"""The native PyTorch engine: the fast path, with no conversions and no library overhead."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from benchmark.attacks.gradient import FGSM, BIMa, BIMb, GradientStepAttack


def loss_gradient(model: torch.nn.Module, inputs: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Gradient of the summed cross-entropy w.r.t. the inputs (one backward pass)."""
    inputs = inputs.detach().requires_grad_(True)
    loss = F.cross_entropy(model(inputs), classes, reduction="sum")
    (grad,) = torch.autograd.grad(loss, inputs)
    return grad


class NativeStep(GradientStepAttack):
    backend = "native"
    per_example_budgets = True
    device_resident = True
    supports_eot = True

    def step(self, model, inputs, labels, *, step_size, bounds, targets):
        """A step of ``step_size`` in the attack's norm: along the gradient's sign (Linf) or its
        unit L2 direction (L2); toward the target (down the loss) when targeted. With EOT the
        gradient is the mean of ``_eot`` gradients, each through a fresh draw of the model's randomness."""
        classes = targets if self.targeted else labels
        grad = loss_gradient(model, inputs, classes)
        for _ in range(self._eot - 1):
            grad = grad + loss_gradient(model, inputs, classes)
        grad = grad / self._eot
        if self.norm == "linf":
            direction = grad.sign()
        else:
            norms = grad.flatten(1).norm(dim=1).clamp_min(1e-12)
            direction = grad / norms.view(-1, *([1] * (grad.dim() - 1)))
        if self.targeted:
            direction = -direction
        return (inputs + step_size * direction).clamp(bounds.lower, bounds.upper)


class NativeFGSM(NativeStep, FGSM):
    """FGSM (Linf), native PyTorch engine."""


class NativeBIMa(NativeStep, BIMa):
    """BIM-a (stop at first success), native PyTorch engine."""


class NativeBIMb(NativeStep, BIMb):
    """BIM-b (fixed iterations), native PyTorch engine."""
