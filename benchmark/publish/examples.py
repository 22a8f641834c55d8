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

import io
from pathlib import Path

import torch

from benchmark.attacks.base import build_attack
from benchmark.cells.attack import attack_view
from benchmark.cells.inputs import Inputs
from benchmark.jsonio import atomic_write_bytes, sha256_of
from benchmark.plan.planner import Plan
from benchmark.plan.specs import AttackCellSpec
from benchmark.runtime import seed_generators

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _display(values: torch.Tensor, audio: bool) -> torch.Tensor:
    """A 2D image of one example: its first channel, or the dB STFT magnitude of audio."""
    if audio:
        signal = values.reshape(-1).float()
        window = torch.hann_window(512, device=signal.device)
        spectrum = torch.stft(signal, 512, 128, window=window, return_complex=True).abs()
        return 20 * torch.log10(spectrum.clamp_min(1e-6)).cpu()
    return values.reshape(-1, *values.shape[-2:])[0].float().cpu()


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
    atomic_write_bytes(path, _figure(entry, int(label[0]), panels))
    if cached is not None:
        atomic_write_bytes(cached, path.read_bytes())
    return True


def _figure(entry: str, label: int, panels: list) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(panels), 3, figsize=(10, 2.1 * len(panels)), dpi=64, squeeze=False)
    for row, (title, clean, adversarial, audio, prediction) in zip(axes, panels, strict=True):
        images = (_display(clean, audio), _display(adversarial - clean, audio), _display(adversarial, audio))
        names = ("clean", "perturbation", f"adversarial (predicted {prediction})")
        low, high = float(images[0].min()), float(images[0].max())
        for axis, image, name in zip(row, images, names, strict=True):
            if name != "perturbation":  # clean and adversarial on one colour scale
                axis.imshow(image, origin="lower", aspect="auto", cmap="magma", vmin=low, vmax=high)
            elif audio:  # the perturbation's own dB STFT
                axis.imshow(image, origin="lower", aspect="auto", cmap="magma")
            else:  # signed, on a symmetric diverging scale
                extent = float(image.abs().max()) or 1.0
                axis.imshow(image, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-extent, vmax=extent)
            axis.set_title(f"{title}: {name}" if name == "clean" else name, fontsize=8)
            axis.set_xticks([])
            axis.set_yticks([])
    audio_note = "; waveforms drawn as dB STFTs" if any(panel[3] for panel in panels) else ""
    figure.suptitle(f"{entry}: one example (true class {label}){audio_note}", fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
