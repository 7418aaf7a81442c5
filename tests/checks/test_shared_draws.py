"""The regions' digit tests on the national redraws (audit.checks.null.NationalDraws)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audit._json import dumps
from audit.checks import first_digit_test
from audit.checks._options import BatteryOptions
from audit.checks.digits import (
    _CELLS,
    _percent_hist,
    _Spec,
    _summarise,
    _summarise_by_region,
)
from audit.checks.forensics import NATIONAL, _regions, _run_one, run_forensics, scope_generator
from audit.checks.null import NationalDraws
from audit.checks.registry import registered
from audit.simulate import simulate_clean


@pytest.mark.parametrize("top", [900, 10_000_000])  # the value-histogram and the direct path
def test_region_histograms_are_the_histograms_of_each_regions_stations(top: int) -> None:
    rng = np.random.default_rng(5)
    values = rng.integers(0, top, size=(4, 600)).astype(np.float32 if top < 1000 else float)
    trials = np.where(rng.random(600) < 0.1, np.nan, rng.integers(50, 2 * top, 600)
                      ).astype(float)
    trials = np.where(np.isnan(trials), trials, np.maximum(trials, values.max(axis=0)))
    regions = rng.integers(0, 5, 600)
    spec = _Spec()
    by_region = _summarise_by_region(values, trials, spec, regions, 5)
    whole = _summarise(values, trials, spec)
    for kind, hist in by_region.items():
        assert hist.shape == (4, 5, len(_CELLS[kind]))
        np.testing.assert_array_equal(hist.sum(axis=1), whole[kind])
        for g in range(5):
            mine = regions == g
            own = _summarise(values[:, mine], trials[mine], spec)[kind]
            np.testing.assert_array_equal(hist[:, g, :], own)


def test_rounded_percentages_by_region_are_exact_at_ties() -> None:
    """Every count 0..n of denominators with many ties (x / n = k + 1/2 percent), counted
    in single precision by region, gives the double-precision histogram (half to even)."""
    trials = np.repeat([200.0, 400.0, 1000.0, 600.0, 65_000.0], [201, 401, 1001, 601, 2])
    values = np.concatenate([np.arange(201), np.arange(401), np.arange(1001), np.arange(601),
                             [32_500.0, 1_300.0]])[None, :].astype(np.float32)
    regions = np.zeros(trials.size, dtype=np.int64)
    by_region = _summarise_by_region(values, trials, _Spec(), regions, 1)["percent"][:, 0]
    np.testing.assert_array_equal(by_region, _percent_hist(values, trials, _Spec()))
    # half to even: 1 of 200 is 0.5% -> 0, 3 of 200 is 1.5% -> 2
    pct = np.rint(100 * np.arange(201) / 200)
    assert pct[1] == 0
    assert pct[3] == 2


@pytest.fixture(scope="module")
def election():
    return simulate_clean(n_tables=6_000, n_regions=4, rng=11)


def test_national_digit_results_do_not_change_with_regions(election) -> None:
    alone = run_forensics(election, seed=3, checks=["digits"], progress=False)
    with_regions = run_forensics(election, by="region", seed=3, checks=["digits"],
                                 progress=False)

    def national(result):
        return [dumps(e.to_dict()) for e in result.entries if e.scope == NATIONAL]

    assert national(alone) == national(with_regions)
    assert len(national(alone)) == 20
    # and they are the digit test's own result with the national generator
    direct = first_digit_test(election, rng=scope_generator(3, NATIONAL, "digits"))
    entry = next(e.result for e in with_regions.entries
                 if e.scope == NATIONAL and e.result.test == "digits.first_digit")
    assert entry.pvalue == direct.pvalue
    assert entry.statistic == direct.statistic


def test_regional_results_say_where_their_null_comes_from(election) -> None:
    result = run_forensics(election, by="region", seed=3, checks=["digits.first_digit"],
                           progress=False)
    regional = [e.result for e in result.entries if e.scope != NATIONAL]
    assert len(regional) == 4
    for r in regional:
        assert r.null.endswith("fitted to all stations)")
        assert r.params["fitted"][0]["fitted_to"] == "all stations"
        assert r.params["fitted"][0]["stations"] == len(election)
        assert r.pvalue_method in ("sequential-monte-carlo", "monte-carlo",
                                   "monte-carlo+fitted-tail")
    assert sum(r.n for r in regional) == next(
        e.result.n for e in result.entries if e.scope == NATIONAL)
    json.loads(dumps(result.to_dict()))


def test_shared_regional_pvalues_agree_with_per_region_redraws(election) -> None:
    """Shared-draw regional p-values against the former per-region fit and redraws, on a
    clean simulated election: they differ by Monte Carlo error (and the small difference
    between a national and a regional fit), so |z| of their difference, with the binomial
    standard error at the redraws each used, stays small."""
    shared = run_forensics(election, by="region", seed=4, checks=["digits"], progress=False)
    by_key = {(e.scope, e.result.test): e.result for e in shared.entries
              if e.scope != NATIONAL and e.calibrated}
    z = []
    options = BatteryOptions(candidate=shared.candidates[0])
    for scope, mask in _regions(election, "region"):
        table = election.subset(mask, name=scope.key)
        for spec in (s for s in registered("digits") if s.calibrated):
            own = _run_one(scope, table, spec, 4, None, options).result  # type: ignore[union-attr]
            other = by_key[(scope.key, spec.name)]
            p = (own.pvalue + other.pvalue) / 2
            se = np.sqrt(p * (1 - p) * (1 / own.n_resamples + 1 / other.n_resamples))
            z.append(0.0 if own.pvalue == other.pvalue
                     else (own.pvalue - other.pvalue) / max(se, 1e-9))
    z = np.abs(np.array(z))
    assert z.size == 40
    assert np.median(z) < 1.5
    assert z.max() < 5.0


def test_shared_draws_refuse_other_sheets(election) -> None:
    codes = np.arange(len(election)) % 3
    shared = NationalDraws(election, codes, 3, region=1)
    with pytest.raises(ValueError, match="not the stations"):
        first_digit_test(election.subset(codes == 2), rng=1, shared=shared)
    with pytest.raises(ValueError, match="every sheet"):
        NationalDraws(election, codes[:-1], 3)
