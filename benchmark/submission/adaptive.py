"""Which adaptive attacks a submission needs, decided from what it declares (Athalye et al. 2018).

A link of the defense chain without an exact gradient calls for BPDA (its surrogate in the
backward pass); a randomized link or a model declared ``randomized = true`` calls for EOT with
:data:`EOT_DRAWS` gradients per step (the ``defenses`` suite's choice). Each attack spec of the
suite on the submission then runs twice: as the suite wrote it, and adapted. A model whose own
forward has zero gradients (a ``round`` inside) cannot be adapted from outside the box: there
is no surrogate to use, so the masking flag is all the entry can say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchmark.defenses.base import Defense, defense_class
from benchmark.errors import SubmissionError
from benchmark.leaderboard.masking import BLACK_BOX
from benchmark.plan.suite import AttackSpec
from benchmark.registry import ATTACKS
from benchmark.submission.manifest import Manifest

#: input gradients averaged per EOT step on a randomized submission (the defenses suite's eot)
EOT_DRAWS = 3
#: where chain errors point (the manifest field; a read manifest's chain builds)
CHAIN = "field 'defense'"


@dataclass(frozen=True)
class Adaptation:
    """The gradient mode of the adapted version of every attack on a submission."""

    bpda: bool
    eot: int


def adaptation(defenses: Sequence[type[Defense] | Defense], *, randomized: bool) -> Adaptation | None:
    """BPDA where a link has no exact gradient, EOT where a link or the model is randomized,
    both where both hold; ``None`` where the standard attacks already see the true gradient."""
    bpda = any(defense.gradient != "exact" for defense in defenses)
    eot = EOT_DRAWS if randomized or any(defense.randomized for defense in defenses) else 1
    return Adaptation(bpda, eot) if bpda or eot > 1 else None


def declared_adaptation(manifest: Manifest) -> Adaptation | None:
    """The adaptive attacks the manifest's chain and ``randomized`` call for."""
    classes = [defense_class(spec.name, CHAIN) for spec in manifest.defense]
    return adaptation(classes, randomized=manifest.randomized)


def variants(spec: AttackSpec, adapted: Adaptation | None) -> list[AttackSpec]:
    """``spec`` as a standard attack, then its adapted version (if the submission needs one): a
    suite's own ``bpda`` / ``eot`` are for its defended entries, a submission gets what its
    declaration calls for (the planner runs a cell two specs share once). A
    black-box attack (Square) takes no gradient, so there is nothing to adapt: it runs once, and a
    randomized submission is judged over the suite's draws like under any attack."""
    standard = spec.model_copy(update={"bpda": False, "eot": 1}) if spec.bpda or spec.eot > 1 else spec
    if adapted is None or spec.attack in BLACK_BOX:
        return [standard]
    return [standard, spec.model_copy(update={"bpda": adapted.bpda, "eot": adapted.eot})]


def check_eot_backends(specs: Sequence[AttackSpec], adapted: Adaptation | None, suite: str) -> None:
    """EOT averages gradients inside the native gradient attacks only: another attack (a library
    backend's) on a randomized submission is refused before anything runs, in one line."""
    if adapted is None or adapted.eot == 1:
        return
    for spec in (spec for spec in specs if spec.attack not in BLACK_BOX):
        for backend in spec.backends:
            if not ATTACKS.get(f"{spec.attack}/{backend}").supports_eot:
                raise SubmissionError(
                    f"the submission is randomized (randomized = true or a randomized defense), so suite "
                    f"{suite!r} must attack it with EOT, which attack {spec.attack!r} through backend "
                    f"{backend!r} cannot do; submit to a suite whose attacks on it are native gradient "
                    f"attacks (fgsm, bim_a, bim_b, pgd, ...), or remove the randomness"
                )
