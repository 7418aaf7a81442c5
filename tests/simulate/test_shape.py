"""Clean elections: ElectionShape, fit_shape and simulate.

Tolerances are stated beside each assertion with where they come from (sampling noise of the
simulated quantity, measured over seeds while writing the test, times a safety factor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.ingest import read_sheets
from audit.model import SheetTable
from audit.simulate import ElectionShape, fit_shape, simulate
from audit.simulate.manipulate import klimek_fraud
from tests.conftest import real_file

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def regional(sheets: SheetTable, level: str) -> pd.DataFrame:
    """Turnout (ballots / registered) and vote shares per region, from the sums of sheets."""
    a = sheets.aggregate(level).set_index("region_code")
    ballots = a["valid"].astype(float)
    for col in ("null", "blank"):
        if col in a:
            ballots = ballots + a[col].astype(float).fillna(0)
    out = pd.DataFrame({"turnout": ballots / a["registered"].astype(float)})
    for k in sheets.candidates:
        out[k] = a[f"votes_{k}"].astype(float) / a["valid"].astype(float)
    return out


def mean_deviation(shape: ElectionShape, observed: SheetTable, level: str, sims: int
                   ) -> pd.DataFrame:
    """Average over ``sims`` simulations of (simulated - observed) regional statistics."""
    real = regional(observed, level)
    total = sum(regional(simulate(shape, seed), level) - real for seed in range(sims))
    assert isinstance(total, pd.DataFrame)
    return total / sims


@pytest.fixture(scope="module")
def synthetic_truth() -> ElectionShape:
    return ElectionShape.synthetic(n_tables=40_000, concentration=(300.0, 100.0, 1000.0),
                                   size_effect=-0.3, rng=5)


@pytest.fixture(scope="module")
def synthetic_sheets(synthetic_truth: ElectionShape) -> SheetTable:
    return simulate(synthetic_truth, 11)


@pytest.fixture(scope="module")
def v1() -> SheetTable:
    path = real_file("venezuela_2024_resultadosconvzla_actas", "RESULTADOS_2024_CSV_V1.csv")
    return read_sheets(path).sheets


# -- the simulated table -------------------------------------------------------------------


def test_simulated_table_is_canonical_and_honest(synthetic_sheets: SheetTable) -> None:
    s = synthetic_sheets
    df = s.data
    assert len(s) == 40_000
    assert list(df.columns[:6]) == ["region_region_code", "region_region_name",
                                    "region_subregion_code", "region_subregion_name",
                                    "center_id", "table_id"]
    assert not df.duplicated(["center_id", "table_id"]).any()
    assert (s.votes.sum(axis=1) == df["valid"].to_numpy()).all()
    ballots = df["valid"].to_numpy() + df["null"].to_numpy(np.int64)
    assert (df["voters"].to_numpy(np.int64) == ballots).all()
    assert (ballots <= df["registered"].to_numpy(np.int64)).all()
    # centres hold several tables, numbered 1..m; sub-regions nest in regions
    per_centre = df.groupby("center_id").size()
    assert per_centre.max() == 5
    assert 0.40 < (per_centre == 1).mean() < 0.50
    assert (df.groupby("center_id")["region_subregion_code"].nunique() == 1).all()
    parent = df["region_subregion_code"].str.split(".").str[0]
    assert (parent == df["region_region_code"]).all()
    assert s.election is not None
    assert "not real data" in s.election.name


def test_same_seed_same_election(synthetic_truth: ElectionShape) -> None:
    shape = synthetic_truth.resized(2_000)
    assert shape.n_tables == 2_000
    a, b, c = simulate(shape, 3).data, simulate(shape, 3).data, simulate(shape, 4).data
    assert a.equals(b)
    assert not a.equals(c)


# -- fitting recovers the parameters of a known shape ----------------------------------------


def test_fit_recovers_a_known_shape(synthetic_truth: ElectionShape,
                                    synthetic_sheets: SheetTable) -> None:
    fitted = fit_shape(synthetic_sheets, mean_level="region")
    assert fitted.layers == ("subregion", "center", "table")
    assert fitted.fit["excluded_outliers"] <= 0.001 * 40_000  # clean data: almost none
    rho_true = 1.0 / (synthetic_truth.concentration + 1.0)
    rho = 1.0 / (fitted.concentration + 1.0)
    # centre and table layers have thousands of units: within 25% (seen: 0.81-1.08 of truth);
    # the sub-region layer has 100 units only: within a factor 2 (seen: 0.72-1.42).
    np.testing.assert_allclose(rho[1:], rho_true[1:], rtol=0.25)
    np.testing.assert_allclose(rho[0], rho_true[0], rtol=1.0)
    assert fitted.size_effect[0] == pytest.approx(-0.3, abs=0.04)  # seen: -0.306..-0.291
    assert np.abs(fitted.size_effect[1:]).max() < 0.1
    assert fitted.size_correlation == pytest.approx(0.5, abs=0.05)
    true_q = np.interp(QUANTILES, synthetic_truth.size_grid, synthetic_truth.size_quantiles)
    fit_q = np.interp(QUANTILES, fitted.size_grid, fitted.size_quantiles)
    np.testing.assert_allclose(fit_q, true_q, rtol=0.02)
    # regional means: the realised ratios of the sheets shrunk towards the national one by
    # the share of their variance due to the random sub-regions (~15% here, so by at most
    # 0.15 x 0.05)
    real = regional(synthetic_sheets, "region")
    expected = fitted.expected("region")
    np.testing.assert_allclose(expected["turnout"], real["turnout"], atol=0.01)
    np.testing.assert_allclose(expected[["C1", "C2", "C3"]], real[["C1", "C2", "C3"]],
                               atol=0.01)


def between_units(sheets: SheetTable, level: str, parent: str) -> dict[str, float]:
    """Variance of the units' turnout and C1 share (ratios of sums) around their parent's
    mean of units: the between-unit variance a layer of random units adds."""
    d = sheets.data
    frame = pd.DataFrame({
        "parent": d[f"region_{parent}_code"], "unit": d[f"region_{level}_code"],
        "ballots": d["valid"].to_numpy(float) + d["null"].to_numpy(float),
        "registered": d["registered"].to_numpy(float), "valid": d["valid"].to_numpy(float),
        "c1": d["votes_C1"].to_numpy(float)})
    sums = frame.groupby(["parent", "unit"])[["ballots", "registered", "valid", "c1"]].sum()
    out = {}
    for name, ratio in (("turnout", sums["ballots"] / sums["registered"]),
                        ("C1", sums["c1"] / sums["valid"])):
        out[name] = float(((ratio - ratio.groupby(level=0).transform("mean")) ** 2).mean())
    return out


@pytest.fixture(scope="module")
def layered_truth() -> ElectionShape:
    """Region > sub-region > municipality > centre > table, all below the region random."""
    return ElectionShape.synthetic(
        n_tables=40_000, levels=("region", "subregion", "municipality"),
        subregions_per_region=(5, 6), concentration=(400.0, 60.0, 200.0, 1000.0),
        correlation=(0.0, 0.3, -0.3, 0.0), size_effect=-0.2, rng=5)


def test_layered_synthetic_shape(layered_truth: ElectionShape) -> None:
    assert layered_truth.layers == ("subregion", "municipality", "center", "table")
    df = simulate(layered_truth, 1).data
    # municipalities nest in sub-regions, which nest in regions; centres in municipalities
    sub = df["region_municipality_code"].str.rsplit(".", n=1).str[0]
    assert (sub == df["region_subregion_code"]).all()
    assert (df.groupby("center_id")["region_municipality_code"].nunique() == 1).all()
    # 10 regions x 5 sub-regions x 6 municipalities (a centre picks one by weight: with
    # ~130 tables each, all get some)
    assert 270 <= df["region_municipality_code"].nunique() <= 300
    assert 45 <= df["region_subregion_code"].nunique() <= 50  # a few may get no municipality
    with pytest.raises(ValueError, match="concentration needs 4 values"):
        ElectionShape.synthetic(levels=("region", "subregion", "municipality"))


def test_fit_recovers_a_layered_shape(layered_truth: ElectionShape) -> None:
    sheets = simulate(layered_truth, 11)
    fitted = fit_shape(sheets, mean_level="region")
    assert fitted.layers == layered_truth.layers
    rho_true = 1.0 / (layered_truth.concentration + 1.0)
    rho = 1.0 / (fitted.concentration + 1.0)
    # municipalities (~300 units): relative SE of a moment estimate from K units about
    # sqrt(2 / K) = 0.08, seen 0.71-1.21 of the truth over seeds 11-17 -> within 35%;
    # centres (thousands): seen 0.96-1.05 -> 15%; tables: rho = 0.001 is small against
    # the binomial noise of the third candidate's split, seen 0.70-1.19 -> 40%; the 50
    # sub-regions are noisier still (seen up to 2.15 times the truth) -> within a factor 3
    np.testing.assert_allclose(rho[1], rho_true[1], rtol=0.35)
    np.testing.assert_allclose(rho[2], rho_true[2], rtol=0.15)
    np.testing.assert_allclose(rho[3], rho_true[3], rtol=0.4)
    np.testing.assert_allclose(rho[0], rho_true[0], rtol=2.0)
    # turnout-leader correlation of the municipalities and centres (SE ~ 0.05; seen
    # 0.205-0.356 and -0.288 to -0.315 over seeds 11-15, for 0.3 and -0.3)
    assert fitted.correlation[1] == pytest.approx(0.3, abs=0.15)
    assert fitted.correlation[2] == pytest.approx(-0.3, abs=0.05)
    # clean simulations from the fit reproduce the between-municipality variance of
    # turnout and share within each region (seen: 0.00449 and 0.00395 simulated against
    # 0.00429 and 0.00393 observed; over seeds 11-15 the ratio is 0.79-1.04, the observed
    # value itself varying by ~8% between realisations)
    observed = between_units(sheets, "municipality", "region")
    simulated = [between_units(simulate(fitted, seed), "municipality", "region")
                 for seed in range(4)]
    for key, value in observed.items():
        assert np.mean([s[key] for s in simulated]) == pytest.approx(value, rel=0.25), key
    # with the municipality as mean level the variance is in the fixed means instead
    fixed = fit_shape(sheets)
    assert fixed.mean_level == "municipality"
    again = between_units(simulate(fixed, 1), "municipality", "region")
    for key, value in observed.items():
        assert again[key] == pytest.approx(value, rel=0.1), key  # seen 0.98-1.02


def test_fit_recovers_turnout_share_correlation() -> None:
    truth = ElectionShape.synthetic(n_tables=40_000, concentration=(300.0, 100.0, 1000.0),
                                    correlation=-0.5, rng=5)
    fitted = fit_shape(simulate(truth, 3), mean_level="region")
    # centre layer: thousands of centres, seen -0.495..-0.506 over seeds
    assert fitted.correlation[1] == pytest.approx(-0.5, abs=0.05)
    # layers where the truth has none: noise only (seen |r| <= 0.2 for 100 sub-regions)
    assert abs(fitted.correlation[2]) < 0.15


def test_simulations_reproduce_the_synthetic_input(synthetic_sheets: SheetTable) -> None:
    shape = fit_shape(synthetic_sheets)
    dev = mean_deviation(shape, synthetic_sheets, "region", sims=5)
    # regional turnout and shares: the average of 5 simulations within 0.005 of the input
    # (regions of 4,000 tables; sub-regions are fixed at the mean level here)
    assert dev.abs().to_numpy().max() < 0.005
    sim = simulate(shape, 99)
    q_sim = np.quantile(sim.counts("registered"), QUANTILES)
    q_real = np.quantile(synthetic_sheets.counts("registered"), QUANTILES)
    np.testing.assert_allclose(q_sim, q_real, rtol=0.03)
    # spread of station turnout (its inter-quartile range) within 10%
    iqr = [np.subtract(*np.nanquantile(s.turnout(), [0.75, 0.25]))
           for s in (sim, synthetic_sheets)]
    assert iqr[0] == pytest.approx(iqr[1], rel=0.10)


def test_fit_resists_extreme_fraud(synthetic_sheets: SheetTable) -> None:
    clean = fit_shape(synthetic_sheets, mean_level="region")
    dirty_sheets, truth = klimek_fraud(synthetic_sheets, f_i=0.0, f_e=0.03, rng=1)
    dirty = fit_shape(dirty_sheets, mean_level="region")
    # the extreme stations (turnout and share near 100%) are excluded ...
    assert dirty.fit["excluded_outliers"] >= 0.9 * truth["manipulated"].sum()
    # ... so means move by less than 0.005 although 3% of stations were stuffed
    # (without exclusion regional turnout would rise by ~0.012)
    assert np.abs(dirty.means - clean.means).max() < 0.005
    rho_clean = 1.0 / (clean.concentration + 1.0)
    rho_dirty = 1.0 / (dirty.concentration + 1.0)
    np.testing.assert_allclose(rho_dirty[1:], rho_clean[1:], rtol=0.25)


def test_keep_structure_reuses_the_observed_tables(synthetic_sheets: SheetTable) -> None:
    shape = fit_shape(synthetic_sheets, keep_structure=True)
    sim = simulate(shape, 1)
    for col in ("region_subregion_code", "center_id", "table_id", "registered"):
        assert sim.data[col].equals(synthetic_sheets.data[col])
    assert not sim.data["votes_C1"].equals(synthetic_sheets.data["votes_C1"])


def test_fit_without_registered_levels_or_centres() -> None:
    base = simulate(ElectionShape.synthetic(n_tables=3_000, rng=2), 2).data
    frame = base.drop(columns=["registered", "voters", "region_region_code",
                               "region_region_name", "region_subregion_code",
                               "region_subregion_name"])
    frame["center_id"] = ""
    frame["table_id"] = np.arange(len(frame)).astype(str)
    frame["center_id"] = frame["center_id"].astype("string")
    frame["table_id"] = frame["table_id"].astype("string")
    bare = SheetTable(frame, candidates=("C1", "C2", "C3"))
    shape = fit_shape(bare)
    assert shape.mean_level is None
    assert not shape.has_registered
    sim = simulate(shape, 0)
    assert "registered" not in sim.data
    assert len(sim) == 3_000
    ballots = sim.data["valid"] + sim.data["null"].astype("int64")
    real = frame["valid"] + frame["null"].astype("int64")
    np.testing.assert_allclose(np.quantile(ballots, QUANTILES), np.quantile(real, QUANTILES),
                               rtol=0.03)


def test_synthetic_shape_summary_is_json_safe() -> None:
    from audit._json import dumps

    shape = ElectionShape.synthetic(n_tables=1_000)
    text = dumps(shape.to_dict())
    assert '"mean_level": "region"' in text
    assert shape.to_dict()["intraclass_correlation"]["table"]["turnout"] == pytest.approx(
        1 / 3001)


# -- Venezuela 2024 (opposition tally sheets V1) ---------------------------------------------


@pytest.mark.realdata
def test_venezuela_v1_shape_is_reproduced(v1: SheetTable) -> None:
    shape = fit_shape(v1)
    assert shape.mean_level == "parish"
    # few stations are left out of the fit (1.1% at z = 5, mostly small high-turnout ones)
    assert shape.fit["used"] > 0.98 * len(v1)
    sims = [simulate(shape, seed) for seed in range(20)]
    # station-size quantiles within 3% (sampling error of the 5% quantile ~1.5%)
    q_real = np.quantile(v1.counts("registered"), QUANTILES)
    for sim in sims[:5]:
        q_sim = np.quantile(sim.counts("registered"), QUANTILES)
        np.testing.assert_allclose(q_sim, q_real, rtol=0.03)
    # state turnout and shares: the average of 20 simulations within 0.015 of the sheets
    # (seen: at most 0.008 for turnout and 0.007 for shares); each simulation within 0.06
    # (a state of 108 tables has a centre-level SD of ~0.015)
    real = regional(v1, "state")
    devs = [regional(sim, "state") - real for sim in sims]
    average = sum(devs) / len(devs)
    assert isinstance(average, pd.DataFrame)
    assert average.abs().to_numpy().max() < 0.015
    assert max(d.abs().to_numpy().max() for d in devs) < 0.06
    # national turnout and the two main shares within 0.004 in every simulation
    for sim in sims[:5]:
        for key in ("EG", "NM"):
            assert sim.total(f"votes_{key}") / sim.total("valid") == pytest.approx(
                v1.total(f"votes_{key}") / v1.total("valid"), abs=0.004)
        turnout = (sim.total("valid") + sim.total("null")) / sim.total("registered")
        assert turnout == pytest.approx(
            (v1.total("valid") + v1.total("null")) / v1.total("registered"), abs=0.004)
    # station-level correlation of turnout and EG's share: -0.469 on the sheets; simulated
    # -0.44 on average (between-centre correlation -0.29 is fitted, the rest comes from
    # parish means and the size effect)
    r_real = np.corrcoef(v1.turnout(), np.nan_to_num(v1.share("EG")))[0, 1]
    r_sim = np.mean([np.corrcoef(sim.turnout(), np.nan_to_num(sim.share("EG")))[0, 1]
                     for sim in sims[:5]])
    assert r_sim == pytest.approx(r_real, abs=0.07)
    # small stations turn out more and vote less for EG, as on the real sheets (fitted
    # logit slopes on log size -0.37 and +0.62)
    assert shape.size_effect[0] < -0.2
    assert shape.size_effect[shape.splits.index("EG")] > 0.3


@pytest.mark.realdata
def test_russia_2011_fit_has_no_invalid_variance() -> None:
    # Size-adjusted proportions can leave [0, 1] at some layer; the layer correlation must
    # clip their variances instead of taking the square root of a negative number (which
    # silently zeroed the correlation of that layer).
    import warnings

    from helpers import real_case

    sheets = real_case("russia-2011")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        shape = fit_shape(sheets, mean_level=sheets.levels[0], keep_structure=True)
    assert np.isfinite(shape.correlation).all()


def test_logit_shift_where_the_odds_overflow() -> None:
    # a tiny mean with a large logit-normal variance overflows the odds (inf / inf was NaN,
    # which crashed the binomial draws of a Russia-shaped election)
    from audit.simulate.engine import _shift_logit

    out = _shift_logit(np.array([1e-4, 0.5, 0.0, 1.0]), np.array([800.0, 0.0, 5.0, -5.0]))
    np.testing.assert_array_equal(out, [1.0, 0.5, 0.0, 1.0])
