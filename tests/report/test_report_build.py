"""Assembling the report: sections, missing-input lines, the family hooks, the summary."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from report_fakes import fake_results, fast

from audit.cases import Case, load_case
from audit.checks import CheckResult, Evidence
from audit.ingest import IngestResult
from audit.model import SheetTable
from audit.report import (
    Block,
    Callout,
    MissingInput,
    Paragraph,
    ReportContext,
    ReportOptions,
    SectionHook,
    Table,
    build_report,
    msg,
    section_ids,
)
from audit.report.i18n import text
from audit.report.registry import register_section, unregister_section

#: Most tests do not look at figures; drawing them is the slow part of a build.
NOFIG = fast(figures=False)


def _missing(section) -> list[MissingInput]:
    return [b for b in section.blocks if isinstance(b, MissingInput)]


def _tables(section) -> dict[str, Table]:
    return {b.name: b for b in section.blocks if isinstance(b, Table)}


def test_sections_come_in_the_order_of_the_issue(mini_case: Case) -> None:
    model = build_report(mini_case, options=NOFIG)
    assert tuple(s.id for s in model.sections) == section_ids()
    assert section_ids()[0] == "summary"
    assert section_ids()[-1] == "provenance"


class TestWithoutSheets:
    def test_every_sheet_section_says_what_is_missing_and_how(self) -> None:
        model = build_report("venezuela-2024", options=ReportOptions(lang="en"))
        for section_id in ("official", "integrity"):
            section = model.section(section_id)
            lines = [m for m in _missing(section) if m.needs.id == "report.need.sheets"]
            assert len(lines) == 1, section_id
            how = text(lines[0].how, "en")
            # the manifest's file, folder and URL tell the user exactly what to fetch
            assert "--sheets RESULTADOS_2024_CSV_V2.csv" in how
            assert "venezuela_2024_resultadosconvzla_actas" in how
            assert "https://static.resultadosconvzla.com/RESULTADOS_2024_CSV_V2.csv" in how
            assert "296d35bbda1d6bd1" in how
        assert model.section("official").status in ("missing", "partial")
        assert model.section("summary").status == "complete"

    def test_summary_lists_the_missing_sections(self) -> None:
        model = build_report("venezuela-2024", options=ReportOptions(lang="es"))
        words = " ".join(text(i, "es") for b in model.section("summary").blocks
                         if hasattr(b, "items") for i in b.items)
        assert "Integridad de las actas: requiere las actas." in words


class TestIntegrity:
    def test_quarantine_table_matches_the_ingestion(self, mini_case: Case,
                                                    mini_ingest: IngestResult) -> None:
        section = build_report(mini_case, mini_ingest, NOFIG).section("integrity")
        q = _tables(section)["quarantine"]
        counts = {row[0].id.split(".")[2]: row[1] for row in q.rows}
        assert counts == mini_ingest.reasons()
        # tests/data/broken_sheets.csv: two rows for station S/10 disagree (lines 12, 13)
        assert counts["duplicate_conflict"] == 2
        first = {row[0].id.split(".")[2]: row[2:] for row in q.rows}
        assert first["not_integer"] == (4, "A", "3O")
        assert first["negative_count"][0] == 5

    def test_accounting_duplicates_and_conflicts(self, mini_case: Case,
                                                 mini_ingest: IngestResult) -> None:
        section = build_report(mini_case, mini_ingest, NOFIG).section("integrity")
        ids = {b.message.id: b.message.params for b in section.blocks
               if isinstance(b, Paragraph)}
        assert ids["report.integrity.accounting"] == {
            "rows_read": 18, "accepted": 6, "quarantined": 11, "duplicates": 1}
        assert ids["report.integrity.conflicts"] == {"n": 2}
        dup = _tables(section)["duplicates"]
        assert dup.rows == (("fixture", 11, 10, "", "9"),)

    def test_arithmetic_rules_checked_with_their_failures(self, mini_case: Case,
                                                         mini_ingest: IngestResult) -> None:
        arithmetic = _tables(build_report(mini_case, mini_ingest, NOFIG).section("integrity"))[
            "arithmetic"]
        status = {row[0].id: (row[2].id, row[3]) for row in arithmetic.rows}
        assert status == {
            "report.rule.candidate_sum_mismatch.name": ("report.integrity.checked", 1),
            "report.rule.ballot_sum_mismatch.name": ("report.integrity.checked", 1),
            "report.rule.voters_exceed_registered.name": ("report.integrity.checked", 1)}

    def test_simulated_sheets_have_no_quarantine(self, demo_case: Case,
                                                 demo_sheets: SheetTable) -> None:
        section = build_report(demo_case, demo_sheets, NOFIG).section("integrity")
        assert [b.message.id for b in section.blocks if isinstance(b, Paragraph)][-1] == \
            "report.integrity.not_ingested"


class TestSheetTotals:
    def test_national_and_regional_totals(self, demo_case: Case,
                                          demo_sheets: SheetTable) -> None:
        section = build_report(demo_case, demo_sheets, fast()).section("official")
        tables = _tables(section)
        national = tables["sheet-totals"]
        totals = demo_sheets.totals()
        valid = demo_sheets.total("valid")
        by_label = {row[0]: row for row in national.rows if isinstance(row[0], str)}
        assert by_label["Núñez"][2] == totals["C1"]
        assert by_label["Núñez"][3] == pytest.approx(100 * totals["C1"] / valid)
        assert [r[0] for r in national.rows[:3]] == ["Núñez", "Peña", "Ibáñez"]  # by votes
        regions = tables["sheet-totals-by-region"]
        assert len(regions.rows) == 12
        assert sum(r[3] for r in regions.rows) == totals["C1"]  # first candidate's votes
        assert sum(r[5] for r in regions.rows) == totals["C2"]
        assert sum(r[2] for r in regions.rows) == valid
        assert sum(r[1] for r in regions.rows) == len(demo_sheets)
        assert [b.name for b in section.blocks if b.kind == "figure"] == [
            "sheet-shares", "sheet-shares-by-region"]

    def test_coverage_sentence(self, demo_case: Case, demo_sheets: SheetTable) -> None:
        section = build_report(demo_case, demo_sheets, NOFIG).section("official")
        coverage = next(b.message for b in section.blocks if isinstance(b, Paragraph)
                        and b.message.id == "report.sheets.coverage")
        assert coverage.params["pct"] == pytest.approx(100.0)  # 1200 of 1200 tables
        assert text(coverage, "es").startswith("Las 1.200 actas aceptadas cubren el 100,00\u00a0% ")


class TestFamilies:
    def test_a_family_plugs_in_with_its_hook(self, demo_case: Case, demo_sheets: SheetTable,
                                            fake_family: list[int]) -> None:
        model = build_report(demo_case, demo_sheets, NOFIG)
        digits = model.section("digits")
        assert fake_family == [1]  # run once
        assert digits.status == "complete"
        assert not _missing(digits)
        assert [r.test for r in digits.results] == [r.test for r in fake_results()]
        callouts = [b for b in digits.blocks if isinstance(b, Callout)]
        assert [c.evidence for c in callouts] == [Evidence.STRONG, Evidence.WEAK,
                                                  Evidence.CONSISTENT]
        assert set(model.results) >= {"digits"}

    def test_results_passed_in_take_precedence_over_run(self, demo_case: Case,
                                                        demo_sheets: SheetTable,
                                                        fake_family: list[int]) -> None:
        given = fake_results()[:1]
        model = build_report(demo_case, demo_sheets, NOFIG, results={"digits": given})
        assert fake_family == []
        assert model.section("digits").results == tuple(given)

    def test_unmet_needs_give_a_line_and_no_call(self, demo_case: Case,
                                                 fake_family: list[int]) -> None:
        digits = build_report(demo_case).section("digits")
        assert fake_family == []
        assert [m.needs.id for m in _missing(digits)] == ["report.need.sheets"]
        assert digits.status == "missing"

    def test_summary_grades_the_evidence(self, demo_case: Case, demo_sheets: SheetTable,
                                         fake_family: list[int]) -> None:
        model = build_report(demo_case, demo_sheets, NOFIG)
        glance = _tables(model.section("methods"))["evidence-summary"]
        digits = next(row for row in glance.rows if row[0] == msg("report.summary.family.digits"))
        # results, contradictions, strong, moderate, weak, consistent, descriptive
        assert digits[1:] == (3, 0, 1, 0, 1, 1, 0)
        blocks = model.section("summary").blocks
        callouts = [b for b in blocks if isinstance(b, Callout)]
        # the case is simulated (its kind says so): the summary opens by saying so, as a
        # notice without an evidence label
        assert isinstance(blocks[0], Paragraph)
        assert blocks[0].message.id == "report.summary.simulated"
        assert model.title.notice is not None
        # a family without a summary hook: its findings only, strongest first
        assert [c.evidence for c in callouts] == [Evidence.STRONG, Evidence.WEAK]

    def test_methods_list_each_test_with_its_note(self, demo_case: Case,
                                                  demo_sheets: SheetTable,
                                                  fake_family: list[int]) -> None:
        methods = build_report(demo_case, demo_sheets, NOFIG).section("methods")
        ids = [getattr(b, "message", None) and b.message.id for b in methods.blocks]
        assert "report.col.statistic" in ids  # the fake note's method text
        unnamed = [b.message.params["test"] for b in methods.blocks
                   if getattr(b, "message", None) is not None
                   and b.message.id == "report.methods.no_note"]
        assert unnamed == ["digits.second_digit", "digits.other"]

    def test_results_without_a_builder_are_shown_generically(self, demo_case: Case,
                                                              demo_sheets: SheetTable) -> None:
        from audit.report.registry import _HOOKS

        hook = _HOOKS.pop(("crosscheck", "crosscheck"))  # as if no family had a builder
        try:
            section = build_report(demo_case, demo_sheets, NOFIG,
                                   results={"crosscheck": fake_results()}).section("crosscheck")
        finally:
            register_section(hook)
        table = _tables(section)["crosscheck-results"]
        assert [row[2] for row in table.rows] == [r.pvalue for r in fake_results()]

    def test_summary_hooks_say_what_each_side_claims(self, demo_case: Case) -> None:
        def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
            return [Paragraph(msg("report.side.official"))]
        register_section(SectionHook(section="summary", family="claims", build=build))
        try:
            summary = build_report(demo_case).section("summary")
        finally:
            unregister_section("summary", "claims")
        ids = [b.message.id for b in summary.blocks if isinstance(b, Paragraph)]
        assert "report.side.official" in ids
        assert "report.summary.claims_none" not in ids


def test_family_random_streams_depend_only_on_seed_and_name(mini_case: Case) -> None:
    a = ReportContext(case=mini_case, options=ReportOptions(seed=5))
    b = ReportContext(case=mini_case, options=ReportOptions(seed=5))
    c = ReportContext(case=mini_case, options=ReportOptions(seed=6))
    draw = [a.rng("digits").random(), b.rng("digits").random(), c.rng("digits").random(),
            a.rng("turnout").random()]
    assert draw[0] == draw[1]
    assert len(set(draw)) == 3
    assert np.isfinite(draw).all()


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        ReportOptions(lang="fr")


def test_a_hook_of_an_undeclared_section_is_refused() -> None:
    from audit.report.registry import hooks, register_section, unregister_section

    register_section(SectionHook(section="digit", family="x", build=lambda r, c: []))
    try:
        with pytest.raises(ValueError, match="undeclared report sections: digit;"):
            hooks()
    finally:
        unregister_section("digit", "x")
    assert hooks()  # the registry is whole again


def test_bundled_case_loads() -> None:
    assert load_case("venezuela-2024").election.tables == 30026


def test_claims_are_never_added_inside_the_installed_package(mini_case: Case) -> None:
    """A bundled case without a ledger (Russia 2011) is copied first, never edited in place;
    a case folder of the user's own gets the ledger in that folder."""
    bundled = build_report("russia-2011", options=NOFIG)
    hows = {text(m.how, lang) for s in bundled.sections for m in _missing(s)
            if m.needs.id == "report.need.claims" for lang in ("en", "es")}
    assert hows == {
        text(msg("report.how.claims_bundled", case="russia-2011"), "en"),
        text(msg("report.how.claims_bundled", case="russia-2011"), "es")}
    assert any("election-audit cases copy russia-2011 my-case" in h for h in hows)
    assert not any("to the case folder" in h or "a la carpeta del caso" in h for h in hows)
    own = build_report(mini_case, options=NOFIG)
    mine = {text(m.how, "en") for s in own.sections for m in _missing(s)
            if m.needs.id == "report.need.claims"}
    assert mine == {text(msg("report.how.claims", folder=mini_case.name), "en")}
