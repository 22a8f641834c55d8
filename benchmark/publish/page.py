"""The leaderboard as one sortable HTML page (``index.html``): every board with who made each entry
and links to its files, every entry's FR-vs-budget plot and example figure (embedded), and the
examples' clean and adversarial audio (WAV files beside the results, played in place)."""

from __future__ import annotations

import base64
import html
from dataclasses import replace
from pathlib import Path

from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.publish.boards import NOTE, Board, board_table, boards, heading
from benchmark.publish.defenses import defense_tables
from benchmark.publish.figures import audio_name, fooling_curves_png
from benchmark.publish.tables import Cell, Column, Table, to_html

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: right; }
th { background: #f0f0f0; cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.text, th[data-type="text"] { text-align: left; }
figure { display: inline-block; margin: 0.5rem; }
figcaption { font-size: 0.85rem; margin: 0.2rem 0; }
figure img { max-width: 100%; }
"""

#: Click a header to sort by it (numbers first descending, text ascending; again to reverse);
#: ``#sort=<column>&order=asc|desc`` in the URL sorts every board on load.
SCRIPT = """
function sortBoard(table, key, descending) {
  const header = table.querySelector(`th[data-key="${key}"]`);
  if (!header) return;
  const index = Array.from(header.parentNode.children).indexOf(header);
  const numeric = header.dataset.type === "number";
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
    if (x === "" || y === "") return (x === "") - (y === "");
    const order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
    return descending ? -order : order;
  });
  rows.forEach((row) => body.appendChild(row));
  table.querySelectorAll("th").forEach((th) => th.removeAttribute("aria-sort"));
  header.setAttribute("aria-sort", descending ? "descending" : "ascending");
}
document.querySelectorAll("table.board th").forEach((th) => {
  th.addEventListener("click", () => {
    const current = th.getAttribute("aria-sort");
    const descending = current ? current === "ascending" : th.dataset.type === "number";
    sortBoard(th.closest("table"), th.dataset.key, descending);
  });
});
const wanted = new URLSearchParams(location.hash.slice(1));
if (wanted.has("sort")) {
  document.querySelectorAll("table.board").forEach((table) => {
    sortBoard(table, wanted.get("sort"), wanted.get("order") === "desc");
  });
}
"""


def _linked(board: Board, folder: Path) -> Table:
    """A board with who made each entry (authors, paper, parameters) and links to its files."""
    table = board_table(board)
    columns = [
        *table.columns,
        Column("parameters", numeric=True, key="parameters"),
        Column("authors", key="authors"),
        Column("paper", key="paper"),
        Column("files", key="files"),
        Column("summary", key="summary"),
    ]
    rows = []
    for row, entry in zip(table.rows, board.entries, strict=True):
        submission = entry.submission
        authors = ", ".join(submission.authors) if submission else "reference model"
        paper = submission.paper if submission else None
        where = f"{entry.dataset.name}/"
        summary = Cell("summary.md", None, where + "summary.md")
        rows.append(
            [
                *row,
                Cell(f"{entry.model.parameters:,}", entry.model.parameters),
                Cell(authors, authors),
                Cell("paper", paper, paper) if paper else Cell("—"),
                Cell(f"{entry.entry}.json", None, f"{where}{entry.entry}.json"),
                summary if (folder / where / "summary.md").is_file() else Cell("—"),
            ]
        )
    return replace(table, columns=columns, rows=rows)


def _image(data: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _examples(entry: LeaderboardEntry, folder: Path) -> list[str]:
    """The entry's example figure and its clean and adversarial audio, linked beside the results
    files rather than embedded (embedded, the standard board's page grew from 1 MB to 27 MB)."""
    where = folder / entry.dataset.name
    figure = where / f"{entry.entry}_examples.png"
    if not figure.is_file():
        return []
    name = html.escape(entry.entry)
    alt = html.escape(f"adversarial examples of {entry.entry}")
    source = html.escape(f"{entry.dataset.name}/{figure.name}")
    image = f'<img alt="{alt}" src="{source}" loading="lazy">'
    parts = [f'<figure id="examples-{name}">{image}']
    clean = where / audio_name(entry.entry, "clean")
    playlist = [(clean, "clean")] if clean.is_file() else []
    for wav in sorted(set(where.glob(audio_name(entry.entry, "*"))) - {clean}):
        row = wav.stem.removeprefix(Path(audio_name(entry.entry, "")).stem)
        if row.count("-") < 2:
            continue  # another entry's file whose name starts with this entry's
        attack, backend, domain, *targeted = row.split("-")  # as examples.py names the rows
        label = f"adversarial, {attack}/{backend}, {domain} domain{', targeted' if targeted else ''}"
        playlist.append((wav, label))
    for wav, label in playlist:
        source = html.escape(f"{entry.dataset.name}/{wav.name}")
        player = f'<audio controls preload="none" src="{source}"></audio>'
        parts.append(f"<figcaption>{html.escape(label)}: {player}</figcaption>")
    return [*parts, "</figure>"]


def html_board(entries: list[LeaderboardEntry], folder: Path) -> str:
    """The page for the board in ``folder`` (``<root>/<suite>/v<version>``): one sortable table per
    board with each entry's authors, paper, parameters and links to its results file and summary,
    every entry's FR-vs-budget plot and example figure (embedded) and its audio (linked)."""
    escape = html.escape
    title = escape(f"Leaderboard: {heading(entries)}")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>{escape(NOTE)} Click a column header to sort.</p>",
    ]
    parts += [
        to_html(_linked(board, folder), css_class="board", row_attribute="entry") for board in boards(entries)
    ]
    parts += [to_html(table, css_class="board", row_attribute="entry") for table in defense_tables(entries)]
    parts.append("<h2>Fooling rate vs budget</h2>")
    for entry in entries:
        name = escape(entry.entry)
        image = _image(fooling_curves_png(entry), f"fooling rate vs budget for {entry.entry}")
        parts.append(f'<figure id="plot-{name}">{image}</figure>')
    examples = [part for entry in entries for part in _examples(entry, folder)]
    if examples:
        parts += ["<h2>Adversarial examples</h2>", *examples]
    parts += [f"<script>{SCRIPT}</script>", "</body></html>", ""]
    return "\n".join(parts)
