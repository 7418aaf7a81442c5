"""Figures of a cross-source comparison (:mod:`audit.checks.crosscheck`).

Each function draws a :class:`~audit.checks.crosscheck.CrosscheckResult` or
:class:`~audit.checks.crosscheck.LowerBoundResult`; nothing is computed here beyond picking
what to draw. Axis labels come from the message catalogue (``crosscheck.figure.*``) in the
language asked for.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from audit.checks.crosscheck import CrosscheckResult, LowerBoundResult
from audit.figures import figure_and_axes, legend_outside
from audit.messages import render
from audit.model import vote_column

AGREE = "#9a9a9a"
DIFFER = "#D55E00"
BAR = "#0072B2"
#: Above this many points the scatter is rasterised (vector output stays small).
RASTER_ABOVE = 5_000


def _default_candidate(result: CrosscheckResult | LowerBoundResult) -> str:
    """The candidate with the most differing (or violating) tables; the first on ties."""
    if isinstance(result, LowerBoundResult):
        counts = dict(zip(result.table["candidate"], result.table["tables_violating"],
                          strict=True))
    else:
        votes = result.table.loc[result.table["candidate"] != ""]
        counts = dict(zip(votes["candidate"], votes["tables_differing"], strict=True))
    best = max(result.candidates, key=lambda k: (counts.get(k, 0), -result.candidates.index(k)))
    return best


def plot_crosscheck_scatter(result: CrosscheckResult | LowerBoundResult, *,
                            candidate: str | None = None, lang: str = "en",
                            ax: Axes | None = None) -> Figure:
    """Votes of one candidate per table, source A (x) against source B (y).

    Tables where the two differ (for a lower-bound check: where the official count is below
    the bound) are drawn in colour over the agreeing ones, with the diagonal ``y = x``.
    ``candidate`` defaults to the one with the most differing tables.
    """
    key = candidate or _default_candidate(result)
    if key not in result.candidates:
        raise ValueError(f"candidate {key!r} was not compared; compared: "
                         f"{', '.join(result.candidates)}")
    col = vote_column(key)
    if isinstance(result, LowerBoundResult):
        x = result.pairs[f"{col}_official"].to_numpy(np.float64)
        y = result.pairs[f"{col}_bound"].to_numpy(np.float64)
        flagged = y > x
        xlabel, ylabel = result.label_official, result.label_bound
        flag_text = render("crosscheck.figure.below_bound", {}, lang)
        ok_text = render("crosscheck.figure.consistent", {}, lang)
    else:
        x = result.pairs[f"{col}_a"].to_numpy(np.float64)
        y = result.pairs[f"{col}_b"].to_numpy(np.float64)
        flagged = x != y
        xlabel, ylabel = result.label_a, result.label_b
        flag_text = render("crosscheck.figure.differ", {}, lang)
        ok_text = render("crosscheck.figure.agree", {}, lang)
    fig, ax = figure_and_axes(ax, figsize=(4.8, 4.6))
    raster = len(x) > RASTER_ABOVE
    ax.scatter(x[~flagged], y[~flagged], s=4, color=AGREE, alpha=0.5, linewidths=0,
               rasterized=raster, label=f"{ok_text} ({int((~flagged).sum()):,})")
    ax.scatter(x[flagged], y[flagged], s=14, color=DIFFER, linewidths=0, zorder=3,
               label=f"{flag_text} ({int(flagged.sum()):,})")
    top = float(max(np.max(x, initial=0), np.max(y, initial=0), 1.0))
    ax.plot([0, top], [0, top], color="#444444", linewidth=0.8, zorder=2)
    ax.set_xlim(0, top * 1.03)
    ax.set_ylim(0, top * 1.03)
    ax.set_aspect("equal")
    ax.set_xlabel(render("crosscheck.figure.votes_in", {"source": xlabel}, lang))
    ax.set_ylabel(render("crosscheck.figure.votes_in", {"source": ylabel}, lang))
    name = result.candidate_labels.get(key, key)
    ax.set_title(render("crosscheck.figure.scatter_title", {"candidate": name}, lang),
                 fontsize=10)
    legend_outside(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_crosscheck_histogram(result: CrosscheckResult | LowerBoundResult, *,
                              lang: str = "en", ax: Axes | None = None) -> Figure:
    """Histogram of the candidate-vote differences ``b - a`` where they are not zero (for a
    lower-bound check: of the shortfalls ``bound - official``), counts on a log scale."""
    if isinstance(result, LowerBoundResult):
        values = result.violations["shortfall"].to_numpy(np.int64)
        xlabel = render("crosscheck.figure.shortfall", {"official": result.label_official,
                                                        "bound": result.label_bound}, lang)
    else:
        votes = result.discrepancies.loc[result.discrepancies["candidate"] != ""]
        values = votes["difference"].to_numpy(np.int64)
        xlabel = render("crosscheck.figure.difference", {"a": result.label_a,
                                                         "b": result.label_b}, lang)
    fig, ax = figure_and_axes(ax)
    if len(values):
        lo, hi = int(values.min()), int(values.max())
        width = max(1, int(np.ceil((hi - lo + 1) / 60)))
        bins = (np.arange(lo, hi + width + 1, width) - 0.5).tolist()
        ax.hist(values, bins=bins, color=DIFFER, log=True)
    else:
        ax.text(0.5, 0.5, render("crosscheck.figure.nothing", {}, lang), ha="center",
                va="center", transform=ax.transAxes)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(render("crosscheck.figure.count", {}, lang))
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_crosscheck_regions(result: CrosscheckResult | LowerBoundResult, *, top: int = 30,
                            names: Mapping[str, str] | None = None,
                            level_label: str | None = None, lang: str = "en",
                            ax: Axes | None = None) -> Figure:
    """Per region: tables in both sources (light bar) and tables that differ (or violate the
    bound) in colour; the ``top`` regions with the most such tables, top first.

    ``names`` maps region codes to the names shown (default: the names in the sources);
    ``level_label`` is the region level in ``lang`` (default: the level's id).
    """
    regions = result.regions
    if isinstance(result, LowerBoundResult):
        flagged_col = "violating"
        flagged_text = render("crosscheck.figure.below_bound", {}, lang)
    else:
        flagged_col = "differ"
        flagged_text = render("crosscheck.figure.differ", {}, lang)
    shown = regions.loc[regions["matched"] > 0]
    shown = shown.sort_values([flagged_col, "matched"], ascending=False, kind="stable").head(top)
    n = len(shown)
    fig, ax = figure_and_axes(ax, figsize=(6.4, max(1.8, 0.26 * n + 1.0)))
    y = np.arange(n)[::-1]
    shown_names = [(names or {}).get(str(code)) or (
        str(name) if isinstance(name, str) and name else str(code))
        for code, name in zip(shown["region_code"], shown["region_name"], strict=True)]
    ax.barh(y, shown["matched"], color="#dddddd", height=0.75,
            label=render("crosscheck.figure.matched", {}, lang))
    ax.barh(y, shown[flagged_col], color=DIFFER, height=0.75, label=flagged_text)
    ax.set_yticks(y, shown_names, fontsize=8)
    ax.set_xlabel(render("crosscheck.figure.tables", {}, lang))
    if result.level:
        ax.set_title(render("crosscheck.figure.by_level",
                            {"level": level_label or result.level}, lang), fontsize=10)
    legend_outside(ax)
    ax.spines[["top", "right"]].set_visible(False)
    return fig
