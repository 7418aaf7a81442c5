"""``election-audit forensics``: run the battery of statistical checks on tally sheets."""

from __future__ import annotations

from collections.abc import Callable
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

#: Most honest redraws per simulated null (audit.checks.DEFAULT_RESAMPLES; kept here
#: so that ``--help`` imports no statistics, tests/cli/test_vocabulary.py checks they agree).
RESAMPLES = 999
#: Bootstrap refits of the Klimek fit (audit.checks.DEFAULT_REFITS, likewise).
REFITS = 9
#: Share of the vote from which a candidate is tested (audit.checks.forensics.CANDIDATE_SHARE,
#: likewise: tests/cli/test_cmd_forensics.py).
CANDIDATE_SHARE = 0.20
#: Short codes of the p-value methods in the tables (explained in a legend below them).
METHOD_CODES = {"exact": "exact", "normal": "norm", "chi-square": "chi2", "saddlepoint": "SP",
                "monte-carlo": "MC", "sequential-monte-carlo": "SMC",
                "monte-carlo+fitted-tail": "MC+T", "bootstrap": "boot",
                "tabulated": "table"}


def _fmt_p(p: float | None) -> str:
    if p is None or p != p:
        return "—"
    if p < 1e-300:
        return "<1e-300"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _fmt_z(z: float | None) -> str:
    if z is None or z != z:
        return "—"
    return f"{z:.1f}" if abs(z) < 1000 else f"{z:.0f}"


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
@click.option("--candidate", "candidates", multiple=True, metavar="KEY",
              help="Candidate to test (repeatable; default: the leader on the sheets, the "
                   f"declared winner and every candidate with {CANDIDATE_SHARE:.0%} of the "
                   "vote or more).")
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
              seed: int, n_resamples: int | None, candidates: tuple[str, ...],
              checks: tuple[str, ...], skip_checks: tuple[str, ...], n_refits: int,
              slow_by_region: bool, progress: bool | None, lang: str,
              data_dir: Path | None, as_json: bool) -> None:
    """Statistical forensics on tally sheets: digit, turnout and other registered checks.

    TARGET is a tally-sheet FILE, or a case (a bundled case name or a case folder) whose
    source (--source, default the main one) is found in --data-dir, $ELECTION_AUDIT_DATA or
    the cache (docs/data.md). Every check runs on the whole table and on each region; the
    checks that ballot stuffing for one candidate moves run for each candidate tested.
    p-values are adjusted by one policy (docs/results.md): the calibrated national results
    together, each test's regional results across regions. Calibrated checks compare the
    sheets with honest counting at the same station sizes; the others are shown as
    descriptive, without evidence level. Findings are evidence levels, never a verdict of
    fraud.

    \b
    Example:
      election-audit forensics RESULTADOS_2024_CSV_V2.csv --by state --seed 1 --json
      election-audit forensics venezuela-2024 --source opposition-v1 --by state
      election-audit forensics actas.csv --mapping actas.toml --check digits
    """
    from audit.checks.forensics import run_forensics
    from audit.data import load_target

    result_in, _ = load_target(target, source_id=source_id, profile=mapping,
                               data_dir=data_dir, join=join_file, join_on=join_on)
    sheets = result_in.sheets
    level = resolve_by(by, sheets.levels)
    result = run_forensics(sheets, by=level, seed=seed, n_resamples=n_resamples or RESAMPLES,
                           candidates=candidates or None,
                           checks=selected_checks(checks, skip_checks),
                           slow_by_region=slow_by_region, n_refits=n_refits,
                           progress=progress)
    if as_json:
        data = result.to_dict()
        if not Path(target).is_file():  # a case: its measured rates beside the results
            from audit.simulate.calibrate import load_calibration

            summary = load_calibration(target)
            if summary is not None:
                data["calibration"] = summary.to_dict([e.result.test for e in result.entries])
        emit_json(data)
        return
    _print(result, lang, sheets_leader=sheets.leader(), chosen=bool(candidates))


