"""Pons & Serra 2019 front-ends: feature sizes against the paper and the authors' configuration
(jordipons/elmarc ``config_file.py``), receptive-field errors, seeded rebuilds, no batch norm, and
the MFCC baseline's 120 statistics against a numpy reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import truncnorm
from torch import nn

from benchmark.errors import BenchmarkError
from benchmark.models.pons import FRONT_ENDS, build_front_end
from benchmark.models.pons_layers import WeightStream, variance_scaling
from benchmark.random_features import front_end_sha256
from benchmark.registry import MODELS

WAVEFORM = ("sample_level", "frame_level", "frame_level_many_shapes")
#: elmarc num_filters x feature layers: ~3500 ("paper") and ~120-160 ("paper_small", "compact")
FEATURE_SIZES = {
    "sample_level": (512 * 7, 23 * 7),
    "frame_level": (896 * 4, 40 * 4),
    "frame_level_many_shapes": (448 * 8, 20 * 8),
    "7x96": (3585, 160),
    "7x86": (3585, 160),
    "timbral": (256 * 14, 8 * 14),
    "temporal": (256 * 15 - 4 * 64, 8 * 15 - 4 * 2),
    "timbral_temporal": (128 * (14 + 15) - 4 * 32, 4 * (14 + 15) - 4 * 1),
    "vgg": (717 * 5, 32 * 5),
}
#: sec. 3.1: 350,000 samples at 12 kHz; 96-band log-mel of it with hop 256 (1368 centred frames)
PAPER_INPUT = {"waveform": (1, 350_000), "mel": (1, 96, 1368)}
COMPACT_INPUT = {"waveform": (1, 16_000), "mel": (1, 96, 63)}
#: sha256 (first 16 hex digits) of each compact front-end's weights at seed 0
PINNED = {  # the same under torch 2.11 and 2.14: WeightStream draws no torch randomness
    "sample_level": "1fdc64a81f60d890",
    "frame_level": "d3e555fbc0dd4185",
    "frame_level_many_shapes": "eed9edd230267387",
    "7x96": "3e517cf0bd4bc55c",
    "7x86": "83d6d3ab91d847a9",
    "timbral": "1afc97c53ab8e4ce",
    "temporal": "9d6900f8e628c572",
    "timbral_temporal": "0e0441a4de721cb5",
    "vgg": "87d502ad89454f05",
}


def _input(architecture: str, table: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    return table["waveform" if architecture in WAVEFORM else "mel"]


@pytest.mark.parametrize("architecture", list(FRONT_ENDS))
def test_feature_sizes_match_the_papers_two_settings(architecture):
    large, small = FEATURE_SIZES[architecture]
    assert build_front_end(architecture, "paper", 0).feature_size == large
    assert 3584 <= large <= 3585  # "an alternative configuration with more feature maps (~3500)"
    for config in ("paper_small", "compact"):
        assert build_front_end(architecture, config, 0).feature_size == small
    assert 112 <= small <= 161  # "CNN models have ~120 feature maps"


@pytest.mark.parametrize("architecture", list(FRONT_ENDS))
def test_small_front_ends_run_at_the_papers_input_and_compact_at_one_second(architecture):
    for config, table in (("paper_small", PAPER_INPUT), ("compact", COMPACT_INPUT)):
        shape = _input(architecture, table)
        model = MODELS.get(f"pons_{architecture}")(input_shape=shape, num_classes=10, config=config)
        features = model.features(torch.rand(1, *shape))
        assert features.shape == (1, model.front_end.feature_size)
        assert torch.isfinite(features).all()


@pytest.mark.parametrize(
    ("architecture", "config", "shape", "needed"),
    [
        (
            "sample_level",
            "compact",
            (1, 2186),
            "length (samples) of 2186 is too short for this config; it needs at least 2187",
        ),
        ("frame_level", "compact", (1, 735), "it needs at least 736"),
        ("frame_level_many_shapes", "compact", (1, 224), "it needs at least 225"),
        ("7x86", "compact", (1, 85, 63), "height (frequency bands) of 85 is too short"),
        (
            "7x96",
            "compact",
            (1, 96, 6),
            "width (frames) of 6 is too short for this config; it needs at least 7",
        ),
        (
            "vgg",
            "paper",
            (1, 96, 1279),
            "width (frames) of 1279 is too short for this config; it needs at least 1280",
        ),
        ("vgg", "compact", (1, 95, 63), "it needs at least 96"),
    ],
)
def test_an_input_shorter_than_the_receptive_field_is_one_line(architecture, config, shape, needed):
    with pytest.raises(BenchmarkError) as error:
        MODELS.get(f"pons_{architecture}")(input_shape=shape, num_classes=10, config=config)
    assert needed in str(error.value) and "\n" not in str(error.value)


def test_unknown_front_end_config_or_back_end_is_one_line():
    with pytest.raises(BenchmarkError, match="unknown pons front-end 'wavenet'; choose one of sample_level"):
        build_front_end("wavenet", "compact", 0)
    with pytest.raises(
        BenchmarkError, match="unknown pons_vgg config 'big'; choose one of paper, paper_small"
    ):
        MODELS.get("pons_vgg")(input_shape=(1, 96, 63), num_classes=10, config="big")
    with pytest.raises(BenchmarkError, match="unknown pons back-end 'knn'; choose one of svm, elm"):
        MODELS.get("pons_vgg")(input_shape=(1, 96, 63), num_classes=10, backend="knn")


@pytest.mark.parametrize("architecture", list(FRONT_ENDS))
def test_front_ends_are_rebuilt_from_their_seed_and_stored_nowhere(architecture):
    front_end = build_front_end(architecture, "compact", 0)
    assert front_end_sha256(front_end)[:16] == PINNED[architecture]
    assert front_end_sha256(build_front_end(architecture, "compact", 1)) != front_end_sha256(front_end)
    assert front_end.state_dict() == {} and not list(front_end.parameters())  # never trained, never saved
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in front_end.modules())  # sec. 3.4


def test_weight_stream_is_numpys_pcg64_double_stream():
    """The documented PCG64 double: numpy's own ``Generator.random`` is the reference."""
    expected = np.random.Generator(np.random.PCG64(7)).random(1000)
    np.testing.assert_array_equal(WeightStream(7).uniform(1000), expected)


