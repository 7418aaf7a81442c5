"""The figure of a result, whatever its check: :meth:`CheckResult.plot` calls
:func:`plot_result`, which finds the family's figure function by the result's type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matplotlib.figure import Figure

from audit.checks.claims import CompatibilityResult, SheetsResult
from audit.checks.crosscheck import CrosscheckResult, LowerBoundResult
from audit.checks.digits import DigitTestResult
from audit.checks.fingerprints import CornerResult, FingerprintResult, KlimekFitResult
from audit.checks.result import CheckResult
from audit.checks.turnout import IntegerPercentResult, ShpilkinResult, SpikeResult
from audit.figures.claims import plot_compatibility, plot_official_vs_sheets
from audit.figures.crosscheck import plot_crosscheck_scatter
from audit.figures.digits import plot_digit_distribution
from audit.figures.fingerprints import plot_corner, plot_fingerprint, plot_klimek
from audit.figures.turnout import plot_integer_percentages, plot_shpilkin, plot_spike


def _figures() -> dict[type, tuple[Callable[..., Figure], str | None]]:
    """Result type -> (figure function, the keyword that takes the candidate's name)."""
    return {
        DigitTestResult: (plot_digit_distribution, "column"),
        SpikeResult: (plot_spike, None),
        IntegerPercentResult: (plot_integer_percentages, "candidate"),
        ShpilkinResult: (plot_shpilkin, "candidate"),
        FingerprintResult: (plot_fingerprint, "candidate"),
        KlimekFitResult: (plot_klimek, None),
        CornerResult: (plot_corner, "candidate"),
        CrosscheckResult: (plot_crosscheck_scatter, "candidate"),
        LowerBoundResult: (plot_crosscheck_scatter, "candidate"),
        SheetsResult: (plot_official_vs_sheets, None),
        CompatibilityResult: (plot_compatibility, None),
    }


def plot_result(result: CheckResult, *, candidate: str | None = None,
                **options: Any) -> Figure:
    """The figure of ``result`` (``candidate``: the name to show for the candidate tested,
    default the result's ``candidate_name``, else its key; other options, such as ``lang`` and
    ``ax``, go to the figure function).

    Raises
    ------
    TypeError
        When the result's check has no figure.
    """
    for kind, (plot, name_keyword) in _figures().items():
        if isinstance(result, kind):
            if candidate is not None and name_keyword is None:
                raise TypeError(f"the figure of {result.test} shows no candidate: "
                                "candidate= does not apply")
            name = candidate if candidate is not None else result.candidate_name
            if name is not None and name_keyword is not None:
                options[name_keyword] = name
            return plot(result, **options)
    raise TypeError(f"no figure for {type(result).__name__} ({result.test})")


__all__ = ["plot_result"]
