"""The attack cell's SNR on a Mel model: the primary value holds the clean waveform's phase (so it
measures the perturbation), Griffin-Lim's is the labelled secondary value, and every SNR mean says
how many examples it leaves out."""

from __future__ import annotations

import math

import pytest
import torch

from benchmark.cells.attack import run_attack_cell
from benchmark.cells.inputs import LoadedModel
from benchmark.cells.rows import ResidentRows
from benchmark.cells.testset import TestSet as Examples
from benchmark.metrics import mean_std, not_finite, snr_db
from benchmark.plan.specs import AttackCellSpec
from benchmark.representations.spectral import Mel


class _Inputs:
    """The part of :class:`benchmark.cells.inputs.Inputs` an attack cell reads, on the CPU."""

    def __init__(self, model: LoadedModel, test: Examples) -> None:
        self._model, self.test = model, test
        self.device, self.num_classes = torch.device("cpu"), 2

    def model(self, entry: str) -> LoadedModel:
        return self._model

    def clean_audio(self, entry: str) -> ResidentRows:
        audio = self._model.representation.inverse(self._model.features[:], self.test.waveforms[:])
        return ResidentRows(audio, "clean")


def _mel_inputs() -> _Inputs:
    torch.manual_seed(0)
    t = torch.arange(4000) / 8000
    tones = torch.stack([0.4 * torch.sin(2 * math.pi * f * t) for f in (300.0, 500.0, 700.0, 900.0)])
    waveforms = (tones + 0.02 * torch.randn(4, 4000)).clamp(-1, 1)
    mel = Mel(8000, n_fft=256, hop_length=128, n_mels=16, n_iter=8)
    features = mel(waveforms)
    network = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(features[0].numel(), 2))
    labels = torch.tensor([0, 1, 0, 1])
    ids = [f"track{i}" for i in range(4)]
    test = Examples(ResidentRows(waveforms, "test"), labels, torch.arange(4), labels.clone(), ids)
    with torch.no_grad():
        logits = network(features)
    return _Inputs(LoadedModel("m", mel, network, {}, {}, ResidentRows(features, "features"), logits), test)


def test_mel_cell_snr_is_same_phase_with_griffin_lim_secondary_and_exclusions_counted() -> None:
    spec = AttackCellSpec(
        key="0" * 64,
        owner="m",
        label="m fgsm/native",
        attack="fgsm",
        backend="native",
        seed=0,
        batch_size=4,
        model="m",
        representation="mel",
        domain="representation",
        budget_table="mel",
        budgets=(0.0, 0.001),
    )
    unchanged, attacked = run_attack_cell(spec, _mel_inputs()).per_budget  # type: ignore[arg-type]
    # budget 0 leaves every example as it was: SNR +inf, so all 4 are excluded and there is no mean
    assert (unchanged.snr_db_excluded, unchanged.snr_db_mean, unchanged.snr_db_griffin_lim_excluded) == (
        4,
        None,
        4,
    )
    # +-0.001 on every feature scales each mel power by 10^(+-0.015): SNR near -20 log10(10^0.0075 - 1)
    # = 35.2 dB with the phase held (measured 33.3: the pseudo-inverse mixes bands of opposite sign);
    # Griffin-Lim measures its own phase estimate instead (measured 2.9 dB)
    assert attacked.snr_db_excluded == 0 and 30.0 < attacked.snr_db_mean < 36.0
    assert attacked.snr_db_griffin_lim_excluded == 0 and attacked.snr_db_griffin_lim_mean < 15.0


def test_snr_exclusions_are_counted_by_reason() -> None:
    """Rows: silent reference with noise (-inf), unchanged example (+inf), silent and unchanged
    (0 / 0, nan), and amplitude 1 against noise 0.1 (20 dB): one value is left for the mean."""
    ones, zeros = torch.ones(1, 4), torch.zeros(1, 4)
    reference = torch.cat([zeros, ones, zeros, ones])
    noise = torch.cat([ones, zeros, zeros, 0.1 * ones])
    values = snr_db(reference, noise)
    assert values[0] == -math.inf and values[1] == math.inf and math.isnan(values[2])
    assert not_finite(values) == 3
    assert mean_std(values) == pytest.approx((20.0, 0.0))
