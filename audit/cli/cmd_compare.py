"""``election-audit compare``: two sources of the same tally sheets, table by table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import (
    by_option,
    emit_json,
    fmt_int,
    json_option,
    mapping_option,
    on_option,
)
from audit.cli._layout import Column, print_table, say

#: Fields of the result holding one row per table (truncated by ``--limit`` in JSON).
LIST_FIELDS = ("unmatched_a", "unmatched_b", "discrepancies", "unmatched_official",
               "unmatched_bound", "violations")


@click.command(short_help="Two sources of the same sheets, table by table.")
@click.argument("file_a", type=click.Path(path_type=Path))
@click.argument("file_b", type=click.Path(path_type=Path))
@mapping_option(suffix="a", what="FILE_A")
@mapping_option(suffix="b", what="FILE_B")
@by_option
@click.option("--lower-bound", is_flag=True,
              help="Treat FILE_B as an independent lower bound of FILE_A (e.g. photographed "
                   "ballots against the official count) and list the tables below it.")
@click.option("--candidates", help="Comma-separated candidate keys to compare "
                                   "(default: all both files have).")
@on_option
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Rows shown per list (JSON: 1000 unless given; 0 = no limit).")
@json_option
def compare(file_a: Path, file_b: Path, mapping_a: str | None, mapping_b: str | None,
            by: str | None, lower_bound: bool, candidates: str | None,
            join_on: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Compare two sources of the same tally sheets table by table.

    Tables are matched on their keys; the output lists the tables only one file has, the
    per-candidate differences, the largest discrepancies and a breakdown by region (the
    top level both files share, unless --by says otherwise). With --lower-bound, FILE_B is
    read as an independent lower bound of FILE_A and the tables where FILE_A's count is
    below it are listed with the votes involved. Differences are reported, not judged:
    each means that one of the two records is wrong for that table.

    \b
    Example:
      election-audit compare RESULTADOS_2024_CSV_V2.csv 2024_vzla_presidential.csv
      election-audit compare voice.csv voice.csv --mapping-a belarus-2020-official \\
          --mapping-b belarus-2020-voice-photo --lower-bound --by region
    """
    from audit.checks.crosscheck import (
        CrosscheckResult,
        LowerBoundResult,
        compare_sources,
        lower_bound_check,
    )

    read_a = _read(file_a, mapping_a, "A")
    read_b = _read(file_b, mapping_b, "B")
    a, b = read_a.sheets, read_b.sheets
    label_a = a.name or file_a.stem
    label_b = b.name or file_b.stem
    if label_a == label_b:
        label_a, label_b = file_a.stem, file_b.stem
    keys = [k.strip() for k in candidates.split(",") if k.strip()] if candidates else None
    level: str | None = "auto" if by is None else None if by.lower() in ("none", "national") \
        else by
    result: CrosscheckResult | LowerBoundResult
    if lower_bound:
        result = lower_bound_check(a, b, candidates=keys, on=join_on, by=level,
                                   label_official=label_a, label_bound=label_b)
    else:
        result = compare_sources(a, b, candidates=keys, on=join_on, by=level, label_a=label_a,
                                 label_b=label_b)
    if as_json:
        ctx = click.get_current_context()
        json_limit = limit if ctx.get_parameter_source("limit") is \
            click.core.ParameterSource.COMMANDLINE else 1000
        emit_json(compare_payload(result, read_a, read_b, limit=json_limit))
        return
    _print_inputs(read_a, read_b, label_a, label_b)
    say(escape(result.sentence))
    if isinstance(result, LowerBoundResult):
        _print_lower_bound(result, limit)
    else:
        _print_compare(result, limit)


def _read(path: Path, mapping: str | None, tag: str) -> Any:
    """Read one file, naming it (and its --mapping option) in any input error."""
    from audit.errors import AuditError
    from audit.ingest import read_sheets

    try:
        return read_sheets(path, profile=mapping)
    except AuditError as exc:
        text = exc.for_cli({"profile": f"--mapping-{tag.lower()}"})
        raise type(exc)(f"FILE_{tag} ({path.name}): {text}") from exc


def compare_payload(result: Any, read_a: Any, read_b: Any, *, limit: int = 1000
                    ) -> dict[str, Any]:
    """The ``--json`` object (schema ``election-audit/compare``, documented in docs/json.md)."""
    from audit._version import __version__
    from audit.checks.crosscheck import LowerBoundResult

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


def _input(read: Any, label: str) -> dict[str, Any]:
    return {
        "label": label, "profile": read.profile.name, "sha256": read.sha256,
        "files": [p.path for p in read.files], "rows_read": read.rows_read,
        "accepted": read.accepted, "quarantined": read.quarantined,
        "duplicates_collapsed": read.duplicates_collapsed,
        "quarantine_reasons": read.reasons(),
    }


def _print_inputs(read_a: Any, read_b: Any, label_a: str, label_b: str) -> None:
    for tag, label, read in (("A", label_a, read_a), ("B", label_b, read_b)):
        files = ", ".join(p.path for p in read.files)
        line = (f"[bold]{tag}[/bold] {escape(label)}: {escape(files)}  mapping "
                f"[cyan]{escape(read.profile.name)}[/cyan]  {fmt_int(read.accepted)} tables")
        if read.quarantined or read.duplicates_collapsed:
            reasons = ", ".join(f"{k} {v:,}" for k, v in read.reasons().items())
            line += (f" ({fmt_int(read.quarantined)} rows quarantined"
                     + (f": {reasons}" if reasons else "")
                     + (f"; {fmt_int(read.duplicates_collapsed)} duplicates collapsed"
                        if read.duplicates_collapsed else "") + ")")
        say(line)


