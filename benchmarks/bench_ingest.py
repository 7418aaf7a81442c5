"""Ingest of a 1,000,000-row CSV against a bare ``pandas.read_csv`` of the same file.

Target (issue 2): at most 2x the bare read. Run: ``python benchmarks/bench_ingest.py [ROWS]``.

Two generators of V1-layout files (the header of the Venezuela opposition CSV V1, read by the
bundled profile): :func:`make_csv`, fast and unnatural (1,000 vote vectors tiled, registered
voters independent of the votes: every digit and turnout test rejects, the worst case of the
battery's sequential Monte Carlo), and :func:`make_honest_csv`, an honest national election
drawn by the project's simulator (``docs/simulate.md``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from audit.ingest import read_sheets
from audit.simulate import ElectionShape, simulate

PROFILE = Path(__file__).resolve().parents[1] / "datasets" / "profiles" \
    / "venezuela-2024-opposition-v1.toml"


#: The candidate columns of the V1 layout, in the file's order.
KEYS = ("EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA")
#: National shares of the honest election, in the order of :data:`KEYS` (a contested race:
#: two large candidates, eight small ones).
HONEST_SHARES = (0.52, 0.38, 0.03, 0.02, 0.015, 0.01, 0.008, 0.007, 0.005, 0.005)


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """A V1-shaped file (same header as the Venezuela opposition CSV V1), synthetic values."""
    rng = np.random.default_rng(seed)
    keys = list(KEYS)
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


def honest_shape(rows: int, seed: int = 1) -> ElectionShape:
    """The shape of :func:`make_honest_csv`: 24 states of about 14 municipalities of about 4
    parishes each (random layers below the states, log-normal unit sizes), centres of 1-10
    tables (equally likely), station sizes log-normal around 450 registered voters (clipped to
    50-1,200), Beta concentrations 400 (municipalities), 100 (parishes), 400 (centres) and
    250 (tables), turnout falling with station size (logit slope -0.2) and correlated with
    the leader's share (-0.2 between parishes, -0.3 between centres), 1% null votes: sizes,
    turnout, concentrations, size effect and correlations inside the ranges ``calibrate
    --varied`` draws from (more units per level and more candidates than it draws)."""
    return ElectionShape.synthetic(
        n_tables=rows, shares=HONEST_SHARES, candidates=KEYS, n_regions=24,
        levels=("state", "municipality", "parish"), subregions_per_region=(14, 4),
        tables_per_center=(0.1,) * 10, turnout=0.6, size_median=450, size_max=1200,
        concentration=(400.0, 100.0, 400.0, 250.0), correlation=(0.0, -0.2, -0.3, 0.0),
        size_effect=-0.2, null_rate=0.01, rng=np.random.default_rng([seed, 0]))


def make_honest_csv(path: Path, rows: int, seed: int = 1) -> None:
    """An honest national election of ``rows`` tables in the V1 layout (same header as
    :func:`make_csv`), drawn by :func:`audit.simulate.simulate` from :func:`honest_shape`;
    the same ``rows`` and ``seed`` give the same file.

    Codes follow the V1 file: ``COD_EDO`` 1-24, ``COD_MUN`` numbered within its state,
    ``COD_PAR`` a national serial, ``CENTRO`` a national serial from 10,000,001 and ``MESA``
    the table's number in its centre; ``RE`` registered, ``VOTOS_VALIDOS`` and
    ``VOTOS_NULOS`` as simulated (turnout = (valid + null) / registered).
    """
    sheets = simulate(honest_shape(rows, seed), np.random.default_rng([seed, 1])).data
    state = pd.factorize(sheets["region_state_code"])[0] + 1
    mun = pd.factorize(sheets["region_municipality_code"])[0]
    mun = mun - pd.Series(mun).groupby(state).transform("min").to_numpy() + 1
    parish = pd.factorize(sheets["region_parish_code"])[0] + 1
    centre = pd.factorize(sheets["center_id"])[0] + 10_000_001
    frame = pd.DataFrame({
        "COD_EDO": state, "EDO": np.array([f"EDO. {s:02d}" for s in range(25)])[state],
        "COD_MUN": mun, "MUN": "MP. Y", "COD_PAR": parish, "PAR": "PQ. Z",
        "CENTRO": centre, "MESA": sheets["table_id"].astype(int),
        "RE": sheets["registered"], "VOTOS_VALIDOS": sheets["valid"],
        "VOTOS_NULOS": sheets["null"],
        **{k: sheets[f"votes_{k}"] for k in KEYS},
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
