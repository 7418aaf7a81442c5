"""Election fingerprints and the Klimek et al. (2012) model fit."""

from __future__ import annotations

import numpy as np
import pytest

from audit._json import dumps
from audit.checks import fingerprints as F
from audit.checks import registry
from audit.figures.fingerprints import plot_cumulative, plot_fingerprint, plot_klimek
from audit.figures.turnout import plot_integer_percentages, plot_shpilkin, plot_spike
from audit.model import SheetTable
from audit.simulate import simulate_clean, stuff_ballots


def test_fingerprint_histogram_counts_every_unit() -> None:
    sim = simulate_clean(n_tables=3_000, size_min=50, rng=4)
    r = F.fingerprint(sim, bins=20)
    assert r.histogram.sum() == r.n == r.table["stations"].sum()
    assert r.n + r.excluded.get("registered_below_min", 0) == 3_000
    assert r.cumulative["fraction"].iloc[-1] == pytest.approx(1.0)
    assert r.statistic == 0.0  # a clean simulation has nothing in the (95%, 95%) corner


def test_klimek_model_recovers_its_own_parameters() -> None:
    # Simulate from the model itself: given the true honest part, both fitting methods
    # recover (0.3, 0.03, 2.0) closely (measured: 0.315, 0.032, 2.05 and 0.312, 0.029, 2.24).
    gen = np.random.default_rng(8)
    registered = gen.integers(300, 3000, 20_000).astype(float)
    nuis = F.Nuisance(tau=0.55, sigma_tau=0.07, nu=0.45, sigma_nu=0.06, theta=0.3)
    t, s = F._simulate(F._draws(registered.size, nuis, gen), registered, 0.3, 0.03, 2.0)
    for method in F.METHODS:
        fit = F._fit(t, s, registered, 50, np.random.default_rng(1), nuis=nuis, method=method)
        assert abs(fit.f_i - 0.3) < 0.04, method
        assert abs(fit.f_e - 0.03) < 0.004, method
        assert abs(fit.alpha - 2.0) < 0.3, method
        assert fit.distance < fit.distance_fair
    # Estimating the honest part as well, both come out low (measured 0.19 and 0.20): with
    # theta = 0.3 many incremental frauds move a unit less than the honest spread, and the
    # data cannot tell them from honest units; f_e is recovered.
    for method in F.METHODS:
        own = F._fit(t, s, registered, 50, np.random.default_rng(1), method=method)
        assert 0.15 < own.f_i < 0.25, method
        assert abs(own.f_e - 0.03) < 0.005, method


def test_klimek_fit_is_zero_on_clean_simulations_and_finds_stuffing() -> None:
    # The joint fit (honest part fitted with the fraud part, Hellinger distance) gives
    # f_i = f_e = 0 on clean simulations of 5,000 tables, where Klimek's plug-in recipe
    # drifted to 0.05-0.24, and f_i near the truth on 10% ballot stuffing (x ~ U(0.2, 0.8)
    # of the abstainers), where the recipe could not tell it from clean (0.07-0.31).
    # Measured (seeds 0-5): clean 0 everywhere; stuffed f_i 0.086-0.143, f_e 0.
    for seed in range(4):
        sim = simulate_clean(n_tables=5_000, rng=seed)
        clean = F.klimek_fit(sim, n_bootstrap=0, rng=seed)
        stuffed = F.klimek_fit(stuff_ballots(sim, fraction=0.1, rng=seed + 50)[0],
                               n_bootstrap=0, rng=seed)
        assert clean.f_i < 0.01
        assert clean.f_e < 0.002
        assert 0.06 < stuffed.f_i < 0.18
        assert stuffed.f_e < 0.005


