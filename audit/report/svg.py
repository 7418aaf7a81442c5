"""Matplotlib figures as deterministic, self-contained SVG text.

Text stays text (``svg.fonttype`` none): selectable, searchable and read by screen readers,
drawn in the report's sans-serif font (DejaVu Sans, embedded by the PDF renderer and named
with fallbacks in the HTML page). The date metadata is left out and element ids are derived
from a fixed salt, so the same figure gives the same bytes on
every run. Artists drawn with ``rasterized=True`` (dense heat maps, scatter plots of tens of
thousands of points) are embedded as PNG images at :data:`RASTER_DPI`. :func:`scoped_svg`
prefixes the ids of one figure so that several can be inlined in one HTML page without
clashing.
"""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from audit.checks.result import Message
from audit.report.model import FigureBlock

#: Resolution of the rasterized parts of a figure.
RASTER_DPI = 200

_RC: dict[str, Any] = {"svg.hashsalt": "election-audit", "svg.fonttype": "none",
                       "svg.image_inline": True, "font.family": "DejaVu Sans",
                       "mathtext.fontset": "dejavusans"}


def figure_svg(fig: Figure) -> str:
    """The SVG text of ``fig``, byte-identical for identical figures."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        fig.savefig(buffer, format="svg", dpi=RASTER_DPI,
                    metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def figure_block(fig: Figure, caption: Message, *, name: str, width: float = 1.0
                 ) -> FigureBlock:
    """A report figure block from a matplotlib figure (converted to SVG now)."""
    return FigureBlock(svg=figure_svg(fig), caption=caption, name=name, width=width)


_HEADER = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(\bid="|#)([^"\)\s#]+)(?=["\)])')


def scoped_svg(svg: str, prefix: str) -> str:
    """``svg`` without XML prologue or metadata, its ids prefixed with ``prefix``."""
    body = _METADATA.sub("", _HEADER.sub("", svg, count=1))
    ids = set(_ID.findall(body))
    if not ids:
        return body

    def rename(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"{match.group(1)}{prefix}{name}" if name in ids else match.group(0)

    return _REF.sub(rename, body)
