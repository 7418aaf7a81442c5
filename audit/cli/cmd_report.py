"""``election-audit report``: one command from a case to a publishable report."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
from click.core import ParameterSource

from audit.cli._common import data_dir_option, emit_json, err, json_option, out, seed_option
from audit.messages import LANGUAGES

_FORMATS = ("pdf", "html", "json", "md")


def _command(ctx: click.Context, case: str, sheets: tuple[Path, ...], profile: str | None,
             output: Path, fmt: str | None, lang: str, seed: int, data_dir: Path | None,
             n_resamples: int, skip_checks: tuple[str, ...]) -> str:
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
    if ctx.get_parameter_source("n_resamples") == ParameterSource.COMMANDLINE:
        args += ["--n-resamples", str(n_resamples)]
    for check in skip_checks:
        args += ["--skip", check]
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
@click.option("--n-resamples", type=click.IntRange(min=1), default=None,
              help="Most Monte Carlo redraws of every simulation null (default 999).")
@data_dir_option
@click.option("--offline", is_flag=True,
              help="Never download: use only the files on disk (data directory, cache).")
@click.option("--skip", "skip_checks", multiple=True, metavar="CHECK",
              help="Leave a registered check (or a family) out, e.g. --skip "
                   "fingerprints.klimek for a quick draft (repeatable).")
@json_option
@click.pass_context
def report(ctx: click.Context, case: str, sheets: tuple[Path, ...], profile: str | None,
           output: Path, fmt: str | None, lang: str, seed: int, n_resamples: int | None,
           data_dir: Path | None, offline: bool, skip_checks: tuple[str, ...],
           as_json: bool) -> None:
    """Write the audit report of CASE (a bundled case name or a case folder).

    The tally sheets of a bundled case are looked up in --data-dir, $ELECTION_AUDIT_DATA,
    the case folder and the user cache, then downloaded (SHA-256 checked) when the network
    answers. Sections whose inputs are missing are replaced by a line saying what is missing
    and how to supply it, so a report is always produced, also offline. Markdown figures are
    written as SVG files in a folder beside the .md file.

    \b
    Example:
      election-audit report venezuela-2024 -o venezuela-2024.pdf
      election-audit report venezuela-2024 --sheets RESULTADOS_2024_CSV_V2.csv \\
          --lang es -o informe.html
    """
    from audit.cases import load_case
    from audit.report import ReportOptions, build_report, infer_format, render
    from audit.report.context import REPORT_RESAMPLES
    from audit.report.sources import load_sheets

    n_resamples = n_resamples or REPORT_RESAMPLES
    kind = infer_format(output, fmt)
    the_case = load_case(case)
    lookup = load_sheets(the_case, sheets, profile=profile, data_dir=data_dir,
                         download=not offline)
    options = ReportOptions(lang=lang, seed=seed, data_dir=data_dir, n_resamples=n_resamples,
                            skip_checks=skip_checks, figures=kind != "json",
                            command=_command(ctx, case, sheets, profile, output, fmt, lang,
                                             seed, data_dir, n_resamples, skip_checks))
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
        err.print(f"no tally sheets ({lookup.error}); the sections that need them say how to "
                  f"supply {src.file}")
    elif lookup.note:
        err.print(f"note: {lookup.note}")


command = report
