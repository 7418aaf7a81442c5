"""Ready-made blocks for section builders: result tables, evidence call-outs, missing lines.

A family builder can compose its section from these plus its own tables and figures::

    def build(results, ctx):
        return [*result_callouts(results), results_table(results, name="digits")]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from audit.checks.result import CheckResult, Evidence, Message
from audit.report.model import Block, Callout, Column, MissingInput, Paragraph, Table, msg
from audit.report.registry import method_note

if TYPE_CHECKING:
    from audit.simulate.calibrate import CalibrationSummary

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


def descriptive_reason(result: CheckResult) -> str | None:
    """Why ``result`` carries no evidence level (a reason of
    :data:`audit.checks.registry.UNCALIBRATED_REASONS`), or None when its p-value is
    calibrated on honest elections and its evidence level stands."""
    from audit.checks.registry import registered

    spec = next((s for s in registered() if s.name == result.test), None)
    if spec is not None and not spec.calibrated:
        return spec.uncalibrated
    if result.evidence is Evidence.NOT_TESTED:
        return "descriptive"
    return None


#: Short codes of the p-value methods in the tables (``report.method_code.*``, explained in
#: each table's note).
METHOD_ORDER = ("exact", "saddlepoint", "sequential-monte-carlo", "monte-carlo+fitted-tail",
                "monte-carlo", "normal", "chi-square", "bootstrap", "tabulated")


def _legend(prefix: str, keys: Sequence[str], long: str) -> tuple[Message, ...]:
    return tuple(msg("report.checks.legend_item", code=msg(f"{prefix}.{k}"),
                     meaning=msg(f"{long}.{k}")) for k in keys)


def checks_table(results: Sequence[CheckResult], *, name: str, caption: Message,
                 candidates: Mapping[str, str] | None = None,
                 calibration: CalibrationSummary | None = None) -> Table:
    """One row per result: test, n, statistic, p with its z and the method that gave it,
    the adjusted p and the evidence level.

    Only a result whose p-value is calibrated on honest elections gets an evidence level
    and an adjusted p-value; a descriptive result (textbook law, Gaussian benchmark,
    uncalibrated check: :func:`descriptive_reason`) shows why instead, and is never
    labelled as evidence. The note explains the method codes and reasons used. Statistics
    of any size are shown with four significant digits (column kind ``num``). Where the
    results are about more than one candidate, a column names each (``candidates``: key ->
    the label readers see). With the case's ``calibration`` summary
    (:func:`audit.simulate.calibrate.load_calibration`), each test's measured false-positive
    rate on simulated clean elections shaped like this one, and its power where measured,
    stand beside its flag (:func:`calibration_cells`).
    """
    several = len({r.candidate for r in results if r.candidate}) > 1
    labels = candidates or {}
    columns = (Column("test", msg("report.col.test")),
               *((Column("candidate", msg("report.col.candidate")),) if several else ()),
               Column("n", msg("report.col.n"), "int"),
               Column("statistic", msg("report.col.statistic"), "num"),
               Column("pvalue", msg("report.col.pvalue"), "p"),
               Column("z", msg("report.col.z"), "f1"),
               Column("method", msg("report.col.method")),
               Column("pvalue_adjusted", msg("report.col.pvalue_adjusted"), "p"),
               Column("evidence", msg("report.col.evidence_or_why"), "evidence"))
    measured = calibration_cells(results, calibration)
    if measured:
        columns += (Column("false_positive_rate", msg("report.col.false_positive_rate")),
                    Column("power", msg("report.col.power")))
    rows = []
    methods: set[str] = set()
    reasons: set[str] = set()
    for r in results:
        reason = descriptive_reason(r)
        method = r.pvalue_method if r.pvalue is not None else None
        if method in METHOD_ORDER:
            methods.add(method)
        if reason is not None:
            reasons.add(reason)
        who = (labels.get(r.candidate, r.candidate) if r.candidate else None,) if several \
            else ()
        rows.append((test_label(r.test), *who, r.n, r.statistic, r.pvalue, r.z,
                     msg(f"report.method_code.{method}") if method in METHOD_ORDER else None,
                     None if reason is not None else r.pvalue_adjusted,
                     msg(f"report.descriptive_short.{reason}") if reason is not None
                     else r.evidence,
                     *(measured.get(r.test, (None, None)) if measured else ())))
    from audit.checks.registry import UNCALIBRATED_REASONS

    note = msg("report.checks.note",
               methods=_legend("report.method_code", [m for m in METHOD_ORDER if m in methods],
                               "forensics.method"),
               reasons=_legend("report.descriptive_short",
                               [k for k in UNCALIBRATED_REASONS if k in reasons],
                               "forensics.descriptive")) if reasons else \
        msg("report.checks.note_calibrated",
            methods=_legend("report.method_code", [m for m in METHOD_ORDER if m in methods],
                            "forensics.method"))
    if measured and calibration is not None:
        note = msg("report.calibration.table_note", checks=note,
                   calibration=calibration_note(calibration))
    return Table(columns=columns, rows=tuple(rows), name=name, caption=caption, note=note)


def calibration_cells(results: Sequence[CheckResult], calibration: CalibrationSummary | None
                      ) -> dict[str, tuple[Message | None, Message | None]]:
    """Per test of ``results`` measured in ``calibration``: its false-positive rate with the
    95% interval, and its power
    (:meth:`~audit.simulate.calibrate.CalibrationSummary.best_power`, or None); empty when
    no test was measured."""
    if calibration is None:
        return {}
    cells: dict[str, tuple[Message | None, Message | None]] = {}
    for test in dict.fromkeys(r.test for r in results):
        rate = calibration.rate(test)
        if rate is None:
            continue
        power = calibration.best_power(test)
        cells[test] = (
            msg("report.calibration.rate", rate=100 * rate.rate, low=100 * rate.low,
                high=100 * rate.high, tested=rate.tested),
            None if power is None else msg(
                "report.calibration.power", rate=100 * power.rate, tested=power.tested,
                manipulation=_manipulation(power.manipulation),
                intensity=100 * power.intensity))
    return cells


def calibration_note(calibration: CalibrationSummary) -> Message:
    """What the measured rates are: how many clean elections, which seed, which level."""
    return msg("report.calibration.note", n_sims=calibration.n_sims, seed=calibration.seed)


def calibration_line(result: CheckResult, calibration: CalibrationSummary | None
                     ) -> Paragraph | None:
    """One sentence with ``result``'s measured false-positive rate and power (for tests
    shown as sentences rather than in a table), or None when not measured."""
    cells = calibration_cells([result], calibration)
    if not cells or calibration is None:
        return None
    rate, power = cells[result.test]
    return Paragraph(msg("report.calibration.line", test=test_label(result.test), rate=rate,
                         power=power or msg("report.calibration.no_power"),
                         note=calibration_note(calibration)))


def _manipulation(name: str) -> Message | str:
    """A manipulation of :data:`audit.simulate.calibrate.DEFAULT_SCENARIOS` in words (its
    identifier when the catalogue does not name it)."""
    from audit.report.i18n import has_message

    key = f"report.calibration.manipulation.{name}"
    return msg(key) if has_message(key) else name


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
