"""``election-audit compare``: two sources of the same tally sheets, table by table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.table import Table

from audit._version import __version__
from audit.checks.crosscheck import (
    CrosscheckResult,
    LowerBoundResult,
    compare_sources,
    lower_bound_check,
)
from audit.cli._common import emit_json, fmt_int, json_option, out
from audit.errors import AuditError
from audit.ingest import IngestResult, read_sheets
from audit.model import KEY_COLUMNS

#: Fields of the result holding one row per table (truncated by ``--limit`` in JSON).
LIST_FIELDS = ("unmatched_a", "unmatched_b", "discrepancies", "unmatched_official",
               "unmatched_bound", "violations")


@click.command()
@click.argument("file_a", type=click.Path(path_type=Path))
@click.argument("file_b", type=click.Path(path_type=Path))
@click.option("--profile-a", help="Column profile (bundled name or TOML file) of FILE_A "
                                  "(default: detected from its header).")
@click.option("--profile-b", help="Column profile of FILE_B (default: detected).")
@click.option("--by", "level", default="auto", show_default=True,
              help="Region level of the regional breakdown ('auto': the top level both "
                   "files share; 'none': no breakdown).")
@click.option("--lower-bound", is_flag=True,
              help="Treat FILE_B as an independent lower bound of FILE_A (e.g. photographed "
                   "ballots against the official count) and list the tables below it.")
@click.option("--candidates", help="Comma-separated candidate keys to compare "
                                   "(default: all both files have).")
@click.option("--on", "match_on", default=",".join(KEY_COLUMNS), show_default=True,
              help="Comma-separated canonical key columns to match tables on.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Rows shown per list (JSON: 1000 unless given; 0 = no limit).")
@json_option
def compare(file_a: Path, file_b: Path, profile_a: str | None, profile_b: str | None,
            level: str, lower_bound: bool, candidates: str | None, match_on: str,
            limit: int, as_json: bool) -> None:
    """Compare two sources of the same tally sheets table by table.

    Tables are matched on their keys; the output lists the tables only one file has, the
    per-candidate differences, the largest discrepancies and a breakdown by region. With
    --lower-bound, FILE_B is read as an independent lower bound of FILE_A and the tables
    where FILE_A's count is below it are listed with the votes involved. Differences are
    reported, not judged: each means that one of the two records is wrong for that table.

    \b
    Example:
      election-audit compare RESULTADOS_2024_CSV_V2.csv 2024_vzla_presidential.csv
      election-audit compare voice.csv voice.csv --profile-a belarus-2020-official \\
          --profile-b belarus-2020-voice-photo --lower-bound --by region
    """
    read_a = _read(file_a, profile_a, "A")
    read_b = _read(file_b, profile_b, "B")
    a, b = read_a.sheets, read_b.sheets
    label_a = a.name or file_a.stem
    label_b = b.name or file_b.stem
    if label_a == label_b:
        label_a, label_b = file_a.stem, file_b.stem
    keys = [k.strip() for k in candidates.split(",") if k.strip()] if candidates else None
    on = tuple(c.strip() for c in match_on.split(",") if c.strip())
    if not on:
        raise AuditError("--on needs at least one key column")
    by: str | None = None if level.lower() == "none" else level
    result: CrosscheckResult | LowerBoundResult
    if lower_bound:
        result = lower_bound_check(a, b, candidates=keys, on=on, by=by,
                                   label_official=label_a, label_bound=label_b)
    else:
        result = compare_sources(a, b, candidates=keys, on=on, by=by, label_a=label_a,
                                 label_b=label_b)
    if as_json:
        ctx = click.get_current_context()
        json_limit = limit if ctx.get_parameter_source("limit") is \
            click.core.ParameterSource.COMMANDLINE else 1000
        emit_json(compare_payload(result, read_a, read_b, limit=json_limit))
        return
    _print_inputs(read_a, read_b, label_a, label_b)
    out.print(result.sentence)
    if isinstance(result, LowerBoundResult):
        _print_lower_bound(result, limit)
    else:
        _print_compare(result, limit)


def _read(path: Path, profile: str | None, tag: str) -> IngestResult:
    """Read one file, naming it (and its --profile option) in any input error."""
    try:
        return read_sheets(path, profile=profile)
    except AuditError as exc:
        text = str(exc).replace("with --profile", f"with --profile-{tag.lower()}")
        raise type(exc)(f"FILE_{tag} ({path.name}): {text}") from exc


def compare_payload(result: CrosscheckResult | LowerBoundResult, read_a: IngestResult,
                    read_b: IngestResult, *, limit: int = 1000) -> dict[str, Any]:
    """The ``--json`` object (schema ``election-audit/compare``, documented in docs/json.md)."""
    body = result.to_dict()
    labels = ((result.label_official, result.label_bound) if isinstance(result, LowerBoundResult)
              else (result.label_a, result.label_b))
    lengths = {}
    for name in LIST_FIELDS:
        if name in body:
            lengths[name] = len(body[name])
            if limit:
                body[name] = body[name][:limit]
    return {
        "schema": "election-audit/compare",
        "schema_version": 1,
        "package_version": __version__,
        "mode": "lower_bound" if isinstance(result, LowerBoundResult) else "compare",
        "inputs": {"a": _input(read_a, labels[0]), "b": _input(read_b, labels[1])},
        "limit": limit,
        "lengths": lengths,
        "result": body,
    }


def _input(read: IngestResult, label: str) -> dict[str, Any]:
    return {
        "label": label, "profile": read.profile.name, "sha256": read.sha256,
        "files": [p.path for p in read.files], "rows_read": read.rows_read,
        "accepted": read.accepted, "quarantined": read.quarantined,
        "duplicates_collapsed": read.duplicates_collapsed,
        "quarantine_reasons": read.reasons(),
    }


def _print_inputs(read_a: IngestResult, read_b: IngestResult, label_a: str,
                  label_b: str) -> None:
    for tag, label, read in (("A", label_a, read_a), ("B", label_b, read_b)):
        files = ", ".join(p.path for p in read.files)
        line = (f"[bold]{tag}[/bold] {label}: {files}  profile [cyan]{read.profile.name}[/cyan]"
                f"  {fmt_int(read.accepted)} tables")
        if read.quarantined or read.duplicates_collapsed:
            reasons = ", ".join(f"{k} {v:,}" for k, v in read.reasons().items())
            line += (f" ({fmt_int(read.quarantined)} rows quarantined"
                     + (f": {reasons}" if reasons else "")
                     + (f"; {fmt_int(read.duplicates_collapsed)} duplicates collapsed"
                        if read.duplicates_collapsed else "") + ")")
        out.print(line)


def _signed(value: int) -> str:
    return f"{value:+,}"


def _pct(share: float) -> str:
    return f"{100 * share:.2f}%"


def _head(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    return frame.head(limit) if limit else frame


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def _name(result: CrosscheckResult | LowerBoundResult, key: str) -> str:
    return result.candidate_labels.get(key, key)


def _table(*heads: str, title: str) -> Table:
    """A compact table: the first column left-aligned, the others right-aligned."""
    table = Table(title=title, show_edge=False, pad_edge=False)
    for i, head in enumerate(heads):
        table.add_column(head, justify="left" if i == 0 else "right", no_wrap=i == 0)
    return table


def _key(center: str, table: str) -> str:
    return f"{center}/{table}" if center else str(table)


def _print_compare(res: CrosscheckResult, limit: int) -> None:
    cols = _table("column", "A", "B", "B − A", "differ", "agree",
                  title="Matched tables: votes, tables that differ, agreement")
    totals = _table("column", "A", "B", "B − A", title="Totals over all tables of each source")
    for row in _records(res.table):
        name = _name(res, row["candidate"]) if row["candidate"] else row["column"]
        cols.add_row(name, fmt_int(row["matched_a"]), fmt_int(row["matched_b"]),
                     _signed(row["difference"]), fmt_int(row["tables_differing"]),
                     _pct(row["agreement_rate"]))
        delta = (_signed(row["total_b"] - row["total_a"])
                 if row["total_a"] is not None and row["total_b"] is not None else "—")
        totals.add_row(name, fmt_int(row["total_a"]), fmt_int(row["total_b"]), delta)
    out.print(cols)
    out.print(totals)
    if res.zero_a or res.zero_b:
        out.print(f"tables with no votes at all in one source only: A {fmt_int(res.zero_a)}, "
                  f"B {fmt_int(res.zero_b)} (blank or failed readings, or not yet counted)")
    if len(res.discrepancies):
        top = _table("table", "region", "column", "A", "B", "B − A",
                     title=f"Largest discrepancies (of {len(res.discrepancies):,})")
        for row in _records(_head(res.discrepancies, limit)):
            top.add_row(_key(row["center_id"], row["table_id"]), str(row["region_code"]),
                        _name(res, row["candidate"]) if row["candidate"] else row["column"],
                        fmt_int(row["a"]), fmt_int(row["b"]), _signed(row["difference"]))
        out.print(top)
    _print_unmatched(res.unmatched_a, "A", limit)
    _print_unmatched(res.unmatched_b, "B", limit)
    if len(res.regions):
        reg = _table("region", "A", "B", "both", "differ", "agree", "|B − A| votes",
                     title=f"Tables by {res.level}, most differing first")
        shown = res.regions.sort_values(["differ", "matched"], ascending=False, kind="stable")
        for row in _records(_head(shown, limit)):
            rate = "—" if row["matched"] == 0 else _pct(row["agreement_rate"])
            reg.add_row(_region(row["region_code"], row["region_name"]),
                        fmt_int(row["tables_a"]), fmt_int(row["tables_b"]),
                        fmt_int(row["matched"]), fmt_int(row["differ"]), rate,
                        fmt_int(row["abs_difference"]))
        out.print(reg)


def _print_lower_bound(res: LowerBoundResult, limit: int) -> None:
    cand = _table("candidate", "tables", "A < B", "share", "votes missing", "A there",
                  "B there", title="Per candidate, A against the lower bound B")
    for row in _records(res.table):
        cand.add_row(_name(res, row["candidate"]), fmt_int(row["tables_compared"]),
                     fmt_int(row["tables_violating"]), _pct(row["share_violating"]),
                     fmt_int(row["shortfall"]), fmt_int(row["official_at_violating"]),
                     fmt_int(row["bound_at_violating"]))
    out.print(cand)
    if len(res.violations):
        top = _table("table", "region", "candidate", "A", "B", "missing",
                     title=f"Largest shortfalls (of {len(res.violations):,})")
        for row in _records(_head(res.violations, limit)):
            top.add_row(_key(row["center_id"], row["table_id"]), str(row["region_code"]),
                        _name(res, row["candidate"]), fmt_int(row["official"]),
                        fmt_int(row["bound"]), fmt_int(row["shortfall"]))
        out.print(top)
    _print_unmatched(res.unmatched_official, "A", limit)
    _print_unmatched(res.unmatched_bound, "B", limit)
    if len(res.regions):
        reg = _table("region", "both", "A < B", "share", "votes missing",
                     title=f"Tables by {res.level}")
        for row in _records(res.regions):
            reg.add_row(_region(row["region_code"], row["region_name"]), fmt_int(row["matched"]),
                        fmt_int(row["violating"]), _pct(row["share_violating"]),
                        fmt_int(row["shortfall"]))
        out.print(reg)


def _region(code: Any, name: Any) -> str:
    code = str(code)
    named = isinstance(name, str) and name and not code.endswith(name)
    text = f"{code} {name}" if named else code
    return text if len(text) <= 28 else text[:27] + "…"


def _print_unmatched(frame: Any, tag: str, limit: int) -> None:
    if not len(frame):
        return
    keys = [_key(c, t) for c, t in zip(frame["center_id"], frame["table_id"], strict=True)]
    shown = keys[:limit] if limit else keys
    more = f" … (+{len(keys) - len(shown):,})" if len(keys) > len(shown) else ""
    out.print(f"only in {tag} ({len(keys):,}): {', '.join(shown)}{more}")


command = compare
