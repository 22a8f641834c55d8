"""A defended classifier: defense chain -> representation -> model, in one module, and how a
randomized one is judged.

BPDA (Athalye et al. 2018, sec. 4.1) replaces the backward pass of every link without an exact
gradient by its surrogate's: the forward value is the defense's, the gradient the surrogate's
(``surrogate(x) + (defense(x) - surrogate(x)).detach()``). Without BPDA a ``"none"`` link passes
a zero gradient (its output is computed off the graph), which is what a standard attack sees.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from benchmark.defenses.base import Defense


class Link(nn.Module):
    """One defense in a chain, with its backward pass chosen by the attack's gradient mode."""

    def __init__(self, defense: Defense, *, bpda: bool) -> None:
        super().__init__()
        self.defense = defense
        self.bpda = bpda and defense.gradient != "exact"

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.bpda:
            surrogate = self.defense.surrogate(inputs)
            with torch.no_grad():
                value = self.defense(inputs)
            return surrogate + (value - surrogate).detach()
        if self.defense.gradient == "none":
            with torch.no_grad():
                value = self.defense(inputs)
            return value + 0 * inputs  # on the graph, with a zero gradient
        return self.defense(inputs)


class DefendedClassifier(nn.Module):
    """Waveform defenses, the representation, representation defenses, then the network.

    ``representation`` is ``None`` when the attacker perturbs the representation itself: the
    chain then holds representation-domain defenses only (the planner refuses the rest).
    """

    def __init__(
        self,
        defenses: Sequence[Defense],
        representation: nn.Module | None,
        network: nn.Module,
        *,
        bpda: bool = False,
    ) -> None:
        super().__init__()
        waveform = [Link(d, bpda=bpda) for d in defenses if d.domain == "waveform"]
        features = [Link(d, bpda=bpda) for d in defenses if d.domain == "representation"]
        front = [*waveform, representation] if representation is not None else []
        self.pipeline = nn.Sequential(*front, *features, network)
        self.training = network.training  # report the network's own mode (Foolbox checks it)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.pipeline(inputs)


def randomized(defenses: Sequence[Defense]) -> bool:
    return any(d.randomized for d in defenses)


def judged_logits(network: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, draws: int) -> torch.Tensor:
    """Logits of ``draws`` independent passes, one per example: the first pass that misclassifies it
    if any does, else the first. An example is then correct only if every draw is (a lucky draw
    cannot make it robust; AutoAttack's fix for randomized defenses keeps the worst of several)."""
    with torch.no_grad():
        passes = torch.stack([network(inputs) for _ in range(draws)])  # (draws, B, K)
    wrong = passes.argmax(dim=2) != labels.unsqueeze(0)
    chosen = torch.where(wrong.any(dim=0), wrong.float().argmax(dim=0), torch.zeros_like(labels))
    return passes[chosen, torch.arange(len(labels), device=inputs.device)]
