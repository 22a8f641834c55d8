"""Defenses: each built-in against a hand-computed or scipy reference, BPDA and EOT gradients and
their cost, judging a randomized model over k draws, and the one-line errors of a bad chain."""

from __future__ import annotations

import shutil
import tomllib

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
import torch
from torch import nn

from benchmark.attacks.base import build_attack
from benchmark.budgets import Bounds
from benchmark.defenses.base import DefenseSpec, build_defense
from benchmark.defenses.chain import DefendedClassifier, judged_logits
from benchmark.defenses.checks import randomized_output_fraction, zero_gradient_fraction
from benchmark.defenses.mp3 import band_edge
from benchmark.defenses.waveform import below_edge
from benchmark.errors import BenchmarkError
from benchmark.paths import project_root
from benchmark.plan.suite import Suite
from benchmark.registry import DEFENSES


def _defense(name: str, **params):
    return build_defense(DefenseSpec(name=name, params=params), "test")


def test_quantize_rounds_to_the_bit_depth_by_hand():
    # bits 3: q = 4, levels k / 4
    out = _defense("quantize", bits=3)(torch.tensor([[0.1, 0.13, -0.38, 0.99, -1.0]]))
    assert out.tolist() == [[0.0, 0.25, -0.5, 1.0, -1.0]]


def test_resample_is_box_mean_then_linear_interpolation():
    x = torch.tensor([[1.0, 3.0, 5.0, 7.0, 9.0, 11.0]])
    out = _defense("resample", factor=2)(x)
    # means 2, 6, 10 at sample centres 0.5, 2.5, 4.5; linear in between, held at the edges
    expected = np.interp(np.arange(6), [0.5, 2.5, 4.5], [2.0, 6.0, 10.0])
    np.testing.assert_allclose(out.numpy()[0], expected, atol=1e-6)


def test_lowpass_equals_scipy_firwin_convolution():
    x = torch.randn(2, 400, generator=torch.Generator().manual_seed(0)) * 0.3
    out = _defense("lowpass", cutoff=0.3, taps=31)(x)
    taps = scipy.signal.firwin(31, 0.3, window="hamming")
    for row in range(2):
        reference = np.convolve(x[row].numpy(), taps, mode="same")
        np.testing.assert_allclose(out[row].numpy(), reference, atol=1e-6)


def test_median_equals_scipy_median_filter_with_replicated_edges():
    x = torch.randn(3, 50, generator=torch.Generator().manual_seed(1))
    out = _defense("median", window=5)(x)
    reference = scipy.ndimage.median_filter(x.numpy(), size=(1, 5), mode="nearest")
    np.testing.assert_allclose(out.numpy(), reference, atol=0)


def test_noise_hits_its_snr_and_scale_stays_in_its_range():
    torch.manual_seed(0)
    x = 0.1 * torch.sin(torch.arange(64000) / 7.0).unsqueeze(0)
    noise = _defense("noise", snr_db=20.0)(x) - x
    snr = 20 * torch.log10(x.pow(2).mean().sqrt() / noise.pow(2).mean().sqrt())
    assert abs(float(snr) - 20.0) < 0.1
    ratio = _defense("scale", low=0.5, high=0.8)(torch.full((1000, 4), 0.5)) / 0.5
    assert float(ratio.min()) >= 0.5 and float(ratio.max()) <= 0.8
    assert torch.allclose(ratio, ratio[:, :1].expand_as(ratio))  # one scalar per example


def test_polyphase_resample_keeps_a_tone_under_the_new_nyquist_and_removes_one_above():
    t = torch.arange(16000) / 16000
    x = torch.stack([0.5 * torch.sin(2 * torch.pi * 440 * t), 0.5 * torch.sin(2 * torch.pi * 6000 * t)])
    out = _defense("resample_poly", factor=2)(x)  # 8 kHz in between: Nyquist 4 kHz
    rms = x[0].pow(2).mean().sqrt()
    assert out.shape == x.shape and out.dtype == x.dtype
    assert float((out - x)[0, 100:-100].pow(2).mean().sqrt() / rms) < 0.01  # 440 Hz kept
    assert float(out[1, 100:-100].pow(2).mean().sqrt() / rms) < 0.01  # 6 kHz gone
    # and it is scipy's polyphase resampler down then up, sample for sample
    down = scipy.signal.resample_poly(x.double().numpy(), 1, 2, axis=1)
    reference = scipy.signal.resample_poly(down, 2, 1, axis=1)[:, :16000]
    assert np.allclose(out.numpy(), reference, atol=1e-6)


