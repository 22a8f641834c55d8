"""Defended and randomized submissions (issue 11, item 6): the manifest's chain runs in the harness
in front of the boxed model, `arb submit` adds the adaptive attacks the submission calls for
(BPDA, EOT), and the entry records them, their gradient mode and the masking flags with their
evidence; a bad declaration is one line, exit 2, nothing written."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from test_submission import EXAMPLE, FORWARD, TINY_SUITE, edit, submit
from tiny_suite import fgsm

from benchmark.cli import main
from benchmark.defenses.waveform import GaussianNoise, LowPass, Quantize
from benchmark.errors import SubmissionError
from benchmark.leaderboard.io import read_entry
from benchmark.plan.suite import AttackSpec, load_suite
from benchmark.submission import box as box_module
from benchmark.submission.adaptive import (
    EOT_DRAWS,
    Adaptation,
    adaptation,
    check_eot_backends,
    declared_adaptation,
    variants,
)
from benchmark.submission.evaluate import check_planned_gradients
from benchmark.submission.manifest import read_manifest, submission_info

needs_box = pytest.mark.skipif(
    box_module.sandbox_problem() is not None, reason=f"no sandbox here: {box_module.sandbox_problem()}"
)
QUANTIZE = 'defense = [{ name = "quantize", bits = 8 }]'
ROUNDED = "spectrogram = torch.round(spectrogram * 16) / 16\n        " + FORWARD
SUITE = TINY_SUITE.replace("batch_size = 32", "batch_size = 32\ndefense_draws = 3")
#: and Linf FGSM from the audio, standard and (on a quantized entry, like the defenses suite) BPDA:
#: the only attacks that reach a waveform defense before an STFT input
FROM_AUDIO = (
    SUITE
    + """
[models.cnn1d_gammatone_waveform_quantize]
undefended = "cnn1d_gammatone_waveform"
defense = [{ name = "quantize", bits = 8 }]

"""
    + fgsm("cnn1d_gammatone_waveform", domain="waveform", waveform=[0.005, 0.02, 0.05])
    + fgsm("cnn1d_gammatone_waveform_quantize", domain="waveform", waveform=[0.005, 0.02, 0.05]).replace(
        "backends", "bpda = true\nbackends"
    )
)

WAVEFORM_MODEL = """
import torch
from torch import nn


class TinyWaveformNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 4, kernel_size=64, stride=32)
        self.head = nn.Linear(4, 10)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(audio)).mean(dim=2))


def build() -> nn.Module:
    return TinyWaveformNet()
"""

WAVEFORM_MANIFEST = """
name = "tiny-waveform"
authors = ["tests"]
license = "MIT"
dataset = "synth10"
entry_point = "model:build"
weights = "model.safetensors"
defense = [{ name = "quantize", bits = 8 }]

