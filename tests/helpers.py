"""Helpers shared by the tests: where the real datasets and fixtures are.

Import as ``from helpers import real_file`` (``tests/`` is on the test path, see
``[tool.pytest.ini_options] pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest

from audit.ledger import Claim, parse_claim
from audit.model import Election, SheetTable

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "data"
#: Real datasets: $ELECTION_AUDIT_DATA, else ../shared/data next to the checkout (as in CI).
DATA_DIR = Path(os.environ.get("ELECTION_AUDIT_DATA", ROOT.parent / "shared" / "data"))


def real_file(folder: str, name: str) -> Path:
    """Path of a real dataset file, or skip the test with the reason."""
    path = DATA_DIR / folder / name
    if not path.exists():
        pytest.skip(f"real dataset not available: {path} (set ELECTION_AUDIT_DATA or place "
                    f"the shared data folder next to the checkout)")
    return path


@functools.cache
def _ingested(case: str, source: str) -> SheetTable:
    from audit.data import load_source

    return load_source(case, source, data_dir=DATA_DIR, download=False).sheets


def real_case(case: str, source: str | None = None) -> SheetTable:
    """Tally sheets of a bundled case through the real ingest (:func:`audit.data.load_source`,
    the case's profile), read once per session; skip the test when the data are absent."""
    from audit.cases import load_case
    from audit.errors import DataUnavailableError

    main = load_case(case).main_source
    source_id = source or (main.id if main is not None else "")
    try:
        return _ingested(case, source_id)
    except DataUnavailableError as exc:
        pytest.skip(f"real dataset not available: {exc}")


def parsed_claim(raw: dict[str, Any], election: Election | None) -> Claim:
    """A claim from the fields ``raw`` (with a test id, date, side and citation), which must
    parse without a problem."""
    base = {"id": "c", "datetime": "2024-01-01", "side": "official",
            "source": {"citation": "test"}}
    parsed, problems = parse_claim({**base, **raw}, election=election)
    assert not problems, problems
    assert parsed is not None
    return parsed
