"""The reference model zoo of Esmaeilpour et al. (sec. 4.2, Table 6) and Wyse (sec. 2): published
architectures and parameter counts, 1x128x128 inputs, compact configs that train, clear errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from benchmark.errors import BenchmarkError
from benchmark.models import esmaeilpour, wyse
from benchmark.models.inspect import layer_output_shapes
from benchmark.registry import MODELS

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: one thread in every pool

ZOO = ("resnet18", "resnet34", "resnet56", "alexnet", "googlenet", "sbcnn", "lstm", "freq_channels_cnn1d")
PAPER_INPUT = (1, 128, 128)

#: parameters at 1x128x128 and 10 classes, (paper, compact); the ResNets and AlexNet are pinned
#: to torchvision's published counts below, the rest follow from the layer tables
PARAMETERS = {
    "resnet18": (11_175_370, 176_578),
    "resnet34": (21_283_530, 335_330),
    "resnet56": (855_482, 54_582),
    "alexnet": (57_029_322, 106_554),
    "googlenet": (5_984_810, 96_578),
    "sbcnn": (241_434, 35_802),
    "lstm": (265_482, 21_066),
    "freq_channels_cnn1d": (4_377_002, 81_354),
}


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build(
    name: str, config: str, input_shape: tuple[int, ...] = PAPER_INPUT, num_classes: int = 10
) -> nn.Module:
    factory = MODELS.get(name)
    if config == "paper":
        with torch.device("meta"):
            return factory(input_shape=input_shape, num_classes=num_classes, config=config)
    return factory(input_shape=input_shape, num_classes=num_classes, config=config)


def module_outputs(model: nn.Module, modules: dict[str, nn.Module], input_shape: tuple[int, ...]) -> dict:
    """Output shape (without batch) of each named module in one meta-device forward."""
    shapes: dict[str, tuple[int, ...]] = {}
    handles = [
        module.register_forward_hook(
            lambda _m, _i, out, key=key: shapes.__setitem__(key, tuple(out.shape[1:]))
        )
        for key, module in modules.items()
    ]
    try:
        layer_output_shapes(model, input_shape)
    finally:
        for handle in handles:
            handle.remove()
    return shapes


@pytest.mark.parametrize("name", ZOO)
def test_paper_and_compact_counts_and_outputs(name: str) -> None:
    paper, compact = build(name, "paper"), build(name, "compact")
    assert (count(paper), count(compact)) == PARAMETERS[name]
    assert layer_output_shapes(paper, PAPER_INPUT)[-1] == ("Linear", (10,))


@pytest.mark.parametrize(
    ("name", "input_shape", "num_classes", "published"),
    [
        # torchvision's model zoo counts (3x224x224, 1000 classes); Esmaeilpour keep "the
        # architectures of these ConvNets except for the first layer and the last layer"
        ("resnet18", (3, 224, 224), 1000, 11_689_512),
        ("resnet34", (3, 224, 224), 1000, 21_797_672),
        ("alexnet", (3, 224, 224), 1000, 61_100_840),
        # He et al. 2016 Table 6: 0.85M; projection shortcuts add 2 x (1x1 conv + BN) = 2,752
        ("resnet56", (3, 32, 32), 10, 855_770),
    ],
)
def test_published_parameter_counts(
    name: str, input_shape: tuple[int, int, int], num_classes: int, published: int
) -> None:
    assert count(build(name, "paper", input_shape, num_classes)) == published


def test_resnet18_stages_at_128() -> None:
    model = build("resnet18", "paper")
    stages = {f"stage{i}": getattr(model, f"stage{i}") for i in range(1, 5)}
    assert module_outputs(model, stages, PAPER_INPUT) == {
        "stage1": (64, 32, 32),
        "stage2": (128, 16, 16),
        "stage3": (256, 8, 8),
        "stage4": (512, 4, 4),
    }
    blocks = [len(getattr(build("resnet34", "paper"), f"stage{i}")) for i in range(1, 5)]
    assert blocks == [3, 4, 6, 3]
    resnet56 = build("resnet56", "paper")
    assert [len(resnet56.stage1), len(resnet56.stage2), len(resnet56.stage3)] == [9, 9, 9]
    assert module_outputs(resnet56, {"stage3": resnet56.stage3}, PAPER_INPUT) == {"stage3": (64, 32, 32)}


def test_googlenet_matches_szegedy_table_1() -> None:
    """Szegedy et al. 2015, Table 1 at 224x224: output size and depth of every inception module."""
    model = build("googlenet", "paper", (3, 224, 224), 1000)
    modules = {name: module for name, module in model.named_children() if name.startswith("inception")}
    table = {
        "3a": (256, 28),
        "3b": (480, 28),
        "4a": (512, 14),
        "4b": (512, 14),
        "4c": (512, 14),
        "4d": (528, 14),
        "4e": (832, 14),
        "5a": (832, 7),
        "5b": (1024, 7),
    }
    expected = {f"inception{key}": (depth, size, size) for key, (depth, size) in table.items()}
    assert module_outputs(model, modules, (3, 224, 224)) == expected
    assert module_outputs(model, {"stem": model.stem}, (3, 224, 224)) == {"stem": (192, 28, 28)}
    assert model.dropout.p == 0.4


def test_sbcnn_matches_salamon_and_bello() -> None:
    """1x128x128 -> (4, 2) pools over (time, frequency) -> a 2400-input dense layer (their W4)."""
    model = build("sbcnn", "paper")
    rows = [row for row in layer_output_shapes(model, PAPER_INPUT) if row[0] in ("Conv2d", "MaxPool2d")]
    assert rows == [
        ("Conv2d", (24, 124, 124)),
        ("MaxPool2d", (24, 62, 31)),
        ("Conv2d", (48, 58, 27)),
        ("MaxPool2d", (48, 29, 6)),
        ("Conv2d", (48, 25, 2)),
    ]
    assert model.fc.in_features == 2400 and model.fc.out_features == 64
    assert model.dropout0.p == model.dropout.p == 0.5


def test_alexnet_and_lstm_shapes() -> None:
    alexnet = build("alexnet", "paper")
    shapes = module_outputs(alexnet, {"features": alexnet.features, "pool": alexnet.pool}, PAPER_INPUT)
    assert shapes == {"features": (256, 3, 3), "pool": (256, 6, 6)}
    lstm = build("lstm", "paper")
    assert (lstm.lstm.input_size, lstm.lstm.hidden_size, lstm.lstm.num_layers) == (128, 128, 2)
    assert layer_output_shapes(lstm, PAPER_INPUT)[0] == ("LSTM", (128, 128))


def test_freq_channels_matches_wyse() -> None:
    """Wyse's 257-bin x 856-frame ESC-50 input: bins become 257 input channels of the first Conv1d."""
    model = build("freq_channels_cnn1d", "paper", (1, 257, 856), 50)
    rows = [row for row in layer_output_shapes(model, (1, 257, 856)) if row[0] not in ("ReLU", "Dropout")]
    assert rows == [
        ("Flatten", (257, 856)),
        ("Conv1d", (2048, 846)),
        ("MaxPool1d", (2048, 423)),
        ("Conv1d", (64, 413)),
        ("MaxPool1d", (64, 206)),
        ("Flatten", (64 * 206,)),
        ("Linear", (32,)),
        ("Linear", (50,)),
    ]
    assert model.conv1.in_channels == 257 and model.conv1.kernel_size == (11,)


