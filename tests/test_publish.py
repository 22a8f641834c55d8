"""The publish views: one table model rendered to the terminal, Markdown and HTML (numbers never
broken, wide tables split into whole columns), and every figure as a valid PNG."""

from __future__ import annotations

import html
import io
import re

import pytest
import torch
from matplotlib.image import imread
from rich.console import Console

from benchmark.leaderboard.io import read_entry
from benchmark.paths import project_root
from benchmark.plan.sweep import SweepResult
from benchmark.publish import summary
from benchmark.publish.boards import board_table, boards
from benchmark.publish.figures import ExamplePanel, examples_png, fooling_curves_png, transferability_png
from benchmark.publish.sweep import markdown_table, sweep_png
from benchmark.publish.tables import Cell, Column, Table, terminal_console, to_html, to_markdown, to_rich

LEADERBOARDS = project_root() / "leaderboards"
ZOO = sorted((LEADERBOARDS / "zoo" / "v1" / "synth10").glob("*.json"))
STANDARD = sorted((LEADERBOARDS / "standard" / "v1" / "synth10").glob("*.json"))


def shown(table: Table, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def test_the_three_views_show_every_cell() -> None:
    table = Table(
        "Mixed <b>& signs</b>",
        [Column("entry"), Column("score", numeric=True, key="score"), Column("note")],
        [
            ["a<b>", "1.5 / 2.0", "x & y | z"],
            [Cell("paper", "paper", "https://example.org/?a=1&b=2"), "—", ""],
        ],
        notes="read <this>",
        row_ids=["a<b>", "paper"],
    )
    markdown = "\n".join(to_markdown(table))
    page = to_html(table, css_class="board", row_attribute="entry")
    terminal = shown(table, 120)
    for row in table.rows:
        for cell in row:
            text = cell.text if isinstance(cell, Cell) else cell
            assert text.replace("|", "\\|") in markdown and html.escape(text) in page and text in terminal
    assert "| entry | score | note |\n|---|---|---|" in markdown and "x & y \\| z" in markdown
    assert "[paper](https://example.org/?a=1&b=2)" in markdown
    assert "<b>" not in page and "&lt;b&gt;" in page and 'href="https://example.org/?a=1&amp;b=2"' in page
    assert '<th data-key="score" data-type="number">' in page and '<tr data-entry="a&lt;b&gt;">' in page
    assert '<td class="text" data-value="paper">' in page and '<td data-value="">—</td>' in page
    assert "<p>read &lt;this&gt;</p>" in page and "read <this>" in markdown and "read <this>" in terminal
    with pytest.raises(ValueError, match="a row has 2 cells for 3"):
        Table("bad", table.columns, [["a", "b"]])


def wide_tables() -> list[Table]:
    """The zoo's and the standard suite's summary tables (many entries and attacks, transfer,
    transferability) and a synthetic 40-column table."""
    entries = [read_entry(path) for path in ZOO + STANDARD]
    tables = [
        summary.robustness_table(entries),
        summary.attack_table(entries),
        summary.transfer_table(entries),
    ]
    tables += summary.transferability_tables(entries) + [board_table(board) for board in boards(entries)]
    columns = [Column("row"), *(Column(f"metric {i} (units)", numeric=True) for i in range(40))]
    rows = [
        [f"row {r}", *(f"{1234.5678 * (r + 1) * (i + 1):.4f} ± {i}.5" for i in range(40))] for r in range(3)
    ]
    return [*tables, Table("synthetic", columns, rows)]


@pytest.mark.parametrize("width", [80, 120])
def test_wide_tables_split_into_whole_columns_and_never_break_a_number(width: int) -> None:
    for table in wide_tables():
        assert table.rows, table.title
        text = shown(table, width)
        lines = text.splitlines()
        assert max(map(len, lines)) <= width, table.title
        for row in table.rows:
            for cell, column in zip(row, table.columns, strict=True):
                if column.numeric:
                    value = cell.text if isinstance(cell, Cell) else cell
                    assert any(value in line for line in lines), (table.title, value)
        parts = to_rich(table, width)
        for part in parts:  # every part repeats the key columns
            headers = [column.header.plain for column in part.columns]
            assert all(table.columns[key].title in headers for key in table.keys), table.title
        assert sum(len(part.columns) for part in parts) == len(table.columns) + (len(parts) - 1) * len(
            table.keys
        )
    synthetic = wide_tables()[-1]
    assert len(to_rich(synthetic, width)) > 1 and len(to_rich(synthetic, 1000)) == 1


def test_output_that_is_not_a_terminal_gets_120_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_console().width == 120  # pytest captures stdout: not a terminal
    monkeypatch.setenv("COLUMNS", "97")
    assert terminal_console().width == 97


def is_png(data: bytes) -> bool:
    image = imread(io.BytesIO(data), format="png")
    return data[:8] == b"\x89PNG\r\n\x1a\n" and image.shape[0] > 50 and image.shape[1] > 50


def test_every_figure_is_a_png() -> None:
    entries = [read_entry(path) for path in ZOO]
    assert is_png(fooling_curves_png(entries[0]))
    (models, matrix), *_ = summary.transferability_matrices(entries).values()
    assert is_png(transferability_png("heat map", models, matrix))
    generator = torch.Generator().manual_seed(0)
    audio, image = torch.rand(1, 1, 4000, generator=generator), torch.rand(1, 1, 32, 24, generator=generator)
    panels = [
        ExamplePanel("fgsm/native @ 0.01", image, image + 0.01, False, "chirp", "mel"),
        ExamplePanel("pgd/art @ 0.1", audio, audio * 0.9, True, "noise_burst", "stft"),
    ]
    assert is_png(examples_png("cnn2d_stft", "pure_tone", panels, sample_rate=16000, seconds=0.25))


def test_the_sweep_table_and_figure() -> None:
    row = {
        "entry": "cnn2d_stft_n_fft-512",
        "clean": {"segment": 0.5, "mv": 0.6, "sr": 0.7},
        "results_file": "results/x.json",
        "attacks": {
            "fgsm/native": {"fr_auc": 0.41234, "gradients_per_example": 1.0, "gradients_to_fr90": None}
        },
    }
    result = SweepResult.model_validate(
        {
            "harness_version": "0",
            "git_commit": None,
            "created_utc": "2025-01-01T00:00:00Z",
            "sweep": {
                "architecture": "cnn2d",
                "representation": "stft",
                "setting": "window",
                "values": ["hann", 512],
                "attacks": ["fgsm/native"],
                "budgets": [0.01, 0.03],
            },
            "dataset": {"name": "synth10", "version": "1.0"},
            "test_segments": 50,
            "rows": [{**row, "value": "hann"}, {**row, "value": 512, "entry": "cnn2d_stft_n_fft-1024"}],
        }
    )
    text = markdown_table(result)
    assert text.startswith(
        "# cnn2d (compact) on stft: window sweep\n\nDataset synth10 v1.0, test fold 0, 50 "
    )
    assert "| window | clean acc. segment (%) | MV (%) | SR (%) | fgsm/native FR-AUC |" in text
    assert "| hann | 50.0 | 60.0 | 70.0 | 0.4123 | 1 (-) |" in text and re.search(r"\| 512 \| 50\.0 \|", text)
    assert is_png(sweep_png(result))


def test_html_sort_values_drop_the_last_bits_of_a_float():
    """Two runs whose float sums differ in the last bits render the same page; the key still orders
    values that differ where a table could show it."""
    from benchmark.publish.tables import Cell, _html_cell

    a, b = (
        _html_cell(Cell("22.3", value), numeric=True) for value in (22.315126080815208, 22.315126080815144)
    )
    assert a == b == '<td data-value="22.3151261">22.3</td>'
    assert _html_cell(Cell("0.1", 0.10000001), numeric=True) != _html_cell(Cell("0.1", 0.1), numeric=True)
    assert _html_cell(Cell("7", 7), numeric=True) == '<td data-value="7">7</td>'
