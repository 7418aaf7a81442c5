"""Figures of the dispute tracker draw what the results hold (structure, not pixels)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

from audit.checks.dispute import DisputeResult, audit_dispute
from audit.figures import figure_and_axes
from audit.figures.claims import (
    plot_claims_timeline,
    plot_compatibility,
    plot_official_vs_sheets,
    plot_uncovered_need,
)


@pytest.fixture(scope="module")
def result() -> DisputeResult:
    return audit_dispute("venezuela-2024")


def b2(result: DisputeResult):
    return next(r for r in result.against_sheets
                if r.claim == "cne-b2" and r.sheets == "opposition-v1")


def test_timeline(result: DisputeResult) -> None:
    fig = plot_claims_timeline(result)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    import matplotlib.dates as mdates

    # a time axis: each claim at its date, so 1 day and 41 days are not spaced alike
    claims = [c for c in result.ledger.timeline() if c.has_figures]
    xs = sorted({round(float(x), 3) for line in ax.lines for x in line.get_xdata()
                 if len(line.get_xdata())})
    assert xs[0] == pytest.approx(mdates.date2num(claims[0].time.sort_key), abs=1e-3)
    assert xs[-1] == pytest.approx(mdates.date2num(claims[-1].time.sort_key), abs=1e-3)
    gaps = [b - a for a, b in itertools.pairwise(xs)]
    assert max(gaps) > 20 * min(gaps)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["EG", "NM"]


def test_official_vs_sheets(result: DisputeResult) -> None:
    fig = plot_official_vs_sheets(b2(result), keys=["EG"])
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 24 + 1  # one segment per state, then the claim's bar
    assert sum(widths[:24]) == pytest.approx(7156462)
    assert widths[-1] == pytest.approx(5326104)


def test_uncovered_need(result: DisputeResult) -> None:
    fig = plot_uncovered_need(b2(result))
    ax = fig.axes[0]
    xs = sorted(line.get_xdata()[0] for line in ax.lines)
    # highest state; what is needed: 3,167,383 / (21,392,464 − 17,745,239) = 86.84%
    assert xs == pytest.approx([30.48, 86.84], abs=0.01)


def test_compatibility(result: DisputeResult) -> None:
    _, ax = figure_and_axes()
    fig = plot_compatibility(result.compatibility, ax=ax)
    grid = np.asarray(fig.axes[0].images[0].get_array())
    labels = list(result.compatibility.labels)
    i, j = labels.index("cne-b2"), labels.index("opp-csv-v1")
    assert grid[i, j] == grid[j, i] == 2
    assert grid[labels.index("cne-b1"), labels.index("cne-b2")] == 1
