"""Cross-source comparison: two sources that report the same polling tables, table by table.

Disputed elections often leave two records of the same tally sheets: a preliminary and a final
count (Bolivia 2019: TREP against cómputo), an official protocol and what citizens photographed
(Belarus 2020: protocols against the Voice platform), a published spreadsheet and an independent
decoding of the same images (Venezuela 2024: the opposition's CSV against the QR codes printed
on the actas). Two functions compare such pairs:

* :func:`compare_sources` treats both as copies of one truth: it matches the tables on their
  keys, lists the tables only one source has, and reports, column by column and region by
  region, where the two copies differ and by how much.
* :func:`lower_bound_check` treats the second source as an independent **lower bound** of the
  first: photographed ballots for a candidate cannot outnumber the candidate's votes in the
  official count of that station if both are right. It lists the tables where the official
  count is below the bound and the votes involved.

Both are descriptive: they make no probabilistic claim and report no p-value. A difference says
that at least one of the two records is wrong for that table, not which one nor why (a
transcription slip, a failed decode, a late correction, a sheet photographed at the wrong
station, or a count that was altered). Matching on keys assumes that both sources code
centres and tables the same way (the column profiles are written so that they do); tables
that fail to match are listed, never dropped.

References
----------
By key of the bibliography, :mod:`audit.references`, where the full entries are:

- Lindeman & Stark (2012) [lindeman2012]: comparison audits: reported counts checked table by table
  against an independent record
- Idrobo et al. (2022) [idrobo2022]: the preliminary and final counts of Bolivia 2019, compared mesa
  by mesa
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit._json import jsonable
from audit.checks.result import CheckResult, Evidence, Message
from audit.errors import AuditError
from audit.model import (
    COUNT_COLUMNS,
    KEY_COLUMNS,
    SheetTable,
    candidate_label,
    natural_order,
    region_code_column,
    region_name_column,
    vote_column,
)

#: Columns of :attr:`CrosscheckResult.discrepancies` and :attr:`LowerBoundResult.violations`.
DISCREPANCY_COLUMNS = ("center_id", "table_id", "region_code", "column", "candidate", "a", "b",
                       "difference")
VIOLATION_COLUMNS = ("center_id", "table_id", "region_code", "candidate", "official", "bound",
                     "shortfall")
UNMATCHED_COLUMNS = ("center_id", "table_id", "region_code", "line")

_NULL = "none (descriptive comparison of two sources)"


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


def _serialise(result: Any, skip: tuple[str, ...]) -> dict[str, Any]:
    """``to_dict`` of a frozen result without the bulky per-table fields in ``skip``."""
    out = {f.name: jsonable(getattr(result, f.name)) for f in dataclasses.fields(result)
           if f.name not in skip}
    out["sentence"] = result.sentence
    return out


@dataclass(frozen=True, kw_only=True)
class CrosscheckResult(CheckResult):
    """Two sources compared table by table (see :func:`compare_sources`).

    Attributes (besides those of :class:`CheckResult`)
    -------------------------------------------------
    label_a, label_b : str
        Names of the two sources (source A is the reference for regions and ordering).
    keys : tuple of str
        The canonical key columns the tables were matched on.
    candidates : tuple of str
        Candidates whose votes were compared (agreement is judged on these).
    candidate_labels : dict
        Candidate key -> short name from the election metadata (the key when unknown).
    columns : tuple of str
        Every compared canonical column: ``votes_<KEY>`` first, then the optional counts that
        both sources state (``registered``, ``voters``, ``valid``, ``null``, ``blank``).
    n_a, n_b, n_matched, n_agree : int
        Tables in A, in B, in both, and in both with every candidate count equal.
    zero_a, zero_b : int
        Matched tables where one source has no votes at all while the other has some (a blank
        or failed reading, or a table not yet counted).
    level : str or None
        Region level of :attr:`regions` (None: no regional breakdown).
    unmatched_a, unmatched_b : DataFrame
        Tables only in A / only in B: ``center_id, table_id, region_code, line``.
    discrepancies : DataFrame
        One row per (matched table, compared column) that differs: ``center_id, table_id,
        region_code, column, candidate`` (empty for non-candidate columns), ``a``, ``b`` and
        ``difference = b - a``; largest absolute difference first.
    regions : DataFrame
        Per region: ``region_code, region_name, tables_a, tables_b, matched, only_a, only_b,
        agree, differ, agreement_rate, abs_difference`` (candidate votes).
    region_votes : DataFrame
        Per region and compared column, over matched tables: ``region_code, column,
        candidate, a, b, difference, tables_differing``.
    pairs : DataFrame
        The matched tables with both sources' values (``<column>_a``, ``<column>_b``) for the
        figures; left out of :meth:`to_dict` (it restates the inputs).

    ``table`` holds one row per compared column: ``column, candidate, total_a, total_b``
    (all tables of each source), ``matched_a, matched_b, difference`` (matched tables only),
    ``tables_compared, tables_differing, agreement_rate, abs_difference, max_abs_difference``.
    """

    label_a: str
    label_b: str
    keys: tuple[str, ...]
    candidates: tuple[str, ...]
    candidate_labels: dict[str, str]
    columns: tuple[str, ...]
    n_a: int
    n_b: int
    n_matched: int
    n_agree: int
    zero_a: int
    zero_b: int
    level: str | None
    unmatched_a: pd.DataFrame
    unmatched_b: pd.DataFrame
    discrepancies: pd.DataFrame
    regions: pd.DataFrame
    region_votes: pd.DataFrame
    pairs: pd.DataFrame = field(repr=False)

    @property
    def agreement_rate(self) -> float:
        """Share of matched tables on which every compared candidate count agrees."""
        return self.n_agree / self.n_matched if self.n_matched else float("nan")

    def largest(self, n: int = 20, *, candidates_only: bool = True) -> pd.DataFrame:
        """The ``n`` largest discrepancies (table, candidate, a, b, difference)."""
        frame = self.discrepancies
        if candidates_only:
            frame = frame.loc[frame["candidate"] != ""]
        return frame.head(n).reset_index(drop=True)

    def differing_tables(self) -> pd.DataFrame:
        """Matched tables whose candidate counts differ, with the largest absolute difference
        and the number of candidates that differ (largest first)."""
        votes = self.discrepancies.loc[self.discrepancies["candidate"] != ""]
        grouped = votes.assign(abs_difference=votes["difference"].abs()).groupby(
            ["center_id", "table_id", "region_code"], sort=False, dropna=False)
        out = grouped.agg(candidates=("candidate", "size"),
                          max_abs_difference=("abs_difference", "max"),
                          abs_difference=("abs_difference", "sum")).reset_index()
        return out.sort_values("max_abs_difference", ascending=False, kind="stable") \
            .reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: every field except :attr:`pairs`."""
        return _serialise(self, ("pairs",))