def test_corner_test_detects_stuffing_and_not_clean() -> None:
    # measured (seed 1): clean 52 upper vs 65 lower (p 0.88); 2% stuffed 130 vs 65, 10%
    # stuffed 349 vs 75. The polling centres are reflected as a whole and this simulation
    # has 10 of them, so the exact reflection null cannot go below 2^-10.
    sim = simulate_clean(n_tables=5_000, rng=1)
    clean = F.corner_asymmetry(sim, rng=3)
    assert clean.pvalue is not None
    assert clean.pvalue > 0.05
    assert abs(clean.upper - clean.lower) < 30
    for fraction in (0.02, 0.1):
        stuffed = F.corner_asymmetry(stuff_ballots(sim, fraction=fraction, rng=2)[0], rng=3)
        assert stuffed.pvalue == pytest.approx(2.0 ** -10)
        assert stuffed.pvalue_method == "exact"
        assert stuffed.upper > stuffed.lower + 50
    assert clean.table["upper"].sum() == clean.upper
    assert clean.message.render("es")
    with pytest.raises(ValueError, match=r"corner must be between 0 and 0\.5"):
        F.corner_asymmetry(sim, corner=0.6)


def test_corner_test_is_blind_to_symmetric_dependence() -> None:
    # turnout and share strongly correlated, positively or negatively, but symmetric: the
    # two corners fill alike, so the test does not confuse correlation with stuffing
    from audit.simulate import ElectionShape, simulate
    for r in (-0.8, 0.8):
        shape = ElectionShape.synthetic(n_tables=4_000, correlation=r, rng=4)
        result = F.corner_asymmetry(simulate(shape, rng=5), n_resamples=199, rng=6)
        assert result.pvalue is not None
        assert result.pvalue > 0.05, r


@pytest.mark.slow
def test_klimek_fit_detects_stuffing_and_is_reproducible() -> None:
    sim = simulate_clean(n_tables=5_000, rng=0)
    stuffed, _ = stuff_ballots(sim, fraction=0.1, rng=1)
    a = F.klimek_fit(stuffed, n_bootstrap=2, n_null=4, rng=3)
    b = F.klimek_fit(stuffed, n_bootstrap=2, n_null=4, rng=3)
    assert dumps(a.to_dict()) == dumps(b.to_dict())
    assert a.f_i > 0.05
    assert a.pvalue == pytest.approx(0.2)  # 1/(4+1): above every fair-model refit
    assert a.message.id == "fingerprints.klimek_tested"
    assert a.message.render("es")
    with pytest.raises(ValueError, match="method must be one of"):
        F.klimek_fit(stuffed, method="ml")


def test_figures_draw_results() -> None:
    from audit.checks import turnout as T

    sim = simulate_clean(n_tables=1_000, rng=3)
    figs = [plot_fingerprint(F.fingerprint(sim)), plot_cumulative(F.fingerprint(sim)),
            plot_klimek(F.klimek_fit(sim, n_bootstrap=2, rng=1)),
            plot_integer_percentages(T.integer_percentages(sim)),
            plot_spike(T.spike_at_100(sim)), plot_shpilkin(T.shpilkin_excess(sim))]
    for fig in figs:
        assert fig.axes
        assert fig.axes[0].get_title()


def test_fingerprint_checks_are_registered() -> None:
    names = {s.name for s in registry.registered("fingerprints")}
    assert names == {"fingerprints.fingerprint", "fingerprints.klimek", "fingerprints.corner"}
    assert not registry.get("fingerprints.klimek").fast
    assert not registry.get("fingerprints.klimek").calibrated
    assert registry.get("fingerprints.corner").calibrated


@pytest.mark.realdata
def test_russia_2011_fingerprint_corner(russia_2011: SheetTable) -> None:
    # Forensics notes §3.4 (derived from the dkobak data, turnout from ballots issued; the
    # bundled profile's ballots counted give 3.268%): 3.27% of UIKs have turnout ≥ 95% and
    # United Russia share ≥ 95% (share of valid + invalid ballots; all stations).
    r = F.fingerprint(russia_2011, share_of="counted", min_registered=0)
    assert r.statistic == pytest.approx(0.0327, abs=0.00005)


