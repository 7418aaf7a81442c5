"""The forensics battery (audit.checks.forensics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit._json import dumps
from audit.checks import registry
from audit.checks.forensics import NATIONAL, run_forensics, scope_generator
from audit.checks.multiple import bh_adjust
from audit.checks.pvalues import METHODS
from audit.checks.registry import CheckSpec
from audit.checks.result import CheckResult, Evidence, Message, evidence_from_pvalue
from audit.errors import AuditError
from audit.model import SheetTable
from audit.simulate import simulate_clean


@pytest.fixture(scope="module")
def sheets() -> SheetTable:
    table = simulate_clean(n_tables=1_600, n_regions=3, rng=42)
    data = table.data.copy()
    data.loc[:11, "region_region_code"] = "R99"  # a region too small to test
    return SheetTable(data, candidates=table.candidates, levels=table.levels,
                      election=table.election, name="battery")


@pytest.fixture(scope="module")
def battery(sheets):
    return run_forensics(sheets, by="region", seed=7, n_resamples=49, checks=["digits"],
                         progress=False)


def test_scopes_and_skips(battery, sheets) -> None:
    keys = [s.key for s in battery.scopes]
    assert keys[0] == NATIONAL
    assert keys[1:] == ["region:R01", "region:R02", "region:R03", "region:R99"]
    assert battery.scopes[0].sheets == len(sheets)
    small = [s for s in battery.skipped if s.scope == "region:R99"]
    assert len(small) == 20  # every digit check, with the reason
    assert all(s.reason == "only 12 sheets; the check needs at least 30" for s in small)
    assert battery.candidate == sheets.leader()


def test_the_one_policy_adjusts_national_and_regional_families(battery) -> None:
    # national: the calibrated results of every test together (one candidate here)
    national = [e.result for e in battery.entries if e.calibrated and e.scope == NATIONAL]
    assert len(national) == 10
    assert [r.pvalue_adjusted for r in national] == pytest.approx(
        bh_adjust([r.pvalue for r in national]))
    # regional: each test across the regions, apart from the national family
    for test in ("digits.last_digit", "digits.c05"):
        regional = [e.result for e in battery.entries
                    if e.calibrated and e.scope != NATIONAL and e.result.test == test]
        assert len(regional) == 3
        assert [r.pvalue_adjusted for r in regional] == pytest.approx(
            bh_adjust([r.pvalue for r in regional]))
    for e in battery.entries:
        if e.calibrated:
            assert e.result.pvalue_adjusted >= e.result.pvalue
            assert e.result.evidence is evidence_from_pvalue(e.result.pvalue_adjusted)
        else:  # textbook nulls: descriptive, whatever their p-value
            assert e.result.test.endswith(".textbook")
            assert e.result.pvalue_adjusted is None
            assert e.result.evidence is Evidence.NOT_TESTED
            assert e.reason == "textbook"
        assert e.result.scope == e.scope
        assert e.result.candidate == battery.candidate
        assert e.result.pvalue_method in METHODS


def test_summary_table(battery) -> None:
    summary = battery.summary()
    assert list(summary.columns) == ["scope", "region_code", "region_name", "sheets", "tests",
                                     "skipped", "flags", "strongest", "min_pvalue_adjusted",
                                     "min_test", "min_candidate", "descriptive"]
    assert summary["scope"].tolist()[0] == NATIONAL
    national = summary.iloc[0]
    assert national["tests"] == 20
    assert national["descriptive"] == 10
    assert national["flags"] == 0  # a clean election
    assert summary.set_index("scope").loc["region:R99", "tests"] == 0
    verdict = battery.verdict()
    assert not verdict.flagged
    assert verdict.family_size == 10
    assert verdict.findings == ()
    assert verdict.message.id == "forensics.verdict.not_flagged"


def test_same_seed_byte_identical_json(sheets, battery) -> None:
    again = run_forensics(sheets, by="region", seed=7, n_resamples=49, checks=["digits"],
                          progress=False)
    other = run_forensics(sheets, by="region", seed=8, n_resamples=49, checks=["digits"],
                          progress=False)
    assert dumps(again.to_dict()) == dumps(battery.to_dict())
    assert dumps(other.to_dict()) != dumps(battery.to_dict())


def test_json_schema(battery) -> None:
    payload = battery.to_dict()
    assert set(payload) == {"schema", "schema_version", "package_version", "level", "seed",
                            "n_resamples", "candidate", "candidates", "declared_winner",
                            "alpha", "sheets", "provenance", "multiple_comparisons",
                            "verdict", "scopes", "results", "skipped", "summary"}
    assert payload["schema"] == "election-audit/forensics"
    assert payload["schema_version"] == 2
    policy = payload["multiple_comparisons"]
    assert policy["name"] == "hierarchical-bh"
    assert policy["national_family_size"] == 10
    assert policy["regional_families"] == 10  # each calibrated test across the 3 regions
    assert policy["descriptive_results"] == 40
    assert payload["verdict"]["flagged"] is False
    result = next(r for r in payload["results"] if r["test"] == "digits.second_digit")
    assert "null_distribution" not in result
    assert set(result["null_quantiles"]) == {"q025", "q500", "q975"}
    for key in ("scope", "family", "calibrated", "test", "candidate", "statistic", "pvalue",
                "pvalue_adjusted", "pvalue_method", "z", "evidence", "effect", "effect_unit",
                "n", "null", "excluded", "table", "message", "sentence", "params",
                "descriptive_reason"):
        assert key in result


def test_scope_generators_depend_on_names_not_order() -> None:
    a = scope_generator(1, "region:R01", "digits").random(3)
    b = scope_generator(1, "region:R01", "digits").random(3)
    c = scope_generator(1, "region:R02", "digits").random(3)
    d = scope_generator(1, "region:R01", "turnout").random(3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, d)


def _fake_spec(name: str, *, needs: frozenset[str] = frozenset(),
               error: bool = False) -> CheckSpec:
    def run(sheets: SheetTable, rng: np.random.Generator, options: object = None) -> CheckResult:
        if error:
            raise ValueError("no counts large enough\n in this region")
        return CheckResult(test=name, statistic=1.0, pvalue=0.5, n=len(sheets),
                           message=Message("common.no_message"), table=pd.DataFrame())
    return CheckSpec(name=name, family="fake", run=run, needs=needs, min_units=1)


def test_missing_columns_and_failing_checks_are_skipped(monkeypatch, sheets) -> None:
    monkeypatch.setitem(registry._REGISTRY, "fake.needs",
                        _fake_spec("fake.needs", needs=frozenset({"blank"})))
    monkeypatch.setitem(registry._REGISTRY, "fake.fails", _fake_spec("fake.fails", error=True))
    result = run_forensics(sheets, by="region", seed=1, checks=["fake"], progress=False)
    reasons = {(s.scope, s.test): s.reason for s in result.skipped}
    assert reasons[(NATIONAL, "fake.needs")] == "needs blank, which these sheets do not state"
    assert reasons[(NATIONAL, "fake.fails")] == "no counts large enough in this region"
    assert len(result.entries) == 0


def test_progress_bar_goes_to_stderr(capsys, sheets) -> None:
    run_forensics(sheets, seed=1, n_resamples=19, checks=["digits.c05"], progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "forensics" in captured.err
    run_forensics(sheets, seed=1, n_resamples=19, checks=["digits.c05"], progress=False)
    assert capsys.readouterr().err == ""


def test_input_errors(sheets) -> None:
    with pytest.raises(AuditError, match="unknown region level 'state'"):
        run_forensics(sheets, by="state", progress=False)
    with pytest.raises(AuditError, match="unknown check or family nope"):
        run_forensics(sheets, checks=["nope"], progress=False)
    with pytest.raises(AuditError, match="unknown candidate"):
        run_forensics(sheets, candidate="ZZ", progress=False)
    with pytest.raises(AuditError, match="no tally sheets"):
        run_forensics(sheets.subset(np.zeros(len(sheets), dtype=bool)), progress=False)


def test_candidate_is_fixed_across_regions(sheets) -> None:
    result = run_forensics(sheets, by="region", seed=1, n_resamples=19, candidate="C2",
                           checks=["digits.last_digit"], progress=False)
    assert {tuple(e.result.params["column"]) for e in result.entries} == {("votes_C2",)}


@pytest.mark.realdata
@pytest.mark.slow
def test_venezuela_2024_battery_by_state() -> None:
    """Issue 4: the battery runs on the opposition's V2 sheets and is summarised per state."""
    from helpers import real_case

    # V2 through the real ingest: its profile, joined to V1 for registered voters
    sheets = real_case("venezuela-2024", "opposition-v2")
    result = run_forensics(sheets, by="state", seed=28, n_resamples=19, n_refits=2,
                           progress=False)
    summary = result.summary()
    assert len(summary) == 1 + sheets.data["region_state_code"].nunique()
    assert result.candidate == "EG"
    national = {e.result.test for e in result.entries if e.scope == NATIONAL}
    assert national == {s.name for s in registry.registered()}  # every check, nationally
    # per state every check but the slow Klimek fit (run nationally only by default)
    reasons = {s.reason for s in result.skipped}
    assert reasons <= {"slow check, run nationally only (per region with "
                       "slow_by_region=True; on the command line, --slow-by-region)"}, reasons
    assert len(result.skipped) == len(summary) - 1
