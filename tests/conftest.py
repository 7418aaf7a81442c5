"""Shared fixtures: the real-data folder, hypothesis profiles, small tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import FIXTURES, real_file
from hypothesis import HealthCheck, settings

settings.register_profile("fast", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
# ``nox -s fuzz``: thousands of hostile inputs per property test (FUZZ_EXAMPLES to change).
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10000")),
                          deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

__all__ = ["real_file"]


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
