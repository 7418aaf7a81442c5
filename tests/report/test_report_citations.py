"""Primary sources in the report (issue 10 item 5): every claim cites its primary source where
one was confirmed, and says so where it was not, with the copy read (never an invented URL).

The statuses are data of the claims ledger (``source.primary_url_status``). For Venezuela
2024 the publisher's own page is confirmed for the opposition's website and CSV files
(resultadosconvzla.com, named by the scraper whose screenshot recorded the 81.21% page),
Gelman's post, The Washington Post and the MOE Colombia's page on its review; the Carter
Center's statement of 30 July 2024 is cited as
cartercenter.org/news/pr/2024/venezuela-073024.html by third parties; the CNE bulletins
(read aloud on state television), the UN Panel's report, the AP tabulation, the TSJ ruling,
the Edison exit poll and the OAS statement have no confirmed primary URL and link the copy
read instead. No archived copy was confirmed, so none is linked (an address of the Wayback
Machine that was never opened would be an invented URL).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from report_fakes import fast

from audit.cases import load_case
from audit.checks import Message
from audit.ledger import PRIMARY_STATUSES, ClaimValidationError, load_ledger
from audit.report import ReportModel, Table, build_report
from audit.report.formats.html import html_text
from audit.report.formats.pdf import pdf_bytes
from audit.report.formats.prepare import prepare

CARTER = "https://www.cartercenter.org/news/pr/2024/venezuela-073024.html"
OPPOSITION_SITE = "https://resultadosconvzla.com/"
NOT_CONFIRMED = ("cne-b1", "cne-b2", "un-panel", "ap-tabulation", "tsj-ruling",
                 "edison-exit-poll", "oas-deco")
#: Every case folder with a claims ledger of a real election (the demo's is simulated).
REAL_LEDGERS = sorted(p for p in Path(__file__).parents[2].glob("datasets/*/claims*.yaml")
                      if p.parent.name != "demo")


@pytest.fixture(scope="module")
def model() -> ReportModel:
    """The Venezuela report without the sheets: the claims ledger and bundled aggregates."""
    return build_report(load_case("venezuela-2024"), None, fast(figures=False))


def _sources(model: ReportModel) -> Table:
    return next(b for b in model.section("claims").blocks
                if isinstance(b, Table) and b.name == "claims-sources")


def test_every_claim_has_a_primary_link_or_says_it_was_not_confirmed(
        model: ReportModel) -> None:
    case = load_case("venezuela-2024")
    assert case.claims_path is not None
    ledger = load_ledger(case.claims_path, election=case.election)
    statuses = {c.id: c.source.primary_status for c in ledger.claims}
    assert set(statuses.values()) <= set(PRIMARY_STATUSES)
    assert all(statuses[c] == "not confirmed" for c in NOT_CONFIRMED)
    by_claim = {c.id: c for c in ledger.claims}
    assert by_claim["carter-center-statement"].source.primary == CARTER
    assert statuses["carter-center-statement"] == "cited by a third party"
    for claim in ledger.claims:  # a claim is either linked to its publisher or says why not
        assert bool(claim.source.primary) == (claim.source.primary_status != "not confirmed")
        if claim.source.primary_status == "not confirmed":  # ... and a copy was read
            assert claim.source.urls or claim.source.citation
    table = _sources(model)
    primary = {row[0]: row[3] for row in table.rows}
    assert primary["Carter Center statement"] == CARTER
    assert primary["CNE bulletin 1"] == Message("report.claims.primary_status.not_confirmed",
                                                {})
    assert primary["Opposition website at 81.21% of tally sheets"] == OPPOSITION_SITE
    assert table.note is not None
    assert table.note.params["cited"] == 1
    assert "archived" not in [c.key for c in table.columns]  # none confirmed, none shown


@pytest.mark.parametrize("path", REAL_LEDGERS, ids=lambda p: p.parent.name)
def test_every_real_claim_links_its_primary_source_or_a_copy_marked_not_confirmed(
        path: Path) -> None:
    ledger = load_ledger(path, election=load_case(path.parent.name).election)
    assert ledger.claims
    for claim in ledger.claims:
        src = claim.source
        links = [src.primary, *src.urls, *src.archived]
        assert all(re.fullmatch(r"https?://[^\s/]+\.[a-z]{2,}/\S*", u) for u in links if u), \
            claim.id
        assert not any("web.archive.org/web/2024/" in u for u in links)  # a lookup, not a copy
        if src.primary_status == "not confirmed":
            assert not src.primary, claim.id
            assert src.urls, claim.id  # the copy read, linked
        else:
            assert src.primary_status in ("confirmed", "cited by a third party"), claim.id
            assert src.primary.startswith("https://"), claim.id


def test_pdf_links_every_primary_source_and_copy(model: ReportModel) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes(model)))
    uris = {a.get_object()["/A"]["/URI"] for page in reader.pages
            for a in page.get("/Annots", []) if "/URI" in a.get_object().get("/A", {})}
    case = load_case("venezuela-2024")
    assert case.claims_path is not None
    ledger = load_ledger(case.claims_path, election=case.election)
    expected = {c.source.primary or c.source.urls[0] for c in ledger.claims}
    assert expected <= uris, expected - uris
    assert CARTER in uris
    assert OPPOSITION_SITE in uris


def test_not_confirmed_is_text_never_a_link(model: ReportModel, tmp_path: Path) -> None:
    page = html_text(prepare(model))
    rows = re.findall(r"<tr><td>CNE bulletin 1</td>(?:(?!</tr>).)*</tr>", page, re.S)
    row = next(r for r in rows if "not confirmed" in r)  # the sources table's row
    assert "finanzasdigital.com</a>" in row  # the copy read, linked
    assert '<a href="not confirmed"' not in page
    assert f'<a href="{CARTER}">cartercenter.org</a>' in page


def test_a_bad_status_is_one_clear_problem(tmp_path: Path) -> None:
    case = load_case("demo")
    path = tmp_path / "claims.yaml"
    path.write_text("""election: demo-simulated
claims:
  - id: a
    datetime: "2001-01-02"
    side: official
    source: {citation: "x", url: "https://example.org/a", primary_url_status: "not confirmed"}
  - id: b
    datetime: "2001-01-02"
    side: official
    source: {citation: "y", primary_url_status: "maybe"}
""", encoding="utf-8")
    with pytest.raises(ClaimValidationError) as info:
        load_ledger(path, election=case.election)
    fields = sorted((p.claim, p.field, p.rule) for p in info.value.problems)
    assert fields == [("a", "source.primary_url_status", "bad_choice"),
                      ("b", "source.primary_url_status", "bad_choice")]