@pytest.mark.realdata
@pytest.mark.slow
def test_russia_2011_klimek_fit_reproduces_the_paper(russia_2011: SheetTable) -> None:
    # Klimek et al. (2012, PNAS 109(41):16469, doi:10.1073/pnas.1210722109), Russia 2011 Duma,
    # as transcribed in Kobak's meduza2018 notebook: f_i = 0.64, f_e = 0.033, alpha = 2.3.
    # Tolerance: the fit is stochastic and depends on binning and peak estimates (Mebane and
    # Kalinin's likelihood fit of the same model gives f_i = 0.12), so we ask for agreement to
    # about ±0.1 in f_i, ±0.015 in f_e and ±0.8 in alpha, with the paper's own recipe.
    # Measured here: f_i ≈ 0.61, f_e ≈ 0.030, alpha ≈ 2.14 (seed 2012).
    r = F.klimek_fit(russia_2011, share_of="counted", method="klimek2012", n_bootstrap=4,
                     rng=2012)
    assert abs(r.f_i - 0.64) < 0.1
    assert abs(r.f_e - 0.033) < 0.015
    assert abs(r.alpha - 2.3) < 0.8
    tab = r.table.set_index("parameter")
    assert tab.loc["f_e", "low"] > 0.01  # extreme stuffing clearly above zero
    assert r.effect is not None
    assert r.effect > 5e6
    # The default joint fit widens the honest cluster and attributes less to incremental
    # fraud (measured 0.49, f_e 0.038, alpha 2.8): between Klimek's 0.64 and Mebane and
    # Kalinin's 0.12, with the same extreme fraud.
    joint = F.klimek_fit(russia_2011, share_of="counted", n_bootstrap=0, rng=2012)
    assert 0.4 < joint.f_i < 0.6
    assert abs(joint.f_e - 0.033) < 0.015
    # the calibrated test of the family sees the stuffing smear (upper corner 3,282 against
    # lower 2,048 within regions)
    corner = F.corner_asymmetry(russia_2011, share_of="counted", n_resamples=199, rng=1)
    assert corner.upper > corner.lower + 500
    # exact reflection null over 2,700 territorial commissions: z = 6.3, p ~ 6e-11
    assert corner.pvalue_method == "exact"
    assert corner.pvalue < 1e-9
    assert corner.z is not None
    assert corner.z > 5.5


@pytest.mark.realdata
def test_cordoba_2019_klimek_fit(cordoba_2019: SheetTable) -> None:
    # The paper's recipe gives a clean reference f_i ≈ f_e ≈ 0 (measured 0, 0.0006); the
    # joint fit finds f_i ≈ 0.11 (Córdoba's fingerprint is not one Gaussian cluster: a
    # circuit of the capital has tables at 95-99% turnout), which its own fair-model test
    # does not call significant (p = 0.1 with 9 refits, seed 2019) and the sentence warns
    # about.
    paper = F.klimek_fit(cordoba_2019, method="klimek2012", n_bootstrap=0, n_null=9, rng=2019)
    assert paper.f_i < 0.03
    assert paper.f_e < 0.003
    assert paper.pvalue is not None
    assert paper.pvalue >= 0.05
    joint = F.klimek_fit(cordoba_2019, n_bootstrap=0, rng=2019)
    assert joint.f_i < 0.2
    assert "heterogeneity" in joint.sentence
    assert F.fingerprint(cordoba_2019).statistic == 0.0
    corner = F.corner_asymmetry(cordoba_2019, rng=2019)  # not flagged: 115 vs 112
    assert corner.pvalue is not None
    assert corner.pvalue > 0.05


def test_klimek_interval_stays_within_the_parameter_range() -> None:
    # On a clean election f_i is fitted at (or near) 0; the reflected bootstrap interval
    # 2 est - q_hi can fall below 0 and must be clipped to the parameter's range.
    sheets = simulate_clean(n_tables=1_500, n_regions=5, rng=11)
    r = F.klimek_fit(sheets, n_bootstrap=5, rng=3)
    tab = r.table.set_index("parameter")
    for name, (floor, ceiling) in zip(("f_i", "f_e", "alpha"), F.BOUNDS, strict=True):
        assert floor <= tab.loc[name, "low"] <= tab.loc[name, "high"] <= ceiling


