"""The claims ledger of the dispute tracker: who said what, when, with which figures.

A case's ``claims.yaml`` lists every public claim about an election's result (official
bulletins, court rulings, the opposition's announcements, media tabulations, exit polls), each
with its source. Figures are kept *as announced*: percentages are strings, so "51.20" keeps its
two decimals and means a true value in [51.195, 51.205). The format is documented, with an
example, in ``docs/claims.md`` (agreed with the simulator in ``CLAIMS_FORMAT.md``; this module
implements it and a few compatible extensions listed there).

Loading validates every field with the nothing-lost discipline of the tally-sheet ingest: each
bad field becomes one :class:`ClaimProblem` (claim id, field, value, rule, line), all problems
are collected, and :class:`ClaimValidationError` (an :class:`~audit.errors.ClaimsError`)
reports them together. A ledger is never silently truncated.

A ledger may come from someone else (issue 13): it is read only up to
:data:`MAX_LEDGER_BYTES`, its YAML node graph is checked before anything is built from it
(aliases, nesting depth and the size the document would have with every alias expanded are
bounded: a "billion laughs" ledger is refused at once, a few anchors still work), and every
message shows values cut to a few dozen characters with a count of what was left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from audit._json import jsonable
from audit.errors import ClaimsError, cut, shown
from audit.model import Election

#: The C-accelerated safe YAML loader where available (same results, faster).
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Who made a claim. ``court`` covers courts and electoral tribunals.
SIDES: tuple[str, ...] = ("official", "court", "opposition", "observer", "media", "academic",
                          "exit_poll", "other")
#: What announced percentages are shares of.
PERCENT_BASES: tuple[str, ...] = ("valid", "voters", "registered", "unknown")
#: What a claim's figures rest on (extension): a tabulation of tally sheets, an official count,
#: a random sample (exit poll, quick count), a statement without a stated method.
BASES: tuple[str, ...] = ("tally_sheets", "count", "sample", "statement", "unknown")
#: How announced percentages were rounded (extension): to nearest (default) or truncated.
ROUNDINGS: tuple[str, ...] = ("nearest", "down")
#: Pseudo-candidate: the sum of every candidate not listed separately in ``counts``.
OTHERS = "OTHERS"

#: Bounds of a ledger read from a case folder (far above any real ledger).
MAX_LEDGER_BYTES = 16 << 20
MAX_ALIASES = 1_000
MAX_DEPTH = 64
MAX_NODES = 1_000_000

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_INT_RE = re.compile(r"^\d+$")
_APPROX_COUNT_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kKM])$")
_PCT_RE = re.compile(r"^(~|<=|>=|<|>|≤|≥)?\s*(\d+)(?:\.(\d+))?$")
_UNITS = {"k": 1_000, "K": 1_000, "M": 1_000_000}

_CLAIM_FIELDS = ("id", "datetime", "side", "series", "source", "scope", "scope_level",
                 "coverage", "counts", "percentages", "percent_base", "percent_rounding",
                 "valid", "null_votes", "blank_votes", "voters", "registered", "turnout_pct",
                 "valid_pct", "null_pct", "derived", "basis", "endorses", "notes", "label")
_COVERAGE_FIELDS = ("tables_pct", "tables", "registered", "registered_pct", "centers",
                    "sample_units", "respondents")
_SOURCE_FIELDS = ("citation", "url", "urls", "label", "archived", "date", "primary_url_status")
#: Whether the primary source (``url``) was confirmed: opened and found to be the publisher's
#: own page (``confirmed``), found cited as such by a third party but not opened
#: (``cited by a third party``), or not found (``not confirmed``: only copies are known).
PRIMARY_STATUSES = ("confirmed", "cited by a third party", "not confirmed")


# --------------------------------------------------------------------------------------------
# Figures as announced
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A vote count as announced: exact (``5150092``) or rounded (``"6.89M"``).

    ``low`` and ``high`` are the smallest and largest whole numbers the announcement allows
    (equal for an exact count); ``"6.89M"`` allows 6,885,000 to 6,894,999.
    """

    text: str
    low: int
    high: int

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @property
    def value(self) -> int:
        """The announced value (the midpoint of a rounded count)."""
        return (self.low + self.high + 1) // 2 if not self.exact else self.low

    @classmethod
    def of(cls, value: int) -> Quantity:
        return cls(str(value), value, value)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(f"{self.text}+{other.text}", self.low + other.low,
                        self.high + other.high)

    def to_json(self) -> int | str:
        return self.low if self.exact and _INT_RE.match(self.text) else self.text


def total(quantities: Iterable[Quantity]) -> Quantity:
    """The sum of several counts (bounds add up)."""
    items = list(quantities)
    return Quantity("+".join(q.text for q in items), sum(q.low for q in items),
                    sum(q.high for q in items))


