"""Per-region aggregates of tally sheets, bundled so the dispute tracker needs no download.

:func:`aggregate_sheets` sums a :class:`~audit.model.SheetTable` by region;
:func:`write_aggregates` writes the result as CSV with a header of ``# key: value`` comment
lines recording the source files and their SHA-256 (so anyone can check that the bundled
numbers come from the published files, and regenerate them with
``election-audit aggregate FILE --by state -o OUT``); :func:`read_aggregates` reads it back.

Columns (one row per region; counts are whole numbers):

==============================  ===============================================================
``region_code, region_name``    the region at the aggregation level
``tables``                      tally sheets (tables) in the region
``registered_tables``           tables whose registered voters are known
``registered``                  registered voters summed over those tables
``max_registered``              the largest registered voters of one table (empty if unknown)
``ballots_without_registered``  ballots (voters, else valid + null + blank) of the tables whose
                                registered voters are unknown
``ballots``                     ballots of all tables (voters where stated, else valid + null
                                + blank)
``valid``, ``null``, ``blank``  valid, null and blank votes (``null``/``blank`` when stated)
``votes_<KEY>``                 votes of each candidate
``max_votes_<KEY>``             the most votes one table gave the candidate (bounds the sum of
                                the *m* largest tables, used when a claim may leave tables out)
==============================  ===============================================================

:class:`SheetSummary` is what the dispute checks consume: the same totals and per-unit
distribution, whether they come from table-level sheets or from these aggregates.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InputFileError
from audit.inert import restore, write_csv
from audit.model import (
    KEY_COLUMNS,
    SheetTable,
    region_code_column,
    region_keys,
    sum_by_region,
    vote_column,
)

SCHEMA = "election-audit/aggregates"
SCHEMA_VERSION = 1


# --------------------------------------------------------------------------------------------
# Generating
# --------------------------------------------------------------------------------------------


def aggregate_sheets(sheets: SheetTable, level: str | None = None) -> pd.DataFrame:
    """Sum tally sheets by region at ``level`` (``None``: one national row).

    Returns the columns of the module docstring, regions in natural code order. Vectorised:
    one groupby (:func:`audit.model.sum_by_region`, as :meth:`SheetTable.aggregate`), no
    loop over tables.
    """
    df = sheets.data
    if level is not None and level not in sheets.levels:
        raise InputFileError(f"the sheets have no region level {level!r}; levels: "
                             f"{', '.join(sheets.levels) or 'none'}")
    codes, names = (s.astype("string").fillna("") for s in region_keys(df, level, sheets.levels))
    n = len(df)
    registered = sheets.counts("registered") if "registered" in df else np.full(n, np.nan)
    known = ~np.isnan(registered)
    ballots = sheets.ballots()
    work = pd.DataFrame({
        "region_code": codes.to_numpy(dtype=object), "region_name": names.to_numpy(dtype=object),
        "registered_tables": known.astype(np.int64),
        "registered": np.where(known, registered, 0.0),
        "max_registered": registered,
        "ballots_without_registered": np.where(known, 0.0, ballots),
        "ballots": ballots, "valid": sheets.counts("valid"),
    })
    optional = [c for c in ("null", "blank") if sheets.has(c)]
    for col in optional:
        work[col] = sheets.counts(col)
    votes = sheets.votes
    for j, key in enumerate(sheets.candidates):
        work[vote_column(key)] = votes[:, j]
        work[f"max_{vote_column(key)}"] = votes[:, j]
    sums = ["registered_tables", "registered", "ballots_without_registered", "ballots",
            "valid", *optional, *(vote_column(k) for k in sheets.candidates)]
    maxes = ["max_registered", *(f"max_{vote_column(k)}" for k in sheets.candidates)]
    out = sum_by_region(work, sums, maxes)
    out["tables"] = out["tables"].astype("Int64")
    return out[["region_code", "region_name", "tables", "registered_tables", "registered",
                "max_registered", "ballots_without_registered", "ballots", "valid", *optional,
                *(vote_column(k) for k in sheets.candidates),
                *(f"max_{vote_column(k)}" for k in sheets.candidates)]]


def write_aggregates(frame: pd.DataFrame, path: str | Path, meta: Mapping[str, Any]) -> Path:
    """Write aggregates as CSV preceded by ``# key: value`` lines (``meta``, e.g. hashes)."""
    path = Path(path)
    header = [f"# schema: {SCHEMA} {SCHEMA_VERSION}"]
    for key, value in meta.items():
        text = " ".join(str(value).split())
        header.append(f"# {key}: {text}")
    buffer = io.StringIO()
    write_csv(frame, buffer)  # inert in spreadsheets (audit.inert)
    path.write_text("\n".join(header) + "\n" + buffer.getvalue(), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetAggregates:
    """Per-region aggregates read from a bundled or generated CSV."""

    frame: pd.DataFrame
    candidates: tuple[str, ...]
    level: str
    label: str
    meta: Mapping[str, str] = field(default_factory=dict)
    path: str = ""

    @property
    def tables(self) -> int:
        return int(self.frame["tables"].sum())

    def totals(self) -> dict[str, int]:
        return {k: int(self.frame[vote_column(k)].sum()) for k in self.candidates}

    def provenance(self) -> dict[str, Any]:
        return {"path": self.path, "kind": "aggregates", "level": self.level,
                "label": self.label, **dict(self.meta)}


def read_aggregates(path: str | Path, *, label: str | None = None) -> SheetAggregates:
    """Read an aggregates CSV written by :func:`write_aggregates` (validating its columns)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"aggregates file not found: {path}") from None
    meta: dict[str, str] = {}
    lines = text.splitlines()
    n_header = 0
    for line in lines:
        if not line.startswith("#"):
            break
        n_header += 1
        key, sep, value = line[1:].partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    if not meta.get("schema", "").startswith(SCHEMA):
        raise InputFileError(f"{path.name}: not an election-audit aggregates file (no "
                             f"'# schema: {SCHEMA}' header line)")
    frame = pd.read_csv(io.StringIO("\n".join(lines[n_header:])),
                        dtype={"region_code": "string", "region_name": "string"},
                        keep_default_na=False, na_values=[""])
    for col in ("region_code", "region_name"):
        if col in frame:
            frame[col] = restore(frame[col])
    candidates = tuple(c[len("votes_"):] for c in frame.columns if c.startswith("votes_"))
    needed = ["region_code", "tables", "registered_tables", "registered", "ballots", "valid",
              *(vote_column(k) for k in candidates)]
    missing = [c for c in needed if c not in frame]
    if missing or not candidates:
        raise InputFileError(f"{path.name}: aggregates lack columns {missing or ['votes_*']}")
    for col in frame.columns[2:]:
        frame[col] = pd.to_numeric(frame[col], errors="raise").astype("Int64")
    return SheetAggregates(frame=frame, candidates=candidates, level=meta.get("level", ""),
                           label=label or meta.get("source_id") or path.stem, meta=meta,
                           path=path.name)


# --------------------------------------------------------------------------------------------
# What the dispute checks consume
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetSummary:
    """Totals and unit-level distribution of the sheets held, from tables or regions.

    ``units`` has one row per table (``unit_kind == "table"``) or per region (``"region"``)
    with columns ``unit``, ``tables``, ``registered`` (NaN where unknown), ``ballots``,
    ``valid`` and ``votes_<KEY>``.
    """

    label: str
    unit_kind: str
    candidates: tuple[str, ...]
    tables: int
    totals: Mapping[str, int]
    valid: int
    null: int | None
    ballots: int
    registered_known: int
    registered_tables: int
    max_registered: int | None
    ballots_without_registered: int
    units: pd.DataFrame
    top_bounds: Mapping[str, np.ndarray]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    exact_top: bool = True
    regions: pd.DataFrame = field(default_factory=pd.DataFrame)

    def top_sum(self, key: str, m: int) -> int:
        """Sum of the ``m`` largest per-table votes of ``key`` (an upper bound from regions)."""
        cumulative = self.top_bounds[key]
        if m <= 0 or cumulative.size == 0:
            return 0
        return int(cumulative[min(m, cumulative.size) - 1])

    def registered_interval(self) -> tuple[int, int, int]:
        """Registered voters of the tables held: (point, low, high).

        Exact when every table states them; otherwise the tables without the figure add their
        ballots (low: registered >= ballots), the mean of the known tables (point) or the
        largest known table (high) each.
        """
        missing = self.tables - self.registered_tables
        if missing == 0:
            return (self.registered_known,) * 3
        if self.registered_tables == 0:
            return (-1, self.ballots, -1)
        mean = self.registered_known / self.registered_tables
        low = self.registered_known + self.ballots_without_registered
        high = self.registered_known + missing * (self.max_registered or 0)
        point = max(low, round(self.registered_known + missing * mean))
        return point, low, max(high, point)


def _cumulative_top(values: np.ndarray) -> np.ndarray:
    return np.cumsum(np.sort(values)[::-1]).astype(np.int64)


def summarise(sheets: SheetTable | SheetAggregates, *, scope: str = "national",
              scope_level: str = "", label: str | None = None) -> SheetSummary | None:
    """The :class:`SheetSummary` of table-level sheets or aggregates, restricted to a region.

    Returns None when the sheets cannot speak to ``scope`` (no such region, or aggregates at
    another level).
    """
    if isinstance(sheets, SheetTable):
        return _summarise_table(sheets, scope, scope_level, label)
    return _summarise_aggregates(sheets, scope, scope_level, label)


def _summarise_table(sheets: SheetTable, scope: str, scope_level: str,
                     label: str | None) -> SheetSummary | None:
    if scope != "national":
        level = scope_level or (sheets.levels[0] if sheets.levels else "")
        if level not in sheets.levels:
            return None
        mask = (sheets.data[region_code_column(level)].astype("string") == scope).to_numpy(
            dtype=bool, na_value=False)
        if not mask.any():
            return None
        sheets = sheets.subset(mask)
    df = sheets.data
    registered = sheets.counts("registered") if "registered" in df else \
        np.full(len(df), np.nan)
    known = ~np.isnan(registered)
    ballots = sheets.ballots()
    votes = sheets.votes
    units = pd.DataFrame({"unit": (df["center_id"].astype(str) + "/" +
                                   df["table_id"].astype(str)).to_numpy(),
                          "tables": 1, "registered": registered, "ballots": ballots,
                          "valid": sheets.counts("valid")})
    for j, key in enumerate(sheets.candidates):
        units[vote_column(key)] = votes[:, j].astype(np.float64)
    prov = {"kind": "tables", "label": label or sheets.name,
            "files": [p.to_dict() for p in sheets.provenance]}
    return SheetSummary(
        label=label or sheets.name or "sheets", unit_kind="table",
        candidates=sheets.candidates, tables=len(df), totals=sheets.totals(),
        valid=int(df["valid"].sum()), null=sheets.total("null"),
        ballots=int(np.round(ballots.sum())), registered_known=int(registered[known].sum()),
        registered_tables=int(known.sum()),
        max_registered=int(registered[known].max()) if known.any() else None,
        ballots_without_registered=int(np.round(ballots[~known].sum())),
        units=units,
        top_bounds={k: _cumulative_top(votes[:, j]) for j, k in enumerate(sheets.candidates)},
        provenance=prov, exact_top=True,
        regions=aggregate_sheets(sheets, sheets.levels[0]) if sheets.levels else pd.DataFrame())


def _summarise_aggregates(aggs: SheetAggregates, scope: str, scope_level: str,
                          label: str | None) -> SheetSummary | None:
    frame = aggs.frame
    if scope != "national":
        if scope_level and aggs.level and scope_level != aggs.level:
            return None
        frame = frame[frame["region_code"] == scope]
        if frame.empty:
            return None
    f = frame.astype({c: "float64" for c in frame.columns[2:]})
    units = pd.DataFrame({"unit": frame["region_code"].astype(str).to_numpy(),
                          "tables": f["tables"].to_numpy(),
                          "registered": np.where(f["registered_tables"] == f["tables"],
                                                 f["registered"], np.nan),
                          "ballots": f["ballots"].to_numpy(), "valid": f["valid"].to_numpy()})
    top: dict[str, np.ndarray] = {}
    for key in aggs.candidates:
        units[vote_column(key)] = f[vote_column(key)].to_numpy()
        col = f"max_{vote_column(key)}"
        if col in f:  # each region contributes at most `tables` tables of at most its max
            repeats = f["tables"].fillna(0).to_numpy(dtype=np.int64)
            per_table = np.repeat(f[col].fillna(0).to_numpy(dtype=np.int64), repeats)
            top[key] = _cumulative_top(per_table)
        else:
            top[key] = np.array([], dtype=np.int64)
    null = int(f["null"].sum()) if "null" in f and f["null"].notna().any() else None
    max_reg = f["max_registered"].max() if "max_registered" in f else np.nan
    return SheetSummary(
        label=label or aggs.label, unit_kind="region", candidates=aggs.candidates,
        tables=int(f["tables"].sum()), totals={k: int(f[vote_column(k)].sum())
                                                for k in aggs.candidates},
        valid=int(f["valid"].sum()), null=null, ballots=int(f["ballots"].sum()),
        registered_known=int(f["registered"].fillna(0).sum()),
        registered_tables=int(f["registered_tables"].sum()),
        max_registered=None if pd.isna(max_reg) else int(max_reg),
        ballots_without_registered=int(f["ballots_without_registered"].fillna(0).sum())
        if "ballots_without_registered" in f else 0,
        units=units, top_bounds=top, provenance=aggs.provenance(), exact_top=False,
        regions=frame.reset_index(drop=True))


def aggregates_meta(sheets: SheetTable, *, level: str | None, source_id: str = "",
                    command: str = "", extra: Mapping[str, Any] | None = None
                    ) -> dict[str, str]:
    """The header lines of an aggregates file: level, election, sources and their SHA-256."""
    meta: dict[str, str] = {}
    if source_id:
        meta["source_id"] = source_id
    meta["level"] = level or "national"
    if sheets.election is not None:
        meta["election"] = sheets.election.id
    for i, prov in enumerate(sheets.provenance):
        name = "source" if i == 0 else f"source_{i + 1}"
        meta[name] = f"{prov.path} sha256={prov.sha256} bytes={prov.bytes}" + (
            f" profile={prov.profile}" if prov.profile else "")
    for key, value in (extra or {}).items():
        meta[key] = str(value)
    meta["tables"] = str(len(sheets))
    if command:
        meta["command"] = command
    return meta


def sheets_label(paths: Sequence[Path]) -> str:
    return "+".join(p.stem for p in paths)


def aggregate_files(paths: Sequence[str | Path], *, level: str | None = "state",
                    profile: str | Path | None = None, join: str | Path | None = None,
                    join_on: Sequence[str] = KEY_COLUMNS, source_id: str = "",
                    top: bool = False) -> tuple[pd.DataFrame, dict[str, str]]:
    """Ingest tally-sheet files (with an optional join on ``join_on``) and aggregate them by
    region at ``level`` (None: national; with ``top``, the sheets' top level).

    This is the generator of the bundled ``aggregates_<source>.csv`` files: the same files
    and options always give the same frame and header (no timestamps). Rows the ingest
    quarantines are left out and counted in the header (``quarantined``).

    Returns
    -------
    (frame, meta)
        The aggregates (:func:`aggregate_sheets`) and the header lines for
        :func:`write_aggregates`.
    """
    from audit.ingest import read_sheets

    files = [Path(p) for p in paths]
    result = read_sheets(files, profile=profile, join=join, join_on=join_on)
    if top:
        level = result.sheets.levels[0] if result.sheets.levels else None
    frame = aggregate_sheets(result.sheets, level)
    extra: dict[str, Any] = {}
    if result.join is not None:
        j = result.join
        extra["join"] = (f"{j.file.path} sha256={j.file.sha256} bytes={j.file.bytes} "
                         f"columns={','.join(j.columns)} matched={j.matched} "
                         f"unmatched={len(j.unmatched_main)}")
    extra["rows_read"] = result.rows_read
    extra["quarantined"] = result.quarantined
    extra["duplicates_collapsed"] = result.duplicates_collapsed
    parts = ["election-audit aggregate", *(f.name for f in files)]
    if profile is not None:
        parts += ["--mapping", Path(profile).name if Path(str(profile)).suffix else
                  str(profile)]
    if join is not None:
        parts += ["--join", Path(join).name]
        if tuple(join_on) != KEY_COLUMNS:
            parts += ["--on", ",".join(join_on)]
    parts += ["--by", level or "national"]
    if source_id:
        parts += ["--source-id", source_id]
    meta = aggregates_meta(result.sheets, level=level, source_id=source_id,
                           command=" ".join(parts), extra=extra)
    return frame, meta