def test_variance_scaling_is_tf_truncated_normal_at_two_sigma():
    """TF-contrib variance scaling: std sqrt(2.6 / fan_in) before truncation at +-2 std; the
    truncated law's moments come from scipy.stats.truncnorm."""
    shape = (256, 8, 3, 3)
    weight = variance_scaling(shape, WeightStream(0))
    assert weight.dtype == torch.float32 and weight.shape == shape
    weight, scale = weight.double(), math.sqrt(2.6 / (8 * 3 * 3))
    assert weight.abs().max() <= 2 * scale * (1 + 1e-6)
    reference = truncnorm(-2, 2, scale=scale)
    assert weight.std().item() == pytest.approx(reference.std(), rel=0.02)
    assert abs(weight.mean().item()) < 4 * reference.std() / math.sqrt(weight.numel())


@pytest.mark.parametrize("architecture", ["sample_level", "vgg", "timbral_temporal"])
def test_a_clips_features_do_not_depend_on_its_batch(architecture):
    """Sec. 3.4: without batch normalisation a clip's features are the same whatever its batch."""
    shape = _input(architecture, COMPACT_INPUT)
    front_end = build_front_end(architecture, "compact", 0)
    batch = torch.rand(5, *shape, generator=torch.Generator().manual_seed(0))
    alone = front_end(batch[2:3])
    torch.testing.assert_close(front_end(batch)[2:3], alone, rtol=1e-5, atol=1e-6)


def test_vgg_uses_elu_and_the_papers_pools():
    """Sec. 3.1: VGG is the one front-end with ELUs; pools 4x2, 4x3, 5x2, 4x2, 4x4 (time x frequency)
    bring 1376x96 down to 1x1."""
    vgg = build_front_end("vgg", "paper", 0)
    assert [(t, f) for f, t in vgg.pools] == [(4, 2), (4, 3), (5, 2), (4, 2), (4, 4)]
    frames, bands = 1376, 96
    for f, t in vgg.pools:
        frames, bands = frames // t, bands // f
    assert (frames, bands) == (1, 1)
    x = torch.rand(4, 1, 96, 63, generator=torch.Generator().manual_seed(0))
    assert (build_front_end("vgg", "compact", 0)(x) < 0).any()  # ELU features can be negative
    assert (build_front_end("7x86", "compact", 0)(x) >= 0).all()  # ReLU features cannot


def test_mfcc_statistics_match_numpy():
    """Sec. 3: mean and std over time of 20 MFCCs, their deltas and double deltas = 120 values
    (deltas as the authors' first differences)."""
    model = MODELS.get("pons_mfcc")(input_shape=(1, 20, 63), num_classes=10)
    mfcc = torch.randn(3, 1, 20, 63, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ours = model.features(mfcc).numpy()
    m = mfcc[:, 0].numpy()
    d = m[..., 1:] - m[..., :-1]
    dd = d[..., 1:] - d[..., :-1]
    expected = np.concatenate([f(x, axis=-1) for x in (m, d, dd) for f in (np.mean, np.std)], axis=1)
    assert ours.shape == (3, 120)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


def test_arb_train_refuses_a_front_end_too_big_for_the_input_before_fitting(tmp_path, one_line_error):
    """A VGG needs 96 bands (pools 2 x 3 x 2 x 2 x 4 over frequency): 64 is one line, nothing written."""
    from benchmark.cli import main
    from benchmark.plan.suite import suite_path

    text = suite_path("pons").read_text().replace("n_mels = 96,", "n_mels = 64,", 1)
    (tmp_path / "pons.toml").write_text(text)
    baselines = tmp_path / "baselines"
    assert main(["train", "--suite", str(tmp_path / "pons.toml"), "--baselines", str(baselines)]) == 2
    assert "pons_vgg: input height (frequency bands) of 64 is too short" in one_line_error()
    assert not baselines.exists()
