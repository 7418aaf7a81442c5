"""The report of the bundled simulated case (datasets/demo): labelled simulated everywhere."""

from __future__ import annotations

from report_fakes import fast

from audit.cases import load_case
from audit.data import load_sheets
from audit.report import build_report
from audit.report.formats.markdown import markdown_text
from audit.report.formats.prepare import prepare


def test_demo_report_is_labelled_simulated_and_uses_the_observers_sheets() -> None:
    case = load_case("demo")
    lookup = load_sheets(case, download=False)  # the sheets ship in the case folder
    assert lookup.ingest is not None
    assert len(lookup.ingest.sheets) == 1_600  # datasets/demo/README.md: 80% of 2,000 tables
    model = build_report(case, lookup.ingest, fast(lang="es", figures=False),
                         source=lookup.source)
    prepared = prepare(model)
    assert prepared.meta["notice"].startswith("DATOS SIMULADOS")
    text = markdown_text(prepared, figure_dir=None)
    assert "ningún país real (código ZZ)" in text
    assert "Este informe trata de una elección SIMULADA" in text
    # the announcement against the observers' sheets, province by province
    against = [r for r in model.results["claims"] if r.test == "claims.against_sheets"]
    assert {r.claim for r in against} >= {"authority-final", "authority-final.province-1"}
    assert model.section("crosscheck").status == "missing"  # one source only
