"""How often the default verdict finds ballot stuffing, whichever candidate benefits.

Simulated elections (the project's honest simulator, :class:`audit.simulate.ElectionShape`
synthetic shape: 5,000 tables in centres of 1-5 tables, leader 50%, runner-up 40%) get
ballot stuffing at 5% of tables (:func:`audit.simulate.stuff_ballots`: a share 0.2-0.8 of the
abstainers added as ballots) for the leader or for the runner-up. The default battery
(:func:`audit.checks.forensics.run_forensics`: the candidates that matter, the one multiple-testing
policy) is run nationally, and the share of elections whose verdict is flagged is reported
with a Clopper-Pearson interval, with the flag rate on the same elections left clean.
Only calibrated checks enter the verdict, so the descriptive ones are not run.

With ``--layered`` every election gets its own *layered* synthetic shape instead
(:class:`audit.simulate.calibrate.ShapeSampler` with ``layered=True``, the shapes of
``docs/calibration-layered.md``: region > sub-region > municipality > centre > table,
municipalities that differ in turnout and leaning, leader 35-65% against one to three
others), so the power is measured where the corner test ranks within local areas.

Run: ``python benchmarks/bench_verdict_power.py [elections] [--layered] [--tables N]``
(default 100 per scenario, 5,000 tables).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from audit.checks.forensics import run_forensics
from audit.checks.registry import registered
from audit.model import SheetTable
from audit.simulate import ElectionShape, simulate, stuff_ballots
from audit.simulate.calibrate import ShapeSampler

FRACTION = 0.05


def election(seed: int, n_tables: int = 5_000, layered: bool = False) -> SheetTable:
    if layered:
        shape = ShapeSampler(n_tables=n_tables, layered=True).draw(np.random.default_rng(seed))
    else:
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


def main(n: int = 100, n_tables: int = 5_000, layered: bool = False) -> None:
    counts = {"clean": 0, "leader": 0, "runner-up": 0}
    tops: dict[str, dict[str, int]] = {k: {} for k in counts}
    runner_up_shares = []
    t0 = time.perf_counter()
    for seed in range(n):
        sheets = election(seed, n_tables, layered)
        totals = {c: int(sheets.data[f"votes_{c}"].sum()) for c in sheets.candidates}
        order = sorted(sheets.candidates, key=lambda c: -totals[c])
        runner_up_shares.append(totals[order[1]] / sum(totals.values()))
        for scenario, beneficiary in (("clean", None), ("leader", order[0]),
                                      ("runner-up", order[1])):
            table = sheets if beneficiary is None else stuff_ballots(
                sheets, fraction=FRACTION, candidate=beneficiary, rng=seed)[0]
            hit, top = flagged(table, seed)
            counts[scenario] += hit
            if top:
                tops[scenario][top] = tops[scenario].get(top, 0) + 1
    elapsed = time.perf_counter() - t0
    shares = np.quantile(runner_up_shares, [0.0, 0.5, 1.0])
    print(f"{n} {'layered ' if layered else ''}elections of {n_tables:,} tables, stuffing at "
          f"{FRACTION:.0%} of tables ({elapsed:.0f} s); runner-up's share of the valid votes "
          f"min {shares[0]:.2f}, median {shares[1]:.2f}, max {shares[2]:.2f}")
    for scenario, k in counts.items():
        low, high = clopper_pearson(k, n)
        print(f"  {scenario:10s} flagged {k:4d}/{n} = {k / n:.2f} (95% CI {low:.2f}-{high:.2f});"
              f" strongest finding: {tops[scenario]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("elections", nargs="?", type=int, default=100)
    parser.add_argument("--tables", type=int, default=5_000)
    parser.add_argument("--layered", action="store_true")
    args = parser.parse_args()
    main(args.elections, args.tables, args.layered)