[input]
domain = "waveform"
sample_rate = 16000
samples = 16000
"""


@pytest.fixture
def suite(tmp_path) -> Path:
    path = tmp_path / "tiny_submit.toml"
    path.write_text(SUITE)
    return path


@pytest.fixture
def example(tmp_path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__")
    return Path(shutil.copytree(EXAMPLE, tmp_path / EXAMPLE.name, ignore=ignore))


@pytest.fixture
def waveform(tmp_path) -> Path:
    """A tiny untrained waveform model behind 8-bit quantization (seeded weights)."""
    folder = tmp_path / "tiny-waveform"
    folder.mkdir()
    (folder / "model.py").write_text(WAVEFORM_MODEL)
    (folder / "submission.toml").write_text(WAVEFORM_MANIFEST)
    spec = importlib.util.spec_from_file_location("tiny_waveform_model", folder / "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    save_file(module.build().state_dict(), str(folder / "model.safetensors"))
    return folder


def declare(folder: Path, line: str) -> None:
    edit(folder / "submission.toml", "\n[input]", f"\n{line}\n\n[input]")


def entry_of(output: Path, name: str):
    return read_entry(output / "tiny_submit" / "v1" / "synth10" / f"{name}.json")


def test_which_adaptive_attacks_a_submission_needs():
    assert adaptation([], randomized=False) is None
    assert adaptation([LowPass], randomized=False) is None  # exact gradient: the standard attack suffices
    assert adaptation([Quantize], randomized=False) == Adaptation(bpda=True, eot=1)
    assert adaptation([GaussianNoise], randomized=False) == Adaptation(bpda=False, eot=EOT_DRAWS)
    assert adaptation([], randomized=True) == Adaptation(bpda=False, eot=3)
    assert adaptation([Quantize(bits=8), GaussianNoise(snr_db=30)], randomized=False) == Adaptation(True, 3)
    spec = AttackSpec(attack="pgd", backends=["native"], models=["m"], budgets={"stft": [0.01]})
    assert variants(spec, None) == [spec]
    plain, adapted = variants(spec, Adaptation(bpda=True, eot=3))
    assert plain == spec and (adapted.bpda, adapted.eot, adapted.budgets) == (True, 3, spec.budgets)
    # a suite's own adaptation (for its defended entries) gives way to the submission's
    suites_eot = spec.model_copy(update={"eot": 3})
    assert variants(suites_eot, None) == [spec]
    assert variants(suites_eot, Adaptation(bpda=True, eot=1))[1].eot == 1
    # Square takes no gradient: not adapted, and not refused for a randomized submission
    square = AttackSpec(attack="square", backends=["native", "art"], models=["m"], budgets={"stft": [0.01]})
    assert variants(square, Adaptation(bpda=True, eot=3)) == [square]
    check_eot_backends([spec, square], Adaptation(bpda=False, eot=3), "s")
    with pytest.raises(SubmissionError, match=r"attack 'fgsm' through backend 'art' cannot do"):
        check_eot_backends(
            [square, spec.model_copy(update={"attack": "fgsm", "backends": ["art"]})],
            Adaptation(bpda=False, eot=3),
            "s",
        )


def test_a_declared_chain_enters_the_identity_only_when_set(example):
    """Cell keys hash the manifest's identity: an undefended submission's keys stay what they were."""
    plain = read_manifest(example)
    declare(example, 'defense = [{ name = "squeeze", bits = 5 }]')
    defended = read_manifest(example)
    assert "defense" not in plain.identity() and "randomized" not in plain.identity()
    assert defended.identity()["defense"] == [{"name": "squeeze", "bits": 5}]
    assert declared_adaptation(defended) == Adaptation(bpda=True, eot=1)
    assert declared_adaptation(plain) is None


@needs_box
def test_a_quantized_submission_gets_bpda_cells(waveform, suite, tmp_path):
    output = tmp_path / "lb"
    assert submit(waveform, suite, output) == 0
    entry = entry_of(output, "tiny-waveform")
    standard, bpda = entry.attacks
    assert (standard.label, bpda.label) == ("fgsm/native", "fgsm/native bpda")
    assert standard.defense.chain == bpda.defense.chain == [{"name": "quantize", "bits": 8}]
    assert (standard.defense.gradient_mode, bpda.defense.gradient_mode) == ("standard", "bpda")
    assert standard.defense.zero_gradient_fraction == 1.0 and bpda.defense.zero_gradient_fraction == 0.0
    assert standard.defense.draws == bpda.defense.draws == 1 and standard.key != bpda.key
    zero = [flag for flag in entry.flags if flag.code == "zero_gradients"]
    assert [flag.attack for flag in zero] == ["fgsm/native"] and "100.0%" in zero[0].message
    assert entry.score is not None and entry.score.attacks == ["fgsm/native", "fgsm/native bpda"]


@needs_box
def test_a_randomized_submission_gets_eot_cells_judged_over_k_draws(example, suite, tmp_path):
    declare(example, "randomized = true")
    noisy = "spectrogram = spectrogram + 0.02 * torch.randn_like(spectrogram)\n        " + FORWARD
    edit(example / "model.py", FORWARD, noisy)
    output = tmp_path / "lb"
    assert submit(example, suite, output) == 0
    entry = entry_of(output, EXAMPLE.name)
    standard, eot = entry.attacks
    assert (standard.label, eot.label) == ("fgsm/native", "fgsm/native eot3")
    assert (standard.defense.eot, eot.defense.eot) == (1, 3)
    assert standard.defense.draws == eot.defense.draws == 3
    assert [p.gradient_evals_per_example for p in eot.per_budget] == [3.0, 3.0]  # every draw counted
    assert standard.defense.chain == [] and standard.defense.randomized_output_fraction == 1.0
    codes = {flag.code for flag in entry.flags}
    assert "randomized_output" in codes and not codes & {"inconsistent_logits", "inconsistent_gradient"}
    assert entry.score is not None and entry.score.attacks == ["fgsm/native", "fgsm/native eot3"]
    worst = min(p.robust_accuracy.segment for c in entry.attacks for p in c.per_budget if p.budget == 0.05)
    assert entry.score.robust_accuracy.segment <= worst  # the per-example worst case over both


@needs_box
def test_a_model_rounding_inside_forward_is_flagged_with_zero_gradients(example, suite, tmp_path):
    edit(example / "model.py", FORWARD, ROUNDED)
    output = tmp_path / "lb"
    assert submit(example, suite, output) == 0
    entry = entry_of(output, EXAMPLE.name)
    (cell,) = entry.attacks  # no surrogate to adapt with: flagged, not adapted
    assert cell.defense is not None and cell.defense.zero_gradient_fraction == 1.0
    assert cell.defense.chain == [] and cell.defense.gradient_mode == "standard"
    assert "zero_gradients" in {flag.code for flag in entry.flags}


@needs_box
def test_validate_says_what_submit_will_add(example, capsys):
    edit(example / "model.py", FORWARD, ROUNDED)
    declare(example, 'defense = [{ name = "squeeze", bits = 5 }]')
    assert main(["validate", str(example), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "the input gradient is finite and all zero (masked: flagged zero_gradients)" in out
    assert "adaptive: submit also runs every attack with bpda (as the manifest declares)" in out


BAD = {
    "unknown defense": (
        "example",
        'defense = [{ name = "quantise", bits = 8 }]',
        "field 'defense': unknown defense 'quantise'; did you mean 'quantize'",
    ),
    "unknown parameter": (
        "example",
        'defense = [{ name = "squeeze", bit = 5 }]',
        "field 'defense': defense 'squeeze' has no parameter 'bit'; did you mean 'bits'?",
    ),
    "wrong domain order": (
        "example",
        'defense = [{ name = "squeeze", bits = 5 }, { name = "quantize" }]',
        "'squeeze' (domain representation) comes before 'quantize' (domain waveform): put waveform "
        "defenses first",
    ),
    "randomized on a library backend": (
        "art",
        "randomized = true",
        "suite 'tiny_submit' must attack it with EOT, which attack 'fgsm' through backend 'art' cannot do",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_defense_declarations_fail_before_any_code_runs(case, example, suite, tmp_path, one_line_error):
    which, line, expected = BAD[case]
    if which == "art":
        suite.write_text(SUITE.replace('backends = ["native"]', 'backends = ["native", "art"]'))
    declare(example, line)
    output = tmp_path / "lb"
    assert submit(example, suite, output) == 2
    assert expected in one_line_error()
    assert not output.exists()


@needs_box
def test_a_waveform_defense_before_an_stft_submission_is_attacked_from_the_audio(example, tmp_path):
    """Only the end-to-end attacks run (one on the STFT would skip the quantizer), standard and
    BPDA, each once (the suite's own BPDA spec is the standard one's adapted version), and the
    run's gradients are the ones estimated before it."""
    suite = tmp_path / "tiny_submit.toml"
    suite.write_text(FROM_AUDIO)
    declare(example, QUANTIZE)
    manifest = read_manifest(example)
    info = submission_info(example, manifest)
    estimate = check_planned_gradients(load_suite(str(suite)), manifest, info, limit=10**9)
    output = tmp_path / "lb"
    assert submit(example, suite, output) == 0
    entry = entry_of(output, EXAMPLE.name)
    standard, bpda = entry.attacks
    assert (standard.label, bpda.label) == ("fgsm/native @waveform", "fgsm/native @waveform bpda")
    assert standard.domain == bpda.domain == "waveform"
    assert standard.defense.chain == bpda.defense.chain == [{"name": "quantize", "bits": 8}]
    assert (standard.defense.gradient_mode, bpda.defense.gradient_mode) == ("standard", "bpda")
    assert standard.defense.zero_gradient_fraction == 1.0 and bpda.defense.zero_gradient_fraction == 0.0
    assert [p.budget for p in bpda.per_budget] == [0.005, 0.02, 0.05]
    assert [p.fooling_rate for p in standard.per_budget] == [0.0] * 3  # the quantizer zeroes its gradient
    assert bpda.per_budget[-1].robust_accuracy.segment < standard.per_budget[-1].robust_accuracy.segment
    assert {"zero_gradients", "adaptive_beats_standard"} <= {flag.code for flag in entry.flags}
    assert [p.gradient_evals_per_example for c in entry.attacks for p in c.per_budget] == [1.0] * 6
    assert estimate == 2 * 3 * 30  # 2 cells x 3 budgets x 30 segments, not the STFT attack's 2 x 2 x 30


def test_without_attacks_from_the_audio_a_waveform_defense_before_stft_is_refused(
    example, suite, tmp_path, one_line_error
):
    declare(example, QUANTIZE)
    edit(example / "model.py", "import torch", 'raise RuntimeError("submitted code ran")\nimport torch')
    output = tmp_path / "lb"
    assert submit(example, suite, output) == 2
    assert one_line_error() == (
        "arb: error: field 'defense': 'quantize' acts on the waveform in front of input 'stft', so only "
        "attacks from the audio (domain = \"waveform\", waveform budgets) reach it, and suite 'tiny_submit' "
        "has none: use a suite whose attacks run from the audio (e.g. --suite defenses), or remove "
        "'quantize' from the chain"
    )
    assert not output.exists()


def test_a_representation_defense_on_a_waveform_input_is_refused(waveform, suite, tmp_path, one_line_error):
    edit(waveform / "submission.toml", QUANTIZE, 'defense = [{ name = "squeeze", bits = 5 }]')
    output = tmp_path / "lb"
    assert submit(waveform, suite, output) == 2
    expected = "field 'defense': 'squeeze' acts on the representation, but the model takes input.domain = "
    assert expected + '"waveform" (raw audio, no representation to act on)' in one_line_error()
    assert not output.exists()
