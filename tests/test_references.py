"""The bibliography is one module (issue 12): the report renders its reference lists from it."""

from __future__ import annotations

import pytest

from audit.references import _ENTRIES, BIBLIOGRAPHY, cite


def test_a_citation_reads_authors_year_title_venue_doi() -> None:
    assert cite("kobak2016") == (
        "Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as "
        "electoral falsification fingerprints. Annals of Applied Statistics 10(1), 54–73. "
        "doi:10.1214/16-AOAS904",)
    assert cite("hicken2017")[0].endswith("DRG Center working paper.")  # no DOI, no "doi:"


def test_keys_are_unique_and_two_mebane_works_stay_apart() -> None:
    assert len(BIBLIOGRAPHY) == len(_ENTRIES)
    assert "second-digit" in BIBLIOGRAPHY["mebane2008"].title
    assert "frauds probabilities" in BIBLIOGRAPHY["mebane2016"].title


def test_unknown_key_is_named() -> None:
    with pytest.raises(KeyError, match="mebane2099"):
        cite("kobak2016", "mebane2099")


def test_every_method_note_cites_the_bibliography() -> None:
    from audit.report.registry import _METHODS, load_all

    load_all()
    citations = {r.citation() for r in _ENTRIES}
    cited = {ref for note in _METHODS.values() for ref in note.references}
    assert cited
    assert cited <= citations