@dataclass(frozen=True)
class Percent:
    """A percentage as announced, with the precision its digits carry.

    ``"51.20"`` has ``decimals=2`` and, rounded to nearest, means a true value in
    ``[51.195, 51.205)``. A leading ``~`` marks an approximate figure ("about 70%"), which no
    precision check uses; ``>`` / ``<`` (coverage only) mark a bound ("more than 40%").
    """

    text: str
    value: Fraction
    decimals: int
    qualifier: str = ""

    @property
    def unit(self) -> Fraction:
        """One unit of the last announced digit, in percentage points."""
        return Fraction(1, 10 ** self.decimals)

    @property
    def approximate(self) -> bool:
        return self.qualifier == "~"

    @property
    def bound(self) -> str:
        """``"lower"`` for ">40", ``"upper"`` for "<40", else ``""``."""
        if self.qualifier in (">", ">=", "≥"):
            return "lower"
        if self.qualifier in ("<", "<=", "≤"):
            return "upper"
        return ""

    def interval(self, rounding: str = "nearest") -> tuple[Fraction, Fraction]:
        """``[low, high)`` in percentage points: the true values this announcement allows."""
        if self.approximate:
            return self.value - 5 * self.unit, self.value + 5 * self.unit
        if self.bound == "lower":
            return self.value, Fraction(100)
        if self.bound == "upper":
            return Fraction(0), self.value
        if rounding == "down":
            return self.value, self.value + self.unit
        half = self.unit / 2
        return self.value - half, self.value + half

    def fraction_interval(self, rounding: str = "nearest") -> tuple[Fraction, Fraction]:
        """:meth:`interval` as fractions of one (0.51195, 0.51205)."""
        low, high = self.interval(rounding)
        return low / 100, high / 100

    @property
    def grid_decimals(self) -> int:
        """Decimals of the coarsest grid (at most 1%) this value lies on: "51.20" -> 1."""
        digits = self.decimals
        while digits > 0 and (self.value * 10 ** (digits - 1)).denominator == 1:
            digits -= 1
        return digits

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class ClaimTime:
    """When a claim was made: an instant, a date, a bound ("<=…", ">=…") or an interval.

    ``start`` and ``end`` are timezone-aware; :attr:`sort_key` orders the timeline (a bare
    date sorts at noon of that day in the election's time zone).
    """

    text: str
    kind: str  # at | date | no_later_than | no_earlier_than | between
    start: dt.datetime
    end: dt.datetime

    @property
    def sort_key(self) -> dt.datetime:
        if self.kind == "date":
            return self.start + dt.timedelta(hours=12)
        return self.start if self.kind != "no_later_than" else self.end


@dataclass(frozen=True)
class Coverage:
    """What part of the election a claim says it covers (every field optional)."""

    tables_pct: Percent | None = None
    tables: int | None = None
    registered: Quantity | None = None
    registered_pct: Percent | None = None
    centers: int | None = None
    sample_units: int | None = None
    respondents: int | None = None

    @property
    def stated(self) -> bool:
        return any(getattr(self, f.name) is not None for f in dataclasses.fields(self))


@dataclass(frozen=True)
class Source:
    """Where a claim was made and read: ``citation`` (who, where, when, and the copy read),
    ``urls`` (the primary source first, then copies and secondary reports), ``primary``
    (the ``url`` field: the publisher's own page, empty when only copies are known), ``archived``
    (archived copies of the primary source), ``date`` (publication date as written) and
    ``labels`` (a short name of the publisher per language, e.g. ``{"en": "CNE"}``) and
    ``primary_status`` (:data:`PRIMARY_STATUSES`: how far the primary URL was confirmed;
    empty when the ledger does not say)."""

    citation: str
    urls: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    archived: tuple[str, ...] = ()
    date: str = ""
    primary: str = ""
    primary_status: str = ""

    def name(self, lang: str) -> str:
        """The publisher's short name in ``lang`` (else English, else the citation)."""
        return self.labels.get(lang) or self.labels.get("en") or self.citation


