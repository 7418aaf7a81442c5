"""Election fingerprints and the fraud model of Klimek, Yegorov, Hanel & Thurner (2012).

* :func:`fingerprint`: the 2-D histogram of turnout against the winner's share over units
  with at least 100 registered voters ("vote–turnout distribution"), the share of units in
  the (≥95%, ≥95%) corner, and the cumulative winner votes as a function of turnout.
  Descriptive.
* :func:`klimek_fit`: the fit of the fraud model (incremental fraud ``f_i``, extreme fraud
  ``f_e``, stealing exponent ``alpha``) by simulation and histogram distance, with a
  parametric-bootstrap interval and, optionally, a parametric-bootstrap test of
  ``f_i = f_e = 0``.

The model (paper, "Fraud model"; as re-implemented by Kobak & Pshenichnikov 2018 and the
EFToolkit port of Klimek's ``ElectionFitter``): for unit ``i`` with electorate ``N_i``, honest
turnout ``a_i ~ TruncNormal[0,1](tau, sigma_tau)`` and honest share
``v_i ~ TruncNormal[0,1](nu, sigma_nu)``; with probability ``f_i`` a fraction
``x_i ~ |N(0, theta)|`` (truncated to 1) of non-voters is stuffed for the winner
(incremental fraud), with probability ``f_e`` a fraction ``x_i = 1 - |N(0, 0.075)|``
(extreme fraud); in both cases a fraction ``x_i ** alpha`` of the other candidates' votes is
moved to the winner. Ballots ``N[1 - (1 - x)(1 - a)]``; winner
``N[a v + x (1 - a) + x^alpha a (1 - v)]``.

References
----------
.. [1] Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection of
       systematic election irregularities. PNAS 109(41), 16469–16473.
       doi:10.1073/pnas.1210722109
.. [2] Mebane, W. R. (2016). Election forensics: frauds tests and observation-level frauds
       probabilities. (Critique of the fitting algorithm: plug-in estimates, no likelihood.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import ndimage, optimize, special

from audit._random import RNGLike, as_generator, monte_carlo_pvalue, spawn
from audit.checks._result import CheckResult, Evidence, Message, evidence_from_pvalue
from audit.checks._stations import stations
from audit.checks.registry import CheckSpec, register
from audit.checks.turnout import runner
from audit.model import SheetTable

Progress = Callable[[int, int], None]
EXTREME_SD = 0.075  # width of the extreme-fraud magnitude in the paper


# --------------------------------------------------------------------------------------------
# Fingerprint
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FingerprintResult(CheckResult):
    """The 2-D turnout × share histogram and the cumulative winner votes.

    ``histogram`` is an (bins, bins) array of station counts, turnout along axis 0 and share
    along axis 1, bin edges ``edges``; ``table`` the non-empty cells in tidy form
    (``turnout_lo``, ``share_lo``, ``stations``); ``cumulative`` the winner's votes summed
    over units with turnout up to each value (Klimek et al. 2012, Fig. 6).
    """

    histogram: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    edges: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cumulative: pd.DataFrame = field(default_factory=pd.DataFrame)
    candidate: str = ""


def _fingerprint_data(sheets: SheetTable, candidate: str | None, share_of: str,
                      min_registered: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                    np.ndarray, dict[str, int], str]:
    st = stations(sheets, candidate=candidate, share_of=share_of, need_registered=True)
    excluded: dict[str, int] = {}
    reg_ok = st.registered >= min_registered
    excluded["registered_below_min"] = int((~reg_ok).sum())
    over = reg_ok & (st.ballots > st.registered)
    excluded["turnout_over_100"] = int(over.sum())
    no_base = reg_ok & ~over & ~(st.base > 0)
    excluded["no_votes_in_base"] = int(no_base.sum())
    ok = reg_ok & ~over & ~no_base
    return (st.turnout()[ok], st.share()[ok], st.registered[ok], st.votes[ok],
            {k: v for k, v in excluded.items() if v}, st.candidate)


def fingerprint(sheets: SheetTable, *, candidate: str | None = None, share_of: str = "valid",
                min_registered: int = 100, bins: int = 100,
                corner: float = 0.95) -> FingerprintResult:
    """The election fingerprint of Klimek et al. (2012): turnout against the winner's share.

    Units with fewer than ``min_registered`` registered voters are dropped (paper: 100).
    ``statistic`` is the fraction of units with turnout ≥ ``corner`` and share ≥ ``corner``
    (the extreme-fraud corner); ``effect`` the winner's votes in that corner. Descriptive:
    ``pvalue`` is None (use :func:`klimek_fit` for a model-based estimate).

    Notes
    -----
    Fair elections give one compact, roughly 2-D Gaussian cluster; two clusters can be
    legitimate (Quebec and the rest of Canada). A smear toward the upper right and a second
    cluster at (100%, 100%) is the signature of ballot stuffing. Failure mode: closed
    institutions and homogeneous communities legitimately sit in the corner; condition on
    region. Reference (derived from the dkobak data): Russia 2011, 3.27% of UIKs have
    turnout ≥ 95% and leader share ≥ 95% (turnout = ballots issued / registered, share of
    valid + invalid ballots).
    """
    t, s, _, votes, excluded, cand = _fingerprint_data(sheets, candidate, share_of,
                                                       min_registered)
    if t.size == 0:
        raise ValueError("no unit passes the fingerprint inclusion rules")
    edges = np.linspace(0.0, 1.0, bins + 1)
    ti = np.minimum((t * bins).astype(np.int64), bins - 1)
    si = np.minimum((s * bins).astype(np.int64), bins - 1)
    hist = np.bincount(ti * bins + si, minlength=bins * bins).reshape(bins, bins)
    nz = np.nonzero(hist)
    table = pd.DataFrame({"turnout_lo": edges[nz[0]], "share_lo": edges[nz[1]],
                          "stations": hist[nz]})
    in_corner = (t >= corner) & (s >= corner)
    frac = float(in_corner.mean())
    order = np.argsort(t, kind="stable")
    cum_edges = np.linspace(0.0, 1.0, 101)
    pos = np.searchsorted(t[order], cum_edges, side="right")
    cum_votes = np.concatenate([[0.0], np.cumsum(votes[order])])[pos]
    cumulative = pd.DataFrame({"turnout": cum_edges, "votes": cum_votes,
                               "fraction": cum_votes / votes.sum() if votes.sum() else 0.0})
    params = {"candidate": cand, "share_of": share_of, "min_registered": min_registered,
              "bins": bins, "corner": corner}
    msg = {"candidate": cand, "stations": int(t.size), "corner": 100 * corner,
           "fraction": 100 * frac, "votes": float(votes[in_corner].sum()),
           "in_corner": int(in_corner.sum())}
    return FingerprintResult(
        test="fingerprints.fingerprint", statistic=frac, pvalue=None,
        effect=float(votes[in_corner].sum()), effect_unit="votes", n=int(t.size),
        null="none (descriptive)", evidence=Evidence.NOT_TESTED, table=table,
        message=Message("fingerprints.fingerprint", msg), excluded=excluded, params=params,
        histogram=hist, edges=edges, cumulative=cumulative, candidate=cand)


# --------------------------------------------------------------------------------------------
# The Klimek fraud model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nuisance:
    """Honest-part parameters of the Klimek model, estimated from the data."""

    tau: float
    sigma_tau: float
    nu: float
    sigma_nu: float
    theta: float


def _mode(x: np.ndarray, upper: float) -> float:
    """The highest peak below ``upper`` of a smoothed histogram (a fast KDE mode)."""
    bins = 400
    hist = np.bincount(np.minimum((x * bins).astype(np.int64), bins - 1), minlength=bins)
    bw = 1.06 * max(float(np.std(x)), 1e-3) * x.size ** (-0.2)  # Silverman's rule
    smooth = ndimage.gaussian_filter1d(hist.astype(float), sigma=max(bw * bins, 1.0))
    limit = max(1, int(upper * bins))
    return (int(np.argmax(smooth[:limit])) + 0.5) / bins


def estimate_nuisance(turnout: np.ndarray, share: np.ndarray) -> Nuisance:
    """Klimek et al.'s plug-in estimates of the honest part.

    ``tau`` and ``nu`` are the modes (below 95%, so the extreme-fraud peak at 100% is not
    taken) of smoothed turnout and share densities. ``sigma_tau`` and ``sigma_nu`` are the
    root mean squares of the negative deviations among units below both modes (the side that
    ballot stuffing does not reach), and ``theta`` is the square root of the RMS of the
    positive share deviations (the "double square root" of the original code, kept as such).
    """
    tau = _mode(turnout, 0.95)
    nu = _mode(share, 0.95)
    low = (turnout < tau) & (share < nu)
    if low.sum() < 3:
        low = (turnout < tau) | (share < nu)
    sigma_tau = float(np.sqrt(np.mean((turnout[low] - tau) ** 2))) if low.any() else 0.05
    sigma_nu = float(np.sqrt(np.mean((share[low] - nu) ** 2))) if low.any() else 0.05
    high = share > nu
    theta = float(np.sqrt(np.sqrt(np.mean((share[high] - nu) ** 2)))) if high.any() else 0.1
    return Nuisance(tau=tau, sigma_tau=max(sigma_tau, 1e-3), nu=nu,
                    sigma_nu=max(sigma_nu, 1e-3), theta=max(theta, 1e-3))


@dataclass(frozen=True)
class _Draws:
    """Common random numbers for one simulated election (reused across parameters)."""

    a: np.ndarray       # honest turnout
    v: np.ndarray       # honest share
    u: np.ndarray       # which fraud type
    x_inc: np.ndarray   # incremental magnitude
    x_ext: np.ndarray   # extreme magnitude


def _trunc_normal(u: np.ndarray, mean: float, sd: float) -> np.ndarray:
    lo, hi = special.ndtr((0 - mean) / sd), special.ndtr((1 - mean) / sd)
    return np.clip(mean + sd * special.ndtri(lo + u * (hi - lo)), 0.0, 1.0)


def _draws(n: int, nuis: Nuisance, gen: np.random.Generator) -> _Draws:
    u = gen.random((5, n))
    half_cap = 2 * special.ndtr(1 / nuis.theta) - 1  # |N(0, theta)| truncated at 1
    x_inc = nuis.theta * special.ndtri(0.5 + 0.5 * u[3] * half_cap)
    x_ext = 1 - np.minimum(np.abs(EXTREME_SD * special.ndtri(0.5 + 0.5 * u[4])), 1.0)
    return _Draws(a=_trunc_normal(u[0], nuis.tau, nuis.sigma_tau),
                  v=_trunc_normal(u[1], nuis.nu, nuis.sigma_nu), u=u[2], x_inc=x_inc,
                  x_ext=x_ext)


def _simulate(draws: _Draws, registered: np.ndarray, f_i: float, f_e: float,
              alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Model turnout and winner share per unit (counts rounded to whole voters)."""
    x = np.where(draws.u < f_i, draws.x_inc, np.where(draws.u < f_i + f_e, draws.x_ext, 0.0))
    a, v = draws.a, draws.v
    ballots = np.rint(registered * (1 - (1 - x) * (1 - a)))
    winner = np.rint(registered * (a * v + x * (1 - a) + x**alpha * a * (1 - v)))
    ballots = np.maximum(ballots, 1.0)
    return ballots / registered, np.minimum(winner, ballots) / ballots


