"""Parse vote counts from whatever a spreadsheet or CSV holds, without guessing silently.

Counts arrive as integers, as floats ("12.0" from a spreadsheet export), or as text with
thousand separators in either convention ("1.234" in Spanish, "1,234" in English). The rules:

* plain digits are integers; a leading ``-`` makes a negative count (rejected later);
* ``1.234.567`` / ``1,234,567`` (groups of three) are thousands-grouped integers;
* a value with one separator followed by exactly three digits (``1.234``) is read as
  thousands-grouped when its decimal reading would not be a whole number (1.234 votes is
  impossible); when both readings are whole numbers (``1.000`` = 1 or 1000?) the value is
  **ambiguous** unless other values in the same column show which convention the column uses;
* a value with a decimal part that is zero (``12.0``, ``12,00``) is that integer; any other
  decimal (``12.5``) is not a whole number;
* anything else (letters, several signs, ``N/A``) is not a number; an empty cell is missing.

Column-level evidence: a separator is a *decimal* separator in a column where some value has
it followed by other than three digits (``12.5``) or after a thousands group of the other
kind (``1,234.5``); it is a *thousands* separator where it appears twice (``1.234.567``) or
before a decimal of the other kind (``1.234,5``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Problem codes (int8) and the quarantine rule each one becomes.
OK, MISSING, NOT_INTEGER, AMBIGUOUS = 0, 1, 2, 3
PROBLEM_RULES = {MISSING: "missing_value", NOT_INTEGER: "not_integer",
                 AMBIGUOUS: "ambiguous_number"}

_NA_TOKENS = ("", "na", "n/a", "nan", "null", "none", "-", "--", "#n/a", "s/d")
_SPACES = r"[\s\u00a0\u202f']"
_PLAIN = r"\d+"
_GROUPED_DOT = r"\d{1,3}(?:\.\d{3})+"
_GROUPED_COMMA = r"\d{1,3}(?:,\d{3})+"
_MULTI_DOT = r"\d{1,3}(?:\.\d{3}){2,}"
_MULTI_COMMA = r"\d{1,3}(?:,\d{3}){2,}"
_ES_DECIMAL = r"\d{1,3}(?:\.\d{3})+,\d+"  # 1.234,5
_EN_DECIMAL = r"\d{1,3}(?:,\d{3})+\.\d+"  # 1,234.5
_DOT_DECIMAL = r"\d+\.(?:\d{1,2}|\d{4,})"  # 12.5, 12.00, 1.2345
_COMMA_DECIMAL = r"\d+,(?:\d{1,2}|\d{4,})"


@dataclass(frozen=True)
class ParsedCounts:
    """Parsed values (float64, NaN where not a valid integer) and a problem code per row.

    ``problem`` is an int8 array: ``OK`` (0) for rows that parsed to a whole number (negative
    numbers included: the sign rule is applied by validation), else ``MISSING``,
    ``NOT_INTEGER`` or ``AMBIGUOUS`` (see :data:`PROBLEM_RULES`).
    """

    values: np.ndarray
    problem: np.ndarray


def parse_counts(series: pd.Series, *, from_text: bool | None = None) -> ParsedCounts:
    """Parse one column of counts (see the module docstring for the rules).

    ``from_text`` says whether floats in ``series`` were parsed from text by a reader that
    may have misread thousand separators (True for CSV): such columns must be passed as text.
    Numeric dtypes are trusted as numbers.
    """
    n = len(series)
    problem = np.zeros(n, dtype=np.int8)
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("Int64")
    if pd.api.types.is_integer_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        problem[np.isnan(values)] = MISSING
        return ParsedCounts(values, problem)
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        problem[np.isnan(values)] = MISSING
        frac = ~np.isnan(values) & (values != np.round(values))
        problem[frac] = NOT_INTEGER
        values = np.where(frac, np.nan, values)
        return ParsedCounts(values, problem)
    return _parse_text(series.astype("object"))


def _parse_text(raw: pd.Series) -> ParsedCounts:
    s = raw.where(raw.notna(), "").astype(str).str.replace(_SPACES, "", regex=True)
    n = len(s)
    values = np.full(n, np.nan)
    problem = np.zeros(n, dtype=np.int8)

    missing = s.str.lower().isin(_NA_TOKENS).to_numpy()
    problem[missing] = MISSING

    sign = np.where(s.str.startswith("-").to_numpy(), -1.0, 1.0)
    body = s.str.replace(r"^[+-]", "", regex=True)

    def match(pattern: str) -> np.ndarray:
        return body.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool) & ~missing

    plain = match(_PLAIN)
    grouped_dot, grouped_comma = match(_GROUPED_DOT), match(_GROUPED_COMMA)
    es_dec, en_dec = match(_ES_DECIMAL), match(_EN_DECIMAL)
    dot_dec, comma_dec = match(_DOT_DECIMAL), match(_COMMA_DECIMAL)

    # Column-level evidence of what each separator means.
    dot_is_decimal = bool(dot_dec.any() or en_dec.any())
    comma_is_decimal = bool(comma_dec.any() or es_dec.any())
    dot_is_thousands = bool(match(_MULTI_DOT).any() or es_dec.any())
    comma_is_thousands = bool(match(_MULTI_COMMA).any() or en_dec.any())

    def digits(mask: np.ndarray, drop: str) -> np.ndarray:
        return pd.to_numeric(body[mask].str.replace(drop, "", regex=False),
                             errors="coerce").to_numpy(np.float64)

    def decimal(mask: np.ndarray, thousands: str, point: str) -> np.ndarray:
        text = body[mask].str.replace(thousands, "", regex=False)
        return pd.to_numeric(text.str.replace(point, ".", regex=False),
                             errors="coerce").to_numpy(np.float64)

    values[plain] = pd.to_numeric(body[plain], errors="coerce").to_numpy(np.float64)

    for grouped, sep, other, is_dec, is_thou in (
        (grouped_dot, ".", ",", dot_is_decimal, dot_is_thousands),
        (grouped_comma, ",", ".", comma_is_decimal, comma_is_thousands),
    ):
        if not grouped.any():
            continue
        as_thousands = digits(grouped, sep)
        as_decimal = decimal(grouped, other, sep)
        whole_decimal = as_decimal == np.round(as_decimal)
        if is_thou and not is_dec:
            values[grouped] = as_thousands
        elif is_dec and not is_thou:
            values[grouped] = np.where(whole_decimal, as_decimal, np.nan)
            idx = np.flatnonzero(grouped)[~whole_decimal]
            problem[idx] = NOT_INTEGER
        else:  # no evidence (or contradictory evidence): decide value by value
            idx = np.flatnonzero(grouped)
            ambiguous = whole_decimal | (is_dec and is_thou)
            values[idx[~ambiguous]] = as_thousands[~ambiguous]
            problem[idx[ambiguous]] = AMBIGUOUS

    for mask, thousands, point in ((es_dec, ".", ","), (en_dec, ",", "."),
                                   (dot_dec, ",", "."), (comma_dec, ".", ",")):
        mask = mask & ~grouped_dot & ~grouped_comma
        if not mask.any():
            continue
        number = decimal(mask, thousands, point)
        whole = number == np.round(number)
        idx = np.flatnonzero(mask)
        values[idx[whole]] = number[whole]
        problem[idx[~whole]] = NOT_INTEGER

    parsed = ~np.isnan(values)
    unparsed = ~parsed & ~missing & (problem == OK)
    problem[unparsed] = NOT_INTEGER
    return ParsedCounts(values * sign, problem)
