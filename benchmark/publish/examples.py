"""One adversarial example per attack, drawn as clean / perturbation / adversarial spectrograms
(Koerich et al. 2020 Fig. 4; Esmaeilpour et al. 2021 Fig. 6), one PNG per model.

The example is the first test segment the model classifies correctly; each attack (per domain and
target mode) runs on it alone through the first backend the suite lists for it, at the suite's
reference budget for that representation when the schedule holds it (else the schedule's middle
budget). Waveform inputs
(waveform models, and waveform-domain attacks on any model) are drawn as log-magnitude STFTs
of the clean audio, the perturbation and the adversarial audio, and written beside the figure as
WAV files (the HTML board plays them). Figures and audio are cached by the attack cells' keys, so a
re-run of a finished suite redraws nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import soundfile
import torch

from benchmark.attacks.base import build_attack
from benchmark.budgets import reference_key
from benchmark.cells.attack import attack_view
from benchmark.cells.inputs import Inputs
from benchmark.jsonio import atomic_write_bytes, sha256_of
from benchmark.plan.planner import Plan
from benchmark.plan.specs import AttackCellSpec
from benchmark.publish.figures import ExamplePanel, audio_name, examples_png
from benchmark.runtime import seed_generators

PNG = b"\x89PNG\r\n\x1a\n"  # the signature a PNG file starts with


def _budget_index(plan: Plan, cell: AttackCellSpec) -> int:
    """Which budget of the cell's schedule the figure shows: the suite's reference budget for the
    representation when the schedule holds it, else the schedule's middle one."""
    reference = plan.suite.reference_budgets.get(reference_key(cell.representation, plan.suite.score_domain))
    if reference in cell.budgets:
        return cell.budgets.index(reference)
    return len(cell.budgets) // 2


def _wav(waveform: torch.Tensor, sample_rate: int) -> bytes:
    """16-bit PCM WAV of one waveform (clipped to [-1, 1], the waveform domain's bounds)."""
    buffer = io.BytesIO()
    samples = waveform.detach().reshape(-1).clamp(-1, 1).cpu().numpy()
    soundfile.write(buffer, samples, sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _cached(cache: Path | None, path: Path) -> bool:
    """Copy a cached figure and its audio to ``path``'s folder (False on a miss)."""
    if cache is None or not (cache / path.name).is_file() or (cache / path.name).read_bytes()[:8] != PNG:
        return False
    for item in cache.iterdir():
        atomic_write_bytes(path.with_name(item.name), item.read_bytes())
    return True


def _attack_row(
    plan: Plan, inputs: Inputs, cell: AttackCellSpec, index: int
) -> tuple[torch.Tensor, torch.Tensor, int, str]:
    """The example's input, its adversarial version, the predicted class and the row's title."""
    view = attack_view(cell, inputs)
    attack = build_attack(cell.attack, cell.backend, cell.params, cell.targeted)
    position = _budget_index(plan, cell)
    example = view.inputs[index : index + 1]
    label = inputs.test.labels[index : index + 1]
    targets = (label + 1) % inputs.num_classes if cell.targeted else None
    scale = view.schedule.radius_scale(inputs.test.waveforms[index : index + 1], attack.norm)
    seed_generators(cell.seed)
    budgets = [view.schedule.budgets[position]]
    output = attack(
        view.network, example, label, budgets=budgets, bounds=view.bounds, targets=targets, scale=scale
    ).outputs[0]
    title = f"{cell.attack}/{cell.backend} @ {cell.budgets[position]:g}"
    return example, output.adversarial, int(output.logits.argmax(1)[0]), title


def draw_examples(plan: Plan, inputs: Inputs, entry: str, path: Path, cache_folder: Path | None) -> bool:
    """Write ``path`` for ``entry`` and, for rows drawn from audio, the clean and adversarial audio
    beside it as WAV files (False when no attack of the suite runs on it)."""
    chosen: dict[tuple[str, str, bool], AttackCellSpec] = {}  # one row per attack, domain and target mode
    for cell in plan.owned(entry):
        if isinstance(cell, AttackCellSpec):
            chosen.setdefault((cell.attack, cell.domain, cell.targeted), cell)
    cells = list(chosen.values())
    if not cells:
        return False
    key = sha256_of({"examples": [cell.key for cell in cells], "files": "figure, colour bars and WAV"})
    cache = cache_folder / "figures" / key if cache_folder is not None else None
    if _cached(cache, path):
        return True
    model, classes, rate = inputs.model(entry), inputs.data.dataset.classes, inputs.data.sample_rate
    correct = (model.clean_logits.argmax(1) == inputs.test.labels).nonzero().flatten()
    index = int(correct[0]) if len(correct) else 0
    panels, files = [], {}
    for cell in cells:
        example, adversarial, prediction, title = _attack_row(plan, inputs, cell, index)
        audio = cell.domain == "waveform" or cell.representation == "waveform"
        if audio:
            name = f"{cell.attack}-{cell.backend}-{cell.domain}{'-targeted' if cell.targeted else ''}"
            files[audio_name(entry, "clean")] = _wav(example, rate)
            files[audio_name(entry, name)] = _wav(adversarial, rate)
        panels.append(
            ExamplePanel(title, example, adversarial, audio, classes[prediction], cell.representation)
        )
    label = classes[int(inputs.test.labels[index])]
    seconds = inputs.test.waveforms[index : index + 1].shape[-1] / rate
    figure = examples_png(entry, label, panels, sample_rate=rate, seconds=seconds)
    for name, payload in {path.name: figure, **files}.items():
        atomic_write_bytes(path.with_name(name), payload)
        if cache is not None:
            atomic_write_bytes(cache / name, payload)
    return True
