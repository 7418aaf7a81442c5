"""Helpers shared by the tests: where the real datasets and fixtures are.

Import as ``from helpers import real_file`` (``tests/`` is on the test path, see
``[tool.pytest.ini_options] pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
