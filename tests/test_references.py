"""The bibliography is one module (issue 12): the report renders its reference lists from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audit.references import _ENTRIES, BIBLIOGRAPHY, bibliography_markdown, cite


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


PACKAGE = Path(__file__).resolve().parents[1] / "audit"
KEY = re.compile(r"\[([a-z]+[0-9]{4}[a-z]?)\]")


def _sources() -> dict[str, str]:
    return {path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_key_a_docstring_cites_is_in_the_bibliography() -> None:
    cited = {(name, key) for name, text in _sources().items() for key in KEY.findall(text)}
    assert len({key for _, key in cited}) >= 20
    unknown = sorted((name, key) for name, key in cited if key not in BIBLIOGRAPHY)
    assert not unknown


def test_docstrings_print_no_full_citation() -> None:
    """A DOI belongs to the bibliography entry, not to the docstring that cites it."""
    found = sorted(name for name, text in _sources().items()
                   if "doi:" in text and name != "references.py")
    assert not found


def test_the_bibliography_page_is_current() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "bibliography.md"
    assert page.read_text(encoding="utf-8") == bibliography_markdown(), \
        "regenerate docs/bibliography.md from audit.references.bibliography_markdown()"
    assert page.read_text(encoding="utf-8").count("- **[") == len(BIBLIOGRAPHY)