def _hist(t: np.ndarray, s: np.ndarray, bins: int) -> np.ndarray:
    ti = np.minimum((t * bins).astype(np.int64), bins - 1)
    si = np.minimum((s * bins).astype(np.int64), bins - 1)
    return np.bincount(ti * bins + si, minlength=bins * bins).astype(np.float64)


@dataclass(frozen=True)
class _Fit:
    f_i: float
    f_e: float
    alpha: float
    distance: float
    distance_fair: float
    nuisance: Nuisance


#: The simulated histogram uses ceil(REPLICA_UNITS / n) copies of each unit (at most
#: MAX_REPLICAS).
REPLICA_UNITS = 20_000
MAX_REPLICAS = 20
#: Parameter bounds of the fit: f_i in [0, 1], f_e in [0, 0.3] (EFToolkit), alpha in [0.5, 5].
BOUNDS = ((0.0, 1.0), (0.0, 0.3), (0.5, 5.0))


def _fit(turnout: np.ndarray, share: np.ndarray, registered: np.ndarray, bins: int,
         gen: np.random.Generator, nuis: Nuisance | None = None) -> _Fit:
    """Minimise the squared distance between the observed and simulated 2-D histograms."""
    nuis = nuis or estimate_nuisance(turnout, share)
    target = _hist(turnout, share, bins)
    # Several simulated copies of every unit smooth the simulated histogram, so the fit does
    # not chase the model's own sampling noise (important below ~10^5 units).
    replicas = int(min(MAX_REPLICAS, max(1, math.ceil(REPLICA_UNITS / turnout.size))))
    draws = _draws(turnout.size * replicas, nuis, gen)
    reg_rep = np.tile(registered, replicas)

    def distance(p: np.ndarray) -> float:
        f_i, f_e, alpha = (float(np.clip(v, lo, hi)) for v, (lo, hi) in zip(p, BOUNDS,
                                                                              strict=True))
        if f_i + f_e > 1:
            return math.inf
        h = _hist(*_simulate(draws, reg_rep, f_i, f_e, alpha), bins) / replicas
        return float(np.sum((h - target) ** 2)) / turnout.size

    grid = [(fi, fe, al) for fi in np.linspace(0, 0.9, 10) for fe in (0, 0.01, 0.03, 0.08)
            for al in (1.0, 2.0, 3.0)]
    scores = [distance(np.array(g)) for g in grid]
    start = np.array(grid[int(np.argmin(scores))])
    res = optimize.minimize(distance, start, method="Nelder-Mead",
                            options={"initial_simplex": _simplex(start), "xatol": 2e-3,
                                     "fatol": 1e-9, "maxfev": 400})
    best = np.array([np.clip(v, lo, hi) for v, (lo, hi) in zip(res.x, BOUNDS, strict=True)])
    return _Fit(f_i=float(best[0]), f_e=float(best[1]), alpha=float(best[2]),
                distance=float(res.fun), distance_fair=distance(np.array([0.0, 0.0, 1.0])),
                nuisance=nuis)


