"""The simulation null: honest redraws of polling-station counts, shared by calibrated checks.

Textbook nulls (Benford's law, uniform last digits, "20% of percentages end in 0 or 5") ignore
how polling-station counts are generated: station sizes are capped, shares cluster by region
and small denominators pile up on simple fractions. A *simulation null* keeps all of that: each
station's count is redrawn many times from an honest model fitted to the same stations, the
statistic is recomputed on every redraw, and the observed statistic is compared with those
replicates (Mebane 2006, 2007, 2008; Kobak, Shpilkin & Pshenichnikov 2016). A flag
then means "unlike honest counting at these station sizes and shares".

The honest model
----------------
An *empirical-Bayes plug-in*: each station's share gets a prior estimated from the other
stations, and its p-values are approximately, not exactly, uniform on honest elections (the
calibration documents measure how close). For one count column ``x`` (e.g. a candidate's
votes) with per-station denominator ``n`` (the trials: valid votes for a candidate, ballots for
null votes, registered voters for voters; see :func:`denominator_for`), stations are grouped
at a ``level`` (default ``"auto"``: polling centres when they hold several tables each, else
the finest region level whose groups hold a median of at least :data:`MIN_GROUP_MEDIAN`
stations). Tables of one centre share a neighbourhood, so their shares are the best reference
for each other (within-centre comparisons, as Hicken & Mebane 2017 recommend stratifying).

1. **Local share, leave-one-out.** Station ``i`` in group ``g`` gets the group's share
   computed *without its own count*, shrunk toward the national share ``P``::

       m_i = (X_g - x_i + kappa_b * P) / (N_g - n_i + kappa_b)

   ``X_g, N_g`` are the group's totals and ``kappa_b`` the between-group concentration
   (:func:`overdispersion_mom` applied to group totals), so a group with few tables borrows
   from the national share.
2. **Size and turnout.** Within a group, shares depend on the station: small stations and
   high-turnout stations vote differently (Venezuela 2024: a logit slope of +0.6 of the
   leader's share on log station size, a correlation of -0.3 to -0.55 between turnout and
   share). A pooled within-group weighted regression of ``x_i / n_i - m_i`` on the
   covariates (log registered voters and logit turnout where the sheets state registered
   voters, else log ``n_i``; :func:`_covariates`) shifts ``m_i`` on the logit scale, each
   group keeping its mean share.
3. **Prior spread, method of moments.** Honest counts vary more than a binomial allows. The
   prior variance of station ``i``'s share around ``m_i`` is ``rho q_i + e_i``
   (``q_i = m_i (1 - m_i)``): the within-group intra-class correlation ``rho`` and the error
   ``e_i`` of the leave-one-out share itself (the binomial and within-group variation of the
   group's other stations, and the spread of group means where ``m_i`` is shrunk). ``rho``
   solves ``sum_i [(x_i - n_i m_i)^2 / n_i - q_i - (n_i - 1) e_i] = rho sum_i (n_i - 1) q_i``
   (the beta-binomial variance ``n q (1 + (n - 1) rho)`` of Kleinman 1973, with a predicted
   mean); each station's concentration is ``kappa_i = q_i / (rho q_i + e_i) - 1``.
4. **Centres.** Tables of one polling centre share most of their variation (Venezuela 2024:
   intra-class correlation 0.046 between centres of a parish, 0.0006 between tables of a
   centre), a layer that independent priors per table leave out: the observed counts of a
   centre then move together while their redraws do not, which a national digit histogram
   detects (first-digit p-values with mean 0.36 over 24 clean elections of 1,000,000 tables
   in the Venezuela layout, against 0.43 with the layer). Where at least
   :data:`MIN_MULTI_TABLE_SHARE` of the stations sit in centres of several tables (and the
   grouping level is not the centre itself), the within-group variation is split by moments
   into a centre layer and a table layer (:func:`_centre_layer`): a centre's prior share is
   its group's share without the whole centre, and tables differ from their centre's share
   by a *within-centre* regression on size and turnout (Mundlak 1978: the slope between
   tables of a centre is not the slope between centres) and the table layer.
5. **Redraws** (``model``):

   * ``"beta-binomial"`` (default): a *sampled posterior* p-value (Johnson 2007; Gosselin
     2011). Each station's share is drawn **once** from its posterior under the prior
     ``Beta(kappa_i m_i, kappa_i (1 - m_i))``,
     ``p*_i ~ Beta(x_i + kappa_i m_i, n_i - x_i + kappa_i (1 - m_i))`` — with the centre
     layer, first each centre's share from its posterior given its tables, then each table's
     given its centre's (:class:`CentreLayer`) — and every replicate is
     ``x*_i ~ Binomial(n_i, p*_i)``. If the prior were the true distribution of the
     station's share given everything else, ``(x_i, p*_i)`` would have the joint
     distribution of an honest count and its true share, the observed table and its
     replicates would be exchangeable given ``p*``, and the Monte Carlo p-value would be
     exactly uniform for any statistic. The prior is a plug-in estimate from the same data,
     so the p-value is approximately uniform (``tests/checks/test_null_uniformity.py``
     measures it: Kolmogorov–Smirnov over 200 small elections drawn from the model):
     plug-in and posterior predictive p-values are calibrated only as far as the estimated
     part of the model is right (Gelman, Meng &
     Stern 1996; Bayarri & Berger 2000; Robins, van der Vaart & Ventura 2000), and a digit
     histogram of 10^5-10^6 stations detects small errors in it. Steps 2 to 4 exist
     because of this: with a prior that ignored station size and turnout, the error of the
     local share and the centres, clean simulated elections in the Venezuela 2024 layout
     gave first-digit p-values below 0.05 in 23 of 40 elections of 200,000 tables and in 6
     of 6 of 1,000,000 (``docs/calibration.md``, "The digit tests at national scale").
     Where the model is wrong (real shares are not Beta-distributed around their local
     mean), the redraws still stay near each station's own count (``p*_i`` is near
     ``x_i / n_i`` for large stations), so the coarse shape of the count distribution —
     which reflects geography and politics, not counting — is kept and the tests judge the
     digits (Chile 2021 and Córdoba 2019 are not flagged:
     ``tests/checks/test_clean_references.py``).
   * ``"beta-binomial-predictive"``: the posterior predictive distribution of the same model
     (a new ``p*_i`` for every replicate). Because every redraw leans on the observed counts,
     its p-values are conservative for statistics of the coarse shape (posterior predictive
     p-values: Meng 1994; Gelman, Meng & Stern 1996). Kept for comparison.
   * ``"beta-binomial-regional"``: the prior predictive, ``p*_i ~ Beta(kappa_i m_i,
     kappa_i (1 - m_i))``: independent of the station's own count, but it flags honest
     elections whose share distribution is not Beta-shaped (Córdoba 2019 leading digits,
     p ≈ 0.001).
   * ``"binomial"``: ``x*_i ~ Binomial(n_i, s_i)`` with the station's own share shrunk toward
     its local share, ``s_i = (x_i + kappa_i m_i) / (n_i + kappa_i)`` (the resampling of
     Kobak et al. with shrinkage, so outliers do not define their own null). Shrinkage
     narrows the spread of shares, so leading-digit tests can flag honest data; kept for
     comparison.

Sampling
--------
Exact beta and binomial draws cost ~0.2 µs each, too slow for 999 redraws of 100,000 stations.
With ``sampler="auto"`` a station whose count has standard deviation at least
:data:`APPROX_MIN_SD` and lies at least :data:`APPROX_MIN_SD` standard deviations inside
``[0, n_i]`` is drawn from a normal with the exact mean, variance and skewness of its
(beta-)binomial (Cornish–Fisher correction), rounded to the nearest integer; the others are
drawn exactly. The error in digit frequencies is far below the Monte Carlo error (checked in
``tests/checks/test_null.py``). ``sampler="exact"`` draws every station exactly.

Replicates come in chunks of ``(rows, stations)`` arrays (:data:`CHUNK_ELEMENTS` elements), so
memory stays bounded; the chunking is fixed, so the same seed gives the same replicates.

References
----------
By key of the bibliography, :mod:`audit.references`, where the full entries are:

- Mebane (2007) [mebane2007]
- Kobak, Shpilkin & Pshenichnikov (2016) [kobak2016]
- Kleinman (1973) [kleinman1973]
- Meng (1994) [meng1994]
- Johnson (2007) [johnson2007]
- Gosselin (2011) [gosselin2011]
- Gelman, Meng & Stern (1996) [gelman1996]
- Bayarri & Berger (2000) [bayarri2000]
- Robins, van der Vaart & Ventura (2000) [robins2000]
- Mundlak (1978) [mundlak1978]
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from audit._random import RNGLike, as_generator
from audit.checks._options import DEFAULT_RESAMPLES
from audit.model import VOTE_PREFIX, SheetTable, region_code_column, vote_column

Model = Literal["beta-binomial", "beta-binomial-predictive", "beta-binomial-regional",
                "binomial"]
Sampler = Literal["auto", "exact"]
MODELS: tuple[str, ...] = ("beta-binomial", "beta-binomial-predictive",
                           "beta-binomial-regional", "binomial")
SAMPLERS: tuple[str, ...] = ("auto", "exact")

#: Elements per chunk of replicates (rows = max(1, CHUNK_ELEMENTS // stations)).
CHUNK_ELEMENTS = 1 << 20
#: Smallest standard deviation (and distance from 0 and n in SDs) for the normal sampler.
APPROX_MIN_SD = 5.0
#: Largest ``|skewness|`` for the normal sampler (keeps the Cornish–Fisher map monotone).
APPROX_MAX_SKEW = 0.5
#: ``level="auto"`` picks polling centres when their median holds this many tables ...
MIN_CENTRE_MEDIAN = 3
#: ... else the finest region level whose median group has this many stations.
MIN_GROUP_MEDIAN = 10
#: Stations needed per covariate before the prior share is adjusted for size and turnout.
MIN_STATIONS_PER_COVARIATE = 50


def denominator_for(column: str) -> str:
    """The default denominator (trials) of a count column in the honest model.

    ``votes_<KEY>`` -> ``valid``; ``valid``, ``null``, ``blank`` -> ``ballots`` (ballots in
    the box, :meth:`SheetTable.ballots`); ``voters`` -> ``registered``. Registered voters are
    listed, not counted, so they have no honest redraw.
    """
    if column.startswith(VOTE_PREFIX):
        return "valid"
    if column in ("valid", "null", "blank"):
        return "ballots"
    if column == "voters":
        return "registered"
    raise ValueError(f"no honest model for column {column!r}: redraws exist for votes_<KEY>, "
                     f"valid, null, blank (out of ballots) and voters (out of registered)")


def resolve_column(sheets: SheetTable, column: str | None) -> str:
    """A canonical count column from a candidate key, a column name, or None (the leader)."""
    if column is None:
        return vote_column(sheets.leader())
    if column in sheets.candidates:
        return vote_column(column)
    if column in sheets.data.columns and column not in ("source", "line", "center_id",
                                                        "table_id"):
        return column
    raise ValueError(f"unknown count column {column!r}; use a candidate key "
                     f"({', '.join(sheets.candidates)}) or one of valid, voters, null, "
                     f"blank, registered")


def trials_of(sheets: SheetTable, denominator: str) -> np.ndarray:
    """Per-station trials as float (NaN where unknown)."""
    if denominator == "ballots":
        return sheets.ballots()
    if denominator not in sheets.data.columns:
        return np.full(len(sheets), np.nan)
    return sheets.counts(denominator)


def group_codes(sheets: SheetTable, level: str | None) -> tuple[np.ndarray, str | None]:
    """Integer group codes at ``level`` (``"auto"``, a region level, ``"center"`` or None)."""
    if level == "auto":
        level = _auto_level(sheets)
    if level is None or len(sheets) == 0:
        return np.zeros(len(sheets), dtype=np.int64), None
    if level == "center":
        col = "center_id"
    elif level in sheets.levels:
        col = region_code_column(level)
    else:
        raise ValueError(f"unknown grouping level {level!r}; choose auto, center, None or one "
                         f"of {list(sheets.levels)}")
    codes, _ = pd.factorize(sheets.data[col].astype("string").fillna("<NA>"), sort=True)
    return codes.astype(np.int64), level


def _auto_level(sheets: SheetTable) -> str | None:
    """Centres when they hold several tables, else the finest populous region level."""
    centres = sheets.data["center_id"].value_counts(dropna=False).to_numpy()
    if centres.size and np.median(centres) >= MIN_CENTRE_MEDIAN and centres.size > 1:
        return "center"
    for level in reversed(sheets.levels):
        col = region_code_column(level)
        if col not in sheets.data:
            continue
        sizes = sheets.data[col].value_counts(dropna=False).to_numpy()
        if sizes.size and np.median(sizes) >= MIN_GROUP_MEDIAN:
            return level
    return sheets.levels[0] if sheets.levels and region_code_column(sheets.levels[0]) in \
        sheets.data else None


# --------------------------------------------------------------------------------------------
# Method of moments
# --------------------------------------------------------------------------------------------


def overdispersion_mom(x: np.ndarray, n: np.ndarray, groups: np.ndarray) -> float:
    """Pooled within-group beta-binomial intra-class correlation ``rho`` by moments.

    Solves ``sum_g S_g / (P_g (1 - P_g)) = sum_i (1 - w_i) (1 + (n_i - 1) rho)`` where
    ``S_g = sum_{i in g} n_i (x_i / n_i - P_g)^2``, ``P_g = X_g / N_g`` and ``w_i = n_i / N_g``
    (Kleinman 1973, with the group share estimated). Groups with one station, no trials or a
    share of exactly 0 or 1 carry no information and are skipped. Returns a value in
    ``[0, 1)``; 0 means no overdispersion (binomial).
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    groups = np.asarray(groups)
    keep = n > 0
    x, n, groups = x[keep], n[keep], groups[keep]
    if x.size < 2:
        return 0.0
    _, g = np.unique(groups, return_inverse=True)
    ng = np.bincount(g)
    N = np.bincount(g, weights=n)
    X = np.bincount(g, weights=x)
    P = X / N
    usable = (ng >= 2) & (P > 0) & (P < 1)
    if not usable.any():
        return 0.0
    Pi = P[g]
    w = n / N[g]
    S = np.bincount(g, weights=n * (x / n - Pi) ** 2, minlength=len(N))
    per_station = usable[g]
    lhs = np.sum(S[usable] / (P[usable] * (1 - P[usable])))
    const = np.sum((1 - w)[per_station])
    slope = np.sum(((1 - w) * (n - 1))[per_station])
    if slope <= 0:
        return 0.0
    return float(np.clip((lhs - const) / slope, 0.0, 1.0 - 1e-9))


