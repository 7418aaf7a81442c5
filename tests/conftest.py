"""Shared fixtures: the real-data folder, hypothesis profiles, small tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "data"
#: Real datasets: ../shared/data next to the checkout (present in CI), or $ELECTION_AUDIT_DATA.
DATA_DIR = Path(os.environ.get("ELECTION_AUDIT_DATA", ROOT.parent / "shared" / "data"))

settings.register_profile("fast", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


def real_file(folder: str, name: str) -> Path:
    """Path of a real dataset file, or skip the test with the reason."""
    path = DATA_DIR / folder / name
    if not path.exists():
        pytest.skip(f"real dataset not available: {path} (set ELECTION_AUDIT_DATA or place "
                    f"the shared data folder next to the checkout)")
    return path


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
