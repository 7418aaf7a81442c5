"""Figures for election fingerprints: draw results, never compute statistics.

Words are in ``lang`` (``figures.fingerprints.*`` messages); numbers are formatted for it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullFormatter

from audit.checks.fingerprints import CornerResult, FingerprintResult, KlimekFitResult
from audit.figures import figure_and_axes, label, legend_outside, number

__all__ = ["plot_corner", "plot_cumulative", "plot_fingerprint", "plot_klimek"]


def plot_fingerprint(result: FingerprintResult, *, candidate: str | None = None,
                     lang: str = "en", ax: Axes | None = None) -> Figure:
    """Heatmap of stations by turnout (x) and the candidate's share (y), log colour scale.

    ``candidate`` is the name shown (default: the result's candidate key).
    """
    fig, ax = figure_and_axes(ax, figsize=(4.8, 4.2))
    who = candidate or result.candidate
    hist = result.histogram.astype(float)
    masked = np.ma.masked_where(hist.T == 0, hist.T)
    mesh = ax.pcolormesh(100 * result.edges, 100 * result.edges, masked, cmap="viridis",
                         norm=LogNorm(vmin=1, vmax=max(float(hist.max()), 1.0)),
                         rasterized=True)  # 10,000 cells: an image inside the vector figure
    bar = fig.colorbar(mesh, ax=ax, label=label("fingerprints.stations", lang))
    # counts as plain numbers of the language (a log axis would write mathtext "10^{1}",
    # which a figure drawing its text as written shows raw)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: number(v, "int", lang)))
    bar.ax.yaxis.set_minor_formatter(NullFormatter())
    corner = float(result.params.get("corner", 0.95))
    ax.add_patch(Rectangle((100 * corner, 100 * corner), 100 - 100 * corner,
                           100 - 100 * corner, fill=False, edgecolor="#c0504d", lw=1.0,
                           label=label("fingerprints.corner", lang,
                                       corner=number(100 * corner, "pct1", lang))))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(label("fingerprints.turnout_pct", lang))
    ax.set_ylabel(label("fingerprints.share_pct", lang, candidate=who))
    ax.set_title(label("fingerprints.title", lang, n=number(result.n, "int", lang),
                       corner=number(100 * (result.statistic or 0), "pct", lang)),
                 fontsize=9)
    legend_outside(ax)
    return fig


def plot_cumulative(result: FingerprintResult, *, candidate: str | None = None,
                    lang: str = "en", ax: Axes | None = None) -> Figure:
    """Cumulative votes of the candidate against turnout (Klimek et al. 2012 [klimek2012],
    Fig. 6)."""
    fig, ax = figure_and_axes(ax)
    cum = result.cumulative
    ax.plot(100 * cum["turnout"], 100 * cum["fraction"], color="#1f4e79")
    ax.set_xlabel(label("fingerprints.cumulative_x", lang))
    ax.set_ylabel(label("fingerprints.cumulative_y", lang,
                        candidate=candidate or result.candidate))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_title(label("fingerprints.cumulative_title", lang), fontsize=9)
    return fig


def plot_klimek(result: KlimekFitResult, *, lang: str = "en", ax: Axes | None = None
                ) -> Figure:
    """Bootstrap refits of (f_i, f_e) with the estimate marked."""
    fig, ax = figure_and_axes(ax)
    boot = result.bootstrap
    if len(boot):
        ax.scatter(boot["f_i"], boot["f_e"], s=10, color="#9bbbd9",
                   label=label("fingerprints.refits", lang))
    ax.scatter([result.f_i], [result.f_e], s=40, color="#c0504d", zorder=3,
               label=label("fingerprints.fit", lang))
    ax.set_xlabel(label("fingerprints.f_i", lang))
    ax.set_ylabel(label("fingerprints.f_e", lang))
    ax.set_title(label("fingerprints.klimek_title", lang, f_i=number(result.f_i, "f3", lang),
                       f_e=number(result.f_e, "f4", lang),
                       alpha=number(result.alpha, "f2", lang)), fontsize=9)
    legend_outside(ax)
    return fig


def plot_corner(result: CornerResult, *, candidate: str | None = None, lang: str = "en",
                ax: Axes | None = None) -> Figure:
    """The corner test: ``U - L`` of the random reflections (the null, kept by the test)
    against the observed value (Klimek et al. 2012 [klimek2012]; Canay, Romano & Shaikh
    2017 [canay2017])."""
    fig, ax = figure_and_axes(ax)
    who = candidate or result.candidate
    null = np.asarray(result.null_distribution, dtype=float)
    observed = float(result.statistic or 0.0)
    if null.size:
        # whole-number bins of an even width: U - L of one reflection moves in steps of 2
        step = 2 * max(1, int(np.ceil((null.max() - null.min() + 1) / 60)))
        edges = np.arange(np.floor(null.min()) - step / 2, null.max() + step, step)
        ax.hist(null, bins=edges.tolist(), color="#9bbbd9",
                label=label("fingerprints.reflections", lang,
                            n=number(null.size, "int", lang)))
    ax.axvline(observed, color="#c0504d", lw=1.5,
               label=label("fingerprints.corner_observed", lang,
                           upper=number(result.upper, "int", lang),
                           lower=number(result.lower, "int", lang)))
    ax.set_xlabel(label("fingerprints.corner_x", lang, candidate=who))
    ax.set_ylabel(label("fingerprints.reflections_y", lang))
    ax.set_title(label("fingerprints.corner_title", lang, candidate=who,
                       t=number(observed, "signed", lang), z=number(result.z, "f1", lang),
                       p=number(result.pvalue, "p", lang)), fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    legend_outside(ax)
    return fig
