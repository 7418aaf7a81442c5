"""The consolidated sheets of a tracking database as a file every command reads.

The columns are the canonical ones (``docs/schema.md``); ``source`` and ``line`` say which
batch file and line each sheet was taken from. ``ingest``, ``forensics``, ``report``,
``dispute`` and ``quickcount`` recognise the layout from its header. The same database
contents give the same bytes: rows are sorted by key, and nothing depends on the clock or
the machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from audit._json import jsonable
from audit._version import __version__
from audit.inert import write_csv
from audit.track.state import TrackState


def export_sheets(state: TrackState, path: Path, kind: str = "csv") -> None:
    """Write ``state.sheets`` to ``path`` as ``"csv"`` or ``"parquet"``.

    The Parquet file carries the provenance of every batch (file, SHA-256, mapping) in its
    key-value metadata under ``election_audit``, like ``ingest --out``.
    """
    data = state.sheets.data
    if kind == "csv":
        write_csv(data, path)  # inert in spreadsheets (audit.inert)
        return
    if kind != "parquet":
        raise ValueError(f"kind must be 'csv' or 'parquet', got {kind!r}")
    table = pa.Table.from_pandas(data, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"election_audit"] = json.dumps(jsonable({
        "provenance": [p.to_dict() for p in state.sheets.provenance],
        "election": state.election.id, "candidates": list(state.candidates),
        "levels": list(state.sheets.levels), "package_version": __version__,
        "tables": state.totals()}), sort_keys=True).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)
