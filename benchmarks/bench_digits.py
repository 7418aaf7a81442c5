"""Digit tests on national tables: simulation nulls with 999 redraws, and raw speed.

Run: ``python benchmarks/bench_digits.py [STATIONS ...]`` (default 30,000 and 100,000).
Prints wall-clock and CPU seconds (best of 3) for

* one simulation-null digit test (fit + 999 honest redraws + the statistic);
* all ten simulation-null digit tests of the battery (they share one Monte Carlo sample);
* the ten textbook tests;

and, on 1,000,000 counts, the textbook first- and second-digit tests side by side with
``benford_py`` (``pip install benford_py``; skipped when absent). Timings are printed, never
asserted: they depend on the machine and on its load.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable

import numpy as np

from audit.checks import BatteryOptions, DrawCache
from audit.checks import digits as D
from audit.checks.registry import registered
from audit.model import SheetTable
from audit.simulate import simulate_clean


def timed(func: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    """Best wall-clock and CPU seconds over ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def bench_national(stations: int) -> None:
    sheets = simulate_clean(n_tables=stations, n_regions=24, rng=1)
    seeds = iter(range(10_000))  # a fresh seed per run: no memoised redraws reused

    def one() -> None:
        D.second_digit_test(sheets, n_resamples=999, rng=next(seeds))

    def battery(null: bool) -> Callable[[], None]:
        specs = [s for s in registered("digits") if s.calibrated is null]

        def run() -> None:
            seed = next(seeds)
            options = BatteryOptions(n_resamples=999, cache=DrawCache())
            for spec in specs:
                spec.run(sheets, np.random.default_rng(seed), options)
        return run

    for label, func in (("one simulation-null test", one),
                        ("10 simulation-null tests", battery(True)),
                        ("10 textbook tests", battery(False))):
        wall, cpu = timed(func)
        print(f"{stations:>9,} stations, 999 redraws, {label:26s}: {wall:6.2f} s wall, "
              f"{cpu:6.2f} s CPU")


def bench_benford_py(n: int = 1_000_000) -> None:
    try:
        import benford as bf
    except ImportError:
        print("benford_py not installed: comparison skipped (pip install benford_py)")
        return
    import pandas as pd

    rng = np.random.default_rng(2)
    counts = rng.integers(10, 100_000, n)
    sheets = _table(counts)
    series = pd.Series(counts.astype(float))

    def ours() -> None:
        D.first_digit_test(sheets, "A", null="textbook", explain=False)
        D.second_digit_test(sheets, "A", null="textbook", explain=False)

    warnings.filterwarnings("ignore", module="benford")  # pandas attribute warnings

    def theirs() -> None:
        # the same work: digit counts, expected counts, z scores, chi-square and MAD
        bf.first_digits(series, digs=1, verbose=False, MAD=True, chi_square=True,
                        confidence=95, show_plot=False)
        bf.second_digit(series, verbose=False, MAD=True, chi_square=True, confidence=95,
                        show_plot=False)

    w_ours, _ = timed(ours)
    w_theirs, _ = timed(theirs)
    print(f"{n:,} counts, first + second digit tests: election-audit {w_ours:.2f} s, "
          f"benford_py {w_theirs:.2f} s ({w_theirs / w_ours:.1f}x)")


def _table(counts: np.ndarray) -> SheetTable:
    import pandas as pd

    n = counts.size
    frame = pd.DataFrame({
        "center_id": pd.array(np.arange(n).astype(str), dtype="string"),
        "table_id": pd.array(["1"] * n, dtype="string"),
        "valid": counts.astype(np.int64) * 2, "votes_A": counts.astype(np.int64),
        "votes_B": counts.astype(np.int64),
        "source": pd.array(["bench"] * n, dtype="string"),
        "line": np.arange(n, dtype=np.int64)})
    return SheetTable(frame, candidates=("A", "B"), unique_keys_checked=True)


def main(sizes: list[int]) -> None:
    for stations in sizes:
        bench_national(stations)
    bench_benford_py()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [30_000, 100_000])
