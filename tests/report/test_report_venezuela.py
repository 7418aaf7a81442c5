"""The Venezuela 2024 report, in English and Spanish, with the opposition's tally sheets (V2
joined with V1 for registered voters, plus the QR-decoded copies for the cross-check) and
without them (bundled claims and aggregates only).

Reference numbers:

* totals of RESULTADOS_2024_CSV_V2.csv: 25,073 actas, 83.50 % of the 30,026 tables; EG
  7,303,480, NM 3,316,142; valid 10,887,262 (summed from the file itself;
  CNN, 9 Aug 2024, "83.50% of the voting records");
* 1,830,358: González's votes on the V1 sheets (7,156,462) minus CNE bulletin 2's
  (5,326,104) (facts §4.3);
* CNE bulletin 1: NM 5,150,092 and EG 4,445,978 both sit exactly on 51.20 % and 44.2 % of
  10,058,774; probability (1/10,058.8)² ≈ 9.9 × 10⁻⁹, "about 1 in 100 million" (Gelman,
  31 Jul 2024; Tao, 2 Aug 2024).

Every model is built once per module (few Monte Carlo redraws: the statistics are tested in
tests/checks; here the report is) and rendered once per format.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from report_fakes import fast

from audit.cases import Case, load_case
from audit.cli import cli
from audit.data import load_sheets
from audit.errors import ChecksumError
from audit.report import ReportModel, ReportOptions, build_report, render
from audit.report.battery import BatteryMemo
from audit.report.formats.json import json_text
from audit.report.formats.pdf import pdf_bytes

FOLDER = "venezuela_2024_resultadosconvzla_actas"
V2 = "RESULTADOS_2024_CSV_V2.csv"
COMMAND = "election-audit report venezuela-2024 -o report.pdf"

TITLES = {
    "en": ["Executive summary", "Claims timeline", "Official figures and the tally sheets",
           "What the uncovered tables would need", "Tally-sheet integrity", "Digit tests",
           "Turnout and vote shares", "Cross-source discrepancies",
           "Methods and limitations", "Appendix: provenance", "Contents", "Page 1 of"],
    "es": ["Resumen ejecutivo", "Cronología de las afirmaciones", "Cifras oficiales y actas",
           "Qué tendrían que contener las mesas sin acta", "Integridad de las actas",
           "Pruebas de dígitos", "Participación y porcentajes de voto",
           "Discrepancias entre fuentes", "Métodos y limitaciones",
           "Apéndice: procedencia", "Índice", "Página 1 de"],
}
#: In every Venezuela report, with or without the sheets.
NUMBERS = {"en": ["1,830,358", "9.9 × 10⁻⁹", "1 in 101,000,000", "5,326,104", "30,026"],
           "es": ["1.830.358", "9,9 × 10⁻⁹", "1 entre 101.000.000", "5.326.104", "30.026"]}
#: Only with the sheets.
SHEETS = {"en": ["7,303,480", "3,316,142", "10,887,262", "25,073", "83.50%", "67.08%",
                 "Anzoátegui", "Táchira", "Mérida", "qr-decoded"],
          "es": ["7.303.480", "3.316.142", "10.887.262", "25.073", "83,50 %", "67,08 %",
                 "Anzoátegui", "Táchira", "Mérida", "qr-decoded"]}

RealFile = Callable[[str, str], Path]


class Reports:
    """The Venezuela reports of this module, each built once and rendered once."""

    def __init__(self, case: Case, data_dir: Path) -> None:
        self.case, self.data_dir = case, data_dir
        self.lookup = load_sheets(case, data_dir=data_dir, download=False)
        assert self.lookup.ingest is not None
        self._models: dict[tuple[str, bool], ReportModel] = {}
        self.memo = BatteryMemo()  # the checks run once for both languages
        self._pdfs: dict[tuple[str, bool], bytes] = {}
        self._texts: dict[tuple[str, bool], tuple[int, str]] = {}

    def options(self, lang: str, sheets: bool) -> ReportOptions:
        return fast(lang=lang, data_dir=self.data_dir if sheets else None, command=COMMAND)

    def model(self, lang: str, sheets: bool) -> ReportModel:
        if (lang, sheets) not in self._models:
            self._models[(lang, sheets)] = build_report(
                self.case, self.lookup.ingest if sheets else None, self.options(lang, sheets),
                source=self.lookup.source, memo=self.memo)
        return self._models[(lang, sheets)]

    def pdf(self, lang: str, sheets: bool) -> bytes:
        if (lang, sheets) not in self._pdfs:
            self._pdfs[(lang, sheets)] = pdf_bytes(self.model(lang, sheets))
        return self._pdfs[(lang, sheets)]

    def text(self, lang: str, sheets: bool) -> tuple[int, str]:
        if (lang, sheets) not in self._texts:
            self._texts[(lang, sheets)] = _text(self.pdf(lang, sheets))
        return self._texts[(lang, sheets)]


def _text(data: bytes) -> tuple[int, str]:
    """Page count and the text, lines joined (numbers and URLs never split)."""
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    return len(reader.pages), re.sub(r"(?<=/) ", "", text)


@pytest.fixture(scope="module")
def reports(real_file: RealFile) -> Reports:
    data_dir = real_file(FOLDER, V2).parent.parent  # skips when the real data are absent
    return Reports(load_case("venezuela-2024"), data_dir)


@pytest.fixture(params=["en", "es"])
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestWithTheSheets:
    def test_pages_titles_and_numbers(self, reports: Reports, lang: str) -> None:
        pages, content = reports.text(lang, True)
        assert 24 <= pages <= 36
        for expected in TITLES[lang] + NUMBERS[lang] + SHEETS[lang]:
            assert expected in content, expected
        assert f"{'Page' if lang == 'en' else 'Página'} {pages} " in content

    def test_every_section_is_filled(self, reports: Reports, lang: str) -> None:
        with_sheets = reports.model(lang, True)
        assert {s.id: s.status for s in with_sheets.sections} == {
            s.id: "complete" for s in with_sheets.sections}

    def test_executive_summary_states_the_findings(self, reports: Reports, lang: str) -> None:
        from audit.report.i18n import text

        with_sheets = reports.model(lang, True)
        summary = " ".join(text(b.message, with_sheets.lang)
                           for b in with_sheets.section("summary").blocks
                           if hasattr(b, "message"))
        if with_sheets.lang == "en":
            # the uncovered-tables requirement against the highest share held (page 1)
            assert "For CNE bulletin 2 to be true, Maduro would need 3,092,702 more votes " \
                   "in the 4,953 tables without a tally sheet" in summary
            assert "no table with a sheet does Maduro reach more than 84.2%" in summary
            assert "González has more votes on the opposition V2 tally sheets alone " \
                   "(7,303,480) than CNE bulletin 2 announced (5,326,104)" in summary
            assert "(about 1 in 101,000,000)" in summary
            assert not re.search(r"fraud\w* (is |was )?(proven|detected)", summary, re.I)
        else:
            assert "Para que el boletín 2 del CNE fuera cierto, Maduro necesitaría " \
                   "3.092.702 votos más en las 4.953 mesas sin acta" in summary
            assert "(1 entre 101.000.000, aproximadamente)" in summary

    def test_sheet_totals_are_the_published_ones(self, reports: Reports) -> None:
        with_sheets = reports.model("en", True)
        blocks = {getattr(b, "name", ""): b for b in with_sheets.section("official").blocks}
        votes = {row[1]: row[2] for row in blocks["sheet-totals"].rows}
        assert votes["Edmundo González Urrutia"] == 7_303_480
        assert votes["Nicolás Maduro Moros"] == 3_316_142
        tachira = next(r for r in blocks["sheet-totals-by-state"].rows if r[0] == "Táchira")
        assert tachira[1:4] == (1229, 486_851, 398_690)  # facts §4.2, V2 by state
        # cne-b2 against the V2 sheets: González 7,303,480 − 5,326,104 = 1,977,376
        against = {row[0]: row[1:] for row in blocks["against-cne-b2-opposition-v2"].rows}
        assert against["González"][:3] == (5_326_104, 7_303_480, 1_977_376)

    def test_integrity_accounts_for_every_row(self, reports: Reports) -> None:
        with_sheets = reports.model("en", True)
        accounting = next(b.message.params for b in with_sheets.section("integrity").blocks
                          if getattr(b, "message", None) is not None
                          and b.message.id == "report.integrity.accounting")
        assert accounting == {"rows_read": 25_073, "accepted": 25_073, "quarantined": 0,
                              "duplicates": 0}

    def test_digit_and_turnout_results_by_state(self, reports: Reports) -> None:
        with_sheets = reports.model("en", True)
        digits = with_sheets.results["digits"]
        regional = {r.params["scope_name"] for r in digits if "scope" in r.params}
        assert len(regional) == 24  # every state with sheets (abroad has none)
        assert {r.test for r in digits if "scope" in r.params} == {
            "digits.last_digit", "digits.second_digit"}
        turnout = {r.test for r in with_sheets.results["turnout"] if "scope" not in r.params}
        assert {"turnout.integer_percentages", "turnout.spike_100_turnout"} <= turnout
        figures = {f.name for f in with_sheets.figures()}
        assert {"digits-last_digit", "digits-second_digit", "station-histograms",
                "fingerprint", "claims-timeline", "claims-compatibility",
                "against-cne-b2", "uncovered-cne-b2"} <= figures

    def test_fingerprint_section_shows_the_calibrated_corner_test(self,
                                                                   reports: Reports) -> None:
        with_sheets = reports.model("en", True)
        ids = [b.message.id for b in with_sheets.section("turnout").blocks
               if getattr(b, "message", None) is not None]
        # the calibrated corner test, then the uncalibrated model fit (skipped here)
        assert "fingerprints.corner" in ids
        assert ids.index("fingerprints.corner") > ids.index("fingerprints.fingerprint")

    def test_cross_check_with_the_qr_decoded_copies(self, reports: Reports) -> None:
        with_sheets = reports.model("en", True)
        compared = {r.params.get("label_b") or getattr(r, "label_b", ""): r
                    for r in with_sheets.results["crosscheck"]}
        assert set(compared) == {"qr-decoded", "qr-ipince"}
        qr = compared["qr-decoded"]
        # 21,937 tables in both; every candidate count agrees on 21,930 of them
        assert (getattr(qr, "n_matched", None), getattr(qr, "n_agree", None)) == (21_937,
                                                                                 21_930)
        roles = {i.path: i.role for i in with_sheets.provenance.inputs}
        assert roles["2024_vzla_presidential.csv"] == "compared"
        assert roles["RESULTADOS_2024_CSV_V1.csv"] == "joined"

    def test_methods_state_the_resamples_and_cite_dois(self, reports: Reports) -> None:
        with_sheets = reports.model("en", True)
        methods = with_sheets.section("methods")
        ids = {b.message.id: b.message.params for b in methods.blocks
               if getattr(b, "message", None) is not None}
        assert ids["report.methods.resamples"]["n"] == 19
        assert ids["report.methods.scopes"]["regions"] == 24
        references = [i.params["text"] for b in methods.blocks if hasattr(b, "items")
                      for i in b.items if i.id == "report.methods.reference"]
        assert sum("doi:" in r for r in references) >= 15
        assert any("10.1093/pan/mps003" in r for r in references)  # Beber & Scacco 2012
        assert any("10.1214/16-AOAS904" in r for r in references)  # Kobak et al. 2016


class TestWithoutTheSheets:
    def test_pages_titles_numbers_and_how_to_get_the_sheets(self, reports: Reports,
                                                            lang: str) -> None:
        pages, content = reports.text(lang, False)
        assert 10 <= pages <= 18
        for expected in TITLES[lang] + NUMBERS[lang]:
            assert expected in content, expected
        assert "--sheets RESULTADOS_2024_CSV_V2.csv" in content
        # (a long address may wrap anywhere, depending on the checkout's path length; the
        # extracted text has line breaks as blanks)
        assert "https://static.resultadosconvzla.com/RESULTADOS_2024_CSV_V2.csv" in \
            content.replace(" ", "")
        line = {"en": "Tally-sheet integrity: this part needs the tally sheets.",
                "es": "Integridad de las actas: esta parte requiere las actas."}[lang]
        assert line in content

    def test_claims_are_checked_against_the_bundled_aggregates(self, reports: Reports
                                                               ) -> None:
        without_sheets = reports.model("en", False)
        against = {(r.claim, r.sheets): r for r in without_sheets.results["claims"]
                   if r.test == "claims.against_sheets"}
        # both bundled sources, the case's main one (opposition-v2) included
        v1, v2 = against[("cne-b2", "opposition-v1")], against[("cne-b2", "opposition-v2")]
        assert v1.message.params["excess"] == 1_830_358
        assert v2.message.params["excess"] == 1_977_376
        # the requirement comes from the bundled aggregates; the estimate needs the sheets
        assert without_sheets.section("uncovered").status == "partial"
        assert {s.id: s.status for s in without_sheets.sections}["digits"] == "missing"


def test_accents_and_enye_survive(reports: Reports, lang: str) -> None:
    with_sheets, without = reports.text(lang, True)[1], reports.text(lang, False)[1]
    for content in (with_sheets, without):
        for word in ("González", "Nicolás", "Martínez", "Elvis Amoroso"):
            assert word in content, word
        if lang == "es":
            for word in ("Índice", "Página", "Apéndice", "añadidos", "señalados"):
                assert word in content, word
        assert "\ufffd" not in content  # no replacement character: no missing glyph
    for word in ("Táchira", "Mérida", "Anzoátegui", "Nueva Esparta"):
        assert word in with_sheets, word
    if lang == "es":
        assert "tamaño" in with_sheets


def test_json_and_pdf_are_byte_identical_on_rerun(reports: Reports) -> None:
    """A second run from scratch (no memo of the first run's Monte Carlo results)."""
    first = reports.model("es", True)
    again = build_report(reports.case, reports.lookup.ingest, reports.options("es", True),
                         source=reports.lookup.source)
    assert json_text(again) == json_text(first)
    assert pdf_bytes(again) == reports.pdf("es", True)


def test_html_is_self_contained(reports: Reports, tmp_path: Path) -> None:
    with_sheets = reports.model("es", True)
    page = render(with_sheets, tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("<svg") == len(with_sheets.figures())
    assert not re.search(r"""src\s*=\s*["'](https?:)?//""", page)  # nothing is loaded
    assert all(m.startswith(("#", "https://", "http://"))  # links are a reader's choice
               for m in re.findall(r'<a href="([^"]+)"', page))
    assert "<link" not in page
    assert "<script" not in page
    assert "@import" not in page
    assert re.search(r"data:image/png;base64,", page)  # the rasterized heat map, inline


#: Keys of the prepared report that hold identifiers or layout, not words.
NOT_WORDS = frozenset({"id", "section", "name", "kinds", "align", "fit", "file", "type",
                       "level", "svg", "widths", "keywords", "case", "status"})


def _words(value: object) -> list[str]:
    """Every string a reader sees in a prepared report (identifiers and layout left out)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [w for k, v in value.items() if k not in NOT_WORDS for w in _words(v)]
    if isinstance(value, list):
        return [w for v in value for w in _words(v)]
    return []


@pytest.mark.parametrize("sheets", [True, False])
def test_spanish_report_has_no_english_strings(reports: Reports, sheets: bool) -> None:
    from test_report_render import _english_fragments

    from audit.ledger import load_ledger
    from audit.report.formats.prepare import prepare
    from audit.report.registry import _METHODS

    case = reports.case
    assert case.claims_path is not None
    text = "\n".join(_words(prepare(reports.model("es", sheets)).to_dict(with_svg=False)))
    # data, not words of the report: literature titles, where each claim and source was read
    data = [ref for note in _METHODS.values() for ref in note.references]
    data += [c.source.citation for c in load_ledger(case.claims_path).claims]
    data += [s.citation for s in case.sources]
    for item in sorted(data, key=len, reverse=True):
        text = text.replace(item, "")
    text = re.sub(r"https?://\S+", "", text)  # addresses are not words
    leaked = sorted(f for f in _english_fragments() if f in text)
    assert not leaked
    for word in ("Page", "Contents", "Figure", "Table", "Evidence", "Strong evidence",
                 "Consistent", "tally sheets", "votes", "share", "turnout", "observed",
                 "and", "the"):
        found = re.search(rf"\b{word}\b", text)
        assert found is None, text[max(0, found.start() - 200):found.end() + 50]


class TestCommandLine:
    def test_sheets_from_the_data_directory_with_the_join(self, tmp_path: Path,
                                                           reports: Reports) -> None:
        data_dir = reports.data_dir
        out = tmp_path / "r.json"
        result = CliRunner().invoke(cli, ["report", "venezuela-2024", "--data-dir",
                                          str(data_dir), "--n-resamples", "19", "--skip",
                                          "fingerprints.klimek", "--offline", "-o", str(out),
                                          "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["sheets"] == 25_073
        assert set(summary["sections"].values()) == {"complete"}
        report = json.loads(out.read_text(encoding="utf-8"))
        roles = {i["path"]: i["role"] for i in report["provenance"]["inputs"]}
        assert roles["RESULTADOS_2024_CSV_V1.csv"] == "joined"  # registered voters from V1
        assert f"--data-dir {data_dir}" in report["provenance"]["command"]
        assert "--n-resamples 19 --skip fingerprints.klimek" in report["provenance"]["command"]

    def test_offline_without_data_still_writes_the_report(self, tmp_path: Path) -> None:
        out = tmp_path / "venezuela-2024.pdf"
        result = CliRunner().invoke(cli, ["report", "venezuela-2024", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 50_000
        assert "RESULTADOS_2024_CSV_V2.csv" in result.output

    def test_a_file_that_is_not_the_published_one_is_refused(self, tmp_path: Path) -> None:
        folder = tmp_path / FOLDER
        folder.mkdir()
        (folder / V2).write_text("COD_EDO,EDO\n1,X\n", encoding="latin-1")
        result = CliRunner().invoke(cli, ["report", "venezuela-2024", "--data-dir",
                                          str(tmp_path), "-o", str(tmp_path / "r.pdf")])
        assert isinstance(result.exception, ChecksumError)  # one line, exit 2 (audit.cli.main)
        assert "expects 296d35bbda1d6bd1" in str(result.exception)


# --------------------------------------------------------------------------------------------
# A report an NGO can publish as it is (issue 10)
# --------------------------------------------------------------------------------------------

#: Internal ids of the Venezuela case: never outside the appendix.
IDS = re.compile(r"\b(cne-b[12]|cne-proclamation|opp-[\w.-]+|opposition-v[12]|qr-decoded|"
                 r"qr-ipince|wapo-tabulation|ap-tabulation|edison-exit-poll|tsj-ruling|"
                 r"moe-colombia|nyt-quick-count|carter-center-\w+|un-panel|gelman-b1)\b")
#: Words that are English and never Spanish.
_ENGLISH_WORDS = (
    "the and of which with would could cannot tables table votes sheets sheet tally between "
    "from their there where when whose this that these those have has been were was is are "
    "by for only not than more less each every registered voters turnout share claim claims "
    "seen page figure section none tests evidence strong weak about against what how why "
    "shows show held need needs")
ENGLISH_ONLY = frozenset(_ENGLISH_WORDS.split())
#: Names that stay in their language (publishers).
PROPER = re.compile(r"The (Washington Post|New York Times|Carter Center|Hill)|Associated Press"
                    r"|Edison Research|Plataforma Unitaria|Comando Con Venezuela")


def _references() -> list[str]:
    """Every bibliographic reference of the method notes (titles stay in their language)."""
    from audit.report.registry import _METHODS, load_all

    load_all()
    return sorted({" ".join(ref.split()) for note in _METHODS.values()
                   for ref in note.references}, key=len, reverse=True)


PAGE_ONE = {"en": ["CNE bulletin 2", "6,408,844", "3,092,702", "4,953", "84.2%", "7,303,480",
                   "67.08%", "83.50%", "9.9 × 10⁻⁹"],
            "es": ["boletín 2 del CNE", "6.408.844", "3.092.702", "4.953", "84,2 %",
                   "7.303.480", "67,08 %", "83,50 %", "9,9 × 10⁻⁹"]}


def _pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [p.extract_text() for p in reader.pages]


class TestPublishable:
    def test_page_one_has_the_quotable_numbers_and_no_ids(self, reports: Reports,
                                                          lang: str) -> None:
        first = _pages(reports.pdf(lang, True))[0]
        flat = " ".join(first.split())
        for number in PAGE_ONE[lang]:
            assert number in flat, number
        assert not IDS.search(flat), IDS.search(flat)
        assert ("Executive summary" if lang == "en" else "Resumen ejecutivo") in flat

    def test_ids_only_in_the_appendix(self, reports: Reports, lang: str) -> None:
        model = reports.model(lang, True)
        from audit.report.formats.prepare import prepare

        for section in prepare(model).to_dict(with_svg=True)["sections"]:
            if section["id"] == "provenance":
                continue
            for block in section["blocks"]:
                shown = {k: v for k, v in block.items() if k not in ("name", "file")}
                visible = re.sub(r"https?://[^\s\"]+", " ", json.dumps(shown,
                                                                       ensure_ascii=False))
                found = IDS.search(visible)
                assert found is None, (section["id"], block.get("name"), found)

    def test_every_caption_and_paragraph_starts_with_a_capital(self, reports: Reports,
                                                              lang: str) -> None:
        """A sentence may open with a label written for the middle of one ("el boletín 1
        del CNE frente a ..."); what the reader sees starts with a capital."""
        from audit.report.formats.prepare import prepare

        starts = []
        for section in prepare(reports.model(lang, True)).to_dict()["sections"]:
            for block in section["blocks"]:
                starts += [block[k] for k in ("text", "caption") if block.get(k)]
                starts += block.get("items", [])
        assert len(starts) > 100
        lower = [s[:40] for s in starts if s[:1].islower()]
        assert not lower, lower

    def test_spanish_pdf_has_no_english_sentence(self, reports: Reports) -> None:
        from audit.messages import catalogue

        def joined(value: str) -> str:  # a hyphen at a line break extracts as U+00AD
            return value.replace("\xad", "").replace("-", "")
        text = " ".join(" ".join(_pages(reports.pdf("es", True))).split())
        text = joined(re.sub(r"(?<=/) ", "", text))
        for ref in _references():
            text = text.replace(joined(ref), " ")
        text = PROPER.sub(" ", re.sub(r"https?://\S+|\S+\.(csv|toml|yaml|py)\b", " ", text))
        bad = []
        for sentence in re.split(r"(?<=[.:;])\s+", text):
            words = set(re.findall(r"\b[a-z]+\b", sentence))  # lowercase: not a name
            english = sorted(words & ENGLISH_ONLY)
            if len(english) >= 2 or {"the", "and", "with"} & words:
                bad.append((english, sentence[:160]))
        assert not bad, bad[:10]
        english_pieces = {piece.strip() for template in catalogue("en").values()
                          for piece in re.split(r"\{[^}]*\}", template)
                          if len(piece.strip()) >= 25}
        leaked = sorted(p for p in english_pieces if p in text)
        assert not leaked, leaked[:10]


def test_observer_file_without_registered_voters_claims_no_false_contradiction(
        real_file: RealFile, tmp_path: Path) -> None:
    """An observer's own 2,000 sheets (the first 2,000 V2 rows: no registered voters): a
    claim whose total may be valid votes (bulletin 1, the Washington Post) leaves room for the
    sheets' null votes, so neither is declared impossible; no negative voters are shown."""
    source = real_file(FOLDER, V2)
    lines = source.read_bytes().splitlines(keepends=True)
    mine = tmp_path / "my.csv"
    mine.write_bytes(b"".join(lines[:2001]))
    case = load_case("venezuela-2024")
    from audit.ingest import read_sheets

    ingest = read_sheets(mine, election=case.election)
    assert ingest.sheets is not None
    assert len(ingest.sheets) == 2000
    assert not ingest.sheets.has("registered")
    model = build_report(case, ingest, fast(lang="en"))
    against = {r.claim: r for r in model.results["claims"]
               if r.test == "claims.against_sheets" and r.sheets not in (
                   "opposition-v1", "opposition-v2")}
    for claim in ("cne-b1", "wapo-tabulation"):
        assert against[claim].evidence.value != "impossible", against[claim].sentence
    pairs = next(r for r in model.results["claims"] if r.test == "claims.compatibility").table
    own = pairs[pairs["a"].astype(str).str.startswith("sheets:") & ~pairs["a"].isin(
        ["sheets:opposition-v1", "sheets:opposition-v2"])]
    assert set(own[own["verdict"] == "incompatible"]["b"]) <= {"cne-b2"}
    from audit.report.formats.markdown import markdown_text
    from audit.report.formats.prepare import prepare

    text = markdown_text(prepare(model), figure_dir=None)
    assert not re.search(r"[−-]\d[\d,]* (voters|votes the claim)", text)
    for section in model.sections:
        for block in section.blocks:
            if getattr(block, "name", "").startswith("need-"):
                assert all(v is None or v >= 0 for row in block.rows for v in row[1:2])
