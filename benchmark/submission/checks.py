"""A lying model is caught, not believed: the box's answers checked against themselves.

In the spirit of AutoAttack's checks (Croce & Hein 2020, "flags" for randomness and gradient
masking), three questions, each a :class:`Flag` on the model when the answer is no:

- the same input twice gives the same logits, bit for bit (skipped when the manifest declares
  ``randomized = true``);
- the gradient the box returns agrees with a central finite difference of the logits
  (:data:`PROBES` coordinates per example: the largest |gradient| ones, step :data:`STEP` of the
  input's width), within :data:`RELATIVE` of the larger of the two plus :data:`ABSOLUTE`. float32
  logits and a ReLU kink between ``x - h`` and ``x + h`` can spoil one probe, so the flag needs a
  majority of the probes to disagree; a gradient multiplied by -1 (or by any far-off factor)
  disagrees on all of them;
- the last batches the harness scored (adversarial examples among them) are asked again, after
  the run, and must get the same logits: a model that answers differently when attacked than
  when evaluated is flagged.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmark.leaderboard.schema import Flag
from benchmark.submission.proxy import BoxedNetwork

PROBES = 3
STEP = 1e-3
RELATIVE = 0.2
ABSOLUTE = 1e-3


def same_logits_flags(network: BoxedNetwork, inputs: torch.Tensor) -> list[Flag]:
    """The same batch asked twice."""
    x = inputs.detach().to("cpu", torch.float32).numpy()
    first, second = network.box.forward(x, keep=False), network.box.forward(x, keep=False)
    if np.array_equal(first, second):
        return []
    worst = float(np.abs(first - second).max())
    return [
        Flag(
            code="inconsistent_logits",
            attack=None,
            message=f"the same input gave different logits on a second query (max difference {worst:.3g}); "
            f"a randomized model must declare randomized = true",
        )
    ]


def gradient_flags(network: BoxedNetwork, inputs: torch.Tensor, *, width: float) -> list[Flag]:
    """The box's gradient of ``v . logits`` against central differences on a few coordinates."""
    x = inputs.detach().to("cpu", torch.float32).numpy()
    box = network.box
    direction = np.random.default_rng(0).standard_normal(box.forward(x, keep=False).shape).astype(np.float32)
    answer = box.backward(x, direction)
    if answer is None:  # check_model has refused such a model already
        return []
    gradient = answer.reshape(len(x), -1)
    step = STEP * width
    rows, coordinates = [], []
    for row in range(len(x)):
        for coordinate in np.argsort(-np.abs(gradient[row]), kind="stable")[:PROBES]:
            rows.append(row)
            coordinates.append(int(coordinate))
    shifted = np.repeat(x[rows], 2, axis=0).reshape(len(rows), 2, -1)
    for probe, coordinate in enumerate(coordinates):
        shifted[probe, 0, coordinate] += step
        shifted[probe, 1, coordinate] -= step
    logits = box.forward(shifted.reshape(2 * len(rows), *x.shape[1:]), keep=False).reshape(len(rows), 2, -1)
    weights = direction[rows].astype(np.float64)
    finite = ((logits[:, 0] - logits[:, 1]).astype(np.float64) * weights).sum(axis=1) / (2 * step)
    analytic = gradient[rows, coordinates].astype(np.float64)
    agree = np.abs(finite - analytic) <= RELATIVE * np.maximum(np.abs(finite), np.abs(analytic)) + ABSOLUTE
    if 2 * int(agree.sum()) > len(agree):
        return []
    pairs = ", ".join(f"{a:.3g} vs {f:.3g}" for a, f in zip(analytic[:3], finite[:3], strict=False))
    return [
        Flag(
            code="inconsistent_gradient",
            attack=None,
            message=f"the gradient disagrees with finite differences on {len(agree) - int(agree.sum())} of "
            f"{len(agree)} probed coordinates (gradient vs difference: {pairs})",
        )
    ]


def requery_flags(network: BoxedNetwork) -> list[Flag]:
    """The remembered last batches asked again: the answers must not have changed."""
    answers = [(network.box.forward(x, keep=False), logits) for x, logits in list(network.recent)]
    changed = [float(np.abs(new - old).max()) for new, old in answers if not np.array_equal(new, old)]
    if not changed:
        return []
    return [
        Flag(
            code="inconsistent_logits",
            attack=None,
            message=f"{len(changed)} of the last scored batches got different logits when asked again after "
            f"the run (max difference {max(changed):.3g}): the model answers differently when evaluated",
        )
    ]