@dataclass(frozen=True, kw_only=True)
class LowerBoundResult(CheckResult):
    """An official count checked against an independent lower bound (see
    :func:`lower_bound_check`).

    Attributes (besides those of :class:`CheckResult`)
    -------------------------------------------------
    label_official, label_bound : str
        Names of the two sources.
    keys, candidates, candidate_labels, level
        As in :class:`CrosscheckResult`.
    n_official, n_bound, n_matched : int
        Tables in each source and in both.
    n_violating : int
        Matched tables where at least one candidate's official count is below the bound.
    unmatched_official, unmatched_bound : DataFrame
        Tables only in one source: ``center_id, table_id, region_code, line``.
    violations : DataFrame
        One row per (table, candidate) with ``official < bound``: ``center_id, table_id,
        region_code, candidate, official, bound, shortfall = bound - official``; largest
        shortfall first.
    regions : DataFrame
        Per region: ``region_code, region_name, matched, violating, share_violating,
        shortfall``.
    pairs : DataFrame
        Matched tables with ``votes_<KEY>_official`` and ``votes_<KEY>_bound``; left out of
        :meth:`to_dict`.

    ``table`` holds one row per candidate: ``candidate, tables_compared, tables_violating,
    share_violating, shortfall, official_at_violating, bound_at_violating, official_total,
    bound_total`` (totals over matched tables).
    """

    label_official: str
    label_bound: str
    keys: tuple[str, ...]
    candidates: tuple[str, ...]
    candidate_labels: dict[str, str]
    n_official: int
    n_bound: int
    n_matched: int
    n_violating: int
    level: str | None
    unmatched_official: pd.DataFrame
    unmatched_bound: pd.DataFrame
    violations: pd.DataFrame
    regions: pd.DataFrame
    pairs: pd.DataFrame = field(repr=False)

    def for_candidate(self, key: str) -> pd.DataFrame:
        """The violations of one candidate (largest shortfall first)."""
        return self.violations.loc[self.violations["candidate"] == key].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: every field except :attr:`pairs`."""
        return _serialise(self, ("pairs",))


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    """Positions of matched and unmatched rows of two tables, and their regions.

    Regions are integer codes into ``regions`` (shared by both tables), -1 where a table
    has no region; ``ra``/``rb`` are None when that table lacks the level.
    """

    ia: np.ndarray  # positions in A of the matched tables (in A's order)
    ib: np.ndarray  # positions in B of the same tables
    only_a: np.ndarray
    only_b: np.ndarray
    regions: np.ndarray  # region codes (object array of str)
    region_names: dict[str, str]
    ra: np.ndarray | None
    rb: np.ndarray | None

    @property
    def matched_regions(self) -> np.ndarray | None:
        """Region index of each matched table: A's where A has the level, else B's."""
        if self.ra is not None:
            return self.ra[self.ia]
        if self.rb is not None:
            return self.rb[self.ib]
        return None

    def region_text(self, index: np.ndarray | None, size: int) -> np.ndarray:
        """Region codes as text for an array of region indices ("" without a level)."""
        if index is None:
            return np.full(size, "", dtype=object)
        text = np.append(self.regions, "").astype(object)
        return text[index]  # index -1 picks the appended ""


def _key_series(data: pd.DataFrame, on: Sequence[str]) -> pd.Series:
    key = data[on[0]].astype("string").fillna("")
    for col in on[1:]:
        key = key + "\x1f" + data[col].astype("string").fillna("")
    return key


def _region_codes(a: SheetTable, b: SheetTable, level: str | None
                  ) -> tuple[np.ndarray, dict[str, str], np.ndarray | None, np.ndarray | None]:
    """Factorise the region codes of both tables at ``level`` into one index."""
    if level is None:
        return np.array([], dtype=object), {}, None, None
    if level not in a.levels and level not in b.levels:
        known = sorted(set(a.levels) | set(b.levels))
        raise AuditError(f"unknown region level {level!r}; the sources have "
                         f"{', '.join(known) or 'no region levels'}")
    col, name_col = region_code_column(level), region_name_column(level)
    parts = [t.data[col].astype("string") for t in (a, b) if level in t.levels]
    codes, uniques = pd.factorize(pd.concat(parts, ignore_index=True), sort=False)
    names: dict[str, str] = {}
    for t in (b, a):  # A's names win
        if level in t.levels and name_col in t.data:
            pairs = pd.DataFrame({"c": t.data[col], "n": t.data[name_col]}).dropna()
            names.update(pairs.drop_duplicates("c").itertuples(index=False, name=None))
    ra = rb = None
    if level in a.levels:
        ra, codes = codes[:len(a)], codes[len(a):]
    if level in b.levels:
        rb = codes
    return np.asarray(uniques, dtype=object), names, ra, rb


def _match(a: SheetTable, b: SheetTable, on: Sequence[str], level: str | None,
           labels: tuple[str, str]) -> _Match:
    """Match the tables of ``a`` and ``b`` on the key columns ``on`` (vectorised: one
    factorisation of both key columns, then integer look-ups)."""
    on = list(on)
    for sheets, label in ((a, labels[0]), (b, labels[1])):
        missing = [c for c in on if c not in sheets.data]
        if missing:
            raise AuditError(f"cannot match on {', '.join(missing)}: source {label} lacks it")
    ka, kb = _key_series(a.data, on), _key_series(b.data, on)
    if tuple(on) != KEY_COLUMNS:
        for key, label in ((ka, labels[0]), (kb, labels[1])):
            if key.duplicated().any():
                example = key[key.duplicated()].iloc[0].replace("\x1f", "/")
                raise AuditError(f"{'+'.join(on)} does not identify a table in source {label} "
                                 f"(e.g. {example!r} repeats); match on "
                                 f"{' and '.join(KEY_COLUMNS)}")
    codes, uniques = pd.factorize(pd.concat([ka, kb], ignore_index=True))
    ca, cb = codes[:len(ka)], codes[len(ka):]
    where_b = np.full(len(uniques), -1, dtype=np.int64)
    where_b[cb] = np.arange(len(cb))  # keys are unique within each table
    partner = where_b[ca]
    ia = np.flatnonzero(partner >= 0)
    ib = partner[ia]
    in_b = np.zeros(len(kb), dtype=bool)
    in_b[ib] = True
    regions, names, ra, rb = _region_codes(a, b, level)
    return _Match(ia=ia, ib=ib, only_a=np.flatnonzero(partner < 0),
                  only_b=np.flatnonzero(~in_b), regions=regions, region_names=names,
                  ra=ra, rb=rb)


def _take(sheets: SheetTable, column: str, rows: np.ndarray) -> np.ndarray:
    """``column`` at ``rows`` as an object array (converting only the rows asked for)."""
    return sheets.data[column].iloc[rows].to_numpy(dtype=object)


def _unmatched(sheets: SheetTable, rows: np.ndarray, m: _Match,
               regions: np.ndarray | None) -> pd.DataFrame:
    return pd.DataFrame({
        "center_id": _take(sheets, "center_id", rows),
        "table_id": _take(sheets, "table_id", rows),
        "region_code": m.region_text(None if regions is None else regions[rows], len(rows)),
        "line": sheets.data["line"].to_numpy(np.int64)[rows],
    }, columns=list(UNMATCHED_COLUMNS))


def _group_sums(index: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
    """Column sums of ``values`` (n x c) per group ``index`` (0..size-1), as int64: one
    ``bincount`` over the flattened (group, column) cells."""
    c = values.shape[1]
    if len(index) == 0 or c == 0:
        return np.zeros((size, c), dtype=np.int64)
    cells = (index[:, None] * c + np.arange(c)).ravel()
    sums = np.bincount(cells, weights=values.ravel(), minlength=size * c)
    return np.rint(sums).astype(np.int64).reshape(size, c)


def _default_level(a: SheetTable, b: SheetTable) -> str | None:
    """The top region level both sources share (None when they share none)."""
    return next((lvl for lvl in a.levels if lvl in b.levels), None)


def _resolve_candidates(a: SheetTable, b: SheetTable, candidates: Sequence[str] | None,
                        labels: tuple[str, str]) -> tuple[str, ...]:
    if candidates is None:
        common = tuple(k for k in a.candidates if k in b.candidates)
        if not common:
            raise AuditError(f"sources {labels[0]} and {labels[1]} share no candidate "
                             f"({', '.join(a.candidates)} vs {', '.join(b.candidates)})")
        return common
    for sheets, label in ((a, labels[0]), (b, labels[1])):
        missing = [k for k in candidates if k not in sheets.candidates]
        if missing:
            raise AuditError(f"source {label} has no candidate {', '.join(missing)}; it has "
                             f"{', '.join(sheets.candidates)}")
    if not candidates:
        raise AuditError("give at least one candidate to compare")
    return tuple(candidates)


def _candidate_labels(a: SheetTable, b: SheetTable, keys: Sequence[str]) -> dict[str, str]:
    """Short names of the candidates from either table's election metadata."""
    return {key: candidate_label(key, a.election, b.election) for key in keys}


