"""The model in plain strings of one language, laid out for paged and web renderers.

Everything language- or format-dependent that PDF, HTML and Markdown share happens here:
messages rendered, numbers formatted, long tables cut to the option's length with a note,
figures and tables numbered, and column widths and font sizes chosen so that a table never
overflows the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audit._version import __version__
from audit.checks.result import Message
from audit.report.i18n import capitalize, cell, evidence_label, link_host, text
from audit.report.model import (
    NUMERIC_KINDS,
    Block,
    BulletList,
    Callout,
    FigureBlock,
    Heading,
    MissingInput,
    Paragraph,
    ReportModel,
    Table,
    msg,
)

#: Usable text width of the PDF page in points (A4 with 2.2 cm side margins).
TEXT_WIDTH_PT = 470.0
#: Glyph width of the monospaced font, as a fraction of the font size.
MONO_EM = 0.6
#: Font sizes tried for tables, largest first.
TABLE_SIZES = (9.0, 8.0, 7.5, 7.0, 6.5)
#: Horizontal padding of a cell (both sides), points.
CELL_PAD = 7.5
#: Where a cell's text may break: spaces and after slashes (identifiers with hyphens, such
#: as opposition-v2, are kept whole by the templates).
_BREAKS = re.compile(r"[ \t\r\n]+|(?<=/)")  # a no-break space (dates) never breaks


@dataclass
class Prepared:
    """A report as plain strings (see :func:`prepare`)."""

    lang: str
    meta: dict[str, Any]
    chrome: dict[str, str]
    facts: list[list[str]]
    sections: list[dict[str, Any]]
    figures: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, with_svg: bool = False) -> dict[str, Any]:
        sections = self.sections
        if not with_svg:
            sections = [{**s, "blocks": [{k: v for k, v in b.items() if k != "svg"}
                                         for b in s["blocks"]]} for s in sections]
        return {"lang": self.lang, "meta": self.meta, "chrome": self.chrome,
                "facts": self.facts, "sections": sections}


def _t(message: Message | str | None, lang: str) -> str:
    if message is None:
        return ""
    return message if isinstance(message, str) else text(message, lang)


def _em(value: str) -> float:
    """Estimated width of ``value`` in ems of the body font (a little generous)."""
    width = 0.0
    for ch in value:
        if ch.isupper():
            width += 0.68
        elif ch.isdigit():
            width += 0.52
        elif ch.isalpha():
            width += 0.5
        elif ch.isspace():
            width += 0.28
        else:
            width += 0.42
    return width * 1.05


def _widths(value: str, mono: bool) -> tuple[float, float]:
    """(natural, minimum) width of a cell in ems: the minimum is its longest unbreakable
    piece (lines break at spaces and after slashes; codes never break)."""
    if mono:
        w = len(value) * MONO_EM * 0.9
        return w, w
    pieces = _BREAKS.split(value)
    return _em(value), max((_em(p) for p in pieces), default=0.0)


def _layout(header: list[str], rows: list[list[str]], kinds: Sequence[str]
            ) -> tuple[str, list[float], float]:
    """Column widths and a font size such that the table fits the text width.

    The usual automatic table layout: every column gets at least its longest unbreakable
    piece (numbers and codes such as hashes never wrap), and the remaining width goes to the
    columns in proportion to how much more their content would need. The font shrinks
    until the unbreakable parts fit. Returns ``(fit, widths, size)``: ``fit`` is
    ``"natural"`` for a narrow table drawn at its natural width (widths in points), else
    ``"full"`` (widths are fractions of the text width).
    """
    full, minimum = [], []
    for j, kind in enumerate(kinds):
        mono = kind == "code"
        cells = [_widths(link_host(r[j]) if kind == "link" else r[j], mono) for r in rows]
        head_min = _widths(header[j], False)[1]
        nat = max([c[0] for c in cells] + [head_min, 1.0])
        low = max([c[1] for c in cells] + [head_min, 1.0])
        full.append(nat)
        minimum.append(nat if kind in NUMERIC_KINDS or mono else low)
    pad = CELL_PAD * len(kinds)
    size = TABLE_SIZES[-1]
    for candidate in TABLE_SIZES:
        if sum(minimum) * candidate + pad <= TEXT_WIDTH_PT:
            size = candidate
            break
    if sum(full) * size + pad <= 0.6 * TEXT_WIDTH_PT:  # narrow, nothing needs to wrap
        return "natural", [round(n * size + CELL_PAD, 1) for n in full], size
    room = TEXT_WIDTH_PT - pad
    if sum(full) * size <= room:  # everything fits on one line: widen the text columns
        widths = [n * size for n in full]
        flexible = [j for j, k in enumerate(kinds) if k not in NUMERIC_KINDS and k != "code"]
        slack = room - sum(widths)
        share = sum(widths[j] for j in flexible)
        for j in flexible:
            widths[j] += slack * widths[j] / share
    else:  # some text wraps: minimum widths plus a share of the rest
        widths = [m * size for m in minimum]
        extra = [(n - m) * size for n, m in zip(full, minimum, strict=True)]
        rest = room - sum(widths)
        if rest > 0 and sum(extra) > 0:
            widths = [w + rest * e / sum(extra) for w, e in zip(widths, extra, strict=True)]
    total = sum(w + CELL_PAD for w in widths)
    return "full", [round((w + CELL_PAD) / total, 4) for w in widths], size


def _table(block: Table, lang: str, max_rows: int, number: int | None) -> dict[str, Any]:
    limit = block.max_rows if block.max_rows is not None else max_rows
    kinds = [c.kind for c in block.columns]
    header = [_t(c.label, lang) for c in block.columns]
    shown = block.rows[:limit]
    rows = [[cell(v, c.kind, lang) for v, c in zip(row, block.columns, strict=True)]
            for row in shown]
    fit, widths, size = _layout(header, rows, kinds)
    notes = [_t(block.note, lang)] if block.note is not None else []
    if len(block.rows) > len(shown):
        notes.append(text(msg("report.chrome.truncated", shown=len(shown),
                              total=len(block.rows)), lang))
    hosts = [[link_host(v) if k == "link" and v.startswith(("http://", "https://")) else ""
              for v, k in zip(r, kinds, strict=True)] for r in rows]
    return {"type": "table", "name": block.name, "number": number, "hosts": hosts,
            "caption": capitalize(_t(block.caption, lang)), "notes": notes, "header": header,
            "kinds": kinds, "align": ["right" if c.numeric else "left" for c in block.columns],
            "rows": rows, "fit": fit, "widths": widths, "font_size": size}


def _block(block: Block, lang: str, max_rows: int, counters: dict[str, int]
           ) -> dict[str, Any]:
    # Every text block and caption starts with a capital, also when its sentence opens with a
    # label written to sit inside a sentence ("el boletín 1 del CNE", "the simulated
    # authority's").
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "text": capitalize(_t(block.message, lang))}
    if isinstance(block, Heading):
        return {"type": "heading", "text": capitalize(_t(block.message, lang))}
    if isinstance(block, BulletList):
        return {"type": "list", "items": [capitalize(_t(m, lang)) for m in block.items]}
    if isinstance(block, Callout):
        return {"type": "callout", "level": block.evidence.value,
                "label": evidence_label(block.evidence, lang),
                "text": capitalize(_t(block.message, lang))}
    if isinstance(block, MissingInput):
        return {"type": "missing", "section": block.section, "text": text(block.line, lang)}
    if isinstance(block, Table):
        number = None
        if block.caption is not None:
            counters["table"] += 1
            number = counters["table"]
        return _table(block, lang, max_rows, number)
    if isinstance(block, FigureBlock):
        counters["figure"] += 1
        n = counters["figure"]
        return {"type": "figure", "name": block.name, "number": n,
                "file": f"fig-{n:02d}-{block.name}.svg",
                "caption": capitalize(_t(block.caption, lang)),
                "width": block.width, "svg": block.svg}
    raise TypeError(f"unknown block {type(block).__name__}")


def prepare(model: ReportModel, *, max_table_rows: int | None = None) -> Prepared:
    """Render every string of ``model`` in its language for the paged and web renderers.

    ``max_table_rows`` defaults to the option the model was built with.
    """
    lang = model.lang
    if max_table_rows is None:
        max_table_rows = int(model.provenance.parameters.get("max_table_rows", 60))
    counters = {"table": 0, "figure": 0}
    sections: list[dict[str, Any]] = []
    for section in model.sections:
        blocks = [_block(b, lang, max_table_rows, counters) for b in section.blocks]
        sections.append({"id": section.id, "title": _t(section.title, lang),
                         "status": section.status, "blocks": blocks})
    title = _t(model.title.title, lang)
    subtitle = _t(model.title.subtitle, lang)
    chrome = {key: text(Message(f"report.chrome.{key}"), lang)
              for key in ("contents", "page", "of", "figure", "table", "evidence")}
    chrome["generated_by"] = text(msg("report.chrome.generated_by", version=__version__), lang)
    facts = [[_t(row[0], lang), str(row[1])] for row in model.title.facts.rows]
    figures = [b for s in sections for b in s["blocks"] if b["type"] == "figure"]
    meta = {"title": f"{title}: {subtitle}", "heading": title, "subtitle": subtitle,
            "author": "election-audit", "case": model.title.case,
            "keywords": list(dict.fromkeys(["election audit", model.title.case,
                                            model.title.election_id])),
            "version": __version__, "notice": _t(model.title.notice, lang)}
    return Prepared(lang=lang, meta=meta, chrome=chrome, facts=facts, sections=sections,
                    figures=figures)