@dataclass(frozen=True)
class Claim:
    """One claim of the ledger, validated; figures as announced (see ``docs/claims.md``)."""

    id: str
    time: ClaimTime
    side: str
    source: Source
    series: str = ""
    scope: str = "national"
    scope_level: str = ""
    coverage: Coverage = field(default_factory=Coverage)
    counts: Mapping[str, Quantity] = field(default_factory=dict)
    percentages: Mapping[str, Percent] = field(default_factory=dict)
    percent_base: str = "unknown"
    percent_rounding: str = "nearest"
    valid: Quantity | None = None
    null_votes: Quantity | None = None
    blank_votes: Quantity | None = None
    voters: Quantity | None = None
    registered: Quantity | None = None
    turnout_pct: Percent | None = None
    valid_pct: Percent | None = None
    null_pct: Percent | None = None
    derived: bool = False
    basis: str = "unknown"
    endorses: tuple[str, ...] = ()
    notes: str = ""
    line: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    labels: Mapping[str, str] = field(default_factory=dict)

    # -- what the claim states -----------------------------------------------------------------
    @property
    def has_counts(self) -> bool:
        return bool(self.counts)

    @property
    def has_figures(self) -> bool:
        return bool(self.counts or self.percentages or self.valid or self.voters
                    or self.turnout_pct)

    @property
    def national(self) -> bool:
        return self.scope == "national"

    @property
    def label(self) -> str:
        return self.id

    def name(self, lang: str) -> str:
        """The claim's human label in ``lang`` ("CNE bulletin 1"), else English, else its id."""
        return self.labels.get(lang) or self.labels.get("en") or self.id

    def complete(self, candidates: Sequence[str]) -> bool:
        """True when ``counts`` partition the valid votes (every candidate, or ``OTHERS``)."""
        return bool(self.counts) and (OTHERS in self.counts
                                      or all(k in self.counts for k in candidates))

    def counts_total(self) -> Quantity | None:
        """Sum of the counts (None without counts)."""
        return total(self.counts.values()) if self.counts else None

    def valid_total(self, candidates: Sequence[str]) -> Quantity | None:
        """Valid votes: as stated, else the sum of complete counts."""
        if self.valid is not None:
            return self.valid
        return self.counts_total() if self.complete(candidates) else None

    def ballots_total(self, candidates: Sequence[str]) -> tuple[Quantity | None, str]:
        """Voters (ballots) as stated, else valid + null (+ blank) where stated, with how."""
        if self.voters is not None:
            return self.voters, "voters as stated"
        valid = self.valid_total(candidates)
        if valid is None:
            return None, ""
        parts = [valid, *(q for q in (self.null_votes, self.blank_votes) if q is not None)]
        how = "valid + null votes" if len(parts) > 1 else (
            "valid votes (null votes not stated)" if self.valid is not None
            else "sum of the counts (valid or total unstated)")
        return total(parts), how

    def percent_base_total(self, candidates: Sequence[str]) -> tuple[Quantity | None, str]:
        """The total that ``percentages`` are shares of, and how it was found."""
        if self.percent_base == "valid":
            return self.valid_total(candidates), "valid votes"
        if self.percent_base == "voters":
            return self.ballots_total(candidates)[0], "voters"
        if self.percent_base == "registered":
            return self.registered, "registered voters"
        if self.complete(candidates):
            return self.counts_total(), "sum of the counts (base not stated)"
        return None, ""

    def to_dict(self) -> dict[str, Any]:
        """The claim as announced (JSON-safe; strings keep their precision)."""
        out: dict[str, Any] = {
            "id": self.id, "datetime": self.time.text, "side": self.side,
            "series": self.series, "label": dict(self.labels),
            "source": {"citation": self.source.citation, "urls": list(self.source.urls),
                       "label": dict(self.source.labels),
                       "archived": list(self.source.archived), "date": self.source.date,
                       "primary": self.source.primary or None,
                       "primary_url_status": self.source.primary_status or None},
            "scope": self.scope, "scope_level": self.scope_level or None,
            "coverage": {f.name: _json_figure(getattr(self.coverage, f.name))
                         for f in dataclasses.fields(self.coverage)},
            "counts": {k: q.to_json() for k, q in self.counts.items()},
            "percentages": {k: p.text for k, p in self.percentages.items()},
            "percent_base": self.percent_base, "percent_rounding": self.percent_rounding,
            "derived": self.derived, "basis": self.basis, "endorses": list(self.endorses),
            "notes": self.notes, "line": self.line,
        }
        for name in ("valid", "null_votes", "blank_votes", "voters", "registered",
                     "turnout_pct", "valid_pct", "null_pct"):
            out[name] = _json_figure(getattr(self, name))
        return out


def _json_figure(value: Any) -> Any:
    if isinstance(value, Quantity):
        return value.to_json()
    if isinstance(value, Percent):
        return value.text
    return value


# --------------------------------------------------------------------------------------------
# Problems and errors
# --------------------------------------------------------------------------------------------

#: Rule code -> what it requires (shown in docs and error messages).
RULES: dict[str, str] = {
    "not_a_mapping": "the ledger must be a mapping with 'election' and 'claims'",
    "yaml_syntax": "the file must be valid YAML",
    "missing_field": "a required field is missing",
    "unknown_field": "only the documented fields are allowed (a typo would otherwise be lost)",
    "bad_id": "ids are lowercase letters, digits, '-' and '.', starting with a letter or digit",
    "duplicate_id": "claim ids must be unique",
    "bad_datetime": "ISO 8601 date-time with UTC offset, a date, '<=…', '>=…' or 'A/B'",
    "naive_datetime": "a time of day needs a UTC offset (e.g. -04:00)",
    "bad_choice": "the value must be one of the listed choices",
    "bad_count": "a count is a whole number >= 0, or a rounded string such as '6.89M'",
    "bad_percentage": "a percentage is a quoted string of digits such as '51.20'",
    "float_percentage": "write percentages as quoted strings ('51.20') so their precision is "
                        "kept",
    "out_of_range": "a percentage lies between 0 and 100",
    "unknown_candidate": "keys must be candidate keys of the election, or OTHERS",
    "others_with_all": "OTHERS cannot be given when every candidate is listed",
    "bad_scope": "scope is 'national' or a region code of the election at scope_level",
    "unknown_reference": "endorses must name claims of the same ledger",
    "wrong_election": "the ledger's election must match the case",
    "bad_text": "the value must be text",
    "bad_bool": "the value must be true or false",
    "bad_int": "the value must be a whole number >= 0",
    "empty": "the value must not be empty",
}


@dataclass(frozen=True)
class ClaimProblem:
    """One bad field: which claim, which field, what value, which rule, where."""

    claim: str
    field: str
    value: Any
    rule: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return (f"{where}claim {shown(self.claim)}, field {shown(self.field)} = "
                f"{shown(self.value)}: {cut(self.message, 300)} ({self.rule})")

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "field": self.field, "value": jsonable(_plain(self.value)),
                "rule": self.rule, "message": self.message, "line": self.line}


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str) and len(value) > 200:
        return shown(value, 200)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return shown(value)


class ClaimValidationError(ClaimsError):
    """A ledger or a new claim failed validation; ``problems`` lists every bad field."""

    def __init__(self, origin: str, problems: Sequence[ClaimProblem]) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        n = len(self.problems)
        head = f"{origin}: {n} problem{'s' if n != 1 else ''}: "
        shown = "; ".join(str(p) for p in self.problems[:20])
        more = f"; and {n - 20:,} more" if n > 20 else ""
        super().__init__(head + shown + more)


# --------------------------------------------------------------------------------------------
# Parsing one claim
# --------------------------------------------------------------------------------------------


