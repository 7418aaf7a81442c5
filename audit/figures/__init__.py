"""Figures: functions ``plot_<check>(result, *, ax=None) -> Figure`` that draw a result.

A figure never computes a statistic: it draws what a result holds. It draws on ``ax`` when
given, else on a new :class:`matplotlib.figure.Figure` (never pyplot's global state), so
figures are safe in servers and tests. One module per check family.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

#: Default size (inches) of a single-panel figure in reports.
FIGSIZE = (6.4, 3.6)


def figure_and_axes(ax: Axes | None = None, *, figsize: tuple[float, float] = FIGSIZE
                    ) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new figure with one axes."""
    if ax is not None:
        fig = ax.get_figure()
        if not isinstance(fig, Figure):
            raise TypeError("ax must belong to a matplotlib Figure")
        return fig, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()
