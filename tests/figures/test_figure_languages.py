"""Every figure speaks the language it is asked for: no English word on a Spanish figure."""

from __future__ import annotations

import re
import string
from collections.abc import Callable

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from audit.checks import digits as D
from audit.checks.dispute import DisputeResult, audit_dispute
from audit.checks.fingerprints import fingerprint, klimek_fit
from audit.checks.turnout import integer_percentages, shpilkin_excess, spike_at_100
from audit.figures.claims import (
    plot_claims_timeline,
    plot_compatibility,
    plot_official_vs_sheets,
    plot_uncovered_need,
)
from audit.figures.digits import plot_digit_distribution, plot_null_distribution
from audit.figures.fingerprints import plot_cumulative, plot_fingerprint, plot_klimek
from audit.figures.turnout import (
    plot_integer_percentages,
    plot_shpilkin,
    plot_spike,
    plot_station_histograms,
)
from audit.messages import catalogue
from audit.model import SheetTable
from audit.simulate import simulate_clean


@pytest.fixture(scope="module")
def sheets() -> SheetTable:
    return simulate_clean(n_tables=1_500, n_regions=6, rng=3)


@pytest.fixture(scope="module")
def dispute() -> DisputeResult:
    return audit_dispute("venezuela-2024")


def _figures(sheets: SheetTable, dispute: DisputeResult) -> dict[str, Callable[[str], Figure]]:
    last = D.last_digit_test(sheets, rng=1, n_resamples=19)
    pairs = D.digit_pairs_test(sheets, kind="adjacent", rng=1, n_resamples=19)
    integer = integer_percentages(sheets)
    spike = spike_at_100(sheets)
    fp = fingerprint(sheets)
    fit = klimek_fit(sheets, rng=1, n_bootstrap=2)
    b2 = next(r for r in dispute.against_sheets
              if r.claim == "cne-b2" and r.sheets == "opposition-v1")
    return {
        "digits": lambda lang: plot_digit_distribution(last, lang=lang),
        "pairs": lambda lang: plot_digit_distribution(pairs, lang=lang),
        "null": lambda lang: plot_null_distribution(last, lang=lang),
        "integer": lambda lang: plot_integer_percentages(integer, lang=lang),
        "spike": lambda lang: plot_spike(spike, lang=lang),
        "shpilkin": lambda lang: plot_shpilkin(shpilkin_excess(sheets), lang=lang),
        "histograms": lambda lang: plot_station_histograms(
            sheets.turnout(), sheets.share(sheets.leader()), candidate="X", integer=integer,
            spike_turnout=spike, lang=lang),
        "fingerprint": lambda lang: plot_fingerprint(fp, lang=lang),
        "cumulative": lambda lang: plot_cumulative(fp, lang=lang),
        "klimek": lambda lang: plot_klimek(fit, lang=lang),
        "timeline": lambda lang: plot_claims_timeline(dispute, lang=lang),
        "against": lambda lang: plot_official_vs_sheets(b2, lang=lang),
        "uncovered": lambda lang: plot_uncovered_need(b2, lang=lang),
        "compatibility": lambda lang: plot_compatibility(dispute.compatibility, lang=lang),
    }


def _texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text) if t.get_text())


def _english_pieces() -> set[str]:
    """Literal pieces (two words or more) of the English figure labels that no Spanish label
    has (a citation such as "Klimek et al. 2012" is the same in both)."""
    spanish = " ".join(v for k, v in catalogue("es").items() if k.startswith("figures."))
    pieces: set[str] = set()
    for key, template in catalogue("en").items():
        if key.startswith("figures."):
            for literal, *_ in string.Formatter().parse(template):
                for piece in re.split(r"[():;,=·%]", literal or ""):
                    if len(piece.split()) >= 2 and piece.strip() not in spanish:
                        pieces.add(piece.strip())
    return pieces


def test_spanish_figures_have_no_english_words(sheets: SheetTable,
                                               dispute: DisputeResult) -> None:
    pieces = _english_pieces()
    assert len(pieces) > 40
    spanish = {name: _texts(make("es")) for name, make in _figures(sheets, dispute).items()}
    english = {name: _texts(make("en")) for name, make in _figures(sheets, dispute).items()}
    for name, text in spanish.items():
        leaked = sorted(p for p in pieces if p in text)
        assert not leaked, (name, leaked)
        assert text != english[name], name  # every figure has words that changed
    assert "último dígito" in spanish["digits"]
    assert "contiguos" in spanish["pairs"]
    assert "participación (%)" in spanish["fingerprint"]
    assert "porcentaje de votos (%)" in spanish["timeline"]
    assert re.search(r"\d+ (jul|ago|sept?|oct)", spanish["timeline"])  # months in Spanish
    assert "votos (millones)" in spanish["against"]


def test_numbers_follow_the_language(sheets: SheetTable) -> None:
    res = D.last_digit_test(sheets, rng=1, n_resamples=19)
    es = plot_digit_distribution(res, lang="es").axes[0]
    en = plot_digit_distribution(res, lang="en").axes[0]
    assert f"n = {res.n:,}".replace(",", ".") in es.get_title()
    assert f"n = {res.n:,}" in en.get_title()
    ticks = [t.get_text() for t in es.get_yticklabels() if t.get_text()]
    assert ticks
    assert all(t.endswith("\u00a0%") and "," in t for t in ticks)
    assert np.isfinite(res.statistic or 0.0)


def test_no_figure_shows_raw_mathtext(sheets: SheetTable, dispute: DisputeResult) -> None:
    """Figures draw their text as written, so a tick label matplotlib would write as mathtext
    (a log colour bar's "$\\mathdefault{10^{1}}$") must be formatted as a plain number."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for name, make in _figures(sheets, dispute).items():
        fig = make("es")
        FigureCanvasAgg(fig).draw()  # tick labels exist once drawn
        drawn = _texts(fig)
        assert "mathdefault" not in drawn, name
        assert "$" not in drawn, name
    fp = plot_fingerprint(fingerprint(sheets), lang="es")
    FigureCanvasAgg(fp).draw()
    bar = fp.axes[-1]
    assert {"1", "10"} <= {t.get_text() for t in bar.get_yticklabels()}
