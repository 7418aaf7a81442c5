"""Figures for election fingerprints: draw results, never compute statistics."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from audit.checks.fingerprints import FingerprintResult, KlimekFitResult
from audit.figures import figure_and_axes

__all__ = ["plot_cumulative", "plot_fingerprint", "plot_klimek"]


def plot_fingerprint(result: FingerprintResult, *, ax: Axes | None = None) -> Figure:
    """Heatmap of stations by turnout (x) and the candidate's share (y), log colour scale."""
    fig, ax = figure_and_axes(ax, figsize=(4.8, 4.2))
    hist = result.histogram.astype(float)
    masked = np.ma.masked_where(hist.T == 0, hist.T)
    mesh = ax.pcolormesh(100 * result.edges, 100 * result.edges, masked, cmap="viridis",
                         norm=LogNorm(vmin=1, vmax=max(float(hist.max()), 1.0)))
    fig.colorbar(mesh, ax=ax, label="stations")
    corner = 100 * float(result.params.get("corner", 0.95))
    ax.add_patch(_corner_patch(corner))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("turnout (%)")
    ax.set_ylabel(f"share of {result.candidate} (%)")
    ax.set_title(f"Election fingerprint ({result.n:,} units; {100 * (result.statistic or 0):.2f}%"
                 f" in the corner)", fontsize=9)
    return fig


def _corner_patch(corner: float) -> Rectangle:
    return Rectangle((corner, corner), 100 - corner, 100 - corner, fill=False,
                     edgecolor="#c0504d", lw=1.0)


def plot_cumulative(result: FingerprintResult, *, ax: Axes | None = None) -> Figure:
    """Cumulative votes of the candidate against turnout (Klimek et al. 2012, Fig. 6)."""
    fig, ax = figure_and_axes(ax)
    cum = result.cumulative
    ax.plot(100 * cum["turnout"], 100 * cum["fraction"], color="#1f4e79")
    ax.set_xlabel("turnout up to (%)")
    ax.set_ylabel(f"cumulative votes of {result.candidate} (% of its total)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_title("Cumulative votes by turnout (Klimek et al. 2012)", fontsize=9)
    return fig


def plot_klimek(result: KlimekFitResult, *, ax: Axes | None = None) -> Figure:
    """Bootstrap refits of (f_i, f_e) with the estimate marked."""
    fig, ax = figure_and_axes(ax)
    boot = result.bootstrap
    if len(boot):
        ax.scatter(boot["f_i"], boot["f_e"], s=10, color="#9bbbd9", label="bootstrap refits")
    ax.scatter([result.f_i], [result.f_e], s=40, color="#c0504d", zorder=3, label="fit")
    ax.set_xlabel("incremental stuffing f_i (fraction of units)")
    ax.set_ylabel("extreme stuffing f_e (fraction of units)")
    ax.set_title(f"Klimek model: f_i = {result.f_i:.3f}, f_e = {result.f_e:.4f}, "
                 f"alpha = {result.alpha:.2f}", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return fig
