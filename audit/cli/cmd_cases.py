"""``election-audit cases``: the bundled cases, what one holds, and an editable copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import emit_json, fmt_int, json_option
from audit.cli._layout import Column, print_table, say


@click.group(invoke_without_command=True,
             short_help="Bundled cases: list, show keys and regions, copy.")
@json_option
@click.pass_context
def cases(ctx: click.Context, as_json: bool) -> None:
    """The cases bundled with election-audit: list them, show one, copy one to edit.

    A case is a folder with an election's metadata (election.toml: candidates and their
    keys, region levels), its known sources (sources.toml), its claims (claims.yaml) and
    per-region aggregates. Commands take a bundled case by name or any such folder.

    \b
    Example:
      election-audit cases
      election-audit cases show venezuela-2024
      election-audit cases copy venezuela-2024 my-case
    """
    if ctx.invoked_subcommand is not None:
        return
    from audit.cases import bundled_case_names, case_summary, load_case

    summaries = [case_summary(load_case(name)) for name in bundled_case_names()]
    if as_json:
        emit_json({"schema": "election-audit/cases", "schema_version": 1,
                   "cases": [{k: s[k] for k in ("case", "election", "sources", "aggregates")}
                             | {"claims": len(s["claims"])} for s in summaries]})
        return
    rows = [(s["case"], s["election"]["date"], s["election"]["name"],
             fmt_int(s["election"]["tables"]), str(len(s["sources"])), str(len(s["claims"])))
            for s in summaries]
    print_table([Column("case"), Column("date", priority=3), Column("election", "text"),
                 Column("tables", "number", priority=2),
                 Column("sources", "number", priority=2),
                 Column("claims", "number", priority=2)], rows,
                title=f"{len(rows)} bundled cases")
    say("Details: election-audit cases show CASE. To edit one (add claims, sources): "
        "election-audit cases copy CASE DIR.")


@cases.command("show", short_help="Sources, candidate keys, regions, claims.")
@click.argument("case")
@json_option
def show(case: str, as_json: bool) -> None:
    """Print what CASE holds: sources, candidate keys, region levels and claims.

    The candidate keys and region levels are what a column mapping uses
    ('election-audit profile new FILE --case CASE' drafts one).

    \b
    Example:
      election-audit cases show venezuela-2024
    """
    from audit.cases import case_summary, load_case

    s = case_summary(load_case(case))
    if as_json:
        emit_json(s)
        return
    _print_case(s)


def _print_case(s: dict[str, Any]) -> None:
    e = s["election"]
    where = "bundled" if s["bundled"] else "folder"
    say(f"[bold]{escape(s['case'])}[/bold]: {escape(e['name'])}, {e['date']} "
        f"({escape(e['country'])}; {fmt_int(e['tables'])} tables); {where} "
        f"{escape(s['path'])}")
    print_table([Column("key"), Column("candidate", "text")],
                [(c["key"], escape(c["name"])) for c in s["candidates"]],
                title="Candidate keys (the [candidates] of a mapping)")
    if s["region_levels"]:
        print_table([Column("level"), Column("regions listed", "number"),
                     Column("example code", "text", priority=2)],
                    [(lv["level"], fmt_int(lv["regions"]), escape(lv["example"]) or "—")
                     for lv in s["region_levels"]],
                    title="Region levels, top first (codes checked on ingest when listed)")
    if s["sources"]:
        print_table([Column("source"), Column("side", priority=2), Column("files", "text"),
                     Column("description", "text", priority=3)],
                    [(src["id"] + (" (main)" if src["main"] else ""), src["side"] or "—",
                      escape(", ".join(src["files"])), escape(src["description"]) or "—")
                     for src in s["sources"]],
                    title="Sources (tally-sheet files known to the case)")
    if s["aggregates"]:
        say("Bundled aggregates: " + escape(", ".join(s["aggregates"])))
    if s["claims"]:
        print_table([Column("when"), Column("claim"), Column("side", priority=2),
                     Column("figures", "text", priority=3)],
                    [(c["datetime"], c["id"], c["side"], escape(c["figures"]))
                     for c in s["claims"]],
                    title=f"{len(s['claims'])} claims (election-audit claims list "
                          f"{s['case']})")
    else:
        say("No claims yet (election-audit claims add).")


@cases.command("copy", short_help="Copy a case into a new folder, to edit it.")
@click.argument("case")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@json_option
def copy(case: str, dest: Path, as_json: bool) -> None:
    """Copy CASE into the new folder DEST, to edit it (claims, sources, metadata).

    Bundled cases are part of the installed package and are never written to; commands
    take the copy by its folder name.

    \b
    Example:
      election-audit cases copy venezuela-2024 my-case
      election-audit claims add my-case --id my-count ...
    """
    from audit.cases import copy_case

    written = copy_case(case, dest)
    if as_json:
        emit_json({"schema": "election-audit/cases-copy", "schema_version": 1, "case": case,
                   "folder": str(dest), "files": [str(p) for p in written]})
        return
    say(f"copied {escape(case)} to {escape(str(dest))} ({len(written)} files: "
        f"{escape(', '.join(p.name for p in written))}); use it as "
        f"[bold]{escape(str(dest))}[/bold] wherever a case is asked for")


command = cases
