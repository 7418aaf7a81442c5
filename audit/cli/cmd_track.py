"""``election-audit track``: tally sheets arriving in batches on election night, kept in a
database (a SQLite file, or a shared PostgreSQL server for several entry desks)."""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import (
    by_option,
    emit_json,
    err,
    fmt_int,
    force_option,
    guard_output,
    join_options,
    json_option,
    mapping_option,
    output_option,
    progress_option,
    resolve_by,
)
from audit.cli._layout import Column, print_table, say
from audit.errors import AuditError

_EXPORT_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class _Target:
    """The group's CASE and --db; the case is loaded when a subcommand runs (so that
    ``track CASE add --help`` works whatever CASE is)."""

    name: str
    db: str

    @property
    def case(self) -> Any:
        from audit.cases import load_case

        return load_case(self.name)


def _n(count: int, word: str) -> str:
    """``1 table``, ``2 tables``."""
    return f"{fmt_int(count)} {word}{'' if count == 1 else 's'}"


def _sender() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (containers)
        return "unknown"


class _CaseGroup(click.Group):
    """A group taking ``CASE --db …`` before the subcommand: the group's own options may
    follow CASE (``track CASE --db night.sqlite add …``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        head = []
        rest = list(args)
        if rest and not rest[0].startswith("-"):
            case = rest.pop(0)
            while rest and (rest[0] == "--db" or rest[0].startswith("--db=")):
                head.append(rest.pop(0))
                if head[-1] == "--db" and rest:
                    head.append(rest.pop(0))
            rest.insert(0, case)
        return super().parse_args(ctx, head + rest)


@click.group(cls=_CaseGroup, short_help="Batches of sheets on election night, in a database.")
@click.argument("case")
@click.option("--db", required=True, envvar="ELECTION_AUDIT_DB", show_envvar=True,
              metavar="FILE|URL",
              help="The night's database: a SQLite file (created by the first add), or "
                   "postgresql://user@host/db shared by several entry desks.")
@click.pass_context
def track(ctx: click.Context, case: str, db: str) -> None:
    """Track the tally sheets of CASE arriving in batches on election night.

    Every batch is validated like 'ingest' and kept with its SHA-256, time and sender;
    tables read twice are compared (double entry) and those with different numbers wait for
    a third reading; 'status' shows coverage by region over time and the latest official
    bulletin against the sheets; 'export' writes the consolidated sheets every other command
    reads. See docs/night.md.

    \b
    Example:
      election-audit track venezuela-2024 --db night.sqlite add lote1.csv --sender mesa-3
      election-audit track venezuela-2024 --db night.sqlite status --by state
      election-audit track venezuela-2024 --db night.sqlite export -o night.csv
    """
    ctx.obj = _Target(name=case, db=db)


def _open(ctx: click.Context, *, create: bool = False) -> Any:
    from audit.track import TrackStore

    target: _Target = ctx.obj
    return TrackStore.open(target.db, target.case.election, create=create)


def _sheet_options(func: Any) -> Any:
    func = progress_option(func)
    func = click.option("--sender", default=_sender, show_default="your user name",
                        help="Who sent the batch (entry desk, observer).")(func)
    func = join_options(func)
    return mapping_option(func)


def _receive(ctx: click.Context, files: tuple[Path, ...], mapping: str | None,
             join_file: Path | None, join_on: tuple[str, ...], sender: str,
             progress: bool | None, kind: str) -> tuple[Any, list[Any], dict[int, Any]]:
    from tqdm import tqdm

    from audit.ingest import read_sheets

    election = ctx.obj.case.election
    on = join_on
    show = sys.stderr.isatty() if progress is None else progress
    results = [read_sheets(path, profile=mapping, election=election, join=join_file,
                           join_on=on)  # every file is read before anything is written
               for path in tqdm(files, desc="reading", unit="file", file=sys.stderr,
                                disable=not show or len(files) < 2)]
    store = _open(ctx, create=True)
    receipts, reasons = [], {}
    for result in results:
        receipt = store.add(result, sender=sender, kind=kind, mapping=str(mapping or ""))
        receipts.append(receipt)
        reasons[receipt.batch_id] = result.reasons()
    return store.state(), receipts, reasons


def _batch_command(name: str, kind: str, short_help: str, doc: str) -> None:
    """``add`` (data entry) and ``resolve`` (third readings): the same command, two kinds."""

    @click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
    @_sheet_options
    @json_option
    @click.pass_context
    def command(ctx: click.Context, files: tuple[Path, ...], mapping: str | None,
                join_file: Path | None, join_on: tuple[str, ...], sender: str,
                progress: bool | None, as_json: bool) -> None:
        state, receipts, reasons = _receive(ctx, files, mapping, join_file, join_on, sender,
                                            progress, kind)
        _report_batches(state, receipts, reasons, as_json, f"election-audit/track-{name}")

    command.__doc__ = doc
    track.command(name=name, short_help=short_help)(command)


_batch_command("add", "entry", "Add data-entry batches.",
               "Add data-entry batches (one file each; CSV, Excel or Parquet).")
_batch_command("resolve", "third", "Add third readings of disputed sheets.",
               "Add third readings of disputed sheets (same layout as a batch); each "
               "settles its table, whatever the earlier readings said.")


def _report_batches(state: Any, receipts: list[Any],
                    reasons: dict[int, dict[str, int]], as_json: bool, schema: str) -> None:
    from audit._json import jsonable
    from audit._version import __version__

    stats = state.batches.set_index("id")
    rows = []
    for r in receipts:
        row = r.to_dict()
        s = stats.loc[r.batch_id]
        row.update({k: int(s[k]) for k in ("new_tables", "agreeing", "conflicts_opened",
                                           "resolved")} if r.new else {})
        row["quarantine_reasons"] = reasons.get(r.batch_id, {}) if r.new else {}
        rows.append(row)
    if as_json:
        emit_json({"schema": schema, "schema_version": 1, "package_version": __version__,
                   "election": state.election.id, "batches": jsonable(rows),
                   "tables": state.totals()})
        return
    for row in rows:
        if not row["new"]:
            say(f"{escape(str(row['file']))}: already received as batch {row['batch_id']} "
                f"(same SHA-256); not added again")
            continue
        what = "third readings" if row["kind"] == "third" else "batch"
        say(f"[bold]{what} {row['batch_id']}[/bold] {escape(str(row['file']))}: "
            f"{fmt_int(row['rows_read'])} rows = {fmt_int(row['accepted'])} accepted + "
            f"{fmt_int(row['quarantined'])} quarantined + "
            f"{fmt_int(row['duplicates'])} duplicates")
        if row["kind"] == "third":
            say(f"  {_n(row['resolved'], 'conflict')} settled by a third reading")
        else:
            say(f"  {fmt_int(row['new_tables'])} new tables, "
                f"{fmt_int(row['agreeing'])} second readings agree, "
                f"{fmt_int(row['conflicts_opened'])} differ (third reading needed)")
        if row["quarantine_reasons"]:
            say("  quarantine: " + ", ".join(
                f"{rule} {fmt_int(n)}" for rule, n in row["quarantine_reasons"].items()))
    _print_totals(state)


def _print_totals(state: Any) -> None:
    t = state.totals()
    expected = state.election.tables
    share = f" of {fmt_int(expected)} ({100 * t['held'] / expected:.1f}%)" if expected else ""
    say(f"tables held {fmt_int(t['held'])}{share}: {fmt_int(t['single'])} read once, "
        f"{fmt_int(t['agreed'])} double-entry agreed, {fmt_int(t['third_reading'])} "
        f"settled by a third reading, {fmt_int(t['conflict'])} in conflict")
    if t["conflict"]:
        verb = "awaits" if t["conflict"] == 1 else "await"
        say(f"{_n(t['conflict'], 'table')} {verb} a third reading: the 'conflicts' "
            f"subcommand lists the readings")


@track.command(short_help="Coverage, conflicts, the official claim.")
@by_option
@click.option("--frame", "frame_file", type=click.Path(path_type=Path),
              help="The list of every table (canonical columns), for coverage per region.")
@click.option("--official", "claim_id",
              help="Claim to check the sheets against (default: the latest official one).")
@json_option
@click.pass_context
def status(ctx: click.Context, by: str | None, frame_file: Path | None,
           claim_id: str | None, as_json: bool) -> None:
    """Coverage by region over time, conflicts, quarantine, and the latest official
    bulletin against the sheets held."""
    from audit.cases import load_case_claims
    from audit.checks.claims import check_against_sheets

    store = _open(ctx)
    state = store.state()
    election = state.election
    chosen = resolve_by(by, state.levels)
    if chosen is not None and chosen not in state.levels:
        raise AuditError(f"--by {by}: the database has region levels "
                         f"{', '.join(state.levels) or 'none'} (or 'none')")
    expected = _expected(frame_file, chosen)
    _, ledger = load_case_claims(ctx.obj.case.path)
    try:
        claim = ledger.get(claim_id) if claim_id else ledger.latest("official")
    except KeyError as exc:
        raise AuditError(str(exc.args[0])) from None
    dispute = None
    if claim is not None and claim.has_counts and len(state.sheets):
        dispute = check_against_sheets(claim, state.sheets, election, label="tracked")
    if as_json:
        payload = state.to_dict(chosen, expected)
        payload["database"] = store.label
        payload["dispute"] = dispute.to_dict() if dispute is not None else None
        emit_json(payload)
        return
    _print_status(state, store.label, chosen, expected, claim, dispute)


def _expected(frame_file: Path | None, level: str | None) -> dict[str, int] | None:
    if frame_file is None:
        return None
    from audit.checks.quickcount import SamplingFrame

    frame = SamplingFrame.from_file(frame_file, level)
    sizes = frame.strata()
    if level is None:
        return {"national": int(sizes.sum())}
    return {str(k): int(v) for k, v in sizes.items()}


def _print_status(state: Any, label: str, level: str | None,
                  expected: dict[str, int] | None, claim: Any, dispute: Any) -> None:
    import pandas as pd

    say(f"[bold]{escape(state.election.name)}[/bold] — night database {escape(label)}")
    rows = []
    for b in state.batches.to_dict("records"):
        when = str(b["received_at"]).replace("T", " ").removesuffix("Z")[5:16]
        differ = fmt_int(b["conflicts_opened"]) if b["kind"] == "entry" \
            else f"−{b['resolved']}"
        rows.append((str(b["id"]), when, escape(str(b["sender"])), escape(str(b["file"])),
                     fmt_int(b["rows_read"]), fmt_int(b["new_tables"]),
                     fmt_int(b["agreeing"]), differ, fmt_int(b["held"])))
    print_table([Column("#", "number"), Column("received UTC", priority=3),
                 Column("sender", priority=2), Column("file"), Column("rows", "number"),
                 Column("new", "number"), Column("agree", "number"),
                 Column("differ", "number"), Column("held", "number")], rows,
                title="Batches")
    cov = state.coverage(level, expected)
    ids = sorted(cov["batch_id"].unique())
    shown = ids[-4:]  # tables held after each of the last batches (older ones first left out)
    title = f"Coverage by {level}" if level else "Coverage (national)"
    if len(shown) > 1:
        title += ": tables held after each batch"
    held = cov.pivot(index="region_code", columns="batch_id", values="held") if ids else None
    last = cov[cov["batch_id"] == ids[-1]] if ids else cov
    columns = [Column(level or "scope", "text")]
    columns += [Column(f"#{b}" if len(shown) > 1 else "held", "number",
                       priority=1 if b == shown[-1] else 2 + len(shown) - i)
                for i, b in enumerate(shown)]
    columns += [Column("of", "number"), Column("coverage", "number"),
                Column("conflicts", "number")]
    cells: list[tuple[str, ...]] = []
    for r in last.to_dict("records"):
        exp = r["expected"]
        assert held is not None
        cells.append((escape(f"{r['region_code']} {r['region_name']}".strip()),
                     *(fmt_int(held.loc[r["region_code"], b]) for b in shown),
                     "—" if pd.isna(exp) else fmt_int(int(exp)),
                     "—" if pd.isna(exp) else f"{100 * r['coverage']:.1f}%",
                     fmt_int(r["open_conflicts"])))
    print_table(columns, cells, title=title)
    _print_totals(state)
    reasons = state.quarantine_reasons()
    if reasons:
        say("quarantined rows: " + ", ".join(f"{k} {fmt_int(v)}" for k, v in reasons.items()))
    if claim is None:
        say("the case's ledger has no official claim with figures to check")
    elif dispute is None:
        say(f"{escape(claim.id)} states no counts to check against the sheets")
    else:
        say(f"\n[bold]Against {escape(claim.id)}[/bold] ({escape(claim.time.text)})")
        say(f" {escape(dispute.message.render('en'))}")


@track.command(short_help="Tables whose transcriptions differ.")
@output_option(kind="file", help="Write the readings of the tables in conflict here (CSV), "
                                 "for the third-reading desk.")
@click.option("--all", "include_resolved", is_flag=True,
              help="Also list conflicts already settled by a third reading.")
@force_option
@json_option
@click.pass_context
def conflicts(ctx: click.Context, output: Path | None, include_resolved: bool, force: bool,
              as_json: bool) -> None:
    """Tables whose transcriptions differ, with every reading and the counts that differ."""
    import pandas as pd

    from audit.inert import write_csv

    if output is not None:
        guard_output(output, inputs=[ctx.obj.db, *ctx.obj.case.input_files()], force=force)
    state = _open(ctx).state()
    frame = state.conflicts(include_resolved=include_resolved)
    if output is not None:
        write_csv(frame, output)
    if as_json:
        from audit._json import jsonable

        emit_json({"schema": "election-audit/track-conflicts", "schema_version": 1,
                   "election": state.election.id, "output": str(output or ""),
                   "readings": jsonable(frame.to_dict("records"))})
        return
    tables = frame.drop_duplicates(["center_id", "table_id"])
    say(f"{_n(len(tables), 'table')} in conflict ({_n(len(frame), 'reading')})")
    for (center, table_id), group in frame.groupby(["center_id", "table_id"], sort=False):
        key = f"{center}/{table_id}".lstrip("/")
        differs = str(group["differs"].iloc[0]).split(",")
        say(f"[bold]{escape(key)}[/bold] ({group['status'].iloc[0]}; differ: "
            f"{escape(', '.join(differs))})")
        for r in group.to_dict("records"):
            values = ", ".join(f"{c.removeprefix('votes_')}={fmt_int(r[c])}" for c in differs
                               if c and not pd.isna(r[c]))
            say(escape(f"  batch {r['batch_id']} ({r['kind']}, {r['file']} line {r['line']}, "
                       f"{r['sender']}): {values}"))
    if output is not None:
        say(f"wrote {escape(str(output))}")


@track.command(short_help="Write the consolidated sheets.")
@output_option(kind="file", required=True,
               help="Write the sheets here: .csv or .parquet (canonical columns, read by "
                    "every command).")
@click.option("--format", "fmt", type=click.Choice(_EXPORT_FORMATS), default=None,
              help="Output format, when the extension does not say.")
@force_option
@json_option
@click.pass_context
def export(ctx: click.Context, output: Path, fmt: str | None, force: bool,
           as_json: bool) -> None:
    """Write the consolidated sheets: every table not in conflict, once (byte-identical
    for the same database contents)."""
    from audit.track.export import export_sheets

    kind = fmt or output.suffix.lower().lstrip(".")
    if kind not in _EXPORT_FORMATS:
        raise AuditError(f"-o {output}: give a .csv or .parquet file (or --format)")
    guard_output(output, inputs=[ctx.obj.db, *ctx.obj.case.input_files()], force=force)
    state = _open(ctx).state()
    export_sheets(state, output, kind)
    t = state.totals()
    if as_json:
        emit_json({"schema": "election-audit/track-export", "schema_version": 1,
                   "election": state.election.id, "output": str(output), "format": kind,
                   "sheets": len(state.sheets), "tables": t})
        return
    say(f"wrote {escape(str(output))} ({kind}): {fmt_int(len(state.sheets))} sheets")
    if t["conflict"]:
        say(f"note: {_n(t['conflict'], 'table')} in conflict left out until its "
            f"third reading (the 'conflicts' subcommand lists them)", console=err)


command = track
