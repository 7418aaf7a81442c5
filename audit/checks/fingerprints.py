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
By key of the bibliography, :mod:`audit.references`, where the full entries are:

- Klimek, Yegorov, Hanel & Thurner (2012) [klimek2012]
- Mebane (2016) [mebane2016]: a critique of the fitting algorithm (plug-in estimates, no
  likelihood).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from scipy import ndimage, optimize, special

from audit._random import RNGLike, as_generator, spawn
from audit.checks._options import DEFAULT_RESAMPLES, BatteryOptions
from audit.checks.pvalues import fitted_tail, normal_tail, sequential_pvalue, sign_flip_test
from audit.checks.registry import CheckSpec, register, runner
from audit.checks.result import CheckResult, Evidence, Message, evidence_from_pvalue
from audit.checks.stations import (
    Stations,
    centred_log_size,
    detrend,
    logit,
    stations,
)
from audit.errors import AuditError
from audit.model import SheetTable, candidate_label, region_code_column

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
    msg = {"candidate": candidate_label(cand, sheets.election), "stations": int(t.size),
           "corner": 100 * corner,
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


def _incremental(u: np.ndarray, theta: float) -> np.ndarray:
    """``|N(0, theta)|`` truncated at 1, by inversion of uniforms ``u``."""
    half_cap = 2 * special.ndtr(1 / theta) - 1
    return theta * special.ndtri(0.5 + 0.5 * u * half_cap)


def _extreme(u: np.ndarray) -> np.ndarray:
    return 1 - np.minimum(np.abs(EXTREME_SD * special.ndtri(0.5 + 0.5 * u)), 1.0)


def _draws(n: int, nuis: Nuisance, gen: np.random.Generator,
           fraud: tuple[float, float] | None = None) -> _Draws:
    """Random numbers of one simulated election of ``n`` units. With ``fraud = (f_i, f_e)``
    the fraud magnitudes are computed only for the units a model with these fractions makes
    fraudulent (0 elsewhere, where :func:`_simulate` does not read them): the same numbers
    there; without, for every unit."""
    u = gen.random((5, n))
    if fraud is None:
        incremental = extreme = np.ones(n, dtype=bool)
    else:
        incremental = u[2] < fraud[0]
        extreme = ~incremental & (u[2] < fraud[0] + fraud[1])
    return _Draws(a=_trunc_normal(u[0], nuis.tau, nuis.sigma_tau),
                  v=_trunc_normal(u[1], nuis.nu, nuis.sigma_nu), u=u[2],
                  x_inc=_at(incremental, u[3], partial(_incremental, theta=nuis.theta)),
                  x_ext=_at(extreme, u[4], _extreme))


def _at(where: np.ndarray, u: np.ndarray, transform: Callable[[np.ndarray], np.ndarray]
        ) -> np.ndarray:
    """``transform(u)`` where ``where`` (an elementwise transform), 0 elsewhere."""
    if where.all():
        return transform(u)
    out = np.zeros(u.size)
    out[where] = transform(u[where])
    return out


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
    nuisance_fair: Nuisance


METHODS: tuple[str, ...] = ("joint", "klimek2012")
#: Parameters of a fit in order, with their bounds: the fraud part (f_e in [0, 0.3] as in
#: EFToolkit), the honest part and theta.
PARAMETERS = ("f_i", "f_e", "alpha", "tau", "sigma_tau", "nu", "sigma_nu", "theta")
_BOUNDS = np.array([(0.0, 1.0), (0.0, 0.3), (0.5, 5.0), (0.01, 0.99), (0.005, 0.5),
                    (0.01, 0.99), (0.005, 0.5), (0.02, 1.0)])
#: Fraud parameters only (the ``klimek2012`` method).
BOUNDS = tuple(map(tuple, _BOUNDS[:3]))
#: Simulated units per fit: ceil(units / n) copies of each unit (at most MAX_REPLICAS), so
#: the fit does not chase the model's own sampling noise; the joint fit simulates a random
#: subset of that many electorates when there are more units.
REPLICA_UNITS = {"joint": 10_000, "klimek2012": 20_000}
MAX_REPLICAS = 20


class _Objective:
    """Distance between the observed and simulated histograms, common random numbers.

    The honest draws are cached per honest parameter value, so steps that move only the
    fraud parameters cost one simulation of the units and one histogram.
    """

    def __init__(self, turnout: np.ndarray, share: np.ndarray, registered: np.ndarray,
                 bins: int, gen: np.random.Generator, method: str) -> None:
        self.replicas: float
        self.n = turnout.size
        self.bins = bins
        self.hellinger = method == "joint"
        units = REPLICA_UNITS[method]
        if method == "joint" and self.n > units:
            # more units than needed for a smooth histogram: simulate a random subset of
            # electorates and scale its histogram up (replicas < 1)
            pick = np.sort(gen.choice(self.n, size=units, replace=False))
            self.registered = registered[pick]
            self.replicas = units / self.n
        else:
            copies = int(min(MAX_REPLICAS, max(1, math.ceil(units / self.n))))
            self.registered = np.tile(registered, copies)
            self.replicas = float(copies)
        self.u = gen.random((5, self.registered.size))
        self.x_ext = _extreme(self.u[4])
        target = _hist(turnout, share, bins)
        self.target = np.sqrt(target) if self.hellinger else target
        self._cache: dict[str, tuple[tuple[float, ...], np.ndarray]] = {}

    def _part(self, name: str, key: tuple[float, ...],
              make: Callable[[], np.ndarray]) -> np.ndarray:
        hit = self._cache.get(name)
        if hit is None or hit[0] != key:
            hit = (key, make())
            self._cache[name] = hit
        return hit[1]

    def _honest(self, row: int, mean: float, sd: float) -> np.ndarray:
        """Truncated-normal draws; where the truncation is immaterial (mass outside [0, 1]
        below 1e-9) a shift and scale of cached standard normals, which is the same."""
        if special.ndtr(-mean / sd) < 1e-9 and special.ndtr((mean - 1) / sd) < 1e-9:
            z = self._part(f"z{row}", (), lambda: special.ndtri(self.u[row]))
            return np.clip(mean + sd * z, 0.0, 1.0)
        return _trunc_normal(self.u[row], mean, sd)

    def __call__(self, p: np.ndarray) -> float:
        f_i, f_e, alpha, tau, s_tau, nu, s_nu, theta = (
            float(v) for v in np.clip(p, _BOUNDS[:, 0], _BOUNDS[:, 1]))
        if f_i + f_e > 1:
            return math.inf
        u = self.u
        draws = _Draws(
            a=self._part("a", (tau, s_tau), lambda: self._honest(0, tau, s_tau)),
            v=self._part("v", (nu, s_nu), lambda: self._honest(1, nu, s_nu)),
            u=u[2], x_inc=self._part("x", (theta,), lambda: _incremental(u[3], theta)),
            x_ext=self.x_ext)
        h = _hist(*_simulate(draws, self.registered, f_i, f_e, alpha), self.bins)
        h /= self.replicas
        if self.hellinger:
            np.sqrt(h, out=h)
        return float(np.sum((h - self.target) ** 2)) / self.n


def _minimise(func: Callable[[np.ndarray], float], start: np.ndarray, steps: np.ndarray,
              maxfev: int, xatol: float) -> np.ndarray:
    simplex = np.vstack([start, *(start + np.diag(steps)[k] for k in range(start.size))])
    res = optimize.minimize(func, start, method="Nelder-Mead",
                            options={"initial_simplex": simplex, "xatol": xatol,
                                     "fatol": 1e-10, "maxfev": maxfev})
    return np.asarray(res.x, dtype=float)


def _fit(turnout: np.ndarray, share: np.ndarray, registered: np.ndarray, bins: int,
         gen: np.random.Generator, nuis: Nuisance | None = None,
         method: str = "joint", fair: bool = True) -> _Fit:
    """Fit the fraud model to the observed 2-D histogram (see :func:`klimek_fit`).

    ``fair=False`` skips the separate fit of the fair model (its distance and honest part
    are then those of the best fit's honest part with no fraud), for refits that only need
    the fraud parameters.
    """
    objective = _Objective(turnout, share, registered, bins, gen, method)
    plug = nuis or estimate_nuisance(turnout, share)
    if method == "klimek2012" or nuis is not None:
        honest = np.array([plug.tau, plug.sigma_tau, plug.nu, plug.sigma_nu, plug.theta])

        def fraud_only(p: np.ndarray) -> float:
            return objective(np.concatenate([p, honest[:4], honest[4:]]))

        grid = [np.array([fi, fe, al]) for fi in np.linspace(0, 0.9, 10)
                for fe in (0, 0.01, 0.03, 0.08) for al in (1.0, 2.0, 3.0)]
        start = min(grid, key=fraud_only)
        best = np.concatenate([_minimise(fraud_only, start, np.array([0.05, 0.01, 0.5]), 400,
                                         2e-3), honest])
        fair_params = np.concatenate([[0.0, 0.0, 1.0], honest])
    else:
        # honest part: robust location and lower-half spread, refined jointly below
        tau, nu = float(np.median(turnout)), float(np.median(share))
        honest = np.array([tau, max(tau - float(np.quantile(turnout, 0.158655)), 5e-3),
                           nu, max(nu - float(np.quantile(share, 0.158655)), 5e-3)])
        grid = [np.array([fi, fe, al, th]) for fi in (0, 0.05, 0.1, 0.2, 0.4, 0.7)
                for fe in (0, 0.01, 0.05) for al in (1.0, 2.5) for th in (0.15, 0.4)]

        def fraud_part(f: np.ndarray, h: np.ndarray) -> np.ndarray:
            return np.concatenate([f[:3], h, f[3:]])

        fraud = min(grid, key=lambda f: objective(fraud_part(f, honest)))
        honest = _minimise(lambda h: objective(fraud_part(fraud, h)), honest,
                           np.array([0.02, 0.01, 0.02, 0.01]), 150, 1e-3)
        fraud = _minimise(lambda f: objective(fraud_part(f, honest)), fraud,
                          np.array([0.05, 0.01, 0.5, 0.1]), 200, 2e-3)
        best = fraud_part(fraud, honest)
        if fair:
            honest = _minimise(
                lambda h: objective(fraud_part(np.array([0.0, 0.0, 1.0, 0.1]), h)), honest,
                np.array([0.02, 0.01, 0.02, 0.01]), 100, 1e-3)
        fair_params = fraud_part(np.array([0.0, 0.0, 1.0, 0.1]), honest)
    best = np.clip(best, _BOUNDS[:, 0], _BOUNDS[:, 1])
    fair_params = np.clip(fair_params, _BOUNDS[:, 0], _BOUNDS[:, 1])
    return _Fit(f_i=float(best[0]), f_e=float(best[1]), alpha=float(best[2]),
                distance=objective(best), distance_fair=objective(fair_params),
                nuisance=_nuisance(best), nuisance_fair=_nuisance(fair_params))


def _nuisance(p: np.ndarray) -> Nuisance:
    tau, s_tau, nu, s_nu, theta = (float(v) for v in p[3:])
    return Nuisance(tau=tau, sigma_tau=s_tau, nu=nu, sigma_nu=s_nu, theta=theta)


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
               min_registered: int = 100, bins: int = 50, method: str = "joint",
               n_bootstrap: int = 20, n_null: int = 0, confidence: float = 0.95,
               progress: Progress | None = None, rng: RNGLike = None) -> KlimekFitResult:
    """Fit the Klimek et al. (2012) fraud model: incremental ``f_i``, extreme ``f_e``, ``alpha``.

    Procedure (``method="joint"``, the default):

    1. Units with at least ``min_registered`` voters.
    2. For candidate parameters, simulate every unit with its own electorate (common random
       numbers across candidates; ``ceil(10,000 / n)`` copies of every unit, at most 20, to
       smooth the histogram) and compute the Hellinger distance between the simulated and
       observed 2-D turnout × share histograms (``bins`` × ``bins``),
       ``sum (sqrt(h_sim) - sqrt(h_obs))^2``: square roots stabilise the variance of the
       counts, so the sparse cells the fraud smear fills weigh as much as the dense peak.
    3. The honest part (``tau``, ``sigma_tau``, ``nu``, ``sigma_nu``) is fitted *jointly*
       with the fraud part (``f_i ∈ [0, 1]``, ``f_e ∈ [0, 0.3]``, ``alpha ∈ [0.5, 5]`` and the
       incremental magnitude ``theta``): start from robust plug-ins (medians, and the spread
       of the lower half, which stuffing does not reach), a coarse grid over the fraud part,
       then Nelder–Mead on the honest part and on the fraud part. On clean simulated
       elections of 5,000 tables this gives ``f_i = 0`` where Klimek's plug-in recipe drifts
       to 0.05–0.24, and on 10% ballot stuffing ``f_i ≈ 0.10–0.15`` where the plug-in
       recipe, whose honest spread is estimated from contaminated data and whose ``theta``
       is fixed, cannot tell it from clean (``tests/checks/test_fingerprints.py``).
    4. Parametric bootstrap: ``n_bootstrap`` elections simulated from the fitted model (new
       random numbers, same electorates) are refitted; the interval is the basic (reflected)
       bootstrap interval ``[2 est - q_hi, 2 est - q_lo]``, which corrects for a bias of the
       procedure (``bootstrap_bias`` in ``table``), clipped to the parameter's range.
    5. Optional test of ``f_i = f_e = 0`` (``n_null > 0``): ``n_null`` elections simulated from
       the fair model (``f_i = f_e = 0``) with the honest part fitted under it are refitted;
       the p-value is Besag & Clifford's ``10 / l`` when 10 fair refits reach the observed
       ``f_i + f_e`` within the first ``l``, else the tail fitted to the refits
       (:func:`audit.checks.pvalues.sequential_pvalue`).

    ``method="klimek2012"`` is the paper's recipe (Methods; Klimek's ``ElectionFitter`` as
    ported in EFToolkit and re-implemented by Kobak): honest part by :func:`estimate_nuisance`
    (modes and root mean squares of negative deviations), ``theta`` fixed, squared distance,
    ``ceil(20,000 / n)`` copies, the fraud part only fitted. Use it to reproduce published
    fits.

    Returns
    -------
    KlimekFitResult
        ``statistic`` = ``f_i + f_e`` (the fraction of units the model calls fraudulent),
        ``effect`` = the model's fraudulent votes for the winner (stuffed plus stolen, from
        the fitted simulation), ``pvalue`` from step 5 or None.

    Notes
    -----
    Reference fits (paper, as transcribed in Kobak's ``meduza2018`` notebook): Russia 2011
    ``f_i = 0.64``, ``f_e = 0.033``, ``alpha = 2.3`` (reproduced by ``klimek2012``; the joint
    fit widens the honest cluster and gives ``f_i ≈ 0.5``, ``f_e ≈ 0.03``); fair elections
    ``f_i ≈ f_e ≈ 0``. Expect loose agreement only: the fit depends on the binning and the
    random numbers, and Mebane–Kalinin's likelihood version of the same model gives
    ``f_i = 0.12`` on the same data. Failure modes: the honest part is a single truncated
    normal with turnout independent of share, so legitimate heterogeneity (regional blocs,
    turnout–preference correlation, a cluster of very high-turnout tables) is absorbed by
    ``f_i`` — Córdoba 2019, a clean reference, gets ``f_i ≈ 0.1`` from the joint fit; the
    fit is not a likelihood and the fair-model test assumes the model's honest part is
    right, so it is not calibrated on honest elections that do not look like the model (the
    calibrated test of this family is :func:`corner_asymmetry`).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if n_bootstrap < 0 or n_null < 0:
        raise ValueError("n_bootstrap and n_null must be non-negative")
    t, s, reg, _, excluded, cand = _fingerprint_data(sheets, candidate, share_of,
                                                     min_registered)
    if t.size < 30:
        raise ValueError("the Klimek fit needs at least 30 units with enough voters")
    gen = as_generator(rng)
    child = spawn(gen, 1 + n_bootstrap + n_null)
    fit = _fit(t, s, reg, bins, child[0], method=method)
    tick = _counter(n_bootstrap + n_null, progress)
    boot = pd.DataFrame(
        [{"f_i": r.f_i, "f_e": r.f_e, "alpha": r.alpha}
         for r in _refits(fit, reg, bins, child[1:1 + n_bootstrap], method, tick)],
        columns=["f_i", "f_e", "alpha"])
    null = np.array([r.f_i + r.f_e for r in _refits(
        fit, reg, bins, child[1 + n_bootstrap:], method, tick, fair=True)], dtype=float)
    statistic = fit.f_i + fit.f_e
    found = sequential_pvalue(null, statistic, n_null, tail=partial(
        _refit_tail, null, statistic)) if n_null else None
    pvalue = found.value if found is not None else None
    fraud_votes = _fraudulent_votes(fit, reg, child[0])
    table, intervals = _klimek_table(fit, boot, confidence)
    params = {"candidate": cand, "share_of": share_of, "min_registered": min_registered,
              "bins": bins, "method": method, "n_bootstrap": n_bootstrap, "n_null": n_null,
              "confidence": confidence}
    msg = {"candidate": candidate_label(cand, sheets.election), "f_i": 100 * fit.f_i,
           "f_e": 100 * fit.f_e, "alpha": fit.alpha,
           "f_i_low": 100 * intervals["f_i"][0], "f_i_high": 100 * intervals["f_i"][1],
           "f_e_low": 100 * intervals["f_e"][0], "f_e_high": 100 * intervals["f_e"][1],
           "stations": int(t.size), "votes": fraud_votes}
    message_id = "fingerprints.klimek_tested" if pvalue is not None else "fingerprints.klimek"
    if pvalue is not None:
        msg["p"] = pvalue
    return KlimekFitResult(
        test="fingerprints.klimek", statistic=statistic, pvalue=pvalue,
        pvalue_method=found.method if found is not None else None,
        z=found.z if found is not None else None, candidate=cand,
        effect=fraud_votes, effect_unit="votes", n=int(t.size),
        null=(f"simulation(n={n_null}, model=Klimek fair model f_i=f_e=0)" if n_null
              else "none (estimate)"),
        evidence=evidence_from_pvalue(pvalue), table=table,
        message=Message(message_id, msg), excluded=excluded, params=params,
        f_i=fit.f_i, f_e=fit.f_e, alpha=fit.alpha, nuisance=fit.nuisance, bootstrap=boot,
        null_distribution=null, fraudulent_votes=fraud_votes)


def _counter(total: int, progress: Progress | None) -> Callable[[], None]:
    """A tick that reports ``(done, total)`` to ``progress`` (if any) each time it is called."""
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)
    return tick


def _refits(fit: _Fit, registered: np.ndarray, bins: int,
            generators: Sequence[np.random.Generator], method: str,
            tick: Callable[[], None], *, fair: bool = False) -> list[_Fit]:
    """One refit per generator of an election simulated from ``fit`` with the same
    electorates: the fitted model (parametric bootstrap), or with ``fair`` the fair model
    (``f_i = f_e = 0``, honest part fitted under it) for the test of ``f_i = f_e = 0``."""
    out = []
    for g in generators:
        if fair:
            draws = _draws(registered.size, fit.nuisance_fair, g, (0.0, 0.0))
            sim_t, sim_s = _simulate(draws, registered, 0.0, 0.0, 1.0)
        else:
            draws = _draws(registered.size, fit.nuisance, g, (fit.f_i, fit.f_e))
            sim_t, sim_s = _simulate(draws, registered, fit.f_i, fit.f_e, fit.alpha)
        out.append(_fit(sim_t, sim_s, registered, bins, g, method=method, fair=False))
        tick()
    return out


def _klimek_table(fit: _Fit, boot: pd.DataFrame, confidence: float
                  ) -> tuple[pd.DataFrame, dict[str, tuple[float, float]]]:
    """The fit's table (fraud parameters with their bootstrap intervals, then the honest
    part and the distances) and the intervals of ``f_i``, ``f_e`` and ``alpha``."""
    alpha_level = 1 - confidence
    rows: list[dict[str, float | str]] = []
    intervals: dict[str, tuple[float, float]] = {}
    for (name, value), (floor, ceiling) in zip(
            (("f_i", fit.f_i), ("f_e", fit.f_e), ("alpha", fit.alpha)), BOUNDS, strict=True):
        col = boot[name].to_numpy()
        # Basic (reflected) interval: the plug-in estimator is biased when stuffing is
        # present, and the basic interval corrects for the bias the bootstrap shows. The
        # reflection can leave the parameter's range (a negative fraction near 0): clipped.
        q_lo, q_hi = (np.quantile(col, [alpha_level / 2, 1 - alpha_level / 2]) if col.size
                      else (math.nan, math.nan))
        lo = float(np.clip(2 * value - q_hi, floor, ceiling))
        hi = float(np.clip(2 * value - q_lo, floor, ceiling))
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
    return pd.DataFrame(rows), intervals


def _refit_tail(null: np.ndarray, statistic: float) -> tuple[float, str]:
    """Tail of the fair-model refits beyond them (normal or generalised Pareto)."""
    return fitted_tail(null, statistic, lambda x: normal_tail(null, x))


def _fraudulent_votes(fit: _Fit, registered: np.ndarray, gen: np.random.Generator) -> float:
    """Winner votes added by the fitted model (stuffed + stolen) in one simulation."""
    draws = _draws(registered.size, fit.nuisance, gen, (fit.f_i, fit.f_e))
    x = np.where(draws.u < fit.f_i, draws.x_inc,
                 np.where(draws.u < fit.f_i + fit.f_e, draws.x_ext, 0.0))
    a, v = draws.a, draws.v
    added = registered * (x * (1 - a) + x**fit.alpha * a * (1 - v))
    return float(added.sum())


# --------------------------------------------------------------------------------------------
# The corner test: a calibrated test of the ballot-stuffing smear
# --------------------------------------------------------------------------------------------


def _standardised(k: np.ndarray, n: np.ndarray, group: np.ndarray,
                  size: np.ndarray | None) -> np.ndarray:
    """Logit rate minus its regional centre, over its honest spread at that station.

    The spread is the counting noise of the station's own denominator, ``1 / (n p (1 - p))``
    on the logit scale, plus the region's variation between stations (robust: squared MAD
    minus the median counting noise). Without it, stations with small denominators — low
    turnout means few votes — would reach the extremes of the share more often, and honest
    counting would fill the low-turnout corners more than the high-turnout ones.
    """
    p = (k + 0.5) / (n + 1.0)
    y = logit(p)
    if size is not None:
        y = detrend(y, size, group, np.ones(y.size, dtype=bool))
    noise = 1.0 / ((n + 1.0) * p * (1.0 - p))
    frame = pd.DataFrame({"g": group, "y": y, "noise": noise})
    centre = frame.groupby("g")["y"].transform("median").to_numpy()
    mad = pd.Series(np.abs(y - centre)).groupby(group).transform("median").to_numpy()
    typical = frame.groupby("g")["noise"].transform("median").to_numpy()
    between = np.maximum((1.4826 * mad) ** 2 - typical, 0.0)
    return (y - centre) / np.sqrt(between + noise)


#: ``level="auto"``: rank within the finest region level (units of at least ``min_stations``).
AUTO = "auto"
#: Smallest area of the corner test: five stations per decile, so that an area's median,
#: spread and corners are estimated from enough stations.
MIN_AREA_STATIONS = 50


@dataclass(frozen=True)
class LocalAreas:
    """Stations grouped into the areas the corner test ranks and reflects within.

    ``group`` holds the area of each station (-1: left out), ``labels`` and ``levels`` the
    code path and region level of each area (a unit's remaining stations pooled at a level
    above their own carry ``(pooled)``).
    """

    group: np.ndarray
    labels: tuple[str, ...]
    levels: tuple[str, ...]


def local_areas(sheets: SheetTable, usable: np.ndarray, level: str | None,
                min_stations: int) -> LocalAreas:
    """Each usable station's area: the finest unit holding ``min_stations`` usable stations.

    Starting at ``level`` (``"auto"``: the finest region level; None: the whole table as one
    area), units with at least ``min_stations`` usable stations are areas; the stations of
    smaller units are pooled into their parent unit at the level above, whose remaining
    stations form an area if they are enough, and so on up to the whole table. Stations
    still left over (fewer than ``min_stations`` in all) get -1. Ranking within small areas
    removes sub-regional differences (a municipality's own turnout and leaning), which
    would otherwise be mistaken for a corner asymmetry of the whole region.
    """
    levels = sheets.levels
    if level == AUTO:
        depth = len(levels)
    elif level is None:
        depth = 0
    elif level in levels:
        depth = levels.index(level) + 1
    else:
        raise AuditError(f"unknown region level {level!r}; levels: {list(levels)}")
    n = len(sheets)
    codes: list[np.ndarray] = []
    keys: list[np.ndarray] = [np.zeros(n, dtype=np.int64)]
    for lv in levels[:depth]:
        code, uniques = pd.factorize(sheets.data[region_code_column(lv)].astype("string")
                                     .fillna(""), use_na_sentinel=False)
        codes.append(np.asarray(uniques, dtype=object)[code])
        keys.append(pd.factorize(keys[-1] * (len(uniques) + 1) + code)[0].astype(np.int64))
    group = np.full(n, -1, dtype=np.int64)
    labels: list[str] = []
    names: list[str] = []
    pending = usable.copy()
    for d in range(depth, -1, -1):
        key = keys[d]
        counts = np.bincount(key[pending], minlength=int(key.max(initial=0)) + 1)
        take = pending & (counts[key] >= min_stations)
        if not take.any():
            continue
        total = np.bincount(key[usable], minlength=counts.size)
        ids, first = np.unique(key[take], return_index=True)
        rows = np.flatnonzero(take)[first]
        group[take] = np.searchsorted(ids, key[take]) + len(labels)
        for unit, row in zip(ids, rows, strict=True):
            label = _code_path([str(c[row]) for c in codes[:d]]) if d else "all"
            labels.append(label if counts[unit] == total[unit] else f"{label} (pooled)")
            names.append(levels[d - 1] if d else "national")
        pending &= ~take
    return LocalAreas(group=group, labels=tuple(labels), levels=tuple(names))


def _code_path(codes: list[str]) -> str:
    """A unit's codes from the top, each shown unless it already starts with its parent's
    (``1`` > ``1.1`` > ``1``: ``1.1 / 1``)."""
    path = codes[0] if codes else "all"
    for parent, code in itertools.pairwise(codes):
        path = code if code.startswith(parent) else f"{path} / {code}"
    return path


@dataclass(frozen=True, kw_only=True)
class CornerResult(CheckResult):
    """Upper against lower corner of the fingerprint within local areas, with its reflection
    null.

    ``upper`` / ``lower``: stations in the top / bottom ``corner`` of their area for both
    turnout and the candidate's share; ``null_distribution`` the ``upper - lower`` of every
    random reflection.
    """

    upper: int = 0
    lower: int = 0
    null_distribution: np.ndarray = field(default_factory=lambda: np.zeros(0))


def corner_asymmetry(sheets: SheetTable, *, candidate: str | None = None,
                     share_of: str = "valid", level: str | None = AUTO, corner: float = 0.1,
                     size_effect: bool = True, min_stations: int = MIN_AREA_STATIONS,
                     n_resamples: int = DEFAULT_RESAMPLES, rng: RNGLike = None) -> CornerResult:
    """Are stations high in both turnout and the candidate's share more common than low-low?

    Ballot stuffing for a candidate moves the stuffed stations up in turnout *and* in the
    candidate's share at once: the smear toward the upper right of the election fingerprint
    (Klimek et al. 2012). This test looks at the fingerprint within small areas, in ranks:
    each station's turnout and share are put on the logit scale, a robust (Huber) trend in
    log registered voters is removed within areas (``size_effect``), and both are ranked
    within the area, ``u = (rank - 1/2) / m``. The statistic is ``T = U - L``, with ``U``
    the stations in the top ``corner`` (10%) of their area for both, and ``L`` those in the
    bottom ``corner`` for both.

    **Areas** (:func:`local_areas`): by default the finest region level (parish,
    municipality, circuit ...); a unit with fewer than ``min_stations`` usable stations is
    pooled with the other small units of its parent, up to the whole table. Ranking within
    a whole region is not enough: municipalities differ in turnout and leaning, a region
    holds only a handful of them, and their realised differences make the region's
    fingerprint asymmetric by chance — on clean simulated elections with a municipality
    layer, ranking within regions rejected 24% at 0.05 (``docs/calibration.md``).

    Null hypothesis: within each area the joint distribution of the two residuals is
    symmetric under reflection through its centre — true of any elliptical shape, whatever
    the correlation between turnout and share (Gaussian copulas included), the tails or the
    differences between areas. Reflecting an area swaps its stations' membership of the two
    corners, so its contribution ``U_a - L_a`` changes sign: ``U - L`` is compared with its
    reflection null ``T* = sum_a e_a d_a`` over the areas' totals ``d_a`` with random signs
    ``e_a``. Flipping whole areas rather than polling centres keeps whatever dependence
    links the stations of an area (lower levels, centres), so the test needs only that areas
    are independent and each approximately symmetric: the randomisation test of Canay,
    Romano & Shaikh (2017) with the areas as clusters. The one-sided p-value
    ``P(T* >= T)`` is the exact null's saddlepoint tail
    (:func:`audit.checks.pvalues.sign_flip_test`; Robinson 1982), ``z = T / sqrt(sum d_a²)``;
    ``n_resamples`` random reflections are kept to show the null.

    Parameters
    ----------
    candidate
        Default: the overall leader.
    level
        The region level to rank within (``"auto"``: the finest; None: the whole table);
        units with too few stations are pooled upward as described above.
    corner
        Share of each area counted as its top (and bottom) for both quantities.
    size_effect
        Remove a log-size trend before ranking (small stations often have higher turnout).
    min_stations
        Smallest area (:data:`MIN_AREA_STATIONS`: five stations per decile); stations left
        over at the top (fewer in all) are counted in ``excluded``. Smaller areas remove more
        sub-regional heterogeneity but estimate each area's centre, spread and corners from
        fewer stations: with 20, clean layered elections were calibrated as well (11 of 200
        rejected against 10 of 200 with 50) and mild stuffing was found more often, but
        Russia 2018's asymmetry fell from z = 4.1 to 3.2 and the Venezuela 2024 opposition
        sheets' lower corner for Maduro turned into a small upper excess (z = 2.2 against
        -0.9), a sign that areas of 20 are too small for the real sheets' heterogeneity.
    n_resamples
        Random reflections (the battery passes ``BatteryOptions.n_resamples``).

    Returns
    -------
    CornerResult
        ``statistic`` = ``U - L``; ``effect`` = ``(U - L) / 2``, the stations in the upper
        corner beyond what symmetry gives; ``table`` one row per area (``region``: its code
        path, ``level``: the level it was formed at, stations, upper, lower).

    Notes
    -----
    Calibrated: on clean simulated elections with region, sub-region and municipality
    layers and on varied ones its rejection rate at 0.05 is at or below 0.05, and it
    detects ballot stuffing at 5% of stations for the leader or for the runner-up
    (``docs/calibration-layered.md``, ``docs/calibration.md``). Known failure modes: a
    legitimate cluster of stations where high turnout and support for the candidate go
    together inside an area is an asymmetry too; stuffing spread evenly over a whole area
    moves the area's centre instead of its corner; vote switching without extra ballots
    raises the share only.

    References
    ----------
    Klimek et al. (2012) [klimek2012]; Canay, Romano & Shaikh (2017) [canay2017]; full
    entries in :mod:`audit.references`.
    """
    if not 0 < corner < 0.5:
        raise ValueError("corner must be between 0 and 0.5")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    st = stations(sheets, candidate=candidate, share_of=share_of, need_registered=True)
    side = sheets.memo(("fingerprints.corner.turnout", share_of, level, min_stations,
                        size_effect), lambda: _turnout_side(sheets, st, level, min_stations,
                                                            size_effect))
    idx, group = side.idx, side.group
    u_s = _area_ranks(_standardised(st.votes[idx], st.base[idx], group, side.size), group)
    upper = (side.u_t > 1 - corner) & (u_s > 1 - corner)
    lower = (side.u_t < corner) & (u_s < corner)
    flip = sign_flip_test(upper.astype(float) - lower, group, n_resamples, as_generator(rng))
    n_up, n_low = int(upper.sum()), int(lower.sum())
    g = len(side.areas.labels)
    finest = next((lv for lv in reversed(sheets.levels) if lv in set(side.areas.levels)),
                  "national")
    params = {"candidate": st.candidate, "share_of": share_of, "level": level,
              "finest_level": finest, "areas": g, "corner": corner,
              "size_effect": size_effect, "min_stations": min_stations,
              "n_resamples": n_resamples, "seed": rng if isinstance(rng, int) else None}
    msg = {"candidate": candidate_label(st.candidate, sheets.election),
           "upper": n_up, "lower": n_low,
           "stations": int(idx.size), "regions": g, "areas": g, "corner": round(100 * corner),
           "min_stations": min_stations, "p": flip.pvalue.value}
    return CornerResult(
        test="fingerprints.corner", statistic=flip.statistic, pvalue=flip.pvalue.value,
        pvalue_method=flip.pvalue.method, z=flip.pvalue.z,
        effect=flip.statistic / 2, effect_unit="stations", n=int(idx.size),
        null=f"reflection(n={n_resamples}, fingerprint symmetric about the centre of each "
             f"of {g} areas down to the {finest} level, areas flipped together)",
        evidence=evidence_from_pvalue(flip.pvalue.value),
        table=_corner_table(side.areas, group, upper, lower),
        message=Message("fingerprints.corner", msg), excluded=dict(side.excluded),
        params=params, upper=n_up, lower=n_low, candidate=st.candidate,
        null_distribution=flip.null)


@dataclass(frozen=True)
class _TurnoutSide:
    """What the corner test computes whatever the candidate (with ``share_of`` fixed, the
    usable stations do not depend on it): the areas, the stations ranked (``idx``) and
    their area (``group``), the centred log size the trends are fitted on, each station's
    turnout rank within its area ``u_t`` and the exclusions. Remembered per table
    (:meth:`SheetTable.memo`), so a battery testing several candidates computes it once."""

    areas: LocalAreas
    idx: np.ndarray
    group: np.ndarray
    size: np.ndarray | None
    u_t: np.ndarray
    excluded: dict[str, int]


def _turnout_side(sheets: SheetTable, st: Stations, level: str | None, min_stations: int,
                  size_effect: bool) -> _TurnoutSide:
    """The usable stations, their areas and their turnout ranks (see :class:`_TurnoutSide`)."""
    ok = (st.registered > 0) & (st.ballots <= st.registered) & (st.base > 0)
    excluded = {k: int(v) for k, v in (
        ("registered_missing_or_zero", (~(st.registered > 0)).sum()),
        ("turnout_over_100", ((st.registered > 0) & (st.ballots > st.registered)).sum()),
        ("no_votes_in_base", ((st.registered > 0) & (st.ballots <= st.registered)
                              & ~(st.base > 0)).sum())) if v}
    areas = local_areas(sheets, ok, level, min_stations)
    small = ok & (areas.group < 0)
    if small.any():
        excluded["area_below_min_stations"] = int(small.sum())
    idx = np.flatnonzero(areas.group >= 0)
    if idx.size == 0:
        raise ValueError(f"fewer than {min_stations} stations with a usable turnout and "
                         f"share")
    group = areas.group[idx]
    size = centred_log_size(st.registered[idx], group) if size_effect else None
    u_t = _area_ranks(_standardised(st.ballots[idx], st.registered[idx], group, size), group)
    for array in (idx, group, u_t, *(() if size is None else (size,))):
        array.setflags(write=False)
    return _TurnoutSide(areas, idx, group, size, u_t, excluded)


def _area_ranks(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``(rank - 1/2) / m`` of each value within its area of ``m`` stations (ties share
    their mean rank, as ``pandas``' grouped ``rank()`` gives them; values are finite).

    One sort by value then a stable sort by area put every area's values in order; each run
    of equal values in an area gets the mean of the ranks it spans."""
    n = values.size
    m = np.bincount(group)[group]
    by_value = np.argsort(values, kind="stable")
    order = by_value[np.argsort(group[by_value], kind="stable")]
    v, g = values[order], group[order]
    area_starts = np.ones(n, dtype=bool)
    area_starts[1:] = g[1:] != g[:-1]
    run_starts = area_starts.copy()
    run_starts[1:] |= v[1:] != v[:-1]
    starts = np.flatnonzero(run_starts)
    sizes = np.diff(np.append(starts, n))
    area_first = np.maximum.accumulate(np.where(area_starts, np.arange(n), 0))
    mean_rank = (starts - area_first[starts]) + (sizes + 1) / 2
    ranks = np.empty(n)
    ranks[order] = np.repeat(mean_rank, sizes)
    return (ranks - 0.5) / m


