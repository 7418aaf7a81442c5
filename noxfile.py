"""Development sessions: ``nox -s tests lint typecheck bench calibrate reports``."""

from __future__ import annotations

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


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (timings are printed, never asserted in the test suite)."""
    session.install("-e", ".[dev]")
    for script in sorted(__import__("pathlib").Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)


@nox.session(python=PYTHON)
def calibrate(session: nox.Session) -> None:
    """False-positive rates of the calibrated checks on 200 simulated clean elections."""
    session.install("-e", ".")
    session.run("python", "scripts/calibrate_checks.py", *session.posargs)
