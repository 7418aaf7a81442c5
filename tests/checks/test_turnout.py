"""Turnout and share checks: hand-computed cases, properties, simulations, real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit._json import dumps
from audit.checks import registry
from audit.checks import turnout as T
from audit.checks.stations import (
    TurnoutUnavailableError,
    beta_binomial_pmf_at_n,
    near_integer_percent,
)
from audit.model import SheetTable, region_code_column, vote_column
from audit.simulate import simulate_clean, stuff_ballots


def tiny_table(registered: list[int], voters: list[int], a: list[int], b: list[int],
               regions: list[str] | None = None) -> SheetTable:
    n = len(registered)
    frame = pd.DataFrame({
        region_code_column("region"): pd.array(regions or ["R1"] * n, dtype="string"),
        "center_id": pd.array(["c"] * n, dtype="string"),
        "table_id": pd.array([str(i) for i in range(n)], dtype="string"),
        "registered": pd.array(registered, dtype="Int64"),
        "voters": pd.array(voters, dtype="Int64"),
        "valid": np.array(a, dtype=np.int64) + np.array(b, dtype=np.int64),
        vote_column("A"): np.array(a, dtype=np.int64),
        vote_column("B"): np.array(b, dtype=np.int64),
        "source": pd.array(["t"] * n, dtype="string"),
        "line": np.arange(2, n + 2, dtype=np.int64)})
    return SheetTable(frame, candidates=("A", "B"), levels=("region",))


# -- exact arithmetic -------------------------------------------------------------------------

def test_near_integer_percent_by_hand() -> None:
    # 1/3 = 33.33% is 0.33 points from 33: not integer; 1/2 = 50%; 21/40 = 52.5%: no;
    # 1999/4000 = 49.975%: 0.025 points from 50 -> integer; 1997/4000 = 49.925%: not.
    k = np.array([1, 1, 21, 1999, 1997])
    n = np.array([3, 2, 40, 4000, 4000])
    assert near_integer_percent(k, n, 1, 20).tolist() == [False, True, False, True, False]
    # the boundary is inclusive: 1998/4000 = 49.95% is exactly 0.05 from 50
    assert near_integer_percent(np.array([1998]), np.array([4000]), 1, 20).tolist() == [True]


@given(st.integers(1, 5000), st.data())
def test_near_integer_matches_float_definition(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    x = 100 * k / n
    exact = bool(near_integer_percent(np.array([k]), np.array([n]), 1, 20)[0])
    dist = abs(x - round(x))
    if abs(dist - 0.05) > 1e-9:  # away from the boundary float rounding cannot matter
        assert exact == (dist <= 0.05)


def test_beta_binomial_point_mass_matches_scipy() -> None:
    from scipy import stats
    n, a, b = np.array([5, 50, 300]), np.array([2.0, 30.0, 150.0]), np.array([1.0, 10.0, 90.0])
    expected = [stats.betabinom.pmf(nn, nn, aa, bb) for nn, aa, bb in zip(n, a, b, strict=True)]
    assert np.allclose(beta_binomial_pmf_at_n(n, a, b), expected, rtol=1e-10)


@pytest.mark.parametrize("stuffed", [0.0, 0.05])
def test_bootstrap_normal_limit_agrees_with_resampling(stuffed: float) -> None:
    """Issue 14: from BOOTSTRAP_NORMAL_FROM stations on, the resampled mean powers are drawn
    from their normal limit; at that size its skewness and kurtosis draws have the centre
    and spread of true resampling (bounds: 4 Monte Carlo standard errors of a median of
    2,000 draws; the spread within 15%, about 5 standard errors of an SD ratio)."""
    rng = np.random.default_rng(7)
    n = T.BOOTSTRAP_NORMAL_FROM
    k = int(stuffed * n)
    x = np.concatenate([rng.beta(60, 40, n - k), rng.beta(95, 5, k)])
    draws = 2000
    normal = T._normal_limit_moments(x, draws, np.random.default_rng(1))
    centred = (x - x.mean())[rng.integers(0, n, size=(draws, n))]
    resampled = T._moments(centred)
    for a, b in zip(normal, resampled, strict=True):
        sd = b.std()
        assert abs(np.median(a) - np.median(b)) < 4 * 1.2533 * sd * np.sqrt(2 / draws)
        assert 0.85 < a.std() / sd < 1.15


def test_distribution_by_hand() -> None:
    sheets = tiny_table([100, 200, 100, 50], [50, 100, 100, 10], [25, 60, 100, 5],
                        [25, 40, 0, 5])
    r = T.distribution(sheets)
    turnout = r.table.set_index("quantity").loc["turnout"]
    assert turnout["stations"] == 4
    assert turnout["weighted_mean"] == pytest.approx(260 / 450)
    assert turnout["median"] == pytest.approx(0.5)
    assert turnout["at_100"] == 1
    share = r.table.set_index("quantity").loc["share"]
    assert share["weighted_mean"] == pytest.approx(190 / 260)
    assert r.pvalue is None
    assert r.test == "turnout.distribution"


def test_correlation_by_hand() -> None:
    # turnout 0.5, 0.6, 0.7, 0.8 and share 0.5, 0.6, 0.7, 0.8: r = 1; weights do not matter.
    sheets = tiny_table([100, 100, 100, 100], [50, 60, 70, 80], [25, 36, 49, 64],
                        [25, 24, 21, 16])
    r = T.turnout_share_correlation(sheets)
    assert r.statistic == pytest.approx(1.0)
    assert r.table.loc[0, "region"] == "national"


def test_shpilkin_is_zero_when_share_does_not_depend_on_turnout() -> None:
    # Same 40% share in every turnout bin: nothing above the peak is anomalous.
    reg = [1000] * 9
    voters = [400, 500, 500, 500, 600, 700, 800, 900, 950]
    a = [int(0.4 * v) for v in voters]
    b = [v - x for v, x in zip(voters, a, strict=True)]
    r = T.shpilkin_excess(tiny_table(reg, voters, a, b), candidate="A")
    assert r.effect == pytest.approx(0.0, abs=1e-6)
    assert abs(r.peak_turnout - 0.5) <= 0.01  # three stations at 50%: the smoothed mode
    assert (r.sensitivity["anomaly"].abs() < 1e-6).all()


def test_sobyanin_slopes_sum_to_one_without_null_votes() -> None:
    rng = np.random.default_rng(3)
    reg = rng.integers(300, 900, 400)
    voters = rng.binomial(reg, rng.uniform(0.4, 0.9, 400))
    a = rng.binomial(voters, 0.55)
    r = T.sobyanin_sukhovolsky(tiny_table(reg.tolist(), voters.tolist(), a.tolist(),
                                          (voters - a).tolist()))
    assert r.table["slope"].sum() == pytest.approx(1.0, abs=1e-9)
    assert abs(r.slope - 0.55) < 0.05  # neutral turnout: slope ≈ share


def test_turnout_checks_need_registered_voters() -> None:
    sheets = tiny_table([100] * 3, [50] * 3, [20] * 3, [30] * 3)
    no_reg = SheetTable(sheets.data.drop(columns=["registered"]), candidates=("A", "B"),
                        levels=("region",))
    with pytest.raises(TurnoutUnavailableError, match="registered voters"):
        T.integer_percentages(no_reg)
    assert T.spike_at_100(no_reg, quantity="share").n == 3
    with pytest.raises(ValueError, match="quantity"):
        T.spike_at_100(sheets, quantity="votes")


# -- simulations --------------------------------------------------------------------------------

def test_same_seed_same_json() -> None:
    sim = simulate_clean(n_tables=2_000, rng=5)
    # the integer-percentage null is computed exactly: no seed, the same JSON every time
    a = T.integer_percentages(sim)
    assert dumps(a.to_dict()) == dumps(T.integer_percentages(sim).to_dict())
    c = T.regional_outliers(sim, n_resamples=20, rng=9)
    d = T.regional_outliers(sim, n_resamples=20, rng=9)
    assert dumps(c.to_dict()) == dumps(d.to_dict())
    e = T.regional_outliers(sim, n_resamples=20, rng=10)
    assert not np.array_equal(c.null_distribution, e.null_distribution)
    assert c.pvalue == e.pvalue  # the p-value is the exact reflection null's, not the draws'


def test_integer_probabilities_are_exact() -> None:
    # Against brute force: every count k of Bin(n, p), whether 100 k / n is within 0.05
    # points of an integer, weighted by its binomial probability.
    from scipy import stats

    from audit.checks.stations import near_integer_percent, near_integer_probability
    n = np.array([100, 137, 512, 1_003, 2_480, 7])
    p = np.array([0.5, 0.31, 0.77, 0.05, 0.6, 0.0])
    chance, per_pct = near_integer_probability(n, p, 1, 20)
    for i in range(n.size):
        k = np.arange(n[i] + 1)
        hit = near_integer_percent(k, np.full(k.size, n[i]), 1, 20)
        assert chance[i] == pytest.approx(stats.binom.pmf(k, n[i], p[i])[hit].sum(), rel=1e-9)
    assert chance[-1] == 1.0  # 0 of 7 votes is 0%, an integer
    assert per_pct[0].sum() == pytest.approx(chance.sum())


def test_integer_percentages_pvalue_matches_the_simulated_null() -> None:
    # The exact Poisson-binomial null against the paper's Monte Carlo: draw each station's
    # counts from its binomial and count the integer stations, 2,000 times.
    sim = simulate_clean(n_tables=400, rng=8)
    r = T.integer_percentages(sim)
    st = r.probabilities[:, 0]
    rng = np.random.default_rng(1)
    draws = (rng.random((2_000, st.size)) < st).sum(axis=1)
    assert draws.mean() == pytest.approx(r.table.loc[0, "null_mean"], abs=0.5)
    assert draws.std() == pytest.approx(r.table.loc[0, "null_sd"], rel=0.05)
    mc = (np.sum(draws >= r.statistic) + 1) / 2_001
    assert r.pvalue == pytest.approx(mc, abs=0.03)
    assert r.pvalue_method == "saddlepoint"


def test_integer_percentages_calibrated_on_clean_simulations() -> None:
    # Small in-suite version of the calibration (the full one: docs/calibration.md, 400
    # varied elections). 60 elections: a calibrated 5% test rejects at most 8 with
    # probability 0.99 (Binomial(60, 0.05)); p-values must look uniform (mean 0.5 ± 0.1).
    pvalues = []
    for seed in range(60):
        sim = simulate_clean(n_tables=1_000, n_regions=5, rng=1000 + seed)
        pvalues.append(T.integer_percentages(sim).pvalue)
    p = np.array(pvalues)
    assert (p < 0.05).sum() <= 8
    assert 0.4 < p.mean() < 0.6


def test_integer_percentages_detect_round_protocols() -> None:
    # A forger writes, at 8% of stations, a leader count whose percentage of the valid votes
    # is a whole number (within 0.05 points): the integer m nearest the true share for which
    # 100 k / valid can hit m, k = round(m * valid / 100).
    sim = simulate_clean(n_tables=5_000, rng=11)
    data = sim.data.copy()
    valid = data["valid"].to_numpy()
    c1 = data[vote_column("C1")].to_numpy()
    pick = np.random.default_rng(0).random(len(data)) < 0.08
    share = np.rint(100 * c1 / valid).astype(np.int64)
    m = share.copy()
    found = np.zeros(len(data), dtype=bool)
    for offset in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5):
        cand = share + offset
        rem = (cand * valid) % 100
        fits = ~found & ((np.minimum(rem, 100 - rem)) * 20 <= valid)
        m = np.where(fits, cand, m)
        found |= fits
    pick &= found
    k = np.where(pick, np.rint(m * valid / 100).astype(np.int64), c1)
    data[vote_column("C1")] = k
    data[vote_column("C2")] = data[vote_column("C2")] - (k - c1)
    ok = (data[vote_column("C2")] >= 0).to_numpy()
    forged = SheetTable(data[ok].reset_index(drop=True), candidates=sim.candidates,
                        levels=sim.levels)
    r = T.integer_percentages(forged, share_of="valid")
    assert r.pvalue is not None
    assert r.pvalue <= 0.01
    # The plug-in null absorbs part of the heaping (a binomial around an integer rate lands
    # on it more often), so the excess is well below the ~400 forged stations.
    assert r.table.set_index("variant").loc["result", "excess"] > 100


def test_outliers_list_stuffed_stations() -> None:
    sim = simulate_clean(n_tables=5_000, rng=21)
    stuffed, truth = stuff_ballots(sim, fraction=0.05, rng=22)
    clean = T.regional_outliers(sim, n_resamples=99, rng=1)
    dirty = T.regional_outliers(stuffed, n_resamples=99, rng=1)
    # honest: a handful of outliers on both sides (measured 3 above, 2 below)
    assert clean.above + clean.below < 15
    assert dirty.pvalue is not None
    assert dirty.pvalue < 0.002
    assert dirty.above > 10 * max(dirty.below, 1)
    assert dirty.expected == (dirty.above + dirty.below) / 2
    # most flagged stations are truly stuffed
    flagged = set(dirty.flagged["table_id"])
    stuffed_ids = set(truth.loc[truth["manipulated"], "table_id"])
    assert len(flagged & stuffed_ids) / len(flagged) > 0.8
    assert T.turnout_share_correlation(stuffed).statistic > \
        T.turnout_share_correlation(sim).statistic + 0.1
    assert not registry.get("turnout.outliers_turnout").calibrated
    assert "not calibrated" in dirty.sentence


def test_spike_null_is_fitted_below_100_percent() -> None:
    # stations of 20-40 voters with turnout ~ Beta(30, 2): honest counting puts hundreds of
    # them at 100%; the beta-binomial fitted to the stations below 100% predicts them
    # (measured: 729 observed, 695 expected; the former median/MAD fit expected 1,287)
    rng = np.random.default_rng(0)
    reg = rng.integers(20, 41, 3_000)
    voters = rng.binomial(reg, rng.beta(30, 2, 3_000))
    a = rng.binomial(voters, 0.6)
    sheets = tiny_table(reg.tolist(), voters.tolist(), a.tolist(), (voters - a).tolist())
    spike = T.spike_at_100(sheets)
    assert abs(spike.expected - spike.observed) < 0.1 * spike.observed
    assert spike.probabilities.sum() == pytest.approx(spike.expected)
    # 300 more stations written at 100% do not move the fit, and are found
    forged = voters.copy()
    forged[:300] = reg[:300]
    a2 = np.minimum(a, forged)
    sheets = tiny_table(reg.tolist(), forged.tolist(), a2.tolist(), (forged - a2).tolist())
    dirty = T.spike_at_100(sheets)
    assert dirty.pvalue < 1e-20  # the count's saddlepoint tail, z of order 12
    assert dirty.pvalue_method == "saddlepoint"
    assert dirty.z is not None
    assert dirty.z > 10
    assert abs(dirty.expected - spike.expected) < 0.1 * spike.expected
    assert not registry.get("turnout.spike_100_turnout").calibrated
    assert "not calibrated" in dirty.sentence


# -- registry -----------------------------------------------------------------------------------

def test_registered_checks_run_on_a_simulation() -> None:
    sim = simulate_clean(n_tables=800, rng=2)
    names = set()
    for spec in registry.registered("turnout"):
        result = spec.run(sim, np.random.default_rng(0))
        assert result.test == spec.name
        assert result.message.render("es")
        names.add(spec.name)
    assert "turnout.integer_percentages" in names
    assert registry.get("turnout.integer_percentages").calibrated
    assert registry.get("turnout.integer_percentages").needs == frozenset({"registered"})


# -- real data: Russia 2011 (positive control) ---------------------------------------------------

@pytest.mark.realdata
@pytest.mark.slow
def test_russia_2011_integer_percentages_reproduce_kobak(russia_2011: SheetTable) -> None:
    # Kobak, Shpilkin & Pshenichnikov (2016, AOAS 10(1):54, doi:10.1214/16-AOAS904), AOAS
    # criteria, turnout = ballots issued / registered (the profile's ``issued``), result of
    # valid + invalid, via the authors' significance2018/montecarlo.pickle (forensics notes
    # §4.1): 86,718 stations; excess 1,003 (either), 767 (result), 449 (turnout); Monte
    # Carlo SD of the null count 113.1. The excess is S minus the null's mean; the paper's
    # mean has a Monte Carlo error of 113 / sqrt(1000) = 3.6 stations and ours none (exact),
    # so the same definitions must agree within a few of those (tolerance 4 x 3.6 = 15);
    # the null's SD within the Monte Carlo error of an SD over 1,000 replicates (±2.2%).
    r = T.integer_percentages(russia_2011)
    assert r.params["turnout_from"] == "issued"
    assert r.n == 86_718
    assert r.statistic == 17_803
    tab = r.table.set_index("variant")
    assert tab.loc["either", "excess"] == pytest.approx(1_003, abs=15)
    assert tab.loc["result", "excess"] == pytest.approx(767, abs=15)
    assert tab.loc["turnout", "excess"] == pytest.approx(449, abs=15)
    assert tab.loc["either", "null_sd"] == pytest.approx(113.1, rel=0.05)
    assert tab.loc["either", "observed"] > tab.loc["either", "null_q999"]
    # far beyond the reach of the paper's 1,000 replicates: z = 8.7
    assert r.pvalue < 1e-15
    assert r.pvalue_method == "saddlepoint"
    # the fallback when the sheets do not state ballots issued: ballots counted, said so
    counted = SheetTable(russia_2011.data.drop(columns=["issued"]),
                         candidates=russia_2011.candidates, levels=russia_2011.levels)
    fallback = T.integer_percentages(counted)
    assert fallback.params["turnout_from"] == "counted"
    assert fallback.message.id == "turnout.integer_percentages_counted"
    assert "ballots counted" in fallback.sentence
    assert abs(fallback.effect - 1_003) < 2 * 113.1  # measured 950


@pytest.mark.realdata
def test_russia_2011_correlation_and_spikes(russia_2011: SheetTable) -> None:
    # Derived in the forensics notes (§4.2, table §10 row 15): Pearson r between turnout
    # (ballots issued / registered) and the United Russia share (of valid + invalid) = 0.713;
    # with turnout = ballots counted / registered (the bundled profile) r = 0.7140.
    r = T.turnout_share_correlation(russia_2011, share_of="counted", weights=None)
    assert r.statistic == pytest.approx(0.7140, abs=0.0001)
    assert r.statistic == pytest.approx(0.713, abs=0.0015)
    # 100% turnout: far above the regional beta-binomial expectation (3,750 stations with
    # every issued ballot; 3,595 with every registered voter's ballot counted).
    spike = T.spike_at_100(russia_2011)
    assert spike.observed == 3_595
    assert spike.observed > spike.expected + 1_500
    assert spike.pvalue < 1e-300  # underflows: z says how far (measured 94.6)
    assert spike.z is not None
    assert spike.z > 50
    # Shpilkin: United Russia above the peak; positive and of order 10^7 votes.
    shp = T.shpilkin_excess(russia_2011, share_of="counted")
    assert 5e6 < shp.effect < 3e7
    assert (shp.sensitivity["anomaly"] > 0).all()


# -- real data: clean references ---------------------------------------------------------------

@pytest.mark.realdata
def test_cordoba_2019_not_flagged_by_calibrated_turnout_checks(cordoba_2019: SheetTable) -> None:
    for spec in registry.registered("turnout"):
        if spec.calibrated:
            result = spec.run(cordoba_2019, np.random.default_rng(2019))
            assert result.pvalue is not None, spec.name
            assert result.pvalue >= 0.05, spec.name
    # Not calibrated and flagged, with the reason in the result: honest turnout is skewed
    # (measured: 129 stations above the section median against 49 below, most of them
    # tables of one circuit of the capital at 95-99% turnout)
    out = T.regional_outliers(cordoba_2019, n_resamples=99, rng=1)
    assert out.pvalue is not None
    assert out.pvalue < 0.05
    assert out.above > 2 * out.below
    assert "not calibrated" in out.sentence
    assert not registry.get("turnout.outliers_turnout").calibrated
    assert T.spike_at_100(cordoba_2019).observed == 0


@pytest.mark.realdata
def test_chile_2021_turnout_checks_skip_with_a_reason(chile_2021: SheetTable) -> None:
    assert not chile_2021.has("registered")
    for spec in registry.registered("turnout"):
        if "registered" in spec.needs:
            with pytest.raises(TurnoutUnavailableError, match="registered voters"):
                spec.run(chile_2021, np.random.default_rng(0))
    for spec in registry.registered("turnout"):
        if spec.calibrated and "registered" not in spec.needs:
            result = spec.run(chile_2021, np.random.default_rng(2021))
            assert result.pvalue is not None, spec.name
            assert result.pvalue >= 0.05, spec.name
    r = T.distribution(chile_2021)
    assert r.message.id == "turnout.distribution_share_only"
