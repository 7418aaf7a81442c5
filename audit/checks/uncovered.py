"""What the tables without a tally sheet probably hold, and what they can hold at most.

Two answers with different assumptions:

* **Estimate (assumes the missing tables are missing at random within their state).** Each
  state's uncovered tables are predicted from its covered tables: the expansion (mean per table)
  estimator of each candidate's votes, stratified by state, with the model-based prediction variance
  of a finite set of unobserved tables, :math:`\\operatorname{Var}(\\hat Y_h - Y_h) = m_h s_h^2 (1 +
  m_h / n_h)` for :math:`n_h` covered and :math:`m_h` uncovered tables (Valliant, Dorfman & Royall
  2000 [valliant2000], ch. 2; Cochran 1977 [cochran1977], §5A). National shares are ratio estimates
  whose variance is linearised on the residuals :math:`y - \\hat p\\, v` (Cochran 1977
  [cochran1977], §6.3). Where the number of uncovered tables per state is unknown (the authority
  published none), the tables missing inside covered voting centres (gaps in the table numbers) are
  placed in their state and the rest are spread over the states in proportion to their covered
  tables: an assumption the report states.
* **Bound (no assumption).** Whatever the uncovered tables hold, a candidate's national
  share lies between ``votes / (valid + R)`` and ``(votes + R) / (valid + R)``, with ``R`` the
  most registered voters those tables can have. If the leader on the sheets is ahead of the
  runner-up by more than ``R``, no content of the uncovered tables changes the winner.

References
----------
By key of the bibliography, :mod:`audit.references`, where the full entries are:

- Cochran (1977) [cochran1977]
- Valliant et al. (2000) [valliant2000]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from audit.checks.result import CheckResult, Evidence, Message
from audit.model import SheetTable, region_code_column, region_name_column, vote_column

TEST = "uncovered.estimate"


@dataclass(frozen=True, kw_only=True)
class UncoveredEstimate(CheckResult):
    """The estimate and the bound for the tables without a sheet.

    ``table``: one row per candidate – ``key``, ``covered`` (votes on the sheets),
    ``estimate`` (votes predicted in the uncovered tables), ``national`` (covered +
    estimate), ``share`` (national share of valid votes, percent), ``low``/``high`` (its
    confidence interval), ``bound_low``/``bound_high`` (the assumption-free bounds of the
    share, percent; NaN without registered voters). ``by_region``: per state – ``region_code``,
    ``region_name``, ``covered_tables``, ``uncovered_tables`` (``gaps`` of them found inside
    covered centres), and the estimated votes of the two leaders.
    """

    covered_tables: int = 0
    uncovered_tables: int = 0
    gap_tables: int = 0
    registered_uncovered: int | None = None
    confidence: float = 0.95
    margin: Mapping[str, Any] = field(default_factory=dict)
    by_region: pd.DataFrame = field(default_factory=pd.DataFrame)


def _gaps(sheets: SheetTable) -> pd.Series:
    """Per sheet row's centre: tables missing below the highest table number seen there."""
    df = sheets.data
    number = pd.to_numeric(df["table_id"].astype(str).str.extract(r"(\d+)$")[0],
                           errors="coerce")
    grouped = pd.DataFrame({"center": df["center_id"].astype(str), "n": number})
    per_center = grouped.groupby("center")["n"].agg(["max", "count"])
    return (per_center["max"].fillna(0) - per_center["count"]).clip(lower=0)


def _strata(sheets: SheetTable, level: str | None) -> pd.DataFrame:
    """One row per sheet: its stratum (region code at ``level``, else ``"all"``), the
    stratum's name, the valid votes and each candidate's votes."""
    df = sheets.data
    if level is not None and region_code_column(level) in df:
        codes = df[region_code_column(level)].astype(str).to_numpy()
        names_col = region_name_column(level)
        names = df[names_col].astype(str).to_numpy() if names_col in df else codes
    else:
        codes = np.full(len(df), "all")
        names = codes
    frame = pd.DataFrame({"region": codes, "name": names,
                          "valid": sheets.counts("valid").astype(float)})
    for k in sheets.candidates:
        frame[k] = df[vote_column(k)].to_numpy(dtype=float)
    return frame


