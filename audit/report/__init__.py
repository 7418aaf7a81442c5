"""Publishable reports: one call from a case to a PDF, HTML, JSON or Markdown report.

>>> model = build_report("venezuela-2024", sheets, ReportOptions(lang="es"))  # doctest: +SKIP
>>> render(model, "venezuela-2024.pdf")                                       # doctest: +SKIP

:func:`build_report` assembles a :class:`ReportModel` (pure data) from whatever inputs are
available; check families declare their sections (:func:`declare_section`) and fill them with
:func:`register_section` (see
:mod:`audit.report.registry` and ``docs/reports.md``); :func:`render` writes the format of the
output file's extension.
"""

from audit.report.blocks import generic_blocks, result_callouts, results_table
from audit.report.build import build_report
from audit.report.context import ReportContext, ReportOptions
from audit.report.model import (
    Block,
    BulletList,
    Callout,
    Column,
    FigureBlock,
    Heading,
    MissingInput,
    Paragraph,
    ReportModel,
    Section,
    Table,
    msg,
)
from audit.report.registry import (
    MethodNote,
    SectionHook,
    SectionSpec,
    declare_section,
    register_method,
    register_section,
    section_ids,
    sections,
)
from audit.report.render import FORMATS, infer_format, render
from audit.report.svg import figure_block, figure_svg

__all__ = [
    "FORMATS", "Block", "BulletList", "Callout", "Column", "FigureBlock", "Heading",
    "MethodNote", "MissingInput", "Paragraph", "ReportContext", "ReportModel", "ReportOptions",
    "Section", "SectionHook", "SectionSpec", "Table", "build_report", "declare_section",
    "figure_block", "figure_svg", "generic_blocks", "infer_format", "msg", "register_method",
    "register_section", "render", "result_callouts", "results_table", "section_ids",
    "sections",
]
