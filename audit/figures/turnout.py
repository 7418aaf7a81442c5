"""Figures for the turnout family: draw results (and station values), never compute tests.

Words are in ``lang`` (``figures.turnout.*`` messages); numbers are formatted for it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from audit.checks.turnout import IntegerPercentResult, ShpilkinResult, SpikeResult
from audit.figures import PlainTextFigure, figure_and_axes, label, legend_outside, number

__all__ = ["plot_integer_percentages", "plot_shpilkin", "plot_spike", "plot_station_histograms"]

BAR = "#1f4e79"
SPIKE = "#c0504d"
#: Widths of the histogram bins of :func:`plot_station_histograms` (percentage points) by
#: the fewest stations that fill them: 0.1 points shows spikes at whole percentages when
#: there are tens of thousands of stations, coarser bins keep small elections readable.
BIN_POINTS: tuple[tuple[int, float], ...] = ((20_000, 0.1), (5_000, 0.5), (0, 1.0))


def bin_points(n: int) -> float:
    """Histogram bin width (points) for ``n`` stations."""
    return next(width for least, width in BIN_POINTS if n >= least)


def plot_spike(result: SpikeResult, *, lang: str = "en", ax: Axes | None = None) -> Figure:
    """Observed stations at 100% per region against the beta-binomial expectation."""
    fig, ax = figure_and_axes(ax)
    table = result.table.sort_values("observed", ascending=False).head(25)
    pos = np.arange(len(table))
    ax.bar(pos, table["observed"], color=SPIKE, label=label("turnout.observed_100", lang))
    ax.scatter(pos, table["expected"], color="black", marker="_", s=200, zorder=3,
               label=label("turnout.expected_100", lang))
    ax.set_xticks(pos, table["region"].astype(str), rotation=90, fontsize=6)
    ax.set_ylabel(label("turnout.stations", lang))
    ax.set_title(label("turnout.spike_title", lang,
                       quantity=label(f"turnout.quantity_{result.quantity}", lang),
                       observed=number(result.observed, "int", lang),
                       expected=number(result.expected, "f1", lang)), fontsize=9)
    legend_outside(ax)
    return fig


def plot_integer_percentages(result: IntegerPercentResult, *, quantity: str = "result",
                             candidate: str | None = None, lang: str = "en",
                             ax: Axes | None = None) -> Figure:
    """Stations at each integer percent, observed (dots) against the null's 95% band."""
    fig, ax = figure_and_axes(ax)
    frame = result.by_percent[result.by_percent["quantity"] == quantity]
    ax.fill_between(frame["percent"], frame["null_lo"], frame["null_hi"], step="mid",
                    color="#9bbbd9", alpha=0.7, label=label("turnout.band", lang))
    ax.plot(frame["percent"], frame["null_mean"], color=BAR, lw=0.8,
            label=label("turnout.null_mean", lang))
    ax.scatter(frame["percent"], frame["observed"], s=8, color=SPIKE, zorder=3,
               label=label("turnout.observed", lang))
    row = result.table.set_index("variant").loc["either"].to_dict()
    who = candidate or str(result.params.get("candidate", ""))
    ax.set_xlabel(label("turnout.integer_xlabel_result", lang, candidate=who)
                  if quantity == "result" else label("turnout.integer_xlabel_turnout", lang))
    ax.set_ylabel(label("turnout.integer_ylabel", lang))
    ax.set_title(label("turnout.integer_title", lang,
                       excess=number(row["excess"], "signed", lang),
                       z=number(row["z"], "f1", lang)), fontsize=9)
    legend_outside(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_shpilkin(result: ShpilkinResult, *, candidate: str | None = None, lang: str = "en",
                  ax: Axes | None = None) -> Figure:
    """Votes by turnout bin for the candidate and the others, with the clean peak marked."""
    fig, ax = figure_and_axes(ax)
    bins = result.table
    width = float(bins["turnout"].diff().dropna().iloc[0]) if len(bins) > 1 else 0.01
    ax.bar(100 * bins["turnout"], bins["votes"], width=100 * width, color=SPIKE,
           alpha=0.8, label=candidate or str(result.params.get("candidate", "")))
    ax.bar(100 * bins["turnout"], bins["other"], width=100 * width, color=BAR,
           alpha=0.5, label=label("turnout.others", lang))
    ax.axvline(100 * result.peak_turnout, color="black", ls="--", lw=0.8,
               label=label("turnout.clean_peak", lang))
    ax.set_xlabel(label("turnout.turnout_pct", lang))
    ax.set_ylabel(label("turnout.votes", lang))
    ax.set_title(label("turnout.shpilkin_title", lang,
                       votes=number(result.effect, "signed", lang)), fontsize=9)
    legend_outside(ax)
    return fig


def _histogram(ax: Axes, values: np.ndarray, spikes: np.ndarray, at_100: int | None,
               lang: str) -> None:
    """Stations per bin, whole percentages in ``spikes`` marked above the bars."""
    pct = 100 * values[np.isfinite(values) & (values >= 0) & (values <= 1)]
    width = bin_points(pct.size)
    edges = np.arange(0, 100 + 2 * width, width) - width / 2
    counts, _ = np.histogram(pct, bins=edges)
    ax.stairs(counts, edges, fill=True, color=BAR, linewidth=0)
    # a spike at 100% (closed institutions, or stuffing) can dwarf the rest: the axis then
    # follows the other bins, the spike is cut at the top and its count written beside it
    body = counts[edges[:-1] < 99.5]
    top = float(max(body.max() if body.size else 0, 1))
    if counts.max() <= 1.5 * top:
        top = float(max(counts.max(), 1))
    if spikes.size:
        ax.scatter(spikes, np.full(spikes.size, top * 1.04), marker="v", s=14, color=SPIKE,
                   zorder=3, label=label("turnout.integer_spike", lang))
    if at_100:  # near the top right corner, a line to the last bin: above the bars there
        ax.annotate(label("turnout.at_100", lang, n=number(at_100, "int", lang)),
                    xy=(100, min(top, float(counts[-1]))), xytext=(0.97, 0.8),
                    textcoords="axes fraction", ha="right", va="top", fontsize=7,
                    color=SPIKE, arrowprops={"arrowstyle": "-", "color": SPIKE, "lw": 0.6})
    ax.set_xlim(0, 101)
    ax.set_ylim(0, top * 1.12)
    ax.set_ylabel(label("turnout.stations_per_bin", lang,
                        width=number(width, "f1", lang)), fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def _spikes(result: IntegerPercentResult | None, quantity: str) -> np.ndarray:
    """Whole percentages where the observed stations exceed the null's 95% band."""
    if result is None or result.by_percent.empty:
        return np.zeros(0)
    frame = result.by_percent[result.by_percent["quantity"] == quantity]
    above = frame["observed"].to_numpy(float) > frame["null_hi"].to_numpy(float)
    return frame["percent"].to_numpy(float)[above]


def plot_station_histograms(turnout: np.ndarray | None, share: np.ndarray, *, candidate: str,
                            integer: IntegerPercentResult | None = None,
                            spike_turnout: SpikeResult | None = None,
                            spike_share: SpikeResult | None = None, lang: str = "en"
                            ) -> Figure:
    """Histograms of station turnout and of a candidate's share (fractions of one), in bins
    of 0.1 percentage points (coarser for small elections, see :func:`bin_points`), with the
    spikes marked.

    Triangles mark the whole percentages whose stations exceed the 95% band of the
    integer-percentage null (``integer``, Kobak et al. 2016 [kobak2016]); the number of stations at
    exactly 100% (``spike_*``) is written beside the last bin. The histograms draw the
    values given; the marks come from the results.
    """
    panels = [("turnout", turnout)] if turnout is not None and np.isfinite(turnout).any() \
        else []
    panels.append(("share", share))
    fig = PlainTextFigure(figsize=(6.4, 2.3 * len(panels) + 0.3), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (quantity, values) in zip(axes, panels, strict=True):
        spike = spike_turnout if quantity == "turnout" else spike_share
        _histogram(ax, values, _spikes(integer, "turnout" if quantity == "turnout"
                                       else "result"),
                   spike.observed if spike is not None else None, lang)
        n = int(np.isfinite(values).sum())
        if quantity == "turnout":
            ax.set_xlabel(label("turnout.turnout_pct", lang), fontsize=8)
            ax.set_title(label("turnout.histogram_title", lang, n=number(n, "int", lang)),
                         fontsize=9)
        else:
            ax.set_xlabel(label("turnout.share_pct", lang, candidate=candidate), fontsize=8)
            ax.set_title(label("turnout.share_title", lang, candidate=candidate,
                               n=number(n, "int", lang)), fontsize=9)
    marks = [h for ax in axes for h in ax.get_legend_handles_labels()[0]]
    if marks:  # one legend for both panels, under the figure, never over the bars
        fig.legend(marks[:1], [label("turnout.integer_spike", lang)],
                   loc="outside lower center", fontsize=7, frameon=False)
    return fig
