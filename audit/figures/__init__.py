"""Figures: functions ``plot_<check>(result, *, lang="en", ax=None) -> Figure`` that draw a
result.

A figure never computes a statistic: it draws what a result holds. It draws on ``ax`` when
given, else on a new :class:`matplotlib.figure.Figure` (never pyplot's global state), so
figures are safe in servers and tests. One module per check family. Every word on a figure
comes from the ``figures`` message catalogue in the language ``lang`` (``en`` or ``es``) and
every number is formatted for it (:func:`label`, :func:`number`).

Text on a figure is never parsed as mathtext (:class:`PlainTextFigure`): names from a case
folder such as "B $\\frac{$" are drawn as written, and a malformed one cannot break a report.
"""

from __future__ import annotations

from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.text import Text

from audit.messages import format_number, render

#: Default size (inches) of a single-panel figure in reports.
FIGSIZE = (6.4, 3.6)


class PlainTextFigure(Figure):
    """A figure whose text is drawn as written: ``$`` is a dollar sign, never mathtext.

    Labels set before drawing are switched to plain text when the figure is drawn, and tick
    labels created while drawing inherit ``text.parse_math = False``.
    """

    def draw(self, renderer: RendererBase) -> None:
        with matplotlib.rc_context({"text.parse_math": False}):
            for text in self.findobj(Text):
                text.set_parse_math(False)
            super().draw(renderer)


def figure_and_axes(ax: Axes | None = None, *, figsize: tuple[float, float] = FIGSIZE
                    ) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new figure with one axes."""
    if ax is not None:
        fig = ax.get_figure()
        if not isinstance(fig, Figure):
            raise TypeError("ax must belong to a matplotlib Figure")
        return fig, ax
    fig = PlainTextFigure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def legend_outside(ax: Axes, *, fontsize: float = 7, ncol: int | None = None) -> None:
    """Draw ``ax``'s legend outside the plotting area, never over the data.

    On a figure of its own (one axes, constrained layout) the legend goes under the figure
    and the layout makes room for it; on an axes shared with others (a colour bar, panels)
    it goes under the axes, below its x-axis label. Duplicate labels are shown once.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    if not unique:
        return
    ncol = ncol or min(len(unique), 3)
    fig = ax.get_figure()
    if isinstance(fig, Figure) and len(fig.axes) == 1 and \
            isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.legend(list(unique.values()), list(unique), loc="outside lower center", ncol=ncol,
                   fontsize=fontsize, frameon=False)
    else:
        ax.legend(list(unique.values()), list(unique), loc="upper center",
                  bbox_to_anchor=(0.5, -0.2), ncol=ncol, fontsize=fontsize, frameon=False)


def label(key: str, lang: str = "en", /, **params: Any) -> str:
    """The figure text ``figures.<key>`` in ``lang`` (numbers already formatted by the
    caller with :func:`number`)."""
    return render(f"figures.{key}", params, lang)


def number(value: float | None, kind: str, lang: str = "en") -> str:
    """A number on a figure, formatted for ``lang`` ("—" when missing)."""
    if value is None:
        return "—"
    return format_number(value, kind, lang)