def _signed(value: int) -> str:
    return f"{value:+,}"


def _pct(share: float) -> str:
    return f"{100 * share:.2f}%"


def _head(frame: Any, limit: int) -> Any:
    return frame.head(limit) if limit else frame


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def _name(result: Any, key: str) -> str:
    return escape(result.candidate_labels.get(key, key))


def _cols(*heads: str, secondary: tuple[str, ...] = ()) -> list[Column]:
    """The first column a key, the others numbers; ``secondary`` ones dropped first."""
    return [Column(h, "key" if i == 0 else "number", priority=2 if h in secondary else 1)
            for i, h in enumerate(heads)]


def _key(center: str, table: str) -> str:
    return escape(f"{center}/{table}" if center else str(table))


def _print_compare(res: Any, limit: int) -> None:
    cols, totals = [], []
    for row in _records(res.table):
        name = _name(res, row["candidate"]) if row["candidate"] else row["column"]
        cols.append((name, fmt_int(row["matched_a"]), fmt_int(row["matched_b"]),
                     _signed(row["difference"]), fmt_int(row["tables_differing"]),
                     _pct(row["agreement_rate"])))
        delta = (_signed(row["total_b"] - row["total_a"])
                 if row["total_a"] is not None and row["total_b"] is not None else "—")
        totals.append((name, fmt_int(row["total_a"]), fmt_int(row["total_b"]), delta))
    print_table(_cols("column", "A", "B", "B − A", "differ", "agree"), cols,
                title="Matched tables: votes, tables that differ, agreement")
    print_table(_cols("column", "A", "B", "B − A"), totals,
                title="Totals over all tables of each source")
    if res.zero_a or res.zero_b:
        say(f"tables with no votes at all in one source only: A {fmt_int(res.zero_a)}, "
            f"B {fmt_int(res.zero_b)} (blank or failed readings, or not yet counted)")
    if len(res.discrepancies):
        rows: list[tuple[str, ...]] = [
            (_key(r["center_id"], r["table_id"]), escape(str(r["region_code"])),
                 _name(res, r["candidate"]) if r["candidate"] else r["column"],
                 fmt_int(r["a"]), fmt_int(r["b"]), _signed(r["difference"]))
                for r in _records(_head(res.discrepancies, limit))]
        print_table([Column("table"), Column("region", priority=2), Column("column"),
                     *_cols("", "A", "B", "B − A")[1:]], rows,
                    title=f"Largest discrepancies (of {len(res.discrepancies):,})")
    _print_unmatched(res.unmatched_a, "A", limit)
    _print_unmatched(res.unmatched_b, "B", limit)
    if len(res.regions):
        shown = res.regions.sort_values(["differ", "matched"], ascending=False, kind="stable")
        rows = [(_region(r["region_code"], r["region_name"]), fmt_int(r["tables_a"]),
                 fmt_int(r["tables_b"]), fmt_int(r["matched"]), fmt_int(r["differ"]),
                 "—" if r["matched"] == 0 else _pct(r["agreement_rate"]),
                 fmt_int(r["abs_difference"])) for r in _records(_head(shown, limit))]
        print_table([Column("region", "text"),
                     *_cols("", "A", "B", "both", "differ", "agree", "|B − A| votes",
                            secondary=("A", "B"))[1:]], rows,
                    title=f"Tables by {res.level}, most differing first")


def _print_lower_bound(res: Any, limit: int) -> None:
    rows: list[tuple[str, ...]] = [(_name(res, r["candidate"]), fmt_int(r["tables_compared"]),
             fmt_int(r["tables_violating"]), _pct(r["share_violating"]),
             fmt_int(r["shortfall"]), fmt_int(r["official_at_violating"]),
             fmt_int(r["bound_at_violating"])) for r in _records(res.table)]
    print_table(_cols("candidate", "tables", "A < B", "share", "votes missing", "A there",
                      "B there", secondary=("A there", "B there")), rows,
                title="Per candidate, A against the lower bound B")
    if len(res.violations):
        rows = [(_key(r["center_id"], r["table_id"]), escape(str(r["region_code"])),
                 _name(res, r["candidate"]), fmt_int(r["official"]), fmt_int(r["bound"]),
                 fmt_int(r["shortfall"])) for r in _records(_head(res.violations, limit))]
        print_table([Column("table"), Column("region", priority=2), Column("candidate"),
                     *_cols("", "A", "B", "missing")[1:]], rows,
                    title=f"Largest shortfalls (of {len(res.violations):,})")
    _print_unmatched(res.unmatched_official, "A", limit)
    _print_unmatched(res.unmatched_bound, "B", limit)
    if len(res.regions):
        rows = [(_region(r["region_code"], r["region_name"]), fmt_int(r["matched"]),
                 fmt_int(r["violating"]), _pct(r["share_violating"]), fmt_int(r["shortfall"]))
                for r in _records(res.regions)]
        print_table([Column("region", "text"),
                     *_cols("", "both", "A < B", "share", "votes missing")[1:]], rows,
                    title=f"Tables by {res.level}")


def _region(code: Any, name: Any) -> str:
    code = str(code)
    named = isinstance(name, str) and name and not code.endswith(name)
    return escape(f"{code} {name}" if named else code)


def _print_unmatched(frame: Any, tag: str, limit: int) -> None:
    if not len(frame):
        return
    keys = [_key(c, t) for c, t in zip(frame["center_id"], frame["table_id"], strict=True)]
    shown = keys[:limit] if limit else keys
    more = f" and {len(keys) - len(shown):,} more (--limit 0 lists them all)" \
        if len(keys) > len(shown) else ""
    say(f"only in {tag} ({len(keys):,}): {escape(', '.join(shown))}{more}")


command = compare
