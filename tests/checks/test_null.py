"""The simulation-null kernel (audit.checks.null)."""

from __future__ import annotations

import numpy as np
import pytest
from reference_tables import table_from_counts

from audit.checks import null as N
from audit.checks.digits import _Spec, _summarise
from audit.simulate import simulate_clean


@pytest.fixture
def from_counts():
    return table_from_counts


def _beta_binomial(n: np.ndarray, p: float, rho: float, rng: np.random.Generator
                   ) -> np.ndarray:
    kappa = (1 - rho) / rho
    return rng.binomial(n, rng.beta(p * kappa, (1 - p) * kappa, size=n.shape))


class TestMethodOfMoments:
    def test_recovers_rho(self) -> None:
        rng = np.random.default_rng(1)
        n = rng.integers(150, 600, 20_000)
        groups = rng.integers(0, 20, n.size)
        shares = rng.uniform(0.2, 0.6, 20)  # group means differ: not overdispersion
        x = np.concatenate([_beta_binomial(n[groups == g], shares[g], 0.01, rng)
                            for g in range(20)])
        n_sorted = np.concatenate([n[groups == g] for g in range(20)])
        g_sorted = np.concatenate([np.full((groups == g).sum(), g) for g in range(20)])
        rho = N.overdispersion_mom(x, n_sorted, g_sorted)
        assert rho == pytest.approx(0.01, abs=0.0015)

    def test_binomial_counts_give_rho_near_zero(self) -> None:
        rng = np.random.default_rng(2)
        n = rng.integers(100, 500, 20_000)
        x = rng.binomial(n, 0.3)
        assert N.overdispersion_mom(x, n, np.zeros(n.size)) < 5e-4

    def test_by_hand(self) -> None:
        # two stations of 100 with 40 and 60 votes: P = 0.5, S = 100 * 0.01 * 2 = 2,
        # S / PQ = 8; sum(1 - w) = 1; sum((1 - w)(n - 1)) = 99 -> rho = 7 / 99
        rho = N.overdispersion_mom(np.array([40, 60]), np.array([100, 100]), np.zeros(2))
        assert rho == pytest.approx(7 / 99)

    def test_degenerate_inputs(self) -> None:
        assert N.overdispersion_mom(np.array([3]), np.array([10]), np.zeros(1)) == 0.0
        assert N.overdispersion_mom(np.array([0, 0]), np.array([10, 10]), np.zeros(2)) == 0.0


class TestFit:
    def test_leave_one_out_local_share(self, from_counts) -> None:
        # one region, three tables: A = 10, 20, 30 of valid 20, 40, 60 (B = A)
        sheets = from_counts([10, 20, 30], [10, 20, 30])
        model = N.fit_honest_model(sheets, "A", model="beta-binomial-regional", level=None)
        # every share is 0.5: no overdispersion, leave-one-out national share = 0.5
        np.testing.assert_allclose(model.mean, 0.5)
        assert model.rho == 0.0
        assert np.isinf(model.kappa)
        assert model.denominator == "valid"
        np.testing.assert_array_equal(model.trials, [20, 40, 60])

    def test_leave_one_out_excludes_own_count(self, from_counts) -> None:
        sheets = from_counts([10, 30, 50], [90, 70, 50])  # shares 0.1, 0.3, 0.5 of 100
        model = N.fit_honest_model(sheets, "A", model="beta-binomial-regional", level=None)
        # single group: between-group concentration infinite, so m_i = others' share
        np.testing.assert_allclose(model.mean, [80 / 200, 60 / 200, 40 / 200])

    def test_denominators(self) -> None:
        assert N.denominator_for("votes_X") == "valid"
        assert N.denominator_for("null") == "ballots"
        assert N.denominator_for("voters") == "registered"
        with pytest.raises(ValueError, match="no honest model for column 'registered'"):
            N.denominator_for("registered")

    def test_missing_denominators_are_excluded_and_counted(self) -> None:
        sheets = simulate_clean(n_tables=200, rng=1)
        data = sheets.data.copy()
        data.loc[:9, "registered"] = None
        table = type(sheets)(data, candidates=sheets.candidates, levels=sheets.levels)
        model = N.fit_honest_model(table, "voters")
        assert model.excluded == {"no_denominator": 10}
        assert model.n_stations == 190

    def test_auto_level_prefers_centres(self, from_counts) -> None:
        sheets = simulate_clean(n_tables=300, n_regions=3, rng=1)  # centre = region here
        assert N.fit_honest_model(sheets).level == "center"
        single = from_counts([100] * 40)  # one table per centre: falls back to the region
        assert N.fit_honest_model(single, "A").level == "region"

    def test_unknown_model_and_level(self, from_counts) -> None:
        sheets = from_counts([100, 200])
        with pytest.raises(ValueError, match="model must be one of"):
            N.fit_honest_model(sheets, "A", model="poisson")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="unknown grouping level"):
            N.fit_honest_model(sheets, "A", level="parish")


