"""Figures and the HTML board a reader trusts at a glance (issue 14, item 8): legends never cover
data or reach a neighbouring panel, labels stay inside the figure, coinciding curves stay visible,
example panels carry class names, axes in s and Hz and colour bars, and the HTML board shows who
made each entry, links its files, shows the score's interval and plays the examples' audio.

Geometry is measured with matplotlib's own renderer on the committed leaderboards' entries (the
``standard`` cnn2d_stft plot has 24 curves in its first panel)."""

from __future__ import annotations

import html
import shutil
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from benchmark.cli import main
from benchmark.leaderboard.io import entry_path, read_entry, write_entry
from benchmark.paths import project_root
from benchmark.publish.figures import ExamplePanel, examples_figure, fooling_curves_figure

BOARDS = project_root() / "leaderboards"
ENTRIES = [
    BOARDS / "standard" / "v1" / "synth10" / "cnn2d_stft.json",
    BOARDS / "standard" / "v1" / "synth10" / "cnn1d_gammatone_waveform.json",
    BOARDS / "quick" / "v1" / "synth10" / "cnn2d_stft.json",
]


def drawn(figure):
    figure.canvas.draw()
    return figure.canvas.get_renderer()


@pytest.mark.parametrize("path", ENTRIES, ids=lambda p: f"{p.parts[-4]}-{p.stem}")
def test_fr_legends_cover_no_panel_and_labels_stay_inside(path):
    figure = fooling_curves_figure(read_entry(path))
    renderer = drawn(figure)
    panels = [axis for axis in figure.axes if axis.get_visible()]
    whole = figure.bbox
    legends = [axis for axis in panels if axis.get_legend() is not None]  # a panel with no FR has none
    assert legends
    for axis in legends:
        legend = axis.get_legend().get_window_extent(renderer)
        for other in panels:
            assert not legend.overlaps(other.get_window_extent(renderer)), (
                axis.get_title(),
                other.get_title(),
            )
            assert not legend.overlaps(other.xaxis.label.get_window_extent(renderer))
        for box in (
            legend,
            axis.xaxis.label.get_window_extent(renderer),
            axis.yaxis.label.get_window_extent(renderer),
        ):
            assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and whole.y0 <= box.y0 and box.y1 <= whole.y1
    if path.parts[-4] == "standard" and path.stem == "cnn2d_stft":
        assert len(panels[0].get_legend().get_texts()) == 24  # the issue's ~22-entry legend


def test_coinciding_curves_stay_visible():
    """BIM-a and BIM-b fool exactly the same segments of the quick cnn2d (identical curves): the
    one drawn first is drawn underneath with larger markers and a wider line, so both show."""
    figure = fooling_curves_figure(read_entry(ENTRIES[2]))
    lines = figure.axes[0].get_lines()
    same = [
        (a, b)
        for a, b in combinations(lines, 2)
        if np.array_equal(a.get_xydata(), b.get_xydata()) and a.get_color() != b.get_color()
    ]
    assert same, "the quick cnn2d entry has coinciding curves of different attacks"
    for below, above in same:
        assert below.get_zorder() < above.get_zorder()
        assert (
            below.get_markersize() > above.get_markersize() and below.get_linewidth() > above.get_linewidth()
        )
        assert below.get_alpha() < 1 and above.get_alpha() < 1


