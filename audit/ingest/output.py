"""Write an ingestion's accepted rows, quarantine and summary to a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from audit._json import dumps, jsonable
from audit.inert import write_csv
from audit.ingest.core import IngestResult

#: The files :func:`write_ingest_outputs` writes, in order.
OUTPUT_NAMES = ("sheets.parquet", "sheets.csv", "quarantine.csv", "duplicates.csv",
                "ingest.json")


def output_paths(folder: Path) -> list[Path]:
    """The paths :func:`write_ingest_outputs` writes in ``folder``."""
    return [folder / name for name in OUTPUT_NAMES]


def write_ingest_outputs(result: IngestResult, folder: Path) -> list[Path]:
    """Write ``sheets.parquet``, ``sheets.csv``, ``quarantine.csv``, ``duplicates.csv`` and
    ``ingest.json`` (the summary with the provenance of every input) to ``folder``.

    The Parquet file carries the same provenance in its key-value metadata
    (key ``election_audit``), so it stays traceable when copied on its own. The CSV files are
    inert in spreadsheets (:mod:`audit.inert`): a text cell that would start a formula gets a
    leading ``'``; the Parquet file keeps every value as read.
    """
    folder.mkdir(parents=True, exist_ok=True)
    summary = result.to_dict()
    table = pa.Table.from_pandas(result.sheets.data, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"election_audit"] = json.dumps(jsonable({
        "provenance": summary["provenance"], "profile": summary["profile"],
        "package_version": summary["package_version"], "sha256": summary["sha256"],
        "candidates": list(result.sheets.candidates), "levels": list(result.sheets.levels),
        "election": summary["election"]}), sort_keys=True).encode()
    paths = output_paths(folder)
    pq.write_table(table.replace_schema_metadata(meta), paths[0])
    write_csv(result.sheets.data, paths[1])
    write_csv(result.quarantine, paths[2])
    write_csv(result.duplicates, paths[3])
    paths[4].write_text(dumps(summary), encoding="utf-8")
    return paths