class TestRedraws:
    def test_shapes_and_reproducibility(self) -> None:
        sheets = simulate_clean(n_tables=3_000, rng=2)
        a = np.vstack(list(N.redraw_votes(sheets, "C1", n_resamples=101, rng=5)))
        b = np.vstack(list(N.redraw_votes(sheets, "C1", n_resamples=101, rng=5)))
        c = np.vstack(list(N.redraw_votes(sheets, "C1", n_resamples=101, rng=6)))
        assert a.shape == (101, 3_000)
        assert a.dtype == np.int64
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        valid = sheets.counts("valid")
        assert (a >= 0).all()
        assert (a <= valid).all()

    def test_chunks_bound_memory(self) -> None:
        sheets = simulate_clean(n_tables=50_000, rng=3)
        chunks = list(N.redraw_votes(sheets, n_resamples=20, rng=1))
        assert max(c.size for c in chunks) <= N.CHUNK_ELEMENTS
        assert sum(c.shape[0] for c in chunks) == 20

    def test_redraws_have_the_honest_moments(self) -> None:
        # under the model the posterior predictive keeps each station's expected count
        sheets = simulate_clean(n_tables=2_000, rng=4)
        model = N.fit_honest_model(sheets, "C1", model="beta-binomial-predictive")
        draws = np.vstack(list(model.redraw(400, rng=7)))
        mu, sd, _ = model.moments()
        np.testing.assert_allclose(draws.mean(axis=0).mean(), mu.mean(), rtol=2e-3)
        ratio = draws.std(axis=0) / sd
        assert np.median(ratio) == pytest.approx(1.0, abs=0.03)

    def test_sampled_posterior_draws_each_share_once(self) -> None:
        # the default draws p*_i ~ Beta(x + kappa m, n - x + kappa (1 - m)) once, then
        # binomial replicates around n p*_i: per station the spread is binomial, and the
        # p* have the posterior's mean and variance m (1 - m) / (n + kappa + 1)
        sheets = simulate_clean(n_tables=2_000, rng=4)
        model = N.fit_honest_model(sheets, "C1")
        assert np.isfinite(model.kappa)
        p = np.stack([model.sampled(np.random.default_rng(s)).mean for s in range(300)])
        post_var = model.mean * (1 - model.mean) / (model.concentration + 1)
        assert (np.abs(p.mean(axis=0) - model.mean) < 4.5 * np.sqrt(post_var / 300)).all()
        assert np.median(p.var(axis=0) / post_var) == pytest.approx(1.0, abs=0.05)
        draws = np.vstack(list(model.redraw(400, rng=7)))
        shares = model.sampled(np.random.default_rng(7)).mean  # the same first draw
        n = model.trials
        np.testing.assert_allclose(draws.mean(axis=0), n * shares, atol=4.5 * np.sqrt(
            n * shares * (1 - shares) / 400).max())
        ratio = draws.std(axis=0) / np.sqrt(n * shares * (1 - shares))
        assert np.median(ratio) == pytest.approx(1.0, abs=0.03)

    def test_regional_model_is_independent_of_own_count(self, from_counts) -> None:
        # two stations in one region; changing station 0's count changes only its
        # neighbour's redraw mean (leave-one-out), never its own
        a = N.fit_honest_model(from_counts([10, 50], [90, 50]), "A",
                               model="beta-binomial-regional", level=None)
        b = N.fit_honest_model(from_counts([30, 50], [70, 50]), "A",
                               model="beta-binomial-regional", level=None)
        assert a.mean[0] == b.mean[0]
        assert a.mean[1] != b.mean[1]

    def test_fixed_shares(self, from_counts) -> None:
        # a candidate with no votes anywhere is redrawn as zero; one with all votes as n
        sheets = from_counts([0, 0, 0], [50, 60, 70])
        zeros = np.vstack(list(N.redraw_votes(sheets, "A", n_resamples=5, rng=1)))
        full = np.vstack(list(N.redraw_votes(sheets, "B", n_resamples=5, rng=1)))
        assert (zeros == 0).all()
        np.testing.assert_array_equal(full, np.tile([50, 60, 70], (5, 1)))

    @pytest.mark.parametrize("model", N.MODELS)
    def test_every_model_redraws(self, model: str) -> None:
        sheets = simulate_clean(n_tables=500, rng=5)
        fitted = N.fit_honest_model(sheets, model=model)  # type: ignore[arg-type]
        draws = np.vstack(list(fitted.redraw(10, rng=1)))
        assert draws.shape == (10, 500)
        assert fitted.describe(10).startswith(f"simulation(n=10, model={model}")


