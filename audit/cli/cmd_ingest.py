"""``election-audit ingest``: read tally sheets, validate, quarantine, summarise."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from audit.cli._common import (
    emit_json,
    fmt_int,
    fmt_pct,
    force_option,
    guard_output,
    json_option,
    out,
)
from audit.errors import AuditError
from audit.ingest import IngestResult, read_sheets
from audit.ingest.core import RULES
from audit.ingest.output import output_paths, write_ingest_outputs
from audit.model import KEY_COLUMNS


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--profile", help="Bundled column profile name (default: detected from header).")
@click.option("--mapping", type=click.Path(path_type=Path),
              help="Your own column mapping (TOML, see docs/profiles.md).")
@click.option("--join", "join_file", type=click.Path(path_type=Path),
              help="Another file whose columns are joined onto these rows.")
@click.option("--on", "join_on", default=",".join(KEY_COLUMNS), show_default=True,
              help="Comma-separated canonical key columns to join on.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write accepted rows (Parquet, CSV), quarantine and summary here.")
@force_option
@json_option
def ingest(files: tuple[Path, ...], profile: str | None, mapping: Path | None,
           join_file: Path | None, join_on: str, out_dir: Path | None, force: bool,
           as_json: bool) -> None:
    """Read tally sheets (CSV, Excel, Parquet) into the canonical table.

    Every row is accepted, quarantined with a reason (line, column, value, rule), or collapsed
    as an identical duplicate; the counts always add up.

    \b
    Example:
      election-audit ingest RESULTADOS_2024_CSV_V2.csv --join RESULTADOS_2024_CSV_V1.csv --json
    """
    if profile and mapping:
        raise AuditError("give either --profile or --mapping, not both")
    if out_dir:
        guard_output(output_paths(out_dir), inputs=[*files, join_file, mapping], force=force)
    result = read_sheets(list(files), profile=mapping or profile, join=join_file,
                         join_on=tuple(c.strip() for c in join_on.split(",") if c.strip()))
    written = write_ingest_outputs(result, out_dir) if out_dir else []
    if as_json:
        payload = result.to_dict()
        payload["outputs"] = [str(p) for p in written]
        emit_json(payload)
        return
    _print_summary(result)
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
    for path in written:
        out.print(f"wrote {path}")


def _print_summary(result: IngestResult) -> None:
    s = result.to_dict()
    out.print(f"[bold]{', '.join(p.path for p in result.files)}[/bold]  profile "
              f"[cyan]{s['profile']}[/cyan]  sha256 {s['sha256'][:16]}…")
    out.print(f"rows read {fmt_int(s['rows_read'])} = accepted {fmt_int(s['accepted'])} + "
              f"quarantined {fmt_int(s['quarantined'])} + duplicates collapsed "
              f"{fmt_int(s['duplicates_collapsed'])}")
    totals = Table(title="Votes on accepted sheets", show_edge=False)
    totals.add_column("candidate")
    totals.add_column("votes", justify="right")
    totals.add_column("% of valid", justify="right")
    election = result.sheets.election
    for key, votes in sorted(s["totals"].items(), key=lambda kv: -kv[1]):
        name = election.candidate(key).name if election else key
        totals.add_row(f"{key}  {name}", fmt_int(votes), fmt_pct(votes, s["valid"]))
    totals.add_row("valid", fmt_int(s["valid"]), "")
    for col in ("null", "blank", "voters", "registered"):
        if s[col] is not None:
            totals.add_row(col, fmt_int(s[col]), "")
    out.print(totals)
    if s["quarantine_reasons"]:
        reasons = Table(title="Quarantine", show_edge=False)
        reasons.add_column("rule")
        reasons.add_column("rows", justify="right")
        reasons.add_column("first example")
        for rule, count in s["quarantine_reasons"].items():
            example = result.quarantine.loc[result.quarantine["rule"] == rule, "message"].iloc[0]
            reasons.add_row(rule, fmt_int(count), example)
        out.print(reasons)
        out.print("rules: " + "; ".join(f"{r}: {RULES[r]}" for r in s["quarantine_reasons"]))
    if result.join:
        j = result.join
        out.print(f"joined {', '.join(j.columns)} from {j.file.path}: {fmt_int(j.matched)} "
                  f"matched, {fmt_int(len(j.unmatched_main))} rows here without a partner, "
                  f"{fmt_int(len(j.unmatched_other))} rows there without a partner")
command = ingest
