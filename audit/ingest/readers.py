"""Readers for CSV (any delimiter, UTF-8 with or without BOM, Latin-1 / Windows-1252, UTF-16
with BOM as Excel's "Unicode text" export), Excel (.xlsx) and Parquet files.

A reader returns the file's header and, on request, the chosen columns as a DataFrame with
one row per record (blank lines kept, so that nothing is dropped silently) and a ``line``
number per row (header = line 1 for CSV and Excel; row number for Parquet).

Hostile files stay row-level problems (issue 13): a row with more fields than the header is
kept as an empty row listed in :attr:`RawFile.ragged` (quarantined by the ingest), a trailing
delimiter on every row shifts nothing, a header of any length is read whole, lines that are
not UTF-8 in an otherwise UTF-8 file are decoded one by one (with a note), merged Excel cells
keep their value (with a note), nested Parquet columns become text, and workbooks or Parquet
files that would expand beyond :data:`MAX_ROWS` rows or :data:`MAX_UNPACKED` bytes are
refused before they are read.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from audit.errors import InputFileError, cut

Format = Literal["csv", "xlsx", "parquet"]
_DELIMITERS = ",;\t|"
_SNIFF_BYTES = 1 << 16
#: Most rows read from a workbook or Parquet file (a national election has ~1M stations).
MAX_ROWS = 10_000_000
#: Most bytes a workbook may unpack to (its XML is ~30 bytes a cell).
MAX_UNPACKED = 4 << 30
#: Pseudo-encoding of a UTF-8 file with some lines in a single-byte encoding.
MIXED = "utf-8 (some lines cp1252)"
#: Name of the column collecting a field beyond the header (a trailing delimiter if empty).
_EXTRA = "\x00 fields beyond the header"
_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


@dataclass
class RawFile:
    """A located, typed input file: format, encoding, delimiter and header."""

    path: Path
    format: Format
    header: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    #: What a reader had to do that a person should know (decoding fallbacks, merged cells).
    notes: list[str] = field(default_factory=list)
    #: Rows (0-based positions) that have more fields than the header -> what was seen.
    ragged: dict[int, str] = field(default_factory=dict)
    _text: str | None = field(default=None, repr=False)
    _tolerant: bool = field(default=False, repr=False)

    def read(self, columns: Sequence[str], *, as_text: Sequence[str] = ()) -> pd.DataFrame:
        """Read ``columns`` (all rows, any order). Columns in ``as_text`` are read as text.

        The encoding guessed from the first 64 KiB is confirmed by the full read; if the
        file turns out not to be UTF-8 further down, the encoding is detected on every byte
        and the file is read again (line by line when most of it is UTF-8).
        """
        try:
            return self._read(columns, as_text)
        except UnicodeDecodeError:
            if self.format != "csv" or not (self.encoding or "").startswith("utf-8") \
                    or self.encoding == MIXED:
                raise
            self.encoding = detect_encoding(self.path)
            return self._read(columns, as_text)

    def _read(self, columns: Sequence[str], as_text: Sequence[str]) -> pd.DataFrame:
        usecols = list(dict.fromkeys(columns))
        if self.format == "csv":
            frame = self._read_csv(as_text)
        elif self.format == "xlsx":
            frame = pd.read_excel(self.path, sheet_name=self.sheet or 0, usecols=usecols,
                                  engine="openpyxl")[usecols]
            self._fill_merged(frame)
        else:
            frame = _read_parquet(self.path, usecols)
        if len(usecols) < frame.shape[1]:
            frame = frame.drop(columns=[c for c in frame.columns if c not in usecols])
        return frame

    def _read_csv(self, as_text: Sequence[str]) -> pd.DataFrame:
        """Every column (faster than ``usecols`` with the C parser), named as the header.

        The common case is read as it is (``index_col=False``: a trailing delimiter on
        every row shifts nothing). A row with more fields than the header makes the parser
        stop (or, after a first row ending with a delimiter, warn that it drops data): the
        file is then read again tolerantly (:meth:`_read_csv_tolerant`).
        """
        if self.encoding == MIXED and self._text is None:
            self._text, bad = _decode_per_line(self.path.read_bytes())
            self.notes.append(_mixed_note(bad))
        text_options: dict[str, Any] = dict(dtype=dict.fromkeys(as_text, str),
                                            keep_default_na=False, na_values=[]) \
            if as_text else {}
        if not self._tolerant:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", pd.errors.ParserWarning)
                    frame = pd.read_csv(self._source(), encoding=self._encoding(),
                                        sep=self.delimiter, header=0, names=self.header,
                                        index_col=False, skip_blank_lines=False,
                                        **text_options)
                if not caught:
                    return frame
            except pd.errors.ParserError:
                pass
            self._tolerant = True
        return self._read_csv_tolerant(text_options, as_text=bool(as_text))

    def _source(self) -> Any:
        return io.StringIO(self._text) if self._text is not None else self.path

    def _encoding(self) -> str | None:
        return None if self._text is not None else self.encoding

    def _read_csv_tolerant(self, text_options: dict[str, Any], *, as_text: bool
                           ) -> pd.DataFrame:
        """One more column collecting a field beyond the header; rows with still more
        fields, skipped by the parser, come back as empty rows. Both kinds are listed in
        :attr:`ragged` (their values cannot be placed: the ingest quarantines them)."""
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                frame = pd.read_csv(self._source(), encoding=self._encoding(),
                                    sep=self.delimiter, header=None, skiprows=1,
                                    names=[*self.header, _EXTRA], index_col=False,
                                    skip_blank_lines=False, on_bad_lines="warn",
                                    **text_options)
        except pd.errors.ParserError as exc:  # e.g. a quote never closed: no row boundary
            raise InputFileError(f"{self.path}: cannot be read as CSV ({cut(str(exc))}); "
                                 f"look for a quote that is never closed") from None
        skipped = [(int(m[1]), int(m[3])) for w in caught
                   for m in _SKIPPED.finditer(str(w.message))]
        extra = frame[_EXTRA]
        present = extra.notna().to_numpy(dtype=bool, copy=True)
        if as_text:
            present &= (extra.astype(str).str.strip() != "").to_numpy(dtype=bool)
        ragged = {int(i): f"{len(self.header) + 1} fields, the last '{extra.iloc[i]}'"
                  for i in np.flatnonzero(present)}
        frame = frame.drop(columns=_EXTRA)
        if skipped:  # put the skipped records back as empty rows, in file order
            missing = np.array([line - 2 for line, _ in skipped], dtype=np.int64)
            total = len(frame) + len(missing)
            kept = np.setdiff1d(np.arange(total), missing)
            frame = frame.set_axis(pd.Index(kept)).reindex(pd.RangeIndex(total))
            ragged = {int(kept[i]): text for i, text in ragged.items()}
            ragged.update({line - 2: f"{saw} fields" for line, saw in skipped})
        if not as_text:  # (a second read sees the same rows)
            self.ragged = ragged
        return frame

    def _fill_merged(self, frame: pd.DataFrame) -> None:
        """Give every cell of a merged range the value of its top-left cell (with a note)."""
        from openpyxl.utils import get_column_letter

        filled = []
        for min_col, min_row, max_col, max_row in _merged_ranges(self.path, self.sheet):
            if max_row < 2:
                continue
            top = max(min_row, 2) - 2
            first = self.header[min_col - 1] if min_col - 1 < len(self.header) else None
            if first not in frame or top >= len(frame):
                continue
            value = frame[first].iloc[top]
            for col in range(min_col, max_col + 1):
                name = self.header[col - 1] if col - 1 < len(self.header) else None
                if name in frame:
                    column = frame[name].astype(object)
                    column.iloc[top:max_row - 1] = value
                    frame[name] = column
            filled.append(f"{get_column_letter(min_col)}{min_row}:"
                          f"{get_column_letter(max_col)}{max_row}")
        if filled:
            shown = ", ".join(filled[:10]) + (f" and {len(filled) - 10} more"
                                               if len(filled) > 10 else "")
            self.notes.append(f"merged cells {shown}: every cell of a merged range was given "
                              f"the value of its top-left cell")

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
    """UTF-8 (with or without BOM) if the bytes decode as such; :data:`MIXED` when most lines
    are UTF-8 but some are not; else Windows-1252 or Latin-1."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    if data.startswith(b"\xef\xbb\xbf") or _has_utf8_sequences(data):
        return MIXED
    # Bytes 0x80-0x9F are printable in Windows-1252 (curly quotes, euro sign) but are
    # control characters in Latin-1; five of them are undefined in Windows-1252.
    undefined_1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    present = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256) > 0
    high = {int(b) for b in np.flatnonzero(present) if b >= 0x80}
    if high & set(range(0x80, 0xA0)) and not high & undefined_1252:
        return "cp1252"
    return "latin-1"


