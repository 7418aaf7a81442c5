"""Speed of the forensics battery (issue 4: a national table in seconds).

Run: ``python benchmarks/bench_forensics.py [N_RESAMPLES]`` (default 999, the battery's).
Prints wall-clock and CPU seconds of :func:`audit.checks.forensics.run_forensics` with every
registered check, nationally and per top-level region:

* Venezuela 2024, the opposition's V1 sheets (24,532 tables, 24 states), read with the real
  ingest when ``$ELECTION_AUDIT_DATA`` (or ../shared/data) holds them — the case of
  ``election-audit forensics RESULTADOS_2024_CSV_V1.csv --by state``; target < 15 s for the
  whole command (ingest and JSON included, timed too);
* simulated clean tables of 30,000 and 100,000 stations in 10 regions;

and the time taken by each family. Timings are printed, never asserted: they depend on the
machine and its load (CPU time is what a loaded machine inflates least).
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from audit._json import dumps
from audit.checks import BatteryOptions, registry
from audit.checks.forensics import run_forensics
from audit.checks.registry import Runner
from audit.checks.result import CheckResult
from audit.data import load_source
from audit.errors import DataUnavailableError
from audit.model import SheetTable
from audit.simulate import simulate_clean

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ELECTION_AUDIT_DATA", ROOT.parent / "shared" / "data"))


def timed(label: str, func: object) -> object:
    start, cpu = time.perf_counter(), time.process_time()
    out = func()  # type: ignore[operator]
    print(f"  {label}: {time.perf_counter() - start:.2f} s wall, "
          f"{time.process_time() - cpu:.2f} s CPU")
    return out


def by_family(sheets: SheetTable, level: str, n_resamples: int) -> None:
    """Seconds spent in each family's checks (all scopes)."""
    spent: dict[str, float] = defaultdict(float)
    originals = {spec.name: spec.run for spec in registry.registered()}

    def timing(original: Runner, family: str) -> Runner:
        def run(table: SheetTable, rng: np.random.Generator,
                options: BatteryOptions | None = None, /) -> CheckResult:
            start = time.perf_counter()
            try:
                return original(table, rng, options)
            finally:
                spent[family] += time.perf_counter() - start
        return run

    for spec in registry.registered():
        object.__setattr__(spec, "run", timing(spec.run, spec.family))
    try:
        run_forensics(sheets, by=level, seed=1, n_resamples=n_resamples, progress=False)
    finally:
        for spec in registry.registered():
            object.__setattr__(spec, "run", originals[spec.name])
    print("  by family: " + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(spent.items())))


def main() -> None:
    n_resamples = int(sys.argv[1]) if len(sys.argv) > 1 else 999
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}, "
          f"{n_resamples} redraws per Monte Carlo null")
    try:
        ingest = timed("Venezuela V1: ingest",
                       lambda: load_source("venezuela-2024", "opposition-v1", data_dir=DATA,
                                           download=False))
        vz = ingest.sheets  # type: ignore[attr-defined]
        result = timed(f"Venezuela V1 ({len(vz):,} tables): national + by state",
                       lambda: run_forensics(vz, by="state", seed=1, n_resamples=n_resamples,
                                             progress=False))
        timed("  JSON of the result", lambda: dumps(result.to_dict()))  # type: ignore[attr-defined]
        timed("Venezuela V1: national only",
              lambda: run_forensics(vz, seed=1, n_resamples=n_resamples, progress=False))
        by_family(vz, "state", n_resamples)
    except DataUnavailableError as exc:
        print(f"Venezuela V1 skipped: {exc}")
    for n in (30_000, 100_000):
        sim = simulate_clean(n_tables=n, n_regions=10, rng=1)
        timed(f"simulated, {n:,} stations in 10 regions: national + by region",
              lambda sim=sim: run_forensics(sim, by="region", seed=1, n_resamples=n_resamples,
                                            progress=False))


if __name__ == "__main__":
    main()
