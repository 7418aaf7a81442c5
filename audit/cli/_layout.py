"""Tables that read at any terminal width, without losing a character.

Rules (tested at 60, 80 and 160 columns, on a terminal and piped):

* numbers and keys (ids, test names, dates, codes) are never cut, wrapped or broken;
* free text (messages, citations, names) wraps at spaces, never inside a word;
* a table too wide for the terminal first leaves out its secondary columns, saying which,
  and when even its essential columns do not fit, it is printed vertically: one block per
  row, one ``name: value`` line per column.

Commands describe their columns with :class:`Column` and call :func:`print_table`; plain
sentences go through :func:`say`, which wraps at spaces and never breaks a path or id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from audit.cli._common import Stream, out

Kind = Literal["number", "key", "text"]

#: Characters between two columns: one space of padding on each side and a rule.
_GAP = 3
#: Narrowest a text column is made (when its text is longer): a few words a line.
TEXT_MIN = 16


@dataclass(frozen=True)
class Column:
    """One column of a terminal table.

    ``kind``: ``number`` (right-aligned, never wrapped), ``key`` (ids, names of tests,
    dates: never wrapped) or ``text`` (wraps at spaces). ``priority`` 1 marks an essential
    column; higher numbers are left out first when the table is too wide.
    """

    header: str
    kind: Kind = "key"
    priority: int = 1

    @property
    def wraps(self) -> bool:
        return self.kind == "text"


def _text(cell: Any) -> Text:
    """A cell as rich Text: strings are read as markup (styles), other values as they are."""
    if isinstance(cell, Text):
        return cell
    return Text.from_markup(cell) if isinstance(cell, str) else Text(str(cell))


def _longest_word(text: Text) -> int:
    return max((len(w) for w in text.plain.split()), default=0)


def _widths(columns: Sequence[Column], cells: Sequence[Sequence[Text]]
            ) -> tuple[list[int], list[int]]:
    """Each column's least width (keys and numbers whole, no word broken, a few words a line
    of text) and natural width (no wrapping at all)."""
    least, natural = [], []
    for j, col in enumerate(columns):
        texts = [row[j] for row in cells]
        full = max([len(col.header), *(t.cell_len for t in texts)])
        if col.wraps:
            words = max([_longest_word(Text(col.header)), *(_longest_word(t) for t in texts)])
            least.append(max(words, min(full, TEXT_MIN)))
        else:
            least.append(full)
        natural.append(full)
    return least, natural


def _needed(columns: Sequence[Column], cells: Sequence[Sequence[Text]]) -> int:
    """Terminal columns needed so that no key or number is cut and no word is broken."""
    return sum(_widths(columns, cells)[0]) + _GAP * (len(columns) - 1)


def _fit(columns: Sequence[Column], cells: Sequence[Sequence[Text]], width: int) -> list[int]:
    """Column widths within ``width``: the least widths, then the room left shared among the
    text columns up to their natural width (so rich never has to squeeze a word)."""
    sizes, natural = _widths(columns, cells)
    room = width - _GAP * (len(columns) - 1) - sum(sizes)
    growing = [j for j, c in enumerate(columns) if c.wraps and sizes[j] < natural[j]]
    while room > 0 and growing:
        share = max(1, room // len(growing))
        for j in list(growing):
            step = min(share, natural[j] - sizes[j], room)
            sizes[j] += step
            room -= step
            if sizes[j] >= natural[j]:
                growing.remove(j)
            if room <= 0:
                break
    return sizes


def print_table(columns: Sequence[Column], rows: Sequence[Sequence[Any]], *,
                title: str | None = None, console: Any = None) -> None:
    """Print ``rows`` under ``columns`` at the console's width (see the module docstring)."""
    console = console if console is not None else out
    width = console.width
    cells = [[_text(c) for c in row] for row in rows]
    if title:
        say(f"[bold]{escape(title)}[/bold]", console=console)
    keep = list(range(len(columns)))
    dropped: list[str] = []
    for level in sorted({c.priority for c in columns if c.priority > 1}, reverse=True):
        if _needed([columns[j] for j in keep], [[r[j] for j in keep] for r in cells]) \
                <= width:
            break
        dropped += [columns[j].header for j in keep if columns[j].priority == level]
        keep = [j for j in keep if columns[j].priority != level]
    shown = [columns[j] for j in keep]
    body = [[r[j] for j in keep] for r in cells]
    if _needed(shown, body) > width:
        _vertical(columns, cells, console)
        return
    table = Table(show_edge=False, pad_edge=False)
    for col, size in zip(shown, _fit(shown, body, width), strict=True):
        table.add_column(col.header, justify="right" if col.kind == "number" else "left",
                         no_wrap=not col.wraps, overflow="fold", width=size)
    for row in body:
        table.add_row(*row)
    console.print(table)
    if dropped:
        say(f"[dim](left out at {width} columns: {escape(', '.join(dropped))}; a wider "
            f"terminal or --json shows them)[/dim]", console=console)


def _vertical(columns: Sequence[Column], cells: Sequence[Sequence[Text]],
              console: Any) -> None:
    """One block per row: the first cell as a heading, then ``header: value`` lines."""
    width = console.width
    label = max(len(c.header) for c in columns[1:]) if len(columns) > 1 else 0
    for row in cells:
        heading = Text.assemble(Text(columns[0].header + ": ", style="dim"), row[0])
        for line in _wrap(heading, width, _rich(console)):
            console.print(line, soft_wrap=True)
        for col, cell in zip(columns[1:], row[1:], strict=True):
            head = f"  {col.header:<{label}}  "
            room = width - len(head)
            if col.wraps:
                lines = _wrap(cell, max(room, 20), _rich(console))
            elif cell.cell_len <= room:
                lines = [cell]
            else:  # a key or number wider than the room left: whole, on the next line
                console.print(Text(head.rstrip(), style="dim"), soft_wrap=True)
                console.print(Text.assemble("    ", cell), soft_wrap=True)
                continue
            for i, line in enumerate(lines):
                prefix = head if i == 0 else " " * len(head)
                console.print(Text.assemble(Text(prefix, style="dim" if i == 0 else ""),
                                            line), soft_wrap=True)


def _rich(console: Any) -> Console:
    return console.console() if isinstance(console, Stream) else console


def _wrap(text: Text, room: int, console: Console) -> list[Text]:
    """``text`` wrapped at spaces into lines of at most ``room`` cells; a longer word keeps
    its own line, whole (rich's own wrapping folds it)."""
    lines: list[Text] = []
    for line in text.split("\n", allow_blank=True):
        plain = line.plain
        breaks: list[int] = []
        start = 0
        for match in re.finditer(r"\S+", plain):
            if match.end() - start > room and match.start() > start:
                breaks.append(match.start())
                start = match.start()
        for piece in line.divide(breaks) if breaks else [line]:
            piece.rstrip()
            lines.append(piece)
    return lines


def say(markup: str, *, console: Any = None) -> None:
    """Print a sentence (rich markup) wrapped at spaces; a path or id longer than the line
    is printed whole on its own line, never cut."""
    console = console if console is not None else out
    text = Text.from_markup(markup)
    for line in _wrap(text, console.width, _rich(console)):
        console.print(line, soft_wrap=True)


__all__ = ["Column", "print_table", "say"]
