"""``election-audit aggregate``: per-region sums of tally sheets, with the sources' SHA-256."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from audit.cli._common import (
    by_option,
    emit_json,
    fmt_int,
    force_option,
    guard_output,
    join_options,
    json_option,
    mapping_option,
    output_option,
)
from audit.cli._layout import Column, print_table, say


@click.command(short_help="Sum tally sheets by region (bundled aggregates).")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@by_option
@mapping_option
@join_options
@click.option("--source-id", default="", help="Source id recorded in the header "
                                               "(e.g. opposition-v1).")
@output_option(kind="file", help="Write the aggregates CSV here (with a '# key: value' "
                                 "header).")
@force_option
@json_option
def aggregate(files: tuple[Path, ...], by: str | None, mapping: str | None,
              join_file: Path | None, join_on: tuple[str, ...], source_id: str,
              output: Path | None, force: bool, as_json: bool) -> None:
    """Sum tally sheets by region, recording the SHA-256 of every file read.

    The output is what a case bundles as ``aggregates_<source>.csv`` so that the dispute
    tracker works without downloading the sheets (format in docs/claims.md).

    \b
    Example:
      election-audit aggregate RESULTADOS_2024_CSV_V2.csv --join RESULTADOS_2024_CSV_V1.csv \\
          --by state --source-id opposition-v2 -o aggregates_opposition-v2.csv
    """
    from audit.aggregate import aggregate_files, write_aggregates

    if output is not None:
        guard_output(output, inputs=[*files, join_file, mapping], force=force)
    national = by is not None and by.lower() in ("none", "national")
    frame, meta = aggregate_files(list(files), level=None if national else by,
                                  profile=mapping, join=join_file, join_on=join_on,
                                  source_id=source_id, top=by is None)
    if output is not None:
        write_aggregates(frame, output, meta)
    if as_json:
        emit_json({"schema": "election-audit/aggregates", "schema_version": 1, "meta": meta,
                   "output": str(output) if output else None, "regions": frame})
        return
    say(f"{fmt_int(int(frame['tables'].sum()))} tables in {len(frame)} regions "
        f"({escape(str(meta['level']))}); sources: {escape(str(meta.get('source', '')))}")
    if output is not None:
        say(f"wrote {escape(str(output))}")
        return
    votes = sorted((c for c in frame.columns if c.startswith("votes_")),
                   key=lambda c: -float(frame[c].to_numpy().sum()))
    priority = {"region_code": 1, "tables": 1, "valid": 1, "region_name": 2,
                "ballots": 4, "registered": 5}
    priority.update({c: 3 if i < 2 else 6 + i for i, c in enumerate(votes)})
    stated = "registered_tables" in frame.columns and frame["registered_tables"].sum() > 0
    shown = [c for c in ("region_code", "region_name", "tables", "registered", "ballots",
                         "valid", *votes) if c in frame.columns
             and (c != "registered" or stated)]
    kind = {"region_code": "key", "region_name": "text"}
    print_table([Column(c.removeprefix("votes_"), kind.get(c, "number"),  # type: ignore[arg-type]
                        priority=priority[c]) for c in shown],
                [tuple(escape(str(v)) if c.startswith("region") else fmt_int(_int(v))
                       for c, v in zip(shown, row, strict=True))
                 for row in frame[shown].itertuples(index=False)])
    say("[dim](every column, the maxima included: -o FILE or --json)[/dim]")


def _int(value: object) -> int | None:
    try:
        return None if value != value else int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


command = aggregate