def _corner_table(areas: LocalAreas, group: np.ndarray, upper: np.ndarray,
                  lower: np.ndarray) -> pd.DataFrame:
    """One row per area: its code path, level, stations and corner counts."""
    g = len(areas.labels)
    table = pd.DataFrame({"region": list(areas.labels), "level": list(areas.levels),
                          "stations": np.bincount(group, minlength=g),
                          "upper": np.bincount(group, weights=upper, minlength=g),
                          "lower": np.bincount(group, weights=lower, minlength=g)})
    table[["upper", "lower"]] = table[["upper", "lower"]].astype(np.int64)
    return table


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

#: Columns of each registered check's ``table`` (checked by the contract tests).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "fingerprints.corner": ("region", "level", "stations", "upper", "lower"),
    "fingerprints.fingerprint": ("turnout_lo", "share_lo", "stations"),
    "fingerprints.klimek": ("parameter", "estimate", "low", "high", "bootstrap_sd",
                            "bootstrap_bias"),
}

register(CheckSpec(
    name="fingerprints.fingerprint", family="fingerprints",
    run=runner(fingerprint), needs=frozenset({"registered"}), calibrated=False,
    per_candidate=True, uncalibrated="descriptive",
    fast=True, description="Turnout × winner-share fingerprint and the (95%, 95%) corner."))
