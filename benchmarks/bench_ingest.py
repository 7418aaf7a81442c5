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


def main(rows: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheets.csv"
        make_csv(path, rows)
        size = path.stat().st_size / 1e6
        bare, ours = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            pd.read_csv(path)
            bare.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            result = read_sheets(path, profile=PROFILE)
            ours.append(time.perf_counter() - t0)
        assert result.accepted == rows, result.reasons()
        print(f"ingest {rows:,} rows ({size:.0f} MB): pandas.read_csv {min(bare):.2f} s, "
              f"read_sheets {min(ours):.2f} s, ratio {min(ours) / min(bare):.2f} (best of 3)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
