"""Transfer cells: adversarials crafted on one model, judged by others.

Koerich et al. 2020 (sec. III-IV): 2D attack, audio reconstructed with the original phase, 1D
classification. Esmaeilpour et al. 2021 (Table 9): adversarials crafted on one model, judged by
every other model on the same representation. Both are pure functions of their spec and the
shared inputs, like the attack cell.
"""

from __future__ import annotations

import torch

from benchmark.attacks.base import build_attack
from benchmark.cells.inputs import Inputs, batches, predict
from benchmark.leaderboard.schema import TransferabilityRow, TransferResult
from benchmark.metrics import fooling_rate, mean_std, snr_db
from benchmark.plan.specs import TransferabilityCellSpec, TransferCellSpec
from benchmark.runtime import seed_generators


def run_transfer_cell(spec: TransferCellSpec, inputs: Inputs) -> TransferResult:
    """Reconstructed audio is clipped to [-1, 1] as a sound file would be."""
    source, target = inputs.model(spec.source), inputs.model(spec.target)
    representation = source.representation
    attack = build_attack(spec.attack, spec.backend, {}, False)
    classifier = torch.nn.Sequential(target.representation, target.network)
    test = inputs.test
    clean_audio = inputs.clean_audio(spec.source)
    seed_generators(spec.seed)
    logits: dict[str, list[torch.Tensor]] = {"source": [], "clean": [], "adversarial": []}
    snr_adversarial, snr_clean = [], []
    for part in batches(len(test.labels), spec.batch_size):
        output = attack(
            source.network,
            source.features[part],
            test.labels[part],
            budgets=[spec.budget],
            bounds=representation.bounds,
        ).outputs[0]
        waveforms = test.waveforms[part]
        clean = clean_audio[part].clamp(-1, 1)
        adversarial_audio = representation.inverse(output.adversarial, waveforms).clamp(-1, 1)
        with torch.no_grad():
            logits["clean"].append(classifier(clean))
            logits["adversarial"].append(classifier(adversarial_audio))
        logits["source"].append(output.logits)
        snr_adversarial.append(snr_db(clean, adversarial_audio - clean))
        snr_clean.append(snr_db(waveforms, clean - waveforms))
    source_fr = fooling_rate(
        source.clean_logits.argmax(1), torch.cat(logits["source"]).argmax(1), test.labels
    )
    snr_mean, snr_std = mean_std(torch.cat(snr_adversarial))
    return TransferResult.model_validate(
        {
            "key": spec.key,
            "attack": spec.attack,
            "backend": spec.backend,
            "params": attack.hyperparameters(),
            "source": spec.source,
            "target": spec.target,
            "budget": spec.budget,
            "examples": len(test.labels),
            "source_fooling_rate": None if source_fr != source_fr else source_fr,
            "original": test.accuracy(target.clean_logits),
            "clean_reconstructed": test.accuracy(torch.cat(logits["clean"])),
            "adversarial_reconstructed": test.accuracy(torch.cat(logits["adversarial"])),
            "clean_reconstruction_snr_db": mean_std(torch.cat(snr_clean))[0],
            "snr_db_mean": snr_mean,
            "snr_db_std": snr_std,
            "wall_time_s": 0.0,
        }
    )


def run_transferability_cell(spec: TransferabilityCellSpec, inputs: Inputs) -> TransferabilityRow:
    """Count, among the adversarials that fool the source (on clean-correct examples, as FR does),
    those each other model misclassifies too."""
    model = inputs.model(spec.source)
    targets = {entry: inputs.model(entry) for entry in spec.targets}
    attack = build_attack(spec.attack, spec.backend, {}, False)
    count = len(inputs.test.labels)
    examples = spec.examples
    index = torch.arange(count) if examples is None else torch.tensor(examples)
    index = index.to(inputs.device)
    labels = inputs.test.labels[index]
    seed_generators(spec.seed)
    predictions: dict[str, list[torch.Tensor]] = {spec.source: [], **{entry: [] for entry in spec.targets}}
    for part in batches(len(index), spec.batch_size):
        output = attack(
            model.network,
            model.features[index[part]],
            labels[part],
            budgets=[spec.budget],
            bounds=model.representation.bounds,
        ).outputs[0]
        predictions[spec.source].append(output.logits.argmax(1))
        for entry, target in targets.items():
            predictions[entry].append(predict(target.network, output.adversarial, spec.batch_size).argmax(1))
    clean_correct = model.clean_logits[index].argmax(1) == labels
    fooled_source = clean_correct & (torch.cat(predictions[spec.source]) != labels)
    total = int(fooled_source.sum())
    rows = []
    for entry in spec.targets:
        both = int((fooled_source & (torch.cat(predictions[entry]) != labels)).sum())
        rows.append({"target": entry, "fooled_both": both, "rate": both / total if total else None})
    return TransferabilityRow.model_validate(
        {
            "key": spec.key,
            "attack": spec.attack,
            "backend": spec.backend,
            "params": attack.hyperparameters(),
            "budget": float(spec.budget),
            "representation": model.representation.name,
            "examples": len(index),
            "fooled_source": total,
            "targets": rows,
            "wall_time_s": 0.0,
        }
    )
