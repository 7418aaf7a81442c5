"""Turnout and vote shares in the report: histograms with the spikes marked, the turnout
checks, the integer-percentage test by region, and the election fingerprint.

Results come from the report's one run of the forensics battery
(:meth:`audit.report.ReportContext.battery`, :mod:`audit.report.battery`); the histograms draw
the sheets' own station values.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.checks.fingerprints import CornerResult, FingerprintResult, KlimekFitResult
from audit.checks.result import CheckResult
from audit.checks.turnout import IntegerPercentResult, SpikeResult
from audit.references import cite
from audit.report.blocks import REGION_ROWS, calibration_line, checks_table, descriptive_reason
from audit.report.context import ReportContext
from audit.report.display import display, figure_labels, level_label, region_names
from audit.report.i18n import capitalize, join_list
from audit.report.model import Block, BulletList, Callout, Column, Heading, Paragraph, Table, msg
from audit.report.registry import (
    MethodNote,
    SectionHook,
    SectionSpec,
    declare_section,
    register_method,
    register_section,
)
from audit.report.sections.digits import none_run
from audit.report.svg import figure_block


def _national(results: Sequence[CheckResult], ctx: ReportContext) -> dict[str, CheckResult]:
    """National results for the first candidate tested (and the checks about no candidate),
    by test: the figures and the sentences of the section."""
    first = ctx.battery().candidate
    return {r.test: r for r in results if "scope" not in r.params
            and r.candidate in (None, first)}


def _tested(results: Sequence[CheckResult], ctx: ReportContext) -> list[CheckResult]:
    """Every national result: the calibrated tests first, then the descriptive ones; each
    candidate tested in the battery's order (the stuffing-sensitive checks run for every
    candidate that matters, issue 15)."""
    order = {c: i for i, c in enumerate(ctx.battery().candidates)}
    national = [r for r in results if "scope" not in r.params]
    return sorted(national, key=lambda r: (descriptive_reason(r) is not None, r.test,
                                           order.get(r.candidate or "", -1)))


def _candidate(ctx: ReportContext) -> str:
    b = ctx.battery()
    return figure_labels(ctx).get(b.candidate, b.candidate)


def run_turnout(ctx: ReportContext) -> list[CheckResult]:
    return ctx.battery().family("turnout", all_candidates=True)


def run_fingerprints(ctx: ReportContext) -> list[CheckResult]:
    return ctx.battery().family("fingerprints", all_candidates=True)


def regional_table(results: Sequence[CheckResult], ctx: ReportContext) -> Table | None:
    b = ctx.battery()
    regional = [r for r in results if "scope" in r.params
                and isinstance(r, IntegerPercentResult) and r.candidate == b.candidate]
    if not regional or b.level is None:
        return None
    names = region_names(ctx, b.level)
    by_scope = {str(r.params["scope"]): r for r in regional}
    rows = []
    for scope in b.regions():
        r = by_scope.get(scope.key)
        if r is None:
            continue
        either = r.table.set_index("variant").loc["either"].to_dict()
        rows.append((names.get(scope.code, scope.name or scope.code), r.n,
                     int(either["observed"]), float(either["excess"]), float(either["z"]),
                     r.pvalue_adjusted, r.evidence))
    if not rows:
        return None
    return Table(columns=(
        Column("region", msg("report.col.region", level=capitalize(level_label(ctx, b.level)))),
        Column("stations", msg("report.col.stations"), "int"),
        Column("observed", msg("report.col.integer_observed"), "int"),
        Column("excess", msg("report.col.excess_stations"), "signed"),
        Column("z", msg("report.col.z"), "f1"),
        Column("pvalue_adjusted", msg("report.col.pvalue_adjusted"), "p"),
        Column("evidence", msg("report.col.evidence"), "evidence"),
    ), rows=tuple(rows), name=f"integer-percentages-by-{b.level}", max_rows=REGION_ROWS,
        caption=msg("report.turnout.regional_caption", level=level_label(ctx, b.level)))


def build_turnout(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    nat = _national(results, ctx)
    candidate = _candidate(ctx)
    if not nat:
        return [none_run(ctx, "turnout")]
    labels = figure_labels(ctx)
    blocks: list[Block] = [Paragraph(msg(
        "report.turnout.setup", candidate=candidate, n_resamples=ctx.battery().n_resamples,
        candidates=join_list([labels.get(c, c) for c in ctx.battery().candidates], ctx.lang)))]
    if "turnout.distribution" in nat:
        blocks.append(Paragraph(display(nat["turnout.distribution"].message, ctx)))
    integer = nat.get("turnout.integer_percentages")
    spikes = {k: nat.get(f"turnout.spike_100_{k}") for k in ("turnout", "share")}
    if ctx.options.figures and ctx.sheets is not None:
        from audit.figures.turnout import bin_points, plot_station_histograms

        sheets = ctx.sheets
        key = ctx.battery().candidate
        turnout = sheets.turnout() if sheets.has("registered") else None
        fig = plot_station_histograms(
            turnout, sheets.share(key), candidate=candidate,
            integer=integer if isinstance(integer, IntegerPercentResult) else None,
            spike_turnout=s if isinstance(s := spikes["turnout"], SpikeResult) else None,
            spike_share=s if isinstance(s := spikes["share"], SpikeResult) else None,
            lang=ctx.lang)
        blocks.append(figure_block(fig, msg("report.turnout.histogram_figure",
                                            candidate=candidate,
                                            width=bin_points(len(sheets))),
                                   name="station-histograms"))
    tested = [r for r in _tested(results, ctx) if r.test != "turnout.distribution"]
    if tested:
        blocks += [Heading(msg("report.turnout.tests_heading")),
                   checks_table(tested, name="turnout-national",
                               caption=msg("report.turnout.national_caption"),
                               candidates=figure_labels(ctx), calibration=ctx.calibration())]
        calibrated = [r for r in tested if descriptive_reason(r) is None]
        blocks += [Callout(r.evidence, display(r.message, ctx)) for r in calibrated]
        others = [r for r in tested if r not in calibrated
                  and r.candidate in (None, ctx.battery().candidate)]
        if others:
            blocks += [Paragraph(msg("report.turnout.uncalibrated_intro")),
                       BulletList(tuple(display(r.message, ctx) for r in others))]
    if ctx.options.figures and isinstance(integer, IntegerPercentResult):
        from audit.figures.turnout import plot_integer_percentages

        fig = plot_integer_percentages(integer, candidate=candidate, lang=ctx.lang)
        blocks.append(figure_block(fig, msg("report.turnout.integer_figure",
                                            candidate=candidate),
                                   name="integer-percentages", width=0.85))
    table = regional_table(results, ctx)
    if table is not None:
        blocks += [Heading(msg("report.turnout.regional_heading",
                               level=level_label(ctx, ctx.battery().level))), table]
    return blocks


def build_fingerprints(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    nat = _national(results, ctx)
    blocks: list[Block] = [Heading(msg("report.turnout.fingerprint_heading"))]
    fp = nat.get("fingerprints.fingerprint")
    if isinstance(fp, FingerprintResult):
        blocks.append(Paragraph(display(fp.message, ctx)))
        if ctx.options.figures:
            from audit.figures.fingerprints import plot_fingerprint

            fig = plot_fingerprint(fp, candidate=_candidate(ctx), lang=ctx.lang)
            blocks.append(figure_block(fig, msg("report.turnout.fingerprint_figure",
                                                candidate=_candidate(ctx), n=fp.n),
                                       name="fingerprint", width=0.7))
    corners = [r for r in _tested(results, ctx) if isinstance(r, CornerResult)]
    # the calibrated test of the family, for every candidate tested
    blocks += [Callout(r.evidence, display(r.message, ctx)) for r in corners]
    line = calibration_line(corners[0], ctx.calibration()) if corners else None
    if line is not None:
        blocks.append(line)
    klimek = nat.get("fingerprints.klimek")
    if isinstance(klimek, KlimekFitResult):  # descriptive: its fair model is no honest null
        blocks.append(Paragraph(display(klimek.message, ctx)))
    if len(blocks) == 1:
        blocks.append(none_run(ctx, "fingerprints"))
    return blocks


declare_section(SectionSpec("turnout", families=("turnout", "fingerprints"), needs=("sheets",),
                            order=70))
register_section(SectionHook(section="turnout", family="turnout", build=build_turnout,
                             run=run_turnout, needs=("sheets",), order=10))
register_section(SectionHook(section="turnout", family="fingerprints",
                             build=build_fingerprints, run=run_fingerprints,
                             needs=("registered",), order=20))

#: Method notes of the turnout and fingerprint checks: (note id, tests, references).
NOTES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("distribution", ("turnout.distribution",), cite("borghesi2012")),
    ("spike", ("turnout.spike_100_turnout", "turnout.spike_100_share"),
     cite("hoeffding1956", "klimek2012")),
    ("integer", ("turnout.integer_percentages",), cite("kobak2016", "lugannani1980")),
    ("outliers", ("turnout.outliers_turnout", "turnout.outliers_share"), cite("iglewicz1993")),
    ("moments", ("turnout.skewness_turnout", "turnout.skewness_share",
                 "turnout.kurtosis_turnout", "turnout.kurtosis_share"),
     cite("hicken2017", "klimek2012")),
    ("dip", ("turnout.dip_turnout", "turnout.dip_share"), cite("hartigan1985", "hicken2017")),
    ("correlation", ("turnout.correlation",), cite("myagkov2009")),
    ("sobyanin", ("turnout.sobyanin",), cite("myagkov2009", "hicken2017")),
    ("shpilkin", ("turnout.shpilkin",), cite("kobak2016", "hicken2017")),
    ("fingerprint", ("fingerprints.fingerprint",), cite("klimek2012")),
    ("klimek", ("fingerprints.klimek",), cite("klimek2012", "mebane2016")),
    ("corner", ("fingerprints.corner",), cite("klimek2012", "canay2017")),
)
for _note, _tests, _refs in NOTES:
    register_method(MethodNote.from_catalogue(_tests[0], f"turnout.{_note}", _refs),
                    *_tests[1:])

__all__ = ["build_fingerprints", "build_turnout"]
