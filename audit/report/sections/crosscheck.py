"""Cross-source discrepancies in the report: the sheets compared table by table with every
other source of the case found on disk (e.g. the opposition's tally sheets against copies
decoded from the sheets' QR codes; a preliminary count against the final one).

Other sources are looked up where the sheets were (data directory, ``$ELECTION_AUDIT_DATA``,
case folder, cache) and never downloaded by the report. Descriptive: no probability.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.checks.crosscheck import CrosscheckResult, compare_sources
from audit.checks.result import CheckResult
from audit.data import find_source
from audit.errors import AuditError
from audit.references import cite
from audit.report.context import ReportContext
from audit.report.display import display, figure_labels, level_label, region_names
from audit.report.i18n import capitalize, column_name
from audit.report.model import Block, Callout, Column, Heading, Paragraph, Table, msg
from audit.report.registry import (
    MethodNote,
    SectionHook,
    SectionSpec,
    declare_section,
    register_method,
    register_section,
)
from audit.report.svg import figure_block

FAMILY = "crosscheck"
#: Largest discrepancies listed per comparison.
LARGEST = 15
#: The regional figure is drawn when at least this many tables (and this share of the
#: matched ones) differ; otherwise the tables say it all.
FIGURE_MIN_DIFFER = 10
FIGURE_MIN_SHARE = 0.01


def run(ctx: ReportContext) -> list[CheckResult]:
    if ctx.sheets is None:
        return []
    own = ctx.source.id if ctx.source is not None else "sheets"
    results: list[CheckResult] = []
    for source in ctx.other_sources():
        other = find_source(ctx.case, source, data_dir=ctx.options.data_dir)
        if other is None or not len(other.sheets):
            continue
        ctx.state.compared.extend(other.files)  # for the appendix
        try:
            results.append(compare_sources(ctx.sheets, other.sheets, label_a=own,
                                           label_b=source.id))
        except (ValueError, AuditError):  # no shared keys or candidates: not comparable
            continue
    return results


def totals_table(result: CrosscheckResult, ctx: ReportContext) -> Table:
    names = figure_labels(ctx)
    rows = []
    for row in result.table.to_dict("records"):
        cand = str(row["candidate"])
        label = names.get(cand, cand) if cand else \
            capitalize(column_name(str(row["column"]), ctx.lang))
        rows.append((label, row["matched_a"], row["matched_b"], row["difference"],
                     row["tables_differing"],
                     int(row["tables_compared"]) - int(row["tables_differing"])))
    return Table(columns=(
        Column("column", msg("report.col.count")),
        Column("a", msg("report.col.in_source", source=result.label_a), "int"),
        Column("b", msg("report.col.in_source", source=result.label_b), "int"),
        Column("difference", msg("report.col.difference"), "signed"),
        Column("differing", msg("report.col.tables_differing"), "int"),
        Column("agreement", msg("report.col.agreement"), "int"),
    ), rows=tuple(rows), name=f"crosscheck-{result.label_b}",
        caption=msg("report.crosscheck.totals_caption", a=result.label_a, b=result.label_b,
                    n=result.n_matched))


def largest_table(result: CrosscheckResult, ctx: ReportContext) -> Table:
    names = figure_labels(ctx)
    frame = result.largest(LARGEST)
    rows = tuple((str(r["center_id"]), str(r["table_id"]),
                  names.get(str(r["candidate"]), str(r["candidate"])), r["a"], r["b"],
                  r["difference"]) for r in frame.to_dict("records"))
    return Table(columns=(
        Column("center", msg("report.col.center"), "code"),
        Column("table", msg("report.col.table"), "code"),
        Column("candidate", msg("report.col.candidate")),
        Column("a", msg("report.col.in_source", source=result.label_a), "int"),
        Column("b", msg("report.col.in_source", source=result.label_b), "int"),
        Column("difference", msg("report.col.difference"), "signed"),
    ), rows=rows, name=f"crosscheck-largest-{result.label_b}",
        caption=msg("report.crosscheck.largest_caption", shown=len(rows),
                    total=int((result.discrepancies["candidate"] != "").sum())))


def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    blocks: list[Block] = []
    for r in results:
        if not isinstance(r, CrosscheckResult):
            blocks.append(Callout(r.evidence, display(r.message, ctx)))
            continue
        blocks += [Heading(msg("report.crosscheck.heading", a=r.label_a, b=r.label_b)),
                   Callout(r.evidence, display(r.message, ctx))]
        if r.n_matched:
            blocks.append(totals_table(r, ctx))
        if len(r.largest(1)):
            blocks.append(largest_table(r, ctx))
        differ = r.n_matched - r.n_agree
        if ctx.options.figures and r.level is not None and \
                differ >= max(FIGURE_MIN_DIFFER, FIGURE_MIN_SHARE * r.n_matched):
            from audit.figures.crosscheck import plot_crosscheck_regions

            fig = plot_crosscheck_regions(r, names=region_names(ctx, r.level),
                                          level_label=level_label(ctx, r.level), lang=ctx.lang)
            blocks.append(figure_block(fig, msg("report.crosscheck.regions_figure",
                                                a=r.label_a, b=r.label_b),
                                       name=f"crosscheck-regions-{r.label_b}", width=0.85))
    if not blocks:
        blocks.append(Paragraph(msg("report.crosscheck.none")))
    return blocks


def summary(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    items = [ctx.text("report.crosscheck.summary_item", a=r.label_a, b=r.label_b,
                      matched=r.n_matched, agree=r.n_agree, rate=100 * r.agreement_rate)
             for r in results if isinstance(r, CrosscheckResult) and r.n_matched]
    return [Paragraph(msg("report.crosscheck.summary", items="; ".join(items)))] if items \
        else []


declare_section(SectionSpec("crosscheck", families=("crosscheck",),
                            needs=("sheets", "second_source"), order=80))
register_section(SectionHook(section="crosscheck", family=FAMILY, build=build, run=run,
                             needs=("sheets", "second_source"), summary=summary))
register_method(MethodNote.from_catalogue(
    "crosscheck.compare", "crosscheck",
    cite("lindeman2012", "idrobo2022")),
    "crosscheck.lower_bound")