class _Collector:
    """Collects problems for one claim, with line numbers where known."""

    def __init__(self, claim_id: str, lines: Mapping[str, int], default_line: int | None):
        self.claim_id = claim_id
        self.lines = lines
        self.default_line = default_line
        self.problems: list[ClaimProblem] = []

    def add(self, field_name: str, value: Any, rule: str, detail: str = "") -> None:
        line = self.lines.get(field_name, self.lines.get(field_name.split(".")[0],
                                                         self.default_line))
        message = RULES[rule] + (f" ({detail})" if detail else "")
        self.problems.append(ClaimProblem(self.claim_id, field_name, value, rule, message, line))


def parse_quantity(value: Any) -> Quantity | None:
    """A count from YAML: an int >= 0, a digit string, or a rounded string ("6.89M")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Quantity.of(value) if value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if _INT_RE.match(text):
            return Quantity(text, int(text), int(text))
        m = _APPROX_COUNT_RE.match(text)
        if m:
            number, unit = Decimal(m.group(1)), _UNITS[m.group(2)]
            decimals = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
            centre = Fraction(number) * unit
            half = Fraction(unit, 2 * 10 ** decimals)
            low, high = centre - half, centre + half
            return Quantity(text, math.ceil(low), math.ceil(high) - 1)
    return None


def parse_percent(value: Any, *, allow_bound: bool = False) -> tuple[Percent | None, str]:
    """A percentage from YAML; returns (percent, rule of the problem or "")."""
    if isinstance(value, bool):
        return None, "bad_percentage"
    if isinstance(value, float):
        return None, "float_percentage"
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None, "bad_percentage"
    m = _PCT_RE.match(value.strip())
    if not m:
        return None, "bad_percentage"
    qualifier = m.group(1) or ""
    if qualifier not in ("", "~") and not allow_bound:
        return None, "bad_percentage"
    decimals = len(m.group(3) or "")
    number = Fraction(Decimal(m.group(2) + ("." + m.group(3) if m.group(3) else "")))
    if number > 100:
        return None, "out_of_range"
    return Percent(value.strip(), number, decimals, qualifier), ""


def parse_claim_time(value: Any, tz: dt.tzinfo) -> tuple[ClaimTime | None, str]:
    """A claim's date-time; returns (time, rule of the problem or "")."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return None, "naive_datetime"
        return ClaimTime(value.isoformat(), "at", value, value), ""
    if isinstance(value, dt.date):
        return _date_time(value, value.isoformat(), tz), ""
    if not isinstance(value, str) or not value.strip():
        return None, "bad_datetime"
    text = value.strip()
    if text.startswith(("<=", ">=")):
        inner, rule = parse_claim_time(text[2:].strip(), tz)
        if inner is None:
            return None, rule
        kind = "no_later_than" if text.startswith("<=") else "no_earlier_than"
        return ClaimTime(text, kind, inner.start, inner.end), ""
    if "/" in text:
        first, _, second = text.partition("/")
        a, rule_a = parse_claim_time(first, tz)
        b, rule_b = parse_claim_time(second, tz)
        if a is None or b is None:
            return None, rule_a or rule_b
        if b.end < a.start:
            return None, "bad_datetime"
        return ClaimTime(text, "between", a.start, b.end), ""
    try:
        if "T" in text or " " in text:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                return None, "naive_datetime"
            return ClaimTime(text, "at", parsed, parsed), ""
        return _date_time(dt.date.fromisoformat(text), text, tz), ""
    except ValueError:
        return None, "bad_datetime"


def _date_time(day: dt.date, text: str, tz: dt.tzinfo) -> ClaimTime:
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)
    return ClaimTime(text, "date", start, end)


def _election_tz(election: Election | None) -> dt.tzinfo:
    if election is None:
        return dt.timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(election.timezone)
    except Exception:  # unknown zone or no tz database: fall back to UTC
        return dt.timezone.utc


def _check_field_names(raw: Mapping[str, Any], p: _Collector) -> None:
    """Unknown fields, missing required fields and a malformed id."""
    for key in raw:
        if key not in _CLAIM_FIELDS:
            p.add(str(key), raw[key], "unknown_field",
                  f"known fields: {', '.join(_CLAIM_FIELDS)}")
    for required in ("id", "datetime", "side", "source"):
        if required not in raw or raw[required] in (None, ""):
            p.add(required, raw.get(required), "missing_field")
    if "id" in raw and raw["id"] not in (None, "") and (
            not isinstance(raw["id"], str) or not _ID_RE.match(raw["id"])):
        p.add("id", raw["id"], "bad_id")


