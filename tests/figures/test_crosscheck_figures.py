"""Figures of a cross-source comparison draw what the result holds."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from audit.checks.crosscheck import compare_sources, lower_bound_check
from audit.figures.crosscheck import (
    plot_crosscheck_histogram,
    plot_crosscheck_regions,
    plot_crosscheck_scatter,
)
from tests.checks.test_crosscheck import OFFICIAL, PHOTOS, A, B

RES = compare_sources(A, B)
BOUND = lower_bound_check(OFFICIAL, PHOTOS)


def test_scatter_highlights_the_differing_tables() -> None:
    fig = plot_crosscheck_scatter(RES, candidate="X")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    agree, differ = ax.collections[:2]
    # matched tables: c1/1 (10, 10) agrees; c1/2 (7, 9) and c2/1 (0, 4) differ
    assert agree.get_offsets().tolist() == [[10.0, 10.0]]
    assert sorted(differ.get_offsets().tolist()) == [[0.0, 4.0], [7.0, 9.0]]
    assert ax.get_xlabel() == "votes in first"


def test_scatter_default_candidate_and_spanish_labels() -> None:
    fig = plot_crosscheck_scatter(BOUND, lang="es")
    ax = fig.axes[0]
    assert ax.get_title() == "Votos de Y, mesa por mesa"  # Y has the most violations
    flagged = ax.collections[1].get_offsets()
    assert sorted(flagged.tolist()) == [[5.0, 9.0], [20.0, 25.0]]
    with pytest.raises(ValueError, match="was not compared"):
        plot_crosscheck_scatter(RES, candidate="Z")


def test_histogram_counts_every_nonzero_difference() -> None:
    ax = plot_crosscheck_histogram(RES).axes[0]
    heights = np.array([p.get_height() for p in ax.patches])
    assert heights.sum() == 3  # X +4, Y +6, X +2
    ax = plot_crosscheck_histogram(BOUND).axes[0]
    assert sum(p.get_height() for p in ax.patches) == 3  # shortfalls 5, 4, 1


def test_region_bars() -> None:
    ax = plot_crosscheck_regions(RES).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["N", "S"]  # ordered by differing tables: N 1, S 1, then by matched
    widths = [p.get_width() for p in ax.patches]
    assert widths == [2, 1, 1, 1]  # matched N, S; differing N, S
