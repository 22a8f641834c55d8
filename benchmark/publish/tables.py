"""One table model and its three views: the terminal (rich), Markdown and HTML.

The terminal view fits the console's width: numbers never wrap, and a table wider than the console
splits into several tables that each repeat its key columns, so whole columns move and digits
never break.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import ConsoleOptions

#: the console width when output is not a terminal (rich would use 80) and COLUMNS is not set
DEFAULT_WIDTH = 120
#: rich's default box: one border per column plus the right edge, and one space of padding each side
_BORDER, _PADDING = 1, 2


class Cell(NamedTuple):
    """A shown text, the value a page sorts it by (None sorts last), and an optional link."""

    text: str
    sort: float | str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Column:
    title: str
    #: numbers are right-aligned and never wrap
    numeric: bool = False
    #: a stable name for the HTML page's sort links; the title where empty
    key: str = ""


@dataclass(frozen=True)
class Table:
    """Rows of cells (or plain strings) under titled columns; ``notes`` explain how to read it.

    The ``keys`` columns (indices) identify a row: every part of a split terminal table repeats
    them. ``row_ids`` name each row for the HTML page (a ``data-<row_attribute>`` attribute)."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell | str]]
    notes: str = ""
    keys: Sequence[int] = (0,)
    row_ids: Sequence[str] = ()

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.title!r}: a row has {len(row)} cells for {len(self.columns)}")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[RichTable]:
        yield from to_rich(self, options.max_width)


def _cells(table: Table) -> list[list[Cell]]:
    return [[cell if isinstance(cell, Cell) else Cell(cell) for cell in row] for row in table.rows]


