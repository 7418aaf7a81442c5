"""Rendering: PDF, HTML, JSON and Markdown of a simulated case, in English and Spanish."""

from __future__ import annotations

import hashlib
import json
import re
import string
from pathlib import Path

import pytest
from pypdf import PdfReader
from report_fakes import fast

from audit.cases import Case
from audit.errors import AuditError
from audit.messages import catalogue
from audit.model import SheetTable
from audit.report import ReportModel, build_report, infer_format, render
from audit.report.formats.json import SCHEMA, report_dict
from audit.report.formats.pdf import pdf_bytes
from audit.report.formats.prepare import prepare

TITLES = {"en": ["Executive summary", "Official figures and the tally sheets",
                 "Tally-sheet integrity", "Methods and limitations", "Appendix: provenance",
                 "Contents", "Page 1 of"],
          "es": ["Resumen ejecutivo", "Cifras oficiales y actas", "Integridad de las actas",
                 "Métodos y limitaciones", "Apéndice: procedencia", "Índice", "Página 1 de"]}


@pytest.fixture(scope="module", params=["en", "es"])
def demo_model(request: pytest.FixtureRequest, demo_case: Case,
               demo_sheets: SheetTable) -> ReportModel:
    return build_report(demo_case, demo_sheets,
                        fast(lang=request.param, command="election-audit report demo"))


@pytest.fixture(scope="module")
def demo_pdf(demo_model: ReportModel) -> bytes:
    return pdf_bytes(demo_model)


def _pdf_text(data: bytes) -> tuple[int, str]:
    import io

    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_pdf_has_titles_numbers_and_glyphs(demo_model: ReportModel, demo_pdf: bytes) -> None:
    pages, content = _pdf_text(demo_pdf)
    assert 8 <= pages <= 20
    for title in TITLES[demo_model.lang]:
        assert title in content, title
    assert "Núñez" in content  # accents and ñ survive the fonts and text extraction
    assert "Ibáñez" in content
    assert f"Page {pages} of {pages}" in content or f"Página {pages} de {pages}" in content
    assert "1,200" in content if demo_model.lang == "en" else "1.200" in content


def test_pdf_and_json_are_byte_identical_on_rerun(demo_case: Case,
                                                  demo_sheets: SheetTable) -> None:
    options = fast(lang="es", seed=7, command="x")
    a = build_report(demo_case, demo_sheets, options)
    b = build_report(demo_case, demo_sheets, options)
    assert pdf_bytes(a) == pdf_bytes(b)
    assert json.dumps(report_dict(a)) == json.dumps(report_dict(b))