def test_example_panels_have_class_names_axes_in_s_and_hz_and_colour_bars():
    generator = torch.Generator().manual_seed(0)
    audio = 0.1 * torch.rand(1, 1, 16000, generator=generator)
    image = torch.rand(1, 1, 257, 63, generator=generator)
    panels = [
        ExamplePanel("fgsm/native @ 0.01", image, image + 0.01, False, "chirp", "stft"),
        ExamplePanel("pgd/native @ 0.01", audio, audio * 0.9, True, "noise_burst", "waveform"),
        ExamplePanel("fgsm/native @ 0.01", image[..., :40, :], image[..., :40, :], False, "chirp", "mel"),
    ]
    figure = examples_figure("m", "pure_tone", panels, sample_rate=16000, seconds=1.0)
    drawn(figure)
    images = [axis for axis in figure.axes if axis.images]
    bars = [axis for axis in figure.axes if not axis.images]
    assert len(images) == 9 and len(bars) == 6  # two colour bars per row
    assert [axis.get_title() for axis in images[:3]] == [
        "fgsm/native @ 0.01: clean",
        "perturbation",
        "adversarial: predicted chirp",
    ]
    assert "class pure_tone" in figure.get_suptitle()
    assert all(axis.get_xlabel() == "time (s)" for axis in images)
    assert [images[row * 3].get_ylabel() for row in range(3)] == [
        "frequency (Hz)",
        "frequency (Hz)",
        "mel bin",
    ]
    assert [images[row * 3].images[0].get_extent() for row in range(3)] == [
        [0.0, 1.0, 0.0, 8000.0],  # STFT bins span 0 Hz to Nyquist
        [0.0, 1.0, 0.0, 8000.0],
        [0.0, 1.0, 0.0, 40.0],
    ]
    assert bars[1].get_ylabel() == "clean and adversarial (input value)" and bars[3].get_ylabel() == (
        "clean and adversarial (dB)"
    )


@pytest.fixture
def board(tmp_path) -> Path:
    """The committed quick board, plus a submitted entry with a score interval, an example figure
    and its audio, in a leaderboard root of its own."""
    root = tmp_path / "leaderboards"
    shutil.copytree(BOARDS / "quick", root / "quick")
    data = read_entry(ENTRIES[2]).model_dump(mode="json")
    data["entry"] = "sub-cnn"
    data["score"]["interval"] = {name: {"low": 0.15, "high": 0.275} for name in ("segment", "mv", "sr")}
    data["submission"] = {
        "name": "sub-cnn",
        "authors": ["A. Author", "B. Author"],
        "paper": "https://example.org/paper",
        "license": "MIT",
        "entry_point": "model:build",
        "manifest_sha256": "0" * 64,
        "code_sha256": "0" * 64,
    }
    path = entry_path(root, "quick", 1, "synth10", "sub-cnn")
    write_entry(path, data)
    shutil.copy(
        BOARDS / "quick" / "v1" / "synth10" / "cnn2d_stft_examples.png",
        path.with_name("sub-cnn_examples.png"),
    )
    for name in ("clean", "pgd-native-waveform", "fgsm-art-representation-targeted"):
        soundfile.write(path.with_name(f"sub-cnn_example_{name}.wav"), np.zeros(160), 16000)
    return root


def test_the_html_board_shows_who_made_each_entry_links_its_files_and_plays_its_audio(board):
    assert main(["leaderboard", "--suite", "quick", "--output", str(board), "--format", "html"]) == 0
    page = html.unescape((board / "quick" / "v1" / "index.html").read_text())
    row = page.split('<tr data-entry="sub-cnn">')[1].split("</tr>")[0]
    assert ">21.2 [15.0, 27.5]</td>" in row  # the score with its 95 % interval
    assert ">6,218<" not in row and ">33,634</td>" in row  # its parameter count
    assert ">A. Author, B. Author</td>" in row and '<a href="https://example.org/paper">paper</a>' in row
    assert '<a href="synth10/sub-cnn.json">sub-cnn.json</a>' in row
    assert '<a href="synth10/summary.md">summary.md</a>' in row
    reference = page.split('<tr data-entry="cnn2d_stft">')[1].split("</tr>")[0]
    assert ">reference model</td>" in reference and '<a href="synth10/cnn2d_stft.json">' in reference
    assert (
        '<figure id="examples-sub-cnn"><img alt="adversarial examples of sub-cnn" '
        'src="synth10/sub-cnn_examples.png" loading="lazy">' in page
    )
    players = page.split('<figure id="examples-sub-cnn">')[1].split("</figure>")[0]
    assert [line.split(":")[0] for line in players.split("<figcaption>")[1:]] == [
        "clean",
        "adversarial, fgsm/art, representation domain, targeted",
        "adversarial, pgd/native, waveform domain",
    ]
    assert '<audio controls preload="none" src="synth10/sub-cnn_example_clean.wav"></audio>' in players
    linked = ("sub-cnn.json", "summary.md", "sub-cnn_example_clean.wav", "sub-cnn_examples.png")
    for source in (f"synth10/{name}" for name in linked):
        assert (board / "quick" / "v1" / source).is_file()  # every link resolves
