"""PGD adversarial training's inner maximisation (Madry et al. 2018, sec. 3, eq. 2.1): the batch a
training step learns from is the PGD adversarial of the clean batch, crafted with the network
in eval mode (batch-norm statistics are not updated by the attack's passes) and the harness's
own native PGD, so the training threat model is the one the benchmark evaluates."""

from __future__ import annotations

import torch
from torch import nn

from benchmark.attacks.projected import NativePGD
from benchmark.models.spec import AdversarialTraining
from benchmark.representations.base import Representation
from benchmark.representations.waveform import Waveform


def adversarial_features(
    recipe: AdversarialTraining,
    representation: Representation,
    network: nn.Module,
    waveforms: torch.Tensor,
    features: torch.Tensor,
    labels: torch.Tensor,
    *,
    seed: int,
) -> torch.Tensor:
    """The network's input for one training step: the features of the PGD adversarial of the batch
    (of its waveforms end to end, or of its features), detached."""
    attack = NativePGD(steps=recipe.steps, rel_stepsize=recipe.rel_stepsize, seed=seed)
    was_training = network.training
    network.eval()
    try:
        if recipe.domain == "waveform":
            classifier = nn.Sequential(representation, network)
            result = attack(classifier, waveforms, labels, budgets=[recipe.epsilon], bounds=Waveform.bounds)
            with torch.no_grad():
                return representation(result.outputs[0].adversarial)
        result = attack(network, features, labels, budgets=[recipe.epsilon], bounds=representation.bounds)
        return result.outputs[0].adversarial.detach()
    finally:
        network.train(was_training)
