"""Markdown for quick sharing: GitHub-flavoured tables; figures as SVG files beside the file.

Figures go to a folder ``<name>_figures/`` next to ``<name>.md`` and are linked relatively;
with ``figures=False`` they are left out and a note says so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from audit.checks.result import Message
from audit.report.formats.prepare import Prepared, prepare
from audit.report.i18n import text
from audit.report.model import ReportModel

#: Characters with a meaning in Markdown that text from the data must not trigger (CommonMark
#: 0.31, "Backslash escapes"): emphasis, links and images, code spans, table cells,
#: strikethrough. Block markers (#, -, +, "1.") matter only at the start, escaped there.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]|~!"})
_BLOCK_START = re.compile(r"^(\s*\d{1,9}|\s*)((?<=\d)[.)]|(?<!\d)[#+\-=])(?=\s|$)")
#: HTML is escaped as entities, so names like "<script>" or "<img onerror=...>" from a
#: hostile case folder are shown, never run, wherever the Markdown is rendered.
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def _escape(value: str) -> str:
    """Text safe inside a Markdown table cell or paragraph: Markdown syntax and HTML from the
    data are shown literally (no links, images, emphasis, headings or tags)."""
    text = " ".join(str(value).splitlines()).translate(_HTML).translate(_MARKDOWN)
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)


def _link(url: str, host: str) -> str:
    """A link to ``url`` labelled ``host``, only for an http(s) address that cannot leave its
    ``<...>`` destination (no blank, angle bracket, backslash or backtick); any other
    address from a case folder (``javascript:``, ``data:``) is shown as escaped text."""
    if url.startswith(("https://", "http://")) and not re.search(r"[<>\s\\`|]", url):
        return f"[{_escape(host)}](<{url}>)"
    return _escape(url)


def _code(value: str) -> str:
    """A code span that no backtick inside ``value`` can close early (CommonMark: the fence
    is one backtick longer than the longest run inside)."""
    text = " ".join(str(value).splitlines())
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"{fence}{text}{fence}"


def _table(b: dict[str, Any], chrome: dict[str, str]) -> list[str]:
    lines = []
    if b["caption"]:
        lines += [f"*{chrome['table']} {b['number']}. {_escape(b['caption'])}*", ""]
    lines.append("| " + " | ".join(_escape(h) for h in b["header"]) + " |")
    lines.append("|" + "|".join("---:" if a == "right" else ":---" for a in b["align"]) + "|")
    for i, row in enumerate(b["rows"]):
        cells = [_code(v).replace("|", "\\|") if k == "code" and v != "—" else
                 _link(v, host) if k == "link" and host else _escape(v)
                 for v, k, host in zip(row, b["kinds"], b["hosts"][i], strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
    for note in b["notes"]:
        lines += ["", f"*{_escape(note)}*"]
    return [*lines, ""]


def markdown_text(prepared: Prepared, *, figure_dir: str | None) -> str:
    """The Markdown of a prepared report; figures linked under ``figure_dir`` (or omitted)."""
    chrome = prepared.chrome
    meta = prepared.meta
    out = [f"# {_escape(meta['heading'])}", "", f"**{_escape(meta['subtitle'])}**", ""]
    if meta["notice"]:
        out += [f"> **{_escape(meta['notice'])}**", ""]
    out += [f"- {_escape(k)}: {_escape(v)}" for k, v in prepared.facts]
    out += ["", f"## {_escape(chrome['contents'])}", ""]
    out += [f"{i}. [{_escape(s['title'])}](#{s['id']})" for i, s in
            enumerate(prepared.sections, 1)]
    out.append("")
    if figure_dir is None and prepared.figures:
        out += [f"*{_escape(text(Message('report.chrome.figures_omitted'), prepared.lang))}*",
                ""]
    for i, s in enumerate(prepared.sections, 1):
        out += [f'<a id="{s["id"]}"></a>', "", f"## {i}. {_escape(s['title'])}", ""]
        for b in s["blocks"]:
            kind = b["type"]
            if kind == "paragraph":
                out += [_escape(b["text"]), ""]
            elif kind == "heading":
                out += [f"### {_escape(b['text'])}", ""]
            elif kind == "list":
                out += [f"- {_escape(item)}" for item in b["items"]] + [""]
            elif kind == "callout":
                out += [f"> **{_escape(b['label'])}.** {_escape(b['text'])}", ""]
            elif kind == "missing":
                out += [f"> *{_escape(b['text'])}*", ""]
            elif kind == "table":
                out += _table(b, chrome)
            elif kind == "figure" and figure_dir is not None:
                caption = f"{chrome['figure']} {b['number']}. {b['caption']}"
                out += [f"![{_escape(caption)}]({figure_dir}/{b['file']})", "",
                        f"*{_escape(caption)}*", ""]
    out += ["---", "", _escape(chrome["generated_by"]), ""]
    return "\n".join(out)


def render_markdown(model: ReportModel, path: str | Path, *, figures: bool = True,
                    max_table_rows: int | None = None) -> Path:
    """Write ``model`` as Markdown at ``path`` and its figures beside it."""
    path = Path(path)
    prepared = prepare(model, max_table_rows=max_table_rows)
    figure_dir = None
    if figures and prepared.figures:
        folder = path.with_name(f"{path.stem}_figures")
        folder.mkdir(exist_ok=True)
        for fig in prepared.figures:
            (folder / fig["file"]).write_text(fig["svg"], encoding="utf-8")
        figure_dir = folder.name
    path.write_text(markdown_text(prepared, figure_dir=figure_dir), encoding="utf-8")
    return path
