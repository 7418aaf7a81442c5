"""Figures of the dispute tracker: they draw results of :mod:`audit.checks.claims`.

* :func:`plot_claims_timeline` – each claim's share for the leading candidates over time;
* :func:`plot_official_vs_sheets` – a claim's votes against the sheets' votes, by region;
* :func:`plot_uncovered_need` – what the tables without sheets would need, against the
  distribution of the tables (or regions) held;
* :func:`plot_compatibility` – the matrix of which claims can both be true.

Each takes a result, the language ``lang`` of its words (``figures.claims.*`` messages),
optional display ``labels`` of the candidate keys and an optional ``ax``, and returns the
matplotlib Figure; none computes a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from audit.checks.claims import CompatibilityResult, SheetsResult
from audit.checks.dispute import DisputeResult
from audit.figures import figure_and_axes, label, legend_outside, number
from audit.ledger import OTHERS, Claim, ClaimLedger

_SIDE_MARKERS = {"official": "s", "court": "D", "opposition": "o", "observer": "^",
                 "media": "v", "academic": "P", "exit_poll": "X", "other": "."}
_COLOURS = ("#b2182b", "#2166ac", "#4d4d4d", "#1b7837", "#762a83", "#e08214")


def _claim_shares(claim: Claim, keys: Sequence[str]) -> dict[str, float]:
    """A claim's shares (percent) for ``keys``: from counts when complete, else as announced."""
    out: dict[str, float] = {}
    total = claim.valid if claim.valid is not None else (
        claim.counts_total() if OTHERS in claim.counts or len(claim.counts) > 2 else None)
    for k in keys:
        if k in claim.counts and total is not None and total.value > 0:
            out[k] = 100 * claim.counts[k].value / total.value
        elif k in claim.percentages and not claim.percentages[k].bound:
            out[k] = float(claim.percentages[k].value)
        elif k in claim.counts and len(claim.counts) == 2:  # two-candidate claims
            pair = sum(q.value for q in claim.counts.values())
            out[k] = 100 * claim.counts[k].value / pair if pair else float("nan")
    return out


def _name(key: str, labels: Mapping[str, str] | None) -> str:
    return labels.get(key, key) if labels else key


def _side(side: str, lang: str) -> str:
    known = ("official", "opposition", "observer", "media", "academic", "exit_poll", "court")
    return label(f"claims.side.{side if side in known else 'other'}", lang)


def _date_formatter(lang: str) -> FuncFormatter:
    """Day and abbreviated month in ``lang`` (matplotlib's own formatter is English-only)."""
    from babel.dates import format_date

    from audit.messages import _LOCALES

    def fmt(x: float, _pos: int | None = None) -> str:
        return format_date(mdates.num2date(x).date(), "d MMM", locale=_LOCALES[lang])
    return FuncFormatter(fmt)


