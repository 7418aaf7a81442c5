"""Issue 14's ratios in one run: start-up, ingest, battery, calibration and a scaling table.

Everything runs as fresh processes, side by side on the same (possibly loaded) machine, so
only ratios mean something:

* ``election-audit --help`` against ``python -c "import pandas"`` (target <= 1.3x);
* for each size and input (stations of a V1-layout CSV, generated in a temporary folder):
  a bare ``pandas.read_csv`` process, ``election-audit ingest FILE`` (target <= 1.5x
  read_csv on 1M rows) and, up to ``--battery-max`` stations, ``election-audit forensics
  FILE`` with default options (every check, nationally and per state; target <= 10x the CLI
  ingest of the same file on 1M, peak memory <= 1.5 GB), then, untimed, the same with
  ``--json`` (which costs time and memory of its own) for how many of its calibrated
  national results have p <= 0.05 (raw and adjusted) and how many regional results are
  flagged. ``--input`` chooses the files: ``honest`` (:func:`bench_ingest.make_honest_csv`,
  an honest national election drawn by the project's simulator: the must-show's file),
  ``tiled`` (:func:`bench_ingest.make_csv`, 1,000 vote vectors tiled: every digit and
  turnout test rejects, so the sequential Monte Carlo runs all its redraws) or ``both``
  (the default);
* calibration throughput: ``election-audit calibrate`` of 30,000-table elections through
  the fast checks in one worker process (elections per CPU-minute, i.e. per core).

Wall-clock and CPU seconds (user + system, of that process alone, from ``os.wait4``) and
peak resident memory are printed; the scaling table gives seconds per 100k stations, which
stays flat when cost grows linearly. ``--markdown PATH`` also writes the tables.

Run: ``python benchmarks/bench_summary.py [--sizes 10000,100000,300000,1000000,3000000]
[--input honest|tiled|both] [--battery-max 1000000] [--repeats 3]
[--calibration-sims 6 (0: skip)] [--before TREE]
[--markdown benchmarks/results.md]``; ``--before`` runs an older source tree's battery right
after this one's on each file (before/after ratios measured side by side)
(``nox -s bench`` runs it with its defaults).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import make_csv, make_honest_csv
from bench_startup import _cli

SIZES = (10_000, 100_000, 300_000, 1_000_000, 3_000_000)
#: The benchmark inputs: name -> generator of a V1-layout file of ``rows`` stations.
INPUTS: dict[str, Callable[[Path, int], None]] = {"honest": make_honest_csv, "tiled": make_csv}


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float


def run(cmd: list[str], tree: Path | None = None, stdout: Path | None = None) -> Run:
    """One fresh process: wall seconds, its own CPU seconds and peak resident MB (``tree``:
    run the package of that source tree, first on the path; ``stdout``: a file for its
    output, else discarded)."""
    env = None if tree is None else {**os.environ, "PYTHONPATH": str(tree)}
    with open(stdout or os.devnull, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env, cwd=tree)
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


@dataclass(frozen=True)
class Findings:
    """What the battery found: calibrated national results with a p-value, those with p <=
    0.05 before and after the multiple-comparison adjustment, and flagged regional results."""
    national: int
    raw: int
    adjusted: int
    regional: int

    def __str__(self) -> str:
        return f"{self.raw} / {self.adjusted} of {self.national} | {self.regional}"


def findings(path: Path, alpha: float = 0.05) -> Findings:
    """Count the findings in the JSON of ``election-audit forensics --json`` (docs/json.md)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    national = [r for r in doc["results"] if r["scope"] == "national" and r["calibrated"]
                and r["pvalue"] is not None]
    return Findings(len(national), sum(r["pvalue"] <= alpha for r in national),
                    sum(r["pvalue_adjusted"] <= alpha for r in national),
                    len(doc["verdict"]["regional"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--input", choices=[*INPUTS, "both"], default="both",
                        help="the generated files: an honest simulated election, the tiled "
                        "worst case, or both side by side (default)")
    parser.add_argument("--battery-max", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calibration-sims", type=int, default=6)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--before", type=Path, help="source tree of an older version whose "
                        "battery runs right after this one's on the same file (e.g. "
                        "git archive COMMIT audit datasets reports | tar -x -C DIR)")
    args, _ = parser.parse_known_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    inputs = list(INPUTS) if args.input == "both" else [args.input]
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
    compared: list[tuple[int, str, Run, Run, Run]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for name in inputs:
                path = Path(tmp) / f"v1-{name}-{n}.csv"
                INPUTS[name](path, n)
                cmds = {"read_csv": [sys.executable, "-c",
                                     f"import pandas; pandas.read_csv({str(path)!r})"],
                        "ingest": [*cli, "ingest", str(path)]}
                res = median_run(cmds, args.repeats)
                forensics = ["forensics", str(path), "--seed", "1", "--no-progress"]
                battery = run([*cli, *forensics]) if n <= args.battery_max else None
                found = None
                if battery:  # the findings, from a second, untimed run
                    report = Path(tmp) / "forensics.json"
                    run([*cli, *forensics, "--json"], stdout=report)
                    found = findings(report)
                before = run([sys.executable, "-m", "audit", *forensics], args.before) \
                    if args.before and battery else None
                rows.append((n, name, path.stat().st_size / 1e6, res["read_csv"],
                             res["ingest"], battery, found))
                if before and battery:
                    compared.append((n, name, res["ingest"], before, battery))
                path.unlink()
                print(f"{n:,} stations ({name}) done", file=sys.stderr)

    out.append("\n| stations | input | CSV MB | read_csv s | CLI ingest s | ingest / read_csv "
               "| battery s (CPU s) | battery / ingest | battery peak GB | ingest s per 100k "
               "| battery CPU s per 100k | national p <= 0.05: raw / adjusted of calibrated "
               "| regional flags |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, name, mb, bare, ing, bat, found in rows:
        per = 100_000 / n
        out.append(
            f"| {n:,} | {name} | {mb:.0f} | {bare.wall:.2f} | {ing.wall:.2f} "
            f"| {ing.wall / bare.wall:.2f}x "
            f"| {f'{bat.wall:.1f} ({bat.cpu:.1f})' if bat else '—'} "
            f"| {f'{bat.wall / ing.wall:.1f}x' if bat else '—'} "
            f"| {f'{bat.peak_mb / 1024:.2f}' if bat else '—'} | {ing.wall * per:.2f} "
            f"| {f'{bat.cpu * per:.1f}' if bat else '—'} | {found or '— | —'} |")

    if compared:
        out.append(f"\nThe battery before ({args.before}) and after, run one after the other "
                   f"on the same file:\n\n| stations | input | CLI ingest s "
                   f"| battery before s (CPU s) | before / ingest | peak GB "
                   f"| battery after s (CPU s) | after / ingest | peak GB "
                   f"| after / before (CPU) |\n"
                   f"|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n, name, ing, old, new in compared:
            out.append(f"| {n:,} | {name} | {ing.wall:.2f} | {old.wall:.1f} ({old.cpu:.1f}) "
                       f"| {old.wall / ing.wall:.1f}x | {old.peak_mb / 1024:.2f} "
                       f"| {new.wall:.1f} ({new.cpu:.1f}) | {new.wall / ing.wall:.1f}x "
                       f"| {new.peak_mb / 1024:.2f} | {new.cpu / old.cpu:.2f} |")

    sims = args.calibration_sims
    if sims:  # 0 skips it
        cal = run([*cli, "calibrate", "--tables", "30000", "--n-sims", str(sims), "--n-power",
                   "0", "--fast-only", "--workers", "1", "--seed", "1", "--no-progress"])
        out.append(f"\nCalibration, 30,000-table elections through the fast checks, one "
                   f"worker: {sims} elections in {cal.cpu:.1f} CPU s = "
                   f"{60 * sims / cal.cpu:.1f} elections per core-minute "
                   f"(peak {cal.peak_mb:.0f} MB).")
    text = "\n".join(out)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
