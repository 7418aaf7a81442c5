"""``election-audit dispute``: every claim of a case checked alone, in succession, against the
tally sheets and against each other."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from audit.checks._result import Evidence, Message
from audit.cli._common import emit_json, json_option, out
from audit.dispute import DisputeResult, audit_dispute
from audit.messages import LANGUAGES, render
from audit.model import SheetTable

_MARK = {Evidence.IMPOSSIBLE: "[bold red]✗[/]", Evidence.STRONG: "[red]![/]",
         Evidence.MODERATE: "[yellow]![/]", Evidence.WEAK: "[yellow]?[/]",
         Evidence.CONSISTENT: "[green]✓[/]", Evidence.NOT_TESTED: "[dim]·[/]"}
_VERDICT = {"compatible": "[green]✓[/]", "incompatible": "[bold red]✗[/]",
            "not_comparable": "[dim]·[/]"}


@click.command()
@click.argument("case")
@click.option("--sheets", "sheet_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tally-sheet file to check the claims against (repeatable; profile "
                   "detected). Default: the per-region aggregates bundled with the case.")
@click.option("--join", "join_file", type=click.Path(exists=True, dir_okay=False,
                                                     path_type=Path),
              help="File whose missing columns (e.g. registered voters) are joined onto "
                   "every --sheets file.")
@click.option("--profile", help="Column profile of the --sheets files (default: detected).")
@click.option("--tolerance", type=click.IntRange(min=0), default=0, show_default=True,
              help="Votes within which a count counts as sitting on its round percentage.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the sentences in the terminal summary.")
@json_option
def dispute(case: str, sheet_files: tuple[Path, ...], join_file: Path | None,
            profile: str | None, tolerance: int, lang: str, as_json: bool) -> None:
    """Check every claim of CASE (a bundled name such as venezuela-2024, or a folder).

    Arithmetic of each claim at its announced precision; counts too close to round
    percentages; successive claims of one side; each claim against the tally sheets held
    (what the tables without sheets would need); and which pairs of claims cannot both be
    true, unless what. Findings exit 0; bad input exits 2 with one line.

    \b
    Example:
      election-audit dispute venezuela-2024
      election-audit dispute venezuela-2024 --sheets RESULTADOS_2024_CSV_V1.csv --json
    """
    sheets: list[SheetTable] | None = None
    if sheet_files:
        from audit.ingest import read_sheets

        sheets = [read_sheets(f, profile=profile, join=join_file).sheets for f in sheet_files]
    result = audit_dispute(case, sheets, tolerance=tolerance)
    if as_json:
        emit_json(result.to_dict())
        return
    _print_summary(result, lang)


def _print_summary(result: DisputeResult, lang: str) -> None:
    led = result.ledger
    with_figures = sum(1 for c in led.claims if c.has_figures)
    header = render("claims.dispute.header", {"election": result.election_id,
                                              "claims": len(led),
                                              "with_figures": with_figures}, lang)
    out.print(f"[bold]{header}[/bold]")
    for s in result.sheets:
        if s.kind == "aggregates":
            file = str(s.summary.provenance.get("source", "")).split(" sha256=")[0]
            out.print(render("claims.dispute.sheets_bundled", {"label": s.label, "file": file},
                             lang))
        else:
            out.print(render("claims.dispute.sheets_file", {"label": s.label,
                                                            "tables": s.summary.tables}, lang))
    if not result.sheets:
        out.print(render("claims.dispute.no_sheets", {}, lang))

    timeline = Table(title=render("claims.dispute.section_timeline", {}, lang), show_edge=False,
                     pad_edge=False)
    for col in ("when", "claim", "side", "figures"):
        timeline.add_column(col, overflow="fold")
    frame = led.frame()
    for rec in frame.to_dict("records"):
        timeline.add_row(str(rec["datetime"]), str(rec["id"]), str(rec["side"]),
                         str(rec["figures"]))
    out.print(timeline)

    def section(title: str, results: list) -> None:
        if not results:
            return
        out.print(f"\n[bold]{title}[/bold]")
        for r in results:
            out.print(f" {_MARK[r.evidence]} {r.message.render(lang)}")

    section(render("claims.dispute.section_arithmetic", {}, lang), list(result.arithmetic))
    section(render("claims.dispute.section_round", {}, lang), list(result.round_percentages))
    section(render("claims.dispute.section_successive", {}, lang), list(result.successive))
    section(render("claims.dispute.section_sheets", {}, lang),
            [r for r in result.against_sheets if r.verdict not in ("no_counts",)])

    compat = result.compatibility
    out.print(f"\n[bold]{render('claims.dispute.section_compatibility', {}, lang)}[/bold]\n"
              f" {compat.message.render(lang)}")
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
        out.print(f" {_VERDICT['incompatible']} {a} × {b}, {cond}: {reason}")
    for (who, via), n in inherited.items():
        out.print(f" {_VERDICT['incompatible']} " + render(
            "claims.dispute.inherited", {"claim": who, "via": via, "n": n}, lang))
    labels = [lab for lab in compat.labels
              if lab.startswith("sheets:") or any(c.id == lab and c.has_figures
                                                  for c in led.claims)]
    _print_matrix(compat.table, labels, render("claims.dispute.legend", {}, lang))


def _print_matrix(table: object, labels: list[str], legend: str) -> None:
    import pandas as pd

    assert isinstance(table, pd.DataFrame)
    if len(labels) < 2:
        return
    verdict = {(str(r["a"]), str(r["b"])): str(r["verdict"]) for r in table.to_dict("records")}
    grid = Table(title=legend, show_edge=False, pad_edge=False)
    grid.add_column("")
    short = [str(i + 1) for i in range(len(labels))]
    for s in short:
        grid.add_column(s, justify="center")
    for i, a in enumerate(labels):
        cells = []
        for j, b in enumerate(labels):
            v = verdict.get((a, b)) or verdict.get((b, a))
            cells.append("" if i == j else _VERDICT.get(v or "not_comparable", ""))
        grid.add_row(f"{short[i]} {a}", *cells)
    out.print(grid)


command = dispute