def _uncovered_tables(sheets: SheetTable, codes: np.ndarray, n_h: pd.Series, m_total: int,
                      tables_by_region: Mapping[str, int] | None
                      ) -> tuple[pd.Series, pd.Series]:
    """Uncovered tables per stratum (the known tables per region minus those held, else the
    gaps inside covered centres, then the rest in proportion to the covered tables), and the
    gaps per stratum."""
    df = sheets.data
    gap_by_center = _gaps(sheets)
    center_region = pd.Series(codes, index=df["center_id"].astype(str)).groupby(level=0).first()
    gaps_h = gap_by_center.groupby(center_region.reindex(gap_by_center.index)).sum()
    gaps_h = gaps_h.reindex(n_h.index, fill_value=0).astype(float)
    if tables_by_region:
        m_h = pd.Series({str(r): max(0, int(tables_by_region.get(str(r), int(n))) - int(n))
                         for r, n in n_h.items()}, dtype=float).reindex(n_h.index.astype(str))
        m_h.index = n_h.index
        return m_h, gaps_h
    gaps_h = gaps_h.clip(upper=m_total * gaps_h / max(gaps_h.sum(), 1)
                         if gaps_h.sum() > m_total else gaps_h)
    rest = max(0.0, m_total - gaps_h.sum())
    return gaps_h + rest * n_h / n_h.sum(), gaps_h


def _ratio_variance(resid: pd.Series, frame: pd.DataFrame, m_h: pd.Series,
                    n_h: pd.Series) -> float:
    """Variance of the stratified estimate of the uncovered total of ``resid`` (residuals of
    the ratio estimator), with the finite-population term of each stratum."""
    s2 = resid.groupby(frame["region"], sort=False).var(ddof=1).reindex(n_h.index).fillna(0)
    return float((m_h * s2 * (1 + m_h / n_h)).sum())


def _bound(covered: float, covered_valid: float, registered_uncovered: int | None
           ) -> dict[str, float]:
    """A candidate's share if the uncovered tables gave it none of, or all, their most
    registered voters (NaN without that number)."""
    if registered_uncovered is None:
        return {"bound_low": float("nan"), "bound_high": float("nan")}
    base = covered_valid + registered_uncovered
    return {"bound_low": 100 * covered / base,
            "bound_high": 100 * (covered + registered_uncovered) / base}


def _margin(table: pd.DataFrame, frame: pd.DataFrame, covered: pd.DataFrame,
            m_h: pd.Series, n_h: pd.Series, valid_total: float, z: float,
            registered_uncovered: int | None) -> dict[str, Any]:
    """The estimated lead of the first over the second, its interval, and whether the sheets
    held decide it with no assumption (their gap exceeds every uncovered registered voter)."""
    first, second = (str(table["key"].iloc[0]),
                     str(table["key"].iloc[1]) if len(table) > 1 else str(table["key"].iloc[0]))
    lead_p = float(table["share"].iloc[0] - (table["share"].iloc[1] if len(table) > 1 else 0))
    resid = frame[first] - frame[second] - lead_p / 100 * frame["valid"]
    lead_se = 100 * float(np.sqrt(_ratio_variance(resid, frame, m_h, n_h))) / valid_total \
        if valid_total else float("nan")
    held_gap = float(covered[first].sum() - covered[second].sum())
    return {"first": first, "second": second, "points": lead_p,
            "low": lead_p - z * lead_se, "high": lead_p + z * lead_se,
            "votes": float(table["national"].iloc[0] - (table["national"].iloc[1]
                                                        if len(table) > 1 else 0)),
            "held_gap": held_gap,
            "decided_without_assumption": registered_uncovered is not None
            and held_gap > registered_uncovered}


