"""The forensics battery before and after issue 15, side by side on the same machine.

Issue 15 changed how the battery computes its p-values (exact and saddlepoint tails,
sequential Monte Carlo that stops early where p is clearly large) and what it runs (the
candidates that matter). This script times :func:`audit.checks.forensics.run_forensics` with its
default options (every registered check, nationally and per top-level region, seed 1) in two
source trees — this checkout and an older one, by default the commit before issue 15
(:data:`BEFORE`), checked out for the run as a temporary ``git worktree`` outside the
repository and removed afterwards; or any tree given with ``--before PATH``::

    python benchmarks/bench_battery_before_after.py [--before PATH]

on Russia 2011 (95,225 stations, through each tree's own ingest) and on a simulated election
of 1,000,000 stations (generated once by this checkout and read by both trees from a Parquet
file). Each run is a fresh subprocess whose ``PYTHONPATH`` is the tree; runs alternate
(after, before, after, before ...) so that both see the same machine load, and the ratio of
CPU seconds is reported (wall-clock seconds are printed too, but a loaded machine inflates
them). Nothing is asserted.

Options: ``--repeat N`` (default 1), ``--skip-russia``, ``--skip-1m``, ``--national-1m``
(the 1M-station file nationally only); other arguments (``nox -s bench -- 999``) are
ignored.

Measured (2 cores shared with other jobs, load average 5-8; one run each, CPU seconds):

======================================  =======  =======  =====  ===========================
input                                   after    before   ratio  note
======================================  =======  =======  =====  ===========================
Russia 2011, national + 83 regions      39.0 s   53.3 s   0.73   3,146 results each
1,000,000 stations, national            97.2 s   122.4 s  0.79   46 results against 38
1,000,000 stations, national + 10       159.7 s  226.2 s  0.71   496 against 408; peak
regions                                                          memory 1.06 GB / 0.94 GB
======================================  =======  =======  =====  ===========================

"After" runs the per-candidate checks for two candidates on the simulated file (leader 50%,
runner-up 35%), hence more results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: The commit before issue 15.
BEFORE = "11827b9"
DATA = Path(os.environ.get("ELECTION_AUDIT_DATA", ROOT.parent / "shared" / "data"))

#: Run in each tree's interpreter: load the input, run the battery, print one JSON line.
RUNNER = r"""
import json, resource, sys, time
import pandas as pd
from audit.checks.forensics import run_forensics
from audit.model import SheetTable
kind, path, by = sys.argv[1], sys.argv[2], sys.argv[3]
if kind == "russia":
    from audit.data import load_source
    sheets = load_source("russia-2011", "cec-uik", data_dir=path, download=False).sheets
else:
    meta = json.load(open(path + ".json"))
    sheets = SheetTable(pd.read_parquet(path), candidates=meta["candidates"],
                        levels=meta["levels"], unique_keys_checked=True)
level = None if by == "none" else sheets.levels[0]
wall, cpu = time.perf_counter(), time.process_time()
result = run_forensics(sheets, by=level, seed=1, progress=False)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
flags = sum(1 for e in result.entries if e.scope == "national" and e.calibrated
            and e.result.pvalue_adjusted is not None and e.result.pvalue_adjusted < 0.05)
print(json.dumps({"wall": wall, "cpu": cpu, "entries": len(result.entries),
                  "national_flags": flags,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def simulated_file(folder: Path, n_tables: int = 1_000_000) -> Path:
    """A simulated clean election written as Parquet (canonical columns) plus its metadata."""
    from audit.simulate import ElectionShape, simulate

    path = folder / f"sim{n_tables}.parquet"
    shape = ElectionShape.synthetic(n_tables=n_tables, rng=1)
    sheets = simulate(shape, np.random.default_rng(2), name=f"sim{n_tables}")
    sheets.data.to_parquet(path)
    (folder / (path.name + ".json")).write_text(json.dumps(
        {"candidates": list(sheets.candidates), "levels": list(sheets.levels)}))
    return path


def run(tree: Path, kind: str, path: Path, by: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", RUNNER, kind, str(path), by], env=env,
                          capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="source tree of the older version "
                                                    f"(default: a worktree of {BEFORE})")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-russia", action="store_true")
    parser.add_argument("--skip-1m", action="store_true")
    parser.add_argument("--national-1m", action="store_true")
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = args.before
        if before is None:
            before = Path(tmp) / "before"
            added = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach",
                                    str(before), BEFORE], capture_output=True, text=True)
            if added.returncode:
                print(f"skipped: cannot check out {BEFORE} ({added.stderr.strip()})")
                return
        try:
            compare(ROOT, before.resolve(), Path(tmp), args)
        finally:
            if args.before is None:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(before)], capture_output=True)


def compare(after: Path, before: Path, tmp: Path, args: argparse.Namespace) -> None:
    trees = {"after": after, "before": before}
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}; after = {after}, "
          f"before = {before}")
    inputs = []
    if not args.skip_russia and \
            (DATA / "russia_federal_elections_shpilkin" / "2011.csv").exists():
        inputs.append(("Russia 2011, national + 83 regions", "russia", DATA, "region"))
    if not args.skip_1m:
        path = simulated_file(tmp)
        inputs.append((f"simulated 1,000,000 stations, national"
                       f"{'' if args.national_1m else ' + 10 regions'}", "sim", path,
                       "none" if args.national_1m else "region"))
    for label, kind, path, by in inputs:
        times: dict[str, list[dict[str, float]]] = {"after": [], "before": []}
        for _ in range(args.repeat):
            for name in ("after", "before"):
                times[name].append(run(trees[name], kind, path, by))
        print(label)
        for name, rows in times.items():
            cpu = min(r["cpu"] for r in rows)
            wall = min(r["wall"] for r in rows)
            print(f"  {name:6s} CPU {cpu:7.1f} s, wall {wall:7.1f} s, peak memory "
                  f"{max(r['max_rss_mb'] for r in rows):6.0f} MB, {rows[0]['entries']} "
                  f"results, {rows[0]['national_flags']} calibrated national flags")
        ratio = min(r["cpu"] for r in times["after"]) / min(r["cpu"] for r in times["before"])
        print(f"  after / before CPU: {ratio:.2f}")


if __name__ == "__main__":
    main()