def _labels(a: SheetTable, b: SheetTable, label_a: str | None,
            label_b: str | None) -> tuple[str, str]:
    la = label_a or a.name or "A"
    lb = label_b or b.name or "B"
    if la == lb:
        la, lb = f"{la} (A)", f"{lb} (B)"
    return la, lb


# --------------------------------------------------------------------------------------------
# compare_sources
# --------------------------------------------------------------------------------------------


def compare_sources(a: SheetTable, b: SheetTable, *, candidates: Sequence[str] | None = None,
                    on: Sequence[str] = KEY_COLUMNS, by: str | None = "auto",
                    label_a: str | None = None, label_b: str | None = None,
                    compare_counts: bool = True) -> CrosscheckResult:
    """Compare two sources of the same tally sheets, table by table.

    No hypothesis is tested: the comparison counts and locates the differences between two
    records that should be identical. Where they differ, at least one record is wrong for
    that table; the comparison cannot say which one, nor why.

    Parameters
    ----------
    a, b : SheetTable
        The two sources. A is the reference: regions come from A where it has the level, and
        tables are listed in A's order.
    candidates : sequence of str, optional
        Candidate keys to compare (default: every candidate both sources have). A table
        *agrees* when every one of these counts is equal in both sources.
    on : sequence of str, default ``("center_id", "table_id")``
        Canonical key columns to match on. ``("table_id",)`` is allowed when the table id is
        unique nationally in both sources (it is checked).
    by : str or None, default ``"auto"``
        Region level of the regional breakdown; ``"auto"`` takes the top level both sources
        share, None skips the breakdown.
    label_a, label_b : str, optional
        Names of the sources in messages (default: each table's name).
    compare_counts : bool, default True
        Also compare ``registered``, ``voters``, ``valid``, ``null`` and ``blank`` where both
        sources state them (these never decide agreement).

    Returns
    -------
    CrosscheckResult
        ``statistic`` is the number of matched tables whose candidate counts differ,
        ``effect`` the sum of absolute candidate-vote differences (``effect_unit`` "votes"),
        ``n`` the number of matched tables; ``pvalue`` is None and ``evidence`` is
        ``not_tested``. See :class:`CrosscheckResult` for the tables.

    Notes
    -----
    Matching is vectorised: the keys of both sources are factorised together and looked up
    as integers; every sum is a ``bincount``. A million tables compare in a few seconds on
    two cores (``benchmarks/bench_compare.py``).

    Known failure modes: keys coded differently in the two sources (leading zeros, mesa
    numbering) make matching tables look unmatched; the profiles normalise keys, and the
    unmatched lists show what did not match. Two sources derived from the same upstream
    record (e.g. two transcriptions of one image) agree even when that record is wrong:
    agreement is about the copies, not about the count.

    Examples
    --------
    >>> from audit.simulate import simulate_clean  # doctest: +SKIP
    >>> res = compare_sources(trep, computo)  # doctest: +SKIP
    >>> res.agreement_rate, res.largest(5)  # doctest: +SKIP
    """
    labels = _labels(a, b, label_a, label_b)
    keys = _resolve_candidates(a, b, candidates, labels)
    level = _default_level(a, b) if by == "auto" else by
    m = _match(a, b, on, level, labels)
    vote_cols = [vote_column(k) for k in keys]
    count_cols = [c for c in COUNT_COLUMNS if compare_counts and a.has(c) and b.has(c)]
    columns = (*vote_cols, *count_cols)
    n_matched = len(m.ia)

    # Values of both sources on the matched tables: (n_matched, n_columns), int64. Votes are
    # never missing; an optional count is compared only where both sources state it
    # (elsewhere both values are set to 0 and ``stated`` is False).
    k = len(vote_cols)
    va = np.empty((n_matched, len(columns)), dtype=np.int64)
    vb = np.empty((n_matched, len(columns)), dtype=np.int64)
    va[:, :k] = a.data[vote_cols].to_numpy(np.int64)[m.ia]
    vb[:, :k] = b.data[vote_cols].to_numpy(np.int64)[m.ib]
    stated = np.ones((n_matched, len(columns)), dtype=bool)
    for j, col in enumerate(count_cols, start=k):
        ca, cb = a.counts(col)[m.ia], b.counts(col)[m.ib]
        both = ~np.isnan(ca) & ~np.isnan(cb)
        stated[:, j] = both
        va[:, j] = np.where(both, ca, 0)
        vb[:, j] = np.where(both, cb, 0)
    diff = vb - va
    differs = diff != 0
    cand_differs = differs[:, :k].any(axis=1)
    n_agree = int(n_matched - cand_differs.sum())
    sum_a, sum_b = va[:, :k].sum(axis=1), vb[:, :k].sum(axis=1)
    zero_a = int(((sum_a == 0) & (sum_b > 0)).sum())
    zero_b = int(((sum_b == 0) & (sum_a > 0)).sum())

    region = m.matched_regions
    discrepancies = _discrepancy_frame(a, m, region, columns, keys, va, vb, diff, differs)
    table = _column_summary(a, b, columns, keys, va, vb, diff, differs, stated)
    regions, region_votes = _region_tables(m, region, columns, keys, va, vb, diff, differs,
                                           cand_differs)
    pairs = pd.DataFrame(np.concatenate([va[:, :k], vb[:, :k]], axis=1),
                         columns=[f"{c}_a" for c in vote_cols] + [f"{c}_b" for c in vote_cols])
    abs_votes = float(np.abs(diff[:, :k]).sum())
    params = {"candidates": list(keys), "on": list(on), "by": level,
              "compare_counts": compare_counts}
    message = _compare_message(labels, n_matched, len(m.only_a), len(m.only_b), n_agree,
                               discrepancies, len(a), len(b), _candidate_labels(a, b, keys))
    return CrosscheckResult(
        test="crosscheck.compare", statistic=float(n_matched - n_agree), pvalue=None,
        effect=abs_votes, effect_unit="votes", n=n_matched, null=_NULL,
        evidence=Evidence.NOT_TESTED, table=table, message=message,
        excluded={"only_in_a": len(m.only_a), "only_in_b": len(m.only_b)}, params=params,
        label_a=labels[0], label_b=labels[1], keys=tuple(on), candidates=keys,
        candidate_labels=_candidate_labels(a, b, keys), columns=columns, n_a=len(a),
        n_b=len(b), n_matched=n_matched, n_agree=n_agree,
        zero_a=zero_a, zero_b=zero_b, level=level,
        unmatched_a=_unmatched(a, m.only_a, m, m.ra),
        unmatched_b=_unmatched(b, m.only_b, m, m.rb),
        discrepancies=discrepancies, regions=regions, region_votes=region_votes, pairs=pairs)