def _concentration(rho: float) -> float:
    return np.inf if rho <= 1e-12 else (1.0 - rho) / rho


# --------------------------------------------------------------------------------------------
# The fitted model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HonestModel:
    """An honest model of one count column, fitted to the stations it will redraw.

    Attributes
    ----------
    column, denominator : str
        The count column and its trials (``valid``, ``ballots``, ``registered`` ...).
    model : str
        ``"beta-binomial"`` or ``"binomial"`` (see the module docstring).
    level : str or None
        Grouping level used for regional shares and moments (None: national).
    observed, trials : ndarray of int64
        Counts and trials of the usable stations (``usable`` marks them among all sheets).
    mean : ndarray of float
        Expected share of each station under the model (``m_i``, or ``s_i`` for binomial).
    concentration : ndarray of float
        Beta concentration of each station's share in the redraws (inf: binomial).
    kappa : float
        Fitted concentration within groups, ``(1 - rho) / rho`` (inf: no overdispersion).
    rho, rho_between : float
        Within-group and between-group intra-class correlations (method of moments).
    excluded : mapping
        Stations left out and why (``no_denominator``, ``count_exceeds_denominator``).
    centres : CentreLayer or None
        The centre layer of the sampled posterior (step 4), or None.
    """

    column: str
    denominator: str
    model: str
    level: str | None
    observed: np.ndarray
    trials: np.ndarray
    mean: np.ndarray
    concentration: np.ndarray
    kappa: float
    rho: float
    rho_between: float
    usable: np.ndarray
    excluded: Mapping[str, int] = field(default_factory=dict)
    centres: CentreLayer | None = None

    @property
    def n_stations(self) -> int:
        return int(self.observed.size)

    def describe(self, n_resamples: int) -> str:
        """The ``null`` label of results using this model."""
        where = self.level or "national"
        return f"simulation(n={n_resamples}, model={self.model}, level={where})"

    def params(self) -> dict[str, object]:
        """Fitted parameters for a result's ``params`` (JSON-safe)."""
        out: dict[str, object] = {
            "column": self.column, "denominator": self.denominator, "model": self.model,
            "level": self.level, "rho": self.rho, "rho_between": self.rho_between,
            "stations": self.n_stations}
        if self.centres is not None:
            out["rho_centre"] = self.centres.rho_centre
            out["rho_table"] = self.centres.rho_table
        return out

    def fingerprint(self) -> str:
        """A digest of everything that determines the replicates (for memoisation; computed
        once per model, since the battery's regions ask for the national model's often)."""
        cached = self.__dict__.get("_fingerprint")
        if cached is not None:
            return str(cached)
        h = hashlib.blake2b(digest_size=16)
        for arr in (self.trials, self.mean, self.concentration):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(self.model.encode())
        if self.centres is not None:
            h.update(np.ascontiguousarray(self.observed).tobytes())
            h.update(self.centres.digest())
        self.__dict__["_fingerprint"] = h.hexdigest()  # a cache: the fields never change
        return h.hexdigest()

    def moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, SD and skewness of each station's count in one posterior-predictive draw."""
        return count_moments(self.trials, self.mean, self.concentration)

    def sampled(self, rng: np.random.Generator) -> HonestModel:
        """The model with each share drawn once from its posterior (a sampled posterior):
        from its Beta, or through its centre (:class:`CentreLayer`) where centres hold
        several tables."""
        if self.centres is not None:
            p = self.centres.draw(self.observed.astype(float), self.trials.astype(float), rng)
            return dataclasses.replace(self, mean=p, concentration=np.full(p.size, np.inf),
                                       centres=None)
        p = self.mean.copy()
        finite = np.isfinite(self.concentration) & (p > 0) & (p < 1)
        k = self.concentration[finite]
        p[finite] = rng.beta(p[finite] * k, (1 - p[finite]) * k)
        return dataclasses.replace(self, mean=p, concentration=np.full(p.size, np.inf))

    def redraw(self, n_resamples: int = DEFAULT_RESAMPLES, rng: RNGLike = None, *,
               sampler: Sampler = "auto") -> Iterator[np.ndarray]:
        """Honest replicates of the usable stations' counts, ``(rows, stations)`` per chunk."""
        for (chunk,) in redraw_joint([self], n_resamples, rng, sampler=sampler):
            yield chunk


