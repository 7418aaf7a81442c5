"""Figures for the turnout family: draw results, never compute statistics."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from audit.checks.turnout import IntegerPercentResult, ShpilkinResult, SpikeResult
from audit.figures import figure_and_axes

__all__ = ["plot_integer_percentages", "plot_shpilkin", "plot_spike"]


def plot_spike(result: SpikeResult, *, ax: Axes | None = None) -> Figure:
    """Observed stations at 100% per region against the beta-binomial expectation."""
    fig, ax = figure_and_axes(ax)
    table = result.table.sort_values("observed", ascending=False).head(25)
    pos = np.arange(len(table))
    ax.bar(pos, table["observed"], color="#c0504d", label="observed at 100%")
    ax.scatter(pos, table["expected"], color="black", marker="_", s=200, zorder=3,
               label="expected (beta-binomial)")
    ax.set_xticks(pos, table["region"].astype(str), rotation=90, fontsize=6)
    ax.set_ylabel("stations")
    ax.set_title(f"Stations at exactly 100% {result.quantity}: {result.observed:,} observed, "
                 f"{result.expected:,.1f} expected", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return fig


def plot_integer_percentages(result: IntegerPercentResult, *, quantity: str = "result",
                             ax: Axes | None = None) -> Figure:
    """Stations at each integer percent, observed (dots) against the null's 95% band."""
    fig, ax = figure_and_axes(ax)
    frame = result.by_percent[result.by_percent["quantity"] == quantity]
    ax.fill_between(frame["percent"], frame["null_lo"], frame["null_hi"], step="mid",
                    color="#9bbbd9", alpha=0.7, label="binomial null, 95% band")
    ax.plot(frame["percent"], frame["null_mean"], color="#1f4e79", lw=0.8,
            label="null mean")
    ax.scatter(frame["percent"], frame["observed"], s=8, color="#c0504d", zorder=3,
               label="observed")
    row = result.table.set_index("variant").loc["either"]
    ax.set_xlabel(f"{'leader result' if quantity == 'result' else 'turnout'} (integer %)")
    ax.set_ylabel("stations within ±0.05 points")
    ax.set_title(f"Integer percentages: excess {row['excess']:+,.0f} stations "
                 f"(z = {row['z']:.1f})", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return fig


def plot_shpilkin(result: ShpilkinResult, *, ax: Axes | None = None) -> Figure:
    """Votes by turnout bin for the candidate and the others, with the clean peak marked."""
    fig, ax = figure_and_axes(ax)
    bins = result.table
    width = float(bins["turnout"].diff().dropna().iloc[0]) if len(bins) > 1 else 0.01
    ax.bar(100 * bins["turnout"], bins["votes"], width=100 * width, color="#c0504d",
           alpha=0.8, label=f"{result.params.get('candidate', 'candidate')}")
    ax.bar(100 * bins["turnout"], bins["other"], width=100 * width, color="#1f4e79",
           alpha=0.5, label="others")
    ax.axvline(100 * result.peak_turnout, color="black", ls="--", lw=0.8, label="clean peak")
    ax.set_xlabel("turnout (%)")
    ax.set_ylabel("votes")
    ax.set_title(f"Shpilkin-style estimate: {result.effect:+,.0f} votes above the peak",
                 fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return fig
