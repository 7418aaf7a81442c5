"""Core data types: election metadata, the canonical tally-sheet table and provenance.

The canonical tally-sheet schema is defined here, once (:data:`CANONICAL_COLUMNS`), and
documented in ``docs/schema.md``. One row is one tally sheet, i.e. one polling table or
station. Every check in :mod:`audit.checks` receives a :class:`SheetTable`, never a raw
DataFrame, so it can rely on the invariants listed in :class:`SheetTable`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from audit._version import __version__
from audit.errors import MetadataError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ColumnKind = Literal["key", "count", "text", "meta"]


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its name, kind, whether every sheet must have it, and meaning."""

    name: str
    kind: ColumnKind
    required: bool
    description: str


# The canonical schema. Region columns and candidate columns are templates: `{level}` is a
# region level of the election (e.g. state, municipality, parish) and `{KEY}` a candidate key.
CANONICAL_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("region_{level}_code", "text", False,
               "Code of the region at this level (one pair of columns per level, top first)."),
    ColumnSpec("region_{level}_name", "text", False, "Name of the region at this level."),
    ColumnSpec("center_id", "key", True,
               "Voting centre / polling place identifier; empty when the source has none."),
    ColumnSpec("table_id", "key", True,
               "Table (mesa) or station identifier, unique within its centre."),
    ColumnSpec("registered", "count", False, "Registered voters of the table."),
    ColumnSpec("voters", "count", False,
               "Ballots cast / voters who voted, as stated on the sheet."),
    ColumnSpec("issued", "count", False,
               "Ballots issued to voters, where the sheet states them (Russian protocols: "
               "early + at the station + outside it); the turnout of Kobak et al. (2016)."),
    ColumnSpec("valid", "count", True,
               "Valid votes. When the source has no such column it is the candidate sum."),
    ColumnSpec("null", "count", False, "Null (spoilt, invalid) votes."),
    ColumnSpec("blank", "count", False, "Blank votes, where counted separately."),
    ColumnSpec("votes_{KEY}", "count", True, "Votes for candidate KEY (all party cards summed)."),
    ColumnSpec("source", "meta", True, "Label of the source the row came from."),
    ColumnSpec("line", "meta", True,
               "Line number of the row in its source file (header = line 1)."),
)

KEY_COLUMNS: tuple[str, str] = ("center_id", "table_id")
OPTIONAL_COUNTS: tuple[str, ...] = ("registered", "voters", "issued", "null", "blank")
COUNT_COLUMNS: tuple[str, ...] = ("registered", "voters", "issued", "valid", "null", "blank")
VOTE_PREFIX = "votes_"


def vote_column(key: str) -> str:
    """The canonical column holding the votes of candidate ``key``."""
    return f"{VOTE_PREFIX}{key}"


def vote_key(column: str) -> str | None:
    """The candidate key of a vote column (``"votes_EG"`` -> ``"EG"``), None for other columns."""
    return column[len(VOTE_PREFIX):] if column.startswith(VOTE_PREFIX) else None


def region_code_column(level: str) -> str:
    """The canonical column holding region codes at ``level``."""
    return f"region_{level}_code"


def region_name_column(level: str) -> str:
    """The canonical column holding region names at ``level``."""
    return f"region_{level}_name"


