"""Ingest of a 1,000,000-row CSV against a bare ``pandas.read_csv`` of the same file.

Target (issue 2): at most 2x the bare read. Run: ``python benchmarks/bench_ingest.py [ROWS]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from audit.ingest import read_sheets

PROFILE = Path(__file__).resolve().parents[1] / "datasets" / "profiles" \
    / "venezuela-2024-opposition-v1.toml"


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A V1-shaped file (same header as the Venezuela opposition CSV V1), synthetic values."""
    rng = np.random.default_rng(seed)
    keys = ["EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]
    re_ = rng.integers(200, 900, rows)
    voters = rng.binomial(re_, 0.6)
    shares = rng.dirichlet([60, 30, 1, 1, 1, 1, 1, 1, 1, 1], rows)
    votes = np.array([rng.multinomial(v, p) for v, p in zip(voters[:1000], shares[:1000],
                                                            strict=True)])
    votes = np.tile(votes, (rows // 1000 + 1, 1))[:rows]
    valid = votes.sum(axis=1)
    state = rng.integers(1, 25, rows)
    frame = pd.DataFrame({
        "COD_EDO": state, "EDO": "EDO. X", "COD_MUN": rng.integers(1, 20, rows), "MUN": "MP. Y",
        "COD_PAR": rng.integers(1, 1100, rows), "PAR": "PQ. Z",
        "CENTRO": np.arange(rows) // 3 + 10000000, "MESA": np.arange(rows) % 3 + 1,
        "RE": np.maximum(re_, valid), "VOTOS_VALIDOS": valid, "VOTOS_NULOS": 0,
        **{k: votes[:, i] for i, k in enumerate(keys)},
        "URL": "https://example.org/acta.jpg"})
    frame.to_csv(path, index=False)


def main(rows: int = 1_000_000, repeats: int = 5) -> None:
    """Time both side by side, interleaved, and report the best of ``repeats`` for each.

    Wall-clock time is what a user waits for; the process CPU time is printed too because it
    is steadier on a shared machine (it includes the SHA-256 of the input, computed in a
    second thread while the file is parsed).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheets.csv"
        make_csv(path, rows)
        size = path.stat().st_size / 1e6
        bare, ours, bare_cpu, ours_cpu = [], [], [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            pd.read_csv(path)
            bare.append(time.perf_counter() - t0)
            bare_cpu.append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            result = read_sheets(path, profile=PROFILE)
            ours.append(time.perf_counter() - t0)
            ours_cpu.append(time.process_time() - c0)
        assert result.accepted == rows, result.reasons()
        print(f"ingest {rows:,} rows ({size:.0f} MB), best of {repeats}: pandas.read_csv "
              f"{min(bare):.2f} s, read_sheets {min(ours):.2f} s, ratio "
              f"{min(ours) / min(bare):.2f} (CPU time: {min(bare_cpu):.2f} s vs "
              f"{min(ours_cpu):.2f} s, ratio {min(ours_cpu) / min(bare_cpu):.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 5)
