"""The claims ledger: parsing figures as announced, validation (one problem per bad field),
the bundled Venezuela timeline, and appending a claim without losing the file."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from audit.cases import load_case, load_case_claims
from audit.errors import ClaimsError
from audit.ledger import (
    ClaimValidationError,
    append_claim,
    load_ledger,
    parse_claim_time,
    parse_ledger,
    parse_percent,
    parse_quantity,
)

VE = load_case("venezuela-2024").election

GOOD = """\
# a comment that must survive
election: venezuela-2024
claims:
  - id: b1                      # trailing comment
    datetime: "2024-07-29T00:06:00-04:00"
    side: official
    source: {citation: "CNE Bulletin 1"}
    counts: {NM: 5150092, EG: 4445978, OTHERS: 462704}
    percentages: {NM: "51.20", EG: "44.2", OTHERS: "4.6"}
"""


def test_the_agreed_example_loads(fixtures: Path) -> None:
    """The example of the format agreed with the simulator (CLAIMS_FORMAT.md), verbatim."""
    led = load_ledger(fixtures / "claims_agreed_example.yaml", election=VE)
    (c,) = led.claims
    assert c.percentages["NM"].text == "51.20"
    assert c.coverage.tables == 24384
    assert c.valid is None
    assert c.turnout_pct is not None
    assert c.turnout_pct.text == "59"


class TestFigures:
    def test_percent_keeps_its_precision(self) -> None:
        p, rule = parse_percent("51.20")
        assert rule == ""
        assert p is not None
        assert p.decimals == 2
        assert p.interval() == (Fraction("51.195"), Fraction("51.205"))
        assert p.grid_decimals == 1  # "51.20" lies on the 0.1% grid
        q, _ = parse_percent("51.2")
        assert q is not None
        assert q.interval() == (Fraction("51.15"), Fraction("51.25"))
        assert p.interval("down") == (Fraction("51.20"), Fraction("51.21"))

    @pytest.mark.parametrize(("value", "rule"), [
        (51.2, "float_percentage"), ("51,2", "bad_percentage"), ("abc", "bad_percentage"),
        ("101", "out_of_range"), (True, "bad_percentage"), (">40", "bad_percentage")])
    def test_bad_percentages(self, value: object, rule: str) -> None:
        assert parse_percent(value) == (None, rule)

    def test_bounds_only_for_coverage(self) -> None:
        p, _ = parse_percent(">40", allow_bound=True)
        assert p is not None
        assert p.bound == "lower"
        assert p.interval() == (Fraction(40), Fraction(100))

    def test_rounded_counts_are_intervals(self) -> None:
        q = parse_quantity("6.89M")
        assert q is not None
        assert (q.low, q.high, q.exact) == (6_885_000, 6_894_999, False)
        q = parse_quantity("120k")
        assert q is not None
        assert (q.low, q.high) == (119_500, 120_499)
        exact = parse_quantity(5150092)
        assert exact is not None
        assert (exact.low, exact.high, exact.exact) == (5150092, 5150092, True)
        for bad in (-1, "5,150,092", 1.5, True, "many"):
            assert parse_quantity(bad) is None

    def test_times(self) -> None:
        tz = dt.timezone(dt.timedelta(hours=-4))
        t, _ = parse_claim_time("2024-07-29T00:06:00-04:00", tz)
        assert t is not None
        assert t.kind == "at"
        assert t.start == dt.datetime(2024, 7, 29, 4, 6, tzinfo=dt.timezone.utc)
        d, _ = parse_claim_time("2024-07-29", tz)
        assert d is not None
        assert d.sort_key == dt.datetime(2024, 7, 29, 12, 0, tzinfo=tz)
        b, _ = parse_claim_time("<=2024-07-31T11:50:00-04:00", tz)
        assert b is not None
        assert b.kind == "no_later_than"
        r, _ = parse_claim_time("2024-08-01/2024-08-02T18:12:00-04:00", tz)
        assert r is not None
        assert r.kind == "between"
        assert parse_claim_time("2024-07-29T00:06:00", tz) == (None, "naive_datetime")
        assert parse_claim_time("29/07/2024", tz)[0] is None
        assert parse_claim_time("2024-08-02/2024-08-01", tz)[0] is None


class TestBundledLedger:
    def test_loads_every_claim_in_time_order(self) -> None:
        _, led = load_case_claims("venezuela-2024")
        assert len(led) == 21
        ids = [c.id for c in led.timeline()]
        assert ids.index("cne-b1") < ids.index("opp-73pct") < ids.index("cne-b2") \
            < ids.index("tsj-ruling")
        assert ids[0] == "edison-exit-poll"
        assert ids[-1] == "carter-center-oas"
        assert all(c.source.citation for c in led.claims)

    def test_announced_precision_kept(self) -> None:
        _, led = load_case_claims("venezuela-2024")
        b1 = led.get("cne-b1")
        assert b1.percentages["NM"].text == "51.20"
        assert b1.percentages["EG"].text == "44.2"
        # CNE bulletin 1 as read by Elvis Amoroso (Xinhua, 29 Jul 2024)
        assert {k: q.low for k, q in b1.counts.items()} == {
            "NM": 5150092, "EG": 4445978, "OTHERS": 462704}
        b2 = led.get("cne-b2")
        assert b2.valid is not None
        assert b2.valid.low == 12335884  # CNE bulletin 2 (sunoticiero.net, 2 Aug 2024)
        assert b2.registered is not None
        assert b2.registered.low == 21321805
        assert led.get("tsj-ruling").endorses == ("cne-b2",)
        assert not led.get("tsj-ruling").has_figures

    def test_frame_and_dict(self) -> None:
        _, led = load_case_claims("venezuela-2024")
        frame = led.frame(VE)
        assert list(frame.columns) == ["datetime", "id", "side", "series", "scope",
                                       "coverage", "figures", "citation"]
        row = frame.set_index("id").loc["cne-b1"]
        assert row["figures"].startswith("NM 5,150,092 (51.20%); EG 4,445,978 (44.2%)")
        d = led.to_dict()
        assert d["claims"][1]["percentages"] == {"NM": "51.20", "EG": "44.2", "OTHERS": "4.6"}


class TestValidation:
    def problems(self, text: str) -> list:
        with pytest.raises(ClaimValidationError) as info:
            parse_ledger(text, election=VE, origin="claims.yaml")
        return list(info.value.problems)

    def test_good_ledger(self) -> None:
        led = parse_ledger(GOOD, election=VE)
        assert [c.id for c in led.claims] == ["b1"]

    def test_one_problem_per_bad_field_with_id_field_value_rule_line(self) -> None:
        text = GOOD.replace('NM: "51.20"', "NM: 51.20").replace(
            "side: official", "side: government").replace(
            "EG: 4445978", "EG: -5").replace(
            '"2024-07-29T00:06:00-04:00"', '"2024-07-29T00:06:00"')
        got = {(p.claim, p.field, p.rule) for p in self.problems(text)}
        assert got == {("b1", "percentages.NM", "float_percentage"),
                       ("b1", "side", "bad_choice"),
                       ("b1", "counts.EG", "bad_count"),
                       ("b1", "datetime", "naive_datetime")}
        problems = {p.field: p for p in self.problems(text)}
        assert problems["counts.EG"].value == -5
        assert problems["counts.EG"].line == 8
        assert problems["side"].line == 6
        message = str(problems["percentages.NM"])
        assert message.startswith("line 9: claim 'b1', field 'percentages.NM' = 51.2: write "
                                  "percentages as quoted strings")
        assert message.endswith("(float_percentage)")

    def test_error_is_one_line_naming_every_problem(self) -> None:
        text = GOOD.replace("side: official", "side: government").replace(
            "    source:", "    sourse:")
        with pytest.raises(ClaimsError) as info:
            parse_ledger(text, election=VE, origin="claims.yaml")
        msg = str(info.value)
        assert msg.startswith("claims.yaml: 3 problems: ")
        assert "field 'sourse'" in msg
        assert "(unknown_field)" in msg
        assert "field 'source' = None: a required field is missing" in msg

    @pytest.mark.parametrize(("old", "new", "field", "rule"), [
        ("id: b1", "id: B 1", "id", "bad_id"),
        ("NM: 5150092,", "XX: 5150092,", "counts.XX", "unknown_candidate"),
        ("side: official", "side: official\n    endorses: [nope]", "endorses",
         "unknown_reference"),
        ("side: official", "side: official\n    scope: '99'\n    scope_level: state", "scope",
         "bad_scope"),
        ("side: official", "side: official\n    derived: maybe", "derived", "bad_bool"),
        ("side: official", "side: official\n    coverage: {tables: -3}", "coverage.tables",
         "bad_int"),
        ("side: official", "side: official\n    coverage: {share: '80'}", "coverage.share",
         "unknown_field"),
    ])
    def test_rules(self, old: str, new: str, field: str, rule: str) -> None:
        problems = self.problems(GOOD.replace(old, new, 1))
        assert [(p.field, p.rule) for p in problems] == [(field, rule)]

    def test_duplicate_ids_and_wrong_election(self) -> None:
        item = GOOD.split("claims:\n", 1)[1]
        text = GOOD.replace("election: venezuela-2024", "election: elsewhere") + item
        rules = sorted(p.rule for p in self.problems(text))
        assert rules == ["duplicate_id", "wrong_election"]

    def test_others_with_every_candidate(self) -> None:
        counts = ", ".join(f"{k}: 1" for k in VE.candidate_keys)
        text = GOOD.replace("{NM: 5150092, EG: 4445978, OTHERS: 462704}",
                            "{" + counts + ", OTHERS: 2}").replace(
            '    percentages: {NM: "51.20", EG: "44.2", OTHERS: "4.6"}\n', "")
        assert [p.rule for p in self.problems(text)] == ["others_with_all"]

    def test_syntax_error_has_a_line(self) -> None:
        problems = self.problems(GOOD + "  - id: [unclosed\n")
        assert problems[0].rule == "yaml_syntax"
        assert problems[0].line is not None

    def test_not_a_mapping(self) -> None:
        assert self.problems("- a\n- b\n")[0].rule == "not_a_mapping"

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(ClaimsError, match="not found"):
            load_ledger(tmp_path / "nope.yaml")


class TestAppend:
    NEW: ClassVar[dict[str, Any]] = {"id": "b2", "datetime": "2024-08-02", "side": "official",
           "source": {"citation": "CNE Bulletin 2"}, "coverage": {"tables_pct": "96.87"},
           "counts": {"NM": 6408844, "EG": 5326104}, "percentages": {"NM": "51.95"}}

    def test_appends_keeping_comments_and_precision(self, tmp_path: Path) -> None:
        path = tmp_path / "claims.yaml"
        path.write_text(GOOD + "\n", encoding="utf-8")
        added = append_claim(path, self.NEW, election=VE)
        text = path.read_text(encoding="utf-8")
        assert text.startswith(GOOD)  # every byte of the old file kept
        assert "# trailing comment" in text
        assert added.percentages["NM"].text == "51.95"
        led = load_ledger(path, election=VE)
        assert [c.id for c in led.claims] == ["b1", "b2"]
        assert yaml.safe_load(text)["claims"][1]["percentages"] == {"NM": "51.95"}

    def test_creates_a_ledger(self, tmp_path: Path) -> None:
        path = tmp_path / "claims.yaml"
        append_claim(path, self.NEW, election=VE)
        assert [c.id for c in load_ledger(path, election=VE).claims] == ["b2"]

    def test_claims_list_before_another_key(self, tmp_path: Path) -> None:
        path = tmp_path / "claims.yaml"
        path.write_text("claims: []\nelection: venezuela-2024  # last\n", encoding="utf-8")
        append_claim(path, self.NEW, election=VE)
        assert "# last" in path.read_text(encoding="utf-8")
        assert [c.id for c in load_ledger(path, election=VE).claims] == ["b2"]

    def test_invalid_claim_is_not_written(self, tmp_path: Path) -> None:
        path = tmp_path / "claims.yaml"
        path.write_text(GOOD, encoding="utf-8")
        bad = {**self.NEW, "percentages": {"NM": 51.95}}
        with pytest.raises(ClaimValidationError) as info:
            append_claim(path, bad, election=VE)
        assert [(p.claim, p.field, p.rule) for p in info.value.problems] == [
            ("b2", "percentages.NM", "float_percentage")]
        assert path.read_text(encoding="utf-8") == GOOD
        with pytest.raises(ClaimValidationError, match="duplicate_id"):
            append_claim(path, {**self.NEW, "id": "b1"}, election=VE)
        assert path.read_text(encoding="utf-8") == GOOD
