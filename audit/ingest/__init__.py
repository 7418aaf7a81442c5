"""Ingestion: readers, column profiles, validation with quarantine, joins.

The one entry point is :func:`read_sheets`; see ``docs/schema.md`` for the canonical table
and ``docs/profiles.md`` for the profile format.
"""

from audit.ingest.core import RULES, IngestResult, JoinReport, read_sheets
from audit.ingest.profiles import Profile, bundled_profiles, detect_profile, get_profile

__all__ = ["RULES", "IngestResult", "JoinReport", "Profile", "bundled_profiles",
           "detect_profile", "get_profile", "read_sheets"]
