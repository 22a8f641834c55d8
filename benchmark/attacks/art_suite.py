"""Whole attacks computed by ART (1.20): JSMA, APGD, AutoAttack and Square.

Each reuses :class:`~benchmark.attacks.art_backend.ArtStep`'s plumbing (lazy import, the cached
``PyTorchClassifier`` on the :class:`CountingModel`, frozen parameters, numpy conversion) and
replaces ``run`` by one call of an ART attack (the inherited FGSM ``step`` goes unused), so every
forward and gradient ART spends is counted by the same input hook as the native engine's. ART
draws its random restarts and Square's squares from NumPy's global generator: seed it for
reproducible runs.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from benchmark.attacks.art_backend import ArtEvasion

#: Andriushchenko et al. 2020's initial fraction of the image a Linf square covers
SQUARE_P_INIT = 0.8


def square_p_init(input_shape: tuple[int, ...]) -> float:
    """Square's initial fraction, clamped so the first square fits the shorter side: ART draws a
    ``sqrt(p h w)``-sided square inside ``h x w`` and fails (``high <= 0``) when it does not, which
    a tall, narrow spectrogram (257 x 63 STFT) hits at the paper's 0.8."""
    height, width = input_shape[-2:]
    return min(SQUARE_P_INIT, (min(height, width) - 1) ** 2 / (height * width))


class ArtJSMA(ArtEvasion):
    """Jacobian-based Saliency Map Attack (Papernot et al. 2016; Esmaeilpour et al. 2021 sec. 2.5),
    ART's ``SaliencyMapMethod``; the budget is gamma, the largest fraction of input elements that may
    change (ibid. sec. 4.3).

    ART's saliency is the target class's gradient alone (not Papernot's pair map with the other
    classes' summed gradient): each iteration raises the two elements with the largest one by
    ``theta`` (in the bounds' units); an element may be raised again until it reaches the upper
    bound. An iteration costs one forward of the whole batch plus a class gradient of the examples
    not yet at their target (one forward of those, and one backward per distinct target class
    among them). ART keeps going while the changed fraction is still <= gamma, so the result may
    change up to two elements more than gamma allows. JSMA is targeted (ibid.); untargeted, the
    target is each example's runner-up class on the clean input (one counted forward), which
    is deterministic, unlike ART's random choice. The L0 budget is not a radius: ``norm`` is unused.
    """

    name = "jsma"
    budget_kind = "fraction"

    def __init__(self, *, theta: float = 0.1, targeted: bool = False) -> None:
        super().__init__(targeted=targeted)
        self.theta = float(theta)

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """One class gradient per iteration; an iteration raises two elements by theta, up to gamma
        of them, each at most 2 / theta times (the widest bounds, [-1, 1])."""
        return (budget * elements / 2 + 1) * math.ceil(2 / self.theta)

    def build(self, estimator, budget, batch_size):
        from art.attacks.evasion import SaliencyMapMethod

        return SaliencyMapMethod(
            estimator, theta=self.theta, gamma=budget, batch_size=batch_size, verbose=False
        )

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        if not self.targeted:
            with torch.no_grad():
                targets = model(inputs).scatter(1, labels[:, None], float("-inf")).argmax(dim=1)
        attack = self.build(self.wrapped(model, inputs, bounds), budget, len(inputs))
        # ART's JSMA is always targeted: the goal class goes where ``generate`` looks for it.
        return self.generate(attack, inputs, targets, targets)


class ArtAPGD(ArtEvasion):
    """Auto-PGD, Linf, cross-entropy loss (Croce & Hein 2020), ART's ``AutoProjectedGradientDescent``,
    one random start and ``steps`` iterations at eps = budget; the step size starts at ``2 * eps``
    and adapts (ibid.). Besides each gradient's forward, ART predicts the batch about once per
    iteration to keep the best iterate (measured: ``(2 * steps + 3) * batch + 1`` forwards)."""

    name = "apgd"

    def __init__(self, *, steps: int = 100, targeted: bool = False) -> None:
        super().__init__(targeted=targeted)
        if steps < 1:
            raise ValueError(f"attack {self.name!r}: steps must be >= 1, got {steps}")
        self.steps = int(steps)

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """One gradient per iteration of the one random start."""
        return float(self.steps)

    def build(self, estimator, budget, batch_size):
        from art.attacks.evasion import AutoProjectedGradientDescent

        return AutoProjectedGradientDescent(
            estimator,
            norm=np.inf,
            eps=budget,
            eps_step=2 * budget,
            max_iter=self.steps,
            targeted=self.targeted,
            nb_random_init=1,
            batch_size=batch_size,
            loss_type="cross_entropy",
            verbose=False,
        )


