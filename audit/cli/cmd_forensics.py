"""``election-audit forensics``: run the battery of statistical checks on tally sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import (
    by_option,
    check_option,
    data_dir_option,
    emit_json,
    join_options,
    json_option,
    lang_option,
    mapping_option,
    n_resamples_option,
    progress_option,
    resolve_by,
    seed_option,
    selected_checks,
    skip_option,
    source_option,
)
from audit.cli._layout import Column, print_table, say

#: Honest redraws per simulation null (audit.checks._options.DEFAULT_RESAMPLES; kept here so
#: that ``--help`` imports no statistics, tests/cli/test_vocabulary.py checks they agree).
RESAMPLES = 999
#: Bootstrap refits of the Klimek fit (audit.checks._options.DEFAULT_REFITS, likewise).
REFITS = 9


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


_STYLE = {"strong": "bold red", "moderate": "red", "weak": "yellow",
          "consistent": "green", "impossible": "bold magenta"}


@click.command(short_help="Statistical checks of tally sheets, by region.")
@click.argument("target")
@source_option
@mapping_option
@join_options
@by_option
@seed_option
@n_resamples_option(RESAMPLES)
@click.option("--candidate", help="Candidate key whose counts are tested (default: leader).")
@check_option
@skip_option
@click.option("--n-refits", type=click.IntRange(min=0), default=REFITS,
              show_default=True, help="Bootstrap refits of the Klimek model fit.")
@click.option("--slow-by-region", is_flag=True,
              help="Also run slow checks (the Klimek model fit) in every region.")
@progress_option
@lang_option
@data_dir_option
@json_option
def forensics(target: str, source_id: str | None, mapping: str | None,
              join_file: Path | None, join_on: tuple[str, ...], by: str | None,
              seed: int, n_resamples: int | None, candidate: str | None,
              checks: tuple[str, ...], skip_checks: tuple[str, ...], n_refits: int,
              slow_by_region: bool, progress: bool | None, lang: str,
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
      election-audit forensics actas.csv --mapping actas.toml --check digits
    """
    from audit.data import load_target
    from audit.forensics import run_forensics

    result_in, _ = load_target(target, source_id=source_id, profile=mapping,
                               data_dir=data_dir, join=join_file, join_on=join_on)
    sheets = result_in.sheets
    level = resolve_by(by, sheets.levels)
    result = run_forensics(sheets, by=level, seed=seed, n_resamples=n_resamples or RESAMPLES,
                           candidate=candidate,
                           checks=selected_checks(checks, skip_checks),
                           slow_by_region=slow_by_region, n_refits=n_refits,
                           progress=progress)
    if as_json:
        emit_json(result.to_dict())
        return
    _print(result, lang)


def _print(result: Any, lang: str) -> None:
    from audit.forensics import NATIONAL
    from audit.messages import render

    def t(key: str, **params: object) -> str:
        return render(f"forensics.{key}", params, lang)

    def level(evidence: Any) -> str:
        word = t(f"evidence_short.{evidence.value}")
        style = _STYLE.get(evidence.value)
        return f"[{style}]{word}[/]" if style else word

    say(f"[bold]{escape(t('title'))}[/bold]")
    say(escape(t("header", sheets=result.sheets, candidate=result.candidate,
                 n_resamples=result.n_resamples, seed=result.seed)))
    national = [e for e in result.entries if e.scope == NATIONAL]
    for calibrated, heading in ((True, t("national")), (False, t("textbook_heading"))):
        rows = [e for e in national if e.calibrated is calibrated]
        if not rows:
            continue
        print_table([Column(t("column.test")), Column(t("column.pvalue"), "number"),
                     Column(t("column.pvalue_adjusted"), "number"),
                     Column(t("column.evidence")),
                     Column(t("column.effect"), "number", priority=2)],
                    [(e.result.test.removesuffix(".textbook"), _fmt_p(e.result.pvalue),
                      _fmt_p(e.result.pvalue_adjusted), level(e.result.evidence),
                      _fmt_num(e.result.effect)) for e in rows], title=heading)
    summary = result.summary()
    regional = summary[summary["scope"] != NATIONAL]
    if len(regional):
        rows = []
        for row in regional.to_dict("records"):
            strongest = row["strongest"]
            words = level(_evidence(strongest)) if isinstance(strongest, str) else "—"
            name = escape(f"{row['region_code']} {row['region_name']}".strip())
            rows.append((name, f"{row['sheets']:,}", str(row["flags"]), words,
                         _fmt_p(row["min_pvalue_adjusted"]) if row["min_test"] else "—",
                         row["min_test"] or "—", str(row["textbook_flags"])))
        print_table([Column(t("column.region"), "text"),
                     Column(t("column.sheets"), "number"),
                     Column(t("column.flags"), "number"),
                     Column(t("column.strongest"), priority=3),
                     Column(t("column.pvalue_adjusted"), "number", priority=2),
                     Column(t("column.test"), priority=2),
                     Column(t("column.textbook_flags"), "number", priority=4)],
                    rows, title=t("regions", level=result.level))
    flagged = [e for e in result.entries if e.calibrated and e.result.pvalue_adjusted
               is not None and e.result.pvalue_adjusted < result.alpha]
    if flagged:
        top = min(flagged, key=lambda e: e.result.pvalue_adjusted or 1.0)
        say(escape(t("flagged", count=len(flagged), test=top.result.test, scope=top.scope)))
    else:
        say(escape(t("none_flagged", alpha=100 * result.alpha)))
    if result.skipped:
        s = result.skipped[0]
        say(escape(t("skipped", count=len(result.skipped),
                     example=f"{s.test} @ {s.scope}: {s.reason}")))
    say(f"[dim]{escape(t('footnote'))}[/dim]")


def _evidence(value: str) -> Any:
    from audit.checks._result import Evidence

    return Evidence(value)


command = forensics
