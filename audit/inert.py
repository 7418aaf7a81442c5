"""Spreadsheet files that stay inert when opened: no cell starts a formula.

A CSV cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before
one) is taken as a formula by Excel, LibreOffice Calc and Google Sheets; with names or codes
copied from a hostile tally-sheet file, ``=HYPERLINK(...)`` or ``+cmd|' /C calc'!A0`` would
run on the machine of whoever opens our outputs. Every CSV writer of the package goes through
:func:`write_csv`, which applies the OWASP rule ("CSV Injection", OWASP Foundation; also CWE-1236
and OWASP ASVS 4.0 requirement 5.3.x / 5.0 1.2.10): a text cell starting with one of those
characters (or a NUL) gets a leading single quote, which spreadsheets display but never
evaluate. Genuine numbers ("-5", "+3.2") are left as they are, and numeric columns are never
touched. Such a prefixed cell is also enclosed in double quotes, its own quotes doubled, as
the OWASP page recommends ("wrap each cell field in double quotes, prepend each cell field
with a single quote, escape every double quote using an additional double quote"): an
importer that splits fields on its own terms, or treats quoted fields as text, still sees one
text cell. Other fields are quoted where RFC 4180 requires it (the delimiter, a quote or a
line break inside), so files without hostile cells are written exactly as ``to_csv`` writes
them; a carriage return inside a cell is written as a line feed, which the writer quotes (a
bare CR would otherwise end the row in a spreadsheet and start the next one with the rest).

:func:`restore` undoes the quote for files the package reads back (aggregates), so a region
code survives a round trip.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: First characters that make a spreadsheet evaluate a cell.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_STARTS = r"^[=+\-@\t\r\x00]"
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns
            if frame[c].dtype == object
            or isinstance(frame[c].dtype, (pd.StringDtype, pd.CategoricalDtype))]


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every formula-leading text cell prefixed by ``'`` (a copy only where
    something changes); numbers, written as text or not, are kept."""
    return _neutralised(frame)[0]


def _neutralised(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """:func:`neutralise`, and the rows prefixed in each column (columns without any left
    out)."""
    out = frame
    prefixed: dict[str, np.ndarray] = {}
    for column in _text_columns(frame):
        text = frame[column].astype("string")
        risky = (text.str.contains(_STARTS, regex=True) & ~text.str.fullmatch(_NUMBER)) \
            .fillna(False).to_numpy(dtype=bool)
        # A carriage return would end the row for a spreadsheet without being quoted (the
        # writer quotes only for "\n"): line breaks inside a cell are written as "\n".
        returns = text.str.contains("\r", regex=False).fillna(False).to_numpy(dtype=bool)
        if risky.any() or returns.any():
            if out is frame:
                out = frame.copy()
            if returns.any():
                text = text.str.replace("\r\n?", "\n", regex=True)
            out[column] = text.where(~risky, "'" + text)
            if risky.any():
                prefixed[column] = risky
    return out, prefixed


def neutralise_text(value: str) -> str:
    """One cell's text made inert (see :func:`neutralise`)."""
    if value.startswith(FORMULA_START) and not pd.Series([value]).str.fullmatch(_NUMBER)[0]:
        return "'" + value
    return value


def restore(series: pd.Series) -> pd.Series:
    """Undo :func:`neutralise` on a text column read back from one of our own files."""
    text = series.astype("string")
    quoted = text.str.contains(r"^'[=+\-@\t\r\x00]", regex=True).fillna(False)
    if not bool(quoted.any()):
        return series
    return text.where(~quoted, text.str.slice(1))


def write_csv(frame: pd.DataFrame, target: str | Path | io.StringIO | None = None,
              **options: Any) -> str | None:
    """``frame.to_csv`` (no index, ``\\n`` line ends) after :func:`neutralise`, every
    prefixed cell enclosed in double quotes (module docstring)."""
    options.setdefault("index", False)
    options.setdefault("lineterminator", "\n")
    safe, prefixed = _neutralised(frame)
    if not prefixed:
        return safe.to_csv(target, **options)
    text = _quote_prefixed(safe, prefixed, options)
    if target is None:
        return text
    if isinstance(target, (str, Path)):
        with open(target, "w", encoding=options.get("encoding") or "utf-8", newline="") as fh:
            fh.write(text)
    else:
        target.write(text)
    return None


def _quote_prefixed(frame: pd.DataFrame, prefixed: dict[str, np.ndarray],
                    options: dict[str, Any]) -> str:
    """The CSV text of ``frame`` with the ``prefixed`` cells quoted: each is written as a
    numbered placeholder that the writer leaves as it is (no delimiter, quote or line break
    in it, and absent from the data), then replaced by the quoted field in one pass."""
    quote = options.get("quotechar", '"')
    texts = [frame[c].astype("string") for c in _text_columns(frame)]
    marker = "\x1finert"
    while any(marker in str(c) for c in frame.columns) or any(
            bool(t.str.contains(marker, regex=False).any()) for t in texts):
        marker += "\x1f"
    out = frame.copy()
    fields: list[str] = []
    for column, rows in prefixed.items():
        text = out[column].astype("string")
        where = np.flatnonzero(rows)
        chosen = text.iloc[where]
        fields += (quote + chosen.str.replace(quote, quote * 2, regex=False) + quote).tolist()
        numbers = np.arange(len(fields) - len(where), len(fields)).astype(str)
        text.iloc[where] = pd.Series([f"{marker}{k}{marker}" for k in numbers], dtype="string",
                                     index=chosen.index)
        out[column] = text
    rendered = out.to_csv(None, **options)
    pattern = re.escape(marker) + r"(\d+)" + re.escape(marker)
    return re.sub(pattern, lambda m: fields[int(m.group(1))], rendered)
