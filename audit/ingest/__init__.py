"""Ingestion: readers, column profiles, validation with quarantine, joins.

The one entry point is :func:`read_sheets`; see ``docs/schema.md`` for the canonical table
and ``docs/profiles.md`` for the profile format.

The names below are loaded on first use (PEP 562), so that :mod:`audit.ingest.digest` can
start hashing an input file before pandas is imported (``election-audit ingest``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.ingest.core import RULES, IngestResult, JoinReport, read_sheets
    from audit.ingest.profiles import Profile, bundled_profiles, detect_profile, get_profile

_HOME = {"RULES": "core", "IngestResult": "core", "JoinReport": "core", "read_sheets": "core",
         "Profile": "profiles", "bundled_profiles": "profiles", "detect_profile": "profiles",
         "get_profile": "profiles"}

__all__ = ["RULES", "IngestResult", "JoinReport", "Profile", "bundled_profiles",
           "detect_profile", "get_profile", "read_sheets"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'audit.ingest' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"audit.ingest.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
