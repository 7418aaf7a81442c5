"""``election-audit quickcount``: a stratified random sample of tables from a public seed, and
each candidate's national share estimated from the sampled sheets, against the official
result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import (
    by_option,
    data_dir_option,
    emit_json,
    err,
    fmt_int,
    force_option,
    guard_output,
    join_options,
    json_option,
    lang_option,
    mapping_option,
    output_option,
    sheets_option,
)
from audit.cli._layout import Column, print_table, say


@click.command(short_help="Quick count from a random sample of tables.")
@click.argument("case")
@sheets_option
@mapping_option
@join_options
@click.option("--frame", "frame_file", type=click.Path(path_type=Path),
              help="The list of every table to draw from (CSV/Parquet in canonical columns: "
                   "table_id, center_id, region_<level>_code). Default: the tables of the "
                   "sheets.")
@click.option("--sample", "sample_file", type=click.Path(path_type=Path),
              help="A sample drawn before ('quickcount -o'): estimate from it, draw nothing.")
@click.option("--public-seed", help="Draw the sample from this public seed (e.g. the digits "
                                    "of 20 dice rolls, read aloud before the draw).")
@click.option("--size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Tables to draw (capped at the frame's size).")
@by_option
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.95, show_default=True, help="Level of the intervals.")
@click.option("--official", "claim_id",
              help="Claim to place against the intervals (default: the latest official one "
                   "with figures).")
@output_option(kind="file", help="Write the drawn sample here (CSV with the seed and the "
                                 "frame's SHA-256), to publish or to estimate from later "
                                 "with --sample.")
@lang_option
@data_dir_option
@click.option("--offline", is_flag=True, help="Never download the case's source.")
@force_option
@json_option
def quickcount(case: str, sheets: tuple[Path, ...], mapping: str | None,
               join_file: Path | None, join_on: tuple[str, ...],
               frame_file: Path | None, sample_file: Path | None, public_seed: str | None,
               size: int, by: str | None, confidence: float, claim_id: str | None,
               output: Path | None, lang: str, data_dir: Path | None, offline: bool,
               force: bool, as_json: bool) -> None:
    """Quick count (parallel vote tabulation) of CASE from a random sample of tables.

    Draws a sample of tables stratified by region from a public seed (the procedure of
    'sample-size --public-seed', per stratum), estimates each candidate's national share of
    valid votes from the sampled sheets with a stratified ratio estimator and its interval,
    and says whether the official result lies inside (docs/night.md).

    \b
    Example:
      election-audit quickcount venezuela-2024 --frame frame.csv --public-seed 3840581729 \\
          -o sample.csv
      election-audit quickcount venezuela-2024 --sheets night.csv --sample sample.csv
    """
    from audit.cases import load_case, load_case_claims
    from audit.checks.quickcount import (
        QuickCountSample,
        SamplingFrame,
        quick_count,
        read_sample_or_draw,
        stratum_summary,
    )
    from audit.errors import AuditError

    sheet_files = sheets
    level = None if by is None else "none" if by.lower() in ("none", "national") else by
    if sample_file is not None and output is not None:
        raise AuditError("-o writes a drawn sample; with --sample nothing is drawn")
    if sample_file is not None and frame_file is not None:
        raise AuditError("--frame is for drawing; a --sample was drawn already")
    the_case = load_case(case)
    if output is not None:
        guard_output(output, inputs=[*sheets, frame_file, mapping, join_file,
                                     *the_case.input_files()], force=force)
    election = the_case.election
    by = level if level is not None else (election.region_levels[0]
                                          if election.region_levels else "none")
    strata_level = None if by == "none" else by
    if strata_level is not None and strata_level not in election.region_levels:
        raise AuditError(f"--by {by}: {election.id} has region levels "
                         f"{', '.join(election.region_levels) or 'none'} (or 'none')")

    tables: Any = None
    if sheet_files or frame_file is None:  # a --frame alone only draws
        tables = _load_sheets(the_case, sheet_files, mapping, join_file, join_on, data_dir,
                              offline)
    frame = None
    sample = QuickCountSample.from_csv(sample_file) if sample_file is not None else None
    if sample is None:
        frame = SamplingFrame.from_file(frame_file, strata_level) if frame_file is not None \
            else SamplingFrame.from_sheets(_need(tables), strata_level)
        size = min(size, len(frame.tables))
    sample = read_sample_or_draw(frame, sample=sample, seed=public_seed, size=size)
    if output is not None:
        sample.to_csv(output)
    _, ledger = load_case_claims(the_case.path)
    try:
        claim = ledger.get(claim_id) if claim_id else ledger.latest("official")
    except KeyError as exc:
        raise AuditError(str(exc.args[0])) from None
    result = quick_count(tables, sample, confidence=confidence, official=claim) \
        if tables is not None else None
    strata = stratum_summary(sample, tables)
    if as_json:
        payload: dict[str, Any] = {"sample": sample.header(), "output": str(output or ""),
                                   "by_stratum": strata.to_dict("records")}
        payload.update(result.to_dict() if result is not None else {
            "schema": "election-audit/quickcount", "schema_version": 1})
        emit_json(payload)
        return
    _print(sample, strata, result, tables, output,
           frame_is_sheets=frame_file is None and sample_file is None, lang=lang)


def _need(sheets: Any) -> Any:
    from audit.errors import AuditError

    if sheets is None:
        raise AuditError("give --sheets, or --frame to draw a sample")
    return sheets


def _load_sheets(case: Any, files: tuple[Path, ...], mapping: str | None,
                 join_file: Path | None, join_on: tuple[str, ...], data_dir: Path | None,
                 offline: bool) -> Any:
    from audit.data import load_source
    from audit.errors import AuditError
    from audit.ingest import read_sheets

    if files:
        return read_sheets(list(files), profile=mapping, election=case.election,
                           join=join_file, join_on=join_on).sheets
    if mapping or join_file:
        raise AuditError("--mapping and --join apply to --sheets files")
    source = case.main_source
    if source is None:
        raise AuditError(f"case {case.name!r} lists no tally-sheet source; give --sheets")
    return load_source(case, source.id, data_dir=data_dir, download=not offline).sheets


def _pct(x: float) -> str:
    return "—" if x != x else f"{100 * x:.2f}%"


def _print(sample: Any, strata: Any, result: Any, sheets: Any, output: Path | None,
           frame_is_sheets: bool, lang: str) -> None:
    import pandas as pd

    design = f"stratified by {sample.level} ({len(strata)} strata)" if sample.level \
        else "one stratum"
    say(f"[bold]Quick count[/bold]: {fmt_int(len(sample.draws))} tables drawn with public "
        f"seed {escape(repr(sample.seed))}, {design}")
    say(f"frame: {fmt_int(sample.frame_tables)} tables ({escape(str(sample.frame_source))})")
    if frame_is_sheets:
        say("the frame is the tables with sheets given (no --frame): the estimate is of those "
            "tables, not of the tables without sheets")
    say(f"frame sha256 {sample.frame_sha256}")  # a hash is one word: never cut
    if output is not None:
        say(f"wrote the sample to {escape(str(output))}")
    if result is None:
        say("no sheets given: the sample is drawn; estimate with --sheets FILE --sample FILE "
            "once the sampled sheets arrive")
        return
    say(f"sheets held for {fmt_int(result.held)} of {fmt_int(result.drawn)} sampled tables")
    if result.strata_missing:
        say(f"note: no sampled sheet yet in {len(result.strata_missing)} strata "
            f"({escape(', '.join(result.strata_missing[:8]))}); the estimate covers the "
            f"others", console=err)
    names = sheets.election.labels() if sheets is not None and sheets.election else {}
    conf = f"{100 * result.confidence:g}%"
    compared = "official_low" in result.table
    columns = [Column("candidate"), Column("name", "text", priority=2),
               Column("estimate", "number"), Column(f"{conf} interval", "number")]
    if compared:
        columns += [Column(str(result.official), "number"), Column("")]
    rows = []
    for row in result.table.to_dict("records"):
        cells = [row["key"], escape(names.get(row["key"], "")), _pct(row["estimate"]),
                 f"{_pct(row['low'])}–{_pct(row['high'])}"]
        if compared:
            low, high, inside = row["official_low"], row["official_high"], row["inside"]
            official = "—" if low != low else _pct((low + high) / 2)
            verdict = "" if pd.isna(inside) else (
                "[green]inside[/]" if inside else "[bold red]outside[/]")
            cells += [official, verdict]
        rows.append(cells)
    print_table(columns, rows)
    say(escape(result.message.render(lang)))


command = quickcount
