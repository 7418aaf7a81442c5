"""Tally sheets of the mini election in its own layout, for the election-night tests."""

from __future__ import annotations

from pathlib import Path

HEADER = "region,station,registered,voters,valid,null,A,B\n"


def sheet_row(table: int, *, a: int | None = None, b: int | None = None,
              registered: int = 300) -> str:
    """One tally sheet of the mini election: tables 1-10 in district N, 11-20 in S; by
    default A has 30 + table votes and B 20, one null vote."""
    a = 30 + table if a is None else a
    b = 20 if b is None else b
    region = "N" if table <= 10 else "S"
    return f"{region},{table},{registered},{a + b + 1},{a + b},1,{a},{b}\n"


def write_batch(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path
