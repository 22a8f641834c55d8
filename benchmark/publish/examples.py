"""One adversarial example per attack, drawn as clean / perturbation / adversarial spectrograms
(Koerich et al. 2020 Fig. 4; Esmaeilpour et al. 2021 Fig. 6), one PNG per model.

The example is the first test segment the model classifies correctly; each attack (per domain and
target mode) runs on it alone through the first backend the suite lists for it, at the suite's
reference budget for that representation when the schedule holds it (else the schedule's middle
budget). Waveform inputs
(waveform models, and waveform-domain attacks on any model) are drawn as log-magnitude STFTs
of the clean audio, the perturbation and the adversarial audio. Figures are cached by the
attack cells' keys, so a re-run of a finished suite redraws nothing.
"""

from __future__ import annotations

from pathlib import Path

from benchmark.attacks.base import build_attack
from benchmark.cells.attack import attack_view
from benchmark.cells.inputs import Inputs
from benchmark.jsonio import atomic_write_bytes, sha256_of
from benchmark.plan.planner import Plan
from benchmark.plan.specs import AttackCellSpec
from benchmark.publish.figures import examples_png
from benchmark.runtime import seed_generators

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _budget_index(plan: Plan, cell: AttackCellSpec) -> int:
    """Which budget of the cell's schedule the figure shows: the suite's reference budget for the
    representation when the schedule holds it, else the schedule's middle one."""
    reference = plan.suite.reference_budgets.get(cell.representation)
    if reference in cell.budgets:
        return cell.budgets.index(reference)
    return len(cell.budgets) // 2


def draw_examples(plan: Plan, inputs: Inputs, entry: str, path: Path, cache_folder: Path | None) -> bool:
    """Write ``path`` for ``entry`` (False when no attack of the suite runs on it)."""
    chosen: dict[tuple[str, str, bool], AttackCellSpec] = {}  # one row per attack, domain and target mode
    for cell in plan.owned(entry):
        if isinstance(cell, AttackCellSpec):
            chosen.setdefault((cell.attack, cell.domain, cell.targeted), cell)
    cells = list(chosen.values())
    if not cells:
        return False
    key = sha256_of({"examples": [cell.key for cell in cells]})
    cached = cache_folder / "figures" / f"{key}.png" if cache_folder is not None else None
    if cached is not None and cached.is_file() and cached.read_bytes()[:8] == PNG_SIGNATURE:
        atomic_write_bytes(path, cached.read_bytes())
        return True
    model = inputs.model(entry)
    correct = (model.clean_logits.argmax(1) == inputs.test.labels).nonzero().flatten()
    index = int(correct[0]) if len(correct) else 0
    label = inputs.test.labels[index : index + 1]
    waveform = inputs.test.waveforms[index : index + 1]
    panels = []
    for cell in cells:
        view = attack_view(cell, inputs)
        attack = build_attack(cell.attack, cell.backend, cell.params, cell.targeted)
        position = _budget_index(plan, cell)
        budget = view.schedule.budgets[position]
        example = view.inputs[index : index + 1]
        targets = (label + 1) % inputs.num_classes if cell.targeted else None
        scale = view.schedule.radius_scale(waveform, attack.norm)
        seed_generators(cell.seed)
        output = attack(
            view.network, example, label, budgets=[budget], bounds=view.bounds, targets=targets, scale=scale
        ).outputs[0]
        audio = cell.domain == "waveform" or cell.representation == "waveform"
        title = f"{cell.attack}/{cell.backend} @ {cell.budgets[position]:g}"
        panels.append((title, example, output.adversarial, audio, int(output.logits.argmax(1)[0])))
    atomic_write_bytes(path, examples_png(entry, int(label[0]), panels))
    if cached is not None:
        atomic_write_bytes(cached, path.read_bytes())
    return True
