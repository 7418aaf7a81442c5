"""``election-audit calibrate``: false-positive rates and power of the checks on simulations."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import (
    check_option,
    data_dir_option,
    emit_json,
    err,
    force_option,
    guard_output,
    join_options,
    json_option,
    mapping_option,
    n_resamples_option,
    output_option,
    progress_option,
    seed_option,
    selected_checks,
    skip_option,
    source_option,
)
from audit.cli._layout import Column, print_table, say

#: Honest redraws per null in calibration (audit.simulate.calibrate.DEFAULT_RESAMPLES;
#: checked equal in tests/cli/test_vocabulary.py, kept here so ``--help`` stays light).
RESAMPLES = 999
#: Tables of a synthetic election without TARGET.
TABLES = 30_000


@click.command("calibrate", short_help="False-positive rates and power on simulations.")
@click.argument("target", required=False)
@source_option
@mapping_option
@join_options
@click.option("--n-sims", type=click.IntRange(1), default=200, show_default=True,
              help="Clean simulated elections.")
@click.option("--n-power", type=click.IntRange(0), default=100, show_default=True,
              help="Simulated elections per manipulation and intensity (0: no power).")
@check_option
@skip_option
@click.option("--fast-only", is_flag=True, help="Only checks registered as fast.")
@click.option("--scenarios", "scenario_names",
              help="Comma-separated manipulations (default: all sheet manipulations).")
@click.option("--structure", type=click.Choice(["observed", "simulated"]), default="observed",
              show_default=True,
              help="Reuse the observed tables and sizes, or draw a new geography each time.")
@click.option("--mean-level",
              help="Region level whose units get fixed means (default: auto; top: the first).")
@click.option("--tables", type=click.IntRange(10),
              help="Tables per simulated election: of the synthetic elections (default "
                   "30,000), or the fitted shape of TARGET scaled to this size (the "
                   "geography drawn anew).")
@click.option("--varied", is_flag=True,
              help="No TARGET: give every simulated election its own synthetic shape, with "
                   "parameters drawn from documented ranges (docs/calibration.md).")
@click.option("--layered", is_flag=True,
              help="With --varied: every shape has region > sub-region > municipality > "
                   "centre > table layers (docs/calibration-layered.md).")
@click.option("--verdict", "with_verdict", is_flag=True,
              help="Also run the forensics battery on every election and report how often "
                   "its national verdict is flagged (slow).")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a small JSON summary here (e.g. the case's calibration.json, read "
                   "by audit.simulate.calibrate.load_calibration).")
@n_resamples_option(RESAMPLES)
@click.option("--workers", type=click.IntRange(1), help="Processes (default: all cores).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a dask.distributed cluster (e.g. tcp://host:8786) instead of local "
                   "processes; same results for a seed (docs/scale-out.md).")
@output_option(kind="folder", help="Write calibration-<label>.md/.csv/.json/.svg into this "
                                   "folder.")
@click.option("--label", help="Name used in output files (default: case or file name).")
@progress_option
@seed_option
@data_dir_option
@force_option
@json_option
def calibrate_command(target: str | None, source_id: str | None, mapping: str | None,
                      join_file: Path | None, join_on: tuple[str, ...], n_sims: int,
                      n_power: int, checks: tuple[str, ...], skip_checks: tuple[str, ...],
                      fast_only: bool, scenario_names: str | None, structure: str,
                      mean_level: str | None, tables: int | None, varied: bool,
                      layered: bool, with_verdict: bool, summary_path: Path | None,
                      n_resamples: int | None, workers: int | None, scheduler: str | None,
                      output: Path | None,
                      label: str | None, progress: bool | None, seed: int,
                      data_dir: Path | None, force: bool, as_json: bool) -> None:
    """Calibrate the forensic checks on clean elections shaped like TARGET.

    TARGET is a case (bundled name or folder, with --source) or a tally-sheet file; without
    it a synthetic election is used, or with --varied a new synthetic shape for every
    simulated election. The shape of the election (station sizes, regional turnout and
    shares, their dispersion) is fitted to the sheets (docs/simulate.md); N clean elections
    are simulated and every registered check is run on each: the false-positive rate at 0.05
    is reported with a 95% interval. The first --n-power elections are also manipulated
    (ballot stuffing, vote switching, fabrication, ...) at several intensities to measure
    power. Results are reproducible with --seed, whatever the number of workers.

    \b
    Example:
      election-audit calibrate venezuela-2024 --source opposition-v1 --n-sims 1000 -o docs
      election-audit calibrate RESULTADOS_2024_CSV_V1.csv --n-sims 200 --json
      election-audit calibrate --varied --tables 5000 --n-sims 200 -o docs
      election-audit calibrate --varied --layered --tables 5000 --n-sims 200 -o docs
      election-audit calibrate venezuela-2024 --tables 1000000 --n-sims 20 --n-power 0
      election-audit calibrate --varied --n-sims 1000 --scheduler tcp://host:8786 -o docs
    """
    from audit.cli.calibration_files import write_outputs, write_summary
    from audit.errors import AuditError
    from audit.model import SheetTable
    from audit.simulate.calibrate import ShapeSampler, calibrate, forensics_verdict
    from audit.simulate.shape import ElectionShape, fit_shape

    specs = _checks_to_calibrate(checks, skip_checks, fast_only)
    scenarios = _scenarios(scenario_names)  # names checked even without power runs
    if n_power == 0:
        scenarios = []

    if layered and not varied:
        raise AuditError("--layered applies to --varied synthetic elections")
    target_obj, default_label = _target(target, source_id, mapping, join_file, join_on,
                                        data_dir, tables or TABLES, varied, layered, seed)
    planned: list[Path] = []
    if output is not None:
        stem = f"calibration-{label or default_label}"
        planned += [output / f"{stem}.{ext}" for ext in ("md", "csv", "json", "svg")]
    if summary_path is not None:
        planned.append(summary_path)
    if planned:
        guard_output(planned, inputs=[target, mapping, join_file], force=force)
    if isinstance(target_obj, SheetTable):
        fitted = fit_shape(target_obj, mean_level=mean_level,
                           keep_structure=structure == "observed" and tables is None)
        shape: ElectionShape | ShapeSampler = fitted if tables is None else \
            fitted.resized(tables)
    else:
        shape = target_obj
    show = sys.stderr.isatty() if progress is None else progress
    cal = calibrate(shape, checks=specs, n_sims=n_sims, n_power=n_power, scenarios=scenarios,
                    seed=seed, n_resamples=n_resamples or RESAMPLES, workers=workers,
                    progress=show, verdict=forensics_verdict if with_verdict else None,
                    scheduler=scheduler)
    if isinstance(target_obj, SheetTable):
        cal = _with_provenance(cal, target_obj)
    written: list[str] = []
    command = _command_line(data_dir)
    if output is not None:
        written = write_outputs(cal, output, label or default_label, command=command)
    if summary_path is not None:
        written.append(write_summary(cal, summary_path, label=label or default_label,
                                     command=command))
    if as_json:
        payload = cal.to_dict()
        payload["outputs"] = written
        emit_json(payload)
        return
    _print(cal)
    for path in written:
        say(f"wrote {escape(str(path))}")


command = calibrate_command


def _checks_to_calibrate(checks: tuple[str, ...], skip_checks: tuple[str, ...],
                         fast_only: bool) -> list[Any]:
    """The registered checks chosen by ``--check``/``--skip-check`` (the fast ones only with
    ``fast_only``)."""
    from audit.checks.registry import registered
    from audit.errors import AuditError

    chosen = selected_checks(checks, skip_checks)
    known = {s.name: s for s in registered()}
    specs = list(known.values()) if chosen is None else [known[n] for n in chosen]
    if fast_only:
        specs = [s for s in specs if s.fast]
    if not specs:
        raise AuditError("no registered checks to calibrate (checks register themselves in "
                         "audit.checks; none are installed or selected)")
    return specs


def _scenarios(scenario_names: str | None) -> list[Any]:
    """The manipulations of ``--manipulations`` (comma-separated names; all by default)."""
    from audit.errors import AuditError
    from audit.simulate.calibrate import DEFAULT_SCENARIOS

    if not scenario_names:
        return list(DEFAULT_SCENARIOS)
    names = {s.name: s for s in DEFAULT_SCENARIOS}
    wanted = [c.strip() for c in scenario_names.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise AuditError(f"unknown manipulations {unknown}; known: {', '.join(names)}")
    return [names[c] for c in wanted]


def _target(target: str | None, source_id: str | None, mapping: str | None,
            join_file: Path | None, join_on: tuple[str, ...], data_dir: Path | None,
            tables: int, varied: bool, layered: bool, seed: int) -> tuple[Any, str]:
    """The sheets (or synthetic shape, or sampler) to calibrate on, and a label for outputs."""
    from audit.data import load_target
    from audit.errors import AuditError
    from audit.simulate.calibrate import ShapeSampler
    from audit.simulate.shape import ElectionShape

    if target is None:
        if varied:
            sampler = ShapeSampler(n_tables=tables, layered=layered)
            return sampler, sampler.name
        return ElectionShape.synthetic(n_tables=tables, rng=seed), "synthetic"
    if varied:
        raise AuditError("--varied draws synthetic shapes; it takes no TARGET")
    ingested, label = load_target(target, source_id=source_id, profile=mapping,
                                  data_dir=data_dir, join=join_file, join_on=join_on)
    return ingested.sheets, label


def _command_line(data_dir: Path | None) -> str:
    """The command as typed, with paths in the data directory as ``$ELECTION_AUDIT_DATA/...``
    (so a generated document names no machine-specific path), without the options that only
    say where it runs (the outputs are the same whatever the executor)."""
    root = Path(data_dir).resolve() if data_dir is not None else None
    parts = ["election-audit"]
    for arg in _without_execution_options(sys.argv[1:]):
        path = Path(arg)
        if root is not None and path.exists() and path.resolve().is_relative_to(root):
            rel = path.resolve().relative_to(root).as_posix()
            parts.append('"$ELECTION_AUDIT_DATA"' if rel == "." else
                         f'"$ELECTION_AUDIT_DATA/{rel}"')
        else:
            parts.append(shlex.quote(arg))
    return " ".join(parts)


#: Options that choose where the work runs, not what it computes (with their value or not).
EXECUTION_OPTIONS = {"--workers": True, "--scheduler": True, "--progress": False,
                     "--no-progress": False}


def _without_execution_options(args: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        name = arg.split("=", 1)[0]
        if skip:
            skip = False
        elif name in EXECUTION_OPTIONS:
            skip = EXECUTION_OPTIONS[name] and "=" not in arg
        else:
            out.append(arg)
    return out


def _with_provenance(cal: Any, sheets: Any) -> Any:
    from dataclasses import replace

    return replace(cal, provenance=tuple(p.to_dict() for p in sheets.provenance))


def _print(cal: Any) -> None:
    from audit.simulate.calibrate import CLEAN, row_notes

    shape = cal.shape.to_dict()
    say(f"[bold]{escape(cal.shape.name)}[/bold]: {shape['tables']:,} tables; {cal.n_sims} "
        f"clean elections, seed {cal.seed}, {cal.n_resamples} redraws per null")
    print_table([Column("check"), Column("null", priority=3), Column("tested", "number",
                                                                     priority=2),
                 Column("rate", "number"), Column("95% CI", priority=2), Column("verdict"),
                 Column("notes", "text", priority=4)],
                [(r["check"], "calibrated" if r["calibrated"] else "textbook",
                  str(r["tested"]), _pct(r["rate"]),
                  f"{_pct(r['ci_low'])}–{_pct(r['ci_high'])}", escape(str(r["verdict"])),
                  escape(row_notes(r, example=40)) or "—")
                 for _, r in cal.false_positive_rates().iterrows()],
                title=f"False-positive rate at alpha = {cal.alpha:g}")
    power = cal.power()
    if len(power):
        say(f"[bold]Power at alpha = {cal.alpha:g} ({cal.n_power} elections each)[/bold]")
        for scenario, g in power.groupby("scenario", sort=False):
            levels = list(dict.fromkeys(g["intensity"]))
            rates = g.set_index(["check", "intensity"])["rate"]
            checks = list(dict.fromkeys(g["check"]))
            print_table([Column("check"), *(Column(f"{x:g}", "number") for x in levels)],
                        [(c, *(_pct(rates.get((c, x))) for x in levels)) for c in checks],
                        title=f"{scenario} (columns: intensity)")
    errors = cal.table[(cal.table["scenario"] == CLEAN) & (cal.table["errors"] > 0)]
    for _, r in errors.iterrows():
        say(f"[yellow]{escape(str(r['check']))}: {r['errors']} errors, e.g. "
            f"{escape(str(r['error_example']))}[/yellow]", console=err)


def _pct(x: object) -> str:
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return "—" if value != value else f"{100 * value:.1f}%"
