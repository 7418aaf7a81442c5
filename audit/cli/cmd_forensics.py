"""``election-audit forensics``: run the battery of statistical checks on tally sheets."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from audit.checks._options import DEFAULT_REFITS, DEFAULT_RESAMPLES
from audit.checks._result import CheckResult, Evidence
from audit.cli._common import data_dir_option, emit_json, json_option, out, seed_option
from audit.data import load_target
from audit.forensics import CANDIDATE_SHARE, NATIONAL, Entry, ForensicsResult, run_forensics
from audit.messages import render

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
              show_default=True,
              help="Most honest redraws per simulated null (sequential: fewer when the "
                   "p-value is clearly large).")
@click.option("--candidate", "candidates", multiple=True,
              help="Candidate key to test (repeatable; default: the leader on the sheets, "
                   f"the declared winner and every candidate above {CANDIDATE_SHARE:.0%} of "
                   "the vote).")
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
              seed: int, n_resamples: int, candidates: tuple[str, ...],
              checks: tuple[str, ...], n_refits: int, slow_by_region: bool,
              no_progress: bool, lang: str, data_dir: Path | None, as_json: bool) -> None:
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
                           candidates=candidates or None, checks=checks or None,
                           slow_by_region=slow_by_region, n_refits=n_refits,
                           progress=False if no_progress else None)
    if as_json:
        emit_json(result.to_dict())
        return
    _print(result, lang, sheets_leader=sheets.leader(), chosen=bool(candidates))


def _table(title: str) -> Table:
    return Table(title=title, show_edge=False, title_justify="left", pad_edge=False,
                 box=None, header_style="bold")


def _print(result: ForensicsResult, lang: str, *, sheets_leader: str, chosen: bool) -> None:
    def t(key: str, **params: object) -> str:
        return render(f"forensics.{key}", params, lang)

    def level(evidence: Evidence) -> str:
        word = t(f"evidence_short.{evidence.value}")
        style = _STYLE.get(evidence)
        return f"[{style}]{word}[/]" if style else word

    out.print(f"[bold]{t('title')}[/bold]")
    roles = []
    for c in result.candidates:
        mine = ([t("role.chosen")] if chosen else []) + \
            ([t("role.leader")] if c == sheets_leader else []) + \
            ([t("role.declared")] if c == result.declared_winner else [])
        if not mine:
            mine = [t("role.share", share=100 * CANDIDATE_SHARE)]
        roles.append(t("candidate_roles", candidate=c, roles=", ".join(mine)))
    out.print(t("header", sheets=result.sheets, candidates="; ".join(roles),
                n_resamples=result.n_resamples, seed=result.seed))
    verdict = result.verdict()
    methods: set[str] = set()
    out.print("")
    style = _STYLE.get(verdict.strongest, "") if verdict.flagged else "green"
    out.print(f"[bold {style}]{verdict.message.render(lang)}[/]")
    for rank, finding in enumerate(verdict.findings[:5], start=1):
        methods.add(finding.pvalue_method or "")
        out.print("  " + t("verdict.finding", rank=rank, test=finding.test,
                           candidate=finding.candidate or "—", p=finding.pvalue_adjusted,
                           method=METHOD_CODES.get(finding.pvalue_method or "", "—"),
                           z=finding.z if finding.z is not None else float("nan")))
    out.print("")
    national = [e for e in result.entries if e.scope == NATIONAL]
    calibrated = _sorted([e for e in national if e.calibrated])
    if calibrated:
        table = _table(t("national"))
        table.add_column(t("column.test"), no_wrap=True, overflow="fold", max_width=28)
        table.add_column(t("column.candidate"), no_wrap=True, overflow="ellipsis",
                         max_width=6)
        for key in ("pvalue", "pvalue_adjusted", "z"):
            table.add_column(t(f"column.{key}"), justify="right", no_wrap=True)
        table.add_column(t("column.method"), no_wrap=True)
        table.add_column(t("column.evidence"), no_wrap=True)
        for e in calibrated:
            r = e.result
            methods.add(r.pvalue_method or "")
            table.add_row(r.test, r.candidate or "", _fmt_p(r.pvalue),
                          _fmt_p(r.pvalue_adjusted), _fmt_z(r.z), _code(r), level(r.evidence))
        out.print(table)
        out.print("")
    descriptive = _sorted([e for e in national if not e.calibrated and e.result.pvalue
                           is not None])
    reasons: set[str] = set()
    if descriptive:
        table = _table(t("descriptive_heading"))
        table.add_column(t("column.test"), no_wrap=True, overflow="fold", max_width=28)
        table.add_column(t("column.candidate"), no_wrap=True, overflow="ellipsis",
                         max_width=6)
        for key in ("pvalue", "z"):
            table.add_column(t(f"column.{key}"), justify="right", no_wrap=True)
        table.add_column(t("column.method"), no_wrap=True)
        table.add_column(t("column.reason"), no_wrap=True)
        for e in descriptive:
            r = e.result
            methods.add(r.pvalue_method or "")
            reasons.add(e.reason)
            # the reason column says "textbook": the id's suffix would only add width
            table.add_row(r.test.removesuffix(".textbook"), r.candidate or "",
                          _fmt_p(r.pvalue), _fmt_z(r.z), _code(r), e.reason)
        out.print(table)
        out.print("")
    summary = result.summary()
    regional = summary[summary["scope"] != NATIONAL]
    if len(regional):
        regional = regional.assign(
            _order=regional["min_pvalue_adjusted"].fillna(2.0)).sort_values(
            ["_order", "scope"], kind="stable")
        table = _table(t("regions", level=result.level))
        table.add_column(t("column.region"), overflow="ellipsis", no_wrap=True, min_width=12,
                         max_width=24)
        for key in ("sheets", "flags"):
            table.add_column(t(f"column.{key}"), justify="right", no_wrap=True)
        table.add_column(t("column.min_test"), no_wrap=True, overflow="ellipsis")
        for _, row in regional.iterrows():
            if row["min_test"] is None:
                best = "—"
            else:
                test = str(row["min_test"]).split(".", 1)[-1]
                cand = f" {row['min_candidate']}" if len(result.candidates) > 1 and \
                    row["min_candidate"] else ""
                best = f"{_fmt_p(row['min_pvalue_adjusted'])} {test}{cand}"
            name = f"{row['region_code']} {row['region_name']}".strip() \
                if row["region_name"] != row["region_code"] else str(row["region_code"])
            flags = str(row["flags"])
            table.add_row(name, f"{row['sheets']:,}",
                          f"[bold red]{flags}[/]" if row["flags"] else flags, best)
        out.print(table)
        out.print("")
    legend = "; ".join(f"{METHOD_CODES[m]} {t(f'method.{m}')}" for m in METHOD_CODES
                       if m in methods)
    if legend:
        out.print(f"[dim]{t('methods', legend=legend)}[/dim]")
    if reasons:
        why = "; ".join(f"{r} = {t(f'descriptive.{r}')}" for r in sorted(reasons))
        out.print(f"[dim]{t('reasons', legend=why)}[/dim]")
    if result.skipped:
        s = result.skipped[0]
        example = f"{s.test} @ {s.scope}: {s.reason}"
        out.print(f"[dim]{t('skipped', count=len(result.skipped), example=example)}[/dim]")
    out.print(f"[dim]{t('footnote')}[/dim]")


def _code(result: CheckResult) -> str:
    return METHOD_CODES.get(result.pvalue_method or "", "—")


def _sorted(entries: list[Entry]) -> list[Entry]:
    """By test, then candidate."""
    return sorted(entries, key=lambda e: (e.result.test, e.result.candidate or ""))


command = forensics
