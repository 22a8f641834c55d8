"""Metric definitions checked against hand-computed values (DESIGN.md, Metrics)."""

import math

import numpy as np
import pytest
import torch

from benchmark.metrics import (
    accuracies,
    aggregate,
    cost_to_reach,
    fooling_rate,
    fr_auc,
    mean_std,
    perturbation_norms,
    rms,
    snr_db,
)


def test_majority_vote_and_sum_rule_can_disagree():
    # Track 0: two weak votes for class 0, one confident vote for class 1.
    probabilities = torch.tensor([[0.55, 0.45], [0.55, 0.45], [0.0, 1.0], [0.9, 0.1]])
    track_index = torch.tensor([0, 0, 0, 1])
    tracks = aggregate(probabilities, track_index, 2)
    assert tracks["mv"].tolist() == [0, 0]
    assert tracks["sr"].tolist() == [1, 0]  # sums: 1.1 vs 1.9


def test_majority_vote_tie_is_broken_by_summed_probability_not_class_order():
    probabilities = torch.tensor([[0.6, 0.4, 0.0], [0.0, 0.1, 0.9]])
    tracks = aggregate(probabilities, torch.tensor([0, 0]), 1)
    assert tracks["mv"].tolist() == [2]  # classes 0 and 2 tie on votes; class 2 sums 0.9 > 0.6


def test_accuracies_segment_mv_sr():
    logits = torch.log(torch.tensor([[0.55, 0.45], [0.55, 0.45], [0.0001, 0.9999], [0.2, 0.8]]))
    labels = torch.tensor([1, 1, 1, 1])
    result = accuracies(logits, labels, torch.tensor([0, 0, 0, 1]), torch.tensor([1, 1]))
    assert result == pytest.approx({"segment": 0.5, "mv": 0.5, "sr": 1.0})


def test_fooling_rate_counts_only_clean_correct_examples():
    labels = torch.tensor([0, 1, 2, 3])
    clean = torch.tensor([0, 1, 2, 0])  # last one wrong when clean: excluded
    adversarial = torch.tensor([1, 1, 0, 3])
    assert fooling_rate(clean, adversarial, labels) == pytest.approx(2 / 3)
    targets = torch.tensor([1, 2, 0, 0])
    assert fooling_rate(clean, adversarial, labels, targets) == pytest.approx(2 / 3)
    assert math.isnan(fooling_rate(torch.tensor([1]), torch.tensor([0]), torch.tensor([0])))


def test_fr_auc_normalizes_the_budget_axis_and_starts_at_zero():
    assert fr_auc([1.0], [1.0]) == pytest.approx(0.5)  # (0,0)->(1,1)
    assert fr_auc([0.0, 0.5, 1.0], [0.0, 1.0, 1.0]) == pytest.approx(0.75)
    # Units do not matter: the same curve in other units has the same AUC.
    assert fr_auc([0.002, 0.004], [0.5, 1.0]) == pytest.approx(fr_auc([2.0, 4.0], [0.5, 1.0]))
    budgets, rates = [0.1, 0.2, 0.5, 1.0], [0.2, 0.4, 0.9, 1.0]
    expected = np.trapezoid([0.0, *rates], [0.0, *budgets])
    assert fr_auc(budgets, rates) == pytest.approx(expected)
    with pytest.raises(ValueError):
        fr_auc([0.0], [0.0])


def test_cost_to_reach_first_budget_with_fr_at_least_threshold():
    assert cost_to_reach([1, 2, 3], [0.5, 0.95, 1.0], [1.0, 4.0, 9.0]) == 4.0
    assert cost_to_reach([1, 2], [0.5, 0.6], [1.0, 2.0]) is None


def test_perturbation_norms():
    delta = torch.tensor([[3.0, -4.0, 0.0], [0.0, 0.0, 0.5]])
    norms = perturbation_norms(delta)
    assert norms["l0"].tolist() == [2, 1]
    assert norms["l2"].tolist() == pytest.approx([5.0, 0.5])
    assert norms["linf"].tolist() == pytest.approx([4.0, 0.5])


def test_snr_matches_koerich_equations_3_and_4():
    t = torch.linspace(0, 1, 16000)
    signal = 0.5 * torch.sin(2 * math.pi * 440 * t).unsqueeze(0)
    noise = 0.005 * torch.sin(2 * math.pi * 3000 * t).unsqueeze(0)
    # RMS of a sine is amplitude / sqrt(2); the ratio of amplitudes is 100 -> 40 dB.
    assert rms(signal).item() == pytest.approx(0.5 / math.sqrt(2), rel=1e-3)
    assert snr_db(signal, noise).item() == pytest.approx(40.0, abs=0.05)
    assert math.isinf(snr_db(signal, torch.zeros_like(signal)).item())


def test_mean_std_skips_infinite_values():
    assert mean_std(torch.tensor([1.0, 3.0, math.inf])) == pytest.approx((2.0, 1.0))
    assert mean_std(torch.tensor([math.inf])) == (None, None)