def _parse_endorses(value: Any, p: _Collector) -> list[str]:
    """The claim ids a claim endorses: one id or a list of ids."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        p.add("endorses", value, "bad_text", "a claim id or a list of ids")
        return []
    return value


def parse_claim(raw: Any, *, election: Election | None = None, index: int = 0,
                lines: Mapping[str, int] | None = None,
                line: int | None = None) -> tuple[Claim | None, list[ClaimProblem]]:
    """Validate one claim mapping; returns the claim (None if invalid) and every problem."""
    lines = lines or {}
    if not isinstance(raw, Mapping):
        p = _Collector(f"#{index + 1}", lines, line)
        p.add("claim", raw, "not_a_mapping", "each claim is a mapping of fields")
        return None, p.problems
    claim_id = raw.get("id")
    label = claim_id if isinstance(claim_id, str) and claim_id else f"#{index + 1}"
    p = _Collector(label, lines, line)
    candidates = election.candidate_keys if election else ()
    tz = _election_tz(election)

    _check_field_names(raw, p)
    time = None
    if raw.get("datetime") not in (None, ""):
        time, rule = parse_claim_time(raw["datetime"], tz)
        if time is None:
            p.add("datetime", raw["datetime"], rule)

    side = raw.get("side")
    if side not in (None, "") and side not in SIDES:
        p.add("side", side, "bad_choice", ", ".join(SIDES))

    source = None
    raw_source = raw.get("source")
    if raw_source not in (None, ""):
        source = _parse_source(raw_source, p)

    f = _Fields(raw, p, candidates)
    percent_base = f.choice("percent_base", PERCENT_BASES, "unknown")
    rounding = f.choice("percent_rounding", ROUNDINGS, "nearest")
    basis = f.choice("basis", BASES, "unknown")
    series = f.text("series")
    notes = f.text("notes")
    scope, scope_level = _parse_scope(f, election)

    counts, raw_counts = f.keyed("counts", f.quantity, "candidate key -> count")
    if candidates and OTHERS in raw_counts and all(k in raw_counts for k in candidates):
        p.add(f"counts.{OTHERS}", raw_counts[OTHERS], "others_with_all")
    percentages, _ = f.keyed("percentages", f.percent, "candidate key -> '51.20'")
    coverage = _parse_coverage(f)

    labels = _parse_labels(raw.get("label"), "label", p)
    derived = raw.get("derived", False)
    if not isinstance(derived, bool):
        p.add("derived", derived, "bad_bool")
        derived = False
    endorses_raw = _parse_endorses(raw.get("endorses") or [], p)

    claim = Claim(
        id=str(claim_id) if isinstance(claim_id, str) else label,
        time=time or ClaimTime("", "at", dt.datetime.min.replace(tzinfo=dt.timezone.utc),
                               dt.datetime.min.replace(tzinfo=dt.timezone.utc)),
        side=str(side) if side in SIDES else "other",
        source=source or Source(""),
        series=series or (str(side) if side in SIDES else ""),
        scope=scope, scope_level=scope_level if scope != "national" else "",
        coverage=coverage, counts=counts, percentages=percentages,
        percent_base=percent_base, percent_rounding=rounding,
        valid=f.quantity("valid", raw.get("valid")),
        null_votes=f.quantity("null_votes", raw.get("null_votes")),
        blank_votes=f.quantity("blank_votes", raw.get("blank_votes")),
        voters=f.quantity("voters", raw.get("voters")),
        registered=f.quantity("registered", raw.get("registered")),
        turnout_pct=f.percent("turnout_pct", raw.get("turnout_pct")),
        valid_pct=f.percent("valid_pct", raw.get("valid_pct")),
        null_pct=f.percent("null_pct", raw.get("null_pct")),
        derived=derived, basis=basis, endorses=tuple(endorses_raw), notes=notes,
        line=line, raw=dict(raw), labels=labels)
    return (None if p.problems else claim), p.problems


class _Fields:
    """Reads the fields of one claim mapping, recording every problem in ``p``."""

    def __init__(self, raw: Mapping[str, Any], p: _Collector,
                 candidates: Sequence[str]) -> None:
        self.raw, self.p, self.candidates = raw, p, candidates

    def choice(self, name: str, options: Sequence[str], default: str) -> str:
        value = self.raw.get(name, default)
        if value is None:
            return default
        if value not in options:
            self.p.add(name, value, "bad_choice", ", ".join(options))
            return default
        return str(value)

    def text(self, name: str) -> str:
        value = self.raw.get(name, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            self.p.add(name, value, "bad_text")
            return ""
        return value

    def quantity(self, name: str, value: Any) -> Quantity | None:
        if value is None:
            return None
        q = parse_quantity(value)
        if q is None:
            self.p.add(name, value, "bad_count")
        return q

    def percent(self, name: str, value: Any, *, allow_bound: bool = False) -> Percent | None:
        if value is None:
            return None
        pct, rule = parse_percent(value, allow_bound=allow_bound)
        if pct is None:
            self.p.add(name, value, rule)
        return pct

    def whole(self, name: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.p.add(name, value, "bad_int")
            return None
        return value

    def keyed(self, fld: str, parse: Any, hint: str
              ) -> tuple[dict[str, Any], Mapping[str, Any]]:
        """A candidate-key -> figure mapping: unknown keys and bad values are problems."""
        raw_map = self.raw.get(fld) or {}
        if not isinstance(raw_map, Mapping):
            self.p.add(fld, raw_map, "not_a_mapping", hint)
            return {}, {}
        parsed: dict[str, Any] = {}
        for key, value in raw_map.items():
            name = f"{fld}.{key}"
            if self.candidates and key != OTHERS and key not in self.candidates:
                self.p.add(name, key, "unknown_candidate",
                           f"known: {', '.join(self.candidates)}, {OTHERS}")
                continue
            figure = parse(name, value)
            if figure is not None:
                parsed[str(key)] = figure
        return parsed, raw_map


def _parse_scope(f: _Fields, election: Election | None) -> tuple[str, str]:
    """The claim's scope (``national`` or a region code) and its level, checked against the
    election's regions where it lists them."""
    scope = f.raw.get("scope", "national")
    scope_level = f.text("scope_level")
    if not isinstance(scope, (str, int)) or isinstance(scope, bool) or scope == "":
        f.p.add("scope", scope, "bad_scope")
        scope = "national"
    scope = str(scope)
    if election is not None and scope != "national":
        levels = election.region_levels
        level = scope_level or (levels[0] if levels else "")
        if levels and level not in levels:
            f.p.add("scope_level", scope_level, "bad_choice", ", ".join(levels))
        elif election.regions_at(level) and scope not in {r.code for r in
                                                           election.regions_at(level)}:
            f.p.add("scope", scope, "bad_scope", f"no region {scope!r} at level {level!r}")
        scope_level = level
    return scope, scope_level


