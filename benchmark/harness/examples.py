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
from typing import TYPE_CHECKING

from benchmark.jsonio import atomic_write_bytes, sha256_of
from benchmark.publish.figures import examples_png

if TYPE_CHECKING:
    from benchmark.harness.runner import SuiteRunner

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _budget(runner: SuiteRunner, schedule: list[float], declared: list[float], representation: str) -> float:
    """The attack's budget for the figure, in the attack's units (SNR already turned into a ratio)."""
    reference = runner.suite.reference_budgets.get(representation)
    if reference in declared:
        return schedule[declared.index(reference)]
    return schedule[len(schedule) // 2]


def draw_examples(runner: SuiteRunner, entry: str, path: Path) -> bool:
    """Write ``path`` for ``entry`` (False when no attack of the suite runs on it)."""
    from benchmark.attacks.base import snr_radius_scale
    from benchmark.harness.runner import build_attack, seed_generators
    from benchmark.harness.suite import SNR_DB

    chosen: dict[tuple[str, str, bool], tuple] = {}  # one row per attack, domain and target mode
    for spec, name, backend in runner.attack_cells:
        if name == entry:
            chosen.setdefault((spec.attack, spec.domain, spec.targeted), (spec, backend))
    specs = list(chosen.values())
    if not specs:
        return False
    key = sha256_of({"examples": [runner.attack_key(spec, entry, backend) for spec, backend in specs]})
    cache_root = runner.cache.folder
    cached = cache_root / "figures" / f"{key}.png" if cache_root is not None else None
    if cached is not None and cached.is_file() and cached.read_bytes()[:8] == PNG_SIGNATURE:
        atomic_write_bytes(path, cached.read_bytes())
        return True
    model = runner.models[entry]
    correct = (model.clean_logits.argmax(1) == runner.test.labels).nonzero().flatten()
    index = int(correct[0]) if len(correct) else 0
    label = runner.test.labels[index : index + 1].to(runner.device)
    waveform = runner.test.waveforms[index : index + 1].to(runner.device)
    panels = []
    for spec, backend in specs:
        view = runner.attack_view(spec, entry)
        attack = build_attack(spec.attack, backend, spec.params, spec.targeted)
        budget = _budget(runner, view.budgets, view.declared, model.representation.name)
        inputs = view.inputs[index : index + 1].to(runner.device)
        targets = (label + 1) % runner.prepared.num_classes if spec.targeted else None
        scale = snr_radius_scale(waveform, attack.norm) if view.table == SNR_DB else None
        seed_generators(runner.suite.seed)
        output = attack(
            view.network, inputs, label, budgets=[budget], bounds=view.bounds, targets=targets, scale=scale
        ).outputs[0]
        audio = spec.domain == "waveform" or model.representation.name == "waveform"
        shown = view.declared[view.budgets.index(budget)]
        prediction = int(output.logits.argmax(1)[0])
        panels.append((f"{spec.attack}/{backend} @ {shown:g}", inputs, output.adversarial, audio, prediction))
    atomic_write_bytes(path, examples_png(entry, int(label[0]), panels))
    if cached is not None:
        atomic_write_bytes(cached, path.read_bytes())
    return True
