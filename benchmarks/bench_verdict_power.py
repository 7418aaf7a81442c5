"""How often the default verdict finds ballot stuffing, whichever candidate benefits.

Simulated elections (the project's honest simulator, :class:`audit.simulate.ElectionShape`
synthetic shape: 5,000 tables in centres of 1-5 tables, leader 50%, runner-up 40%) get
ballot stuffing at 5% of tables (:func:`audit.simulate.stuff_ballots`: a share 0.2-0.8 of the
abstainers added as ballots) for the leader or for the runner-up. The default battery
(:func:`audit.forensics.run_forensics`: the candidates that matter, the one multiple-testing
policy) is run nationally, and the share of elections whose verdict is flagged is reported
with a Clopper-Pearson interval, with the flag rate on the same elections left clean.
Only calibrated checks enter the verdict, so the descriptive ones are not run.

Run: ``python benchmarks/bench_verdict_power.py [elections]`` (default 100 per scenario).
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy import stats

from audit.checks.registry import registered
from audit.forensics import run_forensics
from audit.model import SheetTable
from audit.simulate import ElectionShape, simulate, stuff_ballots

FRACTION = 0.05


def election(seed: int, n_tables: int = 5_000) -> SheetTable:
    shape = ElectionShape.synthetic(n_tables=n_tables, shares=(0.5, 0.4, 0.1), rng=seed)
    return simulate(shape, np.random.default_rng(10_000 + seed), name=f"sim{seed}")


def flagged(sheets: SheetTable, seed: int) -> tuple[bool, str]:
    calibrated = [s.name for s in registered() if s.calibrated]
    verdict = run_forensics(sheets, seed=seed, checks=calibrated, progress=False).verdict()
    top = verdict.findings[0] if verdict.findings else None
    return verdict.flagged, f"{top.test} {top.candidate}" if top else ""


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    low = stats.beta.ppf(0.025, k, n - k + 1) if k else 0.0
    high = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return float(low), float(high)


def main(n: int = 100) -> None:
    counts = {"clean": 0, "leader": 0, "runner-up": 0}
    tops: dict[str, dict[str, int]] = {k: {} for k in counts}
    t0 = time.perf_counter()
    for seed in range(n):
        sheets = election(seed)
        order = sorted(sheets.candidates, key=lambda c: -int(sheets.data[f"votes_{c}"].sum()))
        for scenario, beneficiary in (("clean", None), ("leader", order[0]),
                                      ("runner-up", order[1])):
            table = sheets if beneficiary is None else stuff_ballots(
                sheets, fraction=FRACTION, candidate=beneficiary, rng=seed)[0]
            hit, top = flagged(table, seed)
            counts[scenario] += hit
            if top:
                tops[scenario][top] = tops[scenario].get(top, 0) + 1
    elapsed = time.perf_counter() - t0
    print(f"{n} elections of 5,000 tables, stuffing at {FRACTION:.0%} of tables "
          f"({elapsed:.0f} s)")
    for scenario, k in counts.items():
        low, high = clopper_pearson(k, n)
        print(f"  {scenario:10s} flagged {k:4d}/{n} = {k / n:.2f} (95% CI {low:.2f}-{high:.2f});"
              f" strongest finding: {tops[scenario]}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
