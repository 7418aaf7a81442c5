"""Figures of digit tests: observed digit shares, the textbook law, and the honest band.

Each function draws a :class:`~audit.checks.digits.DigitTestResult` (it computes nothing):
bars for the observed share of each digit or category, a line with markers for the textbook
law (Benford, uniform ...), and a shaded band for the null's 2.5–97.5% range per cell — the
quantiles of honest redraws for a simulation null, the normal approximation for a textbook
null. Words are in ``lang`` (``figures.digits.*`` messages).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from audit.checks.digits import PAIR_KINDS, DigitTestResult
from audit.figures import figure_and_axes, label, legend_outside, number
from audit.model import VOTE_PREFIX


def _kind(result: DigitTestResult) -> str:
    return result.digits if result.digits in ("first", "second", "first_two", "last", "pairs",
                                              "percent") else "digit"


def counts_label(result: DigitTestResult) -> str:
    """The counts a digit test read, as a reader names them: the candidate's key rather
    than its column ("UR", not "votes_UR"), other columns as they are."""
    return ", ".join(c.removeprefix(VOTE_PREFIX) for c in result.column)


def plot_digit_distribution(result: DigitTestResult, *, column: str | None = None,
                            title: str | None = None, lang: str = "en",
                            ax: Axes | None = None) -> Figure:
    """Observed digit shares (dots) with the null's 95% band and the textbook law.

    The band (shaded) is the 2.5–97.5% range of each cell's share under the null; for a
    simulation null the dashed line is the honest expectation (the mean of the redraws).
    The y axis is scaled to the data but spans at least half the mean expected share
    (:data:`MIN_SPAN`; 7.5% to 12.5% for last digits), so that a deviation of a fraction of a
    point, well inside the band, does not look like a large one.
    Artists carry labels (``observed``, ``textbook law``, ``null 95% band``, ``honest
    expectation``; in ``lang``) so that tests and legends can find them. ``column`` names the
    counts in the title (default: the result's column ids); ``title`` replaces the title.
    """
    fig, ax = figure_and_axes(ax)
    table = result.table
    x = np.arange(len(table))
    ax.fill_between(x, table["null_low"].to_numpy(float), table["null_high"].to_numpy(float),
                    step="mid", color="#DD8452", alpha=0.3, linewidth=0,
                    label=label("digits.band", lang))
    ax.plot(x, table["reference_share"].to_numpy(float), color="black", marker="o",
            markersize=2.5, linewidth=0.8, label=label("digits.textbook", lang))
    if result.null_distribution is not None:
        ax.plot(x, table["expected_share"].to_numpy(float), color="#C44E52", linestyle="--",
                linewidth=1, drawstyle="steps-mid", label=label("digits.honest", lang))
    many = len(table) > 20
    ax.plot(x, table["observed_share"].to_numpy(float), linestyle="none", marker="D",
            markersize=2.5 if many else 4.5, color="#1f4e79", zorder=3,
            label=label("digits.observed", lang))
    ticks = x[::10] if many else x
    cells = [str(table["cell"].iloc[i]) for i in ticks]
    cells = [label(f"digits.cell.{c}", lang) if c in PAIR_KINDS else c for c in cells]
    ax.set_xticks(ticks, cells)
    kind = _kind(result)
    ax.set_xlabel(label(f"digits.axis.{kind}", lang))
    ax.set_ylabel(label("digits.ylabel", lang))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: number(100 * v, "pct1", lang)))
    _floor_span(ax, table)
    if title is None:
        title = label("digits.title", lang, what=label(f"digits.what.{kind}", lang),
                      column=column or counts_label(result), n=number(result.n, "int", lang),
                      p=number(result.pvalue, "p", lang))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2),
              ncol=4)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


#: The y axis of a digit distribution spans at least this fraction of the mean expected share.
MIN_SPAN = 0.5


def _floor_span(ax: Axes, table: pd.DataFrame) -> None:
    """Widen the y axis to :data:`MIN_SPAN` of the mean expected share, centred on it."""
    center = float(np.nanmean(table["reference_share"].to_numpy(float)))
    lo, hi = ax.get_ylim()
    if not np.isfinite(center) or center <= 0 or hi - lo >= MIN_SPAN * center:
        return
    half = MIN_SPAN * center / 2
    ax.set_ylim(max(0.0, min(lo, center - half)), max(hi, center + half))


def plot_null_distribution(result: DigitTestResult, *, lang: str = "en",
                           ax: Axes | None = None) -> Figure:
    """Histogram of the statistic on honest redraws with the observed value marked."""
    fig, ax = figure_and_axes(ax)
    null = result.null_distribution
    if null is None:
        raise ValueError(f"{result.test} has no simulated null distribution "
                         f"(null = {result.null})")
    finite = null[np.isfinite(null)]
    ax.hist(finite, bins=min(50, max(10, finite.size // 20)), color="#DD8452", alpha=0.6,
            label=label("digits.honest_redraws", lang))
    if result.statistic is not None:
        ax.axvline(result.statistic, color="#C44E52", linewidth=2,
                   label=label("digits.observed", lang))
    stat = result.statistic_name
    ax.set_xlabel(label(f"digits.statistic.{stat}", lang)
                  if stat in ("pearson_chi2", "mean_digit", "share") else stat)
    ax.set_ylabel(label("digits.redraws", lang))
    ax.set_title(label("digits.null_title", lang,
                       what=label(f"digits.what.{_kind(result)}", lang),
                       n=number(result.n_resamples, "int", lang)), fontsize=9)
    legend_outside(ax)
    return fig


plot_first_digit = plot_digit_distribution
plot_second_digit = plot_digit_distribution
plot_first_two_digits = plot_digit_distribution
plot_last_digit = plot_digit_distribution
plot_digit_pairs = plot_digit_distribution

__all__ = ["plot_digit_distribution", "plot_digit_pairs", "plot_first_digit",
           "plot_first_two_digits", "plot_last_digit", "plot_null_distribution",
           "plot_second_digit"]
