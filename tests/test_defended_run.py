"""A defended suite end to end on the committed checkpoint: the defense is in the cell key, the
standard attack on quantization sees zero gradients and is flagged, BPDA gets through, EOT and
the k-draw judging are recorded with their cost."""

from __future__ import annotations

import tomllib

import pytest

from benchmark import api
from benchmark.leaderboard.compare import Comparison, compare_entries, metrics
from benchmark.leaderboard.io import read_entry
from benchmark.leaderboard.masking import convergence_flags
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

# the same PGD with twice the steps: its own name keeps its cell apart (not_converged compares them)
[[attacks]]
attack = "pgd"
domain = "waveform"
backends = ["native"]
models = ["cnn2d_stft"]
params = { steps = 4, rel_stepsize = 0.75 }
name = "steps4"
max_examples = 26
budgets = { waveform = [0.03] }

[[attacks]]
attack = "square"
domain = "waveform"
backends = ["native"]
models = ["cnn2d_stft_quantize"]
params = { queries = 20 }
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
    for cell in entries["cnn2d_stft"].attacks:
        assert cell.defense is None
    assert not entries["cnn2d_stft"].flags


def test_a_named_spec_runs_twice_the_steps_as_a_cell_of_its_own(entries):
    cells = {cell.label: cell for cell in entries["cnn2d_stft"].attacks}
    assert set(cells) == {"pgd/native @waveform", "pgd/native @waveform steps4"}
    short, long = cells["pgd/native @waveform"], cells["pgd/native @waveform steps4"]
    assert short.name is None and long.name == "steps4" and short.key != long.key
    assert long.per_budget[0].gradient_evals_per_example == 2 * short.per_budget[0].gradient_evals_per_example
    assert "name" not in short.model_dump()  # an unnamed cell dumps (and so compares) as before
    # the masking check pairs the two (same attack and params but steps): any drop at all flags them
    (flag,) = convergence_flags([short, long], tolerance=-1.0)
    assert flag.code == "not_converged" and flag.attack == "pgd/native @waveform"
    assert "not_converged" not in {f.code for f in entries["cnn2d_stft"].flags} or (
        short.per_budget[0].robust_accuracy.segment - long.per_budget[0].robust_accuracy.segment > 0.03
    )


def test_square_on_a_defended_entry_spends_queries_only(entries):
    (square,) = [cell for cell in entries["cnn2d_stft_quantize"].attacks if cell.attack == "square"]
    assert square.label == "square/native @waveform" and square.defense.gradient_mode == "standard"
    point = square.per_budget[0]
    assert point.gradient_evals == 0 and 0 < point.forward_evals <= 20 * square.examples
    # quantization zeroes every input gradient, so standard PGD moves nothing: queries alone fool more
    standard = next(c for c in entries["cnn2d_stft_quantize"].attacks if c.label == "pgd/native @waveform")
    assert point.robust_accuracy.segment < standard.per_budget[0].robust_accuracy.segment


def test_two_specs_with_one_label_on_one_model_are_refused_with_the_fix():
    suite = tomllib.loads(SUITE)
    twin = {**suite["attacks"][-2]}
    del twin["name"]
    suite["attacks"].append(twin)
    with pytest.raises(
        ValueError,
        match=r"attacks #1 and #6 both run 'pgd/native @waveform' on model "
        r"'cnn2d_stft': give one of them a distinguishing name",
    ):
        Suite.model_validate(suite)
    twin["name"] = "has space"
    with pytest.raises(ValueError, match="name"):
        Suite.model_validate(suite)


def test_quantization_masks_standard_pgd_and_bpda_gets_through(entries):
    entry = entries["cnn2d_stft_quantize"]
    pgd = [cell for cell in entry.attacks if cell.attack == "pgd"]
    standard, bpda = sorted(pgd, key=lambda c: c.defense.gradient_mode == "bpda")
    assert standard.defense.zero_gradient_fraction == 1.0 and bpda.defense.zero_gradient_fraction == 0.0
    assert standard.key != bpda.key and standard.key != entries["cnn2d_stft"].attacks[0].key
    fooled = {cell.defense.gradient_mode: cell.per_budget[0].fooling_rate for cell in pgd}
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
