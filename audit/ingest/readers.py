"""Readers for CSV (any delimiter, UTF-8 with or without BOM, Latin-1 / Windows-1252, UTF-16
with BOM as Excel's "Unicode text" export), Excel (.xlsx) and Parquet files.

A reader returns the file's header and, on request, the chosen columns as a DataFrame with
one row per record (blank lines kept, so that nothing is dropped silently) and a ``line``
number per row (header = line 1 for CSV and Excel; row number for Parquet).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from audit.errors import InputFileError

Format = Literal["csv", "xlsx", "parquet"]
_DELIMITERS = ",;\t|"
_SNIFF_BYTES = 1 << 16


@dataclass
class RawFile:
    """A located, typed input file: format, encoding, delimiter and header."""

    path: Path
    format: Format
    header: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None

    def read(self, columns: Sequence[str], *, as_text: Sequence[str] = ()) -> pd.DataFrame:
        """Read ``columns`` (all rows, any order). Columns in ``as_text`` are read as text.

        The encoding guessed from the first 64 KiB is confirmed by the full read; if the
        file turns out not to be UTF-8 further down, the encoding is detected on every byte
        and the file is read again.
        """
        try:
            return self._read(columns, as_text)
        except UnicodeDecodeError:
            if self.format != "csv" or not (self.encoding or "").startswith("utf-8"):
                raise
            self.encoding = detect_encoding(self.path)
            return self._read(columns, as_text)

    def _read(self, columns: Sequence[str], as_text: Sequence[str]) -> pd.DataFrame:
        usecols = list(dict.fromkeys(columns))
        if self.format == "csv":
            if as_text:
                frame = pd.read_csv(self.path, encoding=self.encoding, sep=self.delimiter,
                                    usecols=usecols, dtype=dict.fromkeys(as_text, str),
                                    skip_blank_lines=False, keep_default_na=False,
                                    na_values=[])
            else:  # reading every column is faster than usecols with the C parser
                frame = pd.read_csv(self.path, encoding=self.encoding, sep=self.delimiter,
                                    skip_blank_lines=False)
            if len(usecols) < frame.shape[1]:
                frame = frame.drop(columns=[c for c in frame.columns if c not in usecols])
        elif self.format == "xlsx":
            frame = pd.read_excel(self.path, sheet_name=self.sheet or 0, usecols=usecols,
                                  engine="openpyxl")[usecols]
        else:
            frame = pd.read_parquet(self.path, columns=usecols)
        return frame

    def first_line(self) -> int:
        """Line number of the first data row."""
        return 1 if self.format == "parquet" else 2


def open_file(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
              sheet: str | None = None) -> RawFile:
    """Identify the format of ``path`` and read its header.

    Raises :class:`InputFileError` with one readable sentence for a missing, empty, binary or
    unreadable file.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"file not found: {path}")
    if path.is_dir():
        raise InputFileError(f"{path} is a folder; give a file (or use a case folder)")
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(f"{path} is empty (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return _open_parquet(path)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, sheet)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM ("Unicode text")
        return _open_csv(path, encoding="utf-16", delimiter=delimiter)
    if b"\x00" in head:
        raise InputFileError(f"{path} looks like a binary file, not a table; supported formats "
                             f"are CSV, Excel (.xlsx) and Parquet")
    return _open_csv(path, encoding=encoding, delimiter=delimiter)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the bytes decode as such, else Windows-1252 or Latin-1."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Bytes 0x80-0x9F are printable in Windows-1252 (curly quotes, euro sign) but are
    # control characters in Latin-1; five of them are undefined in Windows-1252.
    undefined_1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    present = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256) > 0
    high = {int(b) for b in np.flatnonzero(present) if b >= 0x80}
    if high & set(range(0x80, 0xA0)) and not high & undefined_1252:
        return "cp1252"
    return "latin-1"


def _guess_encoding(path: Path) -> str:
    """Encoding from the first 64 KiB (confirmed or corrected by :meth:`RawFile.read`)."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return detect_encoding(path)


def _open_csv(path: Path, *, encoding: str | None, delimiter: str | None) -> RawFile:
    encoding = encoding or _guess_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            sample = fh.read(_SNIFF_BYTES)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(f"{path}: cannot decode as {encoding} ({exc})") from exc
    if not sample.strip():
        raise InputFileError(f"{path} has no header line (only blank lines)")
    if delimiter is None:
        delimiter = _sniff_delimiter(sample)
    first = sample.strip().splitlines()[0]
    try:
        header = next(csv.reader(io.StringIO(sample), delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise InputFileError(f"{path}: cannot read the header line ({exc})") from exc
    header = [h.strip() for h in header]
    if len(header) < 2:
        raise InputFileError(f"{path}: the first line ({first[:60]!r}) is not a table header "
                             f"with several columns")
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InputFileError(f"{path}: the header repeats column names {dupes}")
    if blank and len(blank) == len(header):
        raise InputFileError(f"{path}: the header line has no column names")
    return RawFile(path=path, format="csv", header=header, encoding=encoding,
                   delimiter=delimiter)


def _sniff_delimiter(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in _DELIMITERS} if lines else {}
        best = max(counts, key=lambda d: counts[d]) if counts else ","
        return best if counts.get(best) else ","


def _open_xlsx(path: Path, sheet: str | None) -> RawFile:
    try:
        header = pd.read_excel(path, sheet_name=sheet or 0, nrows=0, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputFileError(f"{path}: not a readable Excel workbook ({exc})") from exc
    return RawFile(path=path, format="xlsx", header=[str(c).strip() for c in header.columns],
                   sheet=sheet)


def _open_parquet(path: Path) -> RawFile:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from exc
    return RawFile(path=path, format="parquet", header=list(schema.names))