def test_squeeze_maps_features_to_2_bits_by_hand():
    out = _defense("squeeze", bits=2)(torch.tensor([0.0, 0.1, 0.2, 0.5, 0.9]))
    assert torch.allclose(out, torch.tensor([0.0, 0.0, 1 / 3, 2 / 3, 1.0]))


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (apt-get install ffmpeg)")
def test_mp3_keeps_length_alignment_and_most_of_a_tone():
    t = torch.arange(16000) / 16000
    x = torch.stack([0.5 * torch.sin(2 * torch.pi * 440 * t), 0.3 * torch.sin(2 * torch.pi * 880 * t)])
    out = _defense("mp3", bitrate=64)(x)
    assert out.shape == x.shape
    error = (out - x)[:, 1000:-1000].pow(2).mean(dim=1).sqrt() / x.pow(2).mean(dim=1).sqrt()
    assert float(error.max()) < 0.1  # aligned to the sample: a one-sample shift of 880 Hz errs ~0.35


def test_mp3_without_ffmpeg_is_one_line(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(BenchmarkError, match=r"needs ffmpeg.*apt-get install -y ffmpeg"):
        _defense("mp3")(torch.zeros(1, 2000))


def _linear() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(8, 3))


def _input_gradient(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    model(x).sum().backward()
    assert x.grad is not None
    return x.grad


def test_bpda_passes_the_surrogate_gradient_and_standard_mode_passes_zero():
    network, x = _linear(), torch.rand(2, 8) * 0.5
    identity = DefendedClassifier([], None, network)
    names = ("quantize", "resample_poly", "mp3") if shutil.which("ffmpeg") else ("quantize", "resample_poly")
    for name in names:
        chain = [_defense(name)]
        standard = _input_gradient(DefendedClassifier(chain, nn.Identity(), network), x)
        bpda = _input_gradient(DefendedClassifier(chain, nn.Identity(), network, bpda=True), x)
        assert torch.count_nonzero(standard) == 0
        if name == "quantize":  # the identity
            assert torch.allclose(bpda, _input_gradient(identity, x))
        else:  # the low-pass below the band edge: the codec's measured one, the lower rate's Nyquist
            edge = band_edge(64, 16000) if name == "mp3" else 0.5
            lowpass = _defense("lowpass", cutoff=below_edge(edge))
            expected = _input_gradient(DefendedClassifier([lowpass], nn.Identity(), network), x)
            assert torch.allclose(bpda, expected) and not torch.allclose(bpda, _input_gradient(identity, x))


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (apt-get install ffmpeg)")
def test_mp3_band_edge_is_lames_lowpass_and_the_surrogate_tracks_the_codec():
    # LAME keeps about 7.2 kHz of 8 at 16 kHz, and cuts lower as the bitrate falls at 44.1 kHz
    assert 0.85 < band_edge(64, 16000) < 0.95
    assert band_edge(32, 44100) < band_edge(64, 44100) < band_edge(128, 44100)
    # the surrogate's transition band (6.6 / 62 of Nyquist for 63 taps) ends at the edge
    assert below_edge(band_edge(64, 16000)) == pytest.approx(band_edge(64, 16000) - 3.3 / 62)
    noise = torch.from_numpy(np.random.default_rng(1).standard_normal((2, 16000)).astype(np.float32)) * 0.1
    mp3 = _defense("mp3", bitrate=64)
    decoded = mp3(noise)
    # white noise loses its top ~10 % of the band: the low-pass is closer to the codec than x is
    # (0.67 of the identity's error here; it also cuts the top of the band the codec keeps)
    assert (decoded - mp3.surrogate(noise)).norm() < 0.75 * (decoded - noise).norm()


def test_zero_gradient_evidence_flags_a_round_in_forward():
    class Rounded(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = _linear()

        def forward(self, x):
            return self.inner(torch.round(x * 4) / 4)

    x, labels = torch.rand(5, 8), torch.tensor([0, 1, 2, 0, 1])
    assert zero_gradient_fraction(Rounded(), x, labels) == 1.0
    assert zero_gradient_fraction(_linear(), x, labels) == 0.0


def test_randomized_output_evidence():
    network, x = _linear(), torch.rand(4, 8)
    for name, fraction in (("scale", 1.0), ("quantize", 0.0)):
        defended = DefendedClassifier([_defense(name)], nn.Identity(), network)
        assert randomized_output_fraction(defended, x) == fraction


class _Sequence(nn.Module):
    """Returns the next of fixed logits at each call: a randomized model with known draws."""

    def __init__(self, draws: list[list[list[float]]]) -> None:
        super().__init__()
        self.draws, self.calls = [torch.tensor(d) for d in draws], 0

    def forward(self, x):
        self.calls += 1
        return self.draws[self.calls - 1]


def test_judged_logits_are_correct_only_when_every_draw_is():
    # 3 examples, labels 0; draw 1 wrong on example 1, draw 2 wrong on example 2
    right, wrong = [2.0, 0.0], [0.0, 2.0]
    network = _Sequence([[right, right, right], [right, wrong, right], [right, right, [0.0, 3.0]]])
    logits = judged_logits(network, torch.zeros(3, 1), torch.zeros(3, dtype=torch.long), 3)
    assert network.calls == 3
    assert logits.argmax(dim=1).tolist() == [0, 1, 1]
    assert logits[2].tolist() == [0.0, 3.0]  # the first wrong draw's logits


def test_eot_averages_and_counts_every_draw():
    network, x, labels = _linear(), torch.rand(4, 8), torch.tensor([0, 1, 2, 0])
    model = DefendedClassifier([_defense("noise", snr_db=10.0)], nn.Identity(), network)
    bounds = Bounds(0.0, 1.0)
    attack = build_attack("pgd", "native", {"steps": 3}, False).with_eot(5)
    result = attack(model, x, labels, budgets=[0.1], bounds=bounds)
    assert result.outputs[0].gradient_evals == 3 * 5 * 4
    assert "eot" not in attack.hyperparameters() and "_eot" not in attack.hyperparameters()
    with pytest.raises(BenchmarkError, match=r"cannot average gradients.*native"):
        build_attack("pgd", "art", {}, False).with_eot(5)


def test_every_defense_is_registered_with_a_docstring_source():
    for name in DEFENSES.names():
        cls = DEFENSES.get(name)
        assert cls.name == name and cls.__doc__ and cls.gradient in ("exact", "bpda", "none")


# --- bad chains and adaptive attacks: one line naming the defense, the field and the fix -----------

BASE = """
name = "d"
version = 1
description = "d"
dataset = "synth10"
segment_seconds = 1.0
overlap = 0.5
[models.m]
architecture = "cnn2d"
representation = "stft"
"""


def _suite(extra: str) -> Suite:
    return Suite.model_validate(tomllib.loads(BASE + extra))


def _defended(chain: str, head: str = 'undefended = "m"') -> str:
    return f"[models.x]\n{head}\ndefense = [{chain}]"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (_defended('{ name = "quantise" }'), "unknown defense 'quantise'; did you mean 'quantize'"),
        (_defended('{ name = "quantize", bit = 4 }'), "no parameter 'bit'; did you mean 'bits'"),
        (_defended('{ name = "quantize", bits = 40 }'), r"bits must be in \[2, 16\]"),
        (
            _defended('{ name = "squeeze" }, { name = "quantize" }'),
            r"'squeeze' \(domain representation\) comes before 'quantize'.*waveform defenses first",
        ),
        (_defended('{ name = "quantize" }', 'undefended = "nope"'), "'nope' is no undefended entry"),
        (_defended('{ name = "quantize" }', 'architecture = "cnn2d"\nrepresentation = "stft"'), "needs un"),
    ],
)
def test_bad_chain_is_one_line(extra, message):
    with pytest.raises(BenchmarkError, match=message) as error:
        _suite(extra)
    assert "\n" not in str(error.value) and "model 'x'" in str(error.value)


