r"""Quick count (parallel vote tabulation): a stratified random sample of tables, drawn from a
public seed, and each candidate's national share estimated from the sampled tally sheets.

A quick count is how observer groups verify an official result on election night without
waiting for every sheet: a random sample of polling tables is drawn before the election,
observers at those tables report their tally sheets, and the shares among the sampled sheets
estimate the national shares with a known margin of error. The methodology observer groups
use (random sample of stations from the official list, stratified by region, estimates with
their margin of error, verification of the official result against them) is set out in NDI's
handbook [estok2002]; the estimator and its variance are the textbook stratified ratio estimator
[cochran1977] [lohr2010].

**The draw.** The frame is the list of every table (file order), each in a stratum (its
region at ``level``). The sample size ``n`` is allocated to strata proportionally to their
number of tables (largest remainders; at least ``minimum`` per stratum, so that each
stratum's variance can be estimated). Within stratum *h*, the ``n_h`` tables are drawn
uniformly without replacement with :func:`audit.checks.sampling.uniform_draws` — the public
procedure of ``sample-size --public-seed`` — from the seed ``"<seed>/<stratum code>"`` and the
stratum's tables in frame order: draw *i* is ``SHA-256("<seed>/<h>,<i>") mod N_h``, repeats
skipped. Anyone with the frame and the seed repeats the draw.

**The estimate.** For candidate *k* with votes :math:`y_i` and valid votes :math:`x_i` on
sampled table *i*, the combined ratio estimator [cochran1977] (§6.11) of the national share is

.. math:: \hat R_k = \frac{\sum_h N_h \bar y_h}{\sum_h N_h \bar x_h},

with the linearised variance

.. math:: v(\hat R_k) = \frac{1}{\hat X^2} \sum_h N_h^2 \Bigl(1 - \frac{m_h}{N_h}\Bigr)
          \frac{s^2_{e,h}}{m_h}, \qquad e_i = y_i - \hat R_k x_i,

where :math:`m_h` is the number of sampled tables of stratum *h* whose sheet is held,
:math:`s^2_{e,h}` the sample variance of the residuals in the stratum and
:math:`\hat X = \sum_h N_h \bar x_h`. The interval is :math:`\hat R_k \pm t_{d} \sqrt{v}`
with :math:`d = \sum_h (m_h - 1)` degrees of freedom [lohr2010]. A stratum with one sheet uses the
pooled within-stratum variance; a stratum with none is left out of the estimate (said in
the result).

**Missing sheets.** Sampled tables without a sheet are treated as missing at random within
their stratum: the estimate is then of the tables like those that reported. Observer groups
chase every sampled sheet for this reason; the result reports how many arrived.

**The official result.** A claim's share of a category (a candidate, or ``OTHERS``) is its
count over its valid votes (or its percentage, with the precision it was announced at). It
lies inside the interval when the two overlap. The p-value of a category is the two-sided
normal tail of the distance from the estimate to the nearest share the claim allows, in
standard errors; the result's p-value is the smallest, times the number of categories
compared (Bonferroni).

References
----------
By key of the bibliography, :mod:`audit.references`, where the full entries are:

- Estok et al. (2002) [estok2002]
- Cochran (1977) [cochran1977]: ch. 5 (stratified random sampling) and §6.11 (ratio estimates in
  stratified random sampling)
- Lohr (2010) [lohr2010]: ch. 3 (stratified sampling) and ch. 4 (ratio estimation)
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from audit._json import jsonable
from audit._version import __version__
from audit.checks.result import CheckResult, Evidence, Message, evidence_from_pvalue
from audit.checks.sampling import uniform_draws
from audit.errors import AuditError
from audit.inert import restore, write_csv
from audit.ledger import OTHERS, Claim
from audit.model import (
    SheetTable,
    natural_sorted,
    region_code_column,
    region_name_column,
    sha256_file,
)

SAMPLE_SCHEMA = "election-audit/quickcount-sample"
SCHEMA = "election-audit/quickcount"
SCHEMA_VERSION = 1
#: Stratum of tables whose region is not stated.
NO_REGION = "(none)"
_SAMPLE_COLUMNS = ("draw", "stratum", "stratum_name", "stratum_draw", "frame_index",
                   "center_id", "table_id", "stratum_tables", "stratum_sample")


# --------------------------------------------------------------------------------------------
# Frame and draw
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplingFrame:
    """Every table the sample is drawn from, in frame order, each with its stratum.

    Attributes
    ----------
    tables : DataFrame
        ``center_id``, ``table_id``, ``stratum`` (region code at ``level``, ``"national"``
        without a level, :data:`NO_REGION` where unstated) and ``stratum_name``.
    level : str or None
        The region level of the strata (None: one stratum).
    sha256 : str
        SHA-256 of the frame's file(s), published with the seed.
    source : str
        The frame's file name(s).
    """

    tables: pd.DataFrame
    level: str | None
    sha256: str
    source: str
    _positions: dict[str, np.ndarray] = field(default_factory=dict, repr=False,
                                              compare=False)
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.tables) == 0:
            raise AuditError("the sampling frame has no tables")
        keys = self.tables["center_id"].astype(str) + "\x1f" + self.tables["table_id"].astype(str)
        if keys.duplicated().any():
            shown = keys[keys.duplicated()].iloc[0].replace("\x1f", "/").lstrip("/")
            raise AuditError(f"the sampling frame lists table {shown} twice")
        groups = pd.Series(np.arange(len(self.tables))).groupby(
            self.tables["stratum"].to_numpy(), sort=False)
        self._positions.update({str(h): idx.to_numpy(np.int64) for h, idx in groups})
        self._columns.update({c: self.tables[c].to_numpy(dtype=object)
                              for c in ("center_id", "table_id", "stratum_name")})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, level: str | None, *, sha256: str,
                   source: str) -> SamplingFrame:
        """A frame from canonical columns: ``table_id``, optional ``center_id`` and, with a
        level, ``region_<level>_code`` (and ``_name``)."""
        if "table_id" not in frame:
            raise AuditError(f"{source}: a sampling frame needs a table_id column (the "
                             f"canonical layout of 'ingest --out' or 'track export')")
        tables = pd.DataFrame({
            "center_id": frame["center_id"].astype("string").fillna("").to_numpy(dtype=object)
            if "center_id" in frame else np.full(len(frame), "", dtype=object),
            "table_id": frame["table_id"].astype("string").fillna("").to_numpy(dtype=object)})
        if level is None:
            tables["stratum"] = "national"
            tables["stratum_name"] = ""
        else:
            code = region_code_column(level)
            if code not in frame:
                raise AuditError(f"{source}: the frame has no {code} column to stratify by "
                                 f"{level!r}")
            strata = frame[code].astype("string").fillna("").replace("", NO_REGION)
            tables["stratum"] = strata.to_numpy(dtype=object)
            name = region_name_column(level)
            tables["stratum_name"] = (frame[name].astype("string").fillna("")
                                      .to_numpy(dtype=object) if name in frame else "")
        return cls(tables=tables, level=level, sha256=sha256, source=source)

    @classmethod
    def from_sheets(cls, sheets: SheetTable, level: str | None) -> SamplingFrame:
        """The tables of a set of sheets as the frame (their files' SHA-256 identify it)."""
        if level is not None and level not in sheets.levels:
            raise AuditError(f"the sheets have no region level {level!r} to stratify by "
                             f"(levels: {', '.join(sheets.levels) or 'none'})")
        prov = sheets.provenance
        sha = prov[0].sha256 if len(prov) == 1 else hashlib.sha256("\n".join(sorted(
            f"{p.path}:{p.sha256}" for p in prov)).encode()).hexdigest()
        return cls.from_frame(sheets.data, level, sha256=sha,
                              source=", ".join(p.path for p in prov) or sheets.name)

    @classmethod
    def from_file(cls, path: Path, level: str | None) -> SamplingFrame:
        """A frame file in canonical columns (CSV or Parquet), all cells read as text."""
        path = Path(path)
        try:
            if path.suffix.lower() == ".parquet":
                frame = pd.read_parquet(path).astype("string")
            else:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                                    encoding="utf-8-sig")
        except FileNotFoundError:
            raise AuditError(f"frame file not found: {path}") from None
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            raise AuditError(f"{path}: cannot read the frame ({exc})") from None
        return cls.from_frame(frame, level, sha256=sha256_file(path), source=path.name)

    def strata(self) -> pd.Series:
        """Tables per stratum (``N_h``), strata in natural order."""
        order = natural_sorted(self._positions)
        return pd.Series([len(self._positions[h]) for h in order],
                         index=pd.Index(order, name="stratum"), name="tables", dtype=np.int64)

    def allocate(self, n: int, *, minimum: int = 2) -> pd.Series:
        """``n_h``: ``n`` split proportionally to stratum sizes (largest remainders), at
        least ``minimum`` (or the whole stratum) per stratum."""
        sizes = self.strata()
        total = int(sizes.sum())
        if n > total:
            raise AuditError(f"cannot draw {n:,} tables from a frame of {total:,}")
        floor = np.minimum(sizes.to_numpy(), minimum)
        if n < floor.sum():
            raise AuditError(f"a sample of {n:,} tables cannot give {minimum} to each of "
                             f"{len(sizes)} strata; draw at least {int(floor.sum()):,}")
        quota = n * sizes.to_numpy() / total
        alloc = np.maximum(np.floor(quota).astype(np.int64), floor)
        while alloc.sum() > n:  # the floors took more than their share: trim the largest
            spare = np.where(alloc > floor, alloc - quota, -np.inf)
            alloc[int(np.argmax(spare))] -= 1
        room = sizes.to_numpy() - alloc
        remainder = np.where(room > 0, quota - alloc, -np.inf)
        order = np.lexsort((np.arange(len(alloc)), -remainder))  # ties: stratum order
        alloc[order[:n - int(alloc.sum())]] += 1
        return pd.Series(alloc, index=sizes.index, name="sample", dtype=np.int64)

    def draw(self, n: int, *, seed: str, minimum: int = 2) -> QuickCountSample:
        """Draw the stratified sample (see the module docstring)."""
        if not isinstance(seed, str) or not seed.strip():
            raise AuditError("the public seed must be a non-empty string")
        alloc = self.allocate(n, minimum=minimum)
        picks = np.concatenate([  # a loop over strata, never over tables
            self._positions[str(h)][uniform_draws(f"{seed}/{h}", int(n_h),
                                                  len(self._positions[str(h)]))]
            for h, n_h in alloc.items()])
        counts = alloc.to_numpy()
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        draws = pd.DataFrame({
            "draw": np.arange(1, len(picks) + 1, dtype=np.int64),
            "stratum": np.repeat(alloc.index.to_numpy(dtype=object), counts),
            "stratum_name": self._columns["stratum_name"][picks],
            "stratum_draw": np.arange(len(picks), dtype=np.int64) - starts + 1,
            "frame_index": picks + 1,
            "center_id": self._columns["center_id"][picks],
            "table_id": self._columns["table_id"][picks],
            "stratum_tables": np.repeat([len(self._positions[str(h)]) for h in alloc.index],
                                        counts),
            "stratum_sample": np.repeat(counts, counts)})
        return QuickCountSample(draws=draws, seed=seed, level=self.level,
                                frame_sha256=self.sha256, frame_source=self.source,
                                frame_tables=len(self.tables))


