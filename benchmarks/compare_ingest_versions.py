"""Ingest time of two versions of the package side by side, against a bare pandas.read_csv.

Run: ``python benchmarks/compare_ingest_versions.py BEFORE_SRC[,OTHER_SRC...] [ROWS]
[REPEATS]`` where each BEFORE_SRC is a folder holding another version's ``audit/`` (and
``datasets/``), e.g. made with ``git archive <commit> audit datasets reports | tar -x -C
/tmp/before``. The version of this checkout is "after". Every measurement runs in a fresh
process (imports excluded from the time), the kinds interleaved, and the best of
``REPEATS`` is reported, as wall-clock and as process CPU time (steadier on a shared
machine): only the ratios measured this way mean something.

With ``--cli`` (and ``ROWS`` a comma-separated list of sizes), each version's whole command
``election-audit ingest FILE`` runs as a process instead (imports included, bytecode cached
as in ``bench_ingest_cli.py``), beside a bare ``python -c "import pandas;
pandas.read_csv(FILE)"``: the medians, bests, CPU and peak memory of each, per size.
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
    t0, c0 = time.perf_counter(), time.process_time()
    rows = len(pd.read_csv(path))
else:
    from audit.ingest import read_sheets
    t0, c0 = time.perf_counter(), time.process_time()
    rows = read_sheets(path, profile=profile).accepted
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "rows": rows}))
"""


def _time(what: str, src: Path, path: Path, profile: Path) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run([sys.executable, "-c", _CHILD, what, str(path), str(profile)],
                          capture_output=True, text=True, check=True, env=env, cwd=src)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return float(out["wall"]), float(out["cpu"])


def main(befores: list[Path], rows: int, repeats: int) -> None:
    sys.path.insert(0, str(HERE))
    from bench_ingest import PROFILE, make_csv

    sources = {**{f"before ({b.name})": b for b in befores}, "after": AFTER}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheets.csv"
        make_csv(path, rows)
        times: dict[str, list[tuple[float, float]]] = {"bare": [], **{k: [] for k in sources}}
        for _ in range(repeats):
            times["bare"].append(_time("bare", AFTER, path, PROFILE))
            for label, src in sources.items():
                times[label].append(_time("ingest", src, path, PROFILE))
    for i, kind in enumerate(("wall-clock", "CPU")):
        best = {k: min(t[i] for t in v) for k, v in times.items()}
        print(f"{rows:,} rows, {kind} time, best of {repeats} (fresh process each, "
              f"interleaved): pandas.read_csv {best['bare']:.2f} s; "
              + "; ".join(f"{k} {best[k]:.2f} s (ratio {best[k] / best['bare']:.2f})"
                          for k in sources))
        for label in sources:
            if label != "after":
                print(f"  after / {label}: {best['after'] / best[label]:.2f}")


def main_cli(befores: list[Path], sizes: list[int], repeats: int) -> None:
    """The commands of every version, as processes, beside a bare read_csv (module doc)."""
    sys.path.insert(0, str(HERE))
    from bench_ingest import make_csv
    from bench_ingest_cli import bytecode_env, compare

    sources = {**{f"before ({b.name})": b for b in befores}, "after": AFTER}
    with tempfile.TemporaryDirectory() as tmp:
        env = bytecode_env(Path(tmp) / "pycache")
        for rows in sizes:
            path = Path(tmp) / f"sheets-{rows}.csv"
            make_csv(path, rows)
            print(f"{rows:,} rows, {path.stat().st_size / 1e6:.0f} MB (V1 layout); load "
                  f"average {os.getloadavg()[0]:.1f}")
            runs = {"read_csv": [sys.executable, "-c",
                                 f"import pandas; pandas.read_csv({str(path)!r})"]}
            for label, src in sources.items():  # -P: the tree on PYTHONPATH, not the cwd
                runs[label] = ["env", f"PYTHONPATH={src}", sys.executable, "-P", "-c",
                               "from audit.cli import main; main()", "ingest", str(path)]
            compare(runs, repeats, base="read_csv", env=env)
            print()
            path.unlink()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--cli"]
    if "--cli" in sys.argv:
        main_cli([Path(p) for p in args[0].split(",")],
                 [int(r) for r in args[1].split(",")] if len(args) > 1 else [1_000_000],
                 int(args[2]) if len(args) > 2 else 5)
    else:
        main([Path(p) for p in args[0].split(",")],
             int(args[1]) if len(args) > 1 else 1_000_000,
             int(args[2]) if len(args) > 2 else 5)