@pytest.mark.slow
def test_normal_sampler_matches_exact_digit_frequencies() -> None:
    """The Cornish–Fisher normal sampler and exact draws give the same digit frequencies.

    Each digit share is compared over 300 redraws of 20,000 stations; a systematic error of
    even a tenth of the Monte Carlo SD of one test (sqrt(p(1-p)/n), n = 20,000) would show.
    """
    sheets = simulate_clean(n_tables=20_000, rng=8)
    model = N.fit_honest_model(sheets, "C1")
    spec = _Spec()
    trials = model.trials.astype(float)
    out = {}
    for sampler in ("auto", "exact"):
        hist = N.null_summaries([model], lambda c: _summarise(c, trials, spec), 300,
                                rng=9, sampler=sampler)  # type: ignore[arg-type]
        out[sampler] = hist
    for kind in ("second", "last", "first_two"):
        a = out["auto"][kind].sum(axis=0) / out["auto"][kind].sum()
        e = out["exact"][kind].sum(axis=0) / out["exact"][kind].sum()
        n = out["exact"][kind].sum(axis=1).mean()
        one_test_sd = np.sqrt(e * (1 - e) / n)
        comparison_sd = one_test_sd * np.sqrt(2 / 300)
        assert np.all(np.abs(a - e) < 4.5 * comparison_sd + 1e-12), kind
        assert np.all(np.abs(a - e) < 0.3 * one_test_sd), kind


def test_centre_layer_of_the_sampled_posterior() -> None:
    # centres of several tables: the within-group variation is split into centres (Beta
    # concentration 100: rho 0.0099) and tables (3,000: rho 0.00033), and a sampled share
    # is drawn through its centre, so tables of one centre move together
    from audit.simulate import ElectionShape, simulate

    shape = ElectionShape.synthetic(n_tables=20_000, concentration=(500.0, 100.0, 3000.0),
                                    shares=(0.5, 0.5), rng=3)
    sheets = simulate(shape, 4)
    model = N.fit_honest_model(sheets, "C1")
    assert model.level == "subregion"
    assert model.centres is not None
    # thousands of centres: the centre layer within 20% (seen 0.0096-0.0099 over seeds
    # 4-8); the table layer is small against binomial noise (seen 0.0002-0.0004)
    assert model.centres.rho_centre == pytest.approx(1 / 101, rel=0.2)
    assert model.centres.rho_table < 0.002
    draws = np.stack([model.sampled(np.random.default_rng(s)).mean for s in range(200)])
    index = model.centres.index
    multi = np.flatnonzero(np.bincount(index)[index] >= 2)
    first = multi[0]
    mate = multi[(index[multi] == index[first]) & (multi != first)][0]
    # two tables of one centre: their sampled shares are strongly correlated across draws
    assert np.corrcoef(draws[:, first], draws[:, mate])[0, 1] > 0.5
    # the centre model is part of the fingerprint (the memo of replicates)
    flat = N.fit_honest_model(sheets, "C1", model="beta-binomial-predictive")
    assert flat.centres is None
    assert flat.fingerprint() != model.fingerprint()
