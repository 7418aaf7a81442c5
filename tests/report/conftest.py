"""Fixtures of the report tests: a small case with broken sheets, a simulated case, and a
fake check family plugged into the report through the public hook API."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import helpers
import pytest
from report_fakes import FAKE_FAMILY, fake_build, fake_results

from audit.cases import Case, load_case
from audit.checks import CheckResult
from audit.ingest import IngestResult, read_sheets
from audit.model import SheetTable
from audit.report import (
    MethodNote,
    ReportContext,
    SectionHook,
    msg,
    register_method,
    register_section,
)
from audit.report.registry import _METHODS, unregister_section
from audit.simulate import simulate_clean

FIXTURES = Path(__file__).resolve().parents[1] / "data"

SIMULATED_ELECTION = """
id = "demo"
name = "Simulated demo election"
date = 2024-03-10
country = "XX"
kind = "simulated"
region_levels = ["region"]
tables = 1200

[[candidates]]
key = "C1"
name = "Candidata Núñez"
short_name = "Núñez"

[[candidates]]
key = "C2"
name = "Candidato Peña"
short_name = "Peña"

[[candidates]]
key = "C3"
name = "Candidata Ibáñez"
short_name = "Ibáñez"
"""


@pytest.fixture(scope="session")
def real_file() -> Callable[[str, str], Path]:
    """:func:`helpers.real_file` as a fixture (skips when the real data are absent)."""
    return helpers.real_file


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
                 ) -> None:
    """Reports must not pick sheets up from the environment, a user cache or the network
    unless a test says so."""
    monkeypatch.delenv("ELECTION_AUDIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setattr("audit.data._answers", lambda host, port: False)


@pytest.fixture(scope="session")
def mini_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    folder = tmp_path_factory.mktemp("mini-case")
    shutil.copyfile(FIXTURES / "mini_election.toml", folder / "election.toml")
    return load_case(folder)


@pytest.fixture(scope="session")
def mini_ingest(mini_case: Case) -> IngestResult:
    return read_sheets(FIXTURES / "broken_sheets.csv", profile=FIXTURES / "mini_profile.toml",
                       election=mini_case.election)


@pytest.fixture(scope="session")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    folder = tmp_path_factory.mktemp("demo-case")
    (folder / "election.toml").write_text(SIMULATED_ELECTION, encoding="utf-8")
    return load_case(folder)


@pytest.fixture(scope="session")
def demo_sheets() -> SheetTable:
    return simulate_clean(n_tables=1200, shares=(0.48, 0.40, 0.12), n_regions=12, rng=11)


@pytest.fixture
def fake_family() -> Iterator[list[int]]:
    """Registers a digits hook and a method note in place of the real ones (restored after
    the test); yields a list counting ``run`` calls."""
    from audit.report.registry import _HOOKS, load_all

    load_all()
    real_hook = _HOOKS.get(("digits", FAKE_FAMILY))
    real_notes = {t: _METHODS[t] for t in ("digits.last_digit", "digits.second_digit")
                  if t in _METHODS}
    calls: list[int] = []

    def run(ctx: ReportContext) -> list[CheckResult]:
        calls.append(1)
        return fake_results()

    register_section(SectionHook(section="digits", family=FAKE_FAMILY, build=fake_build,
                                 run=run, needs=("sheets",)))
    register_method(MethodNote(test="digits.last_digit", title=msg("report.col.test"),
                               method=msg("report.col.statistic"),
                               limitations=msg("report.col.effect"),
                               references=("Beber, B. & Scacco, A. (2012). What the numbers "
                                           "say. Political Analysis 20(2). "
                                           "doi:10.1093/pan/mps003",)))
    _METHODS.pop("digits.second_digit", None)
    yield calls
    unregister_section("digits", FAKE_FAMILY)
    _METHODS.pop("digits.last_digit", None)
    if real_hook is not None:
        register_section(real_hook)
    _METHODS.update(real_notes)
