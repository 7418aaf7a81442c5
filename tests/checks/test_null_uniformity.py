"""How uniform are the digit tests' p-values when the counts follow the honest model itself?

The simulation null (:mod:`audit.checks.null`) is an empirical-Bayes plug-in: the local
shares and the overdispersion ``kappa`` are estimated from the same stations it tests, so its
p-values are approximately, not exactly, uniform on honest counts. This measures it: 200 small
elections (60 polling centres of 5 tables) are drawn from the model the null assumes —
centre shares ``Beta`` around the national share, station shares ``Beta`` around their
centre's, binomial counts — and each is tested against 99 honest redraws. The rank of the
observed statistic among its redraws, ``(k + 1) / 100``, must look uniform: the
Kolmogorov–Smirnov distance over 200 elections stays below its 1% critical value
(1.63 / sqrt(200) = 0.115; the grid of 1/100 adds at most 0.01), and the rejection rate at
0.05 lies in its 99% binomial range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from audit.checks import digits as D
from audit.checks.pvalues import monte_carlo_pvalue
from audit.model import SheetTable

ELECTIONS = 200
CENTRES, TABLES = 60, 5


def _honest_election(rng: np.random.Generator) -> SheetTable:
    n = CENTRES * TABLES
    valid = rng.integers(150, 700, n)
    centre = np.repeat(np.arange(CENTRES), TABLES)
    centre_share = rng.beta(0.55 * 60, 0.45 * 60, CENTRES)[centre]
    kappa = 300.0
    share = rng.beta(kappa * centre_share, kappa * (1 - centre_share))
    a = rng.binomial(valid, share)
    data = pd.DataFrame({
        "region_region_code": pd.array(["R1"] * n, dtype="string"),
        "center_id": pd.array([f"C{c:03d}" for c in centre], dtype="string"),
        "table_id": pd.array([str(i % TABLES) for i in range(n)], dtype="string"),
        "valid": valid.astype(np.int64), "votes_A": a.astype(np.int64),
        "votes_B": (valid - a).astype(np.int64),
        "source": pd.array(["model"] * n, dtype="string"), "line": np.arange(2, n + 2)})
    return SheetTable(data, candidates=("A", "B"), levels=("region",))


def test_honest_model_pvalues_are_approximately_uniform() -> None:
    rng = np.random.default_rng(20240728)
    ranks: dict[str, list[float]] = {"last": [], "second": []}
    for i in range(ELECTIONS):
        sheets = _honest_election(rng)
        for kind, test in (("last", D.last_digit_test), ("second", D.second_digit_test)):
            result = test(sheets, "A", n_resamples=99, rng=i, explain=False)
            assert result.null_distribution is not None
            assert result.null_distribution.size == 99  # one batch: every redraw kept
            ranks[kind].append(monte_carlo_pvalue(result.null_distribution,
                                                  float(result.statistic)))
    for kind, values in ranks.items():
        p = np.array(values)
        ks = stats.kstest(p, "uniform")
        assert ks.statistic < 0.115 + 0.01, (kind, ks.statistic, p.mean())
        # P(X <= 20) >= 0.99 for X ~ Binomial(200, 0.05) (and >= 2 with probability 0.997)
        assert 1 <= int((p <= 0.05).sum()) <= 20, (kind, (p <= 0.05).sum())
