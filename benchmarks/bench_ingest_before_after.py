"""Ingest time of two versions of the package side by side, against a bare pandas.read_csv.

Run: ``python benchmarks/bench_ingest_before_after.py BEFORE_SRC [ROWS] [REPEATS]`` where
BEFORE_SRC is a folder holding another version's ``audit/`` (and ``datasets/``), e.g. made
with ``git archive <commit> audit datasets reports | tar -x -C /tmp/before``. The version
of this checkout is "after". Every measurement runs in a fresh process (imports excluded
from the time), the three kinds interleaved, and the best of ``REPEATS`` is reported: on a
shared machine only the ratios measured this way mean something.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
AFTER = HERE.parent

_CHILD = r"""
import json, sys, time
import pandas as pd
what, path, profile = sys.argv[1:4]
if what == "bare":
    t0 = time.perf_counter(); rows = len(pd.read_csv(path)); wall = time.perf_counter() - t0
else:
    from audit.ingest import read_sheets
    t0 = time.perf_counter()
    result = read_sheets(path, profile=profile)
    wall = time.perf_counter() - t0
    rows = result.accepted
print(json.dumps({"wall": wall, "rows": rows}))
"""


def _time(what: str, src: Path, path: Path, profile: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run([sys.executable, "-c", _CHILD, what, str(path), str(profile)],
                          capture_output=True, text=True, check=True, env=env, cwd=src)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["wall"])


def main(before: Path, rows: int, repeats: int) -> None:
    sys.path.insert(0, str(HERE))
    from bench_ingest import PROFILE, make_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheets.csv"
        make_csv(path, rows)
        times: dict[str, list[float]] = {"bare": [], "before": [], "after": []}
        for _ in range(repeats):
            times["bare"].append(_time("bare", AFTER, path, PROFILE))
            times["before"].append(_time("ingest", before, path, PROFILE))
            times["after"].append(_time("ingest", AFTER, path, PROFILE))
    best = {k: min(v) for k, v in times.items()}
    print(f"{rows:,} rows, best of {repeats} (fresh process each): pandas.read_csv "
          f"{best['bare']:.2f} s, before {best['before']:.2f} s, after {best['after']:.2f} s")
    print(f"ratio to read_csv: before {best['before'] / best['bare']:.2f}, after "
          f"{best['after'] / best['bare']:.2f}; after / before "
          f"{best['after'] / best['before']:.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000,
         int(sys.argv[3]) if len(sys.argv) > 3 else 5)
