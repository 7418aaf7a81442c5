"""Terminal tables: nothing cut at any width; secondary columns dropped with a note; a
vertical layout when even the essential columns do not fit."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from audit.cli._layout import Column, print_table, say

COLUMNS = [Column("id"), Column("votes", "number"), Column("message", "text"),
           Column("share", "number", priority=2), Column("source", "text", priority=3)]
ROWS = [("carter-center-statement", "7,303,480", "the candidates' votes add up to 436 but "
         "Votos válidos says 437", "67.08%", "resultadosconvzla.com, CSV V2 (8 Aug 2024)"),
        ("cne-b1", "5,150,092", "ok", "51.20%", "Xinhua")]


def render(width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    print_table(COLUMNS, ROWS, title="Example", console=console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    return str(text)


@pytest.mark.parametrize("width", [40, 60, 80, 160])
def test_ids_and_numbers_are_never_cut(width: int) -> None:
    text = render(width)
    for row in ROWS:
        for cell in (row[0], row[1]):
            assert cell in text, (width, cell)
    assert "…" not in text
    words = " ".join(text.split())
    for word in ROWS[0][2].split():  # wrapped at spaces, every word whole
        assert word in words
    for line in text.splitlines():
        assert len(line.rstrip()) <= width or len(line.split()) == 1, (width, line)


def test_wide_terminal_shows_every_column() -> None:
    text = render(160)
    assert "resultadosconvzla.com, CSV V2 (8 Aug 2024)" in text
    assert "left out" not in text


def test_secondary_columns_are_dropped_with_a_note() -> None:
    text = render(80)
    assert "67.08%" in text  # priority 2 kept
    assert "resultadosconvzla.com" not in text  # priority 3 dropped
    assert "(left out at 80 columns: source;" in " ".join(text.split())


def test_vertical_layout_when_essentials_do_not_fit() -> None:
    text = render(40)
    lines = text.splitlines()
    assert "id: carter-center-statement" in lines
    assert any(line.split() == ["votes", "7,303,480"] for line in lines)


def test_say_wraps_at_spaces_and_keeps_long_paths_whole() -> None:
    console = Console(file=io.StringIO(), width=30, color_system=None)
    path = "/a/very/long/path/to/some/file/that/is/longer/than/the/line.csv"
    say(f"wrote {path} with 12,345 rows", console=console)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines == ["wrote", path, "with 12,345 rows"]


def test_two_text_columns_share_the_room_without_breaking_a_word() -> None:
    columns = [Column("a", "text"), Column("b", "text")]
    long_word = "x" * 30
    rows = [(f"{long_word} " + "word " * 8, "short words " * 6)]
    console = Console(file=io.StringIO(), width=60, color_system=None)
    print_table(columns, rows, console=console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert long_word in text
    for line in text.splitlines():
        assert len(line.rstrip()) <= 60