def estimate_uncovered(sheets: SheetTable, total_tables: int, *,
                       registered_uncovered: int | None = None,
                       tables_by_region: Mapping[str, int] | None = None,
                       level: str | None = None, confidence: float = 0.95
                       ) -> UncoveredEstimate:
    """Estimate (and bound) the votes of the ``total_tables - len(sheets)`` tables without a
    sheet; see the module docstring for the estimators and their assumptions.

    Parameters
    ----------
    sheets
        The tally sheets held (one row per table).
    total_tables
        Tables of the election (covered and uncovered).
    registered_uncovered
        The most registered voters the uncovered tables can have (for the bound).
    tables_by_region
        Tables per region of ``level`` when known; otherwise they are allocated (gaps inside
        covered centres, then in proportion to the covered tables).
    level
        The stratification level (default: the sheets' top level).
    confidence
        Of the intervals.
    """
    keys = list(sheets.candidates)
    n_cov = len(sheets)
    m_total = max(0, int(total_tables) - n_cov)
    level = level or (sheets.levels[0] if sheets.levels else None)
    frame = _strata(sheets, level)
    regions = frame.groupby("region", sort=False)
    n_h = regions.size()
    m_h, gaps_h = _uncovered_tables(sheets, frame["region"].to_numpy(), n_h, m_total,
                                    tables_by_region)
    estimate = regions[["valid", *keys]].mean().mul(m_h, axis=0)
    covered = regions[["valid", *keys]].sum()
    valid_total = float(covered["valid"].sum() + estimate["valid"].sum())
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    rows = []
    for k in keys:
        national = float(covered[k].sum() + estimate[k].sum())
        p = national / valid_total if valid_total else float("nan")
        var = _ratio_variance(frame[k] - p * frame["valid"], frame, m_h, n_h) / \
            valid_total ** 2 if valid_total else float("nan")
        se = float(np.sqrt(var))
        row = {"key": k, "covered": float(covered[k].sum()), "estimate": float(
            estimate[k].sum()), "national": national, "share": 100 * p,
            "low": 100 * (p - z * se), "high": 100 * (p + z * se), "se": 100 * se}
        row.update(_bound(float(covered[k].sum()), float(covered["valid"].sum()),
                          registered_uncovered))
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("national", ascending=False, kind="stable") \
        .reset_index(drop=True)
    margin = _margin(table, frame, covered, m_h, n_h, valid_total, z, registered_uncovered)
    first, second = margin["first"], margin["second"]
    lead_p = margin["points"]
    by_region = pd.DataFrame({
        "region_code": n_h.index.astype(str),
        "region_name": regions["name"].first().reindex(n_h.index).to_numpy(),
        "covered_tables": n_h.to_numpy(dtype=int), "uncovered_tables": m_h.to_numpy(),
        "gaps": gaps_h.to_numpy(), f"estimate_{first}": estimate[first].to_numpy(),
        f"estimate_{second}": estimate[second].to_numpy()})
    params = {"first": first, "second": second, "share": float(table["share"].iloc[0]),
              "low": float(table["low"].iloc[0]), "high": float(table["high"].iloc[0]),
              "second_share": float(table["share"].iloc[1]) if len(table) > 1 else 0.0,
              "uncovered": m_total, "gaps": int(gaps_h.sum()),
              "confidence": 100 * confidence}
    return UncoveredEstimate(
        test=TEST, statistic=float(table["share"].iloc[0]), pvalue=None,
        effect=lead_p, effect_unit="points (leader minus runner-up, national estimate)",
        n=n_cov, null="missing at random within each state (estimate); none (bound)",
        evidence=Evidence.NOT_TESTED, table=table,
        message=Message("estimate.summary", params),
        params={"total_tables": int(total_tables), "level": level, "confidence": confidence},
        covered_tables=n_cov, uncovered_tables=m_total, gap_tables=int(gaps_h.sum()),
        registered_uncovered=registered_uncovered, confidence=confidence, margin=margin,
        by_region=by_region)


__all__ = ["TEST", "UncoveredEstimate", "estimate_uncovered"]
