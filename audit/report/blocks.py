"""Ready-made blocks for section builders: result tables, evidence call-outs, missing lines.

A family builder can compose its section from these plus its own tables and figures::

    def build(results, ctx):
        return [*result_callouts(results), results_table(results, name="digits")]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from audit.checks._result import CheckResult, Evidence, Message
from audit.report.model import Block, Callout, Column, MissingInput, Paragraph, Table, msg
from audit.report.registry import method_note

#: Evidence levels from the strongest statement to the weakest (for sorting findings).
EVIDENCE_ORDER: tuple[Evidence, ...] = (Evidence.IMPOSSIBLE, Evidence.STRONG, Evidence.MODERATE,
                                        Evidence.WEAK, Evidence.CONSISTENT, Evidence.NOT_TESTED)
#: Tables with one row per top-level region are never cut in the paged formats (Russia has
#: 85 regions; the option's 60 rows apply to the other tables).
REGION_ROWS = 500
#: Levels that speak against a null hypothesis.
FINDINGS: frozenset[Evidence] = frozenset(
    {Evidence.IMPOSSIBLE, Evidence.STRONG, Evidence.MODERATE, Evidence.WEAK})


def evidence_rank(result: CheckResult) -> tuple[int, float]:
    """Sort key: strongest evidence first, then smallest (adjusted) p-value."""
    p = result.pvalue_adjusted if result.pvalue_adjusted is not None else result.pvalue
    return EVIDENCE_ORDER.index(result.evidence), (p if p is not None and p == p else 2.0)


def test_label(test: str) -> Message | str:
    """The translated name of a test: ``report.test.<id>`` (a textbook variant
    ``<id>.textbook`` is named like its test), else its method note's title, else its id."""
    from audit.report.i18n import has_message

    key = f"report.test.{test.removesuffix('.textbook')}"
    if has_message(key):
        return msg(key)
    note = method_note(test)
    return note.title if note is not None else test


def results_table(results: Sequence[CheckResult], *, name: str = "results",
                  caption: Message | None = None) -> Table:
    """One row per result: test, statistic, p-value, adjusted p-value, effect, n, evidence."""
    columns = (
        Column("test", msg("report.col.test")),
        Column("statistic", msg("report.col.statistic"), "f3"),
        Column("pvalue", msg("report.col.pvalue"), "p"),
        Column("pvalue_adjusted", msg("report.col.pvalue_adjusted"), "p"),
        Column("effect", msg("report.col.effect"), "f3"),
        Column("effect_unit", msg("report.col.effect_unit"), "code"),
        Column("n", msg("report.col.n"), "int"),
        Column("evidence", msg("report.col.evidence"), "evidence"),
    )
    rows = tuple((test_label(r.test), r.statistic, r.pvalue, r.pvalue_adjusted, r.effect,
                  r.effect_unit or None, r.n, r.evidence) for r in results)
    return Table(columns=columns, rows=rows, name=name,
                 caption=caption or msg("report.results.caption"))


def checks_table(results: Sequence[CheckResult], *, name: str, caption: Message,
                calibrated: Callable[[str], bool] | None = None,
                evidence_label: str = "report.col.evidence") -> Table:
    """One row per result: test, (calibrated or not,) n, statistic, p, adjusted p, evidence.

    Statistics of any size are shown with four significant digits (column kind ``num``).
    """
    columns = [Column("test", msg("report.col.test"))]
    if calibrated is not None:
        columns.append(Column("null", msg("report.col.null_kind")))
    columns += [Column("n", msg("report.col.n"), "int"),
                Column("statistic", msg("report.col.statistic"), "num"),
                Column("pvalue", msg("report.col.pvalue"), "p"),
                Column("pvalue_adjusted", msg("report.col.pvalue_adjusted"), "p"),
                Column("evidence", msg(evidence_label), "evidence")]
    rows = []
    for r in results:
        kind = () if calibrated is None else (msg(
            "report.turnout.calibrated" if calibrated(r.test) else "report.turnout.uncalibrated"),)
        rows.append((test_label(r.test), *kind, r.n, r.statistic, r.pvalue, r.pvalue_adjusted,
                     r.evidence))
    return Table(columns=tuple(columns), rows=tuple(rows), name=name, caption=caption)


def result_callouts(results: Sequence[CheckResult], *, findings_only: bool = False,
                    limit: int | None = None) -> list[Callout]:
    """Each result's sentence with its evidence level, strongest first."""
    chosen = sorted(results, key=evidence_rank)
    if findings_only:
        chosen = [r for r in chosen if r.evidence in FINDINGS]
    return [Callout(r.evidence, r.message) for r in chosen[:limit]]


def generic_blocks(results: Sequence[CheckResult], family: str) -> list[Block]:
    """What a family's results look like without a builder of its own."""
    if not results:
        return [Paragraph(msg("report.results.none", family=family))]
    return [*result_callouts(results), results_table(results, name=f"{family}-results")]


def need_message(need: str) -> Message:
    return msg(f"report.need.{need}")


def missing_line(section: str, need: str, how: Message) -> MissingInput:
    """The line standing in for content that needs ``need``."""
    return MissingInput(section=section, needs=need_message(need), how=how)
