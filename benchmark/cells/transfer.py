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
from benchmark.metrics import fooling_rate, mean_std, not_finite, snr_db
from benchmark.plan.specs import TransferabilityCellSpec, TransferCellSpec
from benchmark.runtime import seed_generators


def run_transfer_cell(spec: TransferCellSpec, inputs: Inputs) -> TransferResult:
    """Reconstructed audio is clipped to [-1, 1] as a sound file would be. The target hears the
    source representation's own reconstruction (Griffin-Lim for a Mel); the primary SNR compares
    reconstructions with the original phase, the Griffin-Lim one is kept as the secondary value."""
    source, target = inputs.model(spec.source), inputs.model(spec.target)
    representation = source.representation
    attack = build_attack(spec.attack, spec.backend, {}, False)
    classifier = torch.nn.Sequential(target.representation, target.network)
    test = inputs.test
    clean_audio = inputs.clean_audio(spec.source)
    seed_generators(spec.seed)
    logits: dict[str, list[torch.Tensor]] = {"source": [], "clean": [], "adversarial": []}
    snr_adversarial, snr_clean, snr_griffin_lim = [], [], []
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
        snr = snr_db(clean, adversarial_audio - clean)
        if representation.estimates_phase:
            snr_griffin_lim.append(snr)
            same_clean, same_adversarial = (
                representation.same_phase_inverse(features, waveforms).clamp(-1, 1)
                for features in (source.features[part], output.adversarial)
            )
            snr = snr_db(same_clean, same_adversarial - same_clean)
        snr_adversarial.append(snr)
        snr_clean.append(snr_db(waveforms, clean - waveforms))
    source_fr = fooling_rate(
        source.clean_logits.argmax(1), torch.cat(logits["source"]).argmax(1), test.labels
    )
    snr, clean_snr = torch.cat(snr_adversarial), torch.cat(snr_clean)
    snr_mean, snr_std = mean_std(snr)
    griffin_lim = torch.cat(snr_griffin_lim) if snr_griffin_lim else None
    griffin_lim_mean, griffin_lim_std = mean_std(griffin_lim) if griffin_lim is not None else (None, None)
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
            "clean_reconstruction_snr_db": mean_std(clean_snr)[0],
            "clean_reconstruction_snr_db_excluded": not_finite(clean_snr),
            "snr_db_mean": snr_mean,
            "snr_db_std": snr_std,
            "snr_db_excluded": not_finite(snr),
            "snr_db_griffin_lim_mean": griffin_lim_mean,
            "snr_db_griffin_lim_std": griffin_lim_std,
            "snr_db_griffin_lim_excluded": not_finite(griffin_lim) if griffin_lim is not None else None,
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
