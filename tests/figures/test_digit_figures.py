"""Digit figures draw what a result holds (no statistics computed)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from audit.checks import digits as D
from audit.figures.digits import plot_digit_distribution, plot_null_distribution
from audit.simulate import simulate_clean


@pytest.fixture(scope="module")
def sheets():
    return simulate_clean(n_tables=1_000, rng=1)


def test_bars_line_and_band(sheets) -> None:
    res = D.second_digit_test(sheets, rng=1, n_resamples=49)
    fig = plot_digit_distribution(res)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    (observed,) = [ln for ln in ax.lines if ln.get_label() == "observed"]
    np.testing.assert_allclose(observed.get_ydata(), res.table["observed_share"])
    (line,) = [ln for ln in ax.lines if ln.get_label() == "textbook law"]
    np.testing.assert_allclose(line.get_ydata(), D.SECOND_DIGIT_PROBS)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["honest expectation", "null 95% band", "observed", "textbook law"]
    (honest,) = [ln for ln in ax.lines if ln.get_label() == "honest expectation"]
    np.testing.assert_allclose(honest.get_ydata(), res.table["expected_share"])
    assert ax.get_xlabel() == "second digit"


def test_draws_on_given_axes_and_pairs(sheets) -> None:
    res = D.digit_pairs_test(sheets, kind="adjacent", null="textbook")
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_digit_distribution(res, ax=ax) is fig
    assert [t.get_text() for t in ax.get_xticklabels()] == ["repeated", "adjacent", "distant"]


def test_null_distribution_histogram(sheets) -> None:
    res = D.last_digit_test(sheets, rng=2, n_resamples=99)
    fig = plot_null_distribution(res)
    ax = fig.axes[0]
    assert sum(p.get_height() for p in ax.patches) == 99
    (observed,) = [ln for ln in ax.lines if ln.get_label() == "observed"]
    assert observed.get_xdata()[0] == pytest.approx(res.statistic)
    with pytest.raises(ValueError, match="no simulated null distribution"):
        plot_null_distribution(D.last_digit_test(sheets, null="textbook"))
