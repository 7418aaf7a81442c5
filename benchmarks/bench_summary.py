"""Issue 14's ratios in one run: start-up, ingest, battery, calibration and a scaling table.

Everything runs as fresh processes, side by side on the same (possibly loaded) machine, so
only ratios mean something:

* ``election-audit --help`` against ``python -c "import pandas"`` (target <= 1.3x);
* for each size (stations of a V1-layout CSV, generated in a temporary folder by
  :func:`bench_ingest.make_csv`): a bare ``pandas.read_csv`` process, ``election-audit ingest
  FILE`` (target <= 1.5x read_csv on 1M rows) and, up to ``--battery-max`` stations,
  ``election-audit forensics FILE`` with default options (every check, nationally and per
  state; target <= 10x the CLI ingest of the same file on 1M, peak memory <= 1.5 GB);
* calibration throughput: ``election-audit calibrate`` of 30,000-table elections through
  the fast checks in one worker process (elections per CPU-minute, i.e. per core).

Wall-clock and CPU seconds (user + system, of that process alone, from ``os.wait4``) and
peak resident memory are printed; the scaling table gives seconds per 100k stations, which
stays flat when cost grows linearly. ``--markdown PATH`` also writes the tables.

Run: ``python benchmarks/bench_summary.py [--sizes 10000,100000,300000,1000000,3000000]
[--battery-max 1000000] [--repeats 3] [--markdown benchmarks/results.md]``
(``nox -s bench`` runs it with its defaults).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import make_csv
from bench_startup import _cli

SIZES = (10_000, 100_000, 300_000, 1_000_000, 3_000_000)


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float


def run(cmd: list[str]) -> Run:
    """One fresh process: wall seconds, its own CPU seconds and peak resident MB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):  # forensics exits 1 when it flags something
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median_run(cmds: dict[str, list[str]], repeats: int) -> dict[str, Run]:
    """Each command ``repeats`` times, interleaved (after one warm-up each): medians."""
    for cmd in cmds.values():
        run(cmd)
    runs: dict[str, list[Run]] = {k: [] for k in cmds}
    for _ in range(repeats):
        for name, cmd in cmds.items():
            runs[name].append(run(cmd))
    return {k: Run(statistics.median(r.wall for r in v), statistics.median(r.cpu for r in v),
                   max(r.peak_mb for r in v)) for k, v in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--battery-max", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calibration-sims", type=int, default=6)
    parser.add_argument("--markdown", type=Path)
    args, _ = parser.parse_known_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    cli = _cli()
    out: list[str] = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average "
                      f"{os.getloadavg()[0]:.1f} at start; Python {platform.python_version()}."]

    start = median_run({"import pandas": [sys.executable, "-c", "import pandas"],
                        "--help": [*cli, "--help"]}, max(5, 2 * args.repeats))
    out.append(f"\n`election-audit --help` / `python -c \"import pandas\"`: "
               f"{start['--help'].wall / start['import pandas'].wall:.2f}x wall "
               f"({start['--help'].wall:.2f} s / {start['import pandas'].wall:.2f} s; "
               f"target <= 1.3x)")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"v1-{n}.csv"
            make_csv(path, n)
            cmds = {"read_csv": [sys.executable, "-c",
                                 f"import pandas; pandas.read_csv({str(path)!r})"],
                    "ingest": [*cli, "ingest", str(path)]}
            res = median_run(cmds, args.repeats)
            battery = run([*cli, "forensics", str(path), "--seed", "1", "--no-progress"]) \
                if n <= args.battery_max else None
            rows.append((n, path.stat().st_size / 1e6, res["read_csv"], res["ingest"], battery))
            path.unlink()
            print(f"{n:,} stations done", file=sys.stderr)

    out.append("\n| stations | CSV MB | read_csv s | CLI ingest s | ingest / read_csv "
               "| battery s (CPU s) | battery / ingest | battery peak GB | ingest s per 100k "
               "| battery CPU s per 100k |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, mb, bare, ing, bat in rows:
        per = 100_000 / n
        out.append(
            f"| {n:,} | {mb:.0f} | {bare.wall:.2f} | {ing.wall:.2f} | {ing.wall / bare.wall:.2f}x "
            f"| {f'{bat.wall:.1f} ({bat.cpu:.1f})' if bat else '—'} "
            f"| {f'{bat.wall / ing.wall:.1f}x' if bat else '—'} "
            f"| {f'{bat.peak_mb / 1024:.2f}' if bat else '—'} | {ing.wall * per:.2f} "
            f"| {f'{bat.cpu * per:.1f}' if bat else '—'} |")

    sims = args.calibration_sims
    cal = run([*cli, "calibrate", "--tables", "30000", "--n-sims", str(sims), "--n-power", "0",
               "--fast-only", "--workers", "1", "--seed", "1", "--no-progress"])
    out.append(f"\nCalibration, 30,000-table elections through the fast checks, one worker: "
               f"{sims} elections in {cal.cpu:.1f} CPU s = {60 * sims / cal.cpu:.1f} elections "
               f"per core-minute (peak {cal.peak_mb:.0f} MB).")
    text = "\n".join(out)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
