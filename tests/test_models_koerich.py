"""Koerich et al. 2020 reference CNNs: layer shapes equal Tables I and II, the gammatone layer
stays frozen and is a real gammatone bank, and the compact configs are usable classifiers."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from torch import nn

from benchmark.errors import BenchmarkError
from benchmark.models import gammatone, koerich
from benchmark.models.inspect import layer_output_shapes
from benchmark.registry import MODELS

# Table I rows "Output Shape" as printed (H, W, C), converted to torch's (C, H, W).
TABLE_I = {
    "stft": [(255, 429, 32), (253, 427, 32), (126, 213, 32), (124, 211, 64), (122, 209, 64), (60, 103, 64)],
    "mf": [(62, 429, 32), (60, 427, 32), (30, 213, 32), (28, 211, 64), (26, 209, 64), (12, 103, 64)],
}
TABLE_I_TYPES = ["Conv2d", "Conv2d", "MaxPool2d", "Conv2d", "Conv2d", "MaxPool2d", "Linear", "Linear"]
# Table II: (layer, # of filters, output length).
TABLE_II = [
    ("GammatoneConv1d", 32, 109739),
    ("AvgPool1d", 32, 13717),
    ("Conv1d", 16, 6731),
    ("AvgPool1d", 16, 841),
    ("Conv1d", 32, 389),
    ("Conv1d", 64, 179),
    ("Conv1d", 128, 82),
    ("MaxPool1d", 128, 41),
]
TABLE_LAYERS = {"Conv2d", "MaxPool2d", "GammatoneConv1d", "AvgPool1d", "Conv1d", "MaxPool1d", "Linear"}


def _table_rows(model: nn.Module, input_shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    return [row for row in layer_output_shapes(model, input_shape) if row[0] in TABLE_LAYERS]


@pytest.mark.parametrize(("representation", "freq_bins"), [("stft", 257), ("mf", 64)])
def test_cnn2d_paper_matches_table_i(representation: str, freq_bins: int) -> None:
    with torch.device("meta"):
        model = MODELS.get("cnn2d")(input_shape=(1, freq_bins, 431), num_classes=10, config="paper")
    expected = [(c, h, w) for h, w, c in TABLE_I[representation]] + [(1024,), (10,)]
    assert _table_rows(model, (1, freq_bins, 431)) == list(zip(TABLE_I_TYPES, expected, strict=True))
    # Batch norm after every convolution, ReLU throughout, dropout 0.4 after the dense layer.
    types = [name for name, _ in layer_output_shapes(model, (1, freq_bins, 431))]
    conv_at = [i for i, name in enumerate(types) if name == "Conv2d"]
    assert [types[i + 1 : i + 3] for i in conv_at] == [["BatchNorm2d", "ReLU"]] * 4
    assert types[-4:] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert model.dropout.p == 0.4


def test_cnn1d_paper_matches_table_ii() -> None:
    with torch.device("meta"):
        model = MODELS.get("cnn1d_gammatone")(
            input_shape=(1, 110250), num_classes=10, sample_rate=22050, config="paper"
        )
    expected = [(name, (filters, length)) for name, filters, length in TABLE_II]
    assert _table_rows(model, (1, 110250)) == [*expected, ("Linear", (256,)), ("Linear", (10,))]
    assert model.gammatone.weight.shape == (32, 1, 512)
    assert model.gammatone.weight.device.type == "meta"
    types = [name for name, _ in layer_output_shapes(model, (1, 110250))]
    conv_at = [i for i, name in enumerate(types) if name in ("GammatoneConv1d", "Conv1d")]
    assert [types[i + 1 : i + 3] for i in conv_at] == [["BatchNorm1d", "LeakyReLU"]] * 5
    assert types[-4:] == ["Linear", "LeakyReLU", "Dropout", "Linear"]
    assert model.dropout.p == 0.4


def test_layer_output_shapes_leaves_model_untouched() -> None:
    model = koerich.cnn2d(input_shape=(1, 257, 63), num_classes=10)
    before = {name: t.clone() for name, t in model.state_dict().items()}
    rows = layer_output_shapes(model, (1, 257, 63))
    assert rows[-1] == ("Linear", (10,))
    after = model.state_dict()
    assert all(t.device.type == "cpu" and torch.equal(t, after[name]) for name, t in before.items())


def test_gammatone_layer_stays_frozen_in_training() -> None:
    torch.manual_seed(0)
    model = koerich.cnn1d_gammatone(input_shape=(1, 16000), num_classes=10, sample_rate=16000)
    model.train()
    model.requires_grad_(True)  # even an explicit unfreeze of the whole model cannot reach it
    frozen = model.gammatone.weight
    assert not frozen.requires_grad
    assert all(p is not frozen for p in model.parameters())
    frozen_before, conv_before = frozen.clone(), model.conv1.weight.detach().clone()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    x, y = torch.randn(4, 1, 16000), torch.randint(0, 10, (4,))
    for _ in range(3):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    assert torch.equal(model.gammatone.weight, frozen_before)
    assert not torch.allclose(model.conv1.weight, conv_before)
    assert "gammatone.weight" in model.state_dict()  # checkpoints carry the bank


@pytest.mark.parametrize(
    ("factory", "kwargs", "input_shape"),
    [
        (koerich.cnn2d, {"input_shape": (1, 257, 63)}, (1, 257, 63)),
        (koerich.cnn1d_gammatone, {"input_shape": (1, 16000), "sample_rate": 16000}, (1, 16000)),
    ],
)
def test_compact_models_give_finite_logits_and_input_gradients(
    factory: Callable[..., nn.Module], kwargs: dict[str, object], input_shape: tuple[int, ...]
) -> None:
    torch.manual_seed(0)
    model = factory(num_classes=7, **kwargs)
    for mode in (True, False):
        model.train(mode)
        x = torch.randn(4, *input_shape, requires_grad=True)
        logits = model(x)
        assert logits.shape == (4, 7)
        assert torch.isfinite(logits).all()
        logits[:, 0].sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize(
    ("config", "sample_rate", "tolerance_erb"),
    # 8 ms of compact taps truncate the lowest filters' envelopes, which shifts their peaks a little.
    [("paper", 22050, 0.05), ("compact", 16000, 0.25)],
)
def test_gammatone_filters_peak_at_their_centre_frequencies(
    config: str, sample_rate: int, tolerance_erb: float
) -> None:
    cfg = koerich.CNN1D_CONFIGS[config]
    n, low_hz = cfg.gammatone_filters, cfg.gammatone_low_hz
    bank = gammatone.gammatone_filterbank(n, cfg.gammatone_taps, sample_rate, low_hz=low_hz)
    assert bank.shape == (n, 1, cfg.gammatone_taps)
    centres = gammatone.erb_space(low_hz, 0.45 * sample_rate, n)
    assert centres[0].item() == pytest.approx(low_hz)
    n_fft = 1 << 16  # 0.34 Hz bins at 22.05 kHz
    response = torch.fft.rfft(bank[:, 0].double(), n=n_fft).abs()
    peaks = response.argmax(dim=-1).double() * sample_rate / n_fft
    # Every filter peaks within a fraction of its ERB of its centre frequency, at unit gain.
    assert ((peaks - centres).abs() <= tolerance_erb * gammatone.erb_hz(centres)).all()
    assert torch.allclose(response.amax(dim=-1), torch.ones(n, dtype=torch.float64), atol=1e-3)
    # Centre frequencies are equally spaced on the ERB-rate scale.
    rates = 21.4 * torch.log10(4.37 * centres / 1000 + 1)
    assert torch.allclose(rates.diff(), rates.diff().mean().expand(n - 1))
    assert math.isclose(centres[-1].item(), 0.45 * sample_rate, rel_tol=1e-9)


def test_unknown_config_and_small_input_raise_benchmark_error() -> None:
    with pytest.raises(BenchmarkError, match=r"unknown cnn2d config 'huge'.*'compact', 'paper'"):
        koerich.cnn2d(input_shape=(1, 257, 63), num_classes=10, config="huge")
    with pytest.raises(BenchmarkError, match="unknown cnn1d_gammatone config"):
        koerich.cnn1d_gammatone(input_shape=(1, 16000), num_classes=10, sample_rate=16000, config="huge")
    with pytest.raises(BenchmarkError, match=r"too small.*at least 20x20"):
        koerich.cnn2d(input_shape=(1, 64, 19), num_classes=10, config="paper")
    with torch.device("meta"):  # the stated minimum is exact
        koerich.cnn2d(input_shape=(1, 20, 20), num_classes=10, config="paper")
    with pytest.raises(BenchmarkError, match="too small"):
        koerich.cnn1d_gammatone(input_shape=(1, 4000), num_classes=10, sample_rate=22050, config="paper")
    with pytest.raises(BenchmarkError, match="Nyquist"):
        gammatone.gammatone_filterbank(8, 64, 8000, low_hz=100.0, high_hz=5000.0)


def test_registry_resolves_the_lazy_names() -> None:
    assert MODELS.get("cnn2d") is koerich.cnn2d
    assert MODELS.get("cnn1d_gammatone") is koerich.cnn1d_gammatone
    assert "Table I" in (koerich.cnn2d.__doc__ or "")
    assert "Table II" in (koerich.cnn1d_gammatone.__doc__ or "")
