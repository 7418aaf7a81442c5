"""``election-audit ingest``: read tally sheets, validate, quarantine, summarise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import (
    emit_json,
    fmt_int,
    fmt_pct,
    force_option,
    guard_output,
    join_options,
    json_option,
    mapping_option,
    output_option,
)
from audit.cli._layout import Column, print_table, say


@click.command(short_help="Read, validate and quarantine tally sheets.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@mapping_option
@join_options
@output_option(kind="folder", help="Write the accepted rows (Parquet, CSV), the quarantine "
                                   "and the summary into this folder.")
@force_option
@json_option
def ingest(files: tuple[Path, ...], mapping: str | None, join_file: Path | None,
           join_on: tuple[str, ...], output: Path | None, force: bool, as_json: bool) -> None:
    """Read tally sheets (CSV, Excel, Parquet) into the canonical table.

    Every row is accepted, quarantined with a reason (line, column, value, rule), or collapsed
    as an identical duplicate; the counts always add up.

    \b
    Example:
      election-audit ingest RESULTADOS_2024_CSV_V2.csv --join RESULTADOS_2024_CSV_V1.csv --json
      election-audit ingest actas.csv --mapping actas.toml -o out/
    """
    from audit.ingest.digest import hash_in_background

    digests = hash_in_background(files)  # while pandas is imported, on the other core
    from audit.ingest import read_sheets

    if output:  # (the writers import pyarrow.parquet: only when asked to write)
        from audit.ingest.output import output_paths

        guard_output(output_paths(output), inputs=[*files, join_file, mapping], force=force)
    result = read_sheets(list(files), profile=mapping, join=join_file, join_on=join_on,
                         digests=digests)
    written: list[Path] = []
    if output:
        from audit.ingest.output import write_ingest_outputs

        written = write_ingest_outputs(result, output)
    if as_json:
        payload = result.to_dict()
        payload["outputs"] = [str(p) for p in written]
        emit_json(payload)
        return
    _print_summary(result)
    for note in result.notes:
        say(f"note: {escape(note)}")
    for path in written:
        say(f"wrote {escape(str(path))}")


def _print_summary(result: Any) -> None:
    from audit.ingest.core import RULES

    s = result.to_dict()
    say(f"[bold]{escape(', '.join(p.path for p in result.files))}[/bold]  mapping "
        f"[cyan]{escape(s['profile'])}[/cyan]  sha256 {s['sha256']}")
    say(f"rows read {fmt_int(s['rows_read'])} = accepted {fmt_int(s['accepted'])} + "
        f"quarantined {fmt_int(s['quarantined'])} + duplicates collapsed "
        f"{fmt_int(s['duplicates_collapsed'])}")
    election = result.sheets.election
    rows = []
    for key, votes in sorted(s["totals"].items(), key=lambda kv: -kv[1]):
        name = election.candidate(key).name if election else ""
        rows.append((key, escape(name), fmt_int(votes), fmt_pct(votes, s["valid"])))
    rows.append(("valid", "", fmt_int(s["valid"]), ""))
    for col in ("null", "blank", "voters", "registered"):
        if s[col] is not None:
            rows.append((col, "", fmt_int(s[col]), ""))
    print_table([Column("candidate"), Column("name", "text", priority=2),
                 Column("votes", "number"), Column("% of valid", "number")], rows,
                title="Votes on accepted sheets")
    if s["quarantine_reasons"]:
        q = result.quarantine
        print_table([Column("rule"), Column("rows", "number"),
                     Column("first example", "text")],
                    [(rule, fmt_int(count),
                      escape(str(q.loc[q["rule"] == rule, "message"].iloc[0])))
                     for rule, count in s["quarantine_reasons"].items()],
                    title="Quarantine")
        for rule in s["quarantine_reasons"]:
            say(f"[dim]{rule}: {escape(RULES[rule])}[/dim]")
    for note in s["notes"]:
        say(f"[yellow]note[/yellow]: {escape(note)}")
    if result.join:
        j = result.join
        say(f"joined {escape(', '.join(j.columns))} from {escape(j.file.path)}: "
            f"{fmt_int(j.matched)} matched, {fmt_int(len(j.unmatched_main))} rows here "
            f"without a partner, {fmt_int(len(j.unmatched_other))} rows there without a "
            f"partner")


command = ingest
