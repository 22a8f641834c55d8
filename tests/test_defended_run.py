"""A defended suite end to end on the committed checkpoint: the defense is in the cell key, the
standard attack on quantization sees zero gradients and is flagged, BPDA gets through, EOT and
the k-draw judging are recorded with their cost."""

from __future__ import annotations

import tomllib

import pytest

from benchmark import api
from benchmark.leaderboard.compare import Comparison, compare_entries, metrics
from benchmark.leaderboard.io import read_entry
from benchmark.plan.suite import Suite
from benchmark.publish.boards import markdown_board
from benchmark.publish.defenses import defense_tables

SUITE = """
name = "defended_tiny"
version = 1
description = "a defended model, standard and adaptive PGD"
dataset = "synth10"
test_tracks_per_class = 1
segment_seconds = 1.0
overlap = 0.75
batch_size = 64
defense_draws = 3

[models.cnn2d_stft]
architecture = "cnn2d"
config = "compact"
representation = "stft"
representation_params = { n_fft = 512, hop_length = 256 }
training = { epochs = 15, batch_size = 50, learning_rate = 2e-3, patience = 4, val_fraction = 0.2 }

[models.cnn2d_stft_quantize]
undefended = "cnn2d_stft"
defense = [{ name = "quantize", bits = 8 }]

[models.cnn2d_stft_noise]
undefended = "cnn2d_stft"
defense = [{ name = "noise", snr_db = 30 }]

[[attacks]]
attack = "pgd"
domain = "waveform"
backends = ["native"]
models = ["cnn2d_stft", "cnn2d_stft_quantize", "cnn2d_stft_noise"]
params = { steps = 2, rel_stepsize = 0.75 }
max_examples = 26
budgets = { waveform = [0.03] }

[[attacks]]
attack = "pgd"
domain = "waveform"
backends = ["native"]
models = ["cnn2d_stft_quantize"]
params = { steps = 2, rel_stepsize = 0.75 }
bpda = true
max_examples = 26
budgets = { waveform = [0.03] }

[[attacks]]
attack = "pgd"
domain = "waveform"
backends = ["native"]
models = ["cnn2d_stft_noise"]
params = { steps = 2, rel_stepsize = 0.75 }
eot = 3
max_examples = 26
budgets = { waveform = [0.03] }
"""


@pytest.fixture(scope="module")
def entries(tmp_path_factory):
    output = tmp_path_factory.mktemp("lb")
    api.run(Suite.model_validate(tomllib.loads(SUITE)), device="cpu", output=output, use_cache=False)
    folder = output / "defended_tiny" / "v1" / "synth10"
    return {path.stem: read_entry(path) for path in folder.glob("*.json")}


def test_undefended_entry_has_no_defense_record(entries):
    (cell,) = entries["cnn2d_stft"].attacks
    assert cell.defense is None and not entries["cnn2d_stft"].flags


def test_quantization_masks_standard_pgd_and_bpda_gets_through(entries):
    entry = entries["cnn2d_stft_quantize"]
    standard, bpda = sorted(entry.attacks, key=lambda c: c.defense.gradient_mode == "bpda")
    assert standard.defense.zero_gradient_fraction == 1.0 and bpda.defense.zero_gradient_fraction == 0.0
    assert standard.key != bpda.key and standard.key != entries["cnn2d_stft"].attacks[0].key
    fooled = {cell.defense.gradient_mode: cell.per_budget[0].fooling_rate for cell in entry.attacks}
    assert fooled["bpda"] > fooled["standard"] + 0.1
    for cell in (standard, bpda):
        assert cell.per_budget[0].gradient_evals_per_example == 2
    codes = {flag.code: flag for flag in entry.flags}
    assert codes["zero_gradients"].attack == "pgd/native @waveform" and "adaptive_beats_standard" in codes


def test_randomized_defense_is_judged_over_k_draws_and_eot_counts_every_draw(entries):
    entry = entries["cnn2d_stft_noise"]
    standard, eot = sorted(entry.attacks, key=lambda c: c.defense.eot)
    assert standard.defense.draws == eot.defense.draws == 3 and eot.defense.eot == 3
    assert standard.per_budget[0].gradient_evals_per_example == 2
    assert eot.per_budget[0].gradient_evals_per_example == 6  # 2 steps x 3 draws
    assert eot.label == "pgd/native @waveform eot3"
    assert "randomized_output" in {flag.code for flag in entry.flags}


def test_defended_entries_compare_with_every_evidence_field_toleranced(entries):
    entry = entries["cnn2d_stft_noise"]
    found = metrics(entry)
    for name in ("zero_gradient_fraction", "randomized_output_fraction", "eot", "draws"):
        assert ("pgd/native @waveform eot3", f"defense.{name}") in found
    comparison = Comparison()
    compare_entries(entry, entry, comparison)
    assert comparison.compared > 0 and not comparison.drifts


def test_defense_table_groups_defended_entries_and_marks_masked_numbers(entries):
    ordered = [entries[name] for name in ("cnn2d_stft", "cnn2d_stft_quantize", "cnn2d_stft_noise")]
    (table,) = defense_tables(ordered)
    rows = {str(row[0].text).strip(): row for row in table.rows}
    shown = [str(row[0].text) for row in table.rows]
    assert shown == ["cnn2d_stft", "  cnn2d_stft_quantize", "  cnn2d_stft_noise"]
    assert rows["cnn2d_stft_quantize"][1] == "quantize(bits=8)"
    assert rows["cnn2d_stft_quantize"][4].text.endswith("(unreliable)")
    assert not rows["cnn2d_stft"][4].text.endswith("(unreliable)")
    assert rows["cnn2d_stft_noise"][6] == "standard, standard+eot3"
    assert "## Defenses: each defended model under its undefended one" in markdown_board(ordered)
