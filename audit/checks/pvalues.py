"""P-values that carry the evidence: exact and saddlepoint tails, sequential Monte Carlo, and
tails fitted to the redraws where the observed statistic is beyond them.

Every p-value of a check comes with the method that produced it (``CheckResult.pvalue_method``,
one of :data:`METHODS`) and a standardised distance from the null (``CheckResult.z``), so that
the strength of a finding survives where the p-value underflows. No p-value is the Monte Carlo
floor ``1 / (R + 1)``: where the null is known in closed form the tail is computed, and where
it is only simulated the redraws are drawn sequentially and, beyond them, a stated
approximation fitted to them gives the tail (``docs/results.md``, "p-values").

Tails of sums of independent terms
    The integer-percentage and 100% counts are sums of independent Bernoulli variables with
    known probabilities (a Poisson-binomial count); a sign-flip (reflection) statistic
    ``T* = sum_c e_c d_c`` with independent random signs is ``2 Y - sum_c |d_c|`` with
    ``Y = sum_c B_c |d_c|``, ``B_c ~ Bernoulli(1/2)``. Both are ``Y = sum_i w_i B_i``, whose
    upper tail :func:`bernoulli_sum_sf` computes by the Lugannani–Rice saddlepoint formula
    (Lugannani & Rice 1980), with Daniels' (1987) second continuity correction when ``Y``
    lives on a lattice. Its relative error is small uniformly in the tail, where a normal
    tail can be wrong by orders of magnitude; Robinson (1982) showed its accuracy for
    randomisation (sign-change) tests down to ten terms.

Sequential Monte Carlo (Besag & Clifford 1991)
    Redraws come in batches (:data:`BATCHES`); a test stops as soon as ``h`` redraws
    (:data:`EXCEEDANCES`, 10) reach the observed statistic, with ``p = h / l`` after ``l``
    redraws — a large p-value costs a few dozen redraws — and goes on to ``R`` redraws where
    it is small. The p-value is valid at every level whatever the stopping point.

Beyond the redraws
    When fewer than ``h`` of the ``R`` redraws reach the statistic, ``k / R`` is too coarse to
    say how far out it lies, and ``(k + 1) / (R + 1)`` would report the floor. The tail is then
    taken from an approximation fitted to the redraws and stated in the result: a normal
    distribution for means and shares (averages over stations: central limit theorem), and for
    the Pearson distance of a digit histogram the distribution of a quadratic form in normal
    variables, ``sum_j lambda_j chi2_1`` with the eigenvalues of the redraws' covariance
    (Kuonen 1999), whose tail is again a saddlepoint. A parametric fit can be far too light
    when the null is heavy-tailed (a Pearson distance dominated by a few sparse cells): where
    it gives far less than the redraws show at their 10th most extreme value, a generalised
    Pareto tail fitted to the largest redraws is used instead (peaks over threshold;
    Knijnenburg et al. 2009). Method ``monte-carlo+fitted-tail``; the tail used is named in
    the result.

References
----------
By key of the bibliography, :mod:`audit.references`, where the full entries are:

- Besag & Clifford (1991) [besag1991]
- Lugannani & Rice (1980) [lugannani1980]
- Daniels (1987) [daniels1987]
- Robinson (1982) [robinson1982]
- Kuonen (1999) [kuonen1999]
- Butler (2007) [butler2007], §1.2
- Phipson & Smyth (2010) [phipson2010]
- Knijnenburg, Wessels, Reinders & Shmulevich (2009) [knijnenburg2009]
- Pickands (1975) [pickands1975]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

#: The vocabulary of ``CheckResult.pvalue_method``: method -> what it means.
METHODS: dict[str, str] = {
    "exact": "exact null distribution (e.g. the exact binomial test)",
    "normal": "normal approximation of a statistic that is asymptotically normal under "
              "the null",
    "chi-square": "asymptotic chi-square distribution of a goodness-of-fit statistic",
    "saddlepoint": "Lugannani–Rice saddlepoint tail of a sum of independent terms with a "
                   "known null (Bernoulli counts, sign flips)",
    "monte-carlo": "(k + 1) / (R + 1) over R redraws of the null",
    "sequential-monte-carlo": "Besag & Clifford (1991): redraws stop once h of them reach "
                              "the statistic, p = h / l after l redraws",
    "monte-carlo+fitted-tail": "fewer than h of R redraws reach the statistic: the tail of "
                               "an approximation fitted to the redraws (stated in the "
                               "result)",
    "bootstrap": "inverted bootstrap interval around a benchmark (not an honest null)",
    "tabulated": "interpolated in a published table of the null",
}

#: Besag–Clifford's h: a sequential Monte Carlo test stops after this many exceedances.
EXCEEDANCES = 10
#: Cumulative redraws after which a sequential test looks whether it can stop (the last
#: batch always ends at the test's ``n_resamples``).
BATCHES: tuple[int, ...] = (99, 249, 499)
#: Fewest redraws to which a tail is fitted; with fewer (an explicit small ``n_resamples``)
#: the p-value is the plain Monte Carlo ``(k + 1) / (R + 1)``, method ``monte-carlo``.
MIN_TAIL_DRAWS = 50
#: Smallest p-value reported (a p-value that underflows is reported as this bound).
SMALLEST = float(np.finfo(float).tiny)


@dataclass(frozen=True)
class PValue:
    """A p-value with the method that gave it.

    ``z`` is the observed statistic's standardised distance from the null's centre (its
    mean, over the null's standard deviation); ``resamples`` the redraws used by a Monte
    Carlo method (None otherwise); ``tail`` names a fitted tail.
    """

    value: float
    method: str
    z: float | None = None
    resamples: int | None = None
    tail: str | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown p-value method {self.method!r}")


def schedule(n_resamples: int) -> list[int]:
    """Cumulative batch ends of a sequential test with at most ``n_resamples`` redraws."""
    return [b for b in BATCHES if b < n_resamples] + [int(n_resamples)]


# --------------------------------------------------------------------------------------------
# Monte Carlo
# --------------------------------------------------------------------------------------------


def exceeds(null: np.ndarray, observed: float, alternative: str = "greater",
            center: float = 0.0) -> np.ndarray:
    """Which redraws are at least as extreme as ``observed`` (NaN redraws count as extreme,
    which keeps the p-value conservative)."""
    null = np.asarray(null, dtype=float)
    if alternative == "greater":
        out = null >= observed - 1e-9 * max(abs(observed), 1.0)
    elif alternative == "less":
        out = null <= observed + 1e-9 * max(abs(observed), 1.0)
    elif alternative == "two-sided":
        out = np.abs(null - center) >= np.abs(observed - center) - 1e-12
    else:
        raise ValueError(f"alternative must be greater, less or two-sided; got {alternative!r}")
    return np.asarray(out | ~np.isfinite(null))


def count_pvalue(k: int, n_resamples: int) -> float:
    """``(k + 1) / (R + 1)``: the Monte Carlo p-value of ``k`` redraws out of ``R`` at least as
    extreme as the observed data, which counts the data as one member of the null so the
    p-value is valid (Davison & Hinkley 1997, §4.2; Phipson & Smyth 2010). The one home of
    this formula: every check that counts exceedances calls it."""
    return (k + 1) / (n_resamples + 1)


def monte_carlo_pvalue(null: np.ndarray, observed: float, *, alternative: str = "greater",
                       center: float = 0.0) -> float:
    """``(k + 1) / (R + 1)``, ``k`` the redraws at least as extreme as ``observed``.

    Counting the observed statistic as one member of the null keeps the p-value valid
    (Davison & Hinkley 1997, §4.2; Phipson & Smyth 2010). Used where a method needs the plain
    Monte Carlo estimate; the checks report :func:`sequential_pvalue`.
    """
    k = int(exceeds(null, observed, alternative, center).sum())
    return count_pvalue(k, np.asarray(null).size)


def null_z(null: np.ndarray, observed: float) -> float | None:
    """``(observed - mean) / sd`` of the finite redraws (None with fewer than two)."""
    finite = np.asarray(null, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size < 2:
        return None
    sd = float(finite.std(ddof=1))
    return (observed - float(finite.mean())) / sd if sd > 0 else None


def sequential_pvalue(null: np.ndarray, observed: float, n_resamples: int, *,
                      alternative: str = "greater", center: float = 0.0,
                      tail: Callable[[], tuple[float, str]] | None = None,
                      h: int = EXCEEDANCES) -> PValue | None:
    """Besag & Clifford's sequential p-value from the redraws drawn so far, in order.

    Returns ``h / l`` (method ``sequential-monte-carlo``) when the ``h``-th redraw reaching
    ``observed`` is the ``l``-th; None when fewer than ``h`` have and fewer than
    ``n_resamples`` were drawn (draw more); and when all ``n_resamples`` were drawn with
    ``k < h`` exceedances, the fitted ``tail()`` — a ``(p, description)`` pair — with method
    ``monte-carlo+fitted-tail`` (without ``tail``, or with fewer than
    :data:`MIN_TAIL_DRAWS` redraws to fit it to, ``(k + 1) / (R + 1)``, method
    ``monte-carlo``). ``z`` is :func:`null_z` of all redraws given.
    """
    null = np.asarray(null, dtype=float)
    hits = np.flatnonzero(exceeds(null, observed, alternative, center))
    z = null_z(null, observed)
    if alternative == "less" and z is not None:
        z = -z
    if hits.size >= h:
        stop = int(hits[h - 1]) + 1
        return PValue(h / stop, "sequential-monte-carlo", z=z, resamples=stop)
    if null.size < n_resamples:
        return None
    if tail is None or null.size < MIN_TAIL_DRAWS:
        return PValue(count_pvalue(hits.size, null.size), "monte-carlo", z=z,
                      resamples=int(null.size))
    p, description = tail()
    return PValue(max(float(p), SMALLEST), "monte-carlo+fitted-tail", z=z,
                  resamples=int(null.size), tail=description)


def normal_tail(null: np.ndarray, observed: float, alternative: str = "greater"
                ) -> tuple[float, str]:
    """Tail of a normal distribution fitted (mean, SD) to the finite redraws."""
    z = null_z(null, observed)
    if z is None:
        return 1.0, "normal fitted to the redraws (degenerate)"
    if alternative == "greater":
        p = special.ndtr(-z)
    elif alternative == "less":
        p = special.ndtr(z)
    else:
        p = 2 * special.ndtr(-abs(z))
    return float(min(1.0, p)), "normal fitted to the redraws"


#: Share of the redraws (their largest) to which the generalised Pareto tail is fitted.
PARETO_SHARE = 0.1


def pareto_tail(null: np.ndarray, observed: float, alternative: str = "greater",
                center: float = 0.0) -> float:
    """Tail beyond the redraws from a generalised Pareto distribution fitted by maximum
    likelihood to the excesses of the largest :data:`PARETO_SHARE` of them over the next one
    (peaks over threshold: Pickands 1975; for permutation p-values Knijnenburg et al. 2009):
    ``P(X >= x) = (m / R) * (1 - G(x - t))``. It follows the redraws' own tail, heavy or
    light; 0 beyond the finite end point of a light tail (shape < 0)."""
    values = np.asarray(null, dtype=float)
    values = values[np.isfinite(values)]
    if alternative == "less":
        values, x = -values, -observed
    elif alternative == "two-sided":
        values, x = np.abs(values - center), abs(observed - center)
    else:
        x = observed
    m = int(PARETO_SHARE * values.size)
    if m < 10:
        return 0.0
    top = np.sort(values)[-(m + 1):]
    threshold, excess = top[0], top[1:] - top[0]
    if not np.any(excess > 0):
        return 0.0
    with np.errstate(all="ignore"):
        shape, _, scale = stats.genpareto.fit(excess, floc=0.0)
        tail = float(stats.genpareto.sf(x - threshold, shape, loc=0.0, scale=scale))
    return m / values.size * tail if np.isfinite(tail) else 0.0


def fitted_tail(null: np.ndarray, observed: float,
                parametric: Callable[[float], tuple[float, str]], *,
                alternative: str = "greater", center: float = 0.0,
                h: int = EXCEEDANCES) -> tuple[float, str]:
    """The tail beyond the redraws: a ``parametric`` tail (``parametric(x) -> (p,
    description)``: a normal, or a normal quadratic form, fitted to the redraws) where it
    agrees with the redraws' own upper tail, else :func:`pareto_tail`.

    The check: at the ``h``-th most extreme redraw the parametric tail must give at least a
    third of the share ``h / R`` the redraws show there (a Poisson count of ``h = 10`` falls
    below a third of its mean with probability 0.0003). A parametric tail that is far too
    light there — a Pearson distance dominated by a few sparse cells, whose null is
    heavy-tailed — is replaced by the generalised Pareto tail fitted to the largest redraws
    (never lighter than the parametric one), so a heavy-tailed null is not read as strong
    evidence; where it agrees, the parametric tail reaches beyond the largest redraw."""
    values = np.asarray(null, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < h:
        return parametric(observed)
    if alternative == "less":
        check = float(np.sort(values)[h - 1])
    elif alternative == "two-sided":
        check = center + float(np.sort(np.abs(values - center))[-h])
    else:
        check = float(np.sort(values)[-h])
    p_param, description = parametric(observed)
    if parametric(check)[0] >= h / values.size / 3:
        return p_param, description
    p_pareto = pareto_tail(values, observed, alternative, center)
    return (min(1.0, max(p_pareto, p_param)),
            "generalised Pareto fitted to the largest redraws (the parametric tail is too "
            "light for them)")


# --------------------------------------------------------------------------------------------
# Saddlepoint tails
# --------------------------------------------------------------------------------------------


def _lugannani_rice(w: float, u: float) -> float:
    """``1 - Phi(w) - phi(w) (1/w - 1/u)`` computed without underflow of its parts."""
    if w > 5:
        # Phi(-w) = phi(w) R(w) with Mills' ratio R(w) = sqrt(pi/2) erfcx(w / sqrt 2)
        ratio = math.sqrt(math.pi / 2) * float(special.erfcx(w / math.sqrt(2)))
        bracket = ratio + 1 / u - 1 / w
        if bracket <= 0:
            return SMALLEST
        log_p = -0.5 * w * w - 0.5 * math.log(2 * math.pi) + math.log(bracket)
        return max(math.exp(log_p), SMALLEST)
    phi = math.exp(-0.5 * w * w) / math.sqrt(2 * math.pi)
    p = float(special.ndtr(-w)) + phi * (1 / u - 1 / w)
    return min(max(p, SMALLEST), 1.0)


def bernoulli_sum_sf(y: float, weights: np.ndarray, probs: np.ndarray, *,
                     lattice: bool = True) -> float:
    """``P(sum_i w_i B_i >= y)`` for independent ``B_i ~ Bernoulli(p_i)``, ``w_i > 0``.

    Lugannani–Rice saddlepoint formula on the cumulant generating function
    ``K(s) = sum_i log(1 - p_i + p_i exp(s w_i))``. With ``lattice`` (integer weights whose
    sum lives on the integers, span 1) Daniels' second continuity correction is used:
    the saddlepoint solves ``K'(s) = y - 1/2`` and ``u = 2 sinh(s/2) sqrt(K''(s))``
    (Butler 2007, eq. 1.39); otherwise ``K'(s) = y`` and ``u = s sqrt(K''(s))``. Exact at the
    ends of the support; near the mean (where the formula is 0/0) the normal tail with the
    same continuity correction.
    """
    w = np.asarray(weights, dtype=float)
    p = np.asarray(probs, dtype=float)
    keep = (w > 0) & (p > 0)
    w, p = w[keep], p[keep]
    sure = p >= 1
    y = float(y) - float(w[sure].sum())
    w, p = w[~sure], p[~sure]
    top = float(w.sum())
    eps = 1e-9 * max(top, 1.0)
    if y <= eps:
        return 1.0
    if y > top + eps:
        return 0.0
    if y >= top - eps:  # every term must be 1
        return max(math.exp(float(np.log(p).sum())), SMALLEST)
    target = y - 0.5 if lattice else y
    mean = float((w * p).sum())
    var = float((w * w * p * (1 - p)).sum())
    if target <= 0:
        return 1.0
    logit = np.log(p) - np.log1p(-p)

    def k1(s: float) -> float:
        return float((w * special.expit(s * w + logit)).sum()) - target

    if abs(target - mean) < 1e-6 * math.sqrt(var) or var <= 0:
        return float(special.ndtr(-(target - mean) / math.sqrt(var))) if var > 0 else 0.5
    lo, hi = (-1.0, 0.0) if target < mean else (0.0, 1.0)
    scale = 1.0 / max(float(w.max()), 1e-300)
    lo, hi = lo * scale, hi * scale
    for _ in range(200):
        if k1(lo) < 0 < k1(hi):
            break
        if target < mean:
            lo *= 2
        else:
            hi *= 2
    s = optimize.brentq(k1, lo, hi, xtol=1e-14 * scale, rtol=1e-12, maxiter=500)
    x = s * w + logit
    cgf = float((np.logaddexp(0.0, x) + np.log1p(-p)).sum())
    pi = special.expit(x)
    k2 = float((w * w * pi * (1 - pi)).sum())
    r = s * target - cgf
    if r <= 0 or k2 <= 0:
        return float(special.ndtr(-(target - mean) / math.sqrt(var)))
    w_hat = math.copysign(math.sqrt(2 * r), s)
    u = (2 * math.sinh(s / 2) if lattice else s) * math.sqrt(k2)
    if abs(w_hat) < 1e-4:
        return float(special.ndtr(-(target - mean) / math.sqrt(var)))
    return _lugannani_rice(w_hat, u)


def poisson_binomial_pvalue(observed: int, probs: np.ndarray) -> PValue:
    """Upper-tail p-value of a count of independent Bernoulli events (Poisson-binomial).

    ``P(S >= observed)`` by :func:`bernoulli_sum_sf` (lattice); ``z = (observed - sum p) /
    sqrt(sum p (1 - p))``.
    """
    p = np.asarray(probs, dtype=float)
    mean = float(p.sum())
    sd = math.sqrt(float((p * (1 - p)).sum()))
    value = bernoulli_sum_sf(float(observed), np.ones(p.size), p, lattice=True)
    return PValue(value, "saddlepoint", z=(observed - mean) / sd if sd > 0 else None)


@dataclass(frozen=True)
class SignFlip:
    """A sign-flip (reflection) test: ``T = sum_c d_c`` against ``T* = sum_c e_c d_c``."""

    statistic: float
    null: np.ndarray
    pvalue: PValue


def sign_flip_test(contributions: np.ndarray, clusters: np.ndarray, n_resamples: int,
                   rng: np.random.Generator) -> SignFlip:
    """One-sided sign-flip test of ``T = sum_i c_i`` with clusters flipped together.

    ``c_i`` is an odd function of station ``i``'s residual, and reflecting a cluster negates
    its total ``d_c``; under symmetry every ``T* = sum_c e_c d_c`` with independent random
    signs is as likely as ``T`` (Fisher 1935; clustered flips: Canay, Romano & Shaikh 2017).
    The p-value is the exact null's upper tail by the saddlepoint (Robinson 1982; lattice
    form when every ``d_c`` is an integer), ``z = T / sqrt(sum d_c^2)``. ``n_resamples``
    random flips are kept as ``null`` (to show the null and check the tail).
    """
    d = np.bincount(clusters, weights=contributions)
    d = d[d != 0]
    observed = float(d.sum())
    null = _random_reflections(d, n_resamples, rng)
    a = np.abs(d)
    sd = math.sqrt(float((a * a).sum()))
    z = observed / sd if sd > 0 else None
    if a.size == 0:
        return SignFlip(observed, null, PValue(1.0, "exact", z=None))
    rounded = np.rint(a)
    if a.size <= ENUMERATE_UP_TO:
        # every reflection: 2^C sums
        signs = (np.arange(1 << a.size)[:, None] >> np.arange(a.size)) & 1
        totals = (signs * 2 - 1) @ d
        value = float(np.mean(totals >= observed - 1e-9 * max(abs(observed), 1.0)))
        return SignFlip(observed, null, PValue(value, "exact", z=z))
    if np.all(np.abs(a - rounded) < 1e-9):
        g = int(np.gcd.reduce(rounded.astype(np.int64)))
        # T* >= T  <=>  Y = sum B_c a_c / g >= (T + sum a) / (2 g), Y on the integers
        ints = (rounded / g).astype(np.int64)
        y = math.ceil((observed + float(rounded.sum())) / (2 * g) - 1e-9)
        if int(ints.sum()) <= EXACT_SUPPORT:
            return SignFlip(observed, null,
                            PValue(_half_sum_sf(y, ints), "exact", z=z))
        value = bernoulli_sum_sf(y, ints, np.full(a.size, 0.5), lattice=True)
    else:
        value = bernoulli_sum_sf((observed + float(a.sum())) / 2, a, np.full(a.size, 0.5),
                                 lattice=False)
    return SignFlip(observed, null, PValue(value, "saddlepoint", z=z))


def _random_reflections(d: np.ndarray, n_resamples: int, rng: np.random.Generator
                        ) -> np.ndarray:
    """``n_resamples`` sums ``T* = sum_c e_c d_c`` with independent fair signs ``e_c``.

    With ``e_c = 2 b_c - 1`` for fair bits ``b_c``, ``T* = 2 sum_c b_c d_c - sum_c d_c``; the
    bits are the generator's random bytes unpacked, eight clusters per byte (about three
    times faster than drawing a sign per cluster)."""
    null = np.empty(n_resamples)
    total = float(d.sum())
    width = (d.size + 7) // 8
    rows = max(1, (1 << 22) // max(d.size, 1))
    for start in range(0, n_resamples, rows):
        r = min(rows, n_resamples - start)
        raw = np.frombuffer(rng.bytes(r * width), dtype=np.uint8).reshape(r, width)
        bits = np.unpackbits(raw, axis=1, count=d.size)
        null[start:start + r] = 2.0 * (bits.astype(np.float64) @ d) - total
    return null


#: Sign-flip nulls with at most this many clusters are enumerated (2^C reflections).
ENUMERATE_UP_TO = 16
#: Integer sign-flip nulls whose sum of ``|d_c|`` (over their gcd) is at most this are computed
#: exactly by convolution; beyond, the saddlepoint (thousands of clusters).
EXACT_SUPPORT = 20_000


def _half_sum_sf(y: int, weights: np.ndarray) -> float:
    """``P(sum_c a_c B_c >= y)``, ``B_c ~ Bernoulli(1/2)``, exactly: the clusters with the
    same ``a`` add ``a Bin(m, 1/2)``, and these are convolved (positive terms only, so the
    upper tail keeps its relative precision)."""
    if y <= 0:
        return 1.0
    values, counts = np.unique(weights, return_counts=True)
    pmf = np.ones(1)
    for v, m in zip(values.tolist(), counts.tolist(), strict=True):
        kernel = np.zeros(v * m + 1)
        kernel[::v] = np.exp(special.gammaln(m + 1) - special.gammaln(np.arange(m + 1) + 1)
                             - special.gammaln(m - np.arange(m + 1) + 1) - m * math.log(2))
        pmf = np.convolve(pmf, kernel)
    if y >= pmf.size:
        return 0.0
    return min(1.0, max(float(pmf[y:].sum()), SMALLEST))


def quadratic_form_sf(x: float, eigenvalues: np.ndarray) -> float:
    """``P(sum_j lambda_j chi2_1 >= x)`` by the saddlepoint (Kuonen 1999).

    ``K(t) = -1/2 sum_j log(1 - 2 lambda_j t)`` for ``t < 1 / (2 max lambda)``.
    """
    lam = np.asarray(eigenvalues, dtype=float)
    lam = lam[lam > 1e-12 * max(float(lam.max(initial=0.0)), 1e-300)]
    if lam.size == 0 or x <= 0:
        return 1.0
    mean = float(lam.sum())
    var = float(2 * (lam * lam).sum())
    if abs(x - mean) < 1e-6 * math.sqrt(var):
        return float(special.ndtr(-(x - mean) / math.sqrt(var)))
    upper = 1 / (2 * float(lam.max()))

    def k1(t: float) -> float:
        return float((lam / (1 - 2 * lam * t)).sum()) - x

    if x > mean:
        lo, hi = 0.0, upper * (1 - 1e-15)
        step = upper / 2
        hi = upper - step
        while k1(hi) < 0:
            step /= 2
            hi = upper - step
            if step < upper * 1e-300:
                break
    else:
        lo, hi = -1.0 / float(lam.min()), 0.0
        while k1(lo) > 0:
            lo *= 2
    t = optimize.brentq(k1, lo, hi, xtol=1e-15 * upper, rtol=1e-13, maxiter=500)
    cgf = float(-0.5 * np.log1p(-2 * lam * t).sum())
    k2 = float((2 * lam * lam / (1 - 2 * lam * t) ** 2).sum())
    r = t * x - cgf
    if r <= 0:
        return float(special.ndtr(-(x - mean) / math.sqrt(var)))
    w_hat = math.copysign(math.sqrt(2 * r), t)
    if abs(w_hat) < 1e-4:
        return float(special.ndtr(-(x - mean) / math.sqrt(var)))
    return _lugannani_rice(w_hat, t * math.sqrt(k2))


__all__ = ["BATCHES", "EXCEEDANCES", "METHODS", "MIN_TAIL_DRAWS", "SMALLEST", "PValue", "SignFlip",
           "bernoulli_sum_sf", "count_pvalue", "exceeds", "fitted_tail", "monte_carlo_pvalue",
           "normal_tail", "null_z", "pareto_tail",
           "poisson_binomial_pvalue", "quadratic_form_sf", "schedule", "sequential_pvalue",
           "sign_flip_test"]
