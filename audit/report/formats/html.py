"""HTML: one self-contained file (inline CSS, inline SVG figures, no external request).

The page skeleton is ``reports/templates/report.html`` and its style ``report.css``, both
inlined; every text is escaped.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from string import Template
from typing import Any

from audit.report.formats.prepare import Prepared, prepare
from audit.report.model import ReportModel
from audit.report.svg import scoped_svg
from audit.resources import reports_dir

_NUM = ' class="num"'


def _table(b: dict[str, Any]) -> str:
    rows = []
    head = "".join(f'<th scope="col"{_NUM if a == "right" else ""}>{escape(h)}</th>'
                   for h, a in zip(b["header"], b["align"], strict=True))
    for row, hosts in zip(b["rows"], b["hosts"], strict=True):
        cells = []
        for value, kind, align, host in zip(row, b["kinds"], b["align"], hosts, strict=True):
            content = f"<code>{escape(value)}</code>" if kind == "code" else escape(value)
            if kind == "link" and host:
                content = f'<a href="{escape(value)}">{escape(host)}</a>'
            cls = _NUM if align == "right" else ""
            cells.append(f"<td{cls}>{content}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = ""
    if b["caption"]:
        caption = f"<caption>{escape(b['table_label'])} {b['number']}. {escape(b['caption'])}" \
                  f"</caption>"
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in b["notes"])
    return (f'<div class="table-wrap"><table class="data" id="table-{escape(b["name"])}">'
            f"{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"{notes}</div>")


_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")


def accessible_svg(svg: str, ident: str, title: str, description: str) -> str:
    """``svg`` as an image for assistive technology: ``role="img"``, a ``<title>`` and a
    ``<desc>`` it is labelled by, and no fixed size (it scales to its container)."""
    def opening(match: re.Match[str]) -> str:
        attrs = re.sub(r'\s(width|height)="[^"]*"', "", match.group(1))
        return (f'<svg{attrs} role="img" aria-labelledby="{ident}-title {ident}-desc">'
                f'<title id="{ident}-title">{escape(title)}</title>'
                f'<desc id="{ident}-desc">{escape(description)}</desc>')

    return _SVG_OPEN.sub(opening, svg, count=1)


def _block(b: dict[str, Any], chrome: dict[str, str]) -> str:
    kind = b["type"]
    if kind == "paragraph":
        return f"<p>{escape(b['text'])}</p>"
    if kind == "heading":
        return f"<h3>{escape(b['text'])}</h3>"
    if kind == "list":
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in b["items"]) + "</ul>"
    if kind == "callout":
        return (f'<div class="callout" style="--level: var(--{b["level"]})">'
                f"<strong>{escape(b['label'])}.</strong> {escape(b['text'])}</div>")
    if kind == "missing":
        return f'<p class="missing">{escape(b["text"])}</p>'
    if kind == "table":
        return _table({**b, "table_label": chrome["table"]})
    if kind == "figure":
        svg = accessible_svg(scoped_svg(b["svg"], f"f{b['number']}-"), f"f{b['number']}",
                             f"{chrome['figure']} {b['number']}", b["caption"])
        return (f'<figure id="figure-{b["number"]}">{svg}<figcaption>'
                f"{escape(chrome['figure'])} {b['number']}. {escape(b['caption'])}"
                f"</figcaption></figure>")
    raise ValueError(f"unknown block type {kind!r}")


def html_text(prepared: Prepared) -> str:
    """The complete HTML page of a prepared report."""
    templates = reports_dir() / "templates"
    page = Template((templates / "report.html").read_text(encoding="utf-8"))
    css = (templates / "report.css").read_text(encoding="utf-8")
    chrome = prepared.chrome
    toc: list[str] = []
    body: list[str] = []
    summary: list[str] = []
    for s in prepared.sections:
        anchor = f"section-{s['id']}"
        toc.append(f'<li><a href="#{anchor}">{escape(s["title"])}</a></li>')
        target = summary if s["id"] == "summary" else body  # the summary comes first
        target.append(f'<section id="{anchor}"><h2>{escape(s["title"])}</h2>')
        target += [_block(b, chrome) for b in s["blocks"]]
        target.append("</section>")
    facts = '<table class="facts">' + "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in prepared.facts) + \
        "</table>"
    meta = prepared.meta
    return page.substitute(
        lang=escape(prepared.lang), version=escape(meta["version"]), title=escape(meta["title"]),
        css=css, heading=escape(meta["heading"]), subtitle=escape(meta["subtitle"]),
        notice=f'<p class="notice">{escape(meta["notice"])}</p>' if meta["notice"] else "",
        facts=facts, contents=escape(chrome["contents"]),
        toc="<ol>" + "".join(toc) + "</ol>", body="\n".join(body),
        summary="\n".join(summary),
        generated_by=escape(chrome["generated_by"]))


def render_html(model: ReportModel, path: str | Path, *, max_table_rows: int | None = None
                ) -> Path:
    """Write ``model`` as one self-contained HTML file at ``path``."""
    path = Path(path)
    path.write_text(html_text(prepare(model, max_table_rows=max_table_rows)), encoding="utf-8")
    return path
