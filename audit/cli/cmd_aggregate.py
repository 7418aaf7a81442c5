"""``election-audit aggregate``: per-region sums of tally sheets, with the sources' SHA-256."""

from __future__ import annotations

from pathlib import Path

import click

from audit.aggregate import aggregate_files, write_aggregates
from audit.cli._common import emit_json, fmt_int, force_option, guard_output, json_option, out


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--by", "level", default="state", show_default=True,
              help="Region level to sum by (a level of the sheets, or 'national').")
@click.option("--profile", help="Bundled column profile name (default: detected from header).")
@click.option("--join", "join_file", type=click.Path(path_type=Path),
              help="Another file whose missing columns (e.g. registered voters) are joined on.")
@click.option("--source-id", default="", help="Source id recorded in the header "
                                               "(e.g. opposition-v1).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the aggregates CSV here (with a '# key: value' header).")
@force_option
@json_option
def aggregate(files: tuple[Path, ...], level: str, profile: str | None, join_file: Path | None,
              source_id: str, output: Path | None, force: bool, as_json: bool) -> None:
    """Sum tally sheets by region, recording the SHA-256 of every file read.

    The output is what a case bundles as ``aggregates_<source>.csv`` so that the dispute
    tracker works without downloading the sheets (format in docs/claims.md).

    \b
    Example:
      election-audit aggregate RESULTADOS_2024_CSV_V2.csv --join RESULTADOS_2024_CSV_V1.csv \\
          --by state --source-id opposition-v2 -o aggregates_opposition-v2.csv
    """
    if output is not None:
        guard_output(output, inputs=[*files, join_file, profile], force=force)
    frame, meta = aggregate_files(list(files), level=None if level == "national" else level,
                                  profile=profile, join=join_file, source_id=source_id)
    if output is not None:
        write_aggregates(frame, output, meta)
    if as_json:
        emit_json({"schema": "election-audit/aggregates", "schema_version": 1, "meta": meta,
                   "output": str(output) if output else None, "regions": frame})
        return
    out.print(f"{fmt_int(int(frame['tables'].sum()))} tables in {len(frame)} regions "
              f"({meta['level']}); sources: {meta.get('source', '')}")
    if output is not None:
        out.print(f"wrote {output}")
    else:
        out.print(frame.to_string(index=False))


command = aggregate
