"""Consolidation of the night's readings: one sheet per table, conflicts, coverage over time.

Observer data centres key every tally sheet twice, by different operators, and compare the
two transcriptions; a sheet whose transcriptions disagree goes to a third reading of the
paper (double-entry verification, e.g. NDI's quick-count manual, Estok, Nevitte & Cowan
2002, ch. 6, "data entry and verification"). The rules here, applied to every reading a
database holds:

* two readings of a table *agree* when every count (registered, voters, valid, null, blank
  and each candidate's votes) is equal, a count missing on both counting as equal;
* a table is ``single`` (one reading), ``agreed`` (several, all equal), ``conflict`` (two
  readings differ and no third reading was recorded) or ``third_reading`` (a third reading
  was recorded: the latest one is the table's value, whatever the earlier ones said);
* the consolidated sheets are the tables that are not in conflict, each with its first
  reading (or its latest third reading); a table in conflict is left out until its third
  reading, and listed by :meth:`TrackState.conflicts`;
* a table is *held* from the batch of its first reading on; coverage after batch *b* counts
  the tables held and the conflicts open then.

Everything is computed from the database contents alone, so the same contents give the same
sheets, byte for byte, whoever reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit._json import jsonable
from audit._version import __version__
from audit.model import (
    OPTIONAL_COUNTS,
    Election,
    Provenance,
    SheetTable,
    natural_sorted,
    region_code_column,
    region_keys,
    region_name_column,
    vote_column,
)

STATUSES = ("single", "agreed", "conflict", "third_reading")
SCHEMA = "election-audit/track-status"
SCHEMA_VERSION = 1
_SEP = "\x1f"


@dataclass(frozen=True)
class TrackState:
    """Everything known after the batches received so far.

    Attributes
    ----------
    batches : DataFrame
        One row per batch in arrival order: the columns of ``track_batches`` and, computed
        here, ``new_tables`` (tables first read in it), ``agreeing`` (its readings equal to an
        earlier reading of the same table), ``conflicts_opened``, ``resolved`` (conflicts its
        third readings settled), ``held`` and ``open_conflicts`` (after it).
    tables : DataFrame
        One row per table ever read, sorted by key: ``center_id``, ``table_id``, the region
        columns of its first reading, ``readings``, ``versions`` (distinct count vectors among
        its data-entry readings), ``status`` (see :data:`STATUSES`), ``first_batch``,
        ``conflict_batch`` and ``third_batch`` (first batch with a differing reading / with a
        third reading; <NA> if none).
    readings : DataFrame
        Every reading with its batch ``kind`` and ``version`` (equal versions = equal counts).
    quarantine : DataFrame
        Every quarantined row of every batch.
    sheets : SheetTable
        The consolidated sheets: every table not in conflict, once.
    """

    election: Election
    candidates: tuple[str, ...]
    levels: tuple[str, ...]
    batches: pd.DataFrame
    tables: pd.DataFrame
    readings: pd.DataFrame = field(repr=False)
    quarantine: pd.DataFrame = field(repr=False)
    sheets: SheetTable = field(repr=False)

    @property
    def count_columns(self) -> list[str]:
        return ["registered", "voters", "valid", "null", "blank",
                *(vote_column(k) for k in self.candidates)]

    def totals(self) -> dict[str, int]:
        """Tables by status, tables held and readings."""
        counts = self.tables["status"].value_counts()
        out = {s: int(counts.get(s, 0)) for s in STATUSES}
        out.update(held=len(self.tables), settled=len(self.sheets),
                   readings=len(self.readings), batches=len(self.batches))
        return out

    def quarantine_reasons(self) -> dict[str, int]:
        """Rule -> rows quarantined for it over every batch."""
        if self.quarantine.empty:
            return {}
        per_rule = self.quarantine.drop_duplicates(["batch_id", "line", "rule"])
        return {str(k): int(v) for k, v in sorted(per_rule["rule"].value_counts().items())}

    # -- conflicts ------------------------------------------------------------------------------
    def conflicts(self, *, include_resolved: bool = False) -> pd.DataFrame:
        """The readings of every table in conflict, for the third-reading desk.

        One row per reading (tables sorted by key, readings by arrival): ``center_id``,
        ``table_id``, region columns, ``status``, ``batch_id``, ``kind``, ``file``,
        ``sender``, ``line``, every count and ``differs`` (the counts on which the table's
        data-entry readings disagree, comma-separated). With ``include_resolved`` also the
        tables whose conflict a third reading settled.
        """
        wanted = ("conflict", "third_reading") if include_resolved else ("conflict",)
        chosen = self.tables[self.tables["status"].isin(wanted)
                             & self.tables["conflict_batch"].notna()]
        keys = _key(chosen)
        rows = self.readings[_key(self.readings).isin(keys)].copy()
        batches = self.batches.set_index("id")
        rows["file"] = rows["batch_id"].map(batches["file"])
        rows["sender"] = rows["batch_id"].map(batches["sender"])
        status = pd.Series(chosen["status"].to_numpy(), index=keys.to_numpy())
        rows["status"] = _key(rows).map(status).to_numpy()
        entry = rows[rows["kind"] == "entry"]
        differs = {}
        for col in self.count_columns:  # a loop over columns, never over tables
            spread = entry.groupby(_key(entry).to_numpy())[col].nunique(dropna=False)
            differs[col] = spread > 1
        flags = pd.DataFrame(differs)
        text = pd.Series("", index=flags.index, dtype=object)
        for col in flags.columns:
            text = text + np.where(flags[col].to_numpy(), col + ",", "")
        rows["differs"] = _key(rows).map(text.str.rstrip(",")).fillna("").to_numpy()
        regions = [c for lv in self.levels
                   for c in (region_code_column(lv), region_name_column(lv))]
        cols = ["center_id", "table_id", *regions, "status", "batch_id", "kind", "file",
                "sender", "line", *self.count_columns, "differs"]
        order = _sort_keys(rows)
        return rows.iloc[order][cols].reset_index(drop=True)

    # -- coverage ------------------------------------------------------------------------------
    def coverage(self, level: str | None = None,
                 expected: Mapping[str, int] | None = None) -> pd.DataFrame:
        """Tables held and conflicts open by region after every batch.

        Parameters
        ----------
        level : str, optional
            Region level (default: national only).
        expected : mapping, optional
            Region code (``"national"`` nationally) -> tables in the election, for the
            ``coverage`` share; nationally the election's ``tables`` is the default.

        Returns
        -------
        DataFrame
            One row per batch and region (batch order, regions sorted): ``batch_id``,
            ``region_code``, ``region_name``, ``held``, ``open_conflicts``, ``settled``
            (held − open), ``expected`` (<NA> when unknown) and ``coverage`` (held /
            expected).
        """
        ids = self.batches["id"].astype(np.int64).to_numpy()
        tables = self.tables
        code, name = region_keys(tables, level, self.levels)
        if level is not None:
            code, name = code.astype("string").fillna(""), name.astype("string").fillna("")
        regions = natural_sorted(set(code))
        if level is not None:
            known = [r.code for r in self.election.regions_at(level)]
            regions = natural_sorted(set(regions) | set(known))
        names = name.groupby(code.to_numpy(), sort=False).first().to_dict()
        names.update({r.code: r.name for r in self.election.regions_at(level or "")})

        def cumulative(mask: np.ndarray, when: pd.Series) -> pd.DataFrame:
            table = pd.crosstab(code[mask], when[mask].astype(np.int64)) if mask.any() \
                else pd.DataFrame()
            return table.reindex(index=regions, columns=ids, fill_value=0).cumsum(axis=1)

        first = tables["first_batch"]
        conflict = tables["conflict_batch"]
        closed = pd.concat([conflict, tables["third_batch"]], axis=1).max(axis=1)
        held = cumulative(np.ones(len(tables), dtype=bool), first)
        opened = cumulative(conflict.notna().to_numpy(), conflict)
        settled = cumulative((conflict.notna() & tables["third_batch"].notna()).to_numpy(),
                             closed)
        open_now = opened - settled
        if expected is None and self.election.tables and level is None:
            expected = {"national": int(self.election.tables)}
        out = pd.DataFrame({
            "batch_id": np.repeat(ids, len(regions)),
            "region_code": np.tile(np.array(regions, dtype=object), len(ids)),
            "held": held.to_numpy().T.ravel(), "open_conflicts": open_now.to_numpy().T.ravel()})
        out["region_name"] = out["region_code"].map(names).fillna("")
        out["settled"] = out["held"] - out["open_conflicts"]
        exp = out["region_code"].map(dict(expected or {}))
        out["expected"] = exp.astype("Int64")
        with np.errstate(divide="ignore", invalid="ignore"):
            out["coverage"] = (out["held"] / out["expected"].astype("Float64")).astype(float)
        return out[["batch_id", "region_code", "region_name", "held", "open_conflicts",
                    "settled", "expected", "coverage"]]

    def to_dict(self, level: str | None = None,
                expected: Mapping[str, int] | None = None) -> dict[str, Any]:
        """The JSON of ``track status --json`` without the dispute part (see docs/json.md)."""
        coverage = self.coverage(level, expected)
        batches = self.batches.drop(columns=["package_version"], errors="ignore")
        return {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "package_version": __version__,
            "election": self.election.id, "tables": self.totals(),
            "quarantine_reasons": self.quarantine_reasons(),
            "batches": jsonable(batches.to_dict("records")),
            "coverage": {"level": level or "national",
                         "rows": jsonable(coverage.to_dict("records"))},
            "conflicts": jsonable(self.conflicts().to_dict("records")),
            "provenance": [p.to_dict() for p in self.sheets.provenance],
        }


def _key(frame: pd.DataFrame) -> pd.Series:
    return frame["center_id"].astype("string") + _SEP + frame["table_id"].astype("string")


def _sort_keys(frame: pd.DataFrame) -> np.ndarray:
    """Row order by (center_id, table_id), numbers by value; stable for equal keys."""
    parts = []
    for col in ("table_id", "center_id"):  # lexsort: last key is primary
        values = frame[col].astype("string").fillna("")
        numeric = values.str.fullmatch(r"\d{1,18}").fillna(False).to_numpy(dtype=bool)
        number = np.where(numeric, pd.to_numeric(values.where(numeric, "0")), 0)
        parts += [values.to_numpy(dtype=object), number, ~numeric]
    return np.lexsort(parts)


def consolidate(batches: pd.DataFrame, readings: pd.DataFrame,
                quarantine: pd.DataFrame | None = None, *, election: Election,
                candidates: Sequence[str], levels: Sequence[str]) -> TrackState:
    """Apply the rules of the module docstring to the rows of a tracking database.

    Parameters
    ----------
    batches, readings, quarantine : DataFrame
        The tables ``track_batches``, ``track_readings`` and ``track_quarantine``
        (:meth:`audit.track.store.TrackStore.read`).
    election : Election
        The election tracked (names, tables, candidates).
    candidates, levels : sequence of str
        The candidate keys and region levels the database was started with.
    """
    candidates, levels = tuple(candidates), tuple(levels)
    counts = ["registered", "voters", "valid", "null", "blank",
              *(vote_column(k) for k in candidates)]
    regions = [c for lv in levels for c in (region_code_column(lv), region_name_column(lv))]
    batches = batches.sort_values("id", kind="stable").reset_index(drop=True)
    kinds = batches.set_index("id")["kind"]
    r = readings[readings["batch_id"].isin(kinds.index)].copy()  # a consistent snapshot
    r = r.sort_values(["batch_id", "id"], kind="stable").reset_index(drop=True)
    r["kind"] = r["batch_id"].map(kinds).astype(object)
    key = _key(r)
    r["version"] = (r.groupby(counts, dropna=False, sort=False).ngroup().astype(np.int64)
                    if len(r) else pd.Series(dtype=np.int64))
    r["_key"] = key.to_numpy(dtype=object)

    entry = r[r["kind"] == "entry"]
    third = r[r["kind"] == "third"]
    g_all = r.groupby("_key", sort=False)
    first_rows = g_all.head(1).set_index("_key")
    g_entry = entry.groupby("_key", sort=False)
    first_version = g_entry["version"].first()
    later = entry[entry["version"].to_numpy() != entry["_key"].map(first_version).to_numpy()]
    tables = first_rows[["center_id", "table_id", *regions]].copy()
    tables["readings"] = g_all.size()
    tables["versions"] = g_entry["version"].nunique().reindex(tables.index).fillna(0) \
        .astype(np.int64)
    tables["first_batch"] = first_rows["batch_id"].astype(np.int64)
    tables["conflict_batch"] = later.groupby("_key")["batch_id"].min() \
        .reindex(tables.index).astype("Int64")
    tables["third_batch"] = third.groupby("_key")["batch_id"].min() \
        .reindex(tables.index).astype("Int64")
    status = np.where(tables["third_batch"].notna(), "third_reading",
                      np.where(tables["versions"] > 1, "conflict",
                               np.where(tables["readings"] > 1, "agreed", "single")))
    tables["status"] = status
    tables = tables.iloc[_sort_keys(tables)].reset_index(drop=True)

    # the kept reading: the latest third reading, else the first data-entry reading
    kept = pd.concat([third.groupby("_key", sort=False).tail(1),
                      g_entry.head(1)]).drop_duplicates("_key", keep="first")
    kept = kept[kept["_key"].map(tables.set_index(_key(tables).to_numpy())["status"])
                != "conflict"]
    sheets = _sheet_table(kept, batches, election=election, candidates=candidates,
                          levels=levels, counts=counts)

    batches = _batch_stats(batches, r, tables, later)
    quarantine = quarantine if quarantine is not None else pd.DataFrame(
        columns=["batch_id", "line", "rule", "column", "value", "message"])
    return TrackState(election=election, candidates=candidates, levels=levels,
                      batches=batches, tables=tables,
                      readings=r.drop(columns="_key"), quarantine=quarantine, sheets=sheets)


def _batch_stats(batches: pd.DataFrame, r: pd.DataFrame, tables: pd.DataFrame,
                 later: pd.DataFrame) -> pd.DataFrame:
    """Per batch: new tables, agreeing readings, conflicts opened and resolved, and the
    tables held and conflicts open after it."""
    ids = batches["id"].astype(np.int64).to_numpy()
    first = tables["first_batch"].to_numpy(np.int64)
    conflict = tables["conflict_batch"]
    has_conflict = conflict.notna().to_numpy()
    cb = conflict[has_conflict].to_numpy(np.int64)
    closed = pd.concat([conflict, tables["third_batch"]], axis=1).max(axis=1)
    resolved_mask = has_conflict & tables["third_batch"].notna().to_numpy()
    ca = closed[resolved_mask].to_numpy(np.int64)
    entry = r[r["kind"] == "entry"]
    first_entry = entry.groupby("_key", sort=False)["batch_id"].transform("min")
    agreeing = entry[(entry["batch_id"] > first_entry).to_numpy()
                     & ~entry.index.isin(later.index)]

    def per_batch(values: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(ids, values), minlength=len(ids))[:len(ids)] \
            if len(values) else np.zeros(len(ids), dtype=np.int64)

    out = batches.copy()
    out["new_tables"] = per_batch(first)
    out["agreeing"] = per_batch(agreeing["batch_id"].to_numpy(np.int64))
    out["conflicts_opened"] = per_batch(cb)
    out["resolved"] = per_batch(ca)
    out["held"] = np.cumsum(out["new_tables"].to_numpy())
    out["open_conflicts"] = np.cumsum(out["conflicts_opened"].to_numpy()
                                      - out["resolved"].to_numpy())
    return out


def _sheet_table(kept: pd.DataFrame, batches: pd.DataFrame, *, election: Election,
                 candidates: tuple[str, ...], levels: tuple[str, ...],
                 counts: list[str]) -> SheetTable:
    """The kept readings as a canonical table (sorted by key; all-missing columns dropped)."""
    kept = kept.iloc[_sort_keys(kept)]
    files = batches.set_index("id")["file"]
    data: dict[str, Any] = {}
    present_levels = []
    for level in levels:
        code, name = region_code_column(level), region_name_column(level)
        if kept[code].notna().any():
            present_levels.append(level)
            data[code] = kept[code].astype("string").to_numpy()
            if kept[name].notna().any():
                data[name] = kept[name].astype("string").to_numpy()
    data["center_id"] = kept["center_id"].astype("string").to_numpy()
    data["table_id"] = kept["table_id"].astype("string").to_numpy()
    for col in counts:
        if col in OPTIONAL_COUNTS:
            if kept[col].notna().any():
                data[col] = kept[col].astype("Int64").to_numpy()
        else:
            data[col] = kept[col].astype(np.int64).to_numpy()
    data["source"] = kept["batch_id"].map(files).astype("string").to_numpy()
    data["line"] = kept["line"].astype(np.int64).to_numpy()
    frame = pd.DataFrame(data)
    for col in frame.columns:
        if col in OPTIONAL_COUNTS:
            frame[col] = frame[col].astype("Int64")
        elif frame[col].dtype == object:
            frame[col] = frame[col].astype("string")
    provenance = [Provenance(path=str(b["file"]), sha256=str(b["sha256"]),
                             bytes=int(b["bytes"]), rows_read=int(b["rows_read"]),
                             profile=str(b["mapping"]),
                             role="sheets" if b["kind"] == "entry" else "third-reading",
                             package_version=str(b["package_version"]))
                  for b in batches.to_dict("records")]
    return SheetTable(frame, candidates=candidates, levels=tuple(present_levels),
                      election=election, provenance=provenance, name="tracked")
