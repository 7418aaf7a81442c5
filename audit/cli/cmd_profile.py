"""``election-audit profile``: column mappings (profiles), drafted from a file or bundled."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.markup import escape

from audit.cli._common import emit_json, force_option, guard_output, json_option, output_option
from audit.cli._layout import Column, print_table, say


@click.group(short_help="Column mappings: draft one from a file, list.")
def profile() -> None:
    """Column mappings: which column of a tally-sheet file is which (docs/profiles.md).

    \b
    Example:
      election-audit profile new actas.csv --case venezuela-2024 -o actas.toml
      election-audit profile list
    """


@profile.command("new", short_help="Draft a mapping from a file's header and values.")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--case", "case", required=True, metavar="CASE",
              help="The election the file belongs to (a bundled case name or a case "
                   "folder): its candidates and regions are matched to the columns.")
@output_option(kind="file", help="Write the drafted mapping (TOML) here; without it, the "
                                 "draft is printed on stdout.")
@click.option("--name", help="Name of the mapping (default: the file's name).")
@force_option
@json_option
def new(file: Path, case: str, output: Path | None, name: str | None, force: bool,
        as_json: bool) -> None:
    """Draft a column mapping for FILE from its header and its values.

    Candidate columns are matched to the case's candidates by name (accents, case and
    partial names: "GONZALEZ" is EG in venezuela-2024); valid votes, ballots and
    registered voters are recognised by what the numbers add up to; table and centre ids
    and region columns by their names and values. Whatever could not be mapped is listed.
    Check the draft, then read the file with it: election-audit ingest FILE --mapping OUT.

    \b
    Example:
      election-audit profile new actas.csv --case venezuela-2024 -o actas.toml
      election-audit ingest actas.csv --mapping actas.toml
    """
    from audit.cases import is_bundled, load_case
    from audit.ingest.draft import draft_mapping

    the_case = load_case(case)
    if output is not None:
        guard_output(output, inputs=[file, *the_case.input_files()], force=force)
    if is_bundled(the_case):
        ref = the_case.name
    else:
        base = output.resolve().parent if output is not None else Path.cwd()
        ref = Path(os.path.relpath((the_case.path / "election.toml").resolve(), base)) \
            .as_posix()
    draft = draft_mapping(file, the_case.election, election_ref=ref, name=name)
    text = draft.to_toml()
    if output is not None:
        output.write_text(text, encoding="utf-8")
    if as_json:
        payload = draft.to_dict()
        payload["output"] = str(output) if output is not None else None
        payload["toml"] = text
        emit_json(payload)
        return
    if output is None:
        click.echo(text, nl=False)
        return
    _print_draft(draft, file, output)


def _print_draft(draft: object, file: Path, output: Path) -> None:
    from audit.ingest.draft import Draft

    assert isinstance(draft, Draft)
    rows = [(k, escape(m.rule), escape(m.how)) for k, m in draft.columns.items()]
    rows += [(f"region {lv}", escape(code.rule), escape(code.how))
             for lv, code, _ in draft.regions]
    rows += [(f"region {lv} name", escape(nm.rule), escape(nm.how))
             for lv, _, nm in draft.regions if nm is not None]
    rows += [(k, escape(m.rule), escape(m.how)) for k, m in draft.candidates.items()]
    print_table([Column("maps"), Column("from column", "text"),
                 Column("recognised by", "text", priority=2)], rows,
                title=f"Draft mapping of {file.name} ({draft.rows_sampled:,} rows read) for "
                      f"{draft.election_id}")
    if draft.missing_candidates:
        say("[yellow]Candidates with no column[/yellow]: " + escape(", ".join(
            f"{k} ({v})" for k, v in draft.missing_candidates.items()))
            + " — map them by hand if the file has them, or the candidates' votes will not "
              "add up to the valid votes")
    if draft.unmapped:
        print_table([Column("column", "text"), Column("why not mapped", "text")],
                    [(escape(c), escape(why)) for c, why in draft.unmapped.items()],
                    title="Not mapped")
    for note in draft.notes:
        say(f"[yellow]note[/yellow]: {escape(note)}")
    say(f"wrote {escape(str(output))}; check it, then: election-audit ingest "
        f"{escape(str(file))} --mapping {escape(str(output))}")


@profile.command("list", short_help="List the bundled column profiles.")
@json_option
def list_profiles(as_json: bool) -> None:
    """List the bundled column profiles (detected from a file's header automatically).

    \b
    Example:
      election-audit profile list
    """
    from audit.ingest.profiles import bundled_profiles

    profiles = bundled_profiles()
    if as_json:
        emit_json({"schema": "election-audit/profiles", "schema_version": 1,
                   "profiles": [{"name": p.name, "title": p.title, "election": p.election}
                                for p in profiles]})
        return
    print_table([Column("profile"), Column("election", priority=2),
                 Column("source", "text", priority=3)],
                [(p.name, p.election or "—", escape(p.title)) for p in profiles],
                title=f"{len(profiles)} bundled profiles")


command = profile
