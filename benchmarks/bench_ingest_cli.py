"""CLI ingest against a bare ``pandas.read_csv`` process, on the same 1M-row V1-layout file.

Target (issue 14): ``election-audit ingest FILE`` at most 1.5x ``python -c "import pandas;
pandas.read_csv(FILE)"``. Both run as fresh processes (imports included: what a user waits
for), interleaved, side by side; the median and best of the repeats are printed as wall-clock
time and as the processes' CPU time (user + system, from ``getrusage``: steadier on a loaded
machine), with their ratios. The file is generated in a temporary folder (never committed).

Run: ``python benchmarks/bench_ingest_cli.py [ROWS] [REPEATS]`` (default 1,000,000 and 5).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import make_csv
from bench_startup import _cli


def run_process(cmd: list[str]) -> tuple[float, float, float]:
    """Wall-clock seconds, CPU seconds (user + system) and peak resident MB of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def compare(runs: dict[str, list[str]], repeats: int, base: str) -> dict[str, dict[str, float]]:
    """Run the commands interleaved ``repeats`` times (after one warm-up each); print a table
    of medians and bests with ratios to ``base``; return the medians."""
    times: dict[str, list[tuple[float, float, float]]] = {k: [] for k in runs}
    for cmd in runs.values():  # warm the file cache
        run_process(cmd)
    for _ in range(repeats):
        for name, cmd in runs.items():
            times[name].append(run_process(cmd))
    med = {k: {"wall": statistics.median(t[0] for t in v),
               "cpu": statistics.median(t[1] for t in v),
               "best": min(t[0] for t in v), "cpu_best": min(t[1] for t in v)}
           for k, v in times.items()}
    print(f"{repeats} interleaved runs each (fresh processes); seconds, ratios to {base}")
    print(f"{'command':<34} {'wall med':>8} {'ratio':>6} {'best':>6} {'ratio':>6} "
          f"{'CPU med':>7} {'ratio':>6} {'best':>5} {'ratio':>6}")
    b = med[base]
    for name, m in med.items():
        print(f"{name:<34} {m['wall']:8.2f} {m['wall'] / b['wall']:5.2f}x {m['best']:6.2f} "
              f"{m['best'] / b['best']:5.2f}x {m['cpu']:7.2f} {m['cpu'] / b['cpu']:5.2f}x "
              f"{m['cpu_best']:5.2f} {m['cpu_best'] / b['cpu_best']:5.2f}x")
    return med


def main(rows: int = 1_000_000, repeats: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheets.csv"
        make_csv(path, rows)
        print(f"{rows:,} rows, {path.stat().st_size / 1e6:.0f} MB (V1 layout)")
        runs = {"python -c 'pandas.read_csv(FILE)'":
                [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r})"],
                "election-audit ingest FILE": [*_cli(), "ingest", str(path)]}
        med = compare(runs, repeats, base=next(iter(runs)))
        a, b = med["election-audit ingest FILE"], med["python -c 'pandas.read_csv(FILE)'"]
        print(f"CLI ingest / read_csv process (medians): wall {a['wall'] / b['wall']:.2f}x, "
              f"CPU {a['cpu'] / b['cpu']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3] if a.isdigit()]
    main(*args)
