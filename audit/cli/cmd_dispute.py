"""``election-audit dispute``: every claim of a case checked alone, in succession, against the
tally sheets and against each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import (
    emit_json,
    join_options,
    json_option,
    lang_option,
    mapping_option,
    sheets_option,
)
from audit.cli._layout import Column, print_table, say

_MARK = {"impossible": "[bold red]✗[/]", "strong": "[red]![/]", "moderate": "[yellow]![/]",
         "weak": "[yellow]?[/]", "consistent": "[green]✓[/]", "not_tested": "[dim]·[/]"}
_VERDICT = {"compatible": "[green]✓[/]", "incompatible": "[bold red]✗[/]",
            "not_comparable": "[dim]·[/]"}


@click.command(short_help="Check every claim of a case, alone and together.")
@click.argument("case")
@sheets_option
@mapping_option
@join_options
@click.option("--tolerance", type=click.IntRange(min=0), default=0, show_default=True,
              help="Votes within which a count counts as sitting on its round percentage.")
@lang_option
@json_option
def dispute(case: str, sheets: tuple[Path, ...], mapping: str | None,
            join_file: Path | None, join_on: tuple[str, ...], tolerance: int, lang: str,
            as_json: bool) -> None:
    """Check every claim of CASE (a bundled name such as venezuela-2024, or a folder).

    Arithmetic of each claim at its announced precision; counts too close to round
    percentages; successive claims of one side; each claim against the tally sheets held
    (what the tables without sheets would need); and which pairs of claims cannot both be
    true, unless what. Without --sheets the claims are checked against the per-region
    aggregates bundled with the case. Findings exit 0; bad input exits 2 with one line.

    \b
    Example:
      election-audit dispute venezuela-2024
      election-audit dispute venezuela-2024 --sheets actas.csv --mapping actas.toml --json
    """
    from audit.checks.dispute import audit_dispute
    from audit.errors import AuditError
    from audit.model import SheetTable

    if (join_file is not None or mapping is not None) and not sheets:
        raise AuditError(f"--{'join' if join_file is not None else 'mapping'} applies to "
                         f"--sheets (your own tally-sheet files); give them")
    tables: list[SheetTable] | None = None
    if sheets:
        from audit.ingest import read_sheets

        tables = [read_sheets(f, profile=mapping, join=join_file, join_on=join_on).sheets
                  for f in sheets]
    result = audit_dispute(case, tables, tolerance=tolerance)
    if as_json:
        emit_json(result.to_dict())
        return
    _print_summary(result, lang)


def compact_time(text: str) -> str:
    """An ISO 8601 time as a terminal shows it: a space for 'T', no zero seconds."""
    return re.sub(r"T(\d\d:\d\d):00", r" \1", text)


def _print_summary(result: Any, lang: str) -> None:
    from audit.checks.result import Message
    from audit.messages import render

    led = result.ledger
    with_figures = sum(1 for c in led.claims if c.has_figures)
    header = render("claims.dispute.header", {"election": result.election_id,
                                              "claims": len(led),
                                              "with_figures": with_figures}, lang)
    say(f"[bold]{escape(header)}[/bold]")
    for s in result.sheets:
        if s.kind == "aggregates":
            file = str(s.summary.provenance.get("source", "")).split(" sha256=")[0]
            say(escape(render("claims.dispute.sheets_bundled", {"label": s.label,
                                                                "file": file}, lang)))
        else:
            say(escape(render("claims.dispute.sheets_file", {"label": s.label,
                                                             "tables": s.summary.tables},
                              lang)))
    if not result.sheets:
        say(escape(render("claims.dispute.no_sheets", {}, lang)))
    elif all(s.kind != "aggregates" for s in result.sheets):
        say("[dim](your sheets replace the aggregates bundled with the case)[/dim]")

    frame = led.frame()
    print_table([Column("when"), Column("claim"), Column("side", priority=2),
                 Column("figures", "text")],
                [(compact_time(str(r["datetime"])), str(r["id"]), str(r["side"]),
                  escape(str(r["figures"]))) for r in frame.to_dict("records")],
                title=render("claims.dispute.section_timeline", {}, lang))

    def section(title: str, results: list) -> None:
        if not results:
            return
        say(f"\n[bold]{escape(title)}[/bold]")
        for r in results:
            say(f" {_MARK[r.evidence.value]} {escape(r.message.render(lang))}")

    section(render("claims.dispute.section_arithmetic", {}, lang), list(result.arithmetic))
    section(render("claims.dispute.section_round", {}, lang), list(result.round_percentages))
    section(render("claims.dispute.section_successive", {}, lang), list(result.successive))
    section(render("claims.dispute.section_sheets", {}, lang),
            [r for r in result.against_sheets if r.verdict not in ("no_counts",)])

    compat = result.compatibility
    say(f"\n[bold]{escape(render('claims.dispute.section_compatibility', {}, lang))}[/bold]")
    say(f" {escape(compat.message.render(lang))}")
    bad = compat.table[compat.table["verdict"] == "incompatible"]
    inherited: dict[tuple[str, str], int] = {}
    endorsers = {c.id for c in led.claims if c.endorses}
    for row in bad.to_dict("records"):
        a, b, via = str(row["a"]), str(row["b"]), row["via"]
        if isinstance(via, str) and via:
            endorser = b if b in endorsers else a
            inherited[(endorser, via)] = inherited.get((endorser, via), 0) + 1
            continue
        cond = Message(str(row["condition"]), row["condition_params"]).render(lang) \
            if row["condition"] else ""
        reason = Message(str(row["reason_id"]), row["reason_params"]).render(lang)
        say(f" {_VERDICT['incompatible']} {escape(f'{a} × {b}, {cond}: {reason}')}")
    for (who, via), n in inherited.items():
        say(f" {_VERDICT['incompatible']} " + escape(render(
            "claims.dispute.inherited", {"claim": who, "via": via, "n": n}, lang)))
    labels = [lab for lab in compat.labels
              if lab.startswith("sheets:") or any(c.id == lab and c.has_figures
                                                  for c in led.claims)]
    _print_matrix(compat.table, labels, render("claims.dispute.legend", {}, lang))


def _print_matrix(table: Any, labels: list[str], legend: str) -> None:
    """The compatibility matrix, numbered; when it is wider than the terminal, a line says
    so (the incompatible pairs are listed above it, and --json has every pair)."""
    from rich.table import Table

    from audit.cli._common import out

    if len(labels) < 2:
        return
    short = [str(i + 1) for i in range(len(labels))]
    label_width = max(len(f"{s} {a}") for s, a in zip(short, labels, strict=True))
    needed = label_width + sum(len(s) + 1 for s in short)
    if needed > out.width:
        say(f"[dim](the {len(labels)} × {len(labels)} compatibility matrix needs {needed} "
            f"columns; every incompatible pair is listed above, --json has them all)[/dim]")
        return
    verdict = {(str(r["a"]), str(r["b"])): str(r["verdict"]) for r in table.to_dict("records")}
    grid = Table(box=None, padding=(0, 0, 0, 1), show_edge=False, pad_edge=False)
    grid.add_column("", no_wrap=True)
    for s in short:
        grid.add_column(s, justify="center", no_wrap=True)
    for i, a in enumerate(labels):
        cells = []
        for j, b in enumerate(labels):
            v = verdict.get((a, b)) or verdict.get((b, a))
            cells.append("" if i == j else _VERDICT.get(v or "not_comparable", ""))
        grid.add_row(f"{short[i]} {escape(a)}", *cells)
    say(f"[bold]{escape(legend)}[/bold]")
    out.print(grid)


command = dispute
