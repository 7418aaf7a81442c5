"""Parse vote counts from whatever a spreadsheet or CSV holds, without guessing silently.

Counts arrive as integers, as floats ("12.0" from a spreadsheet export), or as text with
thousand separators in either convention ("1.234" in Spanish, "1,234" in English). The rules:

* plain digits are integers; a leading ``-`` makes a negative count (rejected later);
* blanks (space, no-break space, thin space, apostrophe) inside a number are accepted only as
  a valid thousands grouping (``1 234 567``, ``1'234``); ``5 5`` or ``1<TAB>234`` is not a
  number and is quarantined, never read as 55 or 1234;
* every value holding ``.`` or ``,`` is read both ways: the *English* convention (``,``
  thousands, ``.`` decimal) and the *continental* one (``.`` thousands, ``,`` decimal). A
  reading counts only when it gives a whole number (a count of 1.234 votes is impossible);
* the column's convention is the one that more values can *only* be read with (``1.234`` or
  ``1.234.567`` or ``12,00`` show the continental one; ``1,234`` or ``12.0`` the English
  one). A value that both conventions read as different whole numbers (``2.000``: 2 or 2000)
  takes the column's convention, or is **ambiguous** when the column shows none. A value that
  only the other convention can read is a conflicting minority: **ambiguous** as well. A
  non-whole value (a typo ``12.5``) is no evidence for either: it is "not a whole number";
* anything else (letters, several signs, ``N/A``) is not a number; an empty cell is missing.

The convention chosen for a column is returned with its evidence (:class:`NumberFormat`) and
reported in the ingest summary, so that a reader can check it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

# Problem codes (int8) and the quarantine rule each one becomes.
OK, MISSING, NOT_INTEGER, AMBIGUOUS, IMPLAUSIBLE = 0, 1, 2, 3, 4
PROBLEM_RULES = {MISSING: "missing_value", NOT_INTEGER: "not_integer",
                 AMBIGUOUS: "ambiguous_number", IMPLAUSIBLE: "implausible_count"}

#: No polling station holds more than this many voters: larger counts are quarantined. It is
#: also far below 2**53, so every count accepted is exact whatever its representation (and
#: :attr:`ParsedCounts.integers` is exact for any cap up to 10**18).
PLAUSIBLE_MAX = 10**9

_NA_TOKENS = ("", "na", "n/a", "nan", "null", "none", "-", "--", "#n/a", "s/d")
_BLANKS = "\u0020\u00a0\u202f'"
#: A thousands grouping with blanks, one separator throughout (an optional decimal part).
_BLANK_GROUPED = rf"[+-]?[0-9]{{1,3}}([{_BLANKS}])[0-9]{{3}}(?:\1[0-9]{{3}})*(?:[.,][0-9]+)?"
_PLAIN = r"[0-9]+"
_ENGLISH = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"  # 1,234,567.0
_CONTINENTAL = r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?"  # 1.234.567,0
#: Digits are ASCII only: other scripts' digits (Arabic-Indic "١٢٣") are not read as counts.
#: Longest digit string converted (longer ones are implausible counts, never rounded): every
#: 18-digit number is an exact int64.
_MAX_DIGITS = 18


@dataclass(frozen=True)
class NumberFormat:
    """The separators a column of counts was read with, and why.

    ``evidence`` values can be read only with this convention (``example`` is one of them);
    ``conflicting`` values only with the other one (quarantined as ambiguous); ``resolved``
    values read either way, settled by the convention.
    """

    thousands: str | None
    decimal: str | None
    evidence: int
    conflicting: int
    resolved: int
    example: str

    def to_dict(self) -> dict[str, Any]:
        return {"thousands": self.thousands, "decimal": self.decimal,
                "evidence": self.evidence, "conflicting": self.conflicting,
                "resolved": self.resolved, "example": self.example}

    def describe(self) -> str:
        if self.thousands is None:
            return (f"no convention could be settled ({self.evidence} values can only be read "
                    f"one way, as many only the other way); {self.conflicting} values holding "
                    f"'.' or ',' were quarantined as ambiguous")
        return (f"'{self.thousands}' read as thousands separator and '{self.decimal}' as "
                f"decimal point: {self.evidence} values can only be read that way (e.g. "
                f"'{self.example}'); {self.resolved} values read either way followed it; "
                f"{self.conflicting} values that only the other way reads were quarantined")


@dataclass(frozen=True)
class ParsedCounts:
    """Parsed values and a problem code per row.

    ``values`` is float64, NaN where not a valid integer (exact below 2**53: every value
    within the default cap); ``integers`` holds the same values as exact int64 (0 where not
    valid), whatever the cap. ``problem`` is an int8 array: ``OK`` (0) for rows that parsed
    to a whole number (negative numbers included: the sign rule is applied by validation),
    else ``MISSING``, ``NOT_INTEGER``, ``AMBIGUOUS`` or ``IMPLAUSIBLE`` (see
    :data:`PROBLEM_RULES`). Values above ``cap`` are never returned (they are
    ``IMPLAUSIBLE``). ``number_format`` says how separators were read (None when no value
    holds one).
    """

    values: np.ndarray
    problem: np.ndarray
    number_format: NumberFormat | None = None
    integers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def parse_counts(series: pd.Series, *, cap: int = PLAUSIBLE_MAX) -> ParsedCounts:
    """Parse one column of counts (see the module docstring for the rules).

    Numeric dtypes are trusted as numbers; anything else is parsed as text.
    """
    n = len(series)
    problem = np.zeros(n, dtype=np.int8)
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("Int64")
    if pd.api.types.is_integer_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        problem[np.isnan(values)] = MISSING
        exact = None
        if series.dtype == np.int64 or str(series.dtype) == "Int64":
            exact = series.to_numpy(dtype=np.int64, na_value=0)
        return _capped(ParsedCounts(values, problem), cap, exact)
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        problem[np.isnan(values)] = MISSING
        frac = ~np.isnan(values) & (values != np.round(values))
        problem[frac] = NOT_INTEGER
        values = np.where(frac, np.nan, values)
        return _capped(ParsedCounts(values, problem), cap)
    return _capped(_parse_text(series.astype("object")), cap)


def _capped(parsed: ParsedCounts, cap: int, exact: np.ndarray | None = None) -> ParsedCounts:
    """Values beyond ``cap`` (either sign) become IMPLAUSIBLE; ``integers`` are the exact
    values (``exact`` where given, else the float values, exact below 2**53), 0 where not
    valid."""
    if exact is None and len(parsed.integers) == len(parsed.values):
        exact = parsed.integers
    with np.errstate(invalid="ignore"):
        beyond = np.abs(parsed.values) > cap
    if exact is not None:  # compared exactly (float rounding near the cap); infinite =
        # more digits than any count has
        beyond = np.isinf(parsed.values) | (((exact > cap) | (exact < -cap))
                                            & (parsed.problem == OK))
    problem = parsed.problem
    if beyond.any():
        problem = problem.copy()
        problem[beyond] = IMPLAUSIBLE
    valid = problem == OK
    if exact is None:
        exact = np.where(valid, parsed.values, 0).astype(np.int64)
    else:
        exact = np.where(valid, exact, 0)
    return replace(parsed, values=np.where(valid, parsed.values, np.nan), problem=problem,
                   integers=exact)


def _parse_text(raw: pd.Series) -> ParsedCounts:
    s = raw.where(raw.notna(), "").astype(str).str.strip()
    n = len(s)
    values = np.full(n, np.nan)
    exact = np.zeros(n, dtype=np.int64)
    problem = np.zeros(n, dtype=np.int8)

    missing = s.str.lower().isin(_NA_TOKENS).to_numpy()
    problem[missing] = MISSING

    grouped = s.str.fullmatch(_BLANK_GROUPED).fillna(False).to_numpy(dtype=bool)
    if grouped.any():  # "1 234" -> "1234"; any other blank inside stays and fails below
        s = s.where(~grouped, s.str.replace(f"[{_BLANKS}]", "", regex=True))
    sign = np.where(s.str.startswith("-").to_numpy(), -1, 1)
    body = s.str.replace(r"^[+-]", "", regex=True)

    def match(pattern: str) -> np.ndarray:
        return body.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool) & ~missing

    digits = body.str.len().to_numpy(dtype=np.float64, na_value=0) > _MAX_DIGITS
    plain = match(_PLAIN)
    huge = plain & digits
    problem[huge] = IMPLAUSIBLE
    plain &= ~huge
    exact[plain] = pd.to_numeric(body[plain]).to_numpy(np.int64)  # (18 digits at most)
    values[plain] = exact[plain]

    number_format = None
    separated = ~plain & ~huge & ~missing & body.str.contains(r"[.,]", regex=True) \
        .fillna(False).to_numpy(dtype=bool)
    if separated.any():
        number_format = _read_separated(body, separated, values, exact, problem)

    unparsed = np.isnan(values) & ~missing & (problem == OK)
    problem[unparsed] = NOT_INTEGER
    return ParsedCounts(values * sign, problem, number_format, exact * sign)


def _reading(text: pd.Series, pattern: str, thousands: str, point: str
             ) -> tuple[np.ndarray, np.ndarray]:
    """Whole-number values of ``text`` under one convention: as float (NaN where it cannot
    be read, infinite beyond :data:`_MAX_DIGITS` digits) and as exact int64 (0 there)."""
    ok = text.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    out = np.full(len(text), np.nan)
    exact = np.zeros(len(text), dtype=np.int64)
    if ok.any():
        cleaned = text[ok].str.replace(thousands, "", regex=False)
        whole, _, fraction = (cleaned.str.partition(point)[i] for i in range(3))
        readable = fraction.str.fullmatch("0*").to_numpy(dtype=bool)  # a whole number
        long = whole.str.len().to_numpy() > _MAX_DIGITS
        digits = pd.to_numeric(whole.where(readable & ~long, "0")).to_numpy(np.int64)
        out[ok] = np.where(~readable, np.nan, np.where(long, np.inf, digits))
        exact[ok] = np.where(readable & ~long, digits, 0)
    return out, exact


def _read_separated(body: pd.Series, rows: np.ndarray, values: np.ndarray,
                    exact: np.ndarray, problem: np.ndarray) -> NumberFormat:
    """Read the values holding '.' or ',' with the column's convention (module docstring);
    fills ``values`` (and their exact integers) and ``problem`` at ``rows`` and returns the
    convention chosen."""
    idx = np.flatnonzero(rows)
    text = body.iloc[idx]
    english, english_exact = _reading(text, _ENGLISH, ",", ".")
    continental, continental_exact = _reading(text, _CONTINENTAL, ".", ",")
    en_ok, co_ok = ~np.isnan(english), ~np.isnan(continental)
    only_en, only_co = en_ok & ~co_ok, co_ok & ~en_ok
    same = en_ok & co_ok & (english == continental)
    either = en_ok & co_ok & ~same
    n_en, n_co = int(only_en.sum()), int(only_co.sum())
    values[idx[same]] = english[same]
    exact[idx[same]] = english_exact[same]
    if n_en == n_co:  # no convention (or contradictory evidence in equal measure)
        unsettled = either | only_en | only_co
        problem[idx[unsettled]] = AMBIGUOUS
        return NumberFormat(None, None, n_en, int(unsettled.sum()), 0, "")
    use_en = n_en > n_co
    chosen, chosen_exact, own, other = (english, english_exact, only_en, only_co) if use_en \
        else (continental, continental_exact, only_co, only_en)
    values[idx[own | either]] = chosen[own | either]
    exact[idx[own | either]] = chosen_exact[own | either]
    problem[idx[other]] = AMBIGUOUS
    example = str(text.iloc[int(np.flatnonzero(own)[0])])
    return NumberFormat("," if use_en else ".", "." if use_en else ",", int(own.sum()),
                        int(other.sum()), int(either.sum()), example)
