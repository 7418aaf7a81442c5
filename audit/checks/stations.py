"""Per-station quantities and robust tools shared by the turnout and fingerprint families.

Turnout ``T = ballots / registered`` and the share ``S = votes / base`` of one candidate,
where ``base`` is either the valid votes (``share_of="valid"``, the usual official definition)
or the ballots counted in the box, valid + null + blank (``share_of="counted"``, the Russian
official definition used by Kobak et al. 2016). Ballots are :meth:`SheetTable.ballots`:
the stated voters where a sheet states them, else valid + null + blank.

Robust tools: the modified z-score within groups (Iglewicz & Hoaglin 1993), a Huber trend in
log station size (also used by :func:`audit.simulate.fit_shape`), and the **reflection test**
of :func:`reflection_test`: a sign-flip randomisation test of "residuals are symmetric about
their centre", flipping the stations of one polling centre together (its p-value is the
saddlepoint tail of the exact reflection null, :mod:`audit.checks.pvalues`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special

from audit.checks.pvalues import sign_flip_test
from audit.errors import AuditError
from audit.model import SheetTable, region_code_column, vote_column

ShareOf = Literal["valid", "counted"]
Quantity = Literal["turnout", "share"]
SHARE_OF: tuple[str, ...] = ("valid", "counted")
QUANTITIES: tuple[str, ...] = ("turnout", "share")


class TurnoutUnavailableError(AuditError):
    """The sheets do not state registered voters, so turnout cannot be computed."""


@dataclass(frozen=True)
class Stations:
    """Counts of one candidate per station, as float arrays (NaN where unknown).

    Regions at ``region_level``: ``region_labels`` (the distinct region codes as strings,
    sorted) and ``region_index`` (each station's position in them); ``region`` gives the
    code of every station. ``center`` holds integer codes of the polling centres
    (``center_id`` within the region), the clusters of the reflection test.
    """

    candidate: str
    registered: np.ndarray
    ballots: np.ndarray
    votes: np.ndarray
    base: np.ndarray
    region_labels: np.ndarray
    region_index: np.ndarray
    region_level: str | None
    center: np.ndarray

    @property
    def n(self) -> int:
        return int(self.votes.size)

    @property
    def region(self) -> np.ndarray:
        """The region code of every station (strings)."""
        return self.region_labels[self.region_index]

    def regions(self, select: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(sorted region codes present, integer code per station) of the stations
        ``select`` (a mask or positions; all when None): ``region_codes(region[select])``
        without comparing strings."""
        index = self.region_index if select is None else self.region_index[select]
        present = np.unique(index)
        return self.region_labels[present], np.searchsorted(present, index).astype(np.int64)

    def turnout(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.registered > 0, self.ballots / self.registered, np.nan)

    def share(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.base > 0, self.votes / self.base, np.nan)

    def trials_successes(self, quantity: str) -> tuple[np.ndarray, np.ndarray]:
        """(denominator, numerator) of ``quantity`` per station."""
        if quantity == "turnout":
            return self.registered, self.ballots
        return self.base, self.votes


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


def stations(sheets: SheetTable, *, candidate: str | None = None, share_of: str = "valid",
             need_registered: bool = False, level: str | None = None) -> Stations:
    """Extract the per-station arrays of ``candidate`` (default: the overall leader)."""
    check_choice("share_of", share_of, SHARE_OF)
    key = candidate or sheets.leader()
    if key not in sheets.candidates:
        raise AuditError(f"unknown candidate {key!r}; known: {', '.join(sheets.candidates)}")
    if need_registered and not sheets.has("registered"):
        raise TurnoutUnavailableError(
            "turnout needs the number of registered voters per sheet, and these sheets do "
            "not state it (the check was not run)")
    registered = sheets.counts("registered") if "registered" in sheets.data \
        else np.full(len(sheets), np.nan)
    valid = sheets.counts("valid")
    base = valid
    if share_of == "counted":
        for col in ("null", "blank"):
            if col in sheets.data:
                base = base + np.nan_to_num(sheets.counts(col))
    votes = sheets.data[vote_column(key)].to_numpy(np.float64)
    if level is None and sheets.levels:
        level = sheets.levels[0]
    if level is not None and level not in sheets.levels:
        raise AuditError(f"unknown region level {level!r}; levels: {list(sheets.levels)}")
    labels, index, center = sheets.memo(("stations.regions", level),
                                        lambda: _regions_and_centres(sheets, level))
    return Stations(candidate=key, registered=registered, ballots=sheets.ballots(),
                    votes=votes, base=base, region_labels=labels, region_index=index,
                    region_level=level, center=center)


def _regions_and_centres(sheets: SheetTable, level: str | None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Region codes at ``level`` as (sorted labels, index per sheet) — missing codes are
    ``""``, no level gives one region ``"all"`` — and integer codes of the polling centres
    within their region (numbered in order of appearance)."""
    if level is not None:
        text = sheets.data[region_code_column(level)].astype("string").fillna("")
        first, uniques = pd.factorize(text)
        found = np.asarray(uniques, dtype=object).astype(str)
    else:
        first = np.zeros(len(sheets), dtype=np.int64)
        found = np.array(["all"])
    order = np.argsort(found, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    center_code, _ = pd.factorize(sheets.data["center_id"], use_na_sentinel=False)
    center, _ = pd.factorize(first.astype(np.int64) * (int(center_code.max(initial=0)) + 1)
                             + center_code)
    return found[order], rank[first], center.astype(np.int64)


def region_codes(region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique region labels, integer code per station)."""
    labels, codes = np.unique(region, return_inverse=True)
    return labels, codes.astype(np.int64)


def truncated_beta_binomial(successes: np.ndarray, trials: np.ndarray, codes: np.ndarray,
                            n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-station Beta parameters (a, b) of a beta-binomial fitted in each group to the
    stations *below* 100%.

    Maximum likelihood of ``K ~ BetaBinomial(n, a, b)`` conditioned on ``K < n`` (Nelder–Mead
    on ``log a, log b`` from moment estimates), using only stations not at 100%: the fit is
    not moved by stations written at 100%, however many, and it predicts
    ``P(K = n)`` from the shape of the honest distribution just below it. Groups with fewer
    than 5 such stations get the pooled fit.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    below = (k < n) & (n > 0)
    pooled = _truncated_fit(k[below], n[below])
    a = np.full(n_groups, pooled[0])
    b = np.full(n_groups, pooled[1])
    # each group's stations below 100%, in their order (one stable sort, not a mask per group)
    rows = np.flatnonzero(below)
    rows = rows[np.argsort(codes[rows], kind="stable")]
    ends = np.cumsum(np.bincount(codes[rows], minlength=n_groups))
    for g, sel in enumerate(np.split(rows, ends[:-1])):
        if sel.size >= 5:
            a[g], b[g] = _truncated_fit(k[sel], n[sel], start=pooled)
    return a[codes], b[codes]


def value_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct non-negative integers of ``values`` and how often each occurs (by
    ``bincount`` when they are small, as station counts are; else by sorting)."""
    v = np.asarray(values, dtype=np.int64)
    if v.size and int(v.min()) >= 0 and int(v.max()) < max(1 << 16, 4 * v.size):
        counts = np.bincount(v)
        distinct = np.flatnonzero(counts)
        return distinct, counts[distinct]
    distinct, counts = np.unique(v, return_counts=True)
    return distinct, counts


def _truncated_fit(k: np.ndarray, n: np.ndarray, start: tuple[float, float] | None = None
                   ) -> tuple[float, float]:
    if k.size < 2:
        return (1.0, 1.0) if start is None else start
    if start is None:
        x = k / n
        m = float(np.clip(x.mean(), 1e-3, 1 - 1e-3))
        inv = float(np.mean(1.0 / n))
        rho = float(np.clip((x.var() / (m * (1 - m)) - inv) / max(1 - inv, 1e-9), 1e-4, 0.9))
        start = (m * (1 - rho) / rho, (1 - m) * (1 - rho) / rho)
    # The log-likelihood is a sum over stations of log-gamma terms in k + a, n - k + b and
    # n + a + b, and of a truncation term in n: summed over the distinct values of k, n - k
    # and n (a few thousand) weighted by their frequencies, not over every station.
    k_val, k_cnt = value_counts(k)
    m_val, m_cnt = value_counts(n - k)
    n_val, n_cnt = value_counts(n)
    k_val, m_val, n_val = (v.astype(float) for v in (k_val, m_val, n_val))
    stations = float(k.size)
    log_choose = float(n_cnt @ special.gammaln(n_val + 1) - k_cnt @ special.gammaln(k_val + 1)
                       - m_cnt @ special.gammaln(m_val + 1))

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(np.clip(theta, -10, 15))
        norm = special.betaln(a, b)
        log_pmf = (k_cnt @ special.gammaln(k_val + a) + m_cnt @ special.gammaln(m_val + b)
                   - n_cnt @ special.gammaln(n_val + a + b) - stations * norm)
        at_n = special.betaln(n_val + a, b) - norm
        truncation = n_cnt @ np.log1p(-np.minimum(np.exp(at_n), 1 - 1e-12))
        return -float(log_choose + log_pmf - truncation)

    res = optimize.minimize(nll, np.log(start), method="Nelder-Mead",
                            options={"xatol": 1e-3, "fatol": 1e-3, "maxiter": 200})
    a, b = np.exp(np.clip(res.x, -10, 15))
    return float(a), float(b)


def beta_binomial_pmf_at_n(n: np.ndarray, a: np.ndarray, b: np.ndarray,
                           groups: np.ndarray | None = None) -> np.ndarray:
    """P(K = n) for K ~ BetaBinomial(n, a, b) = B(n + a, b) / B(a, b).

    ``groups``: integer codes such that stations of one group share ``a`` and ``b`` (as
    :func:`truncated_beta_binomial` gives them); the probability is then computed once per
    distinct (n, group), the same values."""
    if groups is None or not np.size(n):
        return np.exp(special.betaln(n + a, b) - special.betaln(a, b))
    code, _ = pd.factorize(np.asarray(n, dtype=np.int64) * (int(groups.max()) + 1) + groups)
    one = np.zeros(int(code.max()) + 1, dtype=np.int64)
    one[code] = np.arange(code.size)  # a station of each (n, group): they all share n, a, b
    n_u, a_u, b_u = n[one], a[one], b[one]
    return np.exp(special.betaln(n_u + a_u, b_u) - special.betaln(a_u, b_u))[code]


def near_integer_percent(k: np.ndarray, n: np.ndarray, num: int, den: int) -> np.ndarray:
    """True where ``100 k / n`` lies within ``num/den`` percentage points of an integer.

    Exact integer arithmetic: the distance of ``100 k`` to the nearest multiple of ``n`` is
    ``d = min(r, n - r)`` with ``r = 100 k mod n``, and ``|100 k / n - m| <= num/den``
    exactly when ``d * den <= num * n``.
    """
    r = np.remainder(100 * k, n)
    d = np.minimum(r, n - r)
    return d * den <= num * n


def near_integer_probability(n: np.ndarray, p: np.ndarray, num: int, den: int, *,
                             width: float = 9.0, chunk: int = 50_000,
                             successes: np.ndarray | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Chance that ``100 K / n`` lies within ``num/den`` points of an integer, ``K ~ Bin(n, p)``.

    Exact: for every integer percent ``m`` within ``width`` standard deviations of ``100 p``
    (beyond, the binomial mass is below 10⁻¹⁸), the counts ``k`` with ``|100 k - m n| <= (num
    / den) n`` are enumerated in integer arithmetic and their binomial probabilities summed
    (``chunk`` stations at a time, which bounds memory). Returns the chance per station and a
    (2, 101) array: per integer percent, the expected number of stations there and the
    variance of that number (a Poisson-binomial count). ``successes``: the counts ``k``
    with ``p = k / n``, when ``p`` is such a rate (the stations are then grouped by the
    integers (n, k), the same groups as by (n, p), found faster).
    """
    chance, per_pct, _ = near_integer_by_group(n, p, num, den, width=width, chunk=chunk,
                                               successes=successes)
    return chance, per_pct


def near_integer_by_group(n: np.ndarray, p: np.ndarray, num: int, den: int, *,
                          width: float = 9.0, chunk: int = 50_000,
                          successes: np.ndarray | None = None,
                          groups: np.ndarray | None = None, n_groups: int = 0
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`near_integer_probability`, and with ``groups`` (a code ``0 .. n_groups - 1``
    per station) the same per-percent sums for every group's stations, ``(n_groups, 2,
    101)``: the probabilities are computed once per distinct station (n, p), whatever the
    groups it occurs in, and each group adds them as many times as it holds such stations
    (a sparse product; the sums of a group are those of its stations alone, up to the order
    of the additions)."""
    n = np.asarray(n, dtype=np.int64)
    p = np.asarray(p, dtype=float)
    # Stations sharing (n, p) share their chance: computed once per distinct pair.
    pair, first = _distinct_pairs(n, p if successes is None
                                  else np.asarray(successes, dtype=np.int64))
    n_u, p_u = n[first], p[first]
    weight = np.bincount(pair, minlength=first.size).astype(float)
    chance = np.empty(first.size)
    per_pct = np.zeros((2, 101))
    by_group = None if groups is None else _PairGroups(pair, groups, n_groups)
    per_group = None if by_group is None else np.zeros((n_groups, 2, 101))
    top = int(n.max(initial=0))
    # log k! for every count up to the largest station (the same values gammaln gives)
    log_factorial = special.gammaln(np.arange(top + 1) + 1.0) if top <= _TABLE_UP_TO else None
    for start in range(0, first.size, chunk):
        part = slice(start, start + chunk)
        chance[part], pct, windows = _near_integer_chunk(
            n_u[part], p_u[part], num, den, width, log_factorial, weight[part])
        per_pct += pct
        if by_group is not None and per_group is not None:
            per_group += by_group.per_percent(part, *windows)
        del windows  # not kept alive while the next chunk is computed
    return chance[pair], per_pct, per_group


class _PairGroups:
    """How many stations of each group share each distinct (n, p) pair: a sparse
    (groups x pairs) count matrix, sliced by pairs."""

    def __init__(self, pair: np.ndarray, groups: np.ndarray, n_groups: int) -> None:
        pairs = int(pair.max(initial=-1)) + 1
        cell, counts = np.unique(pair * n_groups + np.asarray(groups, dtype=np.int64),
                                 return_counts=True)
        self.n_groups = n_groups
        self.counts = sparse.csc_matrix(
            (counts.astype(float), (cell % n_groups, cell // n_groups)),
            shape=(n_groups, pairs))

    def per_percent(self, part: slice, owner: np.ndarray, m: np.ndarray,
                    mass: np.ndarray, block: int = 4_096) -> np.ndarray:
        """``(n_groups, 2, 101)`` sums over each group's stations of the pairs ``part``:
        the window masses ``mass`` at percent ``m`` of pair ``owner`` (within the part,
        in increasing order), and ``mass (1 - mass)``; ``block`` pairs at a time (a dense
        (pairs x percents) table of a few MB each)."""
        counts = self.counts[:, part]
        pairs = counts.shape[1]
        ends = np.searchsorted(owner, np.arange(0, pairs + block, block))
        out = np.zeros((self.n_groups, 2, 101))
        for i, start in enumerate(range(0, pairs, block)):
            size = min(block, pairs - start)
            rows = slice(int(ends[i]), int(ends[i + 1]))
            cell = (owner[rows] - start) * 101 + m[rows]  # one window per (pair, percent)
            table = np.stack([np.bincount(cell, weights=w, minlength=size * 101)
                              for w in (mass[rows], mass[rows] * (1 - mass[rows]))])
            present = counts[:, start:start + size]  # sparse: a pair is in few groups
            for j in range(2):
                out[:, j] += present @ table[j].reshape(size, 101)
        return out


def _distinct_pairs(n: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code per station, position of each code's first station) of the distinct (n, p),
    numbered in order of first appearance (``p`` float, or integer counts ``k <= n``)."""
    if not n.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if p.dtype.kind == "i" and int(n.min()) >= 0 and int(p.min(initial=0)) >= 0 \
            and int(n.max()) < (1 << 31) and int(p.max(initial=0)) < (1 << 31):
        code, _ = pd.factorize((n << 31) | p)  # one key per (n, k)
    else:
        n_code, _ = pd.factorize(n)
        p_code, _ = pd.factorize(p)
        code, _ = pd.factorize(n_code.astype(np.int64) * (int(p_code.max()) + 1) + p_code)
    # codes count up in order of first appearance: a station is its code's first exactly
    # when its code exceeds every code before it
    seen = np.maximum.accumulate(code)
    first = np.flatnonzero(np.concatenate(([True], code[1:] > seen[:-1])))
    return code.astype(np.int64), first


#: Largest station size for which log-factorials are tabulated rather than computed per term.
_TABLE_UP_TO = 10_000_000


def _near_integer_chunk(n: np.ndarray, p: np.ndarray, num: int, den: int, width: float,
                        log_factorial: np.ndarray | None, weight: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray,
                                   tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Chances of ``n.size`` distinct stations, the per-percent sums of the stations they
    stand for (each ``weight`` times), and the windows (station, percent, mass)."""
    sd = 100 * np.sqrt(p * (1 - p) / np.maximum(n, 1))
    lo = np.clip(np.floor(100 * p - width * sd) - 1, 0, 100).astype(np.int64)
    hi = np.clip(np.ceil(100 * p + width * sd) + 1, 0, 100).astype(np.int64)
    station, m = _expand(lo, hi - lo + 1)
    nm = n[station]
    k_lo = np.maximum(-((-(m * den - num) * nm) // (100 * den)), 0)
    k_hi = np.minimum(((m * den + num) * nm) // (100 * den), nm)
    window, k = _expand(k_lo, np.maximum(k_hi - k_lo + 1, 0))
    st = station[window]
    nf = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p, log_q = np.log(p), np.log1p(-p)
        if log_factorial is not None:
            n_st = n[st]
            log_choose = log_factorial[n_st] - log_factorial[k] - log_factorial[n_st - k]
        else:
            log_choose = (special.gammaln(nf + 1)[st] - special.gammaln(k + 1.0)
                          - special.gammaln(nf[st] - k + 1.0))
        terms = (log_choose + np.where(k > 0, k * log_p[st], 0.0)
                 + np.where(nf[st] - k > 0, (nf[st] - k) * log_q[st], 0.0))
    pmf = np.exp(terms)
    per_window = np.bincount(window, weights=pmf, minlength=m.size)
    chance = np.minimum(np.bincount(station, weights=per_window, minlength=n.size), 1.0)
    counted = weight[station]
    per_pct = np.stack([np.bincount(m, weights=per_window * counted, minlength=101)[:101],
                        np.bincount(m, weights=per_window * (1 - per_window) * counted,
                                    minlength=101)[:101]])
    return chance, per_pct, (station, m, per_window)


def _expand(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, value): ``start[i] + 0 .. count[i] - 1`` for every ``i``, flattened."""
    owner = np.repeat(np.arange(count.size), count)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    return owner, start[owner] + offset


def logit(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))``."""
    return np.log(p) - np.log1p(-p)


def modified_z(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Modified z-score ``0.6745 (x - median) / MAD`` within each group (0 where MAD is 0).

    Iglewicz & Hoaglin (1993) [iglewicz1993].
    """
    frame = pd.DataFrame({"g": groups, "x": values})
    med = frame.groupby("g")["x"].transform("median").to_numpy()
    dev = values - med
    mad = pd.Series(np.abs(dev)).groupby(groups).transform("median").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mad > 0, 0.6745 * dev / mad, 0.0)


def detrend(y: np.ndarray, x: np.ndarray, group: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``y`` minus a Huber regression on ``x`` (``y`` centred by group medians; ``x`` must be
    centred within groups already); NaN where not ``ok``.

    Huber's M-estimator (tuning 1.345, scale by the MAD of the residuals) by iteratively
    reweighted least squares: a minority of manipulated stations does not set the slope.
    """
    out = np.full(len(y), np.nan)
    if ok.sum() < 10:
        out[ok] = y[ok]
        return out
    yc = y[ok] - pd.Series(y[ok]).groupby(group[ok]).transform("median").to_numpy()
    xc = x[ok]
    reach = float(np.abs(xc).max())
    slope = 0.0
    centre = spread = math.nan  # the previous iteration's median and MAD
    step = math.inf  # how far the slope moved since
    for _ in range(20):
        r = yc - slope * xc
        # The residuals moved by at most |step| max|x| since the last iteration, and so did
        # their median; their MAD by at most twice that: both are looked for there first.
        move = abs(step) * reach
        centre = median_near(r, centre, move)
        deviation = np.abs(r - centre)
        spread = median_near(deviation, spread, 2 * move)
        scale = 1.4826 * spread or 1.0
        w = np.minimum(1.0, 1.345 * scale / np.maximum(np.abs(r), 1e-12))
        wx = w * xc  # (w x) x and (w x) y: the products as written w * x * x, w * x * y
        denom = float(np.sum(wx * xc))
        new = float(np.sum(wx * yc) / denom) if denom > 0 else 0.0
        if abs(new - slope) < 1e-8:
            break
        step, slope = new - slope, new
    out[ok] = y[ok] - slope * x[ok]
    return out


def median_near(values: np.ndarray, guess: float, radius: float) -> float:
    """``np.median(values)`` (finite values), found among the values within ``radius`` of
    ``guess`` when the median is known to lie there (else, or when it does not, by
    ``np.median``): the same number, from a partition of the few values near it.

    With ``b`` values below the window and ``w`` in it, the middle order statistics
    ``k = (n - 1) // 2`` and ``n // 2`` lie in the window exactly when ``b <= k`` and
    ``n // 2 < b + w``; they are then the ``k - b``-th and ``n // 2 - b``-th of the window's
    values, and their mean is computed as ``np.median`` computes it.
    """
    n = values.size
    if not (n and math.isfinite(guess) and math.isfinite(radius)):
        return float(np.median(values))
    margin = radius + 1e-9 * (1.0 + abs(guess))  # rounding of the residuals
    lo, hi = guess - margin, guess + margin
    below = int(np.count_nonzero(values < lo))
    window = values[(values >= lo) & (values <= hi)]
    k_lo, k_hi = (n - 1) // 2 - below, n // 2 - below
    if k_lo < 0 or k_hi >= window.size:
        return float(np.median(values))
    part = np.partition(window, [k_lo, k_hi] if k_hi != k_lo else k_lo)
    if n % 2:
        return float(part[k_lo])
    return float(np.mean(part[k_lo:k_hi + 1]))


def centred_log_size(size: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``log(size)`` minus its mean within the group (0 where size is not positive)."""
    log_size = np.log(np.where(size > 0, size, 1.0))
    return log_size - pd.Series(log_size).groupby(group).transform("mean").to_numpy()


def reflection_test(contributions: np.ndarray, clusters: np.ndarray, n_resamples: int,
                    rng: np.random.Generator) -> tuple[float, np.ndarray, float]:
    """Sign-flip test of ``T = sum_i c_i`` where reflecting a cluster negates its ``c_i``.

    ``c_i`` is an odd function of station ``i``'s residual about its centre (e.g. its excess
    beyond a threshold, signed), so that if the residuals are symmetric about the centre —
    with clusters (polling centres) reflected as a whole, which keeps their internal
    dependence — every ``T* = sum_c e_c d_c`` with independent random signs ``e_c`` and
    cluster totals ``d_c`` is as likely as the observed ``T``: a randomisation test that
    needs no model of the residuals' shape or tails (Fisher 1935; for clustered sign flips
    see Canay, Romano & Shaikh 2017 [canay2017]).
    Returns ``(T, null, p)``: ``n_resamples`` random reflections and the one-sided p-value
    ``P(T* >= T)`` of the exact reflection null by the saddlepoint
    (:func:`audit.checks.pvalues.sign_flip_test`, which also gives ``z`` and the method).
    """
    flip = sign_flip_test(contributions, clusters, n_resamples, rng)
    return flip.statistic, flip.null, flip.pvalue.value