def _parse_coverage(f: _Fields) -> Coverage:
    """The claim's ``coverage`` mapping: tables, registered voters, centres, sample."""
    raw_cov = f.raw.get("coverage") or {}
    if not isinstance(raw_cov, Mapping):
        f.p.add("coverage", raw_cov, "not_a_mapping", ", ".join(_COVERAGE_FIELDS))
        raw_cov = {}
    for key in raw_cov:
        if key not in _COVERAGE_FIELDS:
            f.p.add(f"coverage.{key}", raw_cov[key], "unknown_field",
                    f"known: {', '.join(_COVERAGE_FIELDS)}")
    return Coverage(
        tables_pct=f.percent("coverage.tables_pct", raw_cov.get("tables_pct"),
                             allow_bound=True),
        tables=f.whole("coverage.tables", raw_cov.get("tables")),
        registered=f.quantity("coverage.registered", raw_cov.get("registered")),
        registered_pct=f.percent("coverage.registered_pct", raw_cov.get("registered_pct"),
                                 allow_bound=True),
        centers=f.whole("coverage.centers", raw_cov.get("centers")),
        sample_units=f.whole("coverage.sample_units", raw_cov.get("sample_units")),
        respondents=f.whole("coverage.respondents", raw_cov.get("respondents")))


def _parse_labels(raw: Any, name: str, p: _Collector) -> dict[str, str]:
    """A label: one text for every language, or a mapping language -> text."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"en": raw} if raw.strip() else {}
    if not isinstance(raw, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in raw.items()):
        p.add(name, raw, "bad_text", "a text, or a mapping language -> text (en: ..., es: ...)")
        return {}
    return {str(k): str(v).strip() for k, v in raw.items()}


def _url_list(raw: Mapping[str, Any], key: str, p: _Collector) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(u, str) for u in value):
        return list(value)
    p.add(f"source.{key}", value, "bad_text", "a URL or a list of URLs")
    return []


def _parse_source(raw: Any, p: _Collector) -> Source | None:
    if isinstance(raw, str):
        return Source(raw) if raw.strip() else None
    if not isinstance(raw, Mapping):
        p.add("source", raw, "not_a_mapping", "citation and url")
        return None
    for key in raw:
        if key not in _SOURCE_FIELDS:
            p.add(f"source.{key}", raw[key], "unknown_field", ", ".join(_SOURCE_FIELDS))
    citation = raw.get("citation")
    if not isinstance(citation, str) or not citation.strip():
        p.add("source.citation", citation, "missing_field" if citation is None else "empty")
        return None
    urls: list[str] = []
    if "url" in raw:
        if not isinstance(raw["url"], str):
            p.add("source.url", raw["url"], "bad_text")
        else:
            urls.append(raw["url"])
    if "urls" in raw:
        if not isinstance(raw["urls"], list) or not all(isinstance(u, str) for u in raw["urls"]):
            p.add("source.urls", raw["urls"], "bad_text", "a list of URLs")
        else:
            urls.extend(raw["urls"])
    date = raw.get("date", "")
    if not isinstance(date, (str, dt.date)):
        p.add("source.date", date, "bad_text")
        date = ""
    status = raw.get("primary_url_status", "")
    if status and status not in PRIMARY_STATUSES:
        p.add("source.primary_url_status", status, "bad_choice", ", ".join(PRIMARY_STATUSES))
        status = ""
    if status == "not confirmed" and isinstance(raw.get("url"), str):
        p.add("source.primary_url_status", status, "bad_choice",
              "a source with a url is 'confirmed' or 'cited by a third party'")
    return Source(citation.strip(), tuple(urls), primary_status=str(status),
                  primary=raw["url"] if isinstance(raw.get("url"), str) else "",
                  labels=_parse_labels(raw.get("label"), "source.label", p),
                  archived=tuple(_url_list(raw, "archived", p)), date=str(date or ""))


# --------------------------------------------------------------------------------------------
# The ledger
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimLedger:
    """Every claim of one election, in file order (``timeline()`` sorts them by time)."""

    election_id: str
    claims: tuple[Claim, ...]
    path: str = ""
    sha256: str = ""

    def __len__(self) -> int:
        return len(self.claims)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.claims)

    def get(self, claim_id: str) -> Claim:
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise KeyError(f"no claim {claim_id!r}; known: {', '.join(c.id for c in self.claims)}")

    def timeline(self) -> tuple[Claim, ...]:
        """Claims sorted by when they were made (file order breaks ties)."""
        order = {c.id: i for i, c in enumerate(self.claims)}
        return tuple(sorted(self.claims, key=lambda c: (c.time.sort_key, order[c.id])))

    def latest(self, side: str = "official") -> Claim | None:
        """The last national claim of ``side`` in the timeline that states counts or
        percentages (e.g. the latest official bulletin), or None."""
        stated = [c for c in self.timeline()
                  if c.side == side and c.national and (c.counts or c.percentages)]
        return stated[-1] if stated else None

    def frame(self, election: Election | None = None) -> pd.DataFrame:
        """One row per claim in timeline order: when, who, coverage and headline figures."""
        rows = []
        for c in self.timeline():
            rows.append({
                "datetime": c.time.text, "id": c.id, "side": c.side, "series": c.series,
                "scope": c.scope,
                "coverage": _coverage_text(c),
                "figures": headline(c, election),
                "citation": c.source.citation,
            })
        return pd.DataFrame(rows, columns=["datetime", "id", "side", "series", "scope",
                                           "coverage", "figures", "citation"])

    def to_dict(self) -> dict[str, Any]:
        return {"election": self.election_id, "path": self.path, "sha256": self.sha256,
                "claims": [c.to_dict() for c in self.timeline()]}


def _coverage_text(c: Claim) -> str:
    cov = c.coverage
    parts = []
    if cov.tables_pct is not None:
        parts.append(f"{cov.tables_pct.text}% of tables")
    if cov.tables is not None:
        parts.append(f"{cov.tables:,} tables")
    if cov.registered is not None:
        parts.append(f"{cov.registered.text} registered")
    if cov.sample_units is not None:
        parts.append(f"sample of {cov.sample_units:,} units")
    return ", ".join(parts)


def headline(c: Claim, election: Election | None = None) -> str:
    """The claim's figures in a few words ("NM 5,150,092 (51.20%), EG 4,445,978 (44.2%)…")."""
    keys = list(dict.fromkeys([*c.counts, *c.percentages]))
    parts = []
    for k in keys:
        figure = []
        if k in c.counts:
            q = c.counts[k]
            figure.append(f"{q.low:,}" if q.exact else q.text)
        if k in c.percentages:
            figure.append(f"({c.percentages[k].text}%)" if k in c.counts
                          else f"{c.percentages[k].text}%")
        parts.append(f"{k} {' '.join(figure)}")
    if c.turnout_pct is not None:
        parts.append(f"turnout {c.turnout_pct.text}%")
    if c.endorses:
        parts.append(f"endorses {', '.join(c.endorses)}")
    return "; ".join(parts) if parts else "no figures"