@dataclass(frozen=True)
class QuickCountSample:
    """A drawn sample: one row per table (columns ``draw``, ``stratum``, ``stratum_name``,
    ``stratum_draw``, ``frame_index`` (1-based), ``center_id``, ``table_id``,
    ``stratum_tables`` (N_h) and ``stratum_sample`` (n_h)), with what identifies the draw."""

    draws: pd.DataFrame
    seed: str
    level: str | None
    frame_sha256: str
    frame_source: str
    frame_tables: int

    def header(self) -> dict[str, Any]:
        return {"schema": f"{SAMPLE_SCHEMA} {SCHEMA_VERSION}", "seed": self.seed,
                "level": self.level or "none", "frame": self.frame_source,
                "frame_sha256": self.frame_sha256, "frame_tables": self.frame_tables,
                "size": len(self.draws), "package_version": __version__}

    def to_csv(self, path: Path) -> None:
        """Write the sample: ``# key: value`` header lines, then the draws as CSV."""
        text = "".join(f"# {k}: {v}\n" for k, v in self.header().items())
        text += write_csv(self.draws[list(_SAMPLE_COLUMNS)]) or ""  # inert (audit.inert)
        Path(path).write_text(text, encoding="utf-8")

    @classmethod
    def from_csv(cls, path: Path) -> QuickCountSample:
        """Read a sample written by :meth:`to_csv`."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AuditError(f"sample file not found: {path}") from None
        except UnicodeDecodeError:
            raise AuditError(f"{path}: not a quick-count sample (not UTF-8 text)") from None
        lines = text.splitlines(keepends=True)
        meta: dict[str, str] = {}
        body = 0
        while body < len(lines) and lines[body].startswith("# "):
            key, _, value = lines[body][2:].rstrip("\n").partition(": ")
            meta[key] = value
            body += 1
        if not meta.get("schema", "").startswith(SAMPLE_SCHEMA):
            raise AuditError(f"{path}: not a quick-count sample (written by 'quickcount -o')")
        try:
            draws = pd.read_csv(io.StringIO("".join(lines[body:])), dtype=str,
                                keep_default_na=False)
            draws = draws.apply(restore)
            for col in ("draw", "stratum_draw", "frame_index", "stratum_tables",
                        "stratum_sample"):
                draws[col] = draws[col].astype(np.int64)
            level = meta["level"]
            sample = cls(draws=draws[list(_SAMPLE_COLUMNS)], seed=meta["seed"],
                         level=None if level == "none" else level,
                         frame_sha256=meta["frame_sha256"], frame_source=meta["frame"],
                         frame_tables=int(meta["frame_tables"]))
        except (KeyError, ValueError) as exc:
            raise AuditError(f"{path}: damaged quick-count sample ({exc})") from None
        return sample


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioEstimate:
    """Stratified (combined) ratio estimates of several ratios sharing one denominator."""

    estimate: np.ndarray
    se: np.ndarray
    df: int
    strata_used: int
    strata_missing: tuple[str, ...] = ()

    def interval(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """The two-sided interval at ``confidence`` (Student t with ``df`` degrees)."""
        t = float(stats.t.ppf(0.5 + confidence / 2, max(self.df, 1)))
        return self.estimate - t * self.se, self.estimate + t * self.se


def ratio_estimate(y: np.ndarray, x: np.ndarray, stratum: np.ndarray,
                   stratum_tables: np.ndarray, stratum_codes: Sequence[str] = ()
                   ) -> RatioEstimate:
    """The combined ratio estimator and its linearised variance (module docstring, [cochran1977]).

    Parameters
    ----------
    y : array (m, K)
        Numerators (e.g. each candidate's votes) of the ``m`` sampled tables held.
    x : array (m,)
        Denominator (valid votes) of the same tables.
    stratum : int array (m,)
        Stratum index (0 … H−1) of each table.
    stratum_tables : array (H,)
        ``N_h``: tables of each stratum in the frame.
    stratum_codes : sequence of str, optional
        Names of the strata, to report the ones without any table.
    """
    y = np.asarray(y, dtype=np.float64).reshape(len(x), -1)
    x = np.asarray(x, dtype=np.float64)
    big_n = np.asarray(stratum_tables, dtype=np.float64)
    h_count = len(big_n)
    m_h = np.bincount(stratum, minlength=h_count).astype(np.float64)
    used = m_h > 0
    onehot = np.zeros((len(x), h_count))
    onehot[np.arange(len(x)), stratum] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        x_mean = np.where(used, onehot.T @ x / m_h, 0.0)
        y_mean = np.where(used[:, None], (onehot.T @ y) / m_h[:, None], 0.0)
    x_hat = float(big_n @ x_mean)
    if x_hat <= 0:
        raise AuditError("the sampled sheets hold no valid votes")
    r_hat = (big_n @ y_mean) / x_hat
    e = y - x[:, None] * r_hat[None, :]
    s1 = onehot.T @ e
    s2 = onehot.T @ (e * e)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2_h = (s2 - s1 * s1 / m_h[:, None]) / (m_h - 1)[:, None]
    several = m_h > 1
    if several.any():
        weights = (m_h - 1)[several]
        pooled = (weights @ s2_h[several]) / weights.sum()
    else:
        pooled = np.full(y.shape[1], np.nan)
    s2_h = np.where(several[:, None], s2_h, pooled[None, :])
    s2_h = np.maximum(s2_h, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(used[:, None], (big_n ** 2 * (1 - m_h / big_n) / m_h)[:, None] * s2_h,
                         0.0)
    se = np.sqrt(terms.sum(axis=0)) / x_hat
    missing = tuple(str(stratum_codes[int(i)]) for i in np.flatnonzero(~used)) \
        if len(stratum_codes) else ()
    return RatioEstimate(estimate=r_hat, se=se, df=int((m_h[used] - 1).sum()),
                         strata_used=int(used.sum()), strata_missing=missing)


def official_shares(claim: Claim, candidates: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Each category's share of valid votes as the claim allows it: ``(low, high)``.

    From counts over the claim's valid votes (stated, or the sum of complete counts); else
    from percentages of valid votes (or of an unstated base), with their announced precision.
    Categories are the claim's candidates and ``OTHERS``.
    """
    shares: dict[str, tuple[float, float]] = {}
    valid = claim.valid_total(candidates)
    if claim.counts and valid is not None and valid.high > 0:
        for key, count in claim.counts.items():
            shares[key] = (count.low / valid.high, min(1.0, count.high / max(valid.low, 1)))
        return shares
    if claim.percentages and claim.percent_base in ("valid", "unknown"):
        for key, pct in claim.percentages.items():
            if pct.approximate or pct.bound:
                continue
            low, high = pct.fraction_interval(claim.percent_rounding)
            shares[key] = (float(low), float(high))
    return shares


@dataclass(frozen=True, kw_only=True)
class QuickCountResult(CheckResult):
    """A quick count: estimates with intervals, and the official result against them.

    Besides the fields of :class:`CheckResult`: ``table`` has one row per category
    (``key``, ``estimate``, ``se``, ``low``, ``high``, and with an official claim
    ``official_low``, ``official_high``, ``inside``, ``pvalue``); ``drawn`` and ``held``
    (sampled tables, and those whose sheet was found), ``confidence``, ``seed``, ``level``,
    ``strata`` and ``strata_missing``, ``frame_tables``, ``frame_sha256``, ``official``
    (claim id or ""), ``inside`` (every compared category inside its interval, None without a
    claim) and ``leader`` (the estimated leader).
    """

    drawn: int
    held: int
    confidence: float
    seed: str
    level: str | None
    strata: int
    strata_missing: tuple[str, ...]
    frame_tables: int
    frame_sha256: str
    official: str
    inside: bool | None
    leader: str

    def to_dict(self) -> dict[str, Any]:
        out = {name: jsonable(getattr(self, name)) for name in self.__dataclass_fields__}
        out["sentence"] = self.sentence
        out["schema"] = SCHEMA
        out["schema_version"] = SCHEMA_VERSION
        out["package_version"] = __version__
        return out


def quick_count(sheets: SheetTable, sample: QuickCountSample, *, confidence: float = 0.95,
                official: Claim | None = None) -> QuickCountResult:
    """Estimate every candidate's national share of valid votes from the sampled sheets.

    Parameters
    ----------
    sheets : SheetTable
        The tally sheets held (any superset of the sample; others are ignored).
    sample : QuickCountSample
        The drawn sample (:meth:`SamplingFrame.draw` or :meth:`QuickCountSample.from_csv`).
    confidence : float
        Level of the intervals.
    official : Claim, optional
        A claim (e.g. the latest official bulletin) to place against the intervals.

    Returns
    -------
    QuickCountResult
        ``pvalue`` and ``evidence`` measure how far the claim lies from the estimates
        (None / not tested without a claim). See the module docstring for every formula.
    """
    if not 0 < confidence < 1:
        raise AuditError(f"the confidence level must be in (0, 1), got {confidence}")
    draws = sample.draws
    key_sheets = (sheets.data["center_id"].astype("string").fillna("") + "\x1f"
                  + sheets.data["table_id"].astype("string").fillna(""))
    key_draws = draws["center_id"].astype(str) + "\x1f" + draws["table_id"].astype(str)
    at = pd.Index(key_sheets.to_numpy(dtype=object)).get_indexer(key_draws.to_numpy())
    found = at >= 0
    codes = natural_sorted(draws["stratum"].astype(str).unique())
    sizes = draws.groupby("stratum")["stratum_tables"].first().reindex(codes).to_numpy()
    stratum = pd.Index(codes).get_indexer(pd.Index(draws["stratum"].astype(str)))[found]
    rows = at[found]
    categories = list(sheets.candidates)
    votes = sheets.votes[rows].astype(np.float64)
    listed: list[str] = []
    if official is not None:
        listed = [k for k in official.counts or official.percentages if k != OTHERS]
        if OTHERS in (official.counts or official.percentages):
            rest = [i for i, k in enumerate(categories) if k not in listed]
            votes = np.column_stack([votes, votes[:, rest].sum(axis=1)])
            categories.append(OTHERS)
    if not found.any():
        raise AuditError(f"none of the {len(draws):,} sampled tables has a sheet among the "
                         f"{len(sheets):,} given; check that the sample was drawn from "
                         f"this election's tables")
    valid = sheets.counts("valid")[rows]
    est = ratio_estimate(votes, valid, stratum, sizes, codes)
    low, high = est.interval(confidence)
    table = pd.DataFrame({"key": categories, "estimate": est.estimate, "se": est.se,
                          "low": low, "high": high})
    leader = str(table.loc[table["key"] != OTHERS].sort_values(
        "estimate", ascending=False, kind="stable")["key"].iloc[0])
    pvalue: float | None = None
    inside: bool | None = None
    claim_id = ""
    if official is not None:
        claim_id = official.id
        allowed = official_shares(official, sheets.candidates)
        o_low = table["key"].map(lambda k: allowed.get(k, (np.nan, np.nan))[0]).astype(float)
        o_high = table["key"].map(lambda k: allowed.get(k, (np.nan, np.nan))[1]).astype(float)
        compared = o_low.notna().to_numpy()
        gap = np.maximum(0.0, np.maximum(o_low - table["high"], table["low"] - o_high))
        distance = np.maximum(0.0, np.maximum(o_low - table["estimate"],
                                              table["estimate"] - o_high))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(table["se"] > 0, distance / table["se"],
                         np.where(distance > 0, np.inf, 0.0))
        p_each = 2 * stats.norm.sf(z)
        table["official_low"] = o_low
        table["official_high"] = o_high
        table["inside"] = pd.Series(gap <= 0, dtype="boolean").where(compared)
        table["pvalue"] = np.where(compared, p_each, np.nan)
        if compared.any():
            pvalue = float(min(1.0, compared.sum() * np.min(p_each[compared])))
            inside = bool((gap[compared] <= 0).all())
    message = _message(table, leader, official, inside, pvalue, confidence,
                       int(found.sum()), len(draws), sample.seed)
    params = {"confidence": confidence, "seed": sample.seed, "level": sample.level,
              "size": len(draws), "official": claim_id, "frame_sha256": sample.frame_sha256}
    return QuickCountResult(
        test="quickcount.shares", statistic=float(table["estimate"].max()), pvalue=pvalue,
        effect=None, effect_unit="share of valid votes", n=int(found.sum()),
        null="the claim's shares are the true shares (stratified ratio estimator, "
             "normal approximation)" if official is not None else "",
        evidence=evidence_from_pvalue(pvalue) if pvalue is not None else Evidence.NOT_TESTED,
        table=table, message=message, params=params, drawn=len(draws),
        held=int(found.sum()), confidence=confidence, seed=sample.seed, level=sample.level,
        strata=est.strata_used, strata_missing=est.strata_missing,
        frame_tables=sample.frame_tables, frame_sha256=sample.frame_sha256, official=claim_id,
        inside=inside, leader=leader)


def _message(table: pd.DataFrame, leader: str, official: Claim | None, inside: bool | None,
             pvalue: float | None, confidence: float, held: int, drawn: int,
             seed: str) -> Message:
    row = table.set_index("key").loc[leader]
    base = {"held": held, "drawn": drawn, "seed": seed, "leader": leader,
            "estimate": 100 * row["estimate"], "low": 100 * row["low"],
            "high": 100 * row["high"], "confidence": f"{100 * confidence:g}"}
    if official is None or inside is None:
        return Message("quickcount.estimate", base)
    compared = table[table["official_low"].notna()]
    worst = compared.sort_values("pvalue", kind="stable").iloc[0]
    params = {**base, "claim": official.id, "key": worst["key"],
              "official": 100 * (worst["official_low"] + worst["official_high"]) / 2,
              "key_low": 100 * worst["low"], "key_high": 100 * worst["high"],
              "p": pvalue if pvalue is not None else math.nan}
    return Message("quickcount.official_inside" if inside else "quickcount.official_outside",
                   params)


def read_sample_or_draw(frame: SamplingFrame | None, *, sample: QuickCountSample | None,
                        seed: str | None, size: int) -> QuickCountSample:
    """The sample given, or the one drawn from ``frame`` with ``seed`` (exactly one)."""
    if sample is not None:
        if seed is not None and seed != sample.seed:
            raise AuditError(f"the sample was drawn with public seed {sample.seed!r}, not "
                             f"{seed!r}")
        return sample
    if frame is None or seed is None:
        raise AuditError("give --public-seed to draw the sample, or --sample FILE")
    return frame.draw(size, seed=seed)


def stratum_summary(sample: QuickCountSample, sheets: SheetTable | None) -> pd.DataFrame:
    """Per stratum: tables in the frame, drawn, and sheets held for them."""
    draws = sample.draws
    out = draws.groupby("stratum", sort=False).agg(
        name=("stratum_name", "first"), tables=("stratum_tables", "first"),
        drawn=("draw", "size"))
    if sheets is not None:
        held_keys = (sheets.data["center_id"].astype(str) + "\x1f"
                     + sheets.data["table_id"].astype(str))
        keys = draws["center_id"].astype(str) + "\x1f" + draws["table_id"].astype(str)
        out["held"] = keys.isin(held_keys).groupby(draws["stratum"], sort=False).sum()
    out = out.reindex(natural_sorted(out.index))
    return out.reset_index()
