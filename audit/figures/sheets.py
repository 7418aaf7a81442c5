"""Figures of tally-sheet totals: vote shares nationally and by region.

They draw numbers already computed (percentages per candidate, per region); every text on
the figure is passed in by the caller, already translated, so the functions know no language.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from audit.figures import figure_and_axes

#: Colours for the first candidates (colour-blind safe, Okabe–Ito), then grey.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
OTHER = "#999999"


def plot_shares(labels: Sequence[str], percents: Sequence[float], *, xlabel: str,
                value_labels: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Horizontal bars of vote shares (percent), largest on top.

    Parameters
    ----------
    labels, percents
        Candidate labels and their shares in percent, in the order to draw (top first).
    xlabel
        Axis label (translated by the caller).
    value_labels
        Text printed at the end of each bar (e.g. formatted percentages).
    """
    n = len(labels)
    fig, ax = figure_and_axes(ax, figsize=(6.4, max(1.5, 0.24 * n + 0.7)))
    y = np.arange(n)[::-1]
    colours = [PALETTE[i] if i < 2 else OTHER for i in range(n)]
    ax.barh(y, percents, color=colours, height=0.7)
    ax.set_yticks(y, labels)
    ax.set_xlabel(xlabel)
    top = max(max(percents, default=0.0), 1.0)
    ax.set_xlim(0, top * 1.18)
    if value_labels is not None:
        for yi, pct, text in zip(y, percents, value_labels, strict=True):
            ax.text(pct + top * 0.01, yi, text, va="center", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_region_shares(regions: Sequence[str], first: Sequence[float], second: Sequence[float],
                       *, first_label: str, second_label: str, xlabel: str,
                       ax: Axes | None = None) -> Figure:
    """Dot plot of two candidates' shares (percent) per region, joined by a line per region.

    Regions are drawn in the order given, top first.
    """
    n = len(regions)
    fig, ax = figure_and_axes(ax, figsize=(6.4, max(2.0, 0.17 * n + 1.0)))
    y = np.arange(n)[::-1]
    ax.hlines(y, np.minimum(first, second), np.maximum(first, second), color="#cccccc",
              linewidth=1.5, zorder=1)
    ax.scatter(first, y, color=PALETTE[0], label=first_label, zorder=2, s=22)
    ax.scatter(second, y, color=PALETTE[1], label=second_label, zorder=2, s=22)
    ax.set_yticks(y, regions, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.8, n - 0.2)
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False,
              fontsize=8)
    return fig
