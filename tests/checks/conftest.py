"""Real reference elections for the check tests, through the real ingest.

Each table is read by :func:`audit.data.load_source` with its case's bundled profile
(``datasets/<case>/sources.toml``), once per session; a fixture skips with the reason when the
shared data folder is absent.
"""

from __future__ import annotations

import pytest
from helpers import real_case

from audit.model import SheetTable


@pytest.fixture(scope="session")
def russia_2011() -> SheetTable:
    """Russia 2011 Duma by UIK. ``voters`` are the ballots found in the boxes (valid +
    invalid, the protocol's control relation), not the ballots issued that Kobak et al.
    (2016) divide by registered voters: see the Russia tests for what that changes."""
    return real_case("russia-2011")


@pytest.fixture(scope="session")
def cordoba_2019() -> SheetTable:
    return real_case("cordoba-2019")


@pytest.fixture(scope="session")
def chile_2021() -> SheetTable:
    return real_case("chile-2021")