def _has_utf8_sequences(data: bytes) -> bool:
    """Whether some line holds non-ASCII bytes that are valid UTF-8 (a UTF-8 file with a few
    lines in another encoding, rather than a single-byte file)."""
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def _single_byte(line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # five bytes are undefined in Windows-1252
        return line.decode("latin-1")


def _decode_per_line(data: bytes) -> tuple[str, list[int]]:
    """The text of a mostly UTF-8 file: each line decoded as UTF-8, or else as Windows-1252;
    also the (1-based) numbers of the lines that needed the fallback."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    bad: list[int] = []
    out = []
    for number, line in enumerate(lines, 1):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(_single_byte(line))
            bad.append(number)
    return "\n".join(out), bad


def _mixed_note(bad: Sequence[int]) -> str:
    shown = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10:,} more"
                                              if len(bad) > 10 else "")
    return (f"{len(bad):,} lines are not valid UTF-8 (line {shown}); they were read as "
            f"Windows-1252, the rest of the file as UTF-8")


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
        if encoding == MIXED:
            with open(path, "rb") as fh:
                sample = _decode_per_line(fh.read(_SNIFF_BYTES))[0]
        else:
            with open(path, encoding=encoding, newline="") as fh:
                sample = fh.read(_SNIFF_BYTES)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(f"{path}: cannot decode as {encoding} ({cut(str(exc))})") from exc
    if not sample.strip():
        raise InputFileError(f"{path} has no header line (only blank lines)")
    if delimiter is None:
        delimiter = _sniff_delimiter(sample)
    first = sample.strip().splitlines()[0]
    try:  # the whole first record, however long (the sample may cut it)
        header = _first_record(path, encoding, delimiter)
    except (csv.Error, StopIteration, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read the header line ({cut(str(exc))})") from exc
    header = [h.strip() for h in header]
    if len(header) < 2:
        raise InputFileError(f"{path}: the first line ({first[:60]!r}) is not a table header "
                             f"with several columns")
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if len(set(header)) != len(header):
        dupes = sorted(h for h, n in Counter(header).items() if n > 1)
        shown = ", ".join(repr(h[:40]) for h in dupes[:5])
        more = f" and {len(dupes) - 5:,} more" if len(dupes) > 5 else ""
        raise InputFileError(f"{path}: the header repeats column names {shown}{more}")
    if blank and len(blank) == len(header):
        raise InputFileError(f"{path}: the header line has no column names")
    return RawFile(path=path, format="csv", header=header, encoding=encoding,
                   delimiter=delimiter)


def _first_record(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The header record read from the file itself (a header may be longer than any sample)."""
    if encoding == MIXED:
        with open(path, "rb") as fh:
            line = fh.readline()
        return next(csv.reader(io.StringIO(_decode_per_line(line)[0]), delimiter=delimiter))
    with open(path, encoding=encoding, newline="") as fh:
        return next(csv.reader(fh, delimiter=delimiter))


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
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(f"{path}: not a readable Excel workbook ({cut(str(exc))})") from exc
    if unpacked > MAX_UNPACKED:
        raise InputFileError(f"{path}: the workbook unpacks to {unpacked:,} bytes, more than "
                             f"the {MAX_UNPACKED:,} read safely; export it as CSV")
    try:
        header = pd.read_excel(path, sheet_name=sheet or 0, nrows=0, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise InputFileError(f"{path}: not a readable Excel workbook ({cut(str(exc))})") from exc
    return RawFile(path=path, format="xlsx", header=[str(c).strip() for c in header.columns],
                   sheet=sheet)


def _open_parquet(path: Path) -> RawFile:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        raise InputFileError(f"{path}: not a readable Parquet file ({cut(str(exc))})") from exc
    if meta.num_rows > MAX_ROWS:
        raise InputFileError(f"{path}: the file declares {meta.num_rows:,} rows, more than the "
                             f"{MAX_ROWS:,} read safely")
    return RawFile(path=path, format="parquet", header=list(schema.names))


def _read_parquet(path: Path, columns: list[str]) -> pd.DataFrame:
    """Chosen columns of a Parquet file; nested columns (lists, structs, maps) become their
    text, so that they are quarantined as values rather than breaking the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=columns)
    except Exception as exc:  # corrupt pages surface only when the data are read
        raise InputFileError(f"{path}: not a readable Parquet file ({cut(str(exc))})") from exc
    frame = table.to_pandas()
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_nested(column.type):
            frame[name] = pd.Series([None if v is None else str(v)
                                     for v in column.to_pylist()], dtype=object)
    return frame


def _merged_ranges(path: Path, sheet: str | int | None) -> list[tuple[int, int, int, int]]:
    """Merged cell ranges of a worksheet as (min_col, min_row, max_col, max_row), read from
    its XML as a stream (openpyxl's read-only mode does not expose them)."""
    from openpyxl import load_workbook
    from openpyxl.utils import range_boundaries

    wb = load_workbook(path, read_only=True)
    try:
        ws = wb[sheet] if isinstance(sheet, str) else wb.worksheets[sheet or 0]
        member = str(getattr(ws, "_worksheet_path", "")).lstrip("/")
    finally:
        wb.close()
    found: list[tuple[int, int, int, int]] = []
    pattern = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"')
    with zipfile.ZipFile(path) as zf:
        if member not in zf.namelist():
            return found
        with zf.open(member) as fh:
            buffer = b""
            while True:  # a match starting in the last 256 bytes waits for the next chunk
                chunk = fh.read(1 << 20)
                buffer += chunk
                limit = len(buffer) if not chunk else max(len(buffer) - 256, 0)
                found += [range_boundaries(m.group(1).decode())
                          for m in pattern.finditer(buffer) if m.start() < limit]
                if not chunk:
                    break
                buffer = buffer[limit:]
    return found
