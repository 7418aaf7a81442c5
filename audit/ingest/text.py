"""Text columns of the canonical table (keys, region codes and names), built with Arrow.

Keys and region codes arrive as integers (``CENTRO = 10101001``), as text with stray blanks,
or as numbers a spreadsheet stored as floats (``12.0``). They become trimmed strings, missing
where the cell is empty, and the profile's transforms (``zfill``, ``join``, ``split`` +
``part``, ``slice``, ``lstrip``, ``const``) are applied with Arrow compute kernels: on a
million rows they are several times faster than the equivalent pandas string methods, which
matters because ingestion must stay within 1.5 times a bare ``pandas.read_csv``. Most rows
take shorter paths still: names already trimmed are used as parsed, codes in a small integer
range are gathered from the spellings of the range, and zero-filled integer codes are written
digit by digit into one buffer; in a fresh process the memory these columns touch for the
first time is most of what they cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit.ingest.profiles import ColumnRule

#: A pyarrow string Array or ChunkedArray (pyarrow ships no type stubs).
ArrowText: TypeAlias = Any
#: Arrow's large_string: what pandas string columns hold, so no conversion is needed.
_TEXT = pa.large_string()


def arrow_text(series: pd.Series) -> ArrowText:
    """Values as trimmed strings, null where missing or blank; integers keep their spelling.

    Floats that are all whole numbers (a spreadsheet's ``12.0``) are written as integers.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        series = series.astype("Int64")
        dtype = series.dtype
    if pd.api.types.is_float_dtype(dtype):
        whole = series.dropna()
        if bool((whole == whole.round()).all()) and bool((whole.abs() < 2**53).all()):
            series = series.astype("Int64")
            dtype = series.dtype
    if pd.api.types.is_integer_dtype(dtype):
        if dtype == np.int64 and (spelled := _small_range_text(series.to_numpy())) is not None:
            return spelled
        if not isinstance(dtype, pd.api.extensions.ExtensionDtype) and _few_values(series):
            encoded = pc.dictionary_encode(pa.array(series.to_numpy()))
            return pc.take(pc.cast(encoded.dictionary, _TEXT), encoded.indices)
        values = series.array if isinstance(dtype, pd.api.extensions.ExtensionDtype) \
            else series.to_numpy()
        return pc.cast(pa.array(values), _TEXT)
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed objects (Excel
        # cells), integers beyond 64 bits
        text = series.astype("string")
        arr = pa.array(text.array)
    if arr.type != _TEXT:
        arr = pc.cast(arr, _TEXT)
    if _ends_are_visible_ascii(arr) or (_few_values(series) and _already_trimmed(arr)):
        return arr  # names: the parser's own strings, no copy
    trimmed = pc.utf8_trim_whitespace(arr)
    blank = pc.equal(trimmed, "")
    if not pc.any(blank).as_py():
        return trimmed
    return pc.if_else(blank, pa.scalar(None, _TEXT), trimmed)


def _small_range_text(values: np.ndarray) -> ArrowText | None:
    """Integers spelled by gathering from the spellings of their range, when the range is
    small next to the column (codes of tables, regions, parishes): None otherwise."""
    n = len(values)
    if n < 32768:
        return None
    low, high = int(values.min()), int(values.max())
    if high - low >= max(1024, n // 8):
        return None
    labels = pc.cast(pa.array(np.arange(low, high + 1, dtype=np.int64)), _TEXT)
    return pc.take(labels, pa.array(_positions(values, low)))


def _positions(values: np.ndarray, low: int, out: np.ndarray | None = None) -> np.ndarray:
    """``values - low`` as int32, for values within 2**31 above ``low``: computed in 32-bit
    arithmetic (wrapping is exact modulo 2**32, and the true difference is smaller), so no
    64-bit temporary is made."""
    return np.subtract(values, np.int64(low), out=out, dtype=np.int32, casting="unsafe")


def _few_values(series: pd.Series, sample: int = 4096) -> bool:
    """Whether a long column has few distinct values (judged on an even sample of about
    ``sample`` rows: fewer than half of them distinct): then working on its distinct values
    and gathering is faster than working on every row."""
    n = len(series)
    if n < 8 * sample:
        return False
    picked = pd.unique(series.iloc[:: n // sample])
    return len(picked) * 2 < sample


def _ends_are_visible_ascii(arr: ArrowText) -> bool:
    """Whether every stated value starts and ends with a visible ASCII character (so no
    trimming can change it and it is not empty), read off the first and last byte of each
    value in Arrow's buffers: one gather, no strings built. A value starting or ending with
    anything else (a blank, or any non-ASCII letter) answers False: the caller then trims."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        _, offsets_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[chunk.offset:
                                                               chunk.offset + len(chunk) + 1]
        stated = chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count \
            else slice(None)
        starts, ends = offsets[:-1][stated], offsets[1:][stated]
        if not len(starts):
            continue
        if (ends <= starts).any():  # an empty value
            return False
        data = np.frombuffer(data_buf, dtype=np.uint8)
        for edge in (data[starts], data[ends - 1]):
            if ((edge <= 0x20) | (edge >= 0x7F)).any():
                return False
    return True


def _already_trimmed(arr: ArrowText) -> bool:
    """Whether no value has blanks at either end and none is empty (then the column is its
    own trimmed text, with no copy). Decided on the distinct values: meant for columns with
    few of them (:func:`_few_values`)."""
    distinct = pc.unique(arr)
    trimmed = pc.utf8_trim_whitespace(distinct)
    return bool(pc.all(pc.equal(trimmed, distinct)).as_py() is not False
                and not pc.any(pc.equal(distinct, "")).as_py())


def _join_codes(parts: list[ArrowText], sep: str) -> ArrowText | None:
    """Join text columns through their distinct value combinations (None when not cheap).

    Codes numbered within their parent (state 13, municipality 5 -> ``13.5``) repeat a
    lot: the strings are built once per distinct combination and gathered.
    """
    ranged = _join_small_ranges(parts, sep)
    if ranged is not None:
        return ranged
    encoded = []
    radix = 1
    for part in parts:
        if part.null_count:
            return None
        chunk = part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part
        enc = pc.dictionary_encode(chunk)
        encoded.append(enc)
        radix *= max(len(enc.dictionary), 1)
        if radix >= 2**62:
            return None
    combined = encoded[0].indices.to_numpy(zero_copy_only=False).astype(np.int64)
    for enc in encoded[1:]:
        combined *= len(enc.dictionary)
        combined += enc.indices.to_numpy(zero_copy_only=False)
    combos = pc.dictionary_encode(pa.array(combined))
    keys = combos.dictionary.to_numpy()
    pieces = []
    for enc in reversed(encoded):
        size = len(enc.dictionary)
        labels = pc.cast(enc.dictionary, _TEXT)  # integer codes keep their spelling
        pieces.append(pc.take(labels, pa.array(keys % size)))
        keys = keys // size
    joined = pc.binary_join_element_wise(*reversed(pieces), pa.scalar(sep, _TEXT))
    return pc.take(joined, combos.indices)


def _join_small_ranges(parts: list[ArrowText], sep: str) -> ArrowText | None:
    """Join integer columns whose ranges multiply to a small number (a state 1-24 and a
    municipality 1-19): every combination of the ranges is spelled once and gathered by its
    position; None when the parts are not such integers."""
    if not parts or not all(pa.types.is_int64(p.type) and not p.null_count for p in parts):
        return None
    arrays = [p.to_numpy() for p in parts]
    n = len(arrays[0])
    lows = [int(a.min()) for a in arrays]
    spans = [int(a.max()) - low + 1 for a, low in zip(arrays, lows, strict=True)]
    if int(np.prod(spans, dtype=object)) > max(1024, n // 8):
        return None
    position = np.zeros(n, dtype=np.int32)  # (the product of the spans is below n)
    part = np.empty(n, dtype=np.int32)
    for a, low, span in zip(arrays, lows, spans, strict=True):
        position *= span
        position += _positions(a, low, out=part)
    combos = np.arange(int(np.prod(spans)), dtype=np.int64)
    pieces = []
    for low, span in zip(reversed(lows), reversed(spans), strict=True):
        labels = pc.cast(pa.array(np.arange(low, low + span, dtype=np.int64)), _TEXT)
        pieces.append(pc.take(labels, pa.array(combos % span)))
        combos //= span
    joined = pc.binary_join_element_wise(*reversed(pieces), pa.scalar(sep, _TEXT))
    return pc.take(joined, pa.array(position))


def apply_rule(rule: ColumnRule, frame: pd.DataFrame, cols: Mapping[str, str],
               cache: dict[str, ArrowText] | None = None) -> pd.Series:
    """The canonical text column built by ``rule`` from ``frame`` (source names via ``cols``).

    ``cache`` keeps each source column's text between calls (a state code column is often
    both a region code and part of the municipality code).
    """
    cache = {} if cache is None else cache

    def text(column: str) -> ArrowText:
        if column not in cache:
            cache[column] = arrow_text(frame[cols[column]])
        return cache[column]

    n = len(frame)
    if rule.op == "const":
        out: ArrowText = pa.array(np.full(n, rule.const, dtype=object), type=_TEXT)
        return to_series(out, frame.index)
    filled = None  # a zero-filled copy built at once from integers
    if rule.op == "join":
        joined = None
        if n >= 32768:  # through distinct combinations; integer columns need no text first
            joined = _join_codes([pa.array(frame[cols[c]].to_numpy())
                                  if frame[cols[c]].dtype == np.int64 else text(c)
                                  for c in rule.sources], rule.sep)
        out = pc.binary_join_element_wise(*(text(c) for c in rule.sources),
                                          pa.scalar(rule.sep, _TEXT)) \
            if joined is None else joined
    else:
        filled = _zero_filled_integers(rule, frame[cols[rule.sources[0]]])
        out = text(rule.sources[0]) if filled is None else filled
    if rule.split is not None:
        pieces = pc.split_pattern(out, rule.split)
        start, stop = rule.part if isinstance(rule.part, tuple) else \
            (rule.part or 0, (rule.part or 0) + 1)
        out = pc.binary_join(pc.list_slice(pieces, start, stop), pa.scalar(rule.split, _TEXT))
        out = pc.if_else(pc.equal(out, ""), pa.scalar(None, _TEXT), out)
    if rule.slice is not None:
        out = pc.utf8_slice_codeunits(out, rule.slice[0], rule.slice[1])
    if rule.lstrip is not None:
        stripped = pc.utf8_ltrim(out, characters=rule.lstrip)
        out = pc.if_else(pc.equal(stripped, ""), rule.lstrip[:1], stripped)
    if rule.zfill is not None and filled is None:
        signed = pc.any(pc.starts_with(out, "-")).as_py() or \
            pc.any(pc.starts_with(out, "+")).as_py()
        if signed:  # keep the sign first, as str.zfill does
            out = pa.array(to_series(out, frame.index).str.zfill(rule.zfill).array)
        else:
            out = pc.utf8_lpad(out, width=rule.zfill, padding="0")
    series = to_series(out, frame.index)
    if rule.replace is not None:  # a regular expression (Python syntax), applied last
        series = series.str.replace(rule.replace[0], rule.replace[1], regex=True)
    return series


def _zero_filled_integers(rule: ColumnRule, series: pd.Series) -> ArrowText | None:
    """A ``zfill`` copy of an integer column whose values all have at most ``zfill`` digits
    (a centre code 10101001 -> "010101001"), written digit by digit into one fixed-width
    buffer; None when the rule or the values ask for the general path."""
    width = rule.zfill
    if width is None or not 0 < width <= 18 or rule.op != "copy" or rule.split is not None \
            or rule.slice is not None or rule.lstrip is not None \
            or series.dtype != np.int64 or len(series) < 32768:
        return None
    values = series.to_numpy()
    if int(values.min()) < 0 or int(values.max()) >= 10**width:
        return None
    return _fixed_width_digits(values, width)


def _fixed_width_digits(values: np.ndarray, width: int) -> ArrowText:
    """Non-negative integers below ``10**width`` as ``width``-digit strings (leading zeros),
    built from their digits in 32-bit arithmetic where the values allow it."""
    n = len(values)
    work = values.astype(np.uint32 if int(values.max()) < 2**32 else np.uint64)
    chars = np.empty((n, width), dtype=np.uint8)  # the only other buffers: fresh memory
    for position in range(width - 1, -1, -1):  # is what costs most here
        np.remainder(work, 10, out=chars[:, position], casting="unsafe")
        np.floor_divide(work, 10, out=work)
    chars += ord("0")
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.Array.from_buffers(_TEXT, n, [None, pa.py_buffer(offsets),
                                            pa.py_buffer(chars)])


def to_series(values: ArrowText, index: pd.Index) -> pd.Series:
    """An Arrow string array as a pandas ``string`` Series (missing values as ``pd.NA``)."""
    return pd.Series(pd.arrays.ArrowStringArray(values), index=index, copy=False)


def integer_key(rule: ColumnRule | None, frame: pd.DataFrame,
                cols: Mapping[str, str]) -> np.ndarray | None:
    """Integer codes equal where the canonical key strings are equal, when cheaply known.

    A key copied from an integer column (optionally zero-filled) is an injective function of
    that integer: two rows share the canonical key exactly when they share the integer, so
    duplicates can be found on the integers without building strings. Returns None when
    that does not hold (the caller then factorises the strings).
    """
    if rule is None:
        return np.zeros(len(frame), dtype=np.int64)
    if rule.op != "copy" or rule.split is not None or rule.slice is not None \
            or rule.lstrip is not None or rule.replace is not None:
        return None
    series = frame[cols[rule.sources[0]]]
    if series.dtype != np.int64:
        return None
    return series.to_numpy()