def plot_claims_timeline(ledger: ClaimLedger | DisputeResult, *,
                         candidates: Sequence[str] | None = None,
                         labels: Mapping[str, str] | None = None, lang: str = "en",
                         title: str | None = None, ax: Axes | None = None) -> Figure:
    """Each claim's share of the leading candidates over time (marker = side).

    Takes a :class:`~audit.checks.dispute.DisputeResult` (or its ledger). The horizontal axis is
    time: a day and six weeks are as far apart as they were. Shares come from the counts
    where a claim states a total, else from its percentages; a two-candidate claim without a
    total shows the two-candidate share. Claims without figures are marked at the bottom.
    ``title`` defaults to the ledger's election id (reports pass the election's name).
    """
    fig, ax = figure_and_axes(ax, figsize=(8.0, 4.2))
    if isinstance(ledger, DisputeResult):
        ledger = ledger.ledger
    claims = ledger.timeline()
    if candidates is None:
        mentions: dict[str, int] = {}
        for c in claims:
            for k in [*c.counts, *c.percentages]:
                if k != OTHERS:
                    mentions[k] = mentions.get(k, 0) + 1
        candidates = sorted(mentions, key=lambda k: -mentions[k])[:2]
    when = np.array([mdates.date2num(c.time.sort_key) for c in claims], dtype=float)
    for i, key in enumerate(candidates):
        colour = _COLOURS[i % len(_COLOURS)]
        for c, x in zip(claims, when, strict=True):
            share = _claim_shares(c, [key]).get(key)
            if share is None or not np.isfinite(share):
                continue
            ax.plot(x, share, marker=_SIDE_MARKERS.get(c.side, "."), color=colour,
                    linestyle="none", markersize=7, alpha=0.85)
    bare = [x for c, x in zip(claims, when, strict=True) if not c.has_figures]
    if bare:
        ax.plot(bare, [2] * len(bare), marker="|", color="0.5", linestyle="none",
                markersize=10)
    day = _date_formatter(lang)
    if len(when):
        span = max(when.max() - when.min(), 1.0)
        low, high = when.min() - 0.03 * span, when.max() + 0.03 * span
        ax.set_xlim(low, high)
        locs = [v for v in mdates.AutoDateLocator(minticks=4, maxticks=8).tick_values(
            mdates.num2date(low), mdates.num2date(high)) if low <= v <= high]
        ax.set_xticks(locs, [day(v) for v in locs])  # labels in the language, now
    ax.tick_params(axis="x", labelsize=7)
    ax.set_ylabel(label("claims.share_pct", lang))
    ax.grid(axis="y", color="#eeeeee", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    handles: list[Artist] = [Patch(color=_COLOURS[i % len(_COLOURS)], label=_name(k, labels))
                             for i, k in enumerate(candidates)]
    sides = sorted({c.side for c in claims if c.has_figures})
    handles += [ax.plot([], [], marker=_SIDE_MARKERS.get(s, "."), color="0.3",
                        linestyle="none", label=_side(s, lang))[0] for s in sides]
    if bare:
        handles.append(ax.plot([], [], marker="|", color="0.5", linestyle="none",
                               markersize=10, label=label("claims.bare", lang))[0])
    # the legend sits above the plotting area, never over a marker
    ax.legend(handles=handles, fontsize=7, ncol=4, loc="lower center",
              bbox_to_anchor=(0.5, 1.02), frameon=False)
    ax.set_ylim(0, 100)
    ax.set_yticks(np.arange(0, 101, 20))
    ax.set_title(title or label("claims.timeline_title", lang, election=ledger.election_id),
                 fontsize=10, pad=34)
    return fig


def plot_official_vs_sheets(result: SheetsResult, *, keys: Sequence[str] | None = None,
                            labels: Mapping[str, str] | None = None, lang: str = "en",
                            names: Mapping[str, str] | None = None,
                            ax: Axes | None = None) -> Figure:
    """A claim's votes per category against the sheets' votes stacked by region.

    For each category, the lower bar stacks the sheets' votes region by region; the upper bar
    is the claim's figure. A stack longer than the claim is a violation if the sheets are
    genuine (and the claim covers them).
    """
    fig, ax = figure_and_axes(ax, figsize=(7.0, 3.6))
    table = result.table[~result.table["key"].isin(["valid", "null"])]
    if keys is None:
        keys = list(table.sort_values("claim", ascending=False)["key"][:3])
    regions = result.by_region
    y = 0.0
    ticks: list[float] = []
    bars: list[str] = []
    cmap = ListedColormap(["#9ecae1", "#6baed6", "#c6dbef", "#4292c6"])
    for key in keys:
        row = table[table["key"] == key]
        if row.empty:
            continue
        claim_votes = float(row["claim"].iloc[0])
        left = 0.0
        if not regions.empty and key in regions:
            for i, v in enumerate(regions[key].to_numpy(dtype=float)):
                ax.barh(y, v, left=left, color=cmap(i % cmap.N), edgecolor="white",
                        linewidth=0.3, height=0.35)
                left += v
        else:
            left = float(row["sheets"].iloc[0])
            ax.barh(y, left, color=cmap(0), height=0.35)
        ax.barh(y + 0.4, claim_votes, color="#d6604d", height=0.35)
        ticks += [y, y + 0.4]
        bars += [label("claims.sheets_bar", lang, key=_name(key, labels),
                         votes=number(left, "int", lang)),
                  label("claims.claim_bar", lang, key=_name(key, labels),
                        claim=_name(result.claim, names),
                        votes=number(claim_votes, "int", lang))]
        y += 1.2
    ax.set_yticks(ticks, bars, fontsize=7)
    top = ax.dataLim.x1
    ax.xaxis.set_major_locator(MaxNLocator(6))
    if top >= 1e6:
        ax.set_xlabel(label("claims.votes_millions", lang))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: number(v / 1e6, "f1", lang)))
    else:
        ax.set_xlabel(label("claims.votes", lang))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: number(v, "int", lang)))
    ax.set_title(_sentence(label("claims.against_title", lang,
                                 claim=_name(result.claim, names),
                                 sheets=_name(result.sheets, names))), fontsize=9, wrap=True)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _sentence(text: str) -> str:
    """A title that opens with a claim's label ("el boletín 1 del CNE") starts with a
    capital."""
    return text[:1].upper() + text[1:]


