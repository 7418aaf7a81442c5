"""Number formatting per language and sentence rendering (audit.messages)."""

from __future__ import annotations

import pytest

from audit.messages import format_number, render


@pytest.mark.parametrize(("value", "kind", "lang", "expected"), [
    (5_150_092, "int", "en", "5,150,092"),
    (5_150_092, "int", "es", "5.150.092"),
    (51.2, "pct", "en", "51.20%"),
    (51.2, "pct", "es", "51,20\u00a0%"),
    (44.2, "pct1", "es", "44,2\u00a0%"),
    (9.884e-9, "p", "en", "9.9 × 10⁻⁹"),
    (0.0341, "p", "es", "0,034"),
    (9.884e-9, "odds", "en", "1 in 101,000,000"),
    (9.884e-9, "odds", "es", "1 entre 101.000.000"),
    (352, "signed", "en", "+352"),
    (-531, "signed", "es", "−531"),
    (0.0123, "f4", "es", "0,0123"),
])
def test_format_number(value: float, kind: str, lang: str, expected: str) -> None:
    assert format_number(value, kind, lang) == expected


def test_underflowed_pvalue_is_a_bound_not_zero() -> None:
    assert format_number(0.0, "p", "en") == "< 1.0 × 10⁻³⁰⁰"
    params = {"column": "votes_A", "n": 25_045, "statistic": 120.6, "pvalue": 0.0, "mad": 0.01}
    for lang in ("en", "es"):
        text = render("digits.second_digit.textbook", params, lang)
        assert "p < 1" in text
        assert "= <" not in text


def test_render_fills_every_field_in_both_languages() -> None:
    params = {"column": "votes_A", "n": 1234, "statistic": 5.25, "pvalue": 0.5, "mad": 0.01}
    assert render("digits.second_digit.textbook", params, "en").startswith(
        "Second digits of votes_A (1,234 counts of 10 or more): X² = 5.2")
    assert "{" not in render("digits.second_digit.textbook", params, "es")


def test_zero_has_no_sign() -> None:
    """-0.4 votes shown as a whole number and z = -0.04 at one decimal are zero: "±0" and
    "0.0", never "−0" or "-0.0" (issue 10)."""
    from audit.messages import format_number

    assert format_number(-0.4, "signed", "en") == "±0"
    assert format_number(-0.6, "signed", "en") == "−1"
    assert format_number(-0.04, "f1", "en") == "0.0"
    assert format_number(-0.04, "f1", "es") == "0,0"
    assert format_number(-0.06, "f1", "en") == "-0.1"


def test_spanish_contracts_de_el_and_a_el() -> None:
    """Source labels are written for "las actas de <label>" ("el CNE", "el Servel"): the
    rendered sentence reads "del CNE", never "de el CNE"; "de El Salvador" keeps its capital."""
    from audit.messages import _contract_articles

    assert _contract_articles("actas de el CNE y a el Servel") == "actas del CNE y al Servel"
    assert _contract_articles("De el cómputo") == "Del cómputo"
    kept = "de El Salvador, de él, del elector"
    assert _contract_articles(kept) == kept
    params = {"sheets": 3, "source": "el CNE", "first": "A", "first_votes": 2,
              "first_pct": 0.5, "second": "B", "second_votes": 1, "second_pct": 0.25}
    assert "actas disponibles del CNE dan" in render("summary.sheets", params, "es")