def _print(result: Any, lang: str, *, sheets_leader: str | None = None,
           chosen: bool = False) -> None:
    from audit.checks.forensics import NATIONAL
    from audit.messages import render

    def t(key: str, **params: object) -> str:
        return render(f"forensics.{key}", params, lang)

    def level(evidence: Any) -> str:
        word = t(f"evidence_short.{evidence.value}")
        style = _STYLE.get(evidence.value)
        return f"[{style}]{word}[/]" if style else word

    say(f"[bold]{escape(t('title'))}[/bold]")
    roles = _candidate_roles(result, t, sheets_leader or result.candidates[0], chosen)
    say(escape(t("header", sheets=result.sheets, candidates="; ".join(roles),
                 n_resamples=result.n_resamples, seed=result.seed)))
    verdict = result.verdict()
    methods: set[str] = set()
    say("")
    style = _STYLE.get(verdict.strongest.value, "") if verdict.flagged else "green"
    say(f"[bold {style}]{escape(verdict.message.render(lang))}[/]")
    for rank, finding in enumerate(verdict.findings[:5], start=1):
        methods.add(finding.pvalue_method or "")
        say("  " + escape(t("verdict.finding", rank=rank, test=finding.test,
                            candidate=finding.candidate or "—", p=finding.pvalue_adjusted,
                            method=METHOD_CODES.get(finding.pvalue_method or "", "—"),
                            z=finding.z if finding.z is not None else float("nan"))))
    say("")
    national = [e for e in result.entries if e.scope == NATIONAL]
    calibrated = _sorted([e for e in national if e.calibrated])
    if calibrated:
        methods |= {e.result.pvalue_method or "" for e in calibrated}
        print_table([Column(t("column.test")), Column(t("column.candidate")),
                     Column(t("column.pvalue"), "number", priority=3),
                     Column(t("column.pvalue_adjusted"), "number"),
                     Column(t("column.z"), "number"), Column(t("column.method"), priority=2),
                     Column(t("column.evidence"))],
                    [(e.result.test, e.result.candidate or "", _fmt_p(e.result.pvalue),
                      _fmt_p(e.result.pvalue_adjusted), _fmt_z(e.result.z), _code(e.result),
                      level(e.result.evidence)) for e in calibrated], title=t("national"))
        say("")
    descriptive = _sorted([e for e in national if not e.calibrated])
    reasons = {e.reason for e in descriptive}
    if descriptive:
        methods |= {e.result.pvalue_method or "" for e in descriptive}
        # the reason column says "textbook": the id's suffix would only add width
        print_table([Column(t("column.test")), Column(t("column.candidate")),
                     Column(t("column.pvalue"), "number"), Column(t("column.z"), "number"),
                     Column(t("column.method"), priority=2), Column(t("column.reason"))],
                    [(e.result.test.removesuffix(".textbook"), e.result.candidate or "",
                      _fmt_p(e.result.pvalue), _fmt_z(e.result.z), _code(e.result), e.reason)
                     for e in descriptive], title=t("descriptive_heading"))
        say("")
    _print_regions(result, t)
    legend = "; ".join(f"{METHOD_CODES[m]} {t(f'method.{m}')}" for m in METHOD_CODES
                       if m in methods)
    if legend:
        say(f"[dim]{escape(t('methods', legend=legend))}[/dim]")
    if reasons:
        why = "; ".join(f"{r} = {t(f'descriptive.{r}')}" for r in sorted(reasons))
        say(f"[dim]{escape(t('reasons', legend=why))}[/dim]")
    if result.skipped:
        s = result.skipped[0]
        example = f"{s.test} @ {s.scope}: {s.reason}"
        say(f"[dim]{escape(t('skipped', count=len(result.skipped), example=example))}[/dim]")
    say(f"[dim]{escape(t('footnote'))}[/dim]")


def _candidate_roles(result: Any, t: Callable[..., str], sheets_leader: str,
                     chosen: bool) -> list[str]:
    """Each tested candidate with why it is tested (chosen, leader on the sheets, declared
    winner, or its share of the vote)."""
    roles = []
    for c in result.candidates:
        mine = ([t("role.chosen")] if chosen else []) + \
            ([t("role.leader")] if c == sheets_leader else []) + \
            ([t("role.declared")] if c == result.declared_winner else [])
        if not mine:
            mine = [t("role.share", share=100 * CANDIDATE_SHARE)]
        roles.append(t("candidate_roles", candidate=c, roles=", ".join(mine)))
    return roles


def _print_regions(result: Any, t: Callable[..., str]) -> None:
    """One row per region: sheets, flags, the smallest adjusted p and its test."""
    from audit.checks.forensics import NATIONAL

    summary = result.summary()
    regional = summary[summary["scope"] != NATIONAL]
    if len(regional):
        regional = regional.assign(
            _order=regional["min_pvalue_adjusted"].fillna(2.0)).sort_values(
            ["_order", "scope"], kind="stable")
        rows = []
        for row in regional.to_dict("records"):
            test = str(row["min_test"]).split(".", 1)[-1] if row["min_test"] else "—"
            if row["min_test"] and len(result.candidates) > 1 and row["min_candidate"]:
                test = f"{test} {row['min_candidate']}"
            name = f"{row['region_code']} {row['region_name']}".strip() \
                if row["region_name"] != row["region_code"] else str(row["region_code"])
            flags = str(row["flags"])
            rows.append((escape(name), f"{row['sheets']:,}",
                         f"[bold red]{flags}[/]" if row["flags"] else flags,
                         _fmt_p(row["min_pvalue_adjusted"]) if row["min_test"] else "—",
                         test))
        print_table([Column(t("column.region"), "text"),
                     Column(t("column.sheets"), "number", priority=2),
                     Column(t("column.flags"), "number"),
                     Column(t("column.pvalue_adjusted"), "number"),
                     Column(t("column.test"), priority=2)],
                    rows, title=t("regions", level=result.level))
        say("")


def _code(result: Any) -> str:
    return METHOD_CODES.get(result.pvalue_method or "", "—")


def _sorted(entries: list[Any]) -> list[Any]:
    """By test, then candidate."""
    return sorted(entries, key=lambda e: (e.result.test, e.result.candidate or ""))


command = forensics
