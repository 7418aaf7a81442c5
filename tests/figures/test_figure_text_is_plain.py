"""Text from data on figures is never parsed as mathtext (issue 13): ``$`` is a dollar sign."""

from __future__ import annotations

from matplotlib.text import Text

from audit.figures import figure_and_axes
from audit.report.svg import figure_svg


def test_a_malformed_dollar_expression_in_a_label_draws() -> None:
    fig, ax = figure_and_axes()
    ax.set_title("B $\\frac{$ x")
    ax.bar(["$\\frac{$", "$x^2$ and $y$"], [1, 2])
    ax.legend(["$\\sqrt{"])
    svg = figure_svg(fig)
    assert svg.startswith("<?xml")
    assert all(not t.get_parse_math() for t in fig.findobj(Text))
