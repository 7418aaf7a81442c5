"""``election-audit report``: one command from a case to a publishable report."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
from click.core import ParameterSource

from audit.cli._common import data_dir_option, emit_json, json_option, out, seed_option
from audit.messages import LANGUAGES

_FORMATS = ("pdf", "html", "json", "md")


def _command(ctx: click.Context, case: str, sheets: tuple[Path, ...], profile: str | None,
             output: Path, fmt: str | None, lang: str, seed: int, data_dir: Path | None) -> str:
    """The command as typed, with every option that shaped the report (for the appendix)."""
    args = ["election-audit", "report", case]
    for path in sheets:
        args += ["--sheets", str(path)]
    if profile:
        args += ["--profile", profile]
    args += ["-o", str(output)]
    if fmt:
        args += ["--format", fmt]
    args += ["--lang", lang, "--seed", str(seed)]
    if data_dir is not None and ctx.get_parameter_source("data_dir") == ParameterSource.COMMANDLINE:
        args += ["--data-dir", str(data_dir)]
    return shlex.join(args)


@click.command()
@click.argument("case")
@click.option("--sheets", multiple=True, type=click.Path(path_type=Path),
              help="Tally-sheet file(s) of one layout (repeat for several files). Default: the "
                   "case's main source, looked up in the data directory.")
@click.option("--profile", help="Column profile of --sheets: a bundled name or a mapping TOML "
                                "(default: detected from the header).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file; its extension (.pdf, .html, .json, .md) gives the format.")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default=None,
              help="Output format, when the extension does not say.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the report.")
@seed_option
@data_dir_option
@json_option
@click.pass_context
def report(ctx: click.Context, case: str, sheets: tuple[Path, ...], profile: str | None,
           output: Path, fmt: str | None, lang: str, seed: int, data_dir: Path | None,
           as_json: bool) -> None:
    """Write the audit report of CASE (a bundled case name or a case folder).

    Sections whose inputs are missing are replaced by a line saying what is missing and how
    to supply it, so a report is always produced, without network access. Markdown figures
    are written as SVG files in a folder beside the .md file.

    \b
    Example:
      election-audit report venezuela-2024 -o venezuela-2024.pdf
      election-audit report venezuela-2024 --sheets RESULTADOS_2024_CSV_V2.csv \\
          --lang es -o informe.html
    """
    from audit.cases import load_case
    from audit.report import ReportOptions, build_report, infer_format, render
    from audit.report.sources import load_sheets

    kind = infer_format(output, fmt)
    the_case = load_case(case)
    lookup = load_sheets(the_case, sheets, profile=profile, data_dir=data_dir)
    options = ReportOptions(lang=lang, seed=seed, data_dir=data_dir,
                            command=_command(ctx, case, sheets, profile, output, fmt, lang,
                                             seed, data_dir))
    model = build_report(the_case, lookup.ingest, options, source=lookup.source)
    render(model, output, format=kind)
    statuses = {s.id: s.status for s in model.sections}
    if as_json:
        emit_json({"schema": "election-audit/report-run", "schema_version": 1,
                   "output": str(output), "format": kind, "lang": lang, "case": the_case.name,
                   "sheets": len(lookup.ingest.sheets) if lookup.ingest else 0,
                   "sections": statuses})
        return
    counts = {k: sum(v == k for v in statuses.values()) for k in ("complete", "partial",
                                                                  "missing")}
    out.print(f"wrote {output} ({kind}, {lang}): {counts['complete']} sections complete, "
              f"{counts['partial']} partial, {counts['missing']} replaced by a line saying "
              f"what they need")
    if lookup.ingest is None and the_case.main_source is not None:
        src = the_case.main_source
        out.print(f"no tally sheets: pass --sheets {src.file} or place it in "
                  f"<data dir>/{src.folder}/ (--data-dir or ELECTION_AUDIT_DATA)")


command = report
