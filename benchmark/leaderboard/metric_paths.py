"""Metric paths: which number of a :class:`LeaderboardEntry` a published value is compared with.

A path names the number (what :func:`resolve` reads)::

    clean.<acc>                                   acc: segment | mv | sr
    attack.<attack>[/<backend>].fr_auc            also fr_mean, gradient_evals_to_fr90
    attack.<attack>[/<backend>].<field>@<at>      field: fooling_rate | misclassified_rate | success_rate |
                                                  robust_accuracy.<acc> | adversarial_accuracy.<acc> |
                                                  snr_db_mean | snr_db_std | snr_db_griffin_lim_mean |
                                                  gradient_evals_per_example
                                                  at: reference | max | mean | <budget>
    transfer.<attack>[/<backend>].<field>         field: original.<acc> | clean_reconstructed.<acc> |
                                                  adversarial_reconstructed.<acc> | snr_db_mean |
                                                  snr_db_std | snr_db_griffin_lim_mean |
                                                  snr_db_griffin_lim_std | clean_reconstruction_snr_db |
                                                  source_fooling_rate

Without a backend, the cell with the highest FR-AUC among the attack's backends is read (the
ranked leaderboard's rule). ``@reference`` is the suite's reference budget for the entry's
representation (its largest budget where the suite sets none); ``@mean`` averages over the budget
schedule, as Esmaeilpour et al. 2021 average "over experiments and budgets". A published value maps
only to a metric of the same definition: their "AUC ... averaged over budgets" counts any
misclassification, so it maps to ``misclassified_rate@mean`` (for untargeted cells the mean FR,
``fr_mean``), never to FR-AUC, whose ramp from (0, 0) caps it below 1 on iteration grids.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from benchmark.budgets import reference_key
from benchmark.leaderboard.schema import AttackCell, LeaderboardEntry

#: what a metric measures, which fixes the units a published value mapped to it may be printed in
Kind = Literal["rate", "dB", "count"]

_ACC = ("segment", "mv", "sr")
_NAME = r"[a-z0-9_]+(?:/[a-z0-9_]+)?"
_AT = r"@(?:reference|max|mean|\d+(?:\.\d+)?(?:e-?\d+)?)"
_ATTACK_AT = {
    "fooling_rate": "rate",
    "misclassified_rate": "rate",
    "success_rate": "rate",
    **{f"{name}.{a}": "rate" for name in ("robust_accuracy", "adversarial_accuracy") for a in _ACC},
    "snr_db_mean": "dB",
    "snr_db_std": "dB",
    "snr_db_griffin_lim_mean": "dB",
    "gradient_evals_per_example": "count",
}
_ATTACK_PLAIN = {"fr_auc": "rate", "fr_mean": "rate", "gradient_evals_to_fr90": "count"}
_TRANSFER = {
    **{
        f"{part}.{a}": "rate"
        for part in ("original", "clean_reconstructed", "adversarial_reconstructed")
        for a in _ACC
    },
    "snr_db_mean": "dB",
    "snr_db_std": "dB",
    "snr_db_griffin_lim_mean": "dB",
    "snr_db_griffin_lim_std": "dB",
    "clean_reconstruction_snr_db": "dB",
    "source_fooling_rate": "rate",
}


@dataclass(frozen=True)
class Metric:
    """A parsed metric path."""

    section: Literal["clean", "attack", "transfer"]
    attack: str | None
    backend: str | None
    field: str
    at: str | None
    kind: Kind


def parse_metric(path: str) -> Metric:
    """Parse a metric path (module docstring); ValueError naming the accepted forms otherwise."""
    if match := re.fullmatch(r"clean\.(segment|mv|sr)", path):
        return Metric("clean", None, None, match[1], None, "rate")
    if match := re.fullmatch(rf"(attack|transfer)\.({_NAME})\.([a-z0-9_.]+?)({_AT})?", path):
        section, name, field, at = match[1], match[2], match[3], match[4]
        attack, _, backend = name.partition("/")
        fields: dict[str, str]
        if section == "transfer":
            fields, needs_at = _TRANSFER, False
        elif field in _ATTACK_PLAIN:
            fields, needs_at = _ATTACK_PLAIN, False
        else:
            fields, needs_at = _ATTACK_AT, True
        if field in fields and needs_at == (at is not None):
            kind: Kind = fields[field]  # type: ignore[assignment]
            return Metric(section, attack, backend or None, field, at[1:] if at else None, kind)  # type: ignore[arg-type]
    raise ValueError(
        f"metric {path!r} is not clean.<segment|mv|sr>, attack.<attack>[/<backend>].<field>[@<budget>] "
        "or transfer.<attack>[/<backend>].<field> (see benchmark/leaderboard/metric_paths.py)"
    )


def _cell(entry: LeaderboardEntry, metric: Metric) -> AttackCell | None:
    cells = [c for c in entry.attacks if c.attack == metric.attack and metric.backend in (None, c.backend)]
    return max(cells, key=lambda c: -1.0 if c.fr_auc is None else c.fr_auc, default=None)


def _budget_field(cell: AttackCell, field: str, at: str, entry: LeaderboardEntry) -> float | None:
    def read(point) -> float | None:
        if "." in field:  # robust_accuracy.<acc>, adversarial_accuracy.<acc>
            name, level = field.split(".")
            return getattr(getattr(point, name), level)
        return getattr(point, field)

    if at == "mean":
        values = [v for v in map(read, cell.per_budget) if v is not None]
        return sum(values) / len(values) if values else None
    if at == "max":
        return read(cell.per_budget[-1])
    if at == "reference":
        representation = entry.model.representation.get("name")
        key = reference_key(representation, entry.config.get("score_domain", "representation"))
        budget = entry.config.get("reference_budgets", {}).get(key)
        if budget is None:
            return read(cell.per_budget[-1])
    else:
        budget = float(at)
    point = next((p for p in cell.per_budget if math.isclose(p.budget, budget, rel_tol=1e-9)), None)
    return None if point is None else read(point)


def resolve(entry: LeaderboardEntry, path: str) -> float | None:
    """The value of metric ``path`` in ``entry`` (None where the entry does not measure it)."""
    metric = parse_metric(path)
    if metric.section == "clean":
        return float(getattr(entry.model.clean, metric.field))
    if metric.section == "attack":
        cell = _cell(entry, metric)
        if cell is None:
            return None
        if metric.at is None:
            return getattr(cell, metric.field)
        return _budget_field(cell, metric.field, metric.at, entry)
    result = next(
        (t for t in entry.transfer if t.attack == metric.attack and metric.backend in (None, t.backend)), None
    )
    if result is None:
        return None
    value = result
    for part in metric.field.split("."):
        value = getattr(value, part)
    return None if value is None else float(value)  # type: ignore[arg-type]
