"""``election-audit demo``: write a simulated disputed election case folder."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli._common import emit_json, json_option, out, output_option, seed_option


@click.command("demo", short_help="Write a SIMULATED disputed election case.")
@click.argument("out_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@output_option(kind="folder", help="Write the case folder here (the same as OUT_DIR; "
                                   "default: election-audit-demo).")
@click.option("--tables", type=click.IntRange(100), default=2_000, show_default=True,
              help="Polling tables of the simulated election.")
@click.option("--force", is_flag=True, help="Overwrite the demo files in a non-empty folder.")
@seed_option
@json_option
def command(out_dir: Path | None, output: Path | None, tables: int, force: bool, seed: int,
            as_json: bool) -> None:
    """Create a SIMULATED disputed election case in OUT_DIR (default: election-audit-demo).

    Everything in it is invented and labelled so: ballot stuffing for one candidate at a
    known share of tables, official totals altered at aggregation, observers holding 80% of
    the tally sheets in their own column layout, an election.toml, a sources.toml, a
    claims.yaml (the announcement and the observers' tally) and the ground truth.

    \b
    Example:
      election-audit demo my-demo
      cd my-demo
      election-audit ingest observer_tally_sheets.csv --mapping observers-profile.toml
    """
    from audit.errors import AuditError
    from audit.simulate.demo import make_demo

    if out_dir is not None and output is not None and out_dir != output:
        raise AuditError(f"give the folder once: OUT_DIR {out_dir} or -o {output}")
    out_dir = out_dir or output or Path("election-audit-demo")
    demo = make_demo(out_dir, tables=tables, seed=seed, force=force)
    if as_json:
        emit_json(demo.to_dict())
        return
    out.print(f"[bold]SIMULATED[/bold] disputed election written to {demo.folder} "
              f"({demo.tables:,} tables, observers hold {demo.observed_tables:,})")
    for label, shares in (("on all tally sheets", demo.sheet_shares),
                          ("announced (altered)", demo.official_shares),
                          ("observers' copies", demo.observer_shares)):
        text = ", ".join(f"{k} {100 * v:.2f}%" for k, v in shares.items())
        out.print(f"  {label:<22} {text}")
    out.print(f"  ballot stuffing at {demo.stuffed_tables:,} tables; see "
              f"{demo.folder / 'README.md'} and {demo.folder / 'truth'}")
