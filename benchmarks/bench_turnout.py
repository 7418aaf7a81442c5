"""Timings of the integer-percentage test and the Klimek fit on a Russia-sized table.

Target (issue 4): the integer-percentage test on Russia 2011 in under 15 s on 2 cores (issue
15 replaced its 1,000 Monte Carlo replicates by the exact binomial null). Uses the real
Russia 2011 table when ``ELECTION_AUDIT_DATA`` (or
../shared/data) holds it, else a simulated table of the same size (95,225 stations).
Run: ``python benchmarks/bench_turnout.py``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from audit.checks.fingerprints import klimek_fit
from audit.checks.turnout import integer_percentages
from audit.data import load_source
from audit.errors import DataUnavailableError
from audit.model import SheetTable
from audit.simulate import simulate_clean, stuff_ballots

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ELECTION_AUDIT_DATA", ROOT.parent / "shared" / "data"))


def russia_or_simulated() -> tuple[SheetTable, str, str]:
    """Russia 2011 through the real ingest (bundled profile) when the data are present."""
    try:
        sheets = load_source("russia-2011", "cec-uik", data_dir=DATA, download=False).sheets
        return sheets, "Russia 2011 Duma", "counted"
    except DataUnavailableError:
        pass
    sim = simulate_clean(n_tables=95_225, rng=1)
    stuffed, _ = stuff_ballots(sim, fraction=0.1, rng=2)
    return stuffed, "simulated (95,225 stations, 10% stuffed)", "valid"


def main() -> None:
    sheets, label, share_of = russia_or_simulated()
    print(f"table: {label}, {len(sheets):,} stations")
    t0 = time.perf_counter()
    r = integer_percentages(sheets, share_of=share_of)
    dt = time.perf_counter() - t0
    row = r.table.set_index("variant").loc["either"]
    print(f"integer percentages, exact binomial null: {dt:.1f} s (n = {r.n:,}, excess "
          f"{row['excess']:.0f}, SD {row['null_sd']:.1f}, p {r.pvalue:.2g})")
    t0 = time.perf_counter()
    fit = klimek_fit(sheets, share_of=share_of, n_bootstrap=0, rng=1)
    one = time.perf_counter() - t0
    print(f"Klimek fit (one fit): {one:.2f} s (f_i {fit.f_i:.3f}, f_e {fit.f_e:.4f}, "
          f"alpha {fit.alpha:.2f})")
    t0 = time.perf_counter()
    fit = klimek_fit(sheets, share_of=share_of, n_bootstrap=20, rng=1)
    tab = fit.table.set_index("parameter")
    print(f"Klimek fit + 20 bootstrap refits: {time.perf_counter() - t0:.1f} s; f_i "
          f"[{tab.loc['f_i', 'low']:.3f}, {tab.loc['f_i', 'high']:.3f}], f_e "
          f"[{tab.loc['f_e', 'low']:.4f}, {tab.loc['f_e', 'high']:.4f}], alpha "
          f"[{tab.loc['alpha', 'low']:.2f}, {tab.loc['alpha', 'high']:.2f}]")


if __name__ == "__main__":
    main()