def _candidate_of(column: str, keys: Sequence[str]) -> str:
    return column[len("votes_"):] if column in {vote_column(k) for k in keys} else ""


def _discrepancy_frame(a: SheetTable, m: _Match, region: np.ndarray | None,
                       columns: Sequence[str], keys: Sequence[str], va: np.ndarray,
                       vb: np.ndarray, diff: np.ndarray, differs: np.ndarray) -> pd.DataFrame:
    rows, cols = np.nonzero(differs)
    d = diff[rows, cols]
    # largest absolute difference first; ties in A's order, then column order
    order = np.lexsort((cols, rows, -np.abs(d)))
    rows, cols, d = rows[order], cols[order], d[order]
    names = np.array(list(columns), dtype=object)
    cands = np.array([_candidate_of(c, keys) for c in columns], dtype=object)
    return pd.DataFrame({
        "center_id": _take(a, "center_id", m.ia[rows]),
        "table_id": _take(a, "table_id", m.ia[rows]),
        "region_code": m.region_text(None if region is None else region[rows], len(rows)),
        "column": names[cols],
        "candidate": cands[cols],
        "a": va[rows, cols].astype(np.int64),
        "b": vb[rows, cols].astype(np.int64),
        "difference": d.astype(np.int64),
    }, columns=list(DISCREPANCY_COLUMNS))


