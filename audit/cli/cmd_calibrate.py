"""``election-audit calibrate``: false-positive rates and power of the checks on simulations."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click
from rich.table import Table

from audit.checks.registry import registered
from audit.cli._common import data_dir_option, emit_json, err, json_option, out, seed_option
from audit.data import load_target
from audit.errors import AuditError
from audit.model import SheetTable
from audit.simulate.calibrate import (
    CLEAN,
    DEFAULT_RESAMPLES,
    DEFAULT_SCENARIOS,
    Calibration,
    ShapeSampler,
    calibrate,
    forensics_verdict,
    row_notes,
    write_outputs,
    write_summary,
)
from audit.simulate.shape import ElectionShape, fit_shape


@click.command("calibrate")
@click.argument("target", required=False)
@click.option("--source", "source_id", help="Source of the case to fit (default: its main one).")
@click.option("--profile", help="Bundled column profile of FILE (default: detected).")
@click.option("--mapping", type=click.Path(path_type=Path), help="Your own column mapping.")
@click.option("--n-sims", type=click.IntRange(1), default=200, show_default=True,
              help="Clean simulated elections.")
@click.option("--n-power", type=click.IntRange(0), default=100, show_default=True,
              help="Simulated elections per manipulation and intensity (0: no power).")
@click.option("--checks", "check_names", help="Comma-separated check names (default: all).")
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
                   "30,000), or the fitted shape of TARGET scaled to this size (implies "
                   "--structure simulated).")
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
              help="Write a small JSON summary here (e.g. the case's calibration.json, "
                   "read by audit.simulate.calibrate.load_calibration).")
@click.option("--n-resamples", type=click.IntRange(min=1), default=DEFAULT_RESAMPLES,
              show_default=True, help="Honest redraws per simulation null of every check.")
@click.option("--workers", type=click.IntRange(1), help="Processes (default: all cores).")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write calibration-<label>.md/.csv/.json/.svg here.")
@click.option("--label", help="Name used in output files (default: case or file name).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
@seed_option
@data_dir_option
@json_option
def calibrate_command(target: str | None, source_id: str | None, profile: str | None,
                      mapping: Path | None, n_sims: int, n_power: int,
                      check_names: str | None, fast_only: bool, scenario_names: str | None,
                      structure: str, mean_level: str | None, tables: int | None,
                      varied: bool, layered: bool, with_verdict: bool,
                      summary_path: Path | None, n_resamples: int, workers: int | None,
                      out_dir: Path | None,
                      label: str | None, progress: bool | None, seed: int,
                      data_dir: Path | None, as_json: bool) -> None:
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
      election-audit calibrate venezuela-2024 --tables 1000000 --n-sims 12 --n-power 0
    """
    specs = registered()
    if check_names:
        wanted = [c.strip() for c in check_names.split(",") if c.strip()]
        known = {s.name: s for s in specs}
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise AuditError(f"unknown checks {unknown}; registered: "
                             f"{', '.join(known) or 'none'}")
        specs = [known[c] for c in wanted]
    if fast_only:
        specs = [s for s in specs if s.fast]
    if not specs:
        raise AuditError("no registered checks to calibrate (checks register themselves in "
                         "audit.checks; none are installed or selected)")
    scenarios = list(DEFAULT_SCENARIOS)
    if scenario_names:
        names = {s.name: s for s in DEFAULT_SCENARIOS}
        wanted = [c.strip() for c in scenario_names.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in names]
        if unknown:
            raise AuditError(f"unknown manipulations {unknown}; known: {', '.join(names)}")
        scenarios = [names[c] for c in wanted]
    if n_power == 0:
        scenarios = []

    if layered and not varied:
        raise AuditError("--layered applies to --varied synthetic elections")
    target_obj, default_label = _target(target, source_id, profile, mapping, data_dir,
                                        tables or DEFAULT_TABLES, varied, layered, seed)
    if isinstance(target_obj, SheetTable):
        fitted = fit_shape(target_obj, mean_level=mean_level,
                           keep_structure=structure == "observed" and tables is None)
        shape: ElectionShape | ShapeSampler = fitted if tables is None else \
            fitted.resized(tables)
    else:
        shape = target_obj
    show = sys.stderr.isatty() if progress is None else progress
    cal = calibrate(shape, checks=specs, n_sims=n_sims, n_power=n_power, scenarios=scenarios,
                    seed=seed, n_resamples=n_resamples, workers=workers, progress=show,
                    verdict=forensics_verdict if with_verdict else None)
    if isinstance(target_obj, SheetTable):
        cal = _with_provenance(cal, target_obj)
    written: list[str] = []
    command = _command_line(data_dir)
    if out_dir is not None:
        written = write_outputs(cal, out_dir, label or default_label, command=command)
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
        out.print(f"wrote {path}")


