"""Cross-source comparison of two synthetic sources of 30,000 to 1,000,000 tables.

Target (issue 4): vectorised matching, seconds for a national election. Each source has 10
candidates, a state level, 2% of its tables missing from the other and 1% of the matched
tables with a discrepancy. Run: ``python benchmarks/bench_compare.py [ROWS ...]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from audit.checks.crosscheck import compare_sources, lower_bound_check
from audit.model import SheetTable

KEYS = ["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]


def make_pair(rows: int, seed: int = 1) -> tuple[SheetTable, SheetTable]:
    rng = np.random.default_rng(seed)
    centre = np.arange(rows) // 3 + 10_000_000
    votes = rng.poisson([250, 120, 3, 1, 1, 2, 1, 1, 1, 1], size=(rows, len(KEYS)))
    state = (centre % 24 + 1).astype(str)

    def frame(mask: np.ndarray, v: np.ndarray, name: str) -> SheetTable:
        n = int(mask.sum())
        data = pd.DataFrame({
            "region_state_code": pd.array(state[mask], dtype="string"),
            "center_id": pd.array(centre[mask].astype(str), dtype="string"),
            "table_id": pd.array((np.arange(rows) % 3 + 1)[mask].astype(str), dtype="string"),
            "valid": v[mask].sum(axis=1).astype(np.int64),
            **{f"votes_{k}": v[mask][:, i].astype(np.int64) for i, k in enumerate(KEYS)},
            "source": pd.array([name] * n, dtype="string"),
            "line": np.arange(2, n + 2, dtype=np.int64),
        })
        return SheetTable(data, candidates=KEYS, levels=("state",), name=name,
                          unique_keys_checked=True)

    in_a = rng.random(rows) > 0.02
    in_b = rng.random(rows) > 0.02
    other = votes.copy()
    changed = rng.random(rows) < 0.01
    other[changed, 1] += rng.integers(1, 4, changed.sum())
    # B in another order than A, as two independent files would be
    a = frame(in_a, votes, "a")
    b_full = frame(np.ones(rows, dtype=bool), other, "b").subset(in_b)
    b = SheetTable(b_full.data.iloc[rng.permutation(len(b_full))].reset_index(drop=True),
                   candidates=KEYS, levels=("state",), name="b", unique_keys_checked=True)
    return a, b


def main(sizes: list[int]) -> None:
    for rows in sizes:
        a, b = make_pair(rows)
        best_cmp, best_lb = np.inf, np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            res = compare_sources(a, b)
            best_cmp = min(best_cmp, time.perf_counter() - t0)
            t0 = time.perf_counter()
            lower_bound_check(b, a)
            best_lb = min(best_lb, time.perf_counter() - t0)
        print(f"{rows:>9,} tables: compare_sources {best_cmp:.2f} s "
              f"({res.n_matched:,} matched, {res.n_matched - res.n_agree:,} differ, "
              f"{len(res.discrepancies):,} discrepancies); lower_bound_check {best_lb:.2f} s "
              f"(best of 3)")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [30_000, 300_000, 1_000_000])
