"""Figures of a calibration (:class:`audit.simulate.calibrate.Calibration`).

* :func:`plot_false_positives` – each check's false-positive rate on clean simulated elections
  with its 95% interval, against the nominal level;
* :func:`plot_power` – power per manipulation and intensity, as a heat map;
* :func:`plot_calibration` – both, side by side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from audit.figures import PlainTextFigure, figure_and_axes

if TYPE_CHECKING:
    from audit.simulate.calibrate import Calibration


def plot_false_positives(cal: Calibration, *, ax: Axes | None = None) -> Figure:
    """False-positive rate per check (dot) with its 95% Clopper–Pearson interval (bar)."""
    table = cal.false_positive_rates()
    fig, ax = figure_and_axes(ax, figsize=(6.4, 0.9 + 0.3 * max(len(table), 1)))
    y = np.arange(len(table))[::-1]
    rate = table["rate"].to_numpy(float)
    low = table["ci_low"].to_numpy(float)
    high = table["ci_high"].to_numpy(float)
    colours = np.where(table["verdict"] == "anti-conservative", "#b2182b",
                       np.where(table["verdict"] == "conservative", "#2166ac", "#333333"))
    ax.axvline(cal.alpha, color="#888888", linestyle="--", linewidth=1)
    for yi, r, lo, hi, c, calibrated in zip(y, rate, low, high, colours,
                                            table["calibrated"], strict=True):
        if not np.isfinite(r):
            continue
        ax.plot([lo, hi], [yi, yi], color=c, linewidth=2)
        ax.plot([r], [yi], marker="o" if calibrated else "s", color=c,
                markerfacecolor=c if calibrated else "white")
    ax.set_yticks(y, [str(c) for c in table["check"]])
    finite = high[np.isfinite(high)]
    ax.set_xlim(0, max(0.15, float(finite.max()) * 1.1 if finite.size else 0.15))
    ax.set_xlabel(f"false-positive rate at alpha = {cal.alpha:g} ({cal.n_sims} clean elections)")
    ax.set_title("Clean simulated elections", loc="left", fontsize="medium")
    return fig


def plot_power(cal: Calibration, *, ax: Axes | None = None) -> Figure:
    """Power (share of manipulated elections flagged) per check, manipulation and intensity."""
    power = cal.power()
    checks = list(dict.fromkeys(cal.false_positive_rates()["check"]))
    columns = list(dict.fromkeys(zip(power["scenario"], power["intensity"], strict=True)))
    fig, ax = figure_and_axes(ax, figsize=(1.5 + 0.28 * max(len(columns), 1),
                                           0.9 + 0.3 * max(len(checks), 1)))
    grid = np.full((len(checks), len(columns)), np.nan)
    index = {c: i for i, c in enumerate(checks)}
    col_index = {c: j for j, c in enumerate(columns)}
    for _, r in power.iterrows():
        grid[index[r["check"]], col_index[(r["scenario"], r["intensity"])]] = r["rate"]
    image = ax.imshow(np.ma.masked_invalid(grid), vmin=0, vmax=1, cmap="viridis",
                      aspect="auto", interpolation="nearest")
    ax.set_yticks(np.arange(len(checks)), checks)
    ax.set_xticks(np.arange(len(columns)), [f"{s} {x:g}" for s, x in columns], rotation=90,
                  fontsize="small")
    ax.set_title(f"Power at alpha = {cal.alpha:g} ({cal.n_power} elections each)", loc="left",
                 fontsize="medium")
    fig.colorbar(image, ax=ax, label="share flagged", shrink=0.8)
    return fig


def plot_calibration(cal: Calibration) -> Figure:
    """False-positive rates and, when manipulations were run, power, side by side."""
    n_checks = len(cal.false_positive_rates())
    n_cols = len(cal.power().groupby(["scenario", "intensity"])) if cal.scenarios else 0
    height = 1.6 + 0.3 * max(n_checks, 1)
    if not n_cols:
        fig = PlainTextFigure(figsize=(6.4, height), layout="constrained")
        plot_false_positives(cal, ax=fig.add_subplot())
        return fig
    width = 6.0 + 2.0 + 0.28 * n_cols
    fig = PlainTextFigure(figsize=(width, height + 1.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[6.0, 2.0 + 0.28 * n_cols])
    plot_false_positives(cal, ax=left)
    plot_power(cal, ax=right)
    right.set_yticklabels([])
    return fig