def _attack(model: str, defense: str, options: str, domain: str = "waveform") -> str:
    table = "waveform" if domain == "waveform" else "stft"
    return (
        f'[models.x]\nundefended = "m"\ndefense = [{{ name = "{defense}" }}]\n'
        f'[[attacks]]\nattack = "pgd"\nbackends = ["native"]\nmodels = ["{model}"]\ndomain = "{domain}"\n'
        f"budgets = {{ {table} = [0.01] }}\n{options}"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (_attack("x", "quantize", "eot = 4"), r"eot = 4, but no defense of the chain \('quantize'\) is rand"),
        (_attack("x", "lowpass", "bpda = true"), r"every defense of the chain \('lowpass'\) has an exact"),
        (_attack("m", "noise", "eot = 4"), "need a defended model"),
        (_attack("x", "quantize", "", domain="representation"), "'quantize' acts before the representation"),
    ],
)
def test_bad_adaptive_attack_is_one_line(extra, message):
    with pytest.raises(BenchmarkError, match=message) as error:
        _suite(extra)
    assert "\n" not in str(error.value)


def test_good_adaptive_suite_validates_and_inherits_the_undefended_spec():
    suite = _suite(_attack("x", "noise", "eot = 4"))
    assert suite.models["x"].checkpoint_spec() == suite.models["m"]
    assert suite.attacks[0].eot == 4
    assert "eot" not in suite.resolved()["models"]["m"] and "defense" not in suite.resolved()["models"]["m"]


