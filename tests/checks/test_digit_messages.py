"""The digit and forensics catalogues: same ids and placeholders in every language, and every
message a digit test can emit exists."""

from __future__ import annotations

import pytest

from audit.messages import LANGUAGES, catalogue, template_fields

FAMILIES = ("digits.", "forensics.")


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_same_keys_and_placeholders(lang: str) -> None:
    en = {k: v for k, v in catalogue("en").items() if k.startswith(FAMILIES)}
    other = {k: v for k, v in catalogue(lang).items() if k.startswith(FAMILIES)}
    assert set(en) == set(other)
    for key, template in en.items():
        assert template_fields(template) == template_fields(other[key]), key


def test_every_test_has_both_nulls() -> None:
    from audit.checks import digits as D

    ids = set(catalogue("en"))
    names = [*D._FUNCTIONS, "distant_pairs"]
    for name in names:
        assert f"digits.{name}.simulation" in ids
        assert f"digits.{name}.textbook" in ids
    for caveat in ("narrow_span", "large_n", "small_counts", "small_denominators",
                   "honest_like", "unexplained", "no_simulation"):
        assert f"digits.caveat.{caveat}" in ids


def test_spanish_is_spanish() -> None:
    es = catalogue("es")
    assert "Segundos dígitos" in es["digits.second_digit.simulation"]
    assert "conteo honesto" in es["forensics.evidence.consistent"]
