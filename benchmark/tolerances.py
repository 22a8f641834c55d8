"""How far each metric may drift between two runs before ``arb compare`` fails.

A suite declares its tolerances and :mod:`benchmark.leaderboard.compare` applies them, so they
live below both: the leaderboard never imports the harness.
"""

from __future__ import annotations

from pydantic import Field

from benchmark.validation import Strict


class Tolerance(Strict):
    """``|old - new| <= abs + rel * |old|`` passes (the rule of ``numpy.isclose``)."""

    abs: float = Field(0.0, ge=0)
    rel: float = Field(0.0, ge=0)


class Tolerances(Strict):
    """How far each metric may drift between two runs of the suite before ``arb compare`` fails.

    Deterministic CPU runs reproduce every number exactly; the slack absorbs other devices and
    library versions. Counts (examples, correct examples, gradient and forward evaluations) are
    exact by default: a changed count means the protocol changed, not the arithmetic.
    """

    accuracy: Tolerance = Tolerance(abs=0.02)
    fooling_rate: Tolerance = Tolerance(abs=0.02)
    fr_auc: Tolerance = Tolerance(abs=0.02)
    snr_db: Tolerance = Tolerance(abs=0.5)
    perturbation: Tolerance = Tolerance(rel=0.02)
    gradient_cost: Tolerance = Tolerance()
    counts: Tolerance = Tolerance()
