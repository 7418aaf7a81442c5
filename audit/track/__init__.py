"""Election-night tracking: batches of tally sheets in a database, double entry, coverage.

:class:`TrackStore` keeps every batch received (a SQLite file, or a shared PostgreSQL
server for a data centre with several entry desks); :func:`consolidate` turns its readings
into one sheet per table, the conflicts awaiting a third reading and the coverage over time.
See ``docs/night.md``.
"""

from audit.track.state import STATUSES, TrackState, consolidate
from audit.track.store import BatchReceipt, TrackError, TrackStore, database_url, redact

__all__ = ["STATUSES", "BatchReceipt", "TrackError", "TrackState", "TrackStore", "consolidate",
           "database_url", "redact"]
