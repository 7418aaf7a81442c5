"""Background of the case, as data of the case (``context.toml``): what the authority
published and did not publish, how the tally sheets were collected and checked, what a
cross-check of their QR codes proves and cannot prove."""

from __future__ import annotations

from collections.abc import Sequence

from audit.checks.result import CheckResult
from audit.report.context import ReportContext
from audit.report.model import Block, Heading, Paragraph, msg
from audit.report.registry import SectionHook, SectionSpec, declare_section, register_section


def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    items = ctx.case_context().get("items") or []
    blocks: list[Block] = []
    for item in items:
        if isinstance(item, dict) and item.get("heading") and item.get("text"):
            blocks += [Heading(msg("summary.context", text=str(item["heading"]))),
                       Paragraph(msg("summary.context", text=str(item["text"])))]
    if not blocks:
        blocks.append(Paragraph(msg("report.context.none")))
    return blocks


declare_section(SectionSpec("context", order=10))
register_section(SectionHook(section="context", family="context", build=build))