def region_keys(frame: pd.DataFrame, level: str | None,
                levels: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    """Each row's region code and name at ``level``: the one rule for grouping tables by region.

    Nationally (``level=None``) every row is ``"national"`` with an empty name; at a level the
    code column, and the name column (the codes where the frame has none). Raises ``KeyError``
    naming the known levels when ``level`` is not one of ``levels``.
    """
    if level is None:
        return pd.Series("national", index=frame.index), pd.Series("", index=frame.index)
    if level not in levels:
        raise KeyError(f"unknown region level {level!r}; levels: {', '.join(levels) or 'none'}")
    codes = frame[region_code_column(level)]
    names = frame.get(region_name_column(level), codes)
    return codes, names


# --------------------------------------------------------------------------------------------
# Election metadata
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A candidate: stable key (as in column names), full name and party cards."""

    key: str
    name: str
    parties: tuple[str, ...] = ()
    short_name: str = ""

    @property
    def label(self) -> str:
        """A short label for tables and figures."""
        return self.short_name or self.name


@dataclass(frozen=True)
class Region:
    """A region known to the metadata (used to validate region codes on sheets)."""

    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Election:
    """Metadata of one election, loaded from ``datasets/<case>/election.toml``.

    Attributes mirror the TOML file; see ``docs/schema.md`` for every field.
    """

    id: str
    name: str
    date: dt.date
    country: str
    candidates: tuple[Candidate, ...]
    region_levels: tuple[str, ...] = ()
    regions: tuple[Region, ...] = ()
    registered: int | None = None
    registered_abroad: int | None = None
    tables: int | None = None
    centers: int | None = None
    timezone: str = "UTC"
    kind: str = ""
    notes: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)
    declared_winner: str | None = None

    @property
    def candidate_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.candidates)

    def candidate(self, key: str) -> Candidate:
        for c in self.candidates:
            if c.key == key:
                return c
        raise KeyError(f"unknown candidate {key!r}; known: {', '.join(self.candidate_keys)}")

    def regions_at(self, level: str) -> tuple[Region, ...]:
        return tuple(r for r in self.regions if r.level == level)

    def label(self, key: str) -> str:
        """The label tables and figures show for candidate ``key`` (short name, else name);
        the key itself when the metadata does not list it."""
        for c in self.candidates:
            if c.key == key:
                return c.label
        return key

    def labels(self) -> dict[str, str]:
        """Candidate key -> :meth:`label`, for every candidate of the metadata."""
        return {c.key: c.label for c in self.candidates}

    @classmethod
    def from_toml(cls, path: Path) -> Election:
        """Load and validate an ``election.toml`` file."""
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise MetadataError(f"election metadata not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise MetadataError(f"{path}: not valid TOML ({exc})") from exc
        return cls.from_dict(raw, origin=str(path))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, origin: str = "election metadata") -> Election:
        def need(key: str) -> Any:
            if key not in raw:
                raise MetadataError(f"{origin}: missing required field '{key}'")
            return raw[key]

        date = need("date")
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError as exc:
                raise MetadataError(f"{origin}: 'date' must be YYYY-MM-DD, got {date!r}") from exc
        candidates = []
        for i, c in enumerate(need("candidates")):
            if "key" not in c or "name" not in c:
                raise MetadataError(f"{origin}: candidate #{i + 1} needs 'key' and 'name'")
            candidates.append(Candidate(key=str(c["key"]), name=str(c["name"]),
                                        parties=tuple(c.get("parties", ())),
                                        short_name=str(c.get("short_name", ""))))
        keys = [c.key for c in candidates]
        if len(set(keys)) != len(keys):
            raise MetadataError(f"{origin}: candidate keys are not unique: {keys}")
        levels = tuple(str(x) for x in raw.get("region_levels", ()))
        regions = []
        for r in raw.get("regions", ()):
            level = str(r.get("level", levels[0] if levels else ""))
            if levels and level not in levels:
                raise MetadataError(f"{origin}: region {r.get('code')!r} has unknown level "
                                    f"{level!r}; levels are {', '.join(levels)}")
            regions.append(Region(code=str(r["code"]), name=str(r["name"]), level=level))
        declared = raw.get("declared_winner")
        if declared is not None and str(declared) not in keys:
            raise MetadataError(f"{origin}: declared_winner {declared!r} is not a candidate key; "
                                f"keys are {', '.join(keys)}")
        reg = raw.get("registered", {})
        if not isinstance(reg, Mapping):
            reg = {"total": reg}
        return cls(
            id=str(need("id")), name=str(need("name")), date=date,
            country=str(raw.get("country", "")), candidates=tuple(candidates),
            region_levels=levels, regions=tuple(regions),
            registered=reg.get("total"), registered_abroad=reg.get("abroad"),
            tables=raw.get("tables"), centers=raw.get("centers"),
            timezone=str(raw.get("timezone", "UTC")), kind=str(raw.get("kind", "")),
            notes=str(raw.get("notes", "")), sources=dict(raw.get("sources", {})),
            declared_winner=None if declared is None else str(declared),
        )


# --------------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------------


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as lowercase hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Provenance:
    """Where an input came from: enough to reproduce a result from the same bytes.

    No wall-clock time is recorded, so that the same inputs give byte-identical outputs.
    """

    path: str
    sha256: str
    bytes: int
    rows_read: int | None = None
    profile: str | None = None
    role: str = "sheets"
    encoding: str | None = None
    delimiter: str | None = None
    package_version: str = __version__

    @classmethod
    def of_file(cls, path: Path, **kw: Any) -> Provenance:
        path = Path(path)
        return cls(path=path.name, sha256=sha256_file(path), bytes=path.stat().st_size, **kw)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


# --------------------------------------------------------------------------------------------
# The canonical tally-sheet table
# --------------------------------------------------------------------------------------------


class SheetTable:
    """Tally sheets in canonical form: one row per polling table (see ``docs/schema.md``).

    Invariants, checked on construction:

    * the key columns ``center_id`` and ``table_id`` are strings and jointly unique;
    * ``valid`` and every ``votes_<KEY>`` column are non-negative int64 without missing values;
    * ``registered``, ``voters``, ``issued``, ``null`` and ``blank``, when present, are
      non-negative nullable integers (``Int64``): a missing value means "not stated on the
      sheet";
    * ``source`` and ``line`` identify where each row came from.

    Ingestion (:func:`audit.ingest.read_sheets`) and simulation (:mod:`audit.simulate`) both
    produce this type, so every check runs on both.
    """

    def __init__(self, data: pd.DataFrame, *, candidates: Sequence[str],
                 levels: Sequence[str] = (), election: Election | None = None,
                 provenance: Iterable[Provenance] = (), name: str = "",
                 unique_keys_checked: bool = False) -> None:
        self._data = data
        self.candidates: tuple[str, ...] = tuple(candidates)
        self.levels: tuple[str, ...] = tuple(levels)
        self.election = election
        self.provenance: tuple[Provenance, ...] = tuple(provenance)
        self.name = name
        self._check_invariants(check_keys=not unique_keys_checked)
        self._memo: dict[Hashable, Any] = {}

    # -- invariants --------------------------------------------------------------------------
    def _check_invariants(self, *, check_keys: bool = True) -> None:
        df = self._data
        missing = [c for c in (*KEY_COLUMNS, "valid", "source", "line") if c not in df]
        missing += [vote_column(k) for k in self.candidates if vote_column(k) not in df]
        if missing:
            raise ValueError(f"SheetTable is missing canonical columns: {missing}")
        if not self.candidates:
            raise ValueError("SheetTable needs at least one candidate")
        for col in ("valid", *(vote_column(k) for k in self.candidates)):
            s = df[col]
            if s.dtype != np.int64:
                raise ValueError(f"column {col} must be int64, got {s.dtype}")
            if len(s) and int(s.min()) < 0:
                raise ValueError(f"column {col} has negative counts")
        for col in OPTIONAL_COUNTS:
            if col in df:
                s = df[col]
                if str(s.dtype) != "Int64":
                    raise ValueError(f"column {col} must be nullable Int64, got {s.dtype}")
                low = s.min(skipna=True) if len(s) else pd.NA
                if low is not pd.NA and low < 0:
                    raise ValueError(f"column {col} has negative counts")
        if check_keys and df.duplicated(list(KEY_COLUMNS)).any():
            raise ValueError("SheetTable keys (center_id, table_id) are not unique")

    # -- access -------------------------------------------------------------------------------
    @property
    def data(self) -> pd.DataFrame:
        """The canonical DataFrame (treat as read-only)."""
        return self._data

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return (f"SheetTable({self.name or 'unnamed'}: {len(self)} sheets, "
                f"candidates={list(self.candidates)}, levels={list(self.levels)})")

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed once per table and ``key`` (the table is read-only): a
        derived array that several checks need, such as integer codes of a text column."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def has(self, column: str) -> bool:
        """True when ``column`` exists and is stated on at least one sheet."""
        return column in self._data and bool(self._data[column].notna().any())

    @property
    def votes(self) -> np.ndarray:
        """Votes as an (n_sheets, n_candidates) int64 array, columns in candidate order."""
        return self._data[[vote_column(k) for k in self.candidates]].to_numpy(np.int64)

    def counts(self, column: str) -> np.ndarray:
        """A count column as float64 (missing values as NaN), for vectorised arithmetic."""
        return self._data[column].to_numpy(dtype=np.float64, na_value=np.nan)

    def ballots(self) -> np.ndarray:
        """Ballots in the box: ``voters`` where stated, else valid + null + blank."""
        total = self.counts("valid")
        for col in ("null", "blank"):
            if col in self._data:
                total = total + np.nan_to_num(self.counts(col))
        if "voters" in self._data:
            stated = self.counts("voters")
            total = np.where(np.isnan(stated), total, stated)
        return total

    def turnout(self) -> np.ndarray:
        """Ballots / registered per sheet; NaN where registered voters are unknown or zero."""
        if "registered" not in self._data:
            return np.full(len(self), np.nan)
        reg = self.counts("registered")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(reg > 0, self.ballots() / reg, np.nan)

    def share(self, key: str) -> np.ndarray:
        """Votes of candidate ``key`` / valid votes per sheet; NaN where valid is zero."""
        votes = self._data[vote_column(key)].to_numpy(np.float64)
        valid = self.counts("valid")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(valid > 0, votes / valid, np.nan)

    def totals(self) -> dict[str, int]:
        """Total votes per candidate key over all sheets."""
        return {k: int(self._data[vote_column(k)].to_numpy(np.int64).sum())  # no (n, k) copy
                for k in self.candidates}

    def total(self, column: str) -> int | None:
        """Sum of a count column over the sheets that state it (None if none does)."""
        if not self.has(column):
            return None
        return int(self._data[column].sum(skipna=True))

    def leader(self) -> str:
        """Key of the candidate with the most votes on these sheets."""
        totals = self.totals()
        return max(totals, key=lambda k: totals[k])

    def aggregate(self, level: str | None = None) -> pd.DataFrame:
        """Sum counts by region at ``level`` (or nationally when None).

        Returns one row per region with ``region_code``, ``region_name``, ``tables`` and the
        sums of every count column (sums of optional counts skip missing values; the column
        ``registered_tables`` says how many tables state their registered voters).
        """
        df = self._data
        counts = [c for c in COUNT_COLUMNS if c in df]
        votes = [vote_column(k) for k in self.candidates]
        keys, names = region_keys(df, level, self.levels)
        frame = pd.concat([keys.rename("region_code"), names.rename("region_name"),
                           df[counts + votes].astype("float64")], axis=1)
        stated = ["registered_tables"] if "registered" in df else []
        if stated:
            frame["registered_tables"] = df["registered"].notna().astype("float64")
        out = sum_by_region(frame, [*counts, *votes, *stated])
        if stated:
            out["registered_tables"] = out["registered_tables"].astype("int64")
        return out

    def subset(self, mask: np.ndarray | pd.Series, *, name: str | None = None) -> SheetTable:
        """The sheets selected by a boolean mask, as a new table with the same metadata (its
        keys are unique since these are)."""
        return SheetTable(self._data.loc[np.asarray(mask, dtype=bool)].reset_index(drop=True),
                          candidates=self.candidates, levels=self.levels,
                          election=self.election, provenance=self.provenance,
                          name=self.name if name is None else name, unique_keys_checked=True)


def candidate_label(key: str, *elections: Election | None) -> str:
    """The one rule for naming a candidate: the label from the first of ``elections`` that
    lists ``key`` (short name, else name), else the key itself."""
    for election in elections:
        if election is not None and key in election.candidate_keys:
            return election.label(key)
    return key


def sum_by_region(frame: pd.DataFrame, sums: Sequence[str], maxes: Sequence[str] = ()
                  ) -> pd.DataFrame:
    """Per-region totals of a per-table ``frame`` with columns ``region_code``,
    ``region_name`` and counts: one row per region code in :func:`natural_order`, with
    ``tables`` (rows), ``region_name``, the sums of ``sums`` (missing values skipped; a region
    where all are missing stays missing) and the largest of ``maxes``, as whole numbers.

    The one way tally sheets are summed by region (:meth:`SheetTable.aggregate`,
    :func:`audit.aggregate.aggregate_sheets`)."""
    grouped = frame.groupby("region_code", sort=False, dropna=False)
    out = grouped[list(sums)].sum(min_count=1)
    if maxes:
        out[list(maxes)] = grouped[list(maxes)].max()
    out.insert(0, "tables", grouped.size())
    out.insert(1, "region_name", grouped["region_name"].first())
    out = out.reset_index()
    for col in [*sums, *maxes]:
        out[col] = out[col].round().astype("Int64")
    return out.iloc[natural_order(out["region_code"])].reset_index(drop=True)


def natural_order(codes: Iterable[Any]) -> np.ndarray:
    """Positions that sort codes naturally: whole numbers first, by value ("2" before "10"),
    then the rest as text; ties (equal values) by text, so the order never depends on the
    order given. The one order of region codes, strata and labels in tables and figures."""
    text = pd.Series(list(codes) if not isinstance(codes, pd.Series) else codes.to_numpy(),
                     dtype=object).astype(str)
    whole = text.str.fullmatch(r"\d+").to_numpy(dtype=bool)
    value = pd.to_numeric(text.where(whole), errors="coerce").fillna(0).to_numpy(float)
    frame = pd.DataFrame({"text": ~whole, "value": value, "label": text})  # "02" before "2"
    return frame.sort_values(["text", "value", "label"], kind="stable").index.to_numpy()


def natural_sorted(codes: Iterable[str]) -> list[str]:
    """``codes`` in :func:`natural_order`."""
    items = list(codes)
    return [items[i] for i in natural_order(items)]