command = calibrate_command
#: Tables of a synthetic election without TARGET.
DEFAULT_TABLES = 30_000


def _target(target: str | None, source_id: str | None, profile: str | None,
            mapping: Path | None, data_dir: Path | None, tables: int, varied: bool,
            layered: bool, seed: int
            ) -> tuple[SheetTable | ElectionShape | ShapeSampler, str]:
    """The sheets (or synthetic shape, or sampler) to calibrate on, and a label for outputs."""
    if target is None:
        if varied:
            sampler = ShapeSampler(n_tables=tables, layered=layered)
            return sampler, sampler.name
        return ElectionShape.synthetic(n_tables=tables, rng=seed), "synthetic"
    if varied:
        raise AuditError("--varied draws synthetic shapes; it takes no TARGET")
    if profile and mapping:
        raise AuditError("give either --profile or --mapping, not both")
    ingested, label = load_target(target, source_id=source_id, profile=mapping or profile,
                                  data_dir=data_dir)
    return ingested.sheets, label


def _command_line(data_dir: Path | None) -> str:
    """The command as typed, with paths in the data directory as ``$ELECTION_AUDIT_DATA/...``
    (so a generated document names no machine-specific path)."""
    root = Path(data_dir).resolve() if data_dir is not None else None
    parts = ["election-audit"]
    for arg in sys.argv[1:]:
        path = Path(arg)
        if root is not None and path.exists() and path.resolve().is_relative_to(root):
            rel = path.resolve().relative_to(root).as_posix()
            parts.append('"$ELECTION_AUDIT_DATA"' if rel == "." else
                         f'"$ELECTION_AUDIT_DATA/{rel}"')
        else:
            parts.append(shlex.quote(arg))
    return " ".join(parts)


def _with_provenance(cal: Calibration, sheets: SheetTable) -> Calibration:
    from dataclasses import replace

    return replace(cal, provenance=tuple(p.to_dict() for p in sheets.provenance))


def _print(cal: Calibration) -> None:
    shape = cal.shape.to_dict()
    out.print(f"[bold]{cal.shape.name}[/bold]: {shape['tables']:,} tables; {cal.n_sims} clean "
              f"elections, seed {cal.seed}, {cal.n_resamples} redraws per null")
    clean = cal.false_positive_rates()
    notes = [row_notes(r, example=40) for _, r in clean.iterrows()]
    fpr = Table(title=f"False-positive rate at alpha = {cal.alpha:g} (verdict —: not a "
                      f"calibrated check)", show_edge=False)
    for col in ("check", "n", "rate", "95% CI", "verdict",
                *(("notes",) if any(notes) else ())):
        fpr.add_column(col, justify="right" if col in ("n", "rate") else "left",
                       no_wrap=col not in ("verdict", "notes"))
    for (_, r), note in zip(clean.iterrows(), notes, strict=True):
        fpr.add_row(r["check"], str(r["tested"]), _pct(r["rate"]),
                    f"{_pct(r['ci_low'])}–{_pct(r['ci_high'])}",
                    str(r["verdict"]).replace("-", "- ") if r["calibrated"] else "—",
                    *((note,) if any(notes) else ()))
    out.print(fpr)
    power = cal.power()
    if len(power):
        checks = list(dict.fromkeys(power["check"]))
        table = Table(title=f"Power at alpha = {cal.alpha:g} ({cal.n_power} elections each)",
                      show_edge=False)
        table.add_column("manipulation")
        table.add_column("intensity", justify="right")
        for c in checks:
            table.add_column(c, justify="right")
        for (scenario, x), g in power.groupby(["scenario", "intensity"], sort=False):
            rates = g.set_index("check")["rate"]
            table.add_row(str(scenario), f"{x:g}", *(_pct(rates.get(c)) for c in checks))
        out.print(table)
    errors = cal.table[(cal.table["scenario"] == CLEAN) & (cal.table["errors"] > 0)]
    for _, r in errors.iterrows():
        err.print(f"[yellow]{r['check']}: {r['errors']} errors, e.g. {r['error_example']}")


def _pct(x: object) -> str:
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return "—" if value != value else f"{100 * value:.1f}%"