def _simplex(start: np.ndarray) -> np.ndarray:
    steps = np.array([0.05, 0.01, 0.5])
    return np.vstack([start, *(start + np.diag(steps)[k] for k in range(3))])


@dataclass(frozen=True, kw_only=True)
class KlimekFitResult(CheckResult):
    """Fitted fraud-model parameters with parametric-bootstrap intervals.

    ``table`` has one row per parameter (estimate, bootstrap low/high, bootstrap SD) plus
    the nuisance parameters; ``bootstrap`` the refitted parameters of each bootstrap
    replicate; ``null_distribution`` the ``f_i + f_e`` of fits to fair-model replicates
    (empty when ``n_null`` is 0).
    """

    f_i: float = math.nan
    f_e: float = math.nan
    alpha: float = math.nan
    nuisance: Nuisance | None = None
    bootstrap: pd.DataFrame = field(default_factory=pd.DataFrame)
    null_distribution: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fraudulent_votes: float = math.nan


def klimek_fit(sheets: SheetTable, *, candidate: str | None = None, share_of: str = "valid",
               min_registered: int = 100, bins: int = 50, n_bootstrap: int = 20,
               n_null: int = 0, confidence: float = 0.95, progress: Progress | None = None,
               rng: RNGLike = None) -> KlimekFitResult:
    """Fit the Klimek et al. (2012) fraud model: incremental ``f_i``, extreme ``f_e``, ``alpha``.

    Procedure (paper, Methods; Klimek's ``ElectionFitter`` as ported in EFToolkit):

    1. Units with at least ``min_registered`` voters; nuisance parameters by
       :func:`estimate_nuisance`.
    2. For candidate parameters, simulate every unit with its own electorate (common random
       numbers across candidates) and compute the squared distance between the simulated and
       observed 2-D turnout × share histograms (``bins`` × ``bins``).
    3. Minimise over ``f_i ∈ [0, 1]``, ``f_e ∈ [0, 0.3]``, ``alpha ∈ [0.5, 5]``: a coarse grid
       then Nelder–Mead.
    4. Parametric bootstrap: ``n_bootstrap`` elections simulated from the fitted model (new
       random numbers, same electorates) are refitted (nuisance re-estimated); the interval is
       the basic (reflected) bootstrap interval ``[2 est - q_hi, 2 est - q_lo]``, which
       corrects for the bias of the plug-in procedure (``bootstrap_bias`` in ``table``: on
       Russia 2011 the refits of ``f_i`` come out about 0.09 lower than the estimate, because
       the honest-part estimates are themselves shifted by stuffing). Each simulation uses
       ``ceil(20,000 / n)`` copies of every unit (at most 20) to smooth the histogram.
    5. Optional test of ``f_i = f_e = 0`` (``n_null > 0``): ``n_null`` elections simulated from
       the fair model (``f_i = f_e = 0``) with the fitted nuisance parameters are refitted;
       the p-value is ``(k + 1) / (n_null + 1)`` with ``k`` the fair refits whose ``f_i + f_e``
       reaches the observed one.

    Returns
    -------
    KlimekFitResult
        ``statistic`` = ``f_i + f_e`` (the fraction of units the model calls fraudulent),
        ``effect`` = the model's fraudulent votes for the winner (stuffed plus stolen, from
        the fitted simulation), ``pvalue`` from step 5 or None.

    Notes
    -----
    Reference fits (paper, as transcribed in Kobak's ``meduza2018`` notebook): Russia 2011
    ``f_i = 0.64``, ``f_e = 0.033``, ``alpha = 2.3``; fair elections ``f_i ≈ f_e ≈ 0``.
    Expect loose agreement only: the fit depends on the binning, the peak estimates and the
    random numbers, and Mebane–Kalinin's likelihood version of the same model gives
    ``f_i = 0.12`` on the same data. Failure modes: the honest part is a single truncated
    normal with turnout independent of share, so legitimate heterogeneity (regional blocs,
    turnout–preference correlation) is absorbed by ``f_i``; the fit is not a likelihood and
    the fair-model test assumes the model's honest part is right, so it is not calibrated on
    honest elections that do not look like the model.
    """
    if n_bootstrap < 0 or n_null < 0:
        raise ValueError("n_bootstrap and n_null must be non-negative")
    t, s, reg, _, excluded, cand = _fingerprint_data(sheets, candidate, share_of,
                                                     min_registered)
    if t.size < 30:
        raise ValueError("the Klimek fit needs at least 30 units with enough voters")
    gen = as_generator(rng)
    child = spawn(gen, 1 + n_bootstrap + n_null)
    fit = _fit(t, s, reg, bins, child[0])
    total = n_bootstrap + n_null
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    boot_rows = []
    for b in range(n_bootstrap):
        g = child[1 + b]
        sim_t, sim_s = _simulate(_draws(t.size, fit.nuisance, g), reg, fit.f_i, fit.f_e,
                                 fit.alpha)
        refit = _fit(sim_t, sim_s, reg, bins, g)
        boot_rows.append({"f_i": refit.f_i, "f_e": refit.f_e, "alpha": refit.alpha})
        tick()
    boot = pd.DataFrame(boot_rows, columns=["f_i", "f_e", "alpha"])
    null = np.empty(n_null)
    for k in range(n_null):
        g = child[1 + n_bootstrap + k]
        sim_t, sim_s = _simulate(_draws(t.size, fit.nuisance, g), reg, 0.0, 0.0, 1.0)
        refit = _fit(sim_t, sim_s, reg, bins, g)
        null[k] = refit.f_i + refit.f_e
        tick()
    statistic = fit.f_i + fit.f_e
    pvalue = monte_carlo_pvalue(null, statistic) if n_null else None
    fraud_votes = _fraudulent_votes(fit, reg, child[0])
    alpha_level = 1 - confidence
    rows: list[dict[str, float | str]] = []
    intervals: dict[str, tuple[float, float]] = {}
    for name, value in (("f_i", fit.f_i), ("f_e", fit.f_e), ("alpha", fit.alpha)):
        col = boot[name].to_numpy()
        # Basic (reflected) interval: the plug-in estimator is biased when stuffing is
        # present, and the basic interval corrects for the bias the bootstrap shows.
        q_lo, q_hi = (np.quantile(col, [alpha_level / 2, 1 - alpha_level / 2]) if col.size
                      else (math.nan, math.nan))
        lo, hi = 2 * value - q_hi, 2 * value - q_lo
        intervals[name] = (float(lo), float(hi))
        rows.append({"parameter": name, "estimate": value, "low": float(lo),
                     "high": float(hi), "bootstrap_sd": float(col.std(ddof=1))
                     if col.size > 1 else math.nan,
                     "bootstrap_bias": float(col.mean() - value) if col.size else math.nan})
    nuis = fit.nuisance
    for name in ("tau", "sigma_tau", "nu", "sigma_nu", "theta"):
        rows.append({"parameter": name, "estimate": getattr(nuis, name), "low": math.nan,
                     "high": math.nan, "bootstrap_sd": math.nan})
    rows.append({"parameter": "distance", "estimate": fit.distance, "low": math.nan,
                 "high": math.nan, "bootstrap_sd": math.nan})
    rows.append({"parameter": "distance_fair", "estimate": fit.distance_fair,
                 "low": math.nan, "high": math.nan, "bootstrap_sd": math.nan})
    table = pd.DataFrame(rows)
    params = {"candidate": cand, "share_of": share_of, "min_registered": min_registered,
              "bins": bins, "n_bootstrap": n_bootstrap, "n_null": n_null,
              "confidence": confidence}
    msg = {"candidate": cand, "f_i": 100 * fit.f_i, "f_e": 100 * fit.f_e, "alpha": fit.alpha,
           "f_i_low": 100 * intervals["f_i"][0], "f_i_high": 100 * intervals["f_i"][1],
           "f_e_low": 100 * intervals["f_e"][0], "f_e_high": 100 * intervals["f_e"][1],
           "stations": int(t.size), "votes": fraud_votes}
    message_id = "fingerprints.klimek_tested" if pvalue is not None else "fingerprints.klimek"
    if pvalue is not None:
        msg["p"] = pvalue
    return KlimekFitResult(
        test="fingerprints.klimek", statistic=statistic, pvalue=pvalue,
        effect=fraud_votes, effect_unit="votes", n=int(t.size),
        null=(f"simulation(n={n_null}, model=Klimek fair model f_i=f_e=0)" if n_null
              else "none (estimate)"),
        evidence=evidence_from_pvalue(pvalue), table=table,
        message=Message(message_id, msg), excluded=excluded, params=params,
        f_i=fit.f_i, f_e=fit.f_e, alpha=fit.alpha, nuisance=nuis, bootstrap=boot,
        null_distribution=null, fraudulent_votes=fraud_votes)


