"""Start-up of the command line: ``election-audit --help`` against ``python -c "import pandas"``.

Target (issue 14): ``--help`` at most 1.3x the bare pandas import. Both run as fresh processes,
interleaved, side by side, so that the load of a shared machine falls on both alike; the
median and the best of the repeats are printed, with their ratios. ``cases`` and ``claims
list`` (commands that do work but must not load the battery of checks) are timed too.

Run: ``python benchmarks/bench_startup.py [REPEATS]`` (default 15; other arguments, as ``nox -s
bench`` passes to every benchmark, are ignored).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _cli() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m audit``."""
    script = Path(sys.executable).with_name("election-audit")
    found = script if script.exists() else shutil.which("election-audit")
    return [str(found)] if found else [sys.executable, "-m", "audit"]


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(repeats: int = 15) -> None:
    cli = _cli()
    runs = {
        "python -c 'import pandas'": [sys.executable, "-c", "import pandas"],
        "election-audit --help": [*cli, "--help"],
        "election-audit cases": [*cli, "cases"],
        "election-audit claims list venezuela-2024": [*cli, "claims", "list", "venezuela-2024"],
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    for cmd in runs.values():  # warm the file cache once
        _time(cmd)
    for _ in range(repeats):
        for name, cmd in runs.items():
            times[name].append(_time(cmd))
    base = "python -c 'import pandas'"
    med0, best0 = statistics.median(times[base]), min(times[base])
    print(f"{repeats} interleaved runs each (fresh processes), wall-clock seconds")
    print(f"{'command':<44} {'median':>8} {'best':>8} {'ratio':>7} {'ratio best':>11}")
    for name, values in times.items():
        med, best = statistics.median(values), min(values)
        print(f"{name:<44} {med:8.3f} {best:8.3f} {med / med0:6.2f}x {best / best0:10.2f}x")
    ratio = statistics.median(times["election-audit --help"]) / med0
    print(f"--help / import pandas (medians): {ratio:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    first = sys.argv[1] if len(sys.argv) > 1 else ""
    main(int(first) if first.isdigit() and int(first) < 1000 else 15)