def plot_uncovered_need(result: SheetsResult, *, labels: Mapping[str, str] | None = None,
                        lang: str = "en", names: Mapping[str, str] | None = None,
                        ax: Axes | None = None) -> Figure:
    """What the tables without sheets would need, against the units held.

    Histogram of the leading candidate's votes as a share of registered voters over the
    covered tables (or regions), with the share the tables without sheets would need and the
    largest share seen.
    """
    fig, ax = figure_and_axes(ax)
    feas = result.feasibility
    dist = feas.get("distribution", {})
    hist = dist.get("histograms", {}).get("lead_share_of_registered")
    lead = _name(feas.get("lead") or "?", labels)
    unit = str(dist.get("unit", "unit"))
    units = label(f"claims.unit_{unit if unit in ('table', 'region') else 'unit'}", lang)
    if hist:
        edges = np.asarray(hist["edges"]) * 100
        counts = np.asarray(hist["counts"])
        ax.stairs(counts, edges, fill=True, color="#9ecae1",
                  label=label("claims.held", lang, unit=units[:1].upper() + units[1:],
                              n=number(dist.get("units", 0), "int", lang)))
    need = feas.get("lead_share_of_registered")
    if need is not None:
        ax.axvline(100 * need, color="#b2182b", linewidth=2,
                   label=label("claims.needed", lang, pct=number(100 * need, "pct1", lang)))
    mx = dist.get("lead_share_of_registered_max")
    if mx is not None:
        ax.axvline(100 * mx, color="0.3", linestyle="--",
                   label=label("claims.highest", lang, pct=number(100 * mx, "pct1", lang)))
    ax.set_xlim(0, 100)
    ax.set_xlabel(label("claims.lead_share", lang, candidate=lead))
    ax.set_ylabel(units)
    legend_outside(ax)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(_sentence(label("claims.uncovered_title", lang,
                                 claim=_name(result.claim, names),
                                 sheets=_name(result.sheets, names))), fontsize=9, wrap=True)
    return fig


def plot_compatibility(result: CompatibilityResult, *, labels: Sequence[str] | None = None,
                       lang: str = "en", names: Mapping[str, str] | None = None,
                       ax: Axes | None = None) -> Figure:
    """The matrix of pairs: compatible, incompatible unless a condition, not comparable.
    ``names`` maps the claim ids of ``labels`` to the names shown on the axes."""
    labels = list(labels if labels is not None else result.labels)
    shown = [_name(lab, names) for lab in labels]
    n = len(labels)
    fig, ax = figure_and_axes(ax, figsize=(min(7.2, 0.35 * n + 3.2), min(6.2, 0.35 * n + 2.0)))
    code = {"compatible": 1, "incompatible": 2, "not_comparable": 0}
    grid = np.full((n, n), np.nan)
    index = {lab: i for i, lab in enumerate(labels)}
    for row in result.table.to_dict("records"):
        a, b = str(row["a"]), str(row["b"])
        if a in index and b in index:
            v = code[str(row["verdict"])]
            grid[index[a], index[b]] = grid[index[b], index[a]] = v
    off_diagonal = ~np.eye(n, dtype=bool)
    grid[off_diagonal & np.isnan(grid)] = code["not_comparable"]
    cmap = ListedColormap(["#f0f0f0", "#a6dba0", "#d6604d"])
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=2)
    ax.set_xticks(range(n), shown, rotation=90, fontsize=6)
    ax.set_yticks(range(n), shown, fontsize=6)
    ax.legend(handles=[Patch(color="#a6dba0", label=label("claims.compatible", lang)),
                       Patch(color="#d6604d", label=label("claims.incompatible", lang)),
                       Patch(color="#f0f0f0", label=label("claims.not_comparable", lang))],
              fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3,
              frameon=False)
    ax.set_title(label("claims.compat_title", lang), fontsize=9, pad=18)
    return fig
