"""What the battery computes once and shares (issue 14): the shared results are the numbers a
fresh computation gives, whichever candidate comes first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.checks.fingerprints import (
    Nuisance,
    _area_ranks,
    _draws,
    _simulate,
    corner_asymmetry,
)
from audit.checks.stations import (
    _distinct_pairs,
    _truncated_fit,
    beta_binomial_pmf_at_n,
    detrend,
    median_near,
    near_integer_probability,
    truncated_beta_binomial,
)
from audit.checks.turnout import integer_percentages
from audit.model import SheetTable
from audit.simulate import simulate_clean


def _fresh(sheets: SheetTable) -> SheetTable:
    """The same sheets as a new table (nothing remembered)."""
    return sheets.subset(np.ones(len(sheets), dtype=bool))


@pytest.fixture(scope="module")
def sheets() -> SheetTable:
    return simulate_clean(n_tables=3_000, rng=5)


def test_distinct_pairs_by_counts_are_the_pairs_by_rates() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(1, 60, 5_000)
    k = rng.integers(0, 61, 5_000) % (n + 1)
    by_rate = _distinct_pairs(n, k / n)
    by_count = _distinct_pairs(n, k)
    np.testing.assert_array_equal(by_rate[0], by_count[0])
    np.testing.assert_array_equal(by_rate[1], by_count[1])
    # first positions: each code's first station, in order of appearance
    expected = pd.Series(np.arange(n.size)).groupby(by_rate[0]).min().to_numpy()
    np.testing.assert_array_equal(by_count[1], expected)
    chance, per_pct = near_integer_probability(n, k / n, 1, 20)
    chance_k, per_pct_k = near_integer_probability(n, k / n, 1, 20, successes=k)
    np.testing.assert_array_equal(chance, chance_k)
    np.testing.assert_array_equal(per_pct, per_pct_k)


@pytest.mark.parametrize("order", [("C1", "C2"), ("C2", "C1")])
def test_corner_shared_turnout_side_gives_fresh_results(sheets: SheetTable,
                                                        order: tuple[str, str]) -> None:
    table = _fresh(sheets)
    shared = [corner_asymmetry(table, candidate=c, rng=7, n_resamples=99) for c in order]
    for cand, result in zip(order, shared, strict=True):
        alone = corner_asymmetry(_fresh(sheets), candidate=cand, rng=7, n_resamples=99)
        assert (result.upper, result.lower, result.statistic, result.pvalue) == \
            (alone.upper, alone.lower, alone.statistic, alone.pvalue)
        pd.testing.assert_frame_equal(result.table, alone.table)
        assert result.excluded == alone.excluded
    assert shared[0].upper != shared[1].upper or shared[0].lower != shared[1].lower


@pytest.mark.parametrize("order", [("C1", "C2"), ("C2", "C1")])
def test_integer_percentages_shared_turnout_half_gives_fresh_results(
        sheets: SheetTable, order: tuple[str, str]) -> None:
    table = _fresh(sheets)
    shared = [integer_percentages(table, candidate=c) for c in order]
    for cand, result in zip(order, shared, strict=True):
        alone = integer_percentages(_fresh(sheets), candidate=cand)
        pd.testing.assert_frame_equal(result.table, alone.table, check_exact=True)
        pd.testing.assert_frame_equal(result.by_percent, alone.by_percent, check_exact=True)
        np.testing.assert_array_equal(result.probabilities, alone.probabilities)
    # the turnout row is the same for both candidates, the result rows are not
    assert shared[0].table.iloc[2].equals(shared[1].table.iloc[2])
    assert shared[0].table.iloc[1]["observed"] != shared[1].table.iloc[1]["observed"]


def test_spike_probabilities_once_per_size_and_region_are_the_per_station_ones() -> None:
    rng = np.random.default_rng(4)
    n = rng.integers(5, 60, 4_000).astype(float)
    k = rng.binomial(n.astype(int), 0.7).astype(float)
    codes = rng.integers(0, 3, n.size)
    a, b = truncated_beta_binomial(k, n, codes, 3)
    assert np.unique(a).size == 3  # three regions, three fits
    np.testing.assert_array_equal(beta_binomial_pmf_at_n(n, a, b, codes),
                                  beta_binomial_pmf_at_n(n, a, b))
    # and each region's fit is the fit to its own stations below 100%, started from the
    # pooled fit (a mask per region, as before the stations were sorted by region)
    below = k < n
    pooled = _truncated_fit(k[below], n[below])
    for g in range(3):
        sel = below & (codes == g)
        assert (a[codes == g][0], b[codes == g][0]) == \
            _truncated_fit(k[sel], n[sel], start=pooled)


def test_area_ranks_are_pandas_grouped_mean_ranks() -> None:
    rng = np.random.default_rng(9)
    group = rng.integers(0, 40, 20_000)
    values = np.round(rng.standard_normal(20_000), 2)  # many ties
    values[:5] = [0.0, -0.0, 0.0, 1.5, 1.5]
    m = np.bincount(group)[group]
    expected = (pd.Series(values).groupby(group).rank().to_numpy() - 0.5) / m
    np.testing.assert_array_equal(_area_ranks(values, group), expected)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(-20, 20), min_size=1, max_size=60),
       guess=st.floats(-25, 25), radius=st.floats(0, 30), scale=st.sampled_from([1.0, 0.1]))
def test_median_near_is_numpys_median_wherever_it_looks(values: list[int], guess: float,
                                                         radius: float, scale: float) -> None:
    v = np.array(values, dtype=float) * scale  # ties, even and odd sizes
    assert median_near(v, guess, radius) == float(np.median(v))


def test_huber_detrending_with_its_medians_looked_for_nearby_is_the_plain_one() -> None:
    """The IRLS of :func:`detrend` written with ``np.median`` at every step gives the same
    residuals, bit for bit."""
    rng = np.random.default_rng(12)
    n = 20_001
    x = rng.standard_normal(n)
    group = rng.integers(0, 7, n)
    y = 0.4 * x + rng.standard_t(3, n) + np.round(rng.random(n), 1)
    ok = rng.random(n) < 0.95
    yc = y[ok] - pd.Series(y[ok]).groupby(group[ok]).transform("median").to_numpy()
    xc, slope = x[ok], 0.0
    for _ in range(20):
        r = yc - slope * xc
        scale = 1.4826 * float(np.median(np.abs(r - np.median(r)))) or 1.0
        w = np.minimum(1.0, 1.345 * scale / np.maximum(np.abs(r), 1e-12))
        new = float(np.sum(w * xc * yc) / np.sum(w * xc * xc))
        if abs(new - slope) < 1e-8:
            break
        slope = new
    expected = np.full(n, np.nan)
    expected[ok] = y[ok] - slope * x[ok]
    np.testing.assert_array_equal(detrend(y, x, group, ok), expected)
    assert 0.3 < slope < 0.5


@pytest.mark.parametrize(("f_i", "f_e"), [(0.0, 0.0), (0.3, 0.03), (0.0, 0.1), (1.0, 0.0)])
def test_klimek_simulation_with_only_the_fraudulent_units_magnitudes(f_i: float,
                                                                    f_e: float) -> None:
    registered = np.random.default_rng(1).integers(100, 2_000, 5_000).astype(float)
    nuis = Nuisance(tau=0.6, sigma_tau=0.08, nu=0.5, sigma_nu=0.07, theta=0.3)
    every = _simulate(_draws(registered.size, nuis, np.random.default_rng(2)), registered,
                      f_i, f_e, 2.0)
    needed = _simulate(_draws(registered.size, nuis, np.random.default_rng(2), (f_i, f_e)),
                       registered, f_i, f_e, 2.0)
    for full, lean in zip(every, needed, strict=True):
        np.testing.assert_array_equal(full, lean)


def test_regions_integer_percentages_from_the_national_chances(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In the battery every region's integer-percentage test takes its stations' chances from
    the whole table's: its counts, chances, table and p-values are those of the test run on
    the region alone, its per-percent null band equal up to the order of the additions."""
    from audit.checks import turnout
    from audit.checks.forensics import NATIONAL, _regions, run_forensics

    election = simulate_clean(n_tables=4_000, n_regions=4, rng=21)
    with monkeypatch.context() as patch:  # the battery computes no scope on its own
        patch.setattr(turnout, "near_integer_probability", None)
        battery = run_forensics(election, by="region", seed=1, progress=False,
                                checks=["turnout.integer_percentages"])
    assert len(battery.entries) == 2 * 5  # two candidates, national and four regions
    tables = {scope.key: election.subset(mask) for scope, mask in _regions(election, "region")}
    tables[NATIONAL] = election
    for entry in battery.entries:
        result = entry.result
        alone = integer_percentages(tables[entry.scope], candidate=result.candidate)
        pd.testing.assert_frame_equal(result.table, alone.table, check_exact=True)
        np.testing.assert_array_equal(result.probabilities, alone.probabilities)
        assert result.excluded == alone.excluded
        band = ["null_mean", "null_lo", "null_hi"]
        pd.testing.assert_frame_equal(result.by_percent.drop(columns=band),
                                      alone.by_percent.drop(columns=band), check_exact=True)
        scale = float(alone.by_percent["null_hi"].max())
        np.testing.assert_allclose(result.by_percent[band], alone.by_percent[band], rtol=0,
                                   atol=1e-12 * scale)
        if entry.scope == NATIONAL:  # the whole table's own sums, added as before
            pd.testing.assert_frame_equal(result.by_percent, alone.by_percent,
                                          check_exact=True)


def test_sobyanin_slopes_once_per_table_give_fresh_results(sheets: SheetTable) -> None:
    from audit.checks.turnout import sobyanin_sukhovolsky

    table = _fresh(sheets)
    first, second = (sobyanin_sukhovolsky(table, candidate=c) for c in ("C1", "C2"))
    alone = sobyanin_sukhovolsky(_fresh(sheets), candidate="C2")
    assert (second.statistic, second.pvalue, second.slope) == \
        (alone.statistic, alone.pvalue, alone.slope)
    pd.testing.assert_frame_equal(second.table, alone.table, check_exact=True)
    assert first.statistic != second.statistic
    assert first.table is not second.table  # each result has its own copy
