"""Calibration of the digit tests on simulated clean elections (small version).

The full study (200 elections x 5,000 tables, every calibrated check, band [0.02, 0.08] per
check) is ``nox -s calibrate``; its results are in docs/calibration.md. Here 40 elections
of 1,500 tables keep the suite fast: the band is wider, but it still fails a miscalibrated
test (the textbook first-digit test, shown below, rejects nearly every clean election).
"""

from __future__ import annotations

import pytest

from audit.checks._calibration import calibrate, simulated_election, wilson_interval
from audit.checks.registry import get, registered

ELECTIONS = 40


@pytest.fixture(scope="module")
def digit_rates():
    specs = [s for s in registered("digits") if s.calibrated]
    result = calibrate(specs, n_elections=ELECTIONS, n_tables=1_500, n_resamples=99, rng=7)
    return result.rates()


def test_pooled_false_positive_rate(digit_rates) -> None:
    # 10 tests x 40 elections; p-values of one election are correlated, so the pooled rate
    # has an SD of about 0.015 around 0.05
    pooled = digit_rates["rejections"].sum() / digit_rates["elections"].sum()
    assert 0.015 <= pooled <= 0.10, digit_rates


def test_no_single_test_is_liberal(digit_rates) -> None:
    # P(Binomial(40, 0.05) >= 9) = 0.0001: a calibrated test almost never exceeds 8/40
    assert (digit_rates["rejections"] <= 8).all(), digit_rates
    assert (digit_rates["mean_pvalue"] > 0.35).all(), digit_rates


def test_the_band_fails_a_miscalibrated_test() -> None:
    result = calibrate([get("digits.first_digit.textbook")], n_elections=10, n_tables=1_500,
                       n_resamples=19, rng=7)
    assert result.rates()["rate"].iloc[0] >= 0.9


def test_wilson_interval() -> None:
    # Wilson (1927) score interval, e.g. 10 of 200 at 95%: [0.0274, 0.0897]
    low, high = wilson_interval(10, 200)
    assert low == pytest.approx(0.0274, abs=5e-4)
    assert high == pytest.approx(0.0897, abs=5e-4)


def test_simulated_elections_vary() -> None:
    import numpy as np

    a, pa = simulated_election(300, np.random.default_rng(1))
    b, pb = simulated_election(300, np.random.default_rng(2))
    assert pa != pb
    assert len(a) == len(b) == 300