class ArtAutoAttack(ArtEvasion):
    """AutoAttack, Linf, untargeted (Croce & Hein 2020), with ART's standard list at eps = budget:
    APGD-CE and APGD-DLR (100 iterations, 5 restarts each), DeepFool, Square (5000 queries, 5
    restarts), each run on the examples that every earlier one left robust. Square draws squares
    in an image, so on 1-D inputs (waveform models) the list runs without it. ``square_max_iter``
    lowers Square's queries per restart for quick runs (the standard 5000 dominates the cost:
    measured, 1.2 M forwards on 16 small examples at a budget that leaves 15 robust).

    ART's ``AutoAttack.generate`` imports ``multiprocess`` even without a process pool, which the
    project does not depend on; this drives ART's own list through ART's own ``run_attack`` (the
    loop that ``generate`` runs without a pool), which needs no such import.
    """

    name = "autoattack"
    supports_targeted = False

    def __init__(self, *, square_max_iter: int = 5000, targeted: bool = False) -> None:
        super().__init__(targeted=targeted)
        if square_max_iter < 1:
            raise ValueError(f"attack {self.name!r}: square_max_iter must be >= 1, got {square_max_iter}")
        self.square_max_iter = int(square_max_iter)

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """ART's list: APGD-CE and APGD-DLR (100 iterations x 5 restarts each), then DeepFool (100
        iterations of every class's gradient); Square spends queries only."""
        return 2 * 100 * 5 + 101 * classes

    def build(self, estimator, budget, batch_size):
        from art.attacks.evasion import AutoAttack, SquareAttack

        auto = AutoAttack(estimator, norm=np.inf, eps=budget, eps_step=2 * budget, batch_size=batch_size)
        image = len(estimator.input_shape) == 3  # (C, H, W): Square needs a height and a width
        auto.attacks = [a for a in auto.attacks if image or not isinstance(a, SquareAttack)]
        for attack in auto.attacks:
            attack.set_params(verbose=False)
            if isinstance(attack, SquareAttack):
                attack.set_params(max_iter=self.square_max_iter, p_init=square_p_init(estimator.input_shape))
        return auto

    def run(self, model, inputs, labels, *, budget, bounds, targets):
        if budget == 0:
            return super().run(model, inputs, labels, budget=budget, bounds=bounds, targets=targets)
        from art.attacks.evasion.auto_attack import run_attack

        estimator = self.wrapped(model, inputs, bounds)
        auto = self.build(estimator, budget, len(inputs))
        adversarial = inputs.detach().cpu().numpy().copy()
        one_hot = np.eye(estimator.nb_classes, dtype=np.float32)[labels.cpu().numpy()]
        with torch.no_grad():
            robust = (model(inputs).argmax(dim=1) == labels).cpu().numpy()
        for attack in auto.attacks:
            if not robust.any():
                break
            adversarial, robust = run_attack(
                adversarial, one_hot, robust, attack, estimator, norm=np.inf, eps=budget
            )
        return torch.from_numpy(adversarial).to(device=inputs.device, dtype=inputs.dtype)


class ArtSquare(ArtEvasion):
    """Square Attack, Linf, untargeted, black-box (Andriushchenko et al. 2020), ART's
    ``SquareAttack``: random square updates at eps = budget, one restart, ``max_iter`` iterations
    after the initial stripes, each up to three forwards per example (ART predicts the batch, then
    the loss before and after the update of the examples still robust). It spends model queries
    only, no gradients; it needs image-shaped (N, C, H, W) inputs."""

    name = "square"
    supports_targeted = False

    def __init__(self, *, max_iter: int = 100, targeted: bool = False) -> None:
        super().__init__(targeted=targeted)
        if max_iter < 1:
            raise ValueError(f"attack {self.name!r}: max_iter must be >= 1, got {max_iter}")
        self.max_iter = int(max_iter)

    def gradient_estimate(self, budget: float, *, classes: int, elements: int) -> float:
        """Black-box: model queries only."""
        return 0.0

    def build(self, estimator, budget, batch_size):
        from art.attacks.evasion import SquareAttack

        return SquareAttack(
            estimator,
            norm=np.inf,
            max_iter=self.max_iter,
            p_init=square_p_init(estimator.input_shape),
            eps=budget,
            nb_restarts=1,
            batch_size=batch_size,
            verbose=False,
        )