def _run_klimek(sheets: SheetTable, rng: np.random.Generator,
                options: BatteryOptions | None = None, /) -> KlimekFitResult:
    """The battery's Klimek fit: the estimate with ``n_refits`` bootstrap refits.

    The fair-model test is left out of the battery: every null refit costs a whole fit (19
    of them to reach p = 0.05), and its null is the model's own single Gaussian, so it is
    not calibrated on honest elections; :func:`corner_asymmetry` is this family's
    calibrated test. Call :func:`klimek_fit` with ``n_null`` for it.
    """
    options = options or BatteryOptions()
    return klimek_fit(sheets, candidate=options.candidate_for(sheets), rng=rng,
                      n_bootstrap=options.n_refits)


register(CheckSpec(
    name="fingerprints.klimek", family="fingerprints",
    run=_run_klimek, function=klimek_fit,
    needs=frozenset({"registered"}), calibrated=False, fast=False, min_units=100,
    uncalibrated="model",
    description="Klimek et al. (2012) fraud-model fit; fair-model parametric test."))

register(CheckSpec(
    name="fingerprints.corner", family="fingerprints",
    run=runner(corner_asymmetry, monte_carlo=True), needs=frozenset({"registered"}),
    calibrated=True, fast=True, min_units=30, per_candidate=True,
    description="Upper against lower corner of the within-region fingerprint (the "
                "ballot-stuffing smear); reflection null."))
