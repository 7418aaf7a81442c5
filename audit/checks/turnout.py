"""Turnout and vote-share forensics on tally sheets.

Checks (each a pure function returning a frozen :class:`~audit.checks.CheckResult` subclass):

==================================  ===========================================================
:func:`distribution`                turnout and leader-share distributions (summary table)
:func:`spike_at_100`                stations at exactly 100% turnout / share vs a beta-binomial
:func:`integer_percentages`         integer-percentage excess (Kobak et al. 2016)
:func:`regional_outliers`           robust modified z within region, simulation null
:func:`turnout_share_correlation`   weighted Pearson r, national and per region (descriptive)
:func:`skewness`, :func:`kurtosis`  EFT moments with bootstrap intervals (Gaussian benchmark)
:func:`dip_test`                    Hartigan's dip test of unimodality (EFT ``DipT``)
:func:`sobyanin_sukhovolsky`        slope of votes/electorate on turnout (EFT ``Sobyanin``)
:func:`shpilkin_excess`             Shpilkin-style estimate of anomalous votes (descriptive)
==================================  ===========================================================

Definitions (see :mod:`audit.checks.stations`): turnout ``T = ballots / registered``; share
``S = votes / base`` with ``base`` the valid votes (``share_of="valid"``) or the ballots in
the box (``share_of="counted"``). Stations whose turnout exceeds 100% are arithmetic
contradictions (the consistency family reports them) and are excluded here, counted in
``excluded``. Every check that draws random numbers takes ``rng``.

None of these checks can tell fraud from legitimate heterogeneity on its own: turnout and
preference are genuinely correlated through urban/rural and ethnic composition, closed
institutions (hospitals, barracks) legitimately report 100% turnout, and regional blocs make
distributions multimodal. Each result reports evidence against a stated null, not a verdict.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from audit._random import RNGLike, as_generator
from audit.checks._cache import DrawCache, draw
from audit.checks._options import DEFAULT_RESAMPLES
from audit.checks.null import NationalDraws
from audit.checks.pvalues import (
    EXCEEDANCES,
    SMALLEST,
    count_pvalue,
    fitted_tail,
    normal_tail,
    poisson_binomial_pvalue,
    sign_flip_test,
)
from audit.checks.registry import CheckSpec, Runner, register, runner
from audit.checks.result import CheckResult, Evidence, Message, evidence_from_pvalue
from audit.checks.stations import (
    QUANTITIES,
    Stations,
    beta_binomial_pmf_at_n,
    centred_log_size,
    check_choice,
    detrend,
    logit,
    modified_z,
    near_integer_by_group,
    near_integer_percent,
    near_integer_probability,
    stations,
    truncated_beta_binomial,
)
from audit.model import SheetTable, candidate_label, vote_column

#: ``progress(done, total)`` is called as Monte Carlo work advances (e.g. a CLI progress bar).
Progress = Callable[[int, int], None]

_EMPTY = pd.DataFrame()


def _pct(x: float) -> float:
    return 100.0 * x


def _usable(st: Stations, quantity: str) -> tuple[np.ndarray, dict[str, int]]:
    """Mask of stations usable for ``quantity`` and the exclusion counts."""
    excluded: dict[str, int] = {}
    ok = np.ones(st.n, dtype=bool)
    if quantity in ("turnout", "both"):
        no_reg = ~(st.registered > 0)
        excluded["registered_missing_or_zero"] = int(no_reg.sum())
        over = ~no_reg & (st.ballots > st.registered)
        excluded["turnout_over_100"] = int(over.sum())
        ok &= ~no_reg & ~over
    if quantity in ("share", "both"):
        no_base = ~(st.base > 0)
        excluded["no_votes_in_base"] = int((no_base & ok).sum())
        ok &= ~no_base
    return ok, {k: v for k, v in excluded.items() if v}


def _quantity_stations(sheets: SheetTable, quantity: str, candidate: str | None,
                       share_of: str, level: str | None = None
                       ) -> tuple[Stations, np.ndarray, dict[str, int]]:
    """Stations of ``quantity`` (turnout or share), the usable mask and the exclusions."""
    check_choice("quantity", quantity, QUANTITIES)
    st = stations(sheets, candidate=candidate, share_of=share_of,
                  need_registered=quantity == "turnout", level=level)
    ok, excluded = _usable(st, quantity)
    return st, ok, excluded


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    return np.asarray(np.interp(q * cw[-1], cw, x[order]))


# --------------------------------------------------------------------------------------------
# Distribution summary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DistributionResult(CheckResult):
    """Summary of the turnout and share distributions (descriptive, no test)."""


def distribution(sheets: SheetTable, *, candidate: str | None = None,
                 share_of: str = "valid") -> DistributionResult:
    """Summarise the station distributions of turnout and of a candidate's share.

    Parameters
    ----------
    sheets
        Tally sheets. Turnout rows are omitted when no sheet states registered voters.
    candidate
        Candidate key; default the overall leader.
    share_of
        ``"valid"`` or ``"counted"`` (see the module docstring).

    Returns
    -------
    DistributionResult
        ``table`` has one row per quantity (``turnout``, ``share``): stations, mean,
        weighted mean (the aggregate rate), SD, quantiles, skewness, excess kurtosis and the
        stations exactly at 0% and 100%. ``statistic`` is the aggregate turnout (or share
        when turnout is unavailable); ``pvalue`` is None.

    Notes
    -----
    Descriptive only. Clean turnout distributions are often skewed and heavy-tailed
    (Borghesi, Raimbault & Bouchaud 2012 [borghesi2012]), so shape alone is
    not evidence of anything.
    """
    st = stations(sheets, candidate=candidate, share_of=share_of)
    rows = []
    excluded: dict[str, int] = {}
    quantities = ["turnout", "share"] if sheets.has("registered") else ["share"]
    for quantity in quantities:
        ok, exc = _usable(st, quantity)
        excluded.update({f"{quantity}.{k}": v for k, v in exc.items()})
        trials, succ = st.trials_successes(quantity)
        x = succ[ok] / trials[ok]
        if x.size == 0:
            continue
        q = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95])
        rows.append({
            "quantity": quantity, "stations": int(x.size), "mean": float(x.mean()),
            "weighted_mean": float(succ[ok].sum() / trials[ok].sum()),
            "sd": float(x.std(ddof=1)) if x.size > 1 else math.nan,
            "q05": q[0], "q25": q[1], "median": q[2], "q75": q[3], "q95": q[4],
            "skewness": float(stats.skew(x)) if x.size > 2 else math.nan,
            "excess_kurtosis": float(stats.kurtosis(x)) if x.size > 3 else math.nan,
            "at_0": int((succ[ok] == 0).sum()), "at_100": int((succ[ok] == trials[ok]).sum()),
        })
    table = pd.DataFrame(rows)
    if table.empty:
        raise ValueError("no station has a usable turnout or share")
    first = table.iloc[0]
    share_row = table.loc[table["quantity"] == "share"]
    params = {"candidate": st.candidate, "share_of": share_of}
    msg = {"candidate": candidate_label(st.candidate, sheets.election),
           "stations": int(first["stations"]),
           "aggregate": _pct(first["weighted_mean"]), "median": _pct(first["median"]),
           "q05": _pct(first["q05"]), "q95": _pct(first["q95"]),
           "share_median": _pct(share_row["median"].iloc[0]) if len(share_row) else math.nan}
    message_id = "turnout.distribution" if first["quantity"] == "turnout" \
        else "turnout.distribution_share_only"
    return DistributionResult(
        test="turnout.distribution", statistic=float(first["weighted_mean"]), pvalue=None,
        effect=None, effect_unit="", n=int(first["stations"]), null="none (descriptive)",
        evidence=Evidence.NOT_TESTED, table=table,
        message=Message(message_id, msg), excluded=excluded, params=params,
        candidate=st.candidate)


# --------------------------------------------------------------------------------------------
# Spikes at 100%
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SpikeResult(CheckResult):
    """Stations at exactly 100% against the beta-binomial expectation.

    ``probabilities`` holds each station's chance of an honest 100% (the null of the count;
    not written to JSON).
    """

    observed: int = 0
    expected: float = 0.0
    quantity: str = "turnout"
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0),
                                      metadata={"json": False})


def spike_at_100(sheets: SheetTable, *, quantity: str = "turnout",
                 candidate: str | None = None, share_of: str = "valid",
                 min_trials: int = 1, level: str | None = None) -> SpikeResult:
    """Count stations at exactly 100% turnout (or 100% share) against an honest null.

    Null: within each region, station counts are beta-binomial, fitted by maximum likelihood
    to the stations *below* 100% (:func:`audit.checks.stations.truncated_beta_binomial`), so
    that stations written at 100% do not define their own null. Station ``i`` is at 100%
    with probability ``P_i = P(K_i = n_i)`` and the expected number is ``E = sum_i P_i``. The
    count is a sum of independent Bernoulli variables (Poisson-binomial); the p-value
    ``P(O* >= O)`` is its saddlepoint tail (:func:`audit.checks.pvalues.
    poisson_binomial_pvalue`), ``z = (O - E) / sqrt(sum P_i (1 - P_i))``.

    Parameters
    ----------
    quantity
        ``"turnout"`` (ballots = registered) or ``"share"`` (candidate votes = base).
    min_trials
        Ignore stations whose denominator is smaller than this.
    level
        Region level for the regional null (default: the top level).

    Returns
    -------
    SpikeResult
        ``statistic`` = observed stations, ``effect`` = observed − expected (stations),
        ``table`` one row per region with observed, expected, votes and ballots at 100%.

    Notes
    -----
    Detects the "extreme fraud" corner of Klimek et al. (2012) [klimek2012]:
    protocols written at 100% turnout or all votes to one candidate. **Not calibrated**, for
    two reasons shown on simulations: the count is discrete, and where honest counting puts
    almost no station at 100% (``E`` near 0, most elections of stations with hundreds of
    voters) the test can only reject when some station is there, so it rejects far fewer
    honest elections than 5% (none of 100 varied clean elections); where ``E`` is large
    (tiny stations, high turnout) the honest chance of exactly 100% is extrapolated from
    the shape of the distribution below it, and the error of that extrapolation (about ±70
    stations on 3,000 stations with ``E`` near 800) is larger than the Monte Carlo spread of
    the count, which the redraws do not include. A robust moment fit (median and MAD) used
    before overstated ``E`` by 60% on such elections. Known failure modes: tiny stations
    and closed institutions (hospitals, barracks, ships, prisons) legitimately reach 100%; a
    manipulation that writes 99% instead of 100% is not counted. Reference: Development
    Seed's count of 130 stations at 100% turnout in Uganda 2016 (Myagkov, Ordeshook &
    Shakin 2009 for the general logic).

    References
    ----------
    Le Cam (1960) [lecam1960]; full entries in :mod:`audit.references`.
    """
    st, ok, excluded = _quantity_stations(sheets, quantity, candidate, share_of, level)
    trials, succ = st.trials_successes(quantity)
    small = ok & (trials < min_trials)
    if small.any():
        excluded["below_min_trials"] = int(small.sum())
    ok &= ~small
    n_i = np.rint(trials[ok])
    k_i = np.rint(succ[ok])
    labels, codes = st.regions(ok)
    a, b = truncated_beta_binomial(k_i, n_i, codes, labels.size)
    prob = beta_binomial_pmf_at_n(n_i, a, b, codes)
    at100 = k_i == n_i
    observed = int(at100.sum())
    expected = float(prob.sum())
    n = int(n_i.size)
    tail = poisson_binomial_pvalue(observed, prob) if n else None
    pvalue = tail.value if tail is not None else 1.0
    votes_at = st.votes[ok][at100].sum()
    # grouped by the region codes, which sort as their labels do (labels named afterwards)
    frame = pd.DataFrame({"region": codes, "at100": at100, "expected": prob,
                          "votes": st.votes[ok] * at100, "ballots": st.ballots[ok] * at100})
    table = frame.groupby("region", sort=True).agg(
        stations=("at100", "size"), observed=("at100", "sum"), expected=("expected", "sum"),
        votes_at_100=("votes", "sum"), ballots_at_100=("ballots", "sum")).reset_index()
    table["region"] = pd.Series(labels[table["region"].to_numpy()])
    table["excess"] = table["observed"] - table["expected"]
    params = {"quantity": quantity, "candidate": st.candidate, "share_of": share_of,
              "min_trials": min_trials, "level": st.region_level}
    msg = {"observed": observed, "expected": expected, "stations": n,
           "votes": float(votes_at), "p": pvalue,
           "candidate": candidate_label(st.candidate, sheets.election)}
    return SpikeResult(
        test=f"turnout.spike_100_{quantity}", statistic=float(observed), pvalue=pvalue,
        pvalue_method="saddlepoint" if tail is not None else "exact",
        z=tail.z if tail is not None else None,
        candidate=st.candidate if quantity == "share" else None,
        effect=observed - expected, effect_unit="stations", n=n,
        null="Poisson-binomial count (beta-binomial per region fitted to the stations below "
             "100%)",
        evidence=evidence_from_pvalue(pvalue), table=table,
        message=Message(f"turnout.spike_100_{quantity}", msg), excluded=excluded,
        params=params, observed=observed, expected=expected, quantity=quantity,
        probabilities=prob)


# --------------------------------------------------------------------------------------------
# Integer percentages (Kobak, Shpilkin & Pshenichnikov 2016)
# --------------------------------------------------------------------------------------------

VARIANTS = ("either", "result", "turnout")
#: Smallest p-value the dip table resolves (its last tabulated level is 0.99999).
DIP_P_FLOOR = 1e-5


@dataclass(frozen=True, kw_only=True)
class IntegerPercentResult(CheckResult):
    """Integer-percentage excess with its exact binomial null.

    ``table`` has one row per variant (:data:`VARIANTS`): stations whose turnout or result is
    integer ("either"), whose result is integer ("result only" in the paper's figures: whatever
    the turnout) and whose turnout is integer. ``by_percent`` counts stations per integer
    percent (observed, and the null's mean and 95% band) for the figure. ``probabilities``
    holds each included station's chance of being integer under the null, one column per
    variant (kept by the library result, not written to JSON).
    """

    by_percent: pd.DataFrame = field(default_factory=pd.DataFrame)
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)),
                                      metadata={"json": False})
    turnout_from: str = "issued"


def integer_percentages(sheets: SheetTable, *, candidate: str | None = None,
                        share_of: str = "counted", tolerance: float = 0.05,
                        min_registered: int = 100, max_percent: float = 99.0,
                        shared: NationalDraws | None = None) -> IntegerPercentResult:
    """Excess of stations whose turnout or leader's result is an integer percentage.

    Definitions of Kobak, Shpilkin & Pshenichnikov (2016): turnout ``T = 100 G / N`` with
    ``G`` the ballots *issued* (the canonical ``issued`` column, where the sheets state it;
    elsewhere the ballots counted, and the result says so in ``turnout_from``) and ``N`` the
    registered voters; result ``R = 100 L / V`` with ``V`` the ballots counted, valid + invalid
    (``share_of="counted"``; ``"valid"`` for the share of valid votes). A station is
    *integer* for a quantity when it lies within ``tolerance`` percentage points of an
    integer; the statistic ``S`` counts stations integer in either.

    Null (the paper's §3): each station's counts are binomial around its own rates,
    ``L* ~ Bin(V, L/V)`` and ``G* ~ Bin(N, G/N)``, independently, which reproduces the
    division artefacts of small denominators (simple fractions such as 1/2, 2/3). The paper
    draws 1,000 replicates; here each station's chance of being integer is computed exactly
    (``a_i`` for the result, ``b_i`` for turnout, ``q_i = 1 - (1 - a_i)(1 - b_i)`` for
    either), so ``S*`` is a Poisson-binomial count with mean ``sum q_i`` and variance
    ``sum q_i (1 - q_i)``. The excess is ``S - E[S*]``, ``z = excess / sd(S*)``, and
    ``P(S* >= S)`` is the saddlepoint tail of that count
    (:func:`audit.checks.pvalues.poisson_binomial_pvalue`), which stays accurate far beyond
    the reach of any number of redraws (Russia 2011: p of order 10⁻¹⁸). The same is reported
    for the result alone and the turnout alone.

    Parameters
    ----------
    candidate
        The candidate whose result is examined (default: the overall leader).
    share_of
        ``"counted"`` (valid + null + blank, as in the Russian protocols and the paper) or
        ``"valid"``.
    tolerance
        Half-width of the integer window in percentage points (paper: 0.05).
    min_registered, max_percent
        Inclusion rules of the paper: ``V > 0``, ``N >= 100``, ``T <= 99%``, ``R <= 99%``
        (stations at or near 100% are excluded because 100% is trivially integer).
    shared
        In the forensics battery, the regions of the whole table
        (:class:`audit.checks.null.NationalDraws`): the stations' chances are computed once
        on the whole table and each region takes its own stations' (the same numbers; a
        region's per-percent null sums up to the order of the additions).

    Returns
    -------
    IntegerPercentResult
        ``statistic`` = S (either), ``effect`` = excess stations, ``z``, ``table`` one row
        per variant (observed, null mean, SD, excess, z, 99.9th percentile of the null
        (Cornish–Fisher), p-value).

    Notes
    -----
    Reference values, Russia 2011 Duma (AOAS criteria, ballots issued): 86,718 stations;
    excess 1,003 (authors' ``montecarlo.pickle``; an independent rerun gives 1,001), Monte
    Carlo SD 113–115; result only 767; turnout only 449. Failure modes: the plug-in null
    assumes each station's count is binomial around its own observed rate, so it cannot
    detect a protocol forged at a non-round value; rules that legitimately produce round
    results (tiny stations, machine-split counts) are kept in the null only when they come
    from division artefacts.

    References
    ----------
    Kobak, Shpilkin & Pshenichnikov (2016) [kobak2016]; full entries in
    :mod:`audit.references`.
    """
    st = stations(sheets, candidate=candidate, share_of=share_of, need_registered=True)
    ok, given, has_issued, excluded = _kobak_inclusion(sheets, st, min_registered, max_percent)
    N = st.registered[ok].astype(np.int64)
    B = given[ok].astype(np.int64)
    V = st.base[ok].astype(np.int64)
    L = st.votes[ok].astype(np.int64)
    n = int(N.size)
    if n == 0:
        raise ValueError("no station passes the inclusion rules of the integer-percentage test")
    used_issued = int(has_issued[ok].sum())
    turnout_from = ("issued" if used_issued == n else
                    "counted" if used_issued == 0 else "issued where stated, else counted")
    frac = Fraction(tolerance).limit_denominator(10**6)
    num, den = frac.numerator, frac.denominator
    res_int = near_integer_percent(L, V, num, den)
    found = None if shared is None else _national_chances(
        shared, st.candidate, share_of, min_registered, max_percent, num, den,
        (ok, V, L, N, B) if shared.region is None and shared.table is sheets else None
    ).scope(shared, ok)
    if found is None:
        a, res_by_pct = near_integer_probability(V, L / V, num, den, successes=L)
        # the turnout half does not depend on the candidate: computed once per table and
        # selection of stations (a battery tests several candidates on the same stations)
        tur_int, b, tur_by_pct, tur_row = sheets.memo(
            ("turnout.integer_percentages.turnout", num, den, _digest(ok)),
            lambda: _integer_turnout(B, N, num, den))
    else:
        a, res_by_pct, b, tur_by_pct = found
        tur_int = near_integer_percent(B, N, num, den)
        tur_row = _variant_row("turnout", int(tur_int.sum()), b)
    either = res_int | tur_int
    probs = np.stack([1 - (1 - a) * (1 - b), a, b], axis=1)
    rows_out = [_variant_row("either", int(either.sum()), probs[:, 0]),
                _variant_row("result", int(res_int.sum()), a), tur_row]
    by_percent = pd.concat([
        _by_percent_frame("result", np.bincount(_round_pct(L[res_int], V[res_int]),
                                                minlength=101), res_by_pct),
        _by_percent_frame("turnout", np.bincount(_round_pct(B[tur_int], N[tur_int]),
                                                 minlength=101), tur_by_pct)],
        ignore_index=True)
    main = rows_out[0]
    pvalue = float(main["pvalue"])
    params = {"candidate": st.candidate, "share_of": share_of, "tolerance": tolerance,
              "min_registered": min_registered, "max_percent": max_percent,
              "turnout_from": turnout_from, "stations_with_issued": used_issued}
    msg = {"stations": n, "observed": main["observed"], "expected": main["null_mean"],
           "excess": main["excess"], "sd": main["null_sd"], "z": main["z"], "p": pvalue,
           "result_excess": rows_out[1]["excess"], "turnout_excess": rows_out[2]["excess"],
           "candidate": candidate_label(st.candidate, sheets.election), "tolerance": tolerance}
    message_id = "turnout.integer_percentages" if turnout_from == "issued" \
        else "turnout.integer_percentages_counted"
    return IntegerPercentResult(
        test="turnout.integer_percentages", statistic=float(main["observed"]), pvalue=pvalue,
        pvalue_method="saddlepoint", z=float(main["z"]),
        effect=float(main["excess"]), effect_unit="stations", n=n,
        null="exact binomial per station (Kobak et al. 2016), Poisson-binomial count",
        evidence=evidence_from_pvalue(pvalue), table=pd.DataFrame(rows_out),
        message=Message(message_id, msg), excluded=excluded, params=params,
        candidate=st.candidate, by_percent=by_percent, probabilities=probs,
        turnout_from=turnout_from)


def _kobak_inclusion(sheets: SheetTable, st: Stations, min_registered: int,
                     max_percent: float
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """The stations the integer-percentage test keeps (Kobak et al. 2016's rules): ``(ok,
    ballots given per station — issued where stated, else counted —, where issued is
    stated, the stations excluded per rule)``."""
    issued_stated = sheets.counts("issued") if sheets.has("issued") \
        else np.full(len(sheets), np.nan)
    has_issued = ~np.isnan(issued_stated)
    given = np.where(has_issued, issued_stated, st.ballots)
    ok = (st.registered > 0) & (given <= st.registered) & (st.base > 0)
    excluded = {k: int(v) for k, v in (
        ("registered_missing_or_zero", (~(st.registered > 0)).sum()),
        ("turnout_over_100", ((st.registered > 0) & (given > st.registered)).sum()),
        ("no_votes_in_base", ((st.registered > 0) & (given <= st.registered)
                              & ~(st.base > 0)).sum())) if v}
    with np.errstate(divide="ignore", invalid="ignore"):
        t_pct = 100 * given / st.registered
        r_pct = 100 * st.votes / st.base
    rules = {"registered_below_min": ok & (st.registered < min_registered)}
    rules["turnout_above_max"] = ok & ~rules["registered_below_min"] & (t_pct > max_percent)
    rules["result_above_max"] = ok & ~rules["registered_below_min"] \
        & ~rules["turnout_above_max"] & (r_pct > max_percent)
    for name, mask in rules.items():
        if mask.any():
            excluded[name] = int(mask.sum())
        ok &= ~mask
    return ok, given, has_issued, excluded


def _digest(mask: np.ndarray) -> bytes:
    """A short hash of a selection of stations (for memo keys)."""
    return hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).digest()


@dataclass(frozen=True)
class _NationalChances:
    """The integer-percentage null of every station of the whole table, once for all the
    regions of a battery (:class:`audit.checks.null.NationalDraws`): each included
    station's chances ``a`` (result) and ``b`` (turnout), in table order, and the null's
    per-percent sums of the whole table (``*_pct``, ``(2, 101)``) and of each region's
    stations (``*_regions``, ``(regions, 2, 101)``). A station's chances depend on its own
    counts only, so a region's are the national ones of its stations."""

    ok: np.ndarray
    a: np.ndarray
    b: np.ndarray
    result_pct: np.ndarray
    turnout_pct: np.ndarray
    result_regions: np.ndarray
    turnout_regions: np.ndarray

    def scope(self, shared: NationalDraws, ok: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """``(a, result per percent, b, turnout per percent)`` of the scope's included
        stations ``ok`` (None when they are not the national selection's: recompute)."""
        if shared.region is None:
            if not np.array_equal(ok, self.ok):
                return None
            return self.a, self.result_pct, self.b, self.turnout_pct
        rows = np.flatnonzero(shared.codes == shared.region)
        if rows.size != ok.size or not np.array_equal(self.ok[rows], ok):
            return None
        at = (np.cumsum(self.ok) - 1)[rows[ok]]  # positions among the included stations
        return (self.a[at], self.result_regions[shared.region], self.b[at],
                self.turnout_regions[shared.region])


def _national_chances(shared: NationalDraws, candidate: str, share_of: str,
                      min_registered: int, max_percent: float, num: int, den: int,
                      counts: tuple[np.ndarray, ...] | None = None) -> _NationalChances:
    """:class:`_NationalChances` of ``candidate``, computed once per battery grouping
    (``shared.memo``; the turnout half once for all candidates with the same stations).
    ``counts``: the whole table's ``(ok, V, L, N, B)`` when the caller has them (the
    national scope), so that they are not computed twice."""
    key = ("turnout.integer_percentages", candidate, share_of, min_registered, max_percent,
           num, den)
    if key in shared.memo:
        return cast(_NationalChances, shared.memo[key])
    if counts is None:
        table = shared.table
        st = stations(table, candidate=candidate, share_of=share_of, need_registered=True)
        ok, given, _, _ = _kobak_inclusion(table, st, min_registered, max_percent)
        counts = (ok, st.base[ok].astype(np.int64), st.votes[ok].astype(np.int64),
                  st.registered[ok].astype(np.int64), given[ok].astype(np.int64))
        del st, given
    ok, V, L, N, B = counts
    groups = shared.codes[ok]
    a, result_pct, result_regions = near_integer_by_group(
        V, L / V, num, den, successes=L, groups=groups, n_groups=shared.n_groups)
    turnout_key = ("turnout.integer_percentages.turnout", share_of, num, den, _digest(ok))
    if turnout_key not in shared.memo:
        shared.memo[turnout_key] = near_integer_by_group(
            N, B / N, num, den, successes=B, groups=groups, n_groups=shared.n_groups)
    b, turnout_pct, turnout_regions = shared.memo[turnout_key]
    found = _NationalChances(ok, a, b, result_pct, turnout_pct, cast(np.ndarray, result_regions),
                             turnout_regions)
    shared.memo[key] = found
    return found


def _integer_turnout(given: np.ndarray, registered: np.ndarray, num: int, den: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """The turnout half of the integer-percentage test: which stations are integer, their
    chances under the binomial null, the null per integer percent and the table row."""
    tur_int = near_integer_percent(given, registered, num, den)
    b, by_pct = near_integer_probability(registered, given / registered, num, den,
                                         successes=given)
    for array in (tur_int, b, by_pct):
        array.setflags(write=False)
    return tur_int, b, by_pct, _variant_row("turnout", int(tur_int.sum()), b)


def _variant_row(variant: str, observed: int, q: np.ndarray) -> dict[str, Any]:
    """One row of the integer-percentage table: ``observed`` integer stations against the
    Poisson-binomial count of chances ``q`` (mean, SD, excess, z, Cornish–Fisher 99.9th
    percentile, saddlepoint p-value)."""
    mean = float(q.sum())
    var = float((q * (1 - q)).sum())
    sd = math.sqrt(var)
    skew = float((q * (1 - q) * (1 - 2 * q)).sum()) / sd**3 if sd > 0 else 0.0
    z999 = 3.090232306167813
    pv = poisson_binomial_pvalue(observed, q)
    return {"variant": variant, "observed": observed, "null_mean": mean, "null_sd": sd,
            "excess": float(observed - mean), "z": pv.z if pv.z is not None else math.nan,
            "null_q999": mean + sd * (z999 + (z999**2 - 1) * skew / 6), "pvalue": pv.value}


def _round_pct(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Nearest integer percent of ``k / n`` (integer arithmetic, half up)."""
    return np.asarray((200 * k + n) // (2 * n), dtype=np.int64)


def _by_percent_frame(quantity: str, observed: np.ndarray, null: np.ndarray) -> pd.DataFrame:
    """Observed stations per integer percent against the null's mean and a 95% band (normal
    with the Poisson-binomial variance of each percent's count, clipped at 0)."""
    mean, var = null[0], null[1]
    half = 1.959964 * np.sqrt(var)
    return pd.DataFrame({
        "quantity": quantity, "percent": np.arange(101), "observed": observed[:101],
        "null_mean": mean, "null_lo": np.maximum(mean - half, 0.0), "null_hi": mean + half})


# --------------------------------------------------------------------------------------------
# Robust outliers within region
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OutlierResult(CheckResult):
    """Stations flagged by the modified z within their region, and the tail-symmetry test.

    ``flagged`` lists the flagged stations (key, region, value, modified z); ``above`` and
    ``below`` count them on each side; ``expected`` is the number expected above under the
    symmetric null given the flagged total, ``(above + below) / 2``; ``null_distribution``
    the tail asymmetry ``T*`` of every reflection.
    """

    flagged: pd.DataFrame = field(default_factory=pd.DataFrame)
    above: int = 0
    below: int = 0
    expected: float = 0.0
    null_distribution: np.ndarray = field(default_factory=lambda: np.zeros(0))


def regional_outliers(sheets: SheetTable, *, quantity: str = "turnout",
                      candidate: str | None = None, share_of: str = "valid",
                      level: str | None = None, threshold: float = 3.5, tail: float = 2.0,
                      size_effect: bool = True, min_stations: int = 10,
                      n_resamples: int = DEFAULT_RESAMPLES, rng: RNGLike = None) -> OutlierResult:
    """Stations far from their region's median, and a calibrated test of an excess above it.

    Each station's turnout (or share) is put on the logit scale, ``y = logit((k + 0.5) /
    (n + 1))``, its dependence on station size removed (a Huber trend in log registered
    voters, or in log valid votes for the share, within regions; ``size_effect``), and
    scored by the modified z within its region, ``z = 0.6745 (y - median_r) / MAD_r``
    (Iglewicz & Hoaglin 1993). Stations with ``|z| > threshold`` (3.5) are listed in
    ``flagged``, on both sides.

    The test asks whether the upper tail is heavier than the lower one, as ballot stuffing
    (or padding the candidate's share) makes it: ``T = sum_i sign(z_i) max(|z_i| - tail, 0)``,
    the excess of the stations beyond ``tail`` (2) above the median minus that below it.
    Null: within each region the residuals are symmetric about the median — whatever their
    tails, so honest elections with heavier tails than a beta-binomial are not flagged for
    that — with the tables of one polling centre reflected together (:func:`audit.checks.
    _stations.reflection_test`, ``n_resamples`` random reflections). ``effect`` is the number
    of flagged stations above the median minus the number expected there, ``(above +
    below) / 2``.

    Parameters
    ----------
    quantity
        ``"turnout"`` or ``"share"``.
    threshold
        List stations with ``|z| > threshold``.
    tail
        Residuals beyond ``|z| > tail`` enter the test statistic.
    size_effect
        Remove a robust log-size trend before scoring.
    min_stations
        Regions with fewer usable stations are skipped (counted in ``excluded``).
    n_resamples
        Random reflections of the null (the battery passes ``BatteryOptions.n_resamples``).

    Notes
    -----
    Detects stations whose turnout or share departs upward from their neighbours' (ballot
    stuffing at some of them). **Not calibrated**: honest residuals are often skewed, and
    with thousands of stations a slight skew is "significant". On varied clean simulated
    elections the test rejected 31% (share) and 58% (turnout) at 0.05, and on the clean
    references Córdoba 2019 (turnout: 149 flagged above the median against 48 below, at the
    section level) and Chile 2021 (share, by region: 260 against 49) it rejects too; the
    former null (beta-binomial redraws around the regional median) flagged Córdoba as well
    (109 tables against about 10 expected). Read the list of stations, not the p-value; the
    calibrated test of a joint excess of turnout and share is
    :func:`audit.checks.fingerprints.corner_asymmetry`. Other failure modes: widespread
    manipulation shifts the median itself; legitimately special stations (institutions,
    abroad, mobile boxes, very small tables) are listed too.

    References
    ----------
    Iglewicz & Hoaglin (1993) [iglewicz1993]; Canay, Romano & Shaikh (2017) [canay2017];
    full entries in :mod:`audit.references`.
    """
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    st, ok, excluded = _quantity_stations(sheets, quantity, candidate, share_of, level)
    all_codes = st.region_index
    sizes = np.bincount(all_codes[ok], minlength=all_codes.max() + 1 if all_codes.size else 0)
    small = ok & (sizes[all_codes] < min_stations)
    if small.any():
        excluded["region_below_min_stations"] = int(small.sum())
    ok &= ~small
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        raise ValueError(f"no region has {min_stations} stations with a usable {quantity}")
    trials, succ = st.trials_successes(quantity)
    n_i, k_i = trials[idx], succ[idx]
    labels, codes = st.regions(idx)
    g = labels.size
    y = logit((k_i + 0.5) / (n_i + 1.0))
    if size_effect:
        y = detrend(y, centred_log_size(n_i, codes), codes, np.ones(idx.size, dtype=bool))
    z = modified_z(y, codes)
    flag = np.abs(z) > threshold
    up, down = flag & (z > 0), flag & (z < 0)
    beyond = np.sign(z) * np.maximum(np.abs(z) - tail, 0.0)
    flip = sign_flip_test(beyond, st.center[idx], n_resamples, as_generator(rng))
    statistic, null, pvalue = flip.statistic, flip.null, flip.pvalue.value
    above, below = int(up.sum()), int(down.sum())
    expected = (above + below) / 2
    x = k_i / n_i
    med = np.full(g, np.nan)
    med_frame = pd.Series(x).groupby(codes).median()
    med[med_frame.index.to_numpy()] = med_frame.to_numpy()
    table = pd.DataFrame({
        "region": labels, "stations": np.bincount(codes, minlength=g), "median": med,
        "flagged": np.bincount(codes, weights=flag, minlength=g).astype(np.int64),
        "above": np.bincount(codes, weights=up, minlength=g).astype(np.int64),
        "below": np.bincount(codes, weights=down, minlength=g).astype(np.int64)})
    table["expected"] = (table["above"] + table["below"]) / 2
    table["excess"] = table["above"] - table["expected"]
    data = sheets.data
    rows = idx[flag]  # the flagged stations' keys alone (not the whole key columns)
    flagged = pd.DataFrame({
        "center_id": data["center_id"].iloc[rows].to_numpy(),
        "table_id": data["table_id"].iloc[rows].to_numpy(),
        "region": labels[codes[flag]], "value": x[flag], "modified_z": z[flag]})
    flagged = flagged.sort_values("modified_z", key=np.abs, ascending=False,
                                  kind="stable").reset_index(drop=True)
    params = {"quantity": quantity, "candidate": st.candidate, "share_of": share_of,
              "level": st.region_level, "threshold": threshold, "tail": tail,
              "size_effect": size_effect, "min_stations": min_stations,
              "n_resamples": n_resamples, "seed": rng if isinstance(rng, int) else None}
    msg = {"observed": above + below, "above": above, "below": below,
           "stations": int(idx.size), "regions": int(g), "p": pvalue, "threshold": threshold,
           "candidate": candidate_label(st.candidate, sheets.election)}
    return OutlierResult(
        test=f"turnout.outliers_{quantity}", statistic=statistic, pvalue=pvalue,
        pvalue_method=flip.pvalue.method, z=flip.pvalue.z,
        candidate=st.candidate if quantity == "share" else None,
        effect=above - expected, effect_unit="stations", n=int(idx.size),
        null=f"reflection(n={n_resamples}, symmetric residuals about the regional median, "
             f"centres flipped together)",
        evidence=evidence_from_pvalue(pvalue), table=table,
        message=Message(f"turnout.outliers_{quantity}", msg), excluded=excluded,
        params=params, flagged=flagged, above=above, below=below, expected=expected,
        null_distribution=null)


# --------------------------------------------------------------------------------------------
# Turnout-share correlation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CorrelationResult(CheckResult):
    """Weighted turnout–share correlation, national (``statistic``) and per region."""

    unweighted: float = math.nan


def _wcorr(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    if x.size < 3 or w.sum() <= 0:
        return math.nan
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    vx = np.average((x - mx) ** 2, weights=w)
    vy = np.average((y - my) ** 2, weights=w)
    return float(cov / math.sqrt(vx * vy)) if vx > 0 and vy > 0 else math.nan


def turnout_share_correlation(sheets: SheetTable, *, candidate: str | None = None,
                              share_of: str = "valid", weights: str | None = "registered",
                              level: str | None = None) -> CorrelationResult:
    """Pearson correlation of turnout and a candidate's share across stations.

    ``statistic`` is the national correlation weighted by ``weights`` (``"registered"``,
    ``"ballots"`` or None for unweighted); ``table`` has the national row and one row per
    region (weighted and unweighted r, stations). Descriptive: ``pvalue`` is None.

    Notes
    -----
    Ballot stuffing for one candidate raises turnout and that candidate's share together,
    producing the positive correlation ("comet") of Russian elections (Kobak, Shpilkin &
    Pshenichnikov 2012, arXiv:1205.0741; Myagkov, Ordeshook & Shakin 2009). The Election
    Forensics Toolkit flags ``|r| > 0.4`` (Hicken & Mebane 2017); the table repeats that flag for
    orientation only. Failure mode: turnout and preference are legitimately correlated
    through composition (urban/rural, ethnicity), so no null is claimed; compare regions.
    Reference (derived from the dkobak data): Russia 2011 r = 0.713 (unweighted, turnout =
    ballots issued / registered, share of valid + invalid).
    """
    if weights not in ("registered", "ballots", None):
        raise ValueError("weights must be 'registered', 'ballots' or None")
    st = stations(sheets, candidate=candidate, share_of=share_of, need_registered=True,
                  level=level)
    ok, excluded = _usable(st, "both")
    t = st.turnout()[ok]
    s = st.share()[ok]
    w = {"registered": st.registered, "ballots": st.ballots}.get(weights or "")
    wv = w[ok] if w is not None else np.ones(t.size)
    labels, codes = st.regions(ok)
    r_nat, r_unweighted = _wcorr(t, s, wv), _wcorr(t, s, np.ones(t.size))
    rows: list[dict[str, Any]] = [{"region": "national", "stations": int(t.size),
                                   "r_weighted": r_nat, "r": r_unweighted}]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(labels.size + 1))
    for r, label in enumerate(labels):
        sel = order[bounds[r]:bounds[r + 1]]
        rows.append({"region": str(label), "stations": int(sel.size),
                     "r_weighted": _wcorr(t[sel], s[sel], wv[sel]),
                     "r": _wcorr(t[sel], s[sel], np.ones(sel.size))})
    table = pd.DataFrame(rows)
    table["eft_flag"] = table["r_weighted"].abs() > 0.4
    params = {"candidate": st.candidate, "share_of": share_of, "weights": weights,
              "level": st.region_level}
    msg = {"r": r_nat, "stations": int(t.size),
           "candidate": candidate_label(st.candidate, sheets.election),
           "regions_flagged": int(table["eft_flag"].iloc[1:].sum()),
           "regions": int(labels.size)}
    return CorrelationResult(
        test="turnout.correlation", statistic=r_nat, pvalue=None, effect=r_nat,
        candidate=st.candidate,
        effect_unit="Pearson r", n=int(t.size), null="none (descriptive)",
        evidence=Evidence.NOT_TESTED, table=table,
        message=Message("turnout.correlation", msg), excluded=excluded, params=params,
        unweighted=r_unweighted)


# --------------------------------------------------------------------------------------------
# Election Forensics Toolkit statistics that are not digit-based
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BootstrapResult(CheckResult):
    """A statistic with a nonparametric bootstrap interval over stations (EFT style).

    ``null_distribution`` holds the statistic on every bootstrap resample.
    """

    ci_low: float = math.nan
    ci_high: float = math.nan
    benchmark: float = math.nan
    null_distribution: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _quantity_values(sheets: SheetTable, quantity: str, candidate: str | None,
                     share_of: str) -> tuple[np.ndarray, dict[str, int], str]:
    st, ok, excluded = _quantity_stations(sheets, quantity, candidate, share_of)
    values = st.turnout()[ok] if quantity == "turnout" else st.share()[ok]
    return values, excluded, st.candidate


def _moments(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and (non-excess) kurtosis along the last axis (biased moments, as scipy)."""
    d = a - a.mean(axis=-1, keepdims=True)
    d2 = d * d
    m2 = d2.mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (d2 * d).mean(axis=-1) / m2**1.5, (d2 * d2).mean(axis=-1) / m2**2


#: From this many stations on, the bootstrap draws the resampled power sums from their normal
#: limit (:func:`_bootstrap_moments`).
BOOTSTRAP_NORMAL_FROM = 2_000


def _bootstrap_moments(x: np.ndarray, n_resamples: int, gen: np.random.Generator,
                       cache: DrawCache | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and kurtosis on ``n_resamples`` bootstrap resamples of ``x``, remembered in a
    battery's ``cache``.

    A resample's skewness and kurtosis are functions of its four mean powers
    ``(mean d, mean d², mean d³, mean d⁴)`` of the centred values ``d``: the mean of ``n``
    independent draws from the stations. From :data:`BOOTSTRAP_NORMAL_FROM` stations on these
    are drawn from their normal limit — the exact mean and covariance of that mean of
    draws, the first term of its Edgeworth expansion (Hall 1992, *The Bootstrap and Edgeworth
    Expansion*, §2.4) — instead of resampling ``n`` stations ``n_resamples`` times (on
    clean and mixed turnouts of 2,000 stations its 2.5%, 50% and 97.5% quantiles agree with
    resampling within the Monte Carlo error); smaller tables are resampled.

    Both statistics come from the same draws; the key holds the data (the cache adds the
    generator's state), so results are the same with or without the cache (the skewness and
    kurtosis checks of one battery scope share their draws).
    """
    digest = hashlib.blake2b(np.ascontiguousarray(x).tobytes(), digest_size=16).hexdigest()
    return draw(cache, ("bootstrap_moments", digest, n_resamples), gen,
                lambda: _draw_bootstrap_moments(x, n_resamples, gen))


def _draw_bootstrap_moments(x: np.ndarray, n_resamples: int, gen: np.random.Generator
                            ) -> tuple[np.ndarray, np.ndarray]:
    if x.size >= BOOTSTRAP_NORMAL_FROM:
        skew, kurt = _normal_limit_moments(x, n_resamples, gen)
    else:
        skew, kurt = np.empty(n_resamples), np.empty(n_resamples)
        rows = max(1, (1 << 21) // max(x.size, 1))
        # centred single precision: resampled moments of values in [0, 1] lose nothing that
        # matters to a bootstrap interval, and half the memory traffic
        centred = (x - x.mean()).astype(np.float32)
        for start in range(0, n_resamples, rows):
            r = min(rows, n_resamples - start)
            skew[start:start + r], kurt[start:start + r] = _moments(
                centred[gen.integers(0, x.size, size=(r, x.size), dtype=np.int32)])
    return skew, kurt


def _normal_limit_moments(x: np.ndarray, n_resamples: int, gen: np.random.Generator
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and kurtosis of resamples whose mean powers are drawn from their normal
    limit: mean ``mu_j = mean(d^j)``, covariance ``(mu_{j+k} - mu_j mu_k) / n``."""
    d = x - x.mean()
    powers = np.empty((4, d.size))
    powers[0] = d
    for j in range(1, 4):
        np.multiply(powers[j - 1], d, out=powers[j])
    mean = powers.mean(axis=1)
    cov = np.cov(powers, bias=True) / d.size
    values, vectors = np.linalg.eigh(cov)  # a square root that tolerates a singular cov
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    m = mean + gen.standard_normal((n_resamples, 4)) @ root.T
    mu, s2, s3, s4 = m.T
    m2 = s2 - mu * mu
    m3 = s3 - 3 * mu * s2 + 2 * mu**3
    m4 = s4 - 4 * mu * s3 + 6 * mu * mu * s2 - 3 * mu**4
    with np.errstate(divide="ignore", invalid="ignore"):
        return m3 / m2**1.5, m4 / m2**2


def _basic_bootstrap_pvalue(theta: float, boot: np.ndarray, benchmark: float) -> float:
    """Two-sided p-value of ``theta == benchmark`` by inverting the basic bootstrap interval;
    where fewer than :data:`audit.checks.pvalues.EXCEEDANCES` resamples lie beyond the
    reflected benchmark, the tail fitted to the resamples (never the floor ``2 / (R + 1)``)."""
    reflected = 2 * theta - benchmark
    k_hi = int(np.sum(boot >= reflected))
    k_lo = int(np.sum(boot <= reflected))
    if min(k_hi, k_lo) >= EXCEEDANCES:
        return float(min(1.0, 2 * count_pvalue(min(k_hi, k_lo), boot.size)))
    side = "greater" if k_hi <= k_lo else "less"
    tail, _ = fitted_tail(boot, reflected, lambda x: normal_tail(boot, x, side),
                          alternative=side)
    return float(min(1.0, max(2 * tail, SMALLEST)))


def _moment_check(kind: str, sheets: SheetTable, quantity: str, candidate: str | None,
                  share_of: str, n_resamples: int, confidence: float,
                  rng: RNGLike, cache: DrawCache | None) -> BootstrapResult:
    x, excluded, cand = _quantity_values(sheets, quantity, candidate, share_of)
    if x.size < 4:
        raise ValueError(f"{kind} needs at least 4 stations with a usable {quantity}")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    which = 0 if kind == "skewness" else 1
    theta = float(_moments(x)[which])
    benchmark = 0.0 if kind == "skewness" else 3.0
    boot = _bootstrap_moments(x, n_resamples, as_generator(rng), cache)[which].copy()
    alpha = 1 - confidence
    q_lo, q_hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    ci_low, ci_high = 2 * theta - q_hi, 2 * theta - q_lo  # basic interval, as EFToolkit
    pvalue = _basic_bootstrap_pvalue(theta, boot, benchmark)
    table = pd.DataFrame([{"quantity": quantity, "statistic": theta, "ci_low": ci_low,
                           "ci_high": ci_high, "benchmark": benchmark,
                           "eft_flag": not ci_low <= benchmark <= ci_high}])
    params = {"quantity": quantity, "candidate": cand, "share_of": share_of,
              "n_resamples": n_resamples, "confidence": confidence}
    msg = {"value": theta, "low": ci_low, "high": ci_high, "p": pvalue,
           "stations": int(x.size)}
    boot_sd = float(boot.std(ddof=1)) if boot.size > 1 else math.nan
    return BootstrapResult(
        test=f"turnout.{kind}_{quantity}", statistic=theta, pvalue=pvalue,
        pvalue_method="bootstrap", candidate=cand if quantity == "share" else None,
        z=(theta - benchmark) / boot_sd if boot_sd > 0 else None,
        effect=theta - benchmark, effect_unit=kind, n=int(x.size),
        null=f"gaussian benchmark {benchmark:g} (bootstrap n={n_resamples})",
        evidence=evidence_from_pvalue(pvalue), table=table,
        message=Message(f"turnout.{kind}_{quantity}", msg), excluded=excluded, params=params,
        ci_low=float(ci_low), ci_high=float(ci_high), benchmark=benchmark,
        null_distribution=boot)


def skewness(sheets: SheetTable, *, quantity: str = "turnout", candidate: str | None = None,
             share_of: str = "valid", n_resamples: int = DEFAULT_RESAMPLES,
             confidence: float = 0.95, rng: RNGLike = None,
             cache: DrawCache | None = None) -> BootstrapResult:
    """Skewness of station turnout or share with a basic bootstrap interval (EFT ``Skew``).

    The Election Forensics Toolkit (Hicken & Mebane 2017; EFToolkit, Kalinin & Mebane) flags
    a unit when the interval excludes 0, the Gaussian value; ``pvalue`` inverts that
    interval. This is a textbook benchmark, not an honest-election null: clean turnout
    distributions are often skewed (Shalaev 2016; Borghesi et al. 2012 [borghesi2012]), so with many
    stations honest elections are routinely "flagged" and the check is not calibrated.
    Ballot stuffing adds a right tail to turnout (positive skew).
    """
    return _moment_check("skewness", sheets, quantity, candidate, share_of, n_resamples,
                         confidence, rng, cache)


def kurtosis(sheets: SheetTable, *, quantity: str = "turnout", candidate: str | None = None,
             share_of: str = "valid", n_resamples: int = DEFAULT_RESAMPLES,
             confidence: float = 0.95, rng: RNGLike = None,
             cache: DrawCache | None = None) -> BootstrapResult:
    """Kurtosis (non-excess) with a basic bootstrap interval (EFT ``Kurt``, benchmark 3).

    Klimek et al. (2012) [klimek2012] report heavy tails (high kurtosis) of
    rescaled vote rates in elections with alleged fraud. Same caveats as :func:`skewness`:
    a Gaussian benchmark, not calibrated on honest elections.
    """
    return _moment_check("kurtosis", sheets, quantity, candidate, share_of, n_resamples,
                         confidence, rng, cache)


def dip_test(sheets: SheetTable, *, quantity: str = "turnout", candidate: str | None = None,
             share_of: str = "valid") -> CheckResult:
    """Hartigan's dip test of unimodality of station turnout or share (EFT ``DipT``).

    Uses the ``diptest`` package (Urlus; a C++ port of Maechler's R ``diptest``, itself from
    Hartigan's AS 217); the p-value interpolates the tabulated null distribution on the
    ``sqrt(n) * dip`` scale (tables up to n = 72,000; beyond, the asymptotic scaling), whose
    null is the uniform (the least favourable unimodal distribution), so the test is
    conservative for honest unimodal data. Beyond the table (p < 10⁻⁵) the p-value is
    reported as the bound 10⁻⁵.

    Notes
    -----
    Ballot stuffing at part of the stations produces a second mode near 100% turnout (Klimek
    et al. 2012). Failure modes: legitimate blocs (regions, diaspora, urban/rural) are
    multimodal; with 10⁵ stations tiny bumps from division artefacts (simple fractions at
    small stations) become significant. Run by region.

    References
    ----------
    Hartigan & Hartigan (1985) [hartigan1985]; full entries in :mod:`audit.references`.
    """
    import diptest  # local import: compiled extension, only needed here

    x, excluded, cand = _quantity_values(sheets, quantity, candidate, share_of)
    if x.size < 4:
        raise ValueError(f"the dip test needs at least 4 stations with a usable {quantity}")
    with warnings.catch_warnings():
        # Beyond n = 72,000 the table is used on the sqrt(n) scale (asymptotic); say so below.
        warnings.simplefilter("ignore", UserWarning)
        dip, pvalue = diptest.diptest(np.sort(x), sort_x=False)
    dip, pvalue = float(dip), max(float(pvalue), DIP_P_FLOOR)
    table = pd.DataFrame([{"quantity": quantity, "dip": dip, "pvalue": pvalue,
                           "stations": int(x.size)}])
    params = {"quantity": quantity, "candidate": cand, "share_of": share_of}
    return CheckResult(
        test=f"turnout.dip_{quantity}", statistic=dip, pvalue=pvalue, effect=dip,
        pvalue_method="tabulated", candidate=cand if quantity == "share" else None,
        effect_unit="dip", n=int(x.size), null="uniform (Hartigan's tabulated dip null)",
        evidence=evidence_from_pvalue(pvalue), table=table,
        message=Message(f"turnout.dip_{quantity}",
                        {"dip": dip, "p": pvalue, "stations": int(x.size)}),
        excluded=excluded, params=params)


@dataclass(frozen=True, kw_only=True)
class SlopeResult(CheckResult):
    """Sobyanin–Sukhovolsky slopes for every candidate (``table``), leader in the fields."""

    slope: float = math.nan
    share: float = math.nan


def sobyanin_sukhovolsky(sheets: SheetTable, *, candidate: str | None = None) -> SlopeResult:
    """Slope of a candidate's votes per registered voter on turnout (Sobyanin–Sukhovolsky).

    For each candidate ``c`` the weighted (by registered voters) least-squares regression
    ``W_ci / N_i = a_c + b_c T_i``. If extra turnout were politically neutral, ``b_c`` would
    equal the candidate's share of valid votes ``s_c`` and the slopes would sum to the valid
    share of ballots. ``b_winner > 1`` means each additional ballot adds more than one vote to
    the winner, which requires votes taken from others. ``statistic`` is ``b - s`` for the
    candidate and ``pvalue`` a two-sided z-test with a heteroskedasticity-robust (HC1) SE.

    Notes
    -----
    Not calibrated: turnout and preference are legitimately correlated through composition
    (urban/rural, ethnic), and regional clustering makes the HC1 standard error too small, so
    honest elections are often flagged. Interpret the slope as a size of association. EFT
    reports the slope of the share on turnout minus the mean share; this is the original
    electorate-based form (Sobyanin & Sukhovolsky 1995; Myagkov, Ordeshook & Shakin 2009).
    """
    st = stations(sheets, candidate=candidate, need_registered=True)
    # every candidate's slope, whichever is tested: computed once per table
    excluded, n, table = sheets.memo("turnout.sobyanin", lambda: _sobyanin_slopes(sheets, st))
    excluded = dict(excluded)
    row = table.loc[table["candidate"] == st.candidate].iloc[0]
    z = row["slope_minus_share"] / row["se"] if row["se"] > 0 else math.nan
    pvalue = max(float(2 * stats.norm.sf(abs(z))), SMALLEST) if np.isfinite(z) else None
    params = {"candidate": st.candidate}
    msg = {"candidate": candidate_label(st.candidate, sheets.election),
           "slope": float(row["slope"]),
           "share": float(row["share"]), "p": pvalue}
    return SlopeResult(
        test="turnout.sobyanin", statistic=float(row["slope_minus_share"]), pvalue=pvalue,
        pvalue_method="normal" if pvalue is not None else None,
        z=float(z) if np.isfinite(z) else None, candidate=st.candidate,
        effect=float(row["slope_minus_share"]), effect_unit="slope minus share", n=n,
        null="slope equals the candidate's share (neutral turnout; HC1 normal approximation)",
        evidence=evidence_from_pvalue(pvalue), table=table.copy(),
        message=Message("turnout.sobyanin", msg), excluded=excluded, params=params,
        slope=float(row["slope"]), share=float(row["share"]))


def _sobyanin_slopes(sheets: SheetTable, st: Stations
                     ) -> tuple[dict[str, int], int, pd.DataFrame]:
    """(exclusions, stations, table) of :func:`sobyanin_sukhovolsky`: each candidate's
    weighted slope on turnout with its HC1 standard error and vote share."""
    ok, excluded = _usable(st, "turnout")
    ok &= st.registered > 0
    N = st.registered[ok]
    t = st.ballots[ok] / N

    def votes(key: str) -> np.ndarray:  # one candidate's column at a time (no n x k copy)
        return sheets.data[vote_column(key)].to_numpy(np.float64)[ok]

    # whole numbers: their float sums are exact in any order
    valid_total = sum(float(votes(key).sum()) for key in sheets.candidates)
    w = N / N.mean()
    tm = np.average(t, weights=w)
    dt = t - tm
    sxx = np.sum(w * dt**2)
    rows = []
    n = int(t.size)
    for key in sheets.candidates:
        column = votes(key)
        y = column / N
        b = float(np.sum(w * dt * (y - np.average(y, weights=w))) / sxx)
        a = np.average(y, weights=w) - b * tm
        resid = y - a - b * t
        se = math.sqrt(np.sum((w * dt * resid) ** 2) / sxx**2 * n / max(n - 2, 1))
        share = float(column.sum() / valid_total) if valid_total else math.nan
        rows.append({"candidate": key, "slope": b, "se": se, "share": share,
                     "slope_minus_share": b - share})
    return excluded, n, pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Shpilkin-style estimate of anomalous votes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ShpilkinResult(CheckResult):
    """Shpilkin-style anomalous votes; ``sensitivity`` varies the clean peak.

    ``table`` has one row per turnout bin (registered, ballots, candidate and other votes,
    and the anomaly above the peak); ``sensitivity`` one row per peak choice.
    """

    peak_turnout: float = math.nan
    clean_share: float = math.nan
    stuffing: float = math.nan
    switching: float = math.nan
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)


def _shpilkin_anomaly(bins: pd.DataFrame, peak: int) -> tuple[float, float, float, float]:
    """(clean share, anomaly, stuffing, switching) with the clean peak at bin ``peak``."""
    below = bins["bin"] <= peak
    lead = bins.loc[below, "votes"].sum()
    other = bins.loc[below, "other"].sum()
    share = lead / (lead + other) if lead + other > 0 else math.nan
    kappa = share / (1 - share) if share < 1 else math.inf
    above = bins.loc[~below]
    anomaly = float((above["votes"] - kappa * above["other"]).sum())
    t_star = (peak + 0.5) / bins.attrs["nbins"]
    extra = float(np.clip(above["ballots"] - t_star * above["registered"], 0, None).sum())
    stuffing = float(min(max(anomaly, 0.0), extra))
    return share, anomaly, stuffing, anomaly - stuffing


def shpilkin_excess(sheets: SheetTable, *, candidate: str | None = None,
                    share_of: str = "valid", bin_width: float = 0.01,
                    max_peak: float = 0.8, smooth: int = 3) -> ShpilkinResult:
    """Estimate votes for a candidate in excess of the "clean" turnout peak (Shpilkin).

    Assumptions (all strong, all stated in the result):

    1. Stations are binned by turnout (``bin_width``). The *clean peak* ``t*`` is the mode of
       the electorate-weighted turnout histogram (moving average over ``smooth`` bins),
       searched below ``max_peak`` (EFToolkit ``MaxThreshold``; default 0.8).
    2. At and below the peak, counts are honest; the candidate's clean share ``s*`` is its
       share there.
    3. Above the peak, the other candidates' votes are genuine and the candidate should have
       received ``kappa = s*/(1-s*)`` votes per other vote. The anomaly is
       ``A = sum over bins above t* of (L_b - kappa O_b)``.
    4. Split (Kalinin & Mebane, EFToolkit ``NonparamElectionForensics``): stuffing = ballots
       above ``t*`` times registered voters of those bins, capped at ``A``; switching = the
       rest.

    ``sensitivity`` repeats the estimate with the peak moved by −2..+2 bins and at the
    median turnout, because the estimate depends heavily on the peak (forensics notes §4.4;
    Kobak et al. 2016). Descriptive: ``pvalue`` is None; ``effect`` is ``A`` in votes.

    Notes
    -----
    Failure modes: turnout legitimately correlated with preference (mobilisation,
    urban/rural) is read as anomaly; manipulation below the peak, or of the other
    candidates' votes, is missed; a multimodal turnout distribution makes the peak
    arbitrary. Reference: EFToolkit README (Russia 2000, 1-D grid): total 2,685,246 (7.0% of
    votes); Shpilkin's published estimates for Russia are of order 10⁷ votes (2018–2021).
    """
    st = stations(sheets, candidate=candidate, share_of=share_of, need_registered=True)
    ok, excluded = _usable(st, "both")
    t = st.turnout()[ok]
    nbins = round(1 / bin_width)
    b = np.minimum((t * nbins).astype(np.int64), nbins - 1)
    frame = pd.DataFrame({"bin": b, "registered": st.registered[ok],
                          "ballots": st.ballots[ok], "votes": st.votes[ok],
                          "other": st.base[ok] - st.votes[ok]})
    bins = frame.groupby("bin").sum().reindex(range(nbins), fill_value=0.0).reset_index()
    bins.attrs["nbins"] = nbins
    weight = bins["registered"].rolling(max(1, smooth), center=True, min_periods=1).mean()
    limit = int(max_peak * nbins)
    peak = int(np.argmax(weight.to_numpy()[:limit]))
    share, anomaly, stuffing, switching = _shpilkin_anomaly(bins, peak)
    total_votes = float(st.votes[ok].sum())
    sens = []
    median_bin = int(min(np.median(t) * nbins, nbins - 1))
    for label, pk in [*((f"peak{d:+d}", peak + d) for d in (-2, -1, 0, 1, 2)),
                      ("median", median_bin)]:
        if 0 <= pk < nbins:
            s, a_, stf, sw = _shpilkin_anomaly(bins, pk)
            sens.append({"choice": label, "peak_turnout": (pk + 0.5) / nbins,
                         "clean_share": s, "anomaly": a_, "stuffing": stf, "switching": sw})
    sensitivity = pd.DataFrame(sens)
    t_star = (peak + 0.5) / nbins
    bins["turnout"] = (bins["bin"] + 0.5) / nbins
    bins["above_peak"] = bins["bin"] > peak
    kappa = share / (1 - share) if share < 1 else math.inf
    bins["anomaly"] = np.where(bins["above_peak"], bins["votes"] - kappa * bins["other"], 0.0)
    params = {"candidate": st.candidate, "share_of": share_of, "bin_width": bin_width,
              "max_peak": max_peak, "smooth": smooth}
    msg = {"candidate": candidate_label(st.candidate, sheets.election), "anomaly": anomaly,
           "fraction": _pct(anomaly / total_votes) if total_votes else math.nan,
           "peak": _pct(t_star), "clean_share": _pct(share), "stuffing": stuffing,
           "switching": switching, "low": float(sensitivity["anomaly"].min()),
           "high": float(sensitivity["anomaly"].max())}
    return ShpilkinResult(
        test="turnout.shpilkin", statistic=anomaly, pvalue=None, effect=anomaly,
        candidate=st.candidate,
        effect_unit="votes", n=int(t.size),
        null="none (estimate under the clean-peak assumptions)",
        evidence=Evidence.NOT_TESTED, table=bins.drop(columns=["bin"]),
        message=Message("turnout.shpilkin", msg), excluded=excluded, params=params,
        peak_turnout=t_star, clean_share=share, stuffing=stuffing, switching=switching,
        sensitivity=sensitivity)


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

_REG = frozenset({"registered"})

_EFT_COLUMNS = ("quantity", "statistic", "ci_low", "ci_high", "benchmark", "eft_flag")
_OUTLIER_COLUMNS = ("region", "stations", "median", "flagged", "above", "below", "expected",
                    "excess")
_SPIKE_COLUMNS = ("region", "stations", "observed", "expected", "votes_at_100",
                  "ballots_at_100", "excess")
_DIP_COLUMNS = ("quantity", "dip", "pvalue", "stations")
#: Columns of each registered check's ``table`` (checked by the contract tests).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "turnout.distribution": ("quantity", "stations", "mean", "weighted_mean", "sd", "q05",
                             "q25", "median", "q75", "q95", "skewness", "excess_kurtosis",
                             "at_0", "at_100"),
    "turnout.integer_percentages": ("variant", "observed", "null_mean", "null_sd", "excess",
                                    "z", "null_q999", "pvalue"),
    "turnout.correlation": ("region", "stations", "r_weighted", "r", "eft_flag"),
    "turnout.sobyanin": ("candidate", "slope", "se", "share", "slope_minus_share"),
    "turnout.shpilkin": ("registered", "ballots", "votes", "other", "turnout", "above_peak",
                         "anomaly"),
    **{f"turnout.{kind}_{q}": cols for q in ("turnout", "share") for kind, cols in (
        ("spike_100", _SPIKE_COLUMNS), ("outliers", _OUTLIER_COLUMNS),
        ("skewness", _EFT_COLUMNS), ("kurtosis", _EFT_COLUMNS), ("dip", _DIP_COLUMNS))},
}


def _spec(name: str, run: Runner, *, needs: frozenset[str] = _REG, calibrated: bool = False,
          fast: bool = True, per_candidate: bool = False, uncalibrated: str = "",
          description: str) -> None:
    register(CheckSpec(name=name, family="turnout", run=run, needs=needs,
                       calibrated=calibrated, fast=fast, description=description,
                       per_candidate=per_candidate, uncalibrated=uncalibrated))


_spec("turnout.distribution", runner(distribution), needs=frozenset(),
      uncalibrated="descriptive",
      description="Turnout and leader-share distributions (descriptive).")
for _q in ("turnout", "share"):
    _needs = _REG if _q == "turnout" else frozenset()
    _spec(f"turnout.spike_100_{_q}", runner(spike_at_100, quantity=_q),
          needs=_needs, per_candidate=_q == "share", uncalibrated="extrapolated",
          description=f"Stations at 100% {_q} vs the beta-binomial count (discrete; the "
                      "honest chance of 100% is extrapolated from the stations below it).")
    _spec(f"turnout.outliers_{_q}", runner(regional_outliers, monte_carlo=True, quantity=_q),
          needs=_needs, per_candidate=_q == "share", uncalibrated="miscalibrated",
          description=f"Modified-z {_q} outliers within region; reflection test of an "
                      "excess above the median (honest tails are often asymmetric).")
    for _moment in (skewness, kurtosis):
        _spec(f"turnout.{_moment.__name__}_{_q}",
              runner(_moment, monte_carlo=True, shares_draws=True, quantity=_q), needs=_needs,
              uncalibrated="benchmark",
              description=f"{_moment.__name__.capitalize()} of station {_q} (EFT; Gaussian "
                          "benchmark, not an honest null).")
    _spec(f"turnout.dip_{_q}", runner(dip_test, quantity=_q), needs=_needs,
          uncalibrated="multimodal",
          description=f"Hartigan's dip test of station {_q} (uniform null; regional blocs "
                      "are multimodal).")
register(CheckSpec(
    name="turnout.integer_percentages", family="turnout", run=runner(integer_percentages),
    needs=_REG, calibrated=True, per_candidate=True, national_draws=True,
    description="Integer-percentage excess against the exact binomial null (Kobak et al. "
                "2016)."))
_spec("turnout.correlation", runner(turnout_share_correlation), per_candidate=True,
      uncalibrated="descriptive",
      description="Weighted turnout-share correlation (descriptive).")
_spec("turnout.sobyanin", runner(sobyanin_sukhovolsky), per_candidate=True,
      uncalibrated="composition",
      description="Sobyanin-Sukhovolsky slope minus share (composition also moves it).")
_spec("turnout.shpilkin", runner(shpilkin_excess), per_candidate=True,
      uncalibrated="descriptive",
      description="Shpilkin-style anomalous votes above the clean peak (descriptive).")
