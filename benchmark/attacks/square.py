"""Square Attack, Linf, native: score-based and gradient-free, on any input shape.

Andriushchenko, Croce, Flammarion & Hein 2020, "Square Attack: a query-efficient black-box
adversarial attack via random search" (ECCV), Algorithm 1 with the Linf sampling of sec. 3.1:
start from random +-eps vertical stripes, then repeatedly redraw one random window of the
perturbation to +-eps (one sign per channel) and keep the change where the margin loss
``logit_y - max_{j != y} logit_j`` drops. The window covers a fraction ``p`` of the input,
halved on the paper's schedule (``p_selection`` of the authors' code, rescaled to the query
budget). It reads only logits, so it is the black-box check of gradient masking (AutoAttack's
``checks.py``); ART's ``SquareAttack`` needs images, this one takes the shapes the native
attacks take: on a waveform, ``(B, T)`` or ``(B, C, T)``, a window is a contiguous segment of
``p T`` samples; on ``(B, C, F, T)`` a ``sqrt(p F T)``-sided square clipped to each side.
"""

from __future__ import annotations

import math

import torch

from benchmark.attacks.base import Attack
from benchmark.budgets import Bounds, Radius, rows

#: the authors' schedule on 10 000 iterations: p_init is halved after each of these iterations
P_HALVINGS = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)


def p_selection(p_init: float, iteration: int, iterations: int) -> float:
    """The window's fraction of the input at ``iteration`` of ``iterations`` (authors' ``p_selection``)."""
    scaled = int(iteration / iterations * 10000)
    halvings = next((i for i, last in enumerate(P_HALVINGS) if scaled <= last), len(P_HALVINGS))
    return p_init / 2**halvings


def margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``logit_y - max_{j != y} logit_j`` per example: negative once the example is misclassified."""
    true = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf"))
    return true - others.max(dim=1).values


class NativeSquare(Attack):
    """Square Attack (Linf, untargeted), native PyTorch engine: ``queries`` model queries per example
    at most (the stripes' start is the first), no gradients; ``seed`` draws the signs and windows."""

    name = "square"
    backend = "native"
    supports_targeted = False
    per_example_budgets = True

    def __init__(
        self, *, queries: int = 100, p_init: float = 0.8, seed: int = 0, targeted: bool = False
    ) -> None:
        super().__init__(targeted=targeted)
        if queries < 1:
            raise ValueError(f"attack {self.name!r}: queries must be >= 1, got {queries}")
        if not 0 < p_init <= 1:
            raise ValueError(f"attack {self.name!r}: p_init must be in (0, 1], got {p_init}")
        self.queries = int(queries)
        self.p_init = float(p_init)
        self.seed = int(seed)

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """Black-box: model queries only."""
        return 0.0

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        if inputs.dim() not in (2, 3, 4):
            raise ValueError(
                f"attack {self.name!r}: inputs must be (B, T), (B, C, T) or (B, C, F, T), got "
                f"{tuple(inputs.shape)}"
            )
        lead = 1 if inputs.dim() == 2 else 2  # the axes before the windowed ones: batch (, channel)
        generator = torch.Generator(device=inputs.device).manual_seed(self.seed)
        # vertical stripes: one sign per column of a spectrogram, per sample of a waveform
        stripes = (*inputs.shape[:-2], 1, inputs.shape[-1]) if inputs.dim() - lead == 2 else inputs.shape
        adversarial = self._signed(inputs, budget, bounds, self._signs(stripes, inputs, generator))
        with torch.no_grad():
            loss = margin(model(adversarial), labels)
        for iteration in range(self.queries - 1):
            active = (loss >= 0).nonzero().squeeze(1)
            if len(active) == 0:
                break
            p = p_selection(self.p_init, iteration, self.queries - 1)
            window = self._windows(inputs[active], lead, p, generator)
            shape = (len(active), *inputs.shape[1:lead]) + (1,) * (inputs.dim() - lead)
            current = adversarial[active]
            proposal = self._signed(
                inputs[active], rows(budget, active), bounds, self._signs(shape, inputs, generator)
            )
            candidate = torch.where(window, proposal, current)
            with torch.no_grad():
                new_loss = margin(model(candidate), labels[active])
            better = new_loss < loss[active]
            adversarial[active] = torch.where(better.view(-1, *[1] * (inputs.dim() - 1)), candidate, current)
            loss[active] = torch.where(better, new_loss, loss[active])
        return adversarial

    @staticmethod
    def _signs(shape, inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        draw = torch.randint(0, 2, tuple(shape), generator=generator, device=inputs.device)
        return (draw * 2 - 1).to(inputs.dtype)

    @staticmethod
    def _signed(inputs: torch.Tensor, budget: Radius, bounds: Bounds, signs: torch.Tensor) -> torch.Tensor:
        """``inputs + eps * signs`` (signs broadcast), clipped to the bounds: a vertex of the ball."""
        return (inputs + budget * signs).clamp(bounds.lower, bounds.upper)

    @staticmethod
    def _windows(inputs: torch.Tensor, lead: int, p: float, generator: torch.Generator) -> torch.Tensor:
        """A bool mask, broadcast over channels, of one random window per example covering about a
        fraction ``p`` of the axes after the first ``lead`` (time, or frequency x time)."""
        sides = inputs.shape[lead:]
        side = max(1, round((p * math.prod(sides)) ** (1 / len(sides))))
        shape = [len(inputs)] + [1] * (inputs.dim() - 1)
        mask = torch.ones(shape, dtype=torch.bool, device=inputs.device)
        for axis, size in enumerate(sides, lead):
            width = min(side, size)
            start = torch.randint(
                0, size - width + 1, (len(inputs),), generator=generator, device=inputs.device
            )
            position = torch.arange(size, device=inputs.device)
            inside = (position >= start[:, None]) & (position < start[:, None] + width)
            mask = mask & inside.view([*shape[:axis], size, *shape[axis + 1 :]])
        return mask