def count_moments(trials: np.ndarray, mean: np.ndarray, concentration: np.ndarray | float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, SD and skewness of beta-binomial counts (binomial where concentration is inf)."""
    n = np.asarray(trials, dtype=float)
    m = np.asarray(mean, dtype=float)
    var_b = n * m * (1 - m)
    kappa = np.broadcast_to(np.asarray(concentration, dtype=float), n.shape)
    finite = np.isfinite(kappa)
    k = np.where(finite, kappa, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(finite, var_b * (k + n) / (k + 1), var_b)
        skew = np.where(finite,
                        (k + 2 * n) * (1 - 2 * m) / (k + 2)
                        * np.sqrt((1 + k) / (var_b * (n + k))),
                        (1 - 2 * m) / np.sqrt(var_b))
    return n * m, np.sqrt(var), np.nan_to_num(skew, nan=0.0, posinf=0.0, neginf=0.0)


def fit_honest_model(sheets: SheetTable, column: str | None = None, *,
                     model: Model = "beta-binomial", level: str | None = "auto",
                     denominator: str | None = None) -> HonestModel:
    """Fit the honest model of one count column (see the module docstring).

    Parameters
    ----------
    sheets
        The tally sheets (the model is fitted to exactly these stations).
    column
        A candidate key, a canonical count column, or None for the leading candidate.
    model
        ``"beta-binomial"`` (default) or ``"binomial"``.
    level
        Grouping for regional shares and moments: ``"auto"`` (default), a region level,
        ``"center"`` or None (national).
    denominator
        Trials per station; default from :func:`denominator_for`.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    column = resolve_column(sheets, column)
    denominator = denominator or denominator_for(column)
    # the checks of a battery fit the same column many times: once per table (read-only)
    return cast(HonestModel, sheets.memo(
        ("null.fit", column, model, level, denominator),
        lambda: _fit(sheets, column, model, level, denominator)))


def _fit(sheets: SheetTable, column: str, model: str, level: str | None, denominator: str
         ) -> HonestModel:
    """:func:`fit_honest_model` without the memo."""
    x_all = sheets.counts(column)
    n_all = trials_of(sheets, denominator)
    groups_all, used_level = group_codes(sheets, level)
    usable, excluded = usable_stations(x_all, n_all)
    x = x_all[usable].astype(np.int64)
    n = n_all[usable].astype(np.int64)
    groups = groups_all[usable]
    xf, nf = x.astype(float), n.astype(float)

    total_n = nf.sum()
    P = xf.sum() / total_n if total_n > 0 else 0.0
    if groups.size:
        _, g = np.unique(groups, return_inverse=True)
    else:
        g = groups
    N_g = np.bincount(g, weights=nf) if g.size else np.zeros(0)
    X_g = np.bincount(g, weights=xf) if g.size else np.zeros(0)
    rho_b = overdispersion_mom(X_g, N_g, np.zeros(len(N_g), dtype=np.int64)) \
        if len(N_g) >= 2 else 0.0
    kappa_b = _concentration(rho_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        if np.isfinite(kappa_b):
            # leave-one-out group share shrunk toward the national share (step 1)
            m = (X_g[g] - xf + kappa_b * P) / (N_g[g] - nf + kappa_b)
        else:
            # groups do not differ beyond chance: leave-one-out national share
            m = (xf.sum() - xf) / (total_n - nf)
    m = np.clip(np.nan_to_num(m, nan=P, posinf=P, neginf=P), 0.0, 1.0)
    z = _covariates(sheets, denominator)[usable]
    shift = np.zeros(xf.size)
    if xf.size >= MIN_STATIONS_PER_COVARIATE * z.shape[1]:
        # step 2: each station's prior share follows its size and turnout
        shift = _covariate_shift(xf, nf, m, z, g, overdispersion_mom(xf, nf, g))
        m = _shifted(m, shift, nf, g)
    # step 3: within-group variation and the error of the local share, per station
    rho_w, kappa_i = _prior_concentration(xf, nf, m, g, N_g, kappa_b, rho_b)
    kappa_w = _concentration(rho_w)
    # step 4: tables of one centre share their variation (the sampled posterior's layers)
    centres = _centre_layer(sheets.data["center_id"].to_numpy()[usable], xf, nf, g, z,
                            shift, rho_w, (N_g, X_g, kappa_b, rho_b, P)) \
        if model == "beta-binomial" and used_level != "center" and 0 < P < 1 else None
    concentration = kappa_i if model != "binomial" else np.full(xf.size, np.inf)
    if model != "beta-binomial-regional":
        finite = np.isfinite(kappa_i)
        if finite.any():
            # the posterior of each station's share: Beta(x + kappa m, n - x + kappa (1 - m))
            k = np.where(finite, kappa_i, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                m = np.where(finite, (xf + k * m) / (nf + k), m)
            if model != "binomial":
                concentration = np.where(finite, nf + k, np.inf)
        # kappa infinite: no overdispersion, the local share is the estimate
        m = np.clip(np.nan_to_num(m, nan=P), 0.0, 1.0)
    return HonestModel(column=column, denominator=denominator, model=model, level=used_level,
                       observed=x, trials=n, mean=m, concentration=concentration,
                       kappa=kappa_w, rho=rho_w,
                       rho_between=rho_b, usable=usable, excluded=excluded, centres=centres)


def usable_stations(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Which stations the honest model can redraw (count and trials known, count at most
    its trials), and how many are left out for each reason (``no_denominator``,
    ``count_exceeds_denominator``)."""
    no_den = np.isnan(n) | np.isnan(x)
    over = ~no_den & (x > n)
    excluded = {k: int(v) for k, v in (("no_denominator", no_den.sum()),
                                       ("count_exceeds_denominator", over.sum())) if v}
    return ~no_den & ~over, excluded


def _covariates(sheets: SheetTable, denominator: str) -> np.ndarray:
    """Per-station covariates of the prior share (columns; NaN where unknown).

    Log registered voters and logit turnout where the sheets state registered voters and
    the trials are not them (a candidate's votes out of valid votes, null out of ballots);
    else the log of the trials.
    """
    n = trials_of(sheets, denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        if denominator == "registered" or "registered" not in sheets.data.columns:
            return np.where(n > 0, np.log(n), np.nan)[:, None]
        reg = sheets.counts("registered")
        ballots = sheets.ballots()
        t = (ballots + 0.5) / (reg + 1.0)
        turnout = np.where((reg > 0) & (ballots <= reg), np.log(t) - np.log1p(-t), np.nan)
        return np.column_stack([np.where(reg > 0, np.log(reg), np.nan), turnout])


def _centred(z: np.ndarray, weight: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each covariate minus its ``weight``-ed mean within ``group`` (0 where unknown)."""
    k = int(group.max()) + 1 if group.size else 0
    out = np.zeros_like(z)
    for j in range(z.shape[1]):
        col = z[:, j]
        ok = np.isfinite(col)
        mean = np.bincount(group[ok], (weight * col)[ok], k) / np.maximum(
            np.bincount(group[ok], weight[ok], k), 1e-300)
        out[:, j] = np.where(ok, col - mean[group], 0.0)
    return out


def _covariate_shift(x: np.ndarray, n: np.ndarray, m: np.ndarray, z: np.ndarray,
                     g: np.ndarray, rho0: float) -> np.ndarray:
    """Each station's logit shift of its prior share: a pooled within-group weighted
    regression of ``x / n - m`` on the covariates (centred within groups)."""
    w_n = np.where(n > 0, n, 0.0)
    zc = _centred(z, w_n, g)
    q = np.clip(m * (1 - m), 1e-9, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(n > 0, x / n - m, 0.0)
        w = np.where(n > 0, n / ((1 + (n - 1) * rho0) * q), 0.0)
    u = q[:, None] * zc
    try:
        beta = np.linalg.solve((u * w[:, None]).T @ u, (u * w[:, None]).T @ r)
    except np.linalg.LinAlgError:
        return np.zeros(x.size)
    return np.asarray(zc @ beta)


def _shifted(m: np.ndarray, shift: np.ndarray, n: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``m`` moved by ``shift`` on the logit scale, each group keeping its trial-weighted
    mean share (shares of exactly 0 or 1 stay)."""
    k = int(g.max()) + 1 if g.size else 0
    w_n = np.where(n > 0, n, 0.0)
    inner = (m > 0) & (m < 1)
    logit_m = np.log(np.where(inner, m, 0.5)) - np.log1p(-np.where(inner, m, 0.5))
    adj = 1.0 / (1.0 + np.exp(-(logit_m + shift)))
    recentre = (np.bincount(g, w_n * m, k) - np.bincount(g, w_n * adj, k)) / np.maximum(
        np.bincount(g, w_n, k), 1e-300)
    return np.where(inner, np.clip(adj + recentre[g], 0.0, 1.0), m)


def _prior_concentration(x: np.ndarray, n: np.ndarray, m: np.ndarray, g: np.ndarray,
                         N_g: np.ndarray, kappa_b: float, rho_b: float
                         ) -> tuple[float, np.ndarray]:
    """Within-group rho and each station's prior concentration around its local share ``m``.

    The prior variance of station i's share is ``rho q_i + e_i``: the within-group variation
    and the error ``e_i`` of its leave-one-out local share (binomial and within-group
    variation of the other stations of its group, and the spread of group means when that
    share is shrunk toward the national one). ``rho`` solves
    ``sum_i [(x_i - n_i m_i)^2 / n_i - q_i - (n_i - 1) e_i] = rho sum_i (n_i - 1) q_i``.
    """
    q = np.clip(m * (1 - m), 0.0, 0.25)
    k = len(N_g)
    S2_g = np.bincount(g, n * n, k) if k else np.zeros(0)
    if np.isfinite(kappa_b):
        Nm = N_g[g] - n
        S2m = S2_g[g] - n * n
        kb, between = kappa_b, kappa_b ** 2 * rho_b
    else:
        Nm = n.sum() - n
        S2m = float(np.sum(n * n)) - n * n
        kb, between = 0.0, 0.0
    ok = (n >= 2) & (q > 1e-12)
    rho = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = np.where(ok, (x - n * m) ** 2 / np.maximum(n, 1) - q, 0.0)
        denom = float(np.sum(np.where(ok, (n - 1) * q, 0.0)))
        for _ in range(3):
            e = q * (Nm + rho * S2m + between) / np.maximum(Nm + kb, 1e-12) ** 2
            e = np.where(Nm + kb > 0, e, q)
            num = float(np.sum(np.where(ok, resid - (n - 1) * e, 0.0)))
            rho = float(np.clip(num / denom, 0.0, 1 - 1e-9)) if denom > 0 else 0.0
        v = rho * q + e
        kappa = np.where((v > 1e-15) & (q > 0), q / v - 1.0, np.inf)
    return rho, np.maximum(kappa, 1e-6)


#: Share of the stations that must sit in centres of several tables for the centre layer.
MIN_MULTI_TABLE_SHARE = 0.05


@dataclass(frozen=True, eq=False)
class CentreLayer:
    """The centre layer of the sampled posterior (step 4 of the module docstring).

    ``index`` is each station's centre; ``a, b`` the Beta posterior of each centre's share;
    ``offset`` each station's prior share minus its centre's (size and turnout differences
    between the tables of a centre); ``table_kappa`` the Beta concentration of tables around
    their centre (inf: tables of a centre share one share); ``rho_centre``, ``rho_table``
    the intra-class correlations of the two layers.
    """

    index: np.ndarray
    a: np.ndarray
    b: np.ndarray
    offset: np.ndarray
    table_kappa: float
    rho_centre: float
    rho_table: float

    def draw(self, x: np.ndarray, n: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each station's share drawn once: its centre's share from the centre's posterior,
        then the table's from its posterior given the centre's."""
        centre = rng.beta(self.a, self.b)[self.index]
        prior = np.clip(centre + self.offset, 1e-9, 1 - 1e-9)
        if not np.isfinite(self.table_kappa):
            return prior
        k = self.table_kappa
        return rng.beta(x + k * prior, n - x + k * (1 - prior))

    def digest(self) -> bytes:
        return b"".join(np.ascontiguousarray(a).tobytes() for a in (
            self.index, self.a, self.b, self.offset, np.array([self.table_kappa])))


def _within_centre_offset(x: np.ndarray, n: np.ndarray, z: np.ndarray, centre: np.ndarray,
                          multi: np.ndarray, share_c: np.ndarray) -> np.ndarray:
    """How each table's share differs from its centre's with its size and turnout: a
    pooled weighted regression of ``x / n - X_c / N_c`` on the covariates' deviations from
    their centre means, over centres of several tables (the *within* slope, which may differ
    from the slope between centres; Mundlak 1978)."""
    w_n = np.where(n > 0, n, 0.0)
    zc = _centred(z, w_n, centre)
    q = np.clip(share_c * (1 - share_c), 1e-9, 0.25)[centre]
    u = (q[:, None] * zc)[multi]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(n > 0, x / n, 0.0)[multi] - share_c[centre][multi]
        w = (w_n / q)[multi]
    if u.shape[0] < MIN_STATIONS_PER_COVARIATE * max(u.shape[1], 1):
        return np.zeros(x.size)
    try:
        beta = np.linalg.solve((u * w[:, None]).T @ u, (u * w[:, None]).T @ r)
    except np.linalg.LinAlgError:
        return np.zeros(x.size)
    return np.asarray((q[:, None] * zc) @ beta)


def _centre_layer(centre_ids: np.ndarray, x: np.ndarray, n: np.ndarray, g: np.ndarray,
                  z: np.ndarray, shift: np.ndarray, rho_w: float,
                  groups: tuple[np.ndarray, np.ndarray, float, float, float]
                  ) -> CentreLayer | None:
    """Split the within-group variation into centres and tables, and each centre's posterior.

    ``rho_table``: the moment estimator of :func:`overdispersion_mom` within centres of
    several tables (after the size and turnout differences between their tables);
    ``rho_centre = rho_w - rho_table``. A centre's prior share is its group's share
    *without the whole centre* (shrunk as in step 1, shifted as in step 2), with variance
    ``rho_centre q + e`` (``e`` the error of that share); its likelihood is the tables'
    counts with effective trials ``sum n_i / (1 + (n_i - 1) rho_table)``.
    """
    N_g, X_g, kappa_b, rho_b, P = groups
    centre = pd.factorize(pd.Series(g).astype(str) + "\x1f" + pd.Series(centre_ids).astype(str)
                          )[0].astype(np.int64) if n.size else np.zeros(0, dtype=np.int64)
    k = int(centre.max()) + 1 if centre.size else 0
    size = np.bincount(centre, minlength=k)
    multi = size[centre] >= 2
    if k == 0 or multi.mean() < MIN_MULTI_TABLE_SHARE:
        return None
    N_c = np.bincount(centre, n, k)
    X_c = np.bincount(centre, x, k)
    g_c = np.zeros(k, dtype=np.int64)
    g_c[centre] = g.astype(np.int64)
    # the centre's prior: its group's share without the centre, shifted per station
    with np.errstate(divide="ignore", invalid="ignore"):
        if np.isfinite(kappa_b):
            base = (X_g[g] - X_c[centre] + kappa_b * P) / (N_g[g] - N_c[centre] + kappa_b)
            N_rest = N_g[g_c] - N_c
            S2_rest: np.ndarray = np.bincount(g, n * n, len(N_g))[g_c] - np.bincount(
                centre, n * n, k)
            kb, between = kappa_b, kappa_b ** 2 * rho_b
        else:
            base = (x.sum() - X_c[centre]) / (n.sum() - N_c[centre])
            N_rest = n.sum() - N_c
            S2_rest = np.sum(n * n) - np.bincount(centre, n * n, k)
            kb, between = 0.0, 0.0
    prior = _shifted(np.clip(np.nan_to_num(base, nan=P), 0.0, 1.0), shift, n, g)
    w_n = np.maximum(N_c, 1e-300)
    prior_c = np.bincount(centre, n * prior, k) / w_n
    offset = _within_centre_offset(x, n, z, centre, multi, X_c / w_n)
    # tables within centres: moments of the shares net of their offsets
    y = np.clip(np.where(n > 0, x / np.maximum(n, 1), prior) - offset, 0.0, 1.0)
    rho_t = overdispersion_mom((y * n)[multi], n[multi], centre[multi])
    rho_c = max(rho_w - rho_t, 0.0)
    # centre posterior: Beta prior (mean prior_c, variance rho_c q + e) and the tables
    q = np.clip(prior_c * (1 - prior_c), 1e-12, 0.25)
    e = q * (N_rest + rho_w * S2_rest + between) / np.maximum(N_rest + kb, 1e-12) ** 2
    e = np.where(N_rest + kb > 0, e, q)
    v = rho_c * q + e
    kappa_c = np.maximum(np.where(v > 1e-15, q / v - 1.0, 1e12), 1e-6)
    w = n / (1 + np.maximum(n - 1, 0) * rho_t)
    n_eff = np.bincount(centre, w, k)
    share = np.clip(np.bincount(centre, w * y, k) / np.maximum(n_eff, 1e-300), 0.0, 1.0)
    a = np.maximum(share * n_eff + kappa_c * prior_c, 1e-9)
    b = np.maximum((1 - share) * n_eff + kappa_c * (1 - prior_c), 1e-9)
    return CentreLayer(index=centre, a=a, b=b, offset=offset,
                       table_kappa=_concentration(rho_t), rho_centre=rho_c, rho_table=rho_t)


# --------------------------------------------------------------------------------------------
# Redraws
# --------------------------------------------------------------------------------------------


def chunk_rows(n_stations: int) -> int:
    """Replicates per chunk for ``n_stations`` stations (fixed, so results are reproducible)."""
    return max(1, CHUNK_ELEMENTS // max(n_stations, 1))


class _Plan:
    """Precomputed per-station sampling parameters of beta-binomial counts.

    ``trials`` (int), ``mean`` and ``concentration`` per station (inf: binomial). The normal
    sampler runs on the whole ``(rows, stations)`` array (stations drawn exactly get zero mean
    and spread there and are overwritten), which avoids gathers per chunk.
    """

    def __init__(self, trials: np.ndarray, mean: np.ndarray,
                 concentration: np.ndarray | float, sampler: str) -> None:
        n = np.asarray(trials, dtype=np.int64)
        m = np.asarray(mean, dtype=float)
        concentration = np.broadcast_to(np.asarray(concentration, dtype=float), n.shape)
        mu, sd, skew = count_moments(n, m, concentration)
        self.size = n.size
        fixed = (m <= 0) | (m >= 1) | (n == 0)
        ok = ((sd >= APPROX_MIN_SD) & (mu - APPROX_MIN_SD * sd >= 0)
              & (mu + APPROX_MIN_SD * sd <= n) & (np.abs(skew) <= APPROX_MAX_SKEW))
        approx = ok & ~fixed if sampler == "auto" else np.zeros(n.size, dtype=bool)
        self.any_approx = bool(approx.any())
        self.exact_idx = np.flatnonzero(~approx & ~fixed)
        self.full_idx = np.flatnonzero(fixed & (m >= 1) & (n > 0))
        self.dtype: type[np.floating[Any]] = \
            np.float32 if n.max(initial=0) < (1 << 22) else np.float64
        mean_a = np.where(approx, mu, 0.0)
        cf = np.where(approx, sd * skew / 6.0, 0.0)
        self.sd: np.ndarray = np.where(approx, sd, 0.0).astype(self.dtype)
        self.cf: np.ndarray = cf.astype(self.dtype)
        self.shift: np.ndarray = (mean_a - cf).astype(self.dtype)
        self.nf: np.ndarray = n.astype(self.dtype)
        self.full = n[self.full_idx].astype(self.dtype)
        kappa = concentration[self.exact_idx]
        me = m[self.exact_idx].astype(np.float64)
        self.beta_idx = np.flatnonzero(np.isfinite(kappa))
        self.a = me[self.beta_idx] * kappa[self.beta_idx]
        self.b = (1 - me[self.beta_idx]) * kappa[self.beta_idx]
        self.me = me
        self.ne = n[self.exact_idx]

    def draw(self, rows: int, rng: np.random.Generator) -> np.ndarray:
        """``rows`` replicates as a float array holding integer values."""
        z: np.ndarray
        if self.any_approx:
            # Cornish–Fisher: mu + sd z + cf (z^2 - 1) = (mu - cf) + z (sd + cf z)
            normal = _standard_normal(rng, (rows, self.size), self.dtype)
            z = normal * self.cf
            z += self.sd
            z *= normal
            z += self.shift
            np.rint(z, out=z)
            # np.clip(z, 0, nf) as two in-place passes (the same values, ~40% faster)
            np.maximum(z, 0, out=z)
            np.minimum(z, self.nf, out=z)
        else:
            z = np.zeros((rows, self.size), dtype=self.dtype)
        if self.full_idx.size:
            z[:, self.full_idx] = self.full
        if self.exact_idx.size:
            p = np.broadcast_to(self.me, (rows, self.me.size))
            if self.beta_idx.size:
                p = p.copy()
                p[:, self.beta_idx] = rng.beta(self.a, self.b,
                                               size=(rows, self.beta_idx.size))
            z[:, self.exact_idx] = rng.binomial(self.ne, p)
        return z


def _standard_normal(rng: np.random.Generator, shape: tuple[int, int],
                     dtype: type[np.floating[Any]]) -> np.ndarray:
    """Standard normal draws by the Box–Muller transform of uniforms (exact in
    distribution; in single precision the tails stop at 5.8 SD, beyond the normal
    sampler's reach), about 40% faster than numpy's ziggurat in single precision."""
    n = shape[0] * shape[1]
    half = (n + 1) // 2
    u = rng.random((2, half), dtype=dtype)
    radius = np.sqrt(-2.0 * np.log1p(-u[0]))
    angle = u[1] * dtype(2.0 * np.pi)
    out = np.empty(2 * half, dtype=dtype)
    np.multiply(radius, np.cos(angle), out=out[:half])
    np.multiply(radius, np.sin(angle), out=out[half:])
    return out[:n].reshape(shape)


def redraw_counts(parameters: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | float]],
                  n_resamples: int = DEFAULT_RESAMPLES, rng: RNGLike = None, *,
                  sampler: Sampler = "auto", as_float: bool = False,
                  rows: int | None = None) -> Iterator[tuple[np.ndarray, ...]]:
    """Beta-binomial counts with the same rows for several sets of stations, chunk by chunk.

    ``parameters`` holds ``(trials, mean, concentration)`` arrays per set (concentration inf:
    binomial). Each chunk is a tuple with one ``(rows, stations)`` array per set, int64 (or,
    with ``as_float``, float holding the same integers, which saves a conversion in
    vectorised consumers); the rows of all chunks add up to ``n_resamples``. ``rows`` fixes
    the rows per chunk (default :func:`chunk_rows` of all the stations).
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    rng = as_generator(rng)
    plans = [_Plan(n, m, k, sampler) for n, m, k in parameters]
    step = rows or chunk_rows(sum(p.size for p in plans))
    done = 0
    while done < n_resamples:
        r = min(step, n_resamples - done)
        draws = tuple(plan.draw(r, rng) for plan in plans)
        yield draws if as_float else tuple(d.astype(np.int64) for d in draws)
        done += r


def redraw_joint(models: Sequence[HonestModel], n_resamples: int = DEFAULT_RESAMPLES,
                 rng: RNGLike = None, *, sampler: Sampler = "auto",
                 as_float: bool = False) -> Iterator[tuple[np.ndarray, ...]]:
    """Replicates of several models with the same rows, one tuple of arrays per chunk.

    Each array has shape ``(rows, model.n_stations)`` (see :func:`redraw_counts`). Models
    fitted with ``model="beta-binomial"`` first draw each station's share once from its
    posterior (:meth:`HonestModel.sampled`), in model order, from ``rng``. Use it for
    statistics of several counts of the same stations (e.g. turnout and a candidate's share).
    """
    rng = as_generator(rng)
    used = [m.sampled(rng) if m.model == "beta-binomial" else m for m in models]
    yield from redraw_counts([(m.trials, m.mean, m.concentration) for m in used],
                             n_resamples, rng, sampler=sampler, as_float=as_float)


def redraw_votes(sheets: SheetTable, candidate: str | None = None, *,
                 model: Model = "beta-binomial", n_resamples: int = DEFAULT_RESAMPLES,
                 level: str | None = "auto", rng: RNGLike = None,
                 sampler: Sampler = "auto") -> Iterator[np.ndarray]:
    """Honest replicates of a candidate's votes (or any count column), chunk by chunk.

    Examples
    --------
    >>> from audit.simulate import simulate_clean
    >>> sheets = simulate_clean(n_tables=1_000, rng=1)
    >>> chunks = list(redraw_votes(sheets, "C1", n_resamples=99, rng=2))
    >>> sum(c.shape[0] for c in chunks), chunks[0].shape[1]
    (99, 1000)
    """
    fitted = fit_honest_model(sheets, candidate, model=model, level=level)
    yield from fitted.redraw(n_resamples, rng, sampler=sampler)


def null_summaries(models: Sequence[HonestModel],
                   summarise: Callable[[np.ndarray], Mapping[str, np.ndarray]],
                   n_resamples: int = DEFAULT_RESAMPLES, rng: RNGLike = None, *,
                   sampler: Sampler = "auto", as_float: bool = False
                   ) -> dict[str, np.ndarray]:
    """Apply ``summarise`` to every chunk of pooled replicates and stack the results.

    ``summarise`` receives a ``(rows, stations)`` array (the models' stations side by side;
    float holding integers when ``as_float``) and returns arrays whose first axis is
    ``rows``; the result has ``n_resamples`` rows.
    """
    parts: dict[str, list[np.ndarray]] = {}
    for chunk in redraw_joint(models, n_resamples, rng, sampler=sampler, as_float=as_float):
        pooled = chunk[0] if len(chunk) == 1 else np.concatenate(chunk, axis=1)
        for key, value in summarise(pooled).items():
            parts.setdefault(key, []).append(np.asarray(value))
    return {key: np.concatenate(value, axis=0) for key, value in parts.items()}


@dataclass(frozen=True, eq=False)
class NationalDraws:
    """Where a scope's simulation null comes from when the regions share the national redraws.

    The forensics battery runs the digit tests nationally and in every region of a level;
    the regions partition the stations. Instead of fitting and redrawing each region on its
    own, the national model (:func:`fit_honest_model` on ``table``) is redrawn once per batch
    and every region's digit histograms are counted from the same redraws, restricted to its
    stations (one ``bincount`` over region x digit cells). A region's null is then the
    national honest model restricted to the region's stations: each station keeps the
    share, spread and centre layer the national fit gives it (its local share already comes
    from its own group, step 1), with the hyperparameters (``rho``, the size and turnout
    slopes, the national share the groups are shrunk to) estimated on all stations rather
    than on the region alone. The sequential Monte Carlo stopping applies per scope on the
    shared batches (a region may ask for batches the national test did not need).

    ``table`` is the whole table, ``codes`` the region of each of its sheets (0 ..
    ``n_groups - 1``, every sheet in one region), ``region`` the region tested (None: the
    whole table, whose results are those of a run without regions, draw for draw). ``memo``
    keeps what the tests compute more than once (the national models' pooled trials and
    regions; a textbook test's simulation p-value, which is the simulation test's).
    """

    table: SheetTable
    codes: np.ndarray
    n_groups: int
    region: int | None = None
    digest: bytes = field(init=False, repr=False)  # of the grouping, for memo keys
    #: what the digit tests computed once, shared by the scopes of one grouping (copies
    #: made with ``dataclasses.replace`` share it; keys name their scope)
    memo: dict[Any, Any] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        # copies for each region (``dataclasses.replace``) share the memo, the table and the
        # codes: the grouping is checked and hashed once
        checked = ("grouping", id(self.table), id(self.codes), self.n_groups)
        hit = self.memo.get(checked)  # (table, codes, digest): the objects kept alive
        digest = hit[2] if hit is not None and hit[0] is self.table \
            and hit[1] is self.codes else None
        if digest is None:
            if self.codes.shape != (len(self.table),) or (self.codes.size and (
                    self.codes.min() < 0 or self.codes.max() >= self.n_groups)):
                raise ValueError("codes must give every sheet of the table a region in "
                                 "0 .. n_groups - 1")
            digest = hashlib.blake2b(np.ascontiguousarray(self.codes, dtype=np.int64).tobytes()
                                     + str(self.n_groups).encode(), digest_size=16).digest()
            self.memo[checked] = (self.table, self.codes, digest)
        object.__setattr__(self, "digest", digest)
