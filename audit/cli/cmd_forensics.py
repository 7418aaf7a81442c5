"""``election-audit forensics``: run the battery of statistical checks on tally sheets."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from audit.checks._options import DEFAULT_REFITS, DEFAULT_RESAMPLES
from audit.checks._result import Evidence
from audit.cli._common import data_dir_option, emit_json, json_option, out, seed_option
from audit.data import load_target
from audit.forensics import NATIONAL, ForensicsResult, run_forensics
from audit.messages import render


def _fmt_p(p: float | None) -> str:
    if p is None or p != p:
        return "—"
    if p < 1e-300:
        return "<1e-300"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _fmt_num(x: float | None) -> str:
    if x is None or x != x:
        return "—"
    return f"{x:,.4g}"


_STYLE = {Evidence.STRONG: "bold red", Evidence.MODERATE: "red", Evidence.WEAK: "yellow",
          Evidence.CONSISTENT: "green", Evidence.IMPOSSIBLE: "bold magenta"}


@click.command()
@click.argument("target")
@click.option("--source", "source_id",
              help="Source of the case to analyse (default: its main source).")
@click.option("--profile", help="Bundled column profile name or TOML path of FILE "
                                "(default: detected).")
@click.option("--by", "level", default=None,
              help="Region level for per-region runs (default: the top level; 'none' for "
                   "national only).")
@seed_option
@click.option("--n-resamples", type=click.IntRange(min=1), default=DEFAULT_RESAMPLES,
              show_default=True, help="Honest redraws per simulation null.")
@click.option("--candidate", help="Candidate key whose counts are tested (default: leader).")
@click.option("--check", "checks", multiple=True,
              help="Run only this check or family (repeatable).")
@click.option("--n-refits", type=click.IntRange(min=0), default=DEFAULT_REFITS,
              show_default=True, help="Bootstrap refits of the Klimek model fit.")
@click.option("--slow-by-region", is_flag=True,
              help="Also run slow checks (the Klimek model fit) in every region.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True,
              help="Language of the summary.")
@data_dir_option
@json_option
def forensics(target: str, source_id: str | None, profile: str | None, level: str | None,
              seed: int, n_resamples: int, candidate: str | None, checks: tuple[str, ...],
              n_refits: int, slow_by_region: bool, no_progress: bool, lang: str,
              data_dir: Path | None, as_json: bool) -> None:
    """Statistical forensics on tally sheets: digit, turnout and other registered checks.

    TARGET is a tally-sheet FILE, or a case (a bundled case name or a case folder) whose
    source (--source, default the main one) is found in --data-dir, $ELECTION_AUDIT_DATA or
    the cache (docs/data.md). Every check runs on the whole table and on each region;
    p-values are adjusted (Benjamini–Hochberg across regions and tests). Calibrated checks
    compare the sheets with honest counting simulated at the same station sizes; textbook
    checks (raw Benford ...) are shown for comparison. Findings are evidence levels, never a
    verdict of fraud.

    \b
    Example:
      election-audit forensics RESULTADOS_2024_CSV_V2.csv --by state --seed 1 --json
      election-audit forensics venezuela-2024 --source opposition-v1 --by state
    """
    result_in, _ = load_target(target, source_id=source_id, profile=profile,
                               data_dir=data_dir)
    sheets = result_in.sheets
    by = level
    if by is None:
        by = sheets.levels[0] if sheets.levels else None
    elif by.lower() == "none":
        by = None
    result = run_forensics(sheets, by=by, seed=seed, n_resamples=n_resamples,
                           candidate=candidate, checks=checks or None,
                           slow_by_region=slow_by_region, n_refits=n_refits,
                           progress=False if no_progress else None)
    if as_json:
        emit_json(result.to_dict())
        return
    _print(result, lang)


def _print(result: ForensicsResult, lang: str) -> None:
    def t(key: str, **params: object) -> str:
        return render(f"forensics.{key}", params, lang)

    def level(evidence: Evidence) -> str:
        word = t(f"evidence_short.{evidence.value}")
        style = _STYLE.get(evidence)
        return f"[{style}]{word}[/]" if style else word

    out.print(f"[bold]{t('title')}[/bold]")
    out.print(t("header", sheets=result.sheets, candidate=result.candidate,
                n_resamples=result.n_resamples, seed=result.seed))
    national = [e for e in result.entries if e.scope == NATIONAL]
    for calibrated, heading in ((True, t("national")), (False, t("textbook_heading"))):
        rows = [e for e in national if e.calibrated is calibrated]
        if not rows:
            continue
        table = Table(title=heading, show_edge=False, title_justify="left", pad_edge=False)
        table.add_column(t("column.test"), no_wrap=True)
        for key in ("pvalue", "pvalue_adjusted"):
            table.add_column(t(f"column.{key}"), justify="right", no_wrap=True)
        table.add_column(t("column.evidence"), no_wrap=True)
        table.add_column(t("column.effect"), justify="right", no_wrap=True)
        for e in rows:
            r = e.result
            name = r.test.removesuffix(".textbook")
            table.add_row(name, _fmt_p(r.pvalue), _fmt_p(r.pvalue_adjusted),
                          level(r.evidence), _fmt_num(r.effect))
        out.print(table)
    summary = result.summary()
    regional = summary[summary["scope"] != NATIONAL]
    if len(regional):
        table = Table(title=t("regions", level=result.level), show_edge=False,
                      title_justify="left", pad_edge=False)
        table.add_column(t("column.region"), overflow="ellipsis", no_wrap=True, min_width=12,
                         max_width=24)
        for key in ("sheets", "flags"):
            table.add_column(t(f"column.{key}"), justify="right", no_wrap=True)
        table.add_column(t("column.strongest"), no_wrap=True)
        table.add_column(t("column.min_test"), no_wrap=True, overflow="ellipsis")
        table.add_column(t("column.textbook_flags"), justify="right", no_wrap=True)
        for _, row in regional.iterrows():
            strongest = row["strongest"]
            words = level(Evidence(strongest)) if isinstance(strongest, str) else "—"
            best = "—" if row["min_test"] is None else \
                f"{_fmt_p(row['min_pvalue_adjusted'])} {row['min_test']}"
            name = f"{row['region_code']} {row['region_name']}".strip()
            table.add_row(name, f"{row['sheets']:,}", str(row["flags"]), words, best,
                          str(row["textbook_flags"]))
        out.print(table)
    flagged = [e for e in result.entries if e.calibrated and e.result.pvalue_adjusted
               is not None and e.result.pvalue_adjusted < result.alpha]
    if flagged:
        top = min(flagged, key=lambda e: e.result.pvalue_adjusted or 1.0)
        out.print(t("flagged", count=len(flagged), test=top.result.test, scope=top.scope))
    else:
        out.print(t("none_flagged", alpha=100 * result.alpha))
    if result.skipped:
        s = result.skipped[0]
        out.print(t("skipped", count=len(result.skipped),
                    example=f"{s.test} @ {s.scope}: {s.reason}"))
    out.print(f"[dim]{t('footnote')}[/dim]")


command = forensics
