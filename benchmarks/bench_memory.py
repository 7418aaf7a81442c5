"""Peak memory of ingest against input size, up to 3,000,000 rows (issue 13).

Each size is ingested in a fresh process (``read_sheets`` on a V1-shaped CSV made by
``bench_ingest.make_csv``) and the process's peak resident memory is read from
``getrusage``; the memory of the imports alone is measured the same way and subtracted. A
bare ``pandas.read_csv`` of the same file is measured beside it for scale. Linear growth
means a constant "MB per 100k rows" down the table.

Run: ``python benchmarks/bench_memory.py [ROWS ...] [--markdown FILE]`` (default sizes
100k, 300k, 1M, 3M; the table is printed and, with ``--markdown``, written as Markdown).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (100_000, 300_000, 1_000_000, 3_000_000)

_CHILD = r"""
import json, resource, sys
import pandas as pd
from audit.ingest import read_sheets
what, path, profile = sys.argv[1:4]
if what == "ingest":
    result = read_sheets(path, profile=profile)
    rows = result.rows_read
elif what == "bare":
    rows = len(pd.read_csv(path))
else:
    rows = 0
print(json.dumps({"rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _peak(what: str, path: Path, profile: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _CHILD, what, str(path), str(profile)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(sizes: tuple[int, ...], markdown: Path | None) -> None:
    sys.path.insert(0, str(HERE))
    from bench_ingest import PROFILE, make_csv

    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        base = _peak("imports", Path(tmp) / "none.csv", PROFILE)["peak_mb"]
        for rows in sizes:
            path = Path(tmp) / f"sheets-{rows}.csv"
            make_csv(path, rows)
            size_mb = path.stat().st_size / 2**20
            ours = _peak("ingest", path, PROFILE)
            bare = _peak("bare", path, PROFILE)
            assert ours["rows"] == rows
            net = ours["peak_mb"] - base
            rows_out.append((rows, size_mb, bare["peak_mb"] - base, net,
                             net / (rows / 100_000), net / size_mb))
            path.unlink()
    lines = [f"Imports alone: {base:.0f} MB (subtracted below).", "",
             "| rows | CSV (MB) | pandas.read_csv peak (MB) | ingest peak (MB) | "
             "ingest MB per 100k rows | ingest MB per CSV MB |",
             "|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r:,} | {s:.0f} | {b:.0f} | {n:.0f} | {per:.1f} | {ratio:.2f} |"
              for r, s, b, n, per, ratio in rows_out]
    text = "\n".join(lines)
    print(text)
    if markdown is not None:
        markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    args = sys.argv[1:]
    out = None
    if "--markdown" in args:
        i = args.index("--markdown")
        out = Path(args[i + 1])
        del args[i:i + 2]
    main(tuple(int(a) for a in args) or SIZES, out)