def _column_summary(a: SheetTable, b: SheetTable, columns: Sequence[str], keys: Sequence[str],
                    va: np.ndarray, vb: np.ndarray, diff: np.ndarray, differs: np.ndarray,
                    stated: np.ndarray) -> pd.DataFrame:
    compared = stated.sum(axis=0)
    differing = differs.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(compared > 0, 1 - differing / np.maximum(compared, 1), np.nan)
    absdiff = np.abs(diff)
    return pd.DataFrame({
        "column": list(columns),
        "candidate": [_candidate_of(c, keys) for c in columns],
        "total_a": [a.total(c) for c in columns],
        "total_b": [b.total(c) for c in columns],
        "matched_a": va.sum(axis=0),
        "matched_b": vb.sum(axis=0),
        "difference": diff.sum(axis=0),
        "tables_compared": compared.astype(np.int64),
        "tables_differing": differing.astype(np.int64),
        "agreement_rate": rate,
        "abs_difference": absdiff.sum(axis=0),
        "max_abs_difference": (absdiff.max(axis=0) if len(absdiff)
                               else np.zeros(len(columns), dtype=np.int64)),
    })


def _region_tables(m: _Match, region: np.ndarray | None, columns: Sequence[str],
                   keys: Sequence[str], va: np.ndarray, vb: np.ndarray, diff: np.ndarray,
                   differs: np.ndarray, cand_differs: np.ndarray
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    region_cols = ["region_code", "region_name", "tables_a", "tables_b", "matched", "only_a",
                   "only_b", "agree", "differ", "agreement_rate", "abs_difference"]
    vote_cols = ["region_code", "column", "candidate", "a", "b", "difference",
                 "tables_differing"]
    if region is None:
        return pd.DataFrame(columns=region_cols), pd.DataFrame(columns=vote_cols)
    k = sum(1 for c in columns if _candidate_of(c, keys))
    r = len(m.regions) + 1  # the last group collects tables without a region code
    slot = np.where(region < 0, r - 1, region)

    def count(index: np.ndarray | None) -> np.ndarray:
        if index is None:
            return np.zeros(r, dtype=np.int64)
        return np.bincount(np.where(index < 0, r - 1, index), minlength=r)

    matched = np.bincount(slot, minlength=r)
    differ = np.bincount(slot, weights=cand_differs, minlength=r).astype(np.int64)
    abs_votes = np.bincount(slot, weights=np.abs(diff[:, :k]).sum(axis=1), minlength=r)
    ncol = len(columns)
    sa, sb = _group_sums(slot, r, va), _group_sums(slot, r, vb)
    sd, sn = _group_sums(slot, r, diff), _group_sums(slot, r, differs)
    oa = count(None if m.ra is None else m.ra[m.only_a])
    ob = count(None if m.rb is None else m.rb[m.only_b])
    tables_a = count(m.ra) if m.ra is not None else matched + oa
    tables_b = count(m.rb) if m.rb is not None else matched + ob
    codes = np.append(m.regions, "").astype(object)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(matched > 0, (matched - differ) / np.maximum(matched, 1), np.nan)
    regions = pd.DataFrame({
        "region_code": codes,
        "region_name": [m.region_names.get(c, "") for c in codes],
        "tables_a": tables_a.astype(np.int64), "tables_b": tables_b.astype(np.int64),
        "matched": matched.astype(np.int64),
        "only_a": oa.astype(np.int64), "only_b": ob.astype(np.int64),
        "agree": (matched - differ).astype(np.int64), "differ": differ.astype(np.int64),
        "agreement_rate": rate, "abs_difference": abs_votes.astype(np.int64),
    }, columns=region_cols)
    kept = np.flatnonzero((tables_a + tables_b) > 0)
    kept = kept[natural_order(regions["region_code"].iloc[kept])]  # groups, display order
    regions = regions.iloc[kept].reset_index(drop=True)
    shown = kept[matched[kept] > 0]
    cands = [_candidate_of(c, keys) for c in columns]
    region_votes = pd.DataFrame({
        "region_code": np.repeat(codes[shown], ncol),
        "column": np.tile(np.array(columns, dtype=object), len(shown)),
        "candidate": np.tile(np.array(cands, dtype=object), len(shown)),
        "a": sa[shown].ravel().astype(np.int64), "b": sb[shown].ravel().astype(np.int64),
        "difference": sd[shown].ravel().astype(np.int64),
        "tables_differing": sn[shown].ravel().astype(np.int64),
    }, columns=vote_cols)
    return regions, region_votes


def _table_label(center: str, table: str) -> str:
    return f"{center}/{table}" if center else str(table)


def _compare_message(labels: tuple[str, str], n_matched: int, only_a: int, only_b: int,
                     n_agree: int, discrepancies: pd.DataFrame, n_a: int, n_b: int,
                     names: dict[str, str]) -> Message:
    base = {"a": labels[0], "b": labels[1], "matched": n_matched, "only_a": only_a,
            "only_b": only_b, "n_a": n_a, "n_b": n_b}
    if n_matched == 0:
        return Message("crosscheck.compare.no_match", base)
    votes = discrepancies.loc[discrepancies["candidate"] != ""]
    if votes.empty:
        return Message("crosscheck.compare.all_agree", base)
    top = votes.iloc[0]
    return Message("crosscheck.compare.summary", {
        **base, "agree": n_agree, "differ": n_matched - n_agree,
        "rate": 100.0 * n_agree / n_matched, "max_diff": abs(int(top["difference"])),
        "max_candidate": names.get(top["candidate"], top["candidate"]),
        "max_table": _table_label(top["center_id"], top["table_id"]),
        "max_a": int(top["a"]), "max_b": int(top["b"])})


# --------------------------------------------------------------------------------------------
# lower_bound_check
# --------------------------------------------------------------------------------------------


def lower_bound_check(official: SheetTable, bound: SheetTable, *,
                      candidates: Sequence[str] | None = None,
                      on: Sequence[str] = KEY_COLUMNS, by: str | None = "auto",
                      label_official: str | None = None,
                      label_bound: str | None = None) -> LowerBoundResult:
    """Check an official count against an independent per-table lower bound.

    Some independent records can only undercount: ballots photographed by voters (Belarus
    2020, the Voice platform), signed witness statements, a partial hand count. If the
    official count of a candidate at a table is right and the independent record is genuine
    and attributed to the right table, the official count is at least the bound. Every table
    where ``official < bound`` is an arithmetic contradiction between the two records: one of
    them is wrong there. The shortfall ``bound - official`` is the fewest votes the official
    count would be missing if the bound is right.

    Parameters
    ----------
    official : SheetTable
        The count being checked.
    bound : SheetTable
        The independent lower bound (same candidates, same table keys).
    candidates : sequence of str, optional
        Candidates to check (default: every candidate both have).
    on, by
        As in :func:`compare_sources`.
    label_official, label_bound : str, optional
        Names of the sources in messages.

    Returns
    -------
    LowerBoundResult
        ``statistic`` is the number of matched tables with at least one violation,
        ``effect`` the total shortfall in votes, ``n`` the number of matched tables,
        ``evidence`` is ``impossible`` when there is a violation (the two records contradict
        each other arithmetically) and ``consistent`` otherwise; ``pvalue`` is None.

    Notes
    -----
    What a violation does not establish: which record is wrong. A photograph can be
    assigned to the wrong station, submitted twice, or faked; a protocol can be misread
    when transcribed. The check is only as strong as the bound's claim to be a lower
    bound, and that claim must be argued from how the bound was collected. Participants
    in such platforms are self-selected, so the bound says nothing about tables where it is
    below the official count. Tables without a partner in both sources are listed, never
    dropped.
    """
    labels = _labels(official, bound, label_official, label_bound)
    keys = _resolve_candidates(official, bound, candidates, labels)
    level = _default_level(official, bound) if by == "auto" else by
    m = _match(official, bound, on, level, labels)
    cols = [vote_column(k) for k in keys]
    vo = official.data[cols].to_numpy(np.int64)[m.ia]
    vb = bound.data[cols].to_numpy(np.int64)[m.ib]
    n_matched = len(m.ia)
    below = vo < vb
    short = np.where(below, vb - vo, 0)
    violating = below.any(axis=1)
    region = m.matched_regions

    rows, cc = np.nonzero(below)
    s = short[rows, cc]
    order = np.lexsort((cc, rows, -s))
    rows, cc, s = rows[order], cc[order], s[order]
    key_arr = np.array(keys, dtype=object)
    violations = pd.DataFrame({
        "center_id": _take(official, "center_id", m.ia[rows]),
        "table_id": _take(official, "table_id", m.ia[rows]),
        "region_code": m.region_text(None if region is None else region[rows], len(rows)),
        "candidate": key_arr[cc] if len(cc) else np.array([], dtype=object),
        "official": vo[rows, cc], "bound": vb[rows, cc], "shortfall": s,
    }, columns=list(VIOLATION_COLUMNS))

    n_viol = below.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = n_viol / n_matched if n_matched else np.full(len(keys), np.nan)
    table = pd.DataFrame({
        "candidate": list(keys),
        "tables_compared": np.full(len(keys), n_matched, dtype=np.int64),
        "tables_violating": n_viol.astype(np.int64),
        "share_violating": share,
        "shortfall": short.sum(axis=0).astype(np.int64),
        "official_at_violating": np.where(below, vo, 0).sum(axis=0).astype(np.int64),
        "bound_at_violating": np.where(below, vb, 0).sum(axis=0).astype(np.int64),
        "official_total": vo.sum(axis=0).astype(np.int64),
        "bound_total": vb.sum(axis=0).astype(np.int64),
    })
    regions = _bound_regions(m, region, violating, short.sum(axis=1))
    pairs = pd.DataFrame(np.hstack([vo, vb]),
                         columns=[f"{c}_official" for c in cols] + [f"{c}_bound" for c in cols])
    n_violating = int(violating.sum())
    message = _bound_message(labels, n_matched, n_violating, table, len(official), len(bound),
                             _candidate_labels(official, bound, keys))
    return LowerBoundResult(
        test="crosscheck.lower_bound", statistic=float(n_violating), pvalue=None,
        effect=float(short.sum()), effect_unit="votes", n=n_matched,
        null="arithmetic (official >= independent lower bound at every table)",
        evidence=Evidence.IMPOSSIBLE if n_violating else Evidence.CONSISTENT,
        table=table, message=message,
        excluded={"only_in_official": len(m.only_a), "only_in_bound": len(m.only_b)},
        params={"candidates": list(keys), "on": list(on), "by": level},
        label_official=labels[0], label_bound=labels[1], keys=tuple(on), candidates=keys,
        candidate_labels=_candidate_labels(official, bound, keys),
        n_official=len(official), n_bound=len(bound), n_matched=n_matched,
        n_violating=n_violating, level=level,
        unmatched_official=_unmatched(official, m.only_a, m, m.ra),
        unmatched_bound=_unmatched(bound, m.only_b, m, m.rb),
        violations=violations, regions=regions, pairs=pairs)


def _bound_regions(m: _Match, region: np.ndarray | None, violating: np.ndarray,
                   shortfall: np.ndarray) -> pd.DataFrame:
    cols = ["region_code", "region_name", "matched", "violating", "share_violating",
            "shortfall"]
    if region is None:
        return pd.DataFrame(columns=cols)
    r = len(m.regions) + 1
    slot = np.where(region < 0, r - 1, region)
    matched = np.bincount(slot, minlength=r)
    sums = _group_sums(slot, r, np.column_stack([violating, shortfall]).astype(np.int64))
    codes = np.append(m.regions, "").astype(object)
    out = pd.DataFrame({
        "region_code": codes,
        "region_name": [m.region_names.get(c, "") for c in codes],
        "matched": matched.astype(np.int64), "violating": sums[:, 0],
        "share_violating": sums[:, 0] / np.maximum(matched, 1),
        "shortfall": sums[:, 1]}, columns=cols)
    kept = np.flatnonzero(matched > 0)
    kept = kept[natural_order(out["region_code"].iloc[kept])]
    return out.iloc[kept].reset_index(drop=True)


def _bound_message(labels: tuple[str, str], n_matched: int, n_violating: int,
                   table: pd.DataFrame, n_official: int, n_bound: int,
                   names: dict[str, str]) -> Message:
    base = {"official": labels[0], "bound": labels[1], "matched": n_matched,
            "n_official": n_official, "n_bound": n_bound}
    if n_matched == 0:
        return Message("crosscheck.lower_bound.no_match", base)
    if n_violating == 0:
        return Message("crosscheck.lower_bound.none", base)
    top = table.sort_values(["tables_violating", "shortfall"], ascending=False,
                            kind="stable").iloc[0]
    return Message("crosscheck.lower_bound.summary", {
        **base, "violating": n_violating, "share": 100.0 * n_violating / n_matched,
        "shortfall": int(table["shortfall"].sum()),
        "candidate": names.get(top["candidate"], top["candidate"]),
        "cand_tables": int(top["tables_violating"]), "cand_shortfall": int(top["shortfall"])})