def test_pdf_has_no_creation_date_unless_source_date_epoch(
        demo_model: ReportModel, demo_pdf: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    assert "/CreationDate" not in (PdfReader(io.BytesIO(demo_pdf)).metadata or {})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1722124800")  # 2024-07-28 00:00 UTC
    meta = PdfReader(io.BytesIO(pdf_bytes(demo_model))).metadata
    assert meta is not None
    assert meta["/CreationDate"] == "D:20240728000000Z"


def test_html_is_self_contained(demo_model: ReportModel, tmp_path: Path) -> None:
    page = render(demo_model, tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("<svg") == len(demo_model.figures()) >= 6
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", page)
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "<link" not in page
    assert "<script" not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # figures' ids do not collide
    for title in TITLES[demo_model.lang][:5]:
        assert title in page


def test_json_schema_and_raw_numbers(demo_model: ReportModel, tmp_path: Path,
                                     demo_sheets: SheetTable) -> None:
    data = json.loads(render(demo_model, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["schema"] == SCHEMA
    assert data["lang"] == demo_model.lang
    assert [s["id"] for s in data["sections"]] == [s.id for s in demo_model.sections]
    official = next(s for s in data["sections"] if s["id"] == "official")
    table = next(b for b in official["blocks"] if b.get("name") == "sheet-totals")
    assert [c["kind"] for c in table["columns"]] == ["text", "text", "int", "pct"]
    votes = {row[0]: row[2] for row in table["rows"] if isinstance(row[0], str)}
    assert votes["Núñez"] == demo_sheets.totals()["C1"]  # raw integers, not formatted text
    missing = [b for s in data["sections"] for b in s["blocks"] if b["type"] == "missing"]
    assert missing
    assert all(m["text"] and m["needs"]["id"].startswith("report.need.") for m in missing)
    assert data["provenance"]["seed"] == demo_model.provenance.seed
    assert data["provenance"]["command"] == "election-audit report demo"


def test_markdown_writes_figures_beside_it(demo_model: ReportModel, tmp_path: Path) -> None:
    path = render(demo_model, tmp_path / "report.md")
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == len(demo_model.figures())
    for link in links:
        assert (tmp_path / link).read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "| ---:" in text.replace("|---:", "| ---:") or "---:|" in text
    assert TITLES[demo_model.lang][0] in text


def test_markdown_without_figures_says_so(demo_model: ReportModel, tmp_path: Path) -> None:
    from audit.report.formats.markdown import render_markdown

    text = render_markdown(demo_model, tmp_path / "r.md", figures=False).read_text()
    assert "![" not in text
    note = catalogue(demo_model.lang)["report.chrome.figures_omitted"]
    assert note.replace("*", "\\*") in text or note in text
    assert not (tmp_path / "r_figures").exists()


def _english_fragments() -> set[str]:
    """Literal pieces (4+ letters, 2+ words) of English report messages absent in Spanish."""
    en, es = catalogue("en"), catalogue("es")
    spanish = " ".join(v for k, v in es.items())
    pieces: set[str] = set()
    for key, template in en.items():
        if not key.startswith("report."):
            continue
        for literal, *_ in string.Formatter().parse(template):
            for piece in re.split(r"[.:;,()·]", literal or ""):
                piece = piece.strip()
                if len(piece.split()) >= 2 and len(piece) >= 10 and piece not in spanish:
                    pieces.add(piece)
    return pieces


def _without_references(strings: str) -> str:
    """``strings`` without the literature references (titles stay in their language)."""
    from audit.report.registry import _METHODS

    for note in _METHODS.values():
        for ref in note.references:
            strings = strings.replace(json.dumps(ref, ensure_ascii=False)[1:-1], "")
    return strings


def test_spanish_report_has_no_english_chrome(demo_case: Case, demo_sheets: SheetTable) -> None:
    model = build_report(demo_case, demo_sheets, fast(lang="es", figures=False))
    prepared = prepare(model)
    strings = json.dumps(prepared.to_dict(), ensure_ascii=False)
    strings = _without_references(strings)
    fragments = _english_fragments()
    assert len(fragments) > 150
    leaked = sorted(f for f in fragments if f in strings)
    assert not leaked
    # single chrome words, as whole words
    for word in ("Page", "Contents", "Figure", "Table", "Evidence", "Strong evidence",
                 "Consistent", "tally sheets"):
        assert not re.search(rf"\b{word}\b", strings), word


def test_format_from_extension() -> None:
    assert infer_format("a/b.PDF") == "pdf"
    assert infer_format("x.htm") == "html"
    assert infer_format("x.markdown") == "md"
    assert infer_format("x.txt", "json") == "json"
    with pytest.raises(AuditError, match=r"cannot tell the report format from 'x\.txt'"):
        infer_format("x.txt")
    with pytest.raises(AuditError, match="unknown report format 'doc'"):
        infer_format("x.pdf", "doc")


def test_render_refuses_a_missing_folder(demo_model: ReportModel, tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="does not exist"):
        render(demo_model, tmp_path / "nowhere" / "r.json")


def test_custom_template_folder(demo_model: ReportModel, tmp_path: Path) -> None:
    from audit.report.formats.pdf import templates_dir

    folder = tmp_path / "tpl"
    folder.mkdir()
    for name in ("report.typ", "style.typ"):
        (folder / name).write_text((templates_dir() / name).read_text(encoding="utf-8"),
                                   encoding="utf-8")
    style = folder / "style.typ"
    style.write_text(style.read_text().replace('rgb("#1f3a5f")', 'rgb("#7a0000")'))
    custom = pdf_bytes(demo_model, template_dir=folder)
    assert hashlib.sha256(custom).digest() != hashlib.sha256(pdf_bytes(demo_model)).digest()
    (folder / "report.typ").write_text("#let x = (")
    with pytest.raises(AuditError, match="template did not compile"):
        pdf_bytes(demo_model, template_dir=folder)
