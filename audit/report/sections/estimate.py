"""The uncovered tables in the report: an estimate of what they hold (missing at random within
each state) and a bound that needs no assumption (:mod:`audit.checks.uncovered`)."""

from __future__ import annotations

from collections.abc import Sequence

from audit.checks.result import CheckResult
from audit.checks.uncovered import TEST, UncoveredEstimate, estimate_uncovered
from audit.references import cite
from audit.report.context import ReportContext
from audit.report.display import figure_labels
from audit.report.model import Block, Column, Heading, Paragraph, Table, msg
from audit.report.registry import (
    MethodNote,
    SectionHook,
    SectionSpec,
    declare_section,
    register_method,
    register_section,
)

FAMILY = "estimate"


def registered_uncovered(ctx: ReportContext) -> int | None:
    """The most registered voters the tables without a sheet can have: the election's
    registry minus the least the sheets can hold (their ballots where registered voters are
    not stated)."""
    from audit.aggregate import summarise

    if not ctx.election.registered or ctx.sheets is None:
        return None
    summary = summarise(ctx.sheets)
    if summary is None:
        return None
    _, low, _ = summary.registered_interval()
    return max(0, int(ctx.election.registered) - low)


def run(ctx: ReportContext) -> list[CheckResult]:
    if ctx.sheets is None or not ctx.election.tables or len(ctx.sheets) >= ctx.election.tables:
        return []
    return [estimate_uncovered(ctx.sheets, ctx.election.tables,
                               registered_uncovered=registered_uncovered(ctx))]


def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    est = next((r for r in results if isinstance(r, UncoveredEstimate)), None)
    if est is None:
        return []
    names = figure_labels(ctx)
    blocks: list[Block] = [
        Heading(msg("estimate.heading")),
        Paragraph(msg("estimate.intro", uncovered=est.uncovered_tables,
                      covered=est.covered_tables, gaps=est.gap_tables,
                      confidence=100 * est.confidence)),
    ]
    rows = tuple((names.get(str(r["key"]), str(r["key"])), r["covered"], r["estimate"],
                  r["national"], r["share"], r["low"], r["high"], r["bound_low"],
                  r["bound_high"]) for r in est.table.to_dict("records"))
    blocks.append(Table(columns=(
        Column("candidate", msg("report.col.candidate")),
        Column("covered", msg("estimate.col.covered"), "int"),
        Column("estimate", msg("estimate.col.estimate"), "int"),
        Column("national", msg("estimate.col.national"), "int"),
        Column("share", msg("estimate.col.share"), "pct"),
        Column("low", msg("estimate.col.low"), "pct"),
        Column("high", msg("estimate.col.high"), "pct"),
        Column("bound_low", msg("estimate.col.bound_low"), "pct1"),
        Column("bound_high", msg("estimate.col.bound_high"), "pct1"),
    ), rows=rows, name="uncovered-estimate",
        caption=msg("estimate.caption", confidence=100 * est.confidence)))
    m = est.margin
    first, second = names.get(m["first"], m["first"]), names.get(m["second"], m["second"])
    blocks.append(Paragraph(msg("estimate.margin", first=first, second=second,
                                points=m["points"], low=m["low"], high=m["high"],
                                confidence=100 * est.confidence)))
    if est.registered_uncovered is not None:
        key = "estimate.bound_decided" if m["decided_without_assumption"] else \
            "estimate.bound_open"
        blocks.append(Paragraph(msg(key, first=first, second=second, gap=m["held_gap"],
                                    registered=est.registered_uncovered,
                                    tables=est.uncovered_tables)))
    blocks.append(Paragraph(msg("estimate.assumption", level=ctx.text(
        "estimate.level_state" if (est.params.get("level") == "state") else
        "estimate.level_region"))))
    return blocks


declare_section(SectionSpec("uncovered", families=("feasibility", "estimate"),
                            needs=("sheets", "claims"), order=40))
register_section(SectionHook(section="uncovered", family=FAMILY, build=build, run=run,
                             needs=("sheets",), order=20))
register_method(MethodNote(
    test=TEST, title=msg("estimate.method.title"), method=msg("estimate.method.text"),
    limitations=msg("estimate.method.limits"),
    references=cite("cochran1977", "valliant2000")))
