"""Tally-sheet integrity from the ingestion: quarantine, duplicates, conflicts, arithmetic.

Every row read is accounted for (accepted, quarantined with a reason, or collapsed as an
identical duplicate); this section shows that accounting, the reasons with an example of
each, and the arithmetic rules every sheet was checked against.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from audit.checks.result import CheckResult
from audit.ingest import RULES, IngestResult
from audit.report.context import ReportContext
from audit.report.i18n import column_name
from audit.report.model import Block, Column, Heading, Paragraph, Table, msg
from audit.report.registry import (
    MethodNote,
    SectionHook,
    SectionSpec,
    declare_section,
    register_method,
    register_section,
)

#: Rules that are arithmetic identities of one sheet, with the columns each needs on the
#: sheets (``valid`` must come from the source, not be the candidates' sum).
ARITHMETIC_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("candidate_sum_mismatch", ("valid",)),
    ("ballot_sum_mismatch", ("voters",)),
    ("voters_exceed_registered", ("registered",)),
)
CONFLICT_RULE = "duplicate_conflict"
EXAMPLES_PER_RULE = 1
DUPLICATE_EXAMPLES = 10


def _rows_per_rule(quarantine: pd.DataFrame) -> dict[str, int]:
    if quarantine.empty:
        return {}
    per_rule = quarantine.drop_duplicates(["source", "line", "rule"])
    return {str(k): int(v) for k, v in per_rule["rule"].value_counts().items()}


def quarantine_table(ingest: IngestResult) -> Table:
    """One row per rule: what it checks, rows quarantined, the first example."""
    q = ingest.quarantine
    counts = _rows_per_rule(q)
    first = q.drop_duplicates("rule", keep="first")
    examples = {str(rule): (int(line), str(column), str(value)) for rule, line, column, value
                in first[["rule", "line", "column", "value"]].itertuples(index=False)}
    rows = []
    for rule in sorted(counts, key=lambda r: (-counts[r], r)):
        line, column, value = examples[rule]
        rows.append((msg(f"report.rule.{rule}.name"), counts[rule], line, column or None,
                     value or None))
    return Table(columns=(
        Column("rule", msg("report.col.rule")),
        Column("rows", msg("report.col.rows"), "int"),
        Column("line", msg("report.col.example_line"), "int"),
        Column("column", msg("report.col.example_column"), "code"),
        Column("value", msg("report.col.example_value"), "code"),
    ), rows=tuple(rows), name="quarantine", caption=msg("report.integrity.quarantine_caption"))


def duplicates_table(ingest: IngestResult) -> Table:
    d = ingest.duplicates.head(DUPLICATE_EXAMPLES)
    return Table.from_frame(d.astype({"line": "int64", "kept_line": "int64"}), (
        Column("source", msg("report.col.source"), "code"),
        Column("line", msg("report.col.line"), "int"),
        Column("kept_line", msg("report.col.kept_line"), "int"),
        Column("center_id", msg("report.col.center"), "code"),
        Column("table_id", msg("report.col.table"), "code"),
    ), name="duplicates", caption=msg("report.integrity.duplicates_caption",
                                      shown=len(d), total=len(ingest.duplicates)))


def _stated(ingest: IngestResult, column: str) -> bool:
    """Whether the source states ``column`` (``valid`` only when mapped by the profile)."""
    if column == "valid":
        return "valid" in ingest.profile.columns
    data = ingest.sheets.data
    return column in data and bool(data[column].notna().any())


def arithmetic_table(ingest: IngestResult, lang: str) -> Table:
    """Each arithmetic rule: checked or not (columns absent), and sheets failing it."""
    counts = _rows_per_rule(ingest.quarantine)
    rows = []
    for rule, needs in ARITHMETIC_RULES:
        checkable = all(_stated(ingest, c) for c in needs) or counts.get(rule, 0) > 0
        status = msg("report.integrity.checked") if checkable else \
            msg("report.integrity.not_checked",
                columns=", ".join(column_name(c, lang) for c in needs))
        rows.append((msg(f"report.rule.{rule}.name"), msg(f"report.rule.{rule}.text"), status,
                     counts.get(rule, 0) if checkable else None))
    return Table(columns=(
        Column("rule", msg("report.col.rule")),
        Column("description", msg("report.col.description")),
        Column("status", msg("report.col.status")),
        Column("rows", msg("report.col.rows"), "int"),
    ), rows=tuple(rows), name="arithmetic", caption=msg("report.integrity.arithmetic_caption"))


def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    """The accounting of the ingestion, its quarantine, duplicates, conflicts and arithmetic."""
    ingest = ctx.ingest
    if ingest is None:  # sheets given as a table (simulation): nothing was ingested
        return [Paragraph(msg("report.integrity.not_ingested"))]
    blocks: list[Block] = [Paragraph(msg(
        "report.integrity.accounting", rows_read=ingest.rows_read, accepted=ingest.accepted,
        quarantined=ingest.quarantined, duplicates=ingest.duplicates_collapsed))]
    blocks.append(Heading(msg("report.integrity.quarantine_heading")))
    if ingest.quarantined:
        blocks += [Paragraph(msg("report.integrity.quarantine", quarantined=ingest.quarantined,
                                 reasons=len(_rows_per_rule(ingest.quarantine)))),
                   quarantine_table(ingest)]
    else:
        blocks.append(Paragraph(msg("report.integrity.quarantine_none", rules=len(RULES))))
    blocks.append(Heading(msg("report.integrity.duplicates_heading")))
    conflicts = _rows_per_rule(ingest.quarantine).get(CONFLICT_RULE, 0)
    if ingest.duplicates_collapsed:
        blocks += [Paragraph(msg("report.integrity.duplicates", n=ingest.duplicates_collapsed)),
                   duplicates_table(ingest)]
    else:
        blocks.append(Paragraph(msg("report.integrity.duplicates_none")))
    blocks.append(Paragraph(msg("report.integrity.conflicts", n=conflicts) if conflicts
                            else msg("report.integrity.conflicts_none")))
    blocks += [Heading(msg("report.integrity.arithmetic_heading")),
               arithmetic_table(ingest, ctx.lang)]
    if ingest.join is not None:
        j = ingest.join
        blocks += [Heading(msg("report.integrity.join_heading")),
                   Paragraph(msg("report.integrity.join",
                                 columns=", ".join(column_name(c, ctx.lang) for c in j.columns),
                                 file=j.file.path, matched=j.matched,
                                 unmatched_main=len(j.unmatched_main),
                                 unmatched_other=len(j.unmatched_other)))]
    return blocks


declare_section(SectionSpec("integrity", families=("ingest",), needs=("sheets",), order=50))
register_section(SectionHook(section="integrity", family="ingest", build=build,
                             needs=("sheets",), methods=("ingest.validation",), order=10))
register_method(MethodNote.from_catalogue("ingest.validation", "validation"))
