"""Development sessions: ``nox -s tests lint typecheck bench calibrate reports screenshots
fuzz docs``."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.default_venv_backend = "venv"
PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite (real-data tests run when ../shared/data is present)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff on the package, tests, benchmarks and this file."""
    session.install("ruff")
    session.run("ruff", "check", "audit", "tests", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy on the package."""
    session.install("-e", ".[dev]")
    session.run("mypy")


#: Where ``nox -s docs`` writes the site (git-ignored).
DOCS_OUT = Path("out") / "docs"


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The documentation site (Sphinx, pydata-sphinx-theme, numpydoc, myst-parser) into
    out/docs/, warnings as errors. The tutorials' code runs in the test suite
    (tests/test_doc_blocks.py), not here."""
    session.install("-e", ".[docs]")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", str(DOCS_OUT),
                *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Issue 14's ratios in one run (benchmarks/bench_summary.py: start-up, ingest, battery,
    calibration, scaling 10k -> 3M stations); ``nox -s bench -- all`` runs every
    benchmarks/bench_*.py instead. Timings are printed, never asserted in the test suite."""
    session.install("-e", ".[dev]")
    if session.posargs[:1] == ["all"]:
        for script in sorted(Path("benchmarks").glob("bench_*.py")):
            session.run("python", str(script), *session.posargs[1:])
        return
    session.run("python", "benchmarks/bench_summary.py", *session.posargs)


#: The calibrated digit tests (the national-scale calibration runs only these).
DIGIT_TESTS = ",".join(f"digits.{name}" for name in (
    "adjacent_pairs", "c05", "first_digit", "first_two_digits", "last_digit",
    "last_digit_mean", "p05", "repeated_pairs", "second_digit", "second_digit_mean"))

#: Manipulations whose power the case summaries measure (stuffing for either candidate,
#: Klimek's incremental fraud, rounded and human-preferred numbers).
TARGETED = ("ballot_stuffing,ballot_stuffing_runner_up,klimek_incremental,round_percent,"
            "digit_preference")

#: Calibration documents: ``nox -s calibrate`` regenerates them all, ``nox -s
#: "calibrate(target='varied')"`` one. Arguments after ``--`` go to ``election-audit
#: calibrate`` (e.g. ``-- --n-sims 500``; later options override these defaults). Sizes are
#: chosen to finish on a laptop: the 1,000,000-table run holds 20 elections (its interval is
#: stated in the document), the others 100-400.
CALIBRATIONS = {
    # issue 4: every fast check on varied clean elections (a new synthetic shape each time)
    "varied": ["--varied", "--tables", "5000", "--n-sims", "400", "--n-power", "60"],
    # issue 15: varied elections with region > sub-region > municipality > centre > table,
    # and the family-wise flag rate of the default national verdict (candidate-aware battery)
    "layered": ["--varied", "--layered", "--tables", "3000", "--n-sims", "200",
                "--n-power", "20", "--verdict"],
    # issue 5: Venezuela 2024, fitted to the opposition's tally sheets V1 (registered voters);
    # its summary is the case's calibration.json (audit.simulate.calibrate.load_calibration),
    # shown beside each test in the report. Sized for about half an hour on a loaded laptop
    # (24,532 tables: ~10 s per election); power on the manipulations the battery targets.
    "venezuela-2024": ["venezuela-2024", "--source", "opposition-v1", "--n-sims", "80",
                       "--n-power", "3", "--scenarios", TARGETED, "--summary",
                       "datasets/venezuela-2024/calibration.json"],
    # issue 5: Russia 2011 Duma (the positive control: known fraud fingerprints); means fixed
    # per top-level region so that the variation between territorial commissions stays random
    # (95,225 stations: ~30 s per election, hence few elections; the interval says so)
    "russia-2011": ["russia-2011", "--mean-level", "top", "--n-sims", "60",
                    "--n-power", "0", "--summary", "datasets/russia-2011/calibration.json"],
    # the demo case (2,000 simulated tables): its summary is the case's calibration.json
    "demo": ["demo", "--n-sims", "200", "--n-power", "20", "--scenarios", TARGETED,
             "--summary", "datasets/demo/calibration.json"],
    # issue 15: the digit tests' honest null at national scale, Venezuela 2024 layout
    # (state > municipality > parish > centre > table) scaled to 20k, 200k and 1M tables
    "national-20k": ["venezuela-2024", "--source", "opposition-v1", "--tables", "20000",
                     "--n-sims", "200", "--n-power", "0", "--checks", DIGIT_TESTS],
    "national-200k": ["venezuela-2024", "--source", "opposition-v1", "--tables", "200000",
                      "--n-sims", "100", "--n-power", "0", "--checks", DIGIT_TESTS],
    "national-1m": ["venezuela-2024", "--source", "opposition-v1", "--tables", "1000000",
                    "--n-sims", "20", "--n-power", "0", "--checks", DIGIT_TESTS],
}


@nox.session(python=PYTHON)
@nox.parametrize("target", list(CALIBRATIONS))
def calibrate(session: nox.Session, target: str) -> None:
    """Regenerate docs/calibration-<target>.md (+ .csv, .json, .svg; the case's summary).

    Needs the datasets in $ELECTION_AUDIT_DATA (default ../shared/data) for the real cases.
    Each document starts with the command that made it. Checks registered as fast only: the
    Klimek fit gives an estimate without a p-value in the battery.
    """
    session.install("-e", ".")
    data = Path(os.environ.get("ELECTION_AUDIT_DATA", Path("..") / "shared" / "data"))
    session.run("election-audit", "calibrate", *CALIBRATIONS[target], "--fast-only",
                "--seed", "20240728", "-o", "docs", "--force", "--label", target,
                "--data-dir", str(data), "--progress", *session.posargs)


#: The example reports of ``nox -s reports``: (case, language).
EXAMPLE_REPORTS = (("venezuela-2024", "en"), ("venezuela-2024", "es"), ("russia-2011", "en"),
                   ("russia-2011", "es"), ("demo", "en"), ("demo", "es"))


@nox.session(python=PYTHON)
def reports(session: nox.Session) -> None:
    """Build the example reports into out/reports/ (PDF; posargs: other formats, e.g. html).

    Real datasets come from $ELECTION_AUDIT_DATA (default ../shared/data); a case whose data
    are absent gets the report its bundled files allow. Nothing is downloaded.
    """
    session.install("-e", ".")
    data = Path(os.environ.get("ELECTION_AUDIT_DATA", Path("..") / "shared" / "data"))
    out = Path("out") / "reports"
    out.mkdir(parents=True, exist_ok=True)
    for fmt in session.posargs or ["pdf"]:
        for case, lang in EXAMPLE_REPORTS:
            session.run("election-audit", "report", case, "--lang", lang, "--data-dir",
                        str(data), "--offline", "--force", "-o",
                        str(out / f"{case}-{lang}.{fmt}"))


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """The fuzzing harness of issue 13 (docs/security.md), for a set time.

    First the hypothesis property tests of ``tests/fuzz`` with the ``fuzz`` profile
    (``FUZZ_EXAMPLES`` per test, default 10,000; the cheaper tests run all of them), then
    the atheris target on the readers, seeded with the regression corpus
    ``tests/data/hostile/sheets`` and run for ``posargs[0]`` seconds (default 300) with a
    2 GB memory cap. Findings (inputs that break an invariant) are saved in out/fuzz/.
    """
    import shutil

    session.install("-e", ".[test,fuzz]")
    seconds = session.posargs[0] if session.posargs else "300"
    session.run("python", "-m", "pytest", "tests/fuzz", "-q", "-p", "no:cacheprovider",
                "--hypothesis-show-statistics",
                env={"HYPOTHESIS_PROFILE": "fuzz",
                     "FUZZ_EXAMPLES": os.environ.get("FUZZ_EXAMPLES", "10000")})
    out = Path("out") / "fuzz"
    corpus = out / "corpus"  # libFuzzer adds the inputs it finds interesting here
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in Path("tests/data/hostile/sheets").iterdir():
        if seed.is_file() and seed.suffix != ".md":
            shutil.copy(seed, corpus / f"seed-{seed.name}")
    session.run("python", "tests/fuzz/atheris_readers.py", str(corpus),
                f"-max_total_time={seconds}", "-rss_limit_mb=2048", "-timeout=30",
                "-max_len=262144", f"-artifact_prefix={out}/", "-print_final_stats=1")


@nox.session(python=PYTHON)
def screenshots(session: nox.Session) -> None:
    """Regenerate the README image and the HTML screenshots from the current report.

    Builds the Venezuela 2024 report with the sheets ($ELECTION_AUDIT_DATA, default
    ../shared/data) in PDF and HTML; page 1 of the PDF becomes docs/img/report-summary-en.png
    (pdftoppm, Debian's poppler-utils), and the HTML page is photographed in headless
    Chromium (Debian's chromium) at 390 px and at desktop width
    (docs/img/report-html-phone.png, docs/img/report-html-desktop.png).
    """
    session.install("-e", ".[test]")
    data = Path(os.environ.get("ELECTION_AUDIT_DATA", Path("..") / "shared" / "data"))
    out = Path("out") / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for fmt in ("pdf", "html"):
        session.run("election-audit", "report", "venezuela-2024", "--data-dir", str(data),
                    "--offline", "--force", "-o", str(out / f"venezuela-2024-en.{fmt}"))
    session.run("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                str(out / "venezuela-2024-en.pdf"), "docs/img/report-summary-en",
                external=True)
    session.run("python", "-c", (
        "import sys; sys.path.insert(0, 'tests/report'); from pathlib import Path; "
        "from browser import DESKTOP, PHONE, check_page; "
        f"html = Path({str(out / 'venezuela-2024-en.html')!r}); "
        "check_page(html, *PHONE, screenshot=Path('docs/img/report-html-phone.png')); "
        "check_page(html, *DESKTOP, screenshot=Path('docs/img/report-html-desktop.png'))"))
