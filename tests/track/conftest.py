"""Fixtures of the election-night tests: the mini election as a case folder, three
overlapping data-entry batches with two conflicting transcriptions, and databases (a SQLite
file; a PostgreSQL database when $ELECTION_AUDIT_TEST_POSTGRES names a server)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import FIXTURES
from night_sheets import sheet_row, write_batch

#: The URL .ci/run exports after starting a throwaway PostgreSQL server (.ci/postgres.sh).
PG_ENV = "ELECTION_AUDIT_TEST_POSTGRES"
@pytest.fixture
def mini_case(tmp_path: Path) -> Path:
    """A case folder holding the mini election (20 tables, districts N and S)."""
    folder = tmp_path / "mini"
    folder.mkdir()
    shutil.copy(FIXTURES / "mini_election.toml", folder / "election.toml")
    return folder


@pytest.fixture
def night_batches(tmp_path: Path) -> list[Path]:
    """Three overlapping batches as constructed for the must-show:

    * batch 1 (desk-1): tables 1-8;
    * batch 2 (desk-2): tables 5-14, table 7 with A and B swapped (37/20 read as 20/37);
    * batch 3 (desk-3): tables 12-18, table 13 with registered voters 800 instead of 300,
      and a row for table 19 with a negative count (quarantined, like ingest does).
    """
    b1 = write_batch(tmp_path / "batch1.csv", [sheet_row(t) for t in range(1, 9)])
    b2 = write_batch(tmp_path / "batch2.csv", [
        sheet_row(t, a=20, b=37) if t == 7 else sheet_row(t) for t in range(5, 15)])
    b3 = write_batch(tmp_path / "batch3.csv", [
        sheet_row(t, registered=800) if t == 13 else sheet_row(t) for t in range(12, 19)]
        + ["S,19,300,50,49,1,-3,52\n"])
    return [b1, b2, b3]


@pytest.fixture
def third_reading(tmp_path: Path) -> Path:
    """The supervisor's third reading of table 7: the paper says A 37, B 20 (batch 1)."""
    return write_batch(tmp_path / "third.csv", [sheet_row(7)])


def _postgres_database() -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards; skip without a server."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"no PostgreSQL server: set {PG_ENV} to a server URL (.ci/run starts one "
                    f"with .ci/postgres.sh)")
    import sqlalchemy as sa

    from audit.track import database_url

    name = f"ea_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.SQLAlchemyError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {PG_ENV} cannot create a test database: "
                    f"{str(exc).splitlines()[0]}")
    try:
        yield database_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The night's database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "night.sqlite")
    else:
        yield from _postgres_database()
