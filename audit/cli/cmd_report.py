"""``election-audit report``: one command from a case to a publishable report."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from click.core import ParameterSource
from rich.markup import escape

from audit.cli._common import (
    by_option,
    check_option,
    data_dir_option,
    emit_json,
    force_option,
    guard_output,
    join_options,
    json_option,
    lang_option,
    mapping_option,
    n_resamples_option,
    output_option,
    progress_option,
    seed_option,
    selected_checks,
    sheets_option,
    skip_option,
)
from audit.cli._layout import say

_FORMATS = ("pdf", "html", "json", "md")
#: Most Monte Carlo redraws of the report (audit.report.context.REPORT_RESAMPLES, the
#: package's one default; checked equal in tests/cli/test_vocabulary.py, kept here so that
#: ``--help`` imports nothing heavy).
RESAMPLES = 999


def _command(ctx: click.Context, case: str) -> str:
    """The command as typed, with every option that shaped the report (for the appendix),
    spelled in the current vocabulary; the output, language and seed always."""
    args = ["election-audit", "report", case]
    for param in ctx.command.params:
        name = param.name or ""
        if not isinstance(param, click.Option) or name in ("as_json", "force"):
            continue
        given = ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE
        if not given and name not in ("output", "lang", "seed"):
            continue
        value = ctx.params[name]
        if param.is_flag:
            args.append(param.opts[0] if value or not param.secondary_opts
                        else param.secondary_opts[0])
            continue
        if name == "join_on":
            value = ",".join(value)
        for item in value if isinstance(value, tuple) else (value,):
            args += [param.opts[0], str(item)]
    return shlex.join(args)


def _stages(enabled: bool) -> Callable[[str], None]:
    """A progress callback printing "[n] stage… (seconds)" on stderr, or a no-op."""
    if not enabled:
        return lambda name: None
    from audit.cli._common import err

    start = time.monotonic()
    count = [0]

    def stage(name: str) -> None:
        if not name:
            err.print(f"done in {time.monotonic() - start:.0f} s")
            return
        count[0] += 1
        err.print(f"[{count[0]:>2}] {name}… ({time.monotonic() - start:.0f} s)")

    return stage


@click.command(short_help="Write the audit report (PDF, HTML, JSON, MD).")
@click.argument("case")
@sheets_option
@mapping_option
@join_options
@click.option("--only-sheets/--with-bundled", "only_sheets", default=None,
              help="Cover only the --sheets given, or also the per-region aggregates "
                   "bundled with the case and its other sources on disk (default: only the "
                   "sheets when --sheets is given).")
@output_option(kind="file", required=True,
               help="Write the report here; the extension (.pdf, .html, .json, .md) gives "
                    "the format.")
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default=None,
              help="Output format, when the extension does not say.")
@lang_option
@seed_option
@n_resamples_option(RESAMPLES)
@by_option
@check_option
@skip_option
@data_dir_option
@click.option("--offline", is_flag=True,
              help="Never download: use only the files on disk (data directory, cache).")
@progress_option
@force_option
@json_option
@click.pass_context
def report(ctx: click.Context, case: str, sheets: tuple[Path, ...], mapping: str | None,
           join_file: Path | None, join_on: tuple[str, ...], only_sheets: bool | None,
           output: Path, fmt: str | None, lang: str, seed: int, n_resamples: int | None,
           by: str | None, checks: tuple[str, ...], skip_checks: tuple[str, ...],
           data_dir: Path | None, offline: bool, progress: bool | None, force: bool,
           as_json: bool) -> None:
    """Write the audit report of CASE (a bundled case name or a case folder).

    The tally sheets of a bundled case are looked up in --data-dir, $ELECTION_AUDIT_DATA,
    the case folder and the user cache, then downloaded (SHA-256 checked) when the network
    answers. With --sheets, the report covers your own tally sheets (read with --mapping)
    instead. Sections whose inputs are missing are replaced by a line saying what is
    missing and how to supply it, so a report is always produced, also offline. Markdown
    figures are written as SVG files in a folder beside the .md file.

    \b
    Example:
      election-audit report venezuela-2024 -o venezuela-2024.pdf
      election-audit report venezuela-2024 --sheets actas.csv --mapping actas.toml \\
          --lang es -o informe.html
    """
    from audit.cases import load_case
    from audit.checks.registry import registered
    from audit.data import load_sheets
    from audit.errors import AuditError
    from audit.report import ReportOptions, build_report, infer_format, render

    if (join_file is not None or mapping is not None) and not sheets:
        raise AuditError(f"--{'join' if join_file is not None else 'mapping'} applies to "
                         f"--sheets (your own tally-sheet files); give them")
    only = bool(sheets) if only_sheets is None else only_sheets
    kind = infer_format(output, fmt)
    stage = _stages(sys.stderr.isatty() if progress is None else progress)
    stage("tally sheets")
    skip = skip_checks  # (checked by the report, which may leave every check out)
    if checks:
        chosen = selected_checks(checks, skip_checks) or ()
        skip = tuple(s.name for s in registered() if s.name not in chosen)
    regional = by is None or by.lower() not in ("none", "national")
    the_case = load_case(case)
    figures = [output.with_name(f"{output.stem}_figures")] if kind == "md" else []
    guard_output([output, *figures], inputs=[*the_case.input_files(), *sheets, join_file,
                                             mapping], force=force)
    lookup = load_sheets(the_case, sheets, profile=mapping, data_dir=data_dir,
                         download=not offline, join=join_file, join_on=join_on)
    levels = lookup.ingest.sheets.levels if lookup.ingest is not None else ()
    if regional and by is not None and levels and by not in levels:
        raise AuditError(f"--by {by}: the sheets have region levels {', '.join(levels)}")
    options = ReportOptions(lang=lang, seed=seed, data_dir=data_dir,
                            n_resamples=n_resamples or RESAMPLES, skip_checks=skip,
                            figures=kind != "json", command=_command(ctx, case),
                            regional=regional, level=by if regional else None,
                            only_sheets=only, progress=stage)
    model = build_report(the_case, lookup.ingest, options, source=lookup.source)
    if kind != "json":  # the data appendix CSVs written beside the report
        guard_output([output.with_name(f"{output.stem}-{name}.csv") for name in model.data],
                     inputs=[*the_case.input_files(), *sheets, join_file, mapping],
                     force=force)
    stage(kind.upper())
    render(model, output, format=kind)
    stage("")
    statuses = {s.id: s.status for s in model.sections}
    if as_json:
        emit_json({"schema": "election-audit/report-run", "schema_version": 1,
                   "output": str(output), "format": kind, "lang": lang, "case": the_case.name,
                   "sheets": len(lookup.ingest.sheets) if lookup.ingest else 0,
                   "only_sheets": only, "sections": statuses})
        return
    counts = {k: sum(v == k for v in statuses.values()) for k in ("complete", "partial",
                                                                  "missing")}
    say(f"wrote {escape(str(output))} ({kind}, {lang}): {counts['complete']} sections "
        f"complete, {counts['partial']} partial, {counts['missing']} replaced by a line "
        f"saying what they need")
    if sheets and only:
        say(f"the report covers only the sheets you supplied "
            f"({len(lookup.ingest.sheets) if lookup.ingest else 0:,} accepted); the "
            f"aggregates bundled with {escape(the_case.name)} and its other sources are left "
            f"out (--with-bundled adds them)")
    if lookup.ingest is None and the_case.main_source is not None:
        src = the_case.main_source
        say(f"no tally sheets ({escape(lookup.error)}); the sections that need them say how "
            f"to supply {escape(src.file)}", console=_err())
    elif lookup.note:
        say(f"note: {escape(lookup.note)}", console=_err())


def _err() -> object:
    from audit.cli._common import err

    return err


command = report
