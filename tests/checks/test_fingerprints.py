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
    # Simulate from the model itself and refit with the true honest part: the fitting
    # machinery recovers (0.3, 0.03, 2.0) closely (measured: 0.287, 0.031, 2.00).
    gen = np.random.default_rng(8)
    registered = gen.integers(300, 3000, 20_000).astype(float)
    nuis = F.Nuisance(tau=0.55, sigma_tau=0.07, nu=0.45, sigma_nu=0.06, theta=0.3)
    t, s = F._simulate(F._draws(registered.size, nuis, gen), registered, 0.3, 0.03, 2.0)
    fit = F._fit(t, s, registered, 50, np.random.default_rng(1), nuis=nuis)
    assert abs(fit.f_i - 0.3) < 0.04
    assert abs(fit.f_e - 0.03) < 0.004
    assert abs(fit.alpha - 2.0) < 0.3
    assert fit.distance < fit.distance_fair
    # With Klimek's plug-in honest part (estimated from the contaminated data) f_i is biased
    # low (measured 0.18): the reason the bootstrap interval is the bias-correcting one.
    plug_in = F._fit(t, s, registered, 50, np.random.default_rng(1))
    assert plug_in.f_i < fit.f_i
    assert abs(plug_in.f_e - 0.03) < 0.005


def test_klimek_fit_near_zero_on_clean_simulations() -> None:
    # The honest part of the model (one truncated normal) is not the simulator's (regional
    # Beta/Dirichlet mixture), so a little heterogeneity is absorbed by f_i: require the median
    # over 6 elections to be near 0 and f_e to stay near 0 in every one. Measured (10,000
    # tables, seeds 0-5): f_i = 0, 0.154, 0, 0, 0.034, 0.044; f_e ≤ 0.0044.
    fits = [F.klimek_fit(simulate_clean(n_tables=10_000, rng=seed), n_bootstrap=0, rng=seed)
            for seed in range(6)]
    assert np.median([f.f_i for f in fits]) < 0.05
    assert max(f.f_e for f in fits) < 0.006


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


def test_figures_draw_results() -> None:
    from audit.checks import turnout as T

    sim = simulate_clean(n_tables=1_000, rng=3)
    figs = [plot_fingerprint(F.fingerprint(sim)), plot_cumulative(F.fingerprint(sim)),
            plot_klimek(F.klimek_fit(sim, n_bootstrap=2, rng=1)),
            plot_integer_percentages(T.integer_percentages(sim, n_resamples=20, rng=1)),
            plot_spike(T.spike_at_100(sim)), plot_shpilkin(T.shpilkin_excess(sim))]
    for fig in figs:
        assert fig.axes
        assert fig.axes[0].get_title()


def test_fingerprint_checks_are_registered() -> None:
    names = {s.name for s in registry.registered("fingerprints")}
    assert names == {"fingerprints.fingerprint", "fingerprints.klimek"}
    assert not registry.get("fingerprints.klimek").fast
    assert not registry.get("fingerprints.klimek").calibrated


@pytest.mark.realdata
def test_russia_2011_fingerprint_corner(russia_2011: SheetTable) -> None:
    # Forensics notes §3.4 (derived from the dkobak data): 3.27% of UIKs have turnout ≥ 95% and
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
    # about ±0.1 in f_i, ±0.015 in f_e and ±0.8 in alpha.
    # Measured here: f_i ≈ 0.61, f_e ≈ 0.031, alpha ≈ 2.15 (seed 2012).
    r = F.klimek_fit(russia_2011, share_of="counted", n_bootstrap=4, rng=2012)
    assert abs(r.f_i - 0.64) < 0.1
    assert abs(r.f_e - 0.033) < 0.015
    assert abs(r.alpha - 2.3) < 0.8
    tab = r.table.set_index("parameter")
    assert tab.loc["f_e", "low"] > 0.01  # extreme stuffing clearly above zero
    assert r.effect is not None
    assert r.effect > 5e6


@pytest.mark.realdata
def test_cordoba_2019_klimek_fit_is_near_zero(cordoba_2019: SheetTable) -> None:
    r = F.klimek_fit(cordoba_2019, n_bootstrap=0, n_null=9, rng=2019)
    assert r.f_i < 0.03
    assert r.f_e < 0.003
    assert r.pvalue is not None
    assert r.pvalue >= 0.05
    assert F.fingerprint(cordoba_2019).statistic == 0.0