def test_the_defenses_suite_loads():
    text = (project_root() / "registry" / "suites" / "defenses.toml").read_text()
    suite = Suite.model_validate(tomllib.loads(text))
    defended = [spec for spec in suite.models.values() if spec.defense]
    assert {spec.defense[0].name for spec in defended} == set(DEFENSES.names())


def test_adversarial_training_batch_is_a_pgd_adversarial_inside_the_ball():
    from benchmark.adversarial_training import adversarial_features
    from benchmark.models.spec import AdversarialTraining, TrainingRecipe

    network, x, labels = _linear(), torch.rand(6, 8) * 0.5 + 0.25, torch.tensor([0, 1, 2, 0, 1, 2])
    network.train()
    representation = nn.Identity()
    representation.bounds = Bounds(0.0, 1.0)  # what adversarial_features reads of a representation
    recipe = AdversarialTraining(epsilon=0.05, steps=3, domain="representation")
    adversarial = adversarial_features(recipe, representation, network, x, x, labels, seed=0)
    assert network.training  # the attack ran in eval mode and gave the mode back
    assert float((adversarial - x).abs().max()) <= 0.05 + 1e-6 and not torch.equal(adversarial, x)
    with torch.no_grad():
        losses = [float(nn.functional.cross_entropy(network(v), labels)) for v in (adversarial, x)]
    assert losses[0] > losses[1]
    assert "adversarial" not in TrainingRecipe().model_dump()  # cards of standard recipes unchanged
    with pytest.raises(ValueError, match="no pitch_shift"):
        TrainingRecipe(adversarial=recipe, pitch_shift=(0.9,))


def test_a_bpda_cell_key_names_the_surrogates_and_a_standard_one_does_not():
    """A cached BPDA result holds only for the surrogate it was computed with: changing a defense's
    surrogate must re-run its BPDA cells and keep every other key."""
    from benchmark.plan.facts import DataFacts, ModelFacts
    from benchmark.plan.planner import plan_suite
    from benchmark.plan.suite import load_suite

    suite = load_suite("defenses")
    tracks = tuple(i // 13 for i in range(130))

    def keys(surrogates: tuple[str, ...]) -> dict[tuple[str, bool, str], str]:
        models = {
            entry: ModelFacts(entry, spec.representation, Bounds(-1.0, 1.0), True, {}, False, surrogates)
            for entry, spec in suite.models.items()
        }
        plan = plan_suite(suite, DataFacts({"name": "synth10"}, 130, tracks), models)
        return {(c.model, c.bpda, c.label): c.key for c in plan.cells if c.kind == "attack"}

    old, new = keys(("mp3:identity",)), keys(("mp3:lowpass",))
    assert old.keys() == new.keys()
    changed = {cell for cell in old if old[cell] != new[cell]}
    assert changed and all(bpda for _, bpda, _ in changed)
    assert changed == {cell for cell in old if cell[1]}
