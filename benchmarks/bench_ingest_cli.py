"""CLI ingest against a bare ``pandas.read_csv`` process, on the same 1M-row V1-layout file.

Target (issue 14): ``election-audit ingest FILE`` at most 1.5x ``python -c "import pandas;
pandas.read_csv(FILE)"``. Both run as fresh processes (imports included: what a user waits
for), interleaved, side by side, with default options (``ingest`` prints its summary and
writes no file unless given ``-o``); the median and best of the repeats are printed as
wall-clock time and as the processes' CPU time (user + system, from ``getrusage``: steadier
on a loaded machine), with their ratios, and each command's peak resident memory. The file
is generated in a temporary folder (never committed).

Bytecode: both commands run with Python's bytecode cache on, kept in the temporary folder
(``PYTHONPYCACHEPREFIX``; the untimed warm-up run of each command fills it), as after a normal
installation, where ``pip`` compiles every module once. A shell with
``PYTHONDONTWRITEBYTECODE=1`` and an editable checkout would instead recompile the package's
own modules (not pandas') on every run, about 0.07 s of the CLI's start-up; ``--no-bytecode``
measures that situation.

Run: ``python benchmarks/bench_ingest_cli.py [ROWS ...] [--repeats N] [--no-bytecode]``
(default 1,000,000 rows, 5 repeats; several sizes are measured one after the other).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import make_csv
from bench_startup import _cli

Timing = tuple[float, float, float]


def run_process(cmd: list[str], env: Mapping[str, str] | None = None) -> Timing:
    """Wall-clock seconds, CPU seconds (user + system) and peak resident MB of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=None if env is None else dict(env))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def bytecode_env(folder: Path) -> dict[str, str]:
    """The environment with the bytecode cache on, kept in ``folder``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder)
    return env


def compare(runs: dict[str, list[str]], repeats: int, base: str,
            env: Mapping[str, str] | None = None) -> dict[str, dict[str, float]]:
    """Run the commands interleaved ``repeats`` times (after one warm-up each); print a table
    of medians and bests with ratios to ``base``; return the medians."""
    times: dict[str, list[Timing]] = {k: [] for k in runs}
    for cmd in runs.values():  # warm the file cache (and the bytecode cache)
        run_process(cmd, env)
    for _ in range(repeats):
        for name, cmd in runs.items():
            times[name].append(run_process(cmd, env))
    med = {k: {"wall": statistics.median(t[0] for t in v),
               "cpu": statistics.median(t[1] for t in v),
               "best": min(t[0] for t in v), "cpu_best": min(t[1] for t in v),
               "peak": max(t[2] for t in v)}
           for k, v in times.items()}
    print(f"{repeats} interleaved runs each (fresh processes); seconds, ratios to {base}")
    print(f"{'command':<34} {'wall med':>8} {'ratio':>6} {'best':>6} {'ratio':>6} "
          f"{'CPU med':>7} {'ratio':>6} {'best':>5} {'ratio':>6} {'peak MB':>7}")
    b = med[base]
    for name, m in med.items():
        print(f"{name:<34} {m['wall']:8.2f} {m['wall'] / b['wall']:5.2f}x {m['best']:6.2f} "
              f"{m['best'] / b['best']:5.2f}x {m['cpu']:7.2f} {m['cpu'] / b['cpu']:5.2f}x "
              f"{m['cpu_best']:5.2f} {m['cpu_best'] / b['cpu_best']:5.2f}x {m['peak']:7.0f}")
    return med


def main(sizes: list[int], repeats: int = 5, bytecode: bool = True) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = bytecode_env(Path(tmp) / "pycache") if bytecode else None
        for rows in sizes:
            path = Path(tmp) / f"sheets-{rows}.csv"
            make_csv(path, rows)
            print(f"{rows:,} rows, {path.stat().st_size / 1e6:.0f} MB (V1 layout); bytecode "
                  f"cache {'on' if bytecode else 'off'}; load average "
                  f"{os.getloadavg()[0]:.1f}")
            runs = {"python -c 'pandas.read_csv(FILE)'":
                    [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r})"],
                    "election-audit ingest FILE": [*_cli(), "ingest", str(path)]}
            med = compare(runs, repeats, base=next(iter(runs)), env=env)
            a, b = med["election-audit ingest FILE"], med["python -c 'pandas.read_csv(FILE)'"]
            print(f"CLI ingest / read_csv process (medians): wall {a['wall'] / b['wall']:.2f}x, "
                  f"CPU {a['cpu'] / b['cpu']:.2f}x (target <= 1.5x)\n")
            path.unlink()


if __name__ == "__main__":
    args = sys.argv[1:]
    reps = 5
    if "--repeats" in args:
        i = args.index("--repeats")
        reps = int(args[i + 1])
        del args[i:i + 2]
    no_bytecode = "--no-bytecode" in args
    main([int(a) for a in args if a.isdigit()] or [1_000_000], reps, bytecode=not no_bytecode)
