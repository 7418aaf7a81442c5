"""Digit tests in the report: national results with their simulation bands, the regional
results, and the textbook laws for comparison.

The results come from the report's one run of the forensics battery
(:meth:`audit.report.ReportContext.battery`, :mod:`audit.report.battery`): calibrated digit
tests (simulation nulls) nationally and in each top-level region, their textbook counterparts
nationally.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.checks.digits import DigitTestResult
from audit.checks.result import CheckResult
from audit.references import cite
from audit.report.blocks import FINDINGS, REGION_ROWS, checks_table, evidence_rank, test_label
from audit.report.context import ReportContext
from audit.report.display import display, figure_labels, level_label, region_names
from audit.report.i18n import capitalize
from audit.report.model import Block, BulletList, Callout, Column, Heading, Paragraph, Table, msg
from audit.report.registry import (
    MethodNote,
    SectionHook,
    SectionSpec,
    declare_section,
    register_method,
    register_section,
)
from audit.report.svg import figure_block

FAMILY = "digits"
#: Tests drawn as figures, in this order, when present.
FIGURES = ("digits.last_digit", "digits.second_digit")
#: Regional columns of the regional table (adjusted p-values).
REGIONAL_COLUMNS = ("digits.last_digit", "digits.second_digit")


def run(ctx: ReportContext) -> list[CheckResult]:
    return ctx.battery().family(FAMILY)


def _national(results: Sequence[CheckResult]) -> list[CheckResult]:
    return [r for r in results if "scope" not in r.params]


def none_run(ctx: ReportContext, family: str) -> Paragraph:
    """The line saying that no check of ``family`` could run, and why in general terms."""
    from audit.checks.registry import registered

    specs = registered(family)
    return Paragraph(msg("report.forensics.none_run", sheets=len(ctx.sheets or ()),
                         needed=min((s.min_units for s in specs), default=0),
                         skipped=ctx.battery().not_run(family)))


def regional_table(results: Sequence[CheckResult], ctx: ReportContext) -> Table | None:
    """One row per region: sheets, the adjusted p of the main tests, the strongest result."""
    b = ctx.battery()
    regional = [r for r in results if "scope" in r.params]
    if not regional or b.level is None:
        return None
    names = region_names(ctx, b.level)
    by_scope: dict[str, list[CheckResult]] = {}
    for r in regional:
        by_scope.setdefault(str(r.params["scope"]), []).append(r)
    shown = [t for t in REGIONAL_COLUMNS if t in b.regional_tests]
    rows = []
    for scope in b.regions():
        found = by_scope.get(scope.key, [])
        if not found:
            continue
        tests = {r.test: r for r in found}
        best = min(found, key=evidence_rank)
        rows.append((names.get(scope.code, scope.name or scope.code), scope.sheets,
                     *(tests[t].pvalue_adjusted if t in tests else None for t in shown),
                     best.pvalue_adjusted, test_label(best.test), best.evidence))
    columns = (
        Column("region", msg("report.col.region",
                             level=capitalize(level_label(ctx, b.level)))),
        Column("sheets", msg("report.col.sheets"), "int"),
        *(Column(t, msg("report.col.adjusted_p_of", test=test_label(t)), "p") for t in shown),
        Column("min_p", msg("report.col.smallest_adjusted_p"), "p"),
        Column("min_test", msg("report.col.of_test")),
        Column("evidence", msg("report.col.evidence"), "evidence"),
    )
    return Table(columns=columns, rows=tuple(rows), name=f"digits-by-{b.level}",
                 max_rows=REGION_ROWS,
                 caption=msg("report.digits.regional_caption", level=level_label(ctx, b.level),
                             tests=len([t for t in b.regional_tests
                                        if t.startswith(FAMILY + ".")])))


def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    b = ctx.battery()
    national = _national(results)
    calibrated = [r for r in national if b.calibrated(r.test)]
    textbook = [r for r in national if not b.calibrated(r.test)]
    labels = figure_labels(ctx)
    candidate = labels.get(b.candidate, b.candidate)
    if not national:
        return [none_run(ctx, FAMILY)]
    blocks: list[Block] = [Paragraph(msg("report.digits.setup", candidate=candidate,
                                         n_resamples=b.n_resamples,
                                         tests=len(calibrated)))]
    if calibrated:
        blocks.append(Heading(msg("report.digits.national_heading")))
        blocks.append(checks_table(calibrated, name="digits-national",
                                  caption=msg("report.digits.national_caption"),
                                  calibration=ctx.calibration()))
        found = [r for r in calibrated if r.evidence in FINDINGS]
        blocks += [Callout(r.evidence, display(r.message, ctx))
                   for r in sorted(found, key=evidence_rank)]
        if not found:
            blocks.append(Paragraph(msg("report.digits.none_flagged", n=len(calibrated))))
        if ctx.options.figures:
            from audit.figures.digits import plot_digit_distribution

            for test in FIGURES:
                r = next((x for x in calibrated if x.test == test), None)
                if isinstance(r, DigitTestResult):
                    fig = plot_digit_distribution(
                        r, lang=ctx.lang, title=ctx.text(f"report.digits.figure_title.{test}",
                                                         candidate=candidate))
                    blocks.append(figure_block(fig, msg(
                        f"report.digits.figure.{test}", candidate=candidate, n=r.n,
                        n_resamples=b.n_resamples), name=test.replace(".", "-"), width=0.85))
    table = regional_table(results, ctx)
    if table is not None:
        blocks += [Heading(msg("report.digits.regional_heading",
                               level=level_label(ctx, b.level))), table]
    if textbook:
        blocks += [Heading(msg("report.digits.textbook_heading")),
                   Paragraph(msg("report.digits.textbook")),
                   checks_table(textbook, name="digits-textbook",
                               caption=msg("report.digits.textbook_caption"),
                               calibration=ctx.calibration())]
        rejected = [r for r in textbook if r.pvalue is not None and r.pvalue < 0.05]
        if rejected:  # each rejection of a textbook law explained (never as evidence)
            blocks.append(BulletList(tuple(display(r.message, ctx) for r in rejected)))
    return blocks


declare_section(SectionSpec("digits", families=("digits",), needs=("sheets",), order=60))
register_section(SectionHook(section="digits", family=FAMILY, build=build, run=run,
                             needs=("sheets",), methods=("digits.simulation",),
                             order=10))

#: Method notes: one per group of digit tests (id, tests, references).
GROUPS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("last", ("last_digit", "last_digit_mean", "c05"), cite("beber2012", "hicken2017")),
    ("pairs", ("repeated_pairs", "adjacent_pairs", "distant_pairs"), cite("beber2012")),
    ("second", ("second_digit", "second_digit_mean"),
     cite("mebane2008", "deckert2011", "hicken2017")),
    ("first", ("first_digit", "first_two_digits"), cite("deckert2011", "nigrini2012")),
    ("p05", ("p05",), cite("kobak2016", "hicken2017")),
)
_SIMULATION = cite("kleinman1973", "meng1994", "besag1991")

register_method(MethodNote.from_catalogue("digits.simulation", "digits.simulation",
                                           _SIMULATION))
for _group, _tests, _refs in GROUPS:
    register_method(MethodNote.from_catalogue(f"digits.{_tests[0]}", f"digits.{_group}", _refs),
                    *(f"digits.{t}" for t in _tests[1:]))
register_method(MethodNote.from_catalogue("digits.textbook", "digits.textbook",
                                          cite("deckert2011", "nigrini2012", "beber2012")),
                *(f"digits.{t}.textbook" for _g, tests, _r in GROUPS for t in tests))

__all__ = ["build", "run"]
