"""The Venezuela 2024 report from the full opposition sheet file (V2 joined with V1).

Target (issue 6): under 20 s on a 2-core machine, end to end. Measures a fresh
``election-audit report`` process (imports included, as a user runs it) for PDF in English and
Spanish, then the phases in one process (reading the sheets, building the model, rendering
each format). Run: ``python benchmarks/bench_report.py [DATA_DIR]`` (default:
``$ELECTION_AUDIT_DATA``, else ``../shared/data`` next to the checkout).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _data_dir(argv: list[str]) -> Path:
    if argv:
        return Path(argv[0])
    return Path(os.environ.get("ELECTION_AUDIT_DATA", ROOT.parent / "shared" / "data"))


def _pages(path: Path) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover
        return None
    return len(PdfReader(path).pages)


def main(argv: list[str]) -> None:
    data = _data_dir(argv)
    if not (data / "venezuela_2024_resultadosconvzla_actas").is_dir():
        print(f"skipped: no Venezuela tally sheets under {data}")
        return
    exe = Path(sys.executable).with_name("election-audit")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "audit"]
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("en", "es"):
            out = Path(tmp) / f"venezuela-2024-{lang}.pdf"
            t0 = time.perf_counter()
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([*command, "report", "venezuela-2024", "--data-dir", str(data),
                            "--lang", lang, "-o", str(out)], check=True,
                           capture_output=True)
            wall = time.perf_counter() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
            print(f"election-audit report venezuela-2024 --lang {lang} -o .pdf: {wall:.2f} s "
                  f"wall, {cpu:.2f} s CPU (fresh process), {_pages(out)} pages, "
                  f"{out.stat().st_size / 1e3:.0f} kB; load average {os.getloadavg()[0]:.1f} "
                  f"on {os.cpu_count()} cores")

        from audit.cases import load_case
        from audit.report import ReportOptions, build_report, render
        from audit.report.sources import load_sheets

        case = load_case("venezuela-2024")
        t0 = time.perf_counter()
        lookup = load_sheets(case, data_dir=data)
        t_read = time.perf_counter() - t0
        assert lookup.ingest is not None
        t0 = time.perf_counter()
        model = build_report(case, lookup.ingest, ReportOptions(lang="es"),
                             source=lookup.source)
        t_build = time.perf_counter() - t0
        timings = []
        for ext in ("pdf", "html", "json", "md"):
            t0 = time.perf_counter()
            render(model, Path(tmp) / f"report.{ext}")
            timings.append(f"{ext} {time.perf_counter() - t0:.2f} s")
        print(f"in one process: read {len(lookup.ingest.sheets):,} sheets {t_read:.2f} s, "
              f"build {t_build:.2f} s, render " + ", ".join(timings))


if __name__ == "__main__":
    main(sys.argv[1:])