def terminal_console() -> Console:
    """A stdout console as wide as the terminal (rich's detection, or COLUMNS); 120 columns for a
    file or a pipe, where rich would assume 80."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = DEFAULT_WIDTH
    return console


# --- terminal -------------------------------------------------------------------------------------


def _header_width(title: str) -> int:
    """The narrowest width at which the title wraps onto at most two lines, words whole."""
    words = [cell_len(word) for word in title.split()] or [0]
    for width in range(max(words), sum(words) + len(words)):
        lines, used = 1, words[0]
        for word in words[1:]:
            if used + 1 + word <= width:
                used += 1 + word
            else:
                lines, used = lines + 1, word
        if lines <= 2:
            return width
    return cell_len(title)


def _extent(column: Column, texts: list[str], width: int) -> tuple[int, int, int]:
    """(narrowest, content, natural) width of a column: numbers keep their whole text and words of
    text stay whole up to a quarter of the console (longer ones fold); ``content`` fits every cell
    on one line, ``natural`` the title too."""
    longest = max((cell_len(text) for text in texts), default=0)
    if column.numeric:
        narrowest = longest
    else:
        words = max((cell_len(word) for text in texts for word in text.split()), default=0)
        narrowest = min(words, max(10, width // 4))
    narrowest = max(narrowest, min(_header_width(column.title), width // 4), 1)
    content = max(narrowest, longest)
    return narrowest, content, max(content, cell_len(column.title))


def _cost(width: int) -> int:
    return width + _PADDING + _BORDER


def _parts(table: Table, extents: list[tuple[int, int, int]], width: int) -> list[list[int]]:
    """Column indices of each part: the key columns and as many other whole columns as fit."""
    keys = [index for index in table.keys if index < len(table.columns)]
    base = _BORDER + sum(_cost(extents[i][0]) for i in keys)
    parts: list[list[int]] = []
    current: list[int] = []
    for index in (i for i in range(len(table.columns)) if i not in keys):
        used = base + sum(_cost(extents[i][0]) for i in current)
        if current and used + _cost(extents[index][0]) > width:
            parts.append(current)
            current = []
        current.append(index)
    return [sorted(keys + part) for part in [*parts, current]]


def _fit(extents: list[tuple[int, int, int]], width: int) -> list[int]:
    """Natural widths narrowed until the part fits ``width``: titles wrap first, then cells of text,
    the widest first."""
    widths = [natural for _, _, natural in extents]
    excess = _BORDER + sum(map(_cost, widths)) - width
    for floor in (1, 0):  # floors: the content width, then the narrowest
        while excess > 0:
            slack, index = max(
                (w - e[floor], i) for i, (w, e) in enumerate(zip(widths, extents, strict=True))
            )
            if slack <= 0:
                break
            widths[index] -= 1
            excess -= 1
    return widths


def to_rich(table: Table, width: int) -> list[RichTable]:
    """The table as rich tables that each fit ``width`` columns (one unless it is too wide)."""
    body = _cells(table)
    extents = [
        _extent(column, [row[index].text for row in body], width)
        for index, column in enumerate(table.columns)
    ]
    parts = _parts(table, extents, width)
    rendered = []
    for number, part in enumerate(parts, start=1):
        title = table.title if len(parts) == 1 else f"{table.title} ({number}/{len(parts)})"
        caption = Text(table.notes) if table.notes and number == len(parts) else None
        result = RichTable(title=Text(title), title_justify="left", caption=caption, caption_justify="left")
        for index, size in zip(part, _fit([extents[i] for i in part], width), strict=True):
            column = table.columns[index]
            justify = "right" if column.numeric else "left"
            result.add_column(Text(column.title), justify=justify, width=size, overflow="fold")
        for row in body:
            result.add_row(*(Text(row[i].text, no_wrap=table.columns[i].numeric) for i in part))
        rendered.append(result)
    return rendered


# --- Markdown -------------------------------------------------------------------------------------


def _markdown_cell(cell: Cell) -> str:
    text = cell.text.replace("|", "\\|")
    return f"[{text}]({cell.link})" if cell.link else text


def to_markdown(table: Table, level: int = 2) -> list[str]:
    """A Markdown section (lines): heading, notes, the table, a blank line."""
    lines = [f"{'#' * level} {table.title}", ""]
    if table.notes:
        lines += [table.notes, ""]
    lines += [
        "| " + " | ".join(column.title for column in table.columns) + " |",
        "|" + "---|" * len(table.columns),
    ]
    lines += ["| " + " | ".join(map(_markdown_cell, row)) + " |" for row in _cells(table)]
    return [*lines, ""]


# --- HTML -----------------------------------------------------------------------------------------


def _sort_value(sort: object) -> str:
    """A cell's sort key as text: a float to 9 significant digits, ample to order cells shown to
    one decimal, and short of the last bits that change with a machine's float summation order
    (so a page rendered from a re-run equals the committed one)."""
    if sort is None:
        return ""
    return f"{sort:.9g}" if isinstance(sort, float) else str(sort)


def _html_cell(cell: Cell, numeric: bool) -> str:
    shown = html.escape(cell.text)
    if cell.link:
        shown = f'<a href="{html.escape(cell.link)}">{shown}</a>'
    css = "" if numeric else ' class="text"'
    value = html.escape(_sort_value(cell.sort))
    return f'<td{css} data-value="{value}">{shown}</td>'


def to_html(table: Table, *, level: int = 2, css_class: str = "", row_attribute: str = "row") -> str:
    """A heading, the notes and the table, every text escaped. Header cells carry ``data-key`` and
    ``data-type`` (number / text) and body cells ``data-value``, for a page's script to sort by."""
    escape = html.escape
    parts = [f"<h{level}>{escape(table.title)}</h{level}>"]
    if table.notes:
        parts.append(f"<p>{escape(table.notes)}</p>")
    parts.append(f'<table class="{escape(css_class)}"><thead><tr>' if css_class else "<table><thead><tr>")
    for column in table.columns:
        kind = "number" if column.numeric else "text"
        key = escape(column.key or column.title)
        parts.append(f'<th data-key="{key}" data-type="{kind}">{escape(column.title)}</th>')
    parts.append("</tr></thead><tbody>")
    for number, row in enumerate(_cells(table)):
        name = table.row_ids[number] if table.row_ids else None
        parts.append(f'<tr data-{row_attribute}="{escape(name)}">' if name is not None else "<tr>")
        parts += [_html_cell(cell, column.numeric) for cell, column in zip(row, table.columns, strict=True)]
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "\n".join(parts)
