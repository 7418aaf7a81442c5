"""The Venezuela 2024 report from the full opposition sheet file (V2 joined with V1).

Target (issue 6): under 20 s on a 2-core machine, end to end, with every section: the claims,
the forensics battery (national, and the main calibrated checks in each of the 24 states,
499 honest redraws), the cross-check with the QR-decoded copies, the figures and the PDF.
Measures a fresh ``election-audit report`` process (imports included, as a user runs it) for
PDF in English and Spanish, the report without any data (``--offline``: what a fresh machine
without network gets), then the phases in one process. Run:
``python benchmarks/bench_report.py [DATA_DIR]`` (default: ``$ELECTION_AUDIT_DATA``, else
``../shared/data`` next to the checkout).
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
TARGET_SECONDS = 20.0


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


def _run(command: list[str], out: Path, env: dict[str, str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime


def main(argv: list[str]) -> None:
    data = _data_dir(argv)
    exe = Path(sys.executable).with_name("election-audit")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "audit"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "ELECTION_AUDIT_DATA"}
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # an empty user cache
        out = Path(tmp) / "offline.pdf"
        wall, cpu = _run([*base, "report", "venezuela-2024", "--offline", "-o", str(out)], out,
                         env)
        print(f"no data, no network (--offline): {wall:.2f} s wall, {cpu:.2f} s CPU, "
              f"{_pages(out)} pages")
        if not (data / "venezuela_2024_resultadosconvzla_actas").is_dir():
            print(f"skipped the full report: no Venezuela tally sheets under {data}")
            return
        for lang in ("en", "es"):
            out = Path(tmp) / f"venezuela-2024-{lang}.pdf"
            wall, cpu = _run([*base, "report", "venezuela-2024", "--data-dir", str(data),
                              "--offline", "--lang", lang, "-o", str(out)], out, env)
            verdict = "under" if wall < TARGET_SECONDS else "OVER"
            print(f"election-audit report venezuela-2024 --lang {lang} -o .pdf: {wall:.2f} s "
                  f"wall ({verdict} the {TARGET_SECONDS:.0f} s target), {cpu:.2f} s CPU (fresh "
                  f"process), {_pages(out)} pages, {out.stat().st_size / 1e3:.0f} kB; load "
                  f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        from audit.cases import load_case
        from audit.data import load_sheets
        from audit.report import ReportOptions, build_report, render
        from audit.report.battery import BatteryMemo

        case = load_case("venezuela-2024")
        t0 = time.perf_counter()
        lookup = load_sheets(case, data_dir=data, download=False)
        t_read = time.perf_counter() - t0
        assert lookup.ingest is not None
        memo = BatteryMemo()
        t0 = time.perf_counter()
        model = build_report(case, lookup.ingest, ReportOptions(lang="es", data_dir=data),
                             source=lookup.source, memo=memo)
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_report(case, lookup.ingest, ReportOptions(lang="en", data_dir=data),
                     source=lookup.source, memo=memo)
        t_again = time.perf_counter() - t0
        timings = []
        for ext in ("pdf", "html", "json", "md"):
            t0 = time.perf_counter()
            render(model, Path(tmp) / f"report.{ext}")
            timings.append(f"{ext} {time.perf_counter() - t0:.2f} s")
        print(f"in one process: read {len(lookup.ingest.sheets):,} sheets {t_read:.2f} s, "
              f"build {t_build:.2f} s (the same sheets in a second language: {t_again:.2f} s), "
              f"render " + ", ".join(timings))


if __name__ == "__main__":
    main(sys.argv[1:])
