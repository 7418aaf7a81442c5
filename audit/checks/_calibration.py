"""False-positive rates of registered checks on simulated clean elections.

A check is *calibrated* when, on honest elections like the one analysed, it rejects at level
alpha about alpha of the time. :func:`calibrate` runs registered checks on ``n_elections``
elections from :func:`audit.simulate.simulate_clean` whose parameters vary from election to
election (station sizes, number of candidates and their shares, regional and station
heterogeneity, turnout; ranges in :data:`PARAMETER_RANGES`), and reports for each check the
share of p-values below alpha with a Wilson 95% interval. The full study runs as
``nox -s calibrate`` (``scripts/calibrate_checks.py``); the test suite runs a small version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from audit._random import RNGLike
from audit.checks._options import battery_options
from audit.checks.registry import CheckSpec, registered
from audit.model import SheetTable

#: Ranges (uniform, or log-uniform for sizes) of the simulated clean elections.
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "size_median": (120.0, 700.0),       # registered voters per table, log-uniform
    "size_sigma": (0.2, 0.6),
    "turnout": (0.45, 0.8),
    "leader_share": (0.35, 0.65),
    "n_regions": (5, 30),
    "region_concentration": (60.0, 400.0),
    "station_concentration": (80.0, 600.0),
}


def simulated_election(n_tables: int, rng: np.random.Generator) -> tuple[SheetTable,
                                                                         dict[str, Any]]:
    """One clean election with parameters drawn from :data:`PARAMETER_RANGES`."""
    from audit.simulate import simulate_clean

    r = PARAMETER_RANGES
    lo, hi = np.log(r["size_median"][0]), np.log(r["size_median"][1])
    leader = rng.uniform(*r["leader_share"])
    others = rng.dirichlet(np.full(int(rng.integers(1, 4)), 3.0)) * (1 - leader)
    params: dict[str, Any] = {
        "size_median": float(np.exp(rng.uniform(lo, hi))),
        "size_sigma": float(rng.uniform(*r["size_sigma"])),
        "turnout": float(rng.uniform(*r["turnout"])),
        "shares": [float(leader), *map(float, others)],
        "n_regions": int(rng.integers(int(r["n_regions"][0]), int(r["n_regions"][1]) + 1)),
        "region_concentration": float(rng.uniform(*r["region_concentration"])),
        "station_concentration": float(rng.uniform(*r["station_concentration"])),
    }
    sheets = simulate_clean(n_tables=n_tables, shares=params["shares"],
                            n_regions=params["n_regions"], turnout=params["turnout"],
                            size_median=params["size_median"],
                            size_sigma=params["size_sigma"],
                            region_concentration=params["region_concentration"],
                            station_concentration=params["station_concentration"],
                            size_min=20, rng=rng)
    return sheets, params


@dataclass(frozen=True)
class CalibrationResult:
    """p-values of each check on each simulated election, and their rejection rates."""

    pvalues: pd.DataFrame  # one row per (election, test): election, test, pvalue
    alpha: float
    n_tables: int
    n_resamples: int

    def rates(self) -> pd.DataFrame:
        """Per test: elections, rejections, rate, Wilson 95% interval, KS p of uniformity."""
        rows = []
        for test, group in self.pvalues.groupby("test", sort=True):
            p = group["pvalue"].dropna().to_numpy(float)
            k = int(np.sum(p <= self.alpha))  # a level-alpha test rejects when p <= alpha
            low, high = wilson_interval(k, p.size)
            rows.append({"test": test, "elections": int(p.size), "rejections": k,
                         "rate": k / p.size if p.size else float("nan"),
                         "ci_low": low, "ci_high": high,
                         "mean_pvalue": float(p.mean()) if p.size else float("nan")})
        return pd.DataFrame(rows, columns=["test", "elections", "rejections", "rate",
                                           "ci_low", "ci_high", "mean_pvalue"])


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n``."""
    if n == 0:
        return float("nan"), float("nan")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    phat = k / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def calibrate(specs: Sequence[CheckSpec] | None = None, *, n_elections: int = 200,
              n_tables: int = 5_000, n_resamples: int = 199, alpha: float = 0.05,
              rng: RNGLike = 0,
              progress: Callable[[int], None] | None = None) -> CalibrationResult:
    """Run calibrated checks on simulated clean elections and collect their p-values.

    Parameters
    ----------
    specs
        Checks to calibrate (default: every registered check with ``calibrated=True`` and
        ``fast=True``).
    n_elections, n_tables
        Number of simulated elections and tables in each.
    n_resamples
        Monte Carlo redraws per simulation null (the smallest p-value is 1 / (R + 1)).
    alpha
        Level at which a p-value counts as a rejection.
    rng
        Seed: election ``i`` and the checks run on it use child streams ``i`` of it.
    progress
        Called with the number of elections done.
    """
    if specs is None:
        specs = [s for s in registered() if s.calibrated and s.fast]
    seq = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(
        rng if isinstance(rng, int) or rng is None else int(rng.integers(2**63)))
    rows = []
    for i, child in enumerate(seq.spawn(n_elections)):
        sim_seq, check_seq = child.spawn(2)
        sheets, _ = simulated_election(n_tables, np.random.default_rng(sim_seq))
        family_seeds: dict[str, np.random.SeedSequence] = {}
        with battery_options(n_resamples=n_resamples):
            for spec in specs:
                if spec.family not in family_seeds:
                    family_seeds[spec.family] = check_seq.spawn(1)[0]
                # checks of one family share the generator state (and so their redraws)
                gen = np.random.default_rng(family_seeds[spec.family])
                if any(not sheets.has(c) for c in spec.needs):
                    continue
                try:
                    result = spec.run(sheets, gen)
                except ValueError:
                    continue
                rows.append({"election": i, "test": spec.name, "pvalue": result.pvalue})
        if progress is not None:
            progress(i + 1)
    return CalibrationResult(pd.DataFrame(rows, columns=["election", "test", "pvalue"]),
                             alpha=alpha, n_tables=n_tables, n_resamples=n_resamples)