@pytest.mark.parametrize("name", ZOO)
def test_compact_trains_one_step_and_gradients_reach_the_input(name: str) -> None:
    torch.manual_seed(0)
    model = build(name, "compact", num_classes=7)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.rand(4, *PAPER_INPUT)
    loss = nn.functional.cross_entropy(model(x), torch.tensor([0, 1, 2, 3]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True))
    model.eval()
    x = x.clone().requires_grad_(True)
    logits = model(x)
    assert logits.shape == (4, 7)
    (grad,) = torch.autograd.grad(logits[:, 0].sum(), x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


@pytest.mark.parametrize("name", ZOO)
def test_unknown_config_and_bad_shape_raise(name: str) -> None:
    factory = MODELS.get(name)
    with pytest.raises(
        BenchmarkError, match=rf"unknown {name} config 'huge'; choose one of 'compact', 'paper'"
    ):
        factory(input_shape=PAPER_INPUT, num_classes=10, config="huge")
    with pytest.raises(BenchmarkError, match=r"input_shape must be \(channels, frequency, time\)"):
        factory(input_shape=(1, 16000), num_classes=10)


@pytest.mark.parametrize(
    ("factory", "smallest", "message"),
    [
        (esmaeilpour.alexnet, (1, 63, 63), "at least 63x63"),
        (esmaeilpour.sbcnn, (1, 32, 100), "at least 32x100"),
        (wyse.freq_channels_cnn1d, (1, 128, 34), "at least 34"),
    ],
)
def test_too_small_inputs_raise_and_the_stated_minimum_is_exact(
    factory: Callable[..., nn.Module], smallest: tuple[int, int, int], message: str
) -> None:
    channels, height, width = smallest
    with torch.device("meta"):
        factory(input_shape=smallest, num_classes=10, config="paper")
        for too_small in ((channels, height - 1, width), (channels, height, width - 1)):
            if factory is wyse.freq_channels_cnn1d and too_small[1] < height:
                continue  # any number of bins works: they are channels
            with pytest.raises(BenchmarkError, match=message):
                factory(input_shape=too_small, num_classes=10, config="paper")


def test_registry_resolves_and_docstrings_cite_the_seeds() -> None:
    for name in ZOO:
        factory = MODELS.get(name)
        assert factory.__name__ == name
        assert "Esmaeilpour" in (factory.__doc__ or "") or "Wyse" in (factory.__doc__ or "")
    assert MODELS.get("freq_channels_cnn1d") is wyse.freq_channels_cnn1d
    assert MODELS.get("resnet18") is esmaeilpour.resnet18
