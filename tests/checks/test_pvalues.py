"""P-value machinery (audit.checks.pvalues): exact and saddlepoint tails, sequential Monte
Carlo and fitted tails, each against an exact reference."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from audit.checks import pvalues as P


@pytest.mark.parametrize(("n", "p", "k"), [(100, 0.3, 30), (100, 0.3, 45), (100, 0.3, 60),
                                           (1_000, 0.01, 30), (50, 0.5, 1), (20, 0.5, 15),
                                           (5_000, 0.2, 1_200)])
def test_binomial_tail(n: int, p: float, k: int) -> None:
    # a sum of identical Bernoullis is binomial: the saddlepoint against scipy's exact tail
    got = P.bernoulli_sum_sf(k, np.ones(n), np.full(n, p))
    assert got == pytest.approx(stats.binom.sf(k - 1, n, p), rel=5e-3)


def test_poisson_binomial_tail_against_convolution() -> None:
    q = np.random.default_rng(1).uniform(0, 0.3, 300)
    pmf = np.array([1.0])
    for qi in q:
        pmf = np.convolve(pmf, [1 - qi, qi])
    for k in (40, 50, 60, 80, 100, 120):  # from the centre to p ~ 1e-28
        result = P.poisson_binomial_pvalue(k, q)
        assert result.value == pytest.approx(pmf[k:].sum(), rel=1e-3)
        assert result.method == "saddlepoint"
        assert result.z == pytest.approx((k - q.sum()) / math.sqrt((q * (1 - q)).sum()))
    assert P.poisson_binomial_pvalue(301, q).value == 0.0  # beyond the support
    assert P.poisson_binomial_pvalue(300, q).value == pytest.approx(np.prod(q), rel=1e-9)
    assert P.poisson_binomial_pvalue(0, q).value == 1.0


def _enumerate(d: np.ndarray) -> np.ndarray:
    return np.array([np.dot(s, d) for s in itertools.product((-1, 1), repeat=d.size)])


@pytest.mark.parametrize("size", [12, 15])
def test_sign_flip_small_is_enumerated(size: int) -> None:
    rng = np.random.default_rng(size)
    d = rng.normal(0, 2, size)  # real-valued cluster totals
    totals = _enumerate(d)
    for shift in (0.0, 2.0, 5.0):
        contributions = d + shift / size
        flip = P.sign_flip_test(contributions, np.arange(size), 99, rng)
        assert flip.pvalue.method == "exact"
        exact = np.mean(_enumerate(contributions) >= contributions.sum() - 1e-9)
        assert flip.pvalue.value == pytest.approx(exact)
    assert totals.size == 2**size


def test_sign_flip_integer_totals_exact_and_saddlepoint() -> None:
    rng = np.random.default_rng(5)
    for clusters in (40, 300, 3_000):
        d = rng.integers(-6, 7, clusters).astype(float)
        d = d[d != 0]
        a = np.abs(d).astype(np.int64)
        for zt in (0.5, 2.0, 4.0, 6.0):
            t = float(np.round(zt * math.sqrt((a * a).sum())))
            y = math.ceil((t + a.sum()) / 2 - 1e-9)
            exact = P._half_sum_sf(y, a)
            # the lattice saddlepoint (used beyond EXACT_SUPPORT) against the exact convolution
            saddle = P.bernoulli_sum_sf(y, a, np.full(a.size, 0.5))
            assert saddle == pytest.approx(exact, rel=2e-2, abs=1e-300)
    # through the public function: T = sum d, reflections flip whole clusters
    d = rng.integers(-3, 6, 500).astype(float)
    flip = P.sign_flip_test(d, np.arange(d.size), 2_000, rng)
    assert flip.pvalue.method == "exact"
    assert flip.statistic == d.sum()
    assert flip.pvalue.z == pytest.approx(d.sum() / math.sqrt((d * d).sum()))
    mc = P.monte_carlo_pvalue(flip.null, flip.statistic)
    assert flip.pvalue.value <= max(mc, 1e-3)


def test_sign_flip_pvalue_agrees_with_its_reflections() -> None:
    rng = np.random.default_rng(7)
    d = rng.integers(-2, 3, 400).astype(float) + (rng.random(400) < 0.1)  # a slight excess
    flip = P.sign_flip_test(d, np.arange(d.size), 20_000, rng)
    assert flip.pvalue.value == pytest.approx(P.monte_carlo_pvalue(flip.null, flip.statistic),
                                              abs=0.01)


def test_quadratic_form_tail() -> None:
    for x in (5, 10, 20, 40, 80):  # equal weights: chi-square
        assert P.quadratic_form_sf(x, np.ones(9)) == pytest.approx(stats.chi2.sf(x, 9),
                                                                   rel=0.02)
    lam = np.array([3.0, 1.0, 0.5, 0.2])
    draws = (np.random.default_rng(2).standard_normal((400_000, 4)) ** 2) @ lam
    for x in (5.0, 12.0, 20.0):
        assert P.quadratic_form_sf(x, lam) == pytest.approx(np.mean(draws >= x), rel=0.05)


def test_sequential_pvalue_besag_clifford() -> None:
    null = np.arange(100, dtype=float)  # the 10th value >= 90 is the 100th draw
    assert P.sequential_pvalue(null[:50], 90.0, 100) is None  # undecided: draw more
    found = P.sequential_pvalue(null, 90.0, 100)
    assert found is not None
    assert (found.value, found.resamples, found.method) == (0.1, 100, "sequential-monte-carlo")
    early = P.sequential_pvalue(null[::-1], 50.0, 100)  # 10 exceedances in the first 10
    assert early is not None
    assert (early.value, early.resamples) == (1.0, 10)
    beyond = P.sequential_pvalue(null, 95.0, 100, tail=lambda: (1e-7, "a stated tail"))
    assert beyond is not None
    assert (beyond.value, beyond.method, beyond.tail) == (1e-7, "monte-carlo+fitted-tail",
                                                          "a stated tail")
    floor = P.sequential_pvalue(null, 500.0, 100)
    assert floor is not None
    assert floor.method == "monte-carlo"  # without a tail: the plain estimate, said so


def test_sequential_pvalue_is_valid() -> None:
    # Under the null (statistic exchangeable with its redraws) P(p <= a) <= a at every a,
    # for the Besag-Clifford p-value and for the fitted tail beyond the redraws.
    rng = np.random.default_rng(11)
    plain, fitted = [], []
    for _ in range(2_000):
        draws = rng.standard_normal(200)
        null, x = draws[1:], draws[0]
        a = P.sequential_pvalue(null, x, 199)
        b = P.sequential_pvalue(null, x, 199, tail=lambda null=null, x=x: P.fitted_tail(
            null, x, lambda v, null=null: P.normal_tail(null, v)))
        assert a is not None
        assert b is not None
        plain.append(a.value)
        fitted.append(b.value)
    for p in (np.array(plain), np.array(fitted)):
        for level in (0.005, 0.01, 0.05, 0.1, 0.5):
            assert (p <= level).mean() <= level + 3 * math.sqrt(level * (1 - level) / p.size)
    # the fitted tail resolves what the floor cannot: below 1/200, about as often as it should
    assert 0.001 < (np.array(fitted) <= 0.005).mean() <= 0.01


def test_fitted_tail_follows_a_heavy_null_and_reaches_beyond_a_light_one() -> None:
    rng = np.random.default_rng(3)
    heavy = stats.lomax.rvs(3.0, size=999, random_state=rng)  # P(X > x) = (1 + x)^-3
    x = float(heavy.max() * 1.5)
    assert P.pareto_tail(heavy, x) == pytest.approx((1 + x) ** -3.0, rel=1.0)
    # a normal fitted to these redraws is far too light at their 10th largest: replaced
    p, description = P.fitted_tail(heavy, x, lambda v: P.normal_tail(heavy, v))
    assert p == pytest.approx((1 + x) ** -3.0, rel=1.0)
    assert "Pareto" in description
    light = rng.standard_normal(999)
    p, description = P.fitted_tail(light, 8.0, lambda v: P.normal_tail(light, v))
    assert p == pytest.approx(stats.norm.sf(8.0), rel=0.5)
    assert description == "normal fitted to the redraws"
    # two-sided: distances from the centre
    p, _ = P.fitted_tail(light, -5.0, lambda v: P.normal_tail(light, v, "two-sided"),
                         alternative="two-sided")
    assert p == pytest.approx(2 * stats.norm.sf(5.0), rel=0.5)
    assert 0 <= P.pareto_tail(light, -4.0, "two-sided", 0.0) < 0.01


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown p-value method"):
        P.PValue(0.5, "magic")
    assert P.schedule(999) == [99, 249, 499, 999]
    assert P.schedule(50) == [50]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 8), min_size=100, max_size=300), st.floats(0.0, 4.0))
def test_sign_flip_tail_is_a_probability_and_monotone(weights: list[int], z: float) -> None:
    a = np.array(weights, dtype=np.int64)
    y = math.ceil((z * math.sqrt((a * a).sum()) + a.sum()) / 2)
    p1 = P.bernoulli_sum_sf(y, a, np.full(a.size, 0.5))
    p2 = P.bernoulli_sum_sf(y + 1, a, np.full(a.size, 0.5))
    assert 0.0 <= p2 <= p1 <= 1.0
    assert p1 == pytest.approx(P._half_sum_sf(y, a), rel=0.05, abs=1e-12)


def test_count_pvalue_counts_the_data_as_one_redraw() -> None:
    """(k + 1) / (R + 1): 0 of 999 -> 1/1000; all 999 -> 1; and the plain Monte Carlo p-value
    of a null is this count of its exceedances."""
    assert P.count_pvalue(0, 999) == 0.001
    assert P.count_pvalue(999, 999) == 1.0
    assert P.count_pvalue(49, 999) == 0.05
    null = np.arange(10.0)
    assert P.monte_carlo_pvalue(null, 6.5) == P.count_pvalue(3, 10) == 4 / 11


def test_random_reflections_flip_every_cluster_with_a_fair_independent_sign() -> None:
    """Clusters of totals 1, 2, 4, ... 2^19: each reflection sum decodes to the signs drawn;
    every sign is + with probability 1/2 (4 SE), neighbouring signs are independent, and the
    rows (drawn in several chunks) are reflections of the same totals."""
    d = 2.0 ** np.arange(20)
    n = 4_000
    null = P._random_reflections(d, n, np.random.default_rng(8))
    code = (null + d.sum()) / 2  # sum of the totals flipped to +
    assert np.array_equal(code, np.rint(code))
    assert code.min() >= 0
    assert code.max() < 2**20
    bits = (code.astype(np.int64)[:, None] >> np.arange(20)) & 1
    se = math.sqrt(0.25 / n)
    assert np.all(np.abs(bits.mean(axis=0) - 0.5) < 4 * se)
    both = (bits[:, :-1] & bits[:, 1:]).mean(axis=0)
    assert np.all(np.abs(both - 0.25) < 4 * math.sqrt(0.25 * 0.75 / n))
    # many clusters: several chunks of rows, the null's SD is sqrt(sum d^2) (4 SE)
    wide = np.random.default_rng(1).standard_normal(50_000)
    null = P._random_reflections(wide, 400, np.random.default_rng(2))
    sd = math.sqrt(float((wide**2).sum()))
    assert abs(null.mean()) < 4 * sd / math.sqrt(400)
    assert abs(null.std() / sd - 1) < 4 / math.sqrt(2 * 400)