def _fraudulent_votes(fit: _Fit, registered: np.ndarray, gen: np.random.Generator) -> float:
    """Winner votes added by the fitted model (stuffed + stolen) in one simulation."""
    draws = _draws(registered.size, fit.nuisance, gen)
    x = np.where(draws.u < fit.f_i, draws.x_inc,
                 np.where(draws.u < fit.f_i + fit.f_e, draws.x_ext, 0.0))
    a, v = draws.a, draws.v
    added = registered * (x * (1 - a) + x**fit.alpha * a * (1 - v))
    return float(added.sum())


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

#: Columns of each registered check's ``table`` (checked by the contract tests).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "fingerprints.fingerprint": ("turnout_lo", "share_lo", "stations"),
    "fingerprints.klimek": ("parameter", "estimate", "low", "high", "bootstrap_sd",
                            "bootstrap_bias"),
}

register(CheckSpec(
    name="fingerprints.fingerprint", family="fingerprints",
    run=runner(fingerprint), needs=frozenset({"registered"}), calibrated=False,
    fast=True, description="Turnout × winner-share fingerprint and the (95%, 95%) corner."))
register(CheckSpec(
    name="fingerprints.klimek", family="fingerprints",
    run=runner(klimek_fit, with_rng=True, n_bootstrap=9, n_null=19),
    needs=frozenset({"registered"}), calibrated=False, fast=False, min_units=100,
    description="Klimek et al. (2012) fraud-model fit; fair-model parametric test."))

