"""The Venezuela 2024 report from the real opposition tally sheets (V2), and without them.

Reference numbers: totals of RESULTADOS_2024_CSV_V2.csv (25,073 actas, 83.50 % of the 30,026
tables; EG 7,303,480, NM 3,316,142; valid 10,887,262), as recomputed in
/work/shared/docs/venezuela-2024-facts.md §4.1 and reported by CNN (9 Aug 2024, "83.50% of the
voting records").
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from audit.cases import load_case
from audit.cli import cli
from audit.ingest import IngestResult
from audit.report import ReportModel, ReportOptions, build_report, render
from audit.report.formats.json import json_text
from audit.report.formats.pdf import pdf_bytes
from audit.report.sources import load_sheets

pytestmark = pytest.mark.realdata

FOLDER = "venezuela_2024_resultadosconvzla_actas"
V2 = "RESULTADOS_2024_CSV_V2.csv"
EXPECT = {
    "en": ["Executive summary", "Official figures and the tally sheets", "Tally-sheet integrity",
           "Appendix: provenance", "7,303,480", "3,316,142", "10,887,262", "25,073", "83.50%",
           "67.08%", "Anzoátegui", "Táchira", "Mérida", "Page 1 of"],
    "es": ["Resumen ejecutivo", "Cifras oficiales y actas", "Integridad de las actas",
           "Apéndice: procedencia", "7.303.480", "3.316.142", "10.887.262", "25.073",
           "83,50\u00a0%", "67,08\u00a0%", "Anzoátegui", "Táchira", "Mérida", "señalados",
           "Página 1 de", "Índice"],
}


RealFile = Callable[[str, str], Path]


@pytest.fixture(scope="module")
def v2(real_file: RealFile) -> IngestResult:
    path = real_file(FOLDER, V2)  # skips when the real data are absent
    result = load_sheets(load_case("venezuela-2024"), [path]).ingest
    assert result is not None
    return result


@pytest.fixture(scope="module", params=["en", "es"])
def model(request: pytest.FixtureRequest, v2: IngestResult) -> ReportModel:
    return build_report("venezuela-2024", v2, ReportOptions(lang=request.param, command="t"))


@pytest.fixture(scope="module")
def pdf(model: ReportModel) -> bytes:
    return pdf_bytes(model)


def _text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_pdf_pages_titles_and_numbers(model: ReportModel, pdf: bytes) -> None:
    pages, content = _text(pdf)
    assert 6 <= pages <= 9
    for expected in EXPECT[model.lang]:
        assert expected in content, expected


def test_a_manifest_file_given_by_path_is_recognised(v2: IngestResult,
                                                     real_file: RealFile) -> None:
    lookup = load_sheets(load_case("venezuela-2024"), [real_file(FOLDER, V2)])
    assert lookup.source is not None
    assert lookup.source.id == "opposition-v2"


def test_sheet_totals_are_the_published_ones(model: ReportModel) -> None:
    table = next(b for b in model.section("official").blocks if getattr(b, "name", "") ==
                 "sheet-totals")
    votes = {row[1]: row[2] for row in table.rows}
    assert votes["Edmundo González Urrutia"] == 7_303_480
    assert votes["Nicolás Maduro Moros"] == 3_316_142
    by_region = next(b for b in model.section("official").blocks
                     if getattr(b, "name", "") == "sheet-totals-by-state")
    tachira = next(r for r in by_region.rows if r[0] == "Táchira")
    assert tachira[1:4] == (1229, 486_851, 398_690)  # facts §4.2, V2 by state


def test_integrity_accounts_for_every_row(model: ReportModel) -> None:
    section = model.section("integrity")
    accounting = next(b.message.params for b in section.blocks
                      if getattr(b, "message", None) is not None
                      and b.message.id == "report.integrity.accounting")
    assert accounting == {"rows_read": 25_073, "accepted": 25_073, "quarantined": 0,
                          "duplicates": 0}


def test_json_and_pdf_are_byte_identical_on_rerun(v2: IngestResult) -> None:
    options = ReportOptions(lang="es", seed=1, command="same")
    a = build_report("venezuela-2024", v2, options)
    b = build_report("venezuela-2024", v2, options)
    assert json_text(a) == json_text(b)
    assert pdf_bytes(a) == pdf_bytes(b)


@pytest.mark.parametrize(("lang", "line"), [
    ("en", "Tally-sheet integrity needs the tally sheets."),
    ("es", "Integridad de las actas requiere las actas.")])
def test_without_sheets_the_report_says_how_to_get_them(tmp_path: Path, lang: str,
                                                        line: str) -> None:
    model = build_report("venezuela-2024", None, ReportOptions(lang=lang, command="t"))
    pages, content = _text(pdf_bytes(model))
    assert 4 <= pages <= 6
    flat = " ".join(content.split())
    assert "--sheets RESULTADOS_2024_CSV_V2.csv" in flat
    assert line in flat
    for fmt in ("html", "json", "md"):
        assert render(model, tmp_path / f"r.{fmt}").stat().st_size > 5_000


def test_other_sources_found_for_cross_checks(v2: IngestResult, real_file: RealFile) -> None:
    from audit.report import ReportContext

    data_dir = real_file(FOLDER, V2).parent.parent
    ctx = ReportContext(case=load_case("venezuela-2024"), sheets=v2.sheets, ingest=v2,
                        options=ReportOptions(data_dir=data_dir))
    found = [s.id for s, _ in ctx.other_sources()]
    assert "opposition-v2" not in found  # the sheets' own file, recognised by its SHA-256
    assert "opposition-v1" in found
    assert ctx.has("second_source")


def test_all_formats_both_languages(model: ReportModel, tmp_path: Path) -> None:
    for fmt in ("pdf", "html", "json", "md"):
        path = render(model, tmp_path / f"report.{fmt}")
        assert path.stat().st_size > 5_000
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    inputs = {i["path"]: i["sha256"] for i in data["provenance"]["inputs"]}
    assert inputs[V2] == load_case("venezuela-2024").source("opposition-v2").sha256
    assert len(list((tmp_path / "report_figures").glob("*.svg"))) == 2


class TestCommandLine:
    def test_sheets_from_the_data_directory_with_the_join(self, tmp_path: Path,
                                                           real_file: RealFile) -> None:
        data_dir = real_file(FOLDER, V2).parent.parent
        out = tmp_path / "r.json"
        result = CliRunner().invoke(cli, ["report", "venezuela-2024", "--data-dir",
                                          str(data_dir), "-o", str(out), "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["sheets"] == 25_073
        assert summary["sections"]["integrity"] == "complete"
        report = json.loads(out.read_text(encoding="utf-8"))
        roles = {i["path"]: i["role"] for i in report["provenance"]["inputs"]}
        assert roles["RESULTADOS_2024_CSV_V1.csv"] == "joined"  # registered voters from V1
        assert f"--data-dir {data_dir}" in report["provenance"]["command"]

    def test_sheets_given_on_the_command_line(self, tmp_path: Path,
                                              real_file: RealFile) -> None:
        out = tmp_path / "informe.md"
        result = CliRunner().invoke(cli, ["report", "venezuela-2024", "--sheets",
                                          str(real_file(FOLDER, V2)), "--lang", "es", "-o",
                                          str(out)])
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert "| González | Edmundo González Urrutia | 7.303.480 | 67,08\u00a0% |" in text
        assert (tmp_path / "informe_figures").is_dir()

    def test_a_file_that_is_not_the_published_one_is_refused(self, tmp_path: Path) -> None:
        folder = tmp_path / FOLDER
        folder.mkdir()
        (folder / V2).write_text("COD_EDO,EDO\n1,X\n", encoding="latin-1")
        result = CliRunner().invoke(cli, ["report", "venezuela-2024", "--data-dir",
                                          str(tmp_path), "-o", str(tmp_path / "r.pdf")])
        assert result.exit_code != 0
        assert "differs from the manifest" in str(result.exception)