def _areas_table(units: dict[tuple[str, str], int]) -> SheetTable:
    """Sheets with region > municipality codes (municipality codes repeat across regions,
    as Venezuelan parish codes do) and the given number of tables per unit."""
    import pandas as pd

    rows = [(r, m) for (r, m), k in units.items() for _ in range(k)]
    n = len(rows)
    frame = pd.DataFrame({
        "region_region_code": pd.array([r for r, _ in rows], dtype="string"),
        "region_municipality_code": pd.array([m for _, m in rows], dtype="string"),
        "center_id": pd.array([f"c{i}" for i in range(n)], dtype="string"),
        "table_id": pd.array(["1"] * n, dtype="string"),
        "registered": pd.array([500] * n, dtype="Int64"),
        "valid": np.full(n, 300, dtype=np.int64),
        "votes_A": np.full(n, 200, dtype=np.int64), "votes_B": np.full(n, 100, dtype=np.int64),
        "source": pd.array(["test"] * n, dtype="string"),
        "line": np.arange(2, n + 2, dtype=np.int64)})
    return SheetTable(frame, candidates=("A", "B"), levels=("region", "municipality"))


def test_local_areas_pool_small_units_upward() -> None:
    sheets = _areas_table({("R1", "1"): 25, ("R1", "2"): 5, ("R1", "3"): 10,
                           ("R2", "1"): 30, ("R2", "2"): 12, ("R2", "3"): 9,
                           ("R3", "1"): 8})
    usable = np.ones(len(sheets), dtype=bool)
    areas = F.local_areas(sheets, usable, "auto", min_stations=20)
    counts = {(areas.labels[g], areas.levels[g]): int(k)
              for g, k in enumerate(np.bincount(areas.group[areas.group >= 0]))}
    # R1/1 (25) and R2/1 (30) are areas; R1's small municipalities (15) are too few for a
    # region pool, R2's (21) are enough; R1's 15 and R3's 8 are pooled nationally (23)
    assert counts == {("R1 / 1", "municipality"): 25, ("R2 / 1", "municipality"): 30,
                      ("R2 (pooled)", "region"): 21, ("all (pooled)", "national"): 23}
    assert (areas.group >= 0).all()
    # stations not usable are left out and do not count towards an area's size
    usable[:10] = False  # 10 of R1/1's 25
    areas = F.local_areas(sheets, usable, "auto", min_stations=20)
    assert (areas.group[:10] == -1).all()
    assert "R1 / 1" not in areas.labels  # 15 left: pooled with R1's other small ones (30)
    assert "R1" in areas.labels  # the whole region is one area (nothing of it taken below)
    # a named level starts there; None: one national area
    by_region = F.local_areas(sheets, np.ones(len(sheets), dtype=bool), "region", 20)
    assert sorted(by_region.labels) == ["R1", "R2"]  # R3 (8) is too few, alone or pooled
    assert (by_region.group[-8:] == -1).all()
    whole = F.local_areas(sheets, np.ones(len(sheets), dtype=bool), None, 20)
    assert whole.labels == ("all",)
    with pytest.raises(Exception, match="unknown region level"):
        F.local_areas(sheets, usable, "parish", 20)


def test_corner_test_ranks_within_municipalities() -> None:
    # clean layered elections whose municipalities differ strongly in turnout and leaning:
    # ranking within regions (one area per region) piles p-values at both ends, ranking
    # within municipalities does not (measured over 40 such elections: 30% against 0% at
    # 0.05 with the whole regions as areas and centres flipped, before this test's code)
    from audit.simulate import ElectionShape, simulate

    shape = ElectionShape.synthetic(n_tables=5_000, levels=("region", "municipality"),
                                    subregions_per_region=8, concentration=(10.0, 300.0, 3000.0),
                                    rng=1)
    sheets = simulate(shape, 1001)
    result = F.corner_asymmetry(sheets, n_resamples=199, rng=1)
    assert result.params["finest_level"] == "municipality"
    assert list(result.table.columns) == ["region", "level", "stations", "upper", "lower"]
    # 80 municipalities of ~62 tables on average (log-normal sizes): most are areas of their
    # own, the smaller ones pooled within their region (seen: 50 of 59 areas holding 80% of
    # the stations; 44 stations left over nationally, fewer than 50)
    in_municipalities = result.table.loc[result.table["level"] == "municipality", "stations"]
    assert in_municipalities.sum() > 0.7 * result.n
    assert result.n + result.excluded.get("area_below_min_stations", 0) == 5_000
    # flips are whole areas: the null's spread is sqrt(sum over areas of (U_a - L_a)^2)
    d = (result.table["upper"] - result.table["lower"]).to_numpy(float)
    assert np.std(result.null_distribution) == pytest.approx(np.sqrt(np.sum(d ** 2)), rel=0.15)
