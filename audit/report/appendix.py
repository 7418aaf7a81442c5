"""The data appendix: the report's tables as CSV files a reader can reuse.

:func:`data_tables` collects them from a built report (the tally-sheet totals per top-level
region, and the tables where independent copies of the sheets differ); :func:`write_csvs`
writes them beside the report (``<name>-<table>.csv``) and the PDF also embeds them as file
attachments. Every cell that a spreadsheet would read as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return, the OWASP "CSV injection" rule) is prefixed
with a single quote, so a hostile region or centre name cannot run anything when the file
is opened; numbers are written as numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from audit.checks.result import CheckResult
from audit.inert import FORMULA_START, neutralise_text, write_csv


def safe_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs (:func:`audit.inert.neutralise_text`): text
    starting like a formula gets a leading single quote; numbers are left as they are."""
    return neutralise_text(value) if isinstance(value, str) else value


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (UTF-8, comma, header, formula-safe, "\\n" line ends), through
    the package's one inert CSV writer (:func:`audit.inert.write_csv`)."""
    return write_csv(frame) or ""


def data_tables(sheets: Any, used: Mapping[str, Sequence[CheckResult]],
                region_names: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The appendix tables of a report: ``by-<level>`` (the sheets' totals per top-level
    region) and ``discrepant-tables`` (each table and count where two sources differ)."""
    tables: dict[str, pd.DataFrame] = {}
    if sheets is not None and len(sheets) and sheets.levels:
        level = sheets.levels[0]
        agg = sheets.aggregate(level)
        if region_names:
            agg["region_name"] = [region_names.get(str(c), n) for c, n in
                                  zip(agg["region_code"], agg["region_name"], strict=True)]
        tables[f"by-{level}"] = agg.reset_index(drop=True)
    from audit.checks.crosscheck import CrosscheckResult

    parts = []
    for r in used.get("crosscheck", ()):
        if isinstance(r, CrosscheckResult) and len(r.discrepancies):
            parts.append(r.discrepancies.assign(source_a=r.label_a, source_b=r.label_b))
    if parts:
        frame = pd.concat(parts, ignore_index=True)
        first = ["source_a", "source_b"]
        tables["discrepant-tables"] = frame[first + [c for c in frame.columns
                                                     if c not in first]]
    return tables


def csv_files(tables: Mapping[str, pd.DataFrame], stem: str) -> dict[str, str]:
    """File name -> CSV text for each appendix table (``<stem>-<name>.csv``)."""
    return {f"{stem}-{name}.csv": csv_text(frame) for name, frame in tables.items()}


def write_csvs(tables: Mapping[str, pd.DataFrame], report: Path) -> list[Path]:
    """Write the appendix tables beside ``report``; returns the files written."""
    written = []
    for name, text in csv_files(tables, report.stem).items():
        path = report.with_name(name)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


__all__ = ["FORMULA_START", "csv_files", "csv_text", "data_tables", "safe_cell",
           "write_csvs"]
