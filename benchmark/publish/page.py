"""The leaderboard as one self-contained, sortable HTML page (``index.html``): every board and
every entry's FR-vs-budget plot, embedded."""

from __future__ import annotations

import base64
import html

from benchmark.leaderboard.schema import LeaderboardEntry
from benchmark.publish.boards import NOTE, board_table, boards, heading
from benchmark.publish.defenses import defense_tables
from benchmark.publish.figures import fooling_curves_png
from benchmark.publish.tables import to_html

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: right; }
th { background: #f0f0f0; cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.text, th[data-type="text"] { text-align: left; }
figure { display: inline-block; margin: 0.5rem; }
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


def html_board(entries: list[LeaderboardEntry]) -> str:
    """A self-contained page: one sortable table per board and every entry's FR-vs-budget plot."""
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
        to_html(board_table(board), css_class="board", row_attribute="entry") for board in boards(entries)
    ]
    parts += [to_html(table, css_class="board", row_attribute="entry") for table in defense_tables(entries)]
    parts.append("<h2>Fooling rate vs budget</h2>")
    for entry in entries:
        image = base64.b64encode(fooling_curves_png(entry)).decode()
        name = escape(entry.entry)
        parts.append(
            f'<figure id="plot-{name}"><img alt="fooling rate vs budget for {name}" '
            f'src="data:image/png;base64,{image}"></figure>'
        )
    parts += [f"<script>{SCRIPT}</script>", "</body></html>", ""]
    return "\n".join(parts)