def _line_index(text: str) -> tuple[dict[int, int], dict[int, dict[str, int]], int | None]:
    """Line numbers (1-based) of each claim and of each of its fields (dotted paths)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}, {}, None
    claim_lines: dict[int, int] = {}
    field_lines: dict[int, dict[str, int]] = {}
    election_line = None
    if not isinstance(root, yaml.MappingNode):
        return claim_lines, field_lines, None
    for key, value in root.value:
        if key.value == "election":
            election_line = key.start_mark.line + 1
        if key.value != "claims" or not isinstance(value, yaml.SequenceNode):
            continue
        for i, item in enumerate(value.value):
            claim_lines[i] = item.start_mark.line + 1
            fields: dict[str, int] = {}
            if isinstance(item, yaml.MappingNode):
                for k, v in item.value:
                    fields[str(k.value)] = k.start_mark.line + 1
                    if isinstance(v, yaml.MappingNode):
                        for k2, _ in v.value:
                            fields[f"{k.value}.{k2.value}"] = k2.start_mark.line + 1
            field_lines[i] = fields
    return claim_lines, field_lines, election_line


def _check_graph(text: str, origin: str) -> None:
    """Refuse a YAML document whose aliases would make it huge or whose nesting is too deep
    (walked on the composed node graph, where an alias is a shared node: nothing is expanded).

    PyYAML keeps aliases as shared references, so loading a "billion laughs" document is
    cheap; walking it is not (yaml/pyyaml#235). Sizes are computed once per node.
    """
    if len(text) > MAX_LEDGER_BYTES:
        raise ClaimsError(f"{origin}: {len(text):,} characters, more than the "
                          f"{MAX_LEDGER_BYTES:,} a claims ledger may have")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except RecursionError:
        raise ClaimsError(f"{origin}: the YAML is nested too deeply") from None
    except yaml.YAMLError:
        return  # reported with its line by parse_ledger
    if root is None:
        return
    size: dict[int, int] = {}
    seen: set[int] = set()
    aliases = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    active: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children = [n for pair in node.value for n in pair] \
            if isinstance(node, yaml.MappingNode) else \
            list(node.value) if isinstance(node, yaml.SequenceNode) else []
        if done:
            active.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            if size[key] > MAX_NODES:
                raise ClaimsError(f"{origin}: with its aliases (*name) expanded the YAML would "
                                  f"have more than {MAX_NODES:,} values; refused")
            continue
        if key in seen:
            if key in active:
                raise ClaimsError(f"{origin}: the YAML has an alias that refers to itself")
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ClaimsError(f"{origin}: more than {MAX_ALIASES:,} YAML aliases (*name); "
                                  f"refused")
            continue
        if depth > MAX_DEPTH:
            raise ClaimsError(f"{origin}: the YAML is nested more than {MAX_DEPTH} levels deep")
        seen.add(key)
        active.add(key)
        stack.append((node, depth, True))
        stack += [(c, depth + 1, False) for c in children]


def parse_ledger(text: str, *, election: Election | None = None,
                 origin: str = "claims ledger") -> ClaimLedger:
    """Validate a ledger's YAML text; raise :class:`ClaimValidationError` listing every problem.

    Raises :class:`~audit.errors.ClaimsError` at once for a document too large, too deep or
    with too many aliases (see the module docstring).
    """
    _check_graph(text, origin)
    try:
        raw = yaml.load(text, Loader=_Loader)  # a safe loader
    except RecursionError:
        raise ClaimsError(f"{origin}: the YAML is nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = ClaimProblem("-", "-", "", "yaml_syntax",
                               f"{RULES['yaml_syntax']} ({getattr(exc, 'problem', exc)})", line)
        raise ClaimValidationError(origin, [problem]) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ClaimValidationError(origin, [ClaimProblem("-", "-", type(raw).__name__,
                                                         "not_a_mapping",
                                                         RULES["not_a_mapping"], 1)])
    claim_lines, field_lines, election_line = _line_index(text)
    problems: list[ClaimProblem] = []
    for key in raw:
        if key not in ("election", "claims"):
            problems.append(ClaimProblem("-", str(key), raw[key], "unknown_field",
                                         "top-level fields are 'election' and 'claims'"))
    election_id = raw.get("election")
    if not isinstance(election_id, str) or not election_id:
        problems.append(ClaimProblem("-", "election", election_id, "missing_field",
                                     RULES["missing_field"], election_line))
        election_id = election.id if election else ""
    elif election is not None and election_id != election.id:
        problems.append(ClaimProblem("-", "election", election_id, "wrong_election",
                                     f"{RULES['wrong_election']} ('{election.id}')",
                                     election_line))
    raw_claims = raw.get("claims")
    if raw_claims is None:
        raw_claims = []
    if not isinstance(raw_claims, list):
        problems.append(ClaimProblem("-", "claims", type(raw_claims).__name__, "not_a_mapping",
                                     "'claims' must be a list of claims"))
        raw_claims = []
    claims: list[Claim] = []
    positions: dict[str, int] = {}
    seen: dict[str, int] = {}
    for i, item in enumerate(raw_claims):
        claim, found = parse_claim(item, election=election, index=i,
                                   lines=field_lines.get(i, {}), line=claim_lines.get(i))
        problems.extend(found)
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            cid = item["id"]
            if cid in seen:
                problems.append(ClaimProblem(cid, "id", cid, "duplicate_id",
                                             f"{RULES['duplicate_id']} (first at claim "
                                             f"#{seen[cid] + 1})", claim_lines.get(i)))
            seen.setdefault(cid, i)
        if claim is not None:
            claims.append(claim)
            positions[claim.id] = i
    ids = set(seen)
    for claim in claims:
        for ref in claim.endorses:
            if ref not in ids:
                problems.append(ClaimProblem(claim.id, "endorses", ref, "unknown_reference",
                                             RULES["unknown_reference"],
                                             field_lines.get(positions[claim.id], {})
                                             .get("endorses", claim.line)))
    if problems:
        raise ClaimValidationError(origin, problems)
    return ClaimLedger(election_id=str(election_id), claims=tuple(claims), path=origin,
                       sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def load_ledger(path: str | Path, *, election: Election | None = None) -> ClaimLedger:
    """Read and validate a ``claims.yaml`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ClaimsError(f"claims ledger not found: {path}") from None
    except UnicodeDecodeError:
        raise ClaimsError(f"{path}: claims ledger is not UTF-8 text") from None
    return parse_ledger(text, election=election, origin=path.name)


# --------------------------------------------------------------------------------------------
# Appending a claim (``election-audit claims add``)
# --------------------------------------------------------------------------------------------

_TOP_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:(.*)$")


def claim_yaml(claim: Mapping[str, Any]) -> str:
    """One claim mapping as a YAML list item (block style; percentages stay quoted)."""
    return yaml.safe_dump([dict(claim)], sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=100)


def append_claim(path: str | Path, claim: Mapping[str, Any], *,
                 election: Election | None = None) -> Claim:
    """Validate ``claim`` against the ledger at ``path`` and append it, keeping the file.

    The claim is added as text after the last claim, so the file's comments, order and
    formatting are kept. The new text is parsed and validated as a whole before the file is
    replaced (atomically); nothing is written when anything fails.
    """
    path = Path(path)
    old_text = path.read_text(encoding="utf-8") if path.exists() else ""
    if old_text.strip():
        old = parse_ledger(old_text, election=election, origin=path.name)
    else:
        old = ClaimLedger(election_id=election.id if election else "", claims=())
        old_text = f"election: {old.election_id}\nclaims:\n"
    if any(c.id == claim.get("id") for c in old.claims):
        raise ClaimValidationError(path.name, [ClaimProblem(
            str(claim.get("id")), "id", claim.get("id"), "duplicate_id",
            RULES["duplicate_id"])])
    new_text = _insert_claim_text(old_text, claim_yaml(claim))
    new = parse_ledger(new_text, election=election, origin=path.name)
    if [c.raw for c in new.claims[:-1]] != [c.raw for c in old.claims] or \
            new.claims[-1].id != claim.get("id"):
        raise ClaimsError(f"{path.name}: cannot append safely to this layout; add the claim "
                          f"by hand at the end of the 'claims' list")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new_text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return new.claims[-1]


def _insert_claim_text(text: str, item: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, ln in enumerate(lines)
                  if (m := _TOP_KEY_RE.match(ln)) and m.group(1) == "claims"), None)
    if start is None:
        return "".join(lines) + "claims:\n" + item
    rest = _TOP_KEY_RE.match(lines[start])
    inline = rest.group(2).split("#")[0].strip() if rest else ""
    if inline == "[]":
        lines[start] = "claims:\n"
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY_RE.match(lines[i])),
               len(lines))
    block = lines[start + 1:end]
    indent = next((len(ln) - len(ln.lstrip(" ")) for ln in block
                   if ln.lstrip(" ").startswith("- ")), 2)
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    pad = " " * indent
    body = "".join(pad + ln if ln.strip() else ln for ln in item.splitlines(keepends=True))
    return "".join(lines[:end]) + body + "".join(lines[end:])
