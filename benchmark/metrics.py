"""Metric definitions (DESIGN.md, Metrics). Every function is pure and works on torch tensors.

- Accuracy per segment, and per track by majority vote (MV) and sum rule (SR) over the
  track's segments (Koerich et al. 2020, sec. II-C). MV ties go to the class with the larger
  summed probability among the tied classes, so MV never depends on class order.
- Fooling rate FR(b): among examples classified correctly when clean, the fraction whose
  adversarial version is misclassified (untargeted) or classified as the target (targeted).
- FR-AUC: trapezoid area under FR over the budget schedule with the budget axis divided by
  the largest budget, starting from (0, 0) (FR at budget 0 is 0 by definition), so 1.0 means
  fooled at every budget (Esmaeilpour et al. 2021, sec. 4.3 report AUC of fooling rates; the
  normalization is ours, so AUCs of schedules with different units compare).
- SNR (Koerich eq. 3-4): ``20 log10(P(x_r) / P(v))`` with ``P`` the RMS, ``x_r`` the audio
  reconstructed from the legitimate representation and ``v`` the adversarial noise after
  reconstruction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def track_votes(
    segment_predictions: torch.Tensor, track_index: torch.Tensor, num_tracks: int, num_classes: int
):
    """Per-track vote counts ``(num_tracks, num_classes)``."""
    votes = torch.zeros(num_tracks, num_classes, dtype=torch.float64)
    votes.index_put_(
        (track_index, segment_predictions), torch.ones(len(track_index), dtype=torch.float64), accumulate=True
    )
    return votes


def aggregate(
    probabilities: torch.Tensor, track_index: torch.Tensor, num_tracks: int
) -> dict[str, torch.Tensor]:
    """Track predictions by majority vote and by sum rule from segment probabilities ``(S, K)``."""
    probabilities = probabilities.detach().to("cpu", torch.float64)
    track_index = track_index.to("cpu")
    num_classes = probabilities.shape[1]
    sums = torch.zeros(num_tracks, num_classes, dtype=torch.float64).index_add_(0, track_index, probabilities)
    votes = torch.zeros(num_tracks, num_classes, dtype=torch.float64)
    ones = torch.ones(len(track_index), dtype=torch.float64)
    votes.index_put_((track_index, probabilities.argmax(dim=1)), ones, accumulate=True)
    tied = votes == votes.max(dim=1, keepdim=True).values
    majority = torch.where(tied, sums, torch.full_like(sums, -1.0)).argmax(dim=1)
    return {"mv": majority, "sr": sums.argmax(dim=1)}


def correctness(
    logits: torch.Tensor, labels: torch.Tensor, track_index: torch.Tensor, track_labels: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Per example, whether it is classified correctly: per segment, and per track by majority
    vote and sum rule (boolean CPU tensors of shape (S,), (T,), (T,))."""
    logits = logits.detach().cpu()
    tracks = aggregate(logits.softmax(dim=1), track_index, len(track_labels))
    return {
        "segment": logits.argmax(dim=1) == labels.cpu(),
        "mv": tracks["mv"] == track_labels.cpu(),
        "sr": tracks["sr"] == track_labels.cpu(),
    }


def accuracies(
    logits: torch.Tensor, labels: torch.Tensor, track_index: torch.Tensor, track_labels: torch.Tensor
) -> dict[str, float]:
    """Segment, majority-vote and sum-rule accuracy (fractions in [0, 1])."""
    correct = correctness(logits, labels, track_index, track_labels)
    return {level: float(bits.double().mean()) for level, bits in correct.items()}


def fooling_rate(
    clean_predictions: torch.Tensor,
    adversarial_predictions: torch.Tensor,
    labels: torch.Tensor,
    targets: torch.Tensor | None = None,
) -> float:
    """FR among clean-correct examples; ``nan`` when none is classified correctly."""
    correct = clean_predictions == labels
    if not bool(correct.any()):
        return math.nan
    fooled = adversarial_predictions == targets if targets is not None else adversarial_predictions != labels
    return float(fooled[correct].double().mean())


def fr_auc(budgets: Sequence[float], fooling_rates: Sequence[float]) -> float:
    """Area under FR(b) with b normalized by the largest budget, from (0, 0)."""
    if len(budgets) != len(fooling_rates) or not budgets:
        raise ValueError("fr_auc needs one fooling rate per budget")
    largest = budgets[-1]
    if largest <= 0:
        raise ValueError("fr_auc needs a positive largest budget")
    xs = [b / largest for b in budgets]
    ys = list(fooling_rates)
    if xs[0] > 0:
        xs, ys = [0.0, *xs], [0.0, *ys]
    return float(
        sum((x1 - x0) * (y0 + y1) / 2 for x0, x1, y0, y1 in zip(xs, xs[1:], ys, ys[1:], strict=False))
    )


def cost_to_reach(
    budgets: Sequence[float], fooling_rates: Sequence[float], costs: Sequence[float], threshold: float = 0.9
) -> float | None:
    """Cost (e.g. gradient evaluations per example) at the first budget whose FR >= ``threshold``.

    This is the seed's "number of gradient computations ... for reaching AUC > 0.9"
    (Esmaeilpour et al. 2021, Figs. 1-5), read per budget; ``None`` where never reached.
    """
    for fr, cost in zip(fooling_rates, costs, strict=True):
        if not math.isnan(fr) and fr >= threshold:
            return float(cost)
    return None


def perturbation_norms(perturbation: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-example L0 (changed elements), L2 and Linf norms of a perturbation ``(B, ...)``."""
    flat = perturbation.detach().flatten(1).double()
    return {
        "l0": (flat != 0).sum(dim=1).double(),
        "l2": flat.norm(dim=1),
        "linf": flat.abs().amax(dim=1),
    }


def rms(signal: torch.Tensor) -> torch.Tensor:
    """``P(x)`` of Koerich eq. 4, per example, over all but the batch dimension."""
    return signal.detach().flatten(1).double().pow(2).mean(dim=1).sqrt()


def snr_db(reference: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Koerich eq. 3 per example; ``inf`` where the noise is exactly zero."""
    return 20.0 * torch.log10(rms(reference) / rms(noise))


def not_finite(values: torch.Tensor) -> int:
    """How many values a finite mean leaves out: an SNR is ``inf`` where the reconstructed noise is
    exactly zero (the example was not changed, or not audibly) and ``-inf`` / ``nan`` where the
    clean reference is silent."""
    return int((~torch.isfinite(values)).sum())


def mean_std(values: torch.Tensor) -> tuple[float | None, float | None]:
    """Mean and standard deviation over the finite values (``None`` if there are none)."""
    finite = values[torch.isfinite(values)].double()
    if len(finite) == 0:
        return None, None
    return float(finite.mean()), float(finite.std(unbiased=False))
