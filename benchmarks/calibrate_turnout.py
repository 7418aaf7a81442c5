"""Calibration and power of the turnout and fingerprint checks on simulated elections.

For every registered check of the ``turnout`` and ``fingerprints`` families that is ``fast``
(and, with ``--slow``, the others), run it on N simulated clean elections
(:func:`audit.simulate.simulate_clean`) and on the same elections with ballot stuffing at 5%
of tables (:func:`audit.simulate.stuff_ballots`), and report the rejection rate at alpha 0.05
with a 95% Wilson interval. Calibrated checks should reject 2–8% of clean elections.

Run: ``python benchmarks/calibrate_turnout.py [N] [--slow]`` (default N = 200).
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy import stats

from audit._random import spawn
from audit.checks import registry
from audit.simulate import simulate_clean, stuff_ballots

ALPHA = 0.05


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return (float("nan"), float("nan"))
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return (centre - half, centre + half)


def main(n: int = 200, slow: bool = False, n_tables: int = 3_000) -> None:
    specs = [s for fam in ("turnout", "fingerprints") for s in registry.registered(fam)
             if (s.fast or slow)]
    clean_hits = {s.name: 0 for s in specs}
    stuffed_hits = {s.name: 0 for s in specs}
    tested = {s.name: 0 for s in specs}
    start = time.perf_counter()
    for i, gen in enumerate(spawn(20240728, n)):
        seeds = spawn(gen, 4)
        sim = simulate_clean(n_tables=n_tables, rng=seeds[0])
        stuffed, _ = stuff_ballots(sim, fraction=0.05, rng=seeds[1])
        for spec in specs:
            a = spec.run(sim, seeds[2])
            if a.pvalue is None:
                continue
            b = spec.run(stuffed, seeds[3])
            tested[spec.name] += 1
            clean_hits[spec.name] += int(a.pvalue < ALPHA)
            stuffed_hits[spec.name] += int(b.pvalue is not None and b.pvalue < ALPHA)
        if (i + 1) % 25 == 0:
            print(f"  {i + 1}/{n} elections, {time.perf_counter() - start:.0f} s",
                  file=sys.stderr)
    print(f"{n} simulated elections of {n_tables:,} tables; stuffing at 5% of tables "
          f"(20–80% of abstainers); alpha = {ALPHA}")
    print(f"{'check':34s} {'calibrated':>10s} {'FPR':>6s} {'95% CI':>15s} {'power':>6s}")
    for spec in specs:
        m = tested[spec.name]
        if m == 0:
            print(f"{spec.name:34s} {'(no p-value: descriptive)':>40s}")
            continue
        lo, hi = wilson(clean_hits[spec.name], m)
        print(f"{spec.name:34s} {spec.calibrated!s:>10s} {clean_hits[spec.name] / m:6.3f} "
              f"[{lo:.3f}, {hi:.3f}] {stuffed_hits[spec.name] / m:6.3f}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 200, slow="--slow" in sys.argv)
