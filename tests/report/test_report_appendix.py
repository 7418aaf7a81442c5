"""The data appendix: CSV files beside the report and attached to the PDF, safe to open in a
spreadsheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from pypdf import PdfReader
from report_fakes import fast

from audit.cases import Case
from audit.model import SheetTable
from audit.report import build_report, render
from audit.report.appendix import csv_text, safe_cell


def test_formula_cells_are_neutralised() -> None:
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for start in ("+1+cmd", "-2-A1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(start) == "'" + start
    assert safe_cell("-2") == "-2"  # a genuine number written as text (issue 13)
    assert safe_cell("Zulia") == "Zulia"
    assert safe_cell(-3) == -3  # numbers stay numbers
    text = csv_text(pd.DataFrame({"region_name": ["=cmd|' /C calc'!A0", "Lara"],
                                  "votes": [-1, 2]}))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-1"]
    assert rows[2] == ["Lara", "2"]


def test_csvs_beside_the_report_and_attached_to_the_pdf(demo_case: Case,
                                                        demo_sheets: SheetTable,
                                                        tmp_path: Path) -> None:
    model = build_report(demo_case, demo_sheets, fast(lang="en", figures=False))
    assert "by-region" in model.data
    pdf = render(model, tmp_path / "demo.pdf")
    beside = tmp_path / "demo-by-region.csv"
    assert beside.is_file()
    frame = pd.read_csv(beside)
    assert len(frame) == 12  # every region, none cut
    assert int(frame["tables"].sum()) == len(demo_sheets)
    attached = PdfReader(pdf).attachments
    assert "data-by-region.csv" in attached
    assert attached["data-by-region.csv"][0].decode() == beside.read_text(encoding="utf-8")
