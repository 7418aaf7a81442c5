"""Figures of digit tests: observed digit shares, the textbook law, and the honest band.

Each function draws a :class:`~audit.checks.digits.DigitTestResult` (it computes nothing):
bars for the observed share of each digit or category, a line with markers for the textbook
law (Benford, uniform ...), and a shaded band for the null's 2.5–97.5% range per cell — the
quantiles of honest redraws for a simulation null, the normal approximation for a textbook
null.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from audit.checks.digits import DigitTestResult
from audit.figures import figure_and_axes

_XLABEL = {"first": "first digit", "second": "second digit", "first_two": "first two digits",
           "last": "last digit", "pairs": "last two digits", "percent":
           "last digit of the rounded percentage"}


def plot_digit_distribution(result: DigitTestResult, *, ax: Axes | None = None) -> Figure:
    """Bars of observed digit shares with the textbook law and the null band.

    Artists carry labels (``observed``, ``textbook law``, ``null 95% band`` and, for a
    simulation null, ``honest expectation``: the mean of the honest redraws) so that tests
    and legends can find them.
    """
    fig, ax = figure_and_axes(ax)
    table = result.table
    x = np.arange(len(table))
    ax.bar(x, table["observed_share"].to_numpy(float), color="#4C72B0", alpha=0.8,
           label="observed", width=0.8)
    ax.fill_between(x, table["null_low"].to_numpy(float), table["null_high"].to_numpy(float),
                    step="mid", color="#DD8452", alpha=0.3, label="null 95% band")
    ax.plot(x, table["reference_share"].to_numpy(float), color="black", marker="o",
            markersize=3, linewidth=1, label="textbook law")
    if result.null_distribution is not None:
        ax.plot(x, table["expected_share"].to_numpy(float), color="#C44E52", linestyle="--",
                linewidth=1, label="honest expectation")
    many = len(table) > 20
    ticks = x[::10] if many else x
    ax.set_xticks(ticks, [table["cell"].iloc[i] for i in ticks])
    ax.set_xlabel(_XLABEL.get(result.digits, "digit"))
    ax.set_ylabel("share of counts")
    p = result.pvalue
    ptext = "—" if p is None else (f"{p:.3f}" if p >= 0.001 else f"{p:.1e}")
    ax.set_title(f"{result.test} ({', '.join(result.column)}), n = {result.n:,}, "
                 f"p = {ptext}", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    return fig


def plot_null_distribution(result: DigitTestResult, *, ax: Axes | None = None) -> Figure:
    """Histogram of the statistic on honest redraws with the observed value marked."""
    fig, ax = figure_and_axes(ax)
    null = result.null_distribution
    if null is None:
        raise ValueError(f"{result.test} has no simulated null distribution "
                         f"(null = {result.null})")
    finite = null[np.isfinite(null)]
    ax.hist(finite, bins=min(50, max(10, finite.size // 20)), color="#DD8452", alpha=0.6,
            label="honest redraws")
    if result.statistic is not None:
        ax.axvline(result.statistic, color="#C44E52", linewidth=2, label="observed")
    ax.set_xlabel(result.statistic_name.replace("_", " "))
    ax.set_ylabel("redraws")
    ax.set_title(f"{result.test}: null distribution ({result.n_resamples} redraws)",
                 fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    return fig


plot_first_digit = plot_digit_distribution
plot_second_digit = plot_digit_distribution
plot_first_two_digits = plot_digit_distribution
plot_last_digit = plot_digit_distribution
plot_digit_pairs = plot_digit_distribution

__all__ = ["plot_digit_distribution", "plot_digit_pairs", "plot_first_digit",
           "plot_first_two_digits", "plot_last_digit", "plot_null_distribution",
           "plot_second_digit"]
