"""Claim checks: arithmetic, round percentages, successive claims, claims against sheets,
compatibility. Reference numbers are Venezuela 2024 figures (sources beside them) and hand
computations; properties are checked with hypothesis; the round-percentage p-value is
calibrated by simulation."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers import parsed_claim, real_file
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.aggregate import read_aggregates, summarise
from audit.cases import load_case_claims
from audit.checks.claims import (
    check_against_sheets,
    check_arithmetic,
    check_compatibility,
    check_round_percentages,
    check_successive,
    compare_claims,
)
from audit.checks.result import Evidence
from audit.ledger import Claim
from audit.model import Election, SheetTable

CASE, LEDGER = load_case_claims("venezuela-2024")
VE = CASE.election
AGG_V1 = read_aggregates(CASE.path / "aggregates_opposition-v1.csv")
AGG_V2 = read_aggregates(CASE.path / "aggregates_opposition-v2.csv")
SHEETS = "venezuela_2024_resultadosconvzla_actas"


def claim(raw: dict[str, Any], election: Election | None = VE) -> Claim:
    return parsed_claim(raw, election)


def pct_text(count: int, base: int, decimals: int) -> str:
    """Round half up of 100 * count / base at ``decimals`` (how the tests announce shares)."""
    units = math.floor(Fraction(200 * 10 ** decimals * count + base, 2 * base))
    text = str(units).rjust(decimals + 1, "0")
    return text if decimals == 0 else f"{text[:-decimals]}.{text[-decimals:]}"


def small_sheets() -> tuple[SheetTable, Election]:
    """8 tally sheets of a 10-table election with 1,000 registered voters (100 per table)."""
    election = Election.from_dict({
        "id": "small", "name": "small", "date": "2024-01-01", "tables": 10,
        "registered": 1000, "candidates": [{"key": "A", "name": "A"}, {"key": "B", "name": "B"}]})
    n = 8
    data = pd.DataFrame({
        "center_id": ["c"] * n, "table_id": [str(i) for i in range(n)],
        "registered": pd.array([100] * n, dtype="Int64"), "valid": np.full(n, 75),
        "null": pd.array([0] * n, dtype="Int64"), "votes_A": np.full(n, 50),
        "votes_B": np.full(n, 25), "source": "fixture", "line": np.arange(2, n + 2)})
    return SheetTable(data, candidates=("A", "B"), election=election, name="fixture"), election


@pytest.fixture(scope="module")
def v1():
    from audit.ingest import read_sheets

    return read_sheets(real_file(SHEETS, "RESULTADOS_2024_CSV_V1.csv")).sheets


# --------------------------------------------------------------------------------------------
# a. Arithmetic
# --------------------------------------------------------------------------------------------


class TestArithmetic:
    def test_bulletin_2_adds_up_and_turnout_is_extrapolated(self) -> None:
        r = check_arithmetic(LEDGER.get("cne-b2"), VE)
        assert r.evidence is Evidence.CONSISTENT
        assert r.failures == ()
        assert r.n == 18  # sums, 10 percentages, their total, valid/null %, turnout, coverage
        turnout = r.table.set_index("rule").loc["turnout"]
        # 12,386,669 / 20,654,431 = 59.97% (registered of the transmitted actas); equivalently
        # 12,386,669 / 0.9687 / 21,321,805 = 59.97%, not 12,386,669 / 21,321,805 = 58.09%
        assert turnout["computed"] == "59.9710009"
        assert "covered tables" in turnout["note"]
        assert r.message.id == "claims.arithmetic.consistent"

    def test_bulletin_1_turnout_only_as_an_extrapolation(self) -> None:
        r = check_arithmetic(LEDGER.get("cne-b1"), VE)
        assert r.evidence is Evidence.CONSISTENT
        row = r.table.set_index("rule").loc["turnout"]
        # 10,058,774 / [0.795, 0.805) / 21,392,464: the "80%" coverage and the registry
        assert "extrapolated" in row["note"]
        assert r.message.id == "claims.arithmetic.consistent_extrapolated"
        shares = r.table[r.table["rule"] == "percentage"]["computed"].tolist()
        assert shares == ["51.1999971", "44.1999989", "4.6000039"]

    def test_every_bundled_claim_adds_up(self) -> None:
        for c in LEDGER.claims:
            assert check_arithmetic(c, VE).evidence is not Evidence.IMPOSSIBLE, c.id

    def test_mistranscriptions_fail(self) -> None:
        # Versions in circulation that the sums reject (fact file §3.1, §3.3).
        b2 = LEDGER.get("cne-b2").raw
        wrong_nm = claim({**b2, "counts": {**b2["counts"], "NM": 6480844}})
        r = check_arithmetic(wrong_nm, VE)
        assert r.evidence is Evidence.IMPOSSIBLE
        assert r.failures == ("counts_sum", "percentage")
        assert r.message.id == "claims.arithmetic.fail_counts_sum"
        assert r.sentence.startswith("cne-b2: the candidates' counts add up to 12,407,884, not "
                                     "the stated 12,335,884 valid votes")
        b1 = LEDGER.get("cne-b1").raw
        r = check_arithmetic(claim({**b1, "percentages": {**b1["percentages"], "EG": "44.02"}}),
                             VE)
        assert "percentage" in r.failures
        r = check_arithmetic(claim({**b2, "turnout_pct": "59.7"}), VE)
        assert r.failures == ("turnout",)

    def test_rounded_counts_are_intervals(self) -> None:
        r = check_arithmetic(claim({"counts": {"EG": "6.89M", "NM": "3.13M"},
                                    "valid": "10.26M"}), VE)
        assert r.evidence is Evidence.CONSISTENT
        r = check_arithmetic(claim({"counts": {"EG": "6.89M", "NM": "3.13M"},
                                    "valid": "9.9M"}), VE)
        assert r.failures == ("counts_le_valid",)

    def test_hand_computed_small_claim(self) -> None:
        c = claim({"counts": {"NM": 2, "EG": 1}, "percentages": {"NM": "66.67", "EG": "33.3"},
                   "percent_base": "valid", "valid": 3, "null_votes": 1, "voters": 4,
                   "registered": 5, "turnout_pct": "80"})
        r = check_arithmetic(c, VE)
        assert r.evidence is Evidence.CONSISTENT
        # two of ten candidates listed: their counts may not exceed the valid votes
        assert set(r.table["rule"]) == {"counts_le_valid", "ballots_sum",
                                        "voters_le_registered", "percentage", "percent_total",
                                        "turnout"}
        c = claim({"counts": {"NM": 2, "EG": 1}, "percentages": {"NM": "66.66"},
                   "percent_base": "valid", "voters": 6, "registered": 5})
        r = check_arithmetic(c, VE)  # no valid total: the percentage has no base
        assert r.failures == ("voters_le_registered",)
        c = claim({"counts": {"NM": 2, "EG": 1}, "percentages": {"NM": "66.66"},
                   "percent_base": "valid", "valid": 3})
        # 2/3 = 66.667% is not in [66.655, 66.665)
        assert check_arithmetic(c, VE).failures == ("percentage",)

    def test_nothing_to_check(self) -> None:
        r = check_arithmetic(LEDGER.get("tsj-ruling"), VE)
        assert r.evidence is Evidence.NOT_TESTED
        assert r.n == 0


@st.composite
def consistent_claims(draw: st.DrawFn) -> dict[str, Any]:
    k = draw(st.integers(2, 5))
    counts = draw(st.lists(st.integers(0, 2_000_000), min_size=k, max_size=k))
    if sum(counts) == 0:
        counts[0] = 1
    valid = sum(counts)
    null = draw(st.integers(0, 50_000))
    voters = valid + null
    registered = voters + draw(st.integers(0, 10_000_000))
    decimals = draw(st.lists(st.integers(0, 3), min_size=k, max_size=k))
    keys = [*VE.candidate_keys[:k - 1], "OTHERS"]  # a complete list: OTHERS is the rest
    d_t = draw(st.integers(0, 2))
    return {"keys": keys, "counts": counts, "valid": valid, "null": null, "voters": voters,
            "registered": registered, "decimals": decimals,
            "raw": {"counts": dict(zip(keys, counts, strict=True)),
                    "percentages": {key: pct_text(c, valid, d) for key, c, d
                                    in zip(keys, counts, decimals, strict=True)},
                    "percent_base": "valid", "valid": valid, "null_votes": null,
                    "voters": voters, "registered": registered,
                    "turnout_pct": pct_text(voters, registered, d_t)}}


class TestArithmeticProperties:
    @given(consistent_claims())
    def test_consistent_claims_never_fail(self, spec: dict[str, Any]) -> None:
        r = check_arithmetic(claim(spec["raw"]), VE)
        assert r.failures == ()
        assert r.evidence is Evidence.CONSISTENT

    @given(consistent_claims(), st.data())
    def test_a_percentage_off_by_one_unit_always_fails(self, spec: dict[str, Any],
                                                       data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(spec["keys"]) - 1))
        key, d = spec["keys"][i], spec["decimals"][i]
        value = Fraction(spec["raw"]["percentages"][key])
        step = Fraction(1, 10 ** d) * (1 if value + Fraction(1, 10 ** d) <= 100 else -1)
        new = value + step
        text = f"{float(new):.{d}f}"
        raw = {**spec["raw"], "percentages": {**spec["raw"]["percentages"], key: text}}
        r = check_arithmetic(claim(raw), VE)
        assert "percentage" in r.failures

    @given(consistent_claims(), st.data())
    def test_a_perturbed_count_always_fails(self, spec: dict[str, Any],
                                            data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(spec["keys"]) - 1))
        key = spec["keys"][i]
        delta = data.draw(st.integers(-spec["counts"][i], 10_000).filter(lambda x: x != 0))
        raw = {**spec["raw"], "counts": {**spec["raw"]["counts"],
                                         key: spec["counts"][i] + delta}}
        r = check_arithmetic(claim(raw), VE)
        assert r.evidence is Evidence.IMPOSSIBLE
        assert "counts_sum" in r.failures


# --------------------------------------------------------------------------------------------
# b. Round percentages
# --------------------------------------------------------------------------------------------


class TestRoundPercentages:
    def test_bulletin_1_one_in_a_hundred_million(self) -> None:
        r = check_round_percentages(LEDGER.get("cne-b1"), VE)
        t = r.table.set_index("key")
        assert t["offset"].tolist() == [0, 0, 0]
        assert t["target"].tolist() == [5150092, 4445978, 462704]
        # "51.20" lies on the 0.1% grid: cells of 10,059 and 10,058 votes
        assert t["grid"].tolist() == [0.1, 0.1, 0.1]
        assert t.loc["EG", "cell_votes"] == 10059
        assert t.loc["OTHERS", "cell_votes"] == 10058
        assert t.loc["NM", "role"] == "forced"
        assert (r.hits, r.free) == (2, 2)
        # Gelman (31 Jul 2024), Tao (2 Aug 2024): "about 1 in 100 million"
        assert r.pvalue == pytest.approx(1 / (10059 * 10058), rel=1e-12)
        assert r.pvalue == pytest.approx(9.88e-9, rel=1e-3)
        assert r.pvalue_closeness == pytest.approx(r.pvalue)
        assert r.evidence is Evidence.STRONG
        assert "9.9 × 10⁻⁹ (1 in 101,000,000)" in r.sentence
        assert r.message.render("es").endswith("9,9 × 10⁻⁹ (1 entre 101.000.000).")

    def test_bulletin_2_not_flagged(self) -> None:
        r = check_round_percentages(LEDGER.get("cne-b2"), VE)
        offsets = dict(zip(r.table["key"], r.table["offset"], strict=True))
        # forensics notes §6.4: offsets +352, −531, −605 votes on the 0.01% grid
        assert (offsets["NM"], offsets["EG"], offsets["LM"]) == (352, -531, -605)
        assert offsets["EM"] == 5
        assert set(r.table["cell_votes"]) <= {1233, 1234}
        assert (r.hits, r.free) == (0, 9)
        assert r.pvalue == 1.0
        assert r.evidence is Evidence.CONSISTENT
        assert r.pvalue_closeness > 0.8

    def test_tolerance_version(self) -> None:
        # with k = 5 votes, EM (offset 5) hits: P = 11/N for EM and (2k+1)/N for the others
        r = check_round_percentages(LEDGER.get("cne-b2"), VE, tolerance=5)
        assert r.hits == 1
        free = r.table[r.table["role"] == "free"]
        expected = 1 - np.prod(1 - 11 / free["cell_votes"].to_numpy())
        assert r.pvalue == pytest.approx(expected)
        assert 0.05 < r.pvalue < 0.1

    def test_counts_not_forced_when_the_list_is_partial(self) -> None:
        # percentages of valid for two of ten candidates: both are free
        r = check_round_percentages(LEDGER.get("opp-csv-v1"), VE)
        assert r.free == 2
        assert set(r.table["role"]) == {"free"}

    def test_hand_computed(self) -> None:
        # T = 1000, grid 1%: cells of 10 votes; A = 300 and B = 500 exactly on, C forced
        c = claim({"counts": {"NM": 300, "EG": 500, "OTHERS": 200},
                   "percentages": {"NM": "30", "EG": "50", "OTHERS": "20"}})
        r = check_round_percentages(c, VE)
        assert r.pvalue == pytest.approx(0.1 * 0.1)
        # the largest count (here NM) is the forced one; EG hits, OTHERS is 3 votes off
        c = claim({"counts": {"NM": 503, "EG": 300, "OTHERS": 197},
                   "percentages": {"NM": "50", "EG": "30", "OTHERS": "20"}})
        r = check_round_percentages(c, VE)
        assert r.hits == 1
        assert r.pvalue == pytest.approx(1 - 0.9 * 0.9)
        assert r.box_probability == pytest.approx((7 / 10) * (1 / 10))

    def test_not_tested_without_total(self) -> None:
        for cid, reason in (("edison-exit-poll", "no_total"), ("ap-tabulation", "no_total"),
                            ("opp-csv-v2", "no_pairs")):
            r = check_round_percentages(LEDGER.get(cid), VE)
            assert r.pvalue is None
            assert r.message.id == f"claims.round.not_tested_{reason}"

    @settings(max_examples=3, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), total=st.integers(3_000, 8_000),
           tolerance=st.sampled_from([0, 2]))
    def test_pvalue_is_uniform_under_the_null(self, seed: int, total: int,
                                              tolerance: int) -> None:
        """Honest multinomial counts announced at 1% precision: P(p <= a) = a at the
        attainable levels a (up to Monte Carlo error), and never above a."""
        rng = np.random.default_rng(seed)
        reps = 1000
        pvalues = np.empty(reps)
        for i in range(reps):
            counts = rng.multinomial(total, rng.dirichlet([3.0, 2.0, 1.0]))
            raw = {"counts": {"NM": int(counts[0]), "EG": int(counts[1]),
                              "OTHERS": int(counts[2])},
                   "percentages": {"NM": pct_text(int(counts[0]), total, 0),
                                   "EG": pct_text(int(counts[1]), total, 0),
                                   "OTHERS": pct_text(int(counts[2]), total, 0)},
                   "percent_base": "valid", "valid": total}
            pvalues[i] = check_round_percentages(claim(raw), VE, tolerance=tolerance).pvalue
        # smallest non-trivial attainable level: one of two free counts within k votes
        p_one = 1 - (1 - (2 * tolerance + 1) / (total / 100)) ** 2
        level = p_one * 1.02  # the cells hold floor or ceil of T/100 votes
        observed = float(np.mean(pvalues <= level))
        se = math.sqrt(p_one * (1 - p_one) / reps)
        assert abs(observed - p_one) < 4 * se + 0.01
        for alpha in (0.01, 0.05, 0.1, 0.2, 0.5):
            assert np.mean(pvalues <= alpha) <= alpha + 4 * math.sqrt(alpha / reps)


# --------------------------------------------------------------------------------------------
# c. Successive claims
# --------------------------------------------------------------------------------------------


class TestSuccessive:
    def test_bulletin_1_to_2_increment(self) -> None:
        r = check_successive(LEDGER.get("cne-b1"), LEDGER.get("cne-b2"), VE)
        t = r.table.set_index("key")
        # fact file §3.3: NM +1,258,752, EG +880,126, others +138,232, total +2,277,110
        assert t["increment"].to_dict() == {"NM": 1258752, "EG": 880126, "OTHERS": 138232}
        assert t.loc["NM", "share_increment"] == pytest.approx(1258752 / 2277110)
        assert round(100 * t.loc["NM", "share_increment"], 1) == 55.3
        assert round(100 * t.loc["EG", "share_increment"], 1) == 38.7
        assert r.decreases == ()
        # the increment covers at least 96.865% − 80.5% of 30,026 tables
        assert r.tables_added is not None
        assert r.tables_added[0] == 29085 - 24170
        assert r.effect == pytest.approx(100 * (1258752 / 2277110 - 5150092 / 10058774))
        # worst-case SE 0.5 * sqrt(1.25 * (1/4915 + 1/23871)) = 0.008756 -> NM z = 4.658
        assert t.loc["NM", "z_worst"] == pytest.approx(4.658, abs=0.001)
        assert r.pvalue is not None
        assert r.pvalue < 1e-6
        assert "gave NM 55.3%, against 51.2% before" in r.sentence

    def test_opposition_v1_to_v2(self) -> None:
        r = check_successive(LEDGER.get("opp-csv-v1"), LEDGER.get("opp-csv-v2"), VE)
        t = r.table.set_index("key")
        assert t.loc["EG", "increment"] == 7303480 - 7156462
        assert t.loc["NM", "increment"] == 3316142 - 3241461
        assert r.decreases == ()
        assert r.evidence is Evidence.CONSISTENT  # 541 tables: a 2.7-point shift is ordinary
        assert r.totals.set_index("field").loc["null", "increment"] == 74
        # a bound near 1 is never printed as "probability at most 1.000"
        assert r.pvalue is not None
        assert r.pvalue > 0.5
        assert r.message.id == "claims.successive.shift_ordinary"
        assert "at most" not in r.sentence
        assert "would often produce" in r.sentence
        b = check_successive(LEDGER.get("cne-b1"), LEDGER.get("cne-b2"), VE)
        assert b.message.id == "claims.successive.shift"

    def test_implied_null_votes_fall_between_site_and_csv(self) -> None:
        # site (<= 31 Jul): voters 10,613,881, valid (sum) 10,595,722 -> 18,159 implied nulls;
        # CSV V1: 1,139 nulls. Valid grew by 63,406 but voters only by 46,386.
        r = check_successive(LEDGER.get("opp-site-81.21"), LEDGER.get("opp-csv-v1"), VE)
        assert r.decreases == ("null",)
        null = r.totals.set_index("field").loc["null"]
        assert (null["before"], null["after"], bool(null["implied"])) == (18159, 1139, True)
        assert r.evidence is Evidence.IMPOSSIBLE
        assert r.message.id == "claims.successive.decrease_null_implied"
        assert "grew by 63,406 but the voters only by 46,386" in r.sentence

    def test_a_falling_count_is_impossible(self) -> None:
        a = claim({"id": "a", "counts": {"NM": 100, "EG": 90}, "coverage": {"tables": 10}})
        b = claim({"id": "b", "counts": {"NM": 95, "EG": 120}, "coverage": {"tables": 12}})
        r = check_successive(a, b, VE)
        assert r.decreases == ("NM",)
        assert r.evidence is Evidence.IMPOSSIBLE
        assert "NM's count fell by 5 votes" in r.sentence

    def test_with_sheets_gives_a_typical_z(self, v1) -> None:
        r = check_successive(LEDGER.get("cne-b1"), LEDGER.get("cne-b2"), VE, sheets=v1)
        assert r.pvalue_typical is not None
        assert abs(r.table.set_index("key").loc["NM", "z_typical"]) > 10


# --------------------------------------------------------------------------------------------
# d. Claims against the sheets
# --------------------------------------------------------------------------------------------


def _must_show_b2(r) -> None:
    t = r.table.set_index("key")
    # EG on the V1 sheets (7,156,462) exceeds CNE bulletin 2 (5,326,104) by 1,830,358
    assert t.loc["EG", "excess"] == 1830358
    assert t.loc["NM", "need"] == 3167383  # 6,408,844 − 3,241,461
    f = r.feasibility
    # registered voters of the tables without sheets: the election's registry (the same for
    # every claim of a report), 21,392,464 − 17,745,239
    assert f["registered_without_sheets"]["point"] == 3647225
    assert f["registered_without_sheets"]["low"] == 20654431 - 17745239
    assert f["registered_without_sheets"]["high"] == 21392464 - 17745239
    # what the CNE's own totals leave: 12,386,669 − 10,660,267 voters
    assert f["voters_left"] == 1726402
    assert f["valid_left"] == 12335884 - 10659128
    assert f["lead"] == "NM"
    assert f["lead_need"] > f["voters_left"]
    assert f["possible_within_own_totals"] is False
    own = f["own_totals"]
    # the needs (NM 3,167,383 and the other candidates') exceed the 1,676,756 valid votes
    # left even if the 941 tables B2 leaves out were sheets: slack at most 738,033
    assert own["kind"] == "valid"
    assert own["null_need"] == 50785 - 1139  # with the voters: 49,646 more null votes
    assert own["slack"] <= 21392464 - 20654431
    assert own["need"] > own["capacity"] == 12335884 - 10659128 + own["slack"]
    assert f["lead_share_of_registered"] == pytest.approx(3167383 / 3647225)
    assert f["tables_left_out_by_claim"] == 941
    assert r.verdict == "violation"
    assert r.evidence is Evidence.IMPOSSIBLE


class TestAgainstSheets:
    def test_bulletin_2_against_bundled_v1_aggregates(self) -> None:
        r = check_against_sheets(LEDGER.get("cne-b2"), AGG_V1, VE)
        _must_show_b2(r)
        # slack from aggregates: min(941 tables x the largest per region, registered left out)
        assert r.table.set_index("key").loc["EG", "robust_excess"] > 1_000_000
        assert r.feasibility["distribution"]["unit"] == "region"
        assert r.feasibility["distribution"]["lead_share_of_registered_reaching"] == 0
        assert r.message.id == "claims.sheets.violation_and_impossible_regions"
        assert r.sentence.startswith(
            "If the opposition-v1 tally sheets are genuine, cne-b2 cannot be true: EG's votes "
            "on the 24,532 sheets alone (7,156,462) exceed the claim's 5,326,104 by 1,830,358 "
            "votes")
        assert "(NM alone 3,167,383), more than the at most" in r.sentence
        # the sentence's own inequality: the votes needed exceed the votes left
        params = r.message.params
        assert params["need_own"] > params["capacity"] >= 12335884 - 10659128
        assert len(r.by_region) == 24
        assert int(r.by_region["EG"].sum()) == 7156462

    def test_bulletin_2_against_real_v1_sheets(self, v1) -> None:
        r = check_against_sheets(LEDGER.get("cne-b2"), v1, VE)
        _must_show_b2(r)
        t = r.table.set_index("key")
        # exact: the 941 largest EG tables hold 460,105 votes < 738,033 registered left out
        assert t.loc["EG", "slack"] == 460105
        assert t.loc["EG", "robust_excess"] == 1830358 - 460105
        d = r.feasibility["distribution"]
        assert d["units"] == 24532
        assert d["lead_share_of_registered_max"] == pytest.approx(0.8424015, abs=1e-6)
        assert d["lead_share_of_registered_reaching"] == 0
        # all needs (3,507,114) over 3,647,225 registered: a turnout of 96.2% or more
        assert d["turnout_reaching"] == 12
        assert r.message.id == "claims.sheets.violation_and_impossible"

    def test_aggregates_and_sheets_agree_on_totals(self, v1) -> None:
        a, s = summarise(AGG_V1), summarise(v1)
        assert a is not None
        assert s is not None
        assert dict(a.totals) == dict(s.totals)
        assert (a.valid, a.null, a.ballots, a.registered_known, a.tables) == \
            (s.valid, s.null, s.ballots, s.registered_known, s.tables)
        assert a.max_registered == s.max_registered == 1451
        for key in ("EG", "NM"):  # the regional bound is an upper bound of the exact top sum
            for m in (1, 941, 6155):
                assert a.top_sum(key, m) >= s.top_sum(key, m)

    def test_v2_aggregates_estimate_missing_registered(self) -> None:
        s = summarise(AGG_V2)
        assert s is not None
        assert (s.tables, s.registered_tables) == (25073, 24530)
        point, low, high = s.registered_interval()
        assert low < point < high
        assert low == s.registered_known + s.ballots_without_registered
        r = check_against_sheets(LEDGER.get("cne-b2"), AGG_V2, VE)
        assert r.table.set_index("key").loc["EG", "excess"] == 7303480 - 5326104
        assert r.verdict == "violation"

    def test_bulletin_1_is_a_conditional_violation_from_aggregates(self, v1) -> None:
        r = check_against_sheets(LEDGER.get("cne-b1"), AGG_V1, VE)
        assert r.table.set_index("key").loc["EG", "excess"] == 7156462 - 4445978
        assert r.verdict == "violation_if_covering"
        assert r.evidence is Evidence.NOT_TESTED
        # with table-level sheets the bound is tight enough: even if the ~20% of tables B1
        # leaves out were the sheets' best EG tables, EG exceeds B1
        exact = check_against_sheets(LEDGER.get("cne-b1"), v1, VE)
        assert exact.verdict == "violation"
        assert exact.table.set_index("key").loc["EG", "robust_excess"] > 0

    @pytest.mark.parametrize(("cid", "verdict"), [
        ("opp-73pct", "subset"), ("opp-site-81.21", "subset"), ("opp-csv-v1", "matches"),
        ("wapo-tabulation", "subset"), ("ap-tabulation", "subset"),
        ("opp-csv-v2", "feasible"), ("tsj-ruling", "no_counts")])
    def test_opposition_and_media_claims_fit_the_sheets(self, cid: str, verdict: str) -> None:
        r = check_against_sheets(LEDGER.get(cid), AGG_V1, VE)
        assert r.verdict == verdict
        assert r.evidence is not Evidence.IMPOSSIBLE

    def test_hand_computed_infeasible(self) -> None:
        # 10 tables of 100 registered; sheets for 8 give A 400, B 200; the claim A 300, B 700
        # over all 10 tables: A below the sheets by 100; B needs 500 more from 200 registered
        sheets, election = small_sheets()
        c = claim({"counts": {"A": 300, "B": 700}, "coverage": {"tables": 10},
                   "registered": 1000}, election)
        r = check_against_sheets(c, sheets, election)
        t = r.table.set_index("key")
        assert t.loc["A", "excess"] == 100
        assert t.loc["A", "slack"] == 0
        assert t.loc["B", "need"] == 500
        f = r.feasibility
        assert f["registered_without_sheets"]["point"] == 200
        assert f["possible_physically"] is False
        assert r.verdict == "violation"


# --------------------------------------------------------------------------------------------
# e. Compatibility
# --------------------------------------------------------------------------------------------


class TestCompatibility:
    @pytest.fixture(scope="class")
    @classmethod
    def matrix(cls):
        against = [check_against_sheets(c, AGG_V1, VE) for c in LEDGER.timeline()
                   if c.has_counts]
        return check_compatibility(list(LEDGER.timeline()), VE, sheets_results=against,
                                   table_max=1451)

    def verdict(self, matrix, a: str, b: str) -> dict:
        t = matrix.table
        row = t[((t["a"] == a) & (t["b"] == b)) | ((t["a"] == b) & (t["b"] == a))]
        assert len(row) == 1, (a, b)
        return row.iloc[0].to_dict()

    def test_bulletin_2_and_the_sheets(self, matrix) -> None:
        row = self.verdict(matrix, "sheets:opposition-v1", "cne-b2")
        assert row["verdict"] == "incompatible"
        assert row["condition_text"] == "unless the opposition-v1 tally sheets are fabricated"
        row = self.verdict(matrix, "opp-csv-v1", "cne-b2")
        assert row["verdict"] == "incompatible"
        assert row["condition_text"] == "unless the tally sheets behind opp-csv-v1 are " \
                                        "fabricated"
        # 1,830,358 > 21,392,464 − 20,654,431 registered voters left out by bulletin 2
        assert row["reason_params"]["gap"] == 1830358
        assert row["reason_params"]["capacity"] == 738033

    def test_even_the_73_percent_announcement_contradicts_bulletin_2(self, matrix) -> None:
        row = self.verdict(matrix, "opp-73pct", "cne-b2")
        assert row["verdict"] == "incompatible"
        assert row["reason_params"]["gap"] == 6275182 - 5326104

    def test_court_inherits_bulletin_2(self, matrix) -> None:
        row = self.verdict(matrix, "sheets:opposition-v1", "tsj-ruling")
        assert row["verdict"] == "incompatible"
        assert row["via"] == "cne-b2"
        assert self.verdict(matrix, "cne-b2", "tsj-ruling")["reason_id"] == \
            "claims.pair.endorses"

    def test_samples(self, matrix) -> None:
        nyt = self.verdict(matrix, "nyt-quick-count", "cne-b2")
        assert nyt["verdict"] == "incompatible"
        assert nyt["condition"] == "claims.condition.sample_biased"
        edison = self.verdict(matrix, "edison-exit-poll", "cne-b2")
        assert edison["verdict"] == "compatible"  # 100 polling places: p ~ 0.006 only
        assert edison["reason_id"] == "claims.pair.sample_strained"
        assert self.verdict(matrix, "edison-exit-poll", "opp-csv-v1")["reason_id"] == \
            "claims.pair.sample_close"

    def test_compatible_and_not_comparable(self, matrix) -> None:
        assert self.verdict(matrix, "opp-csv-v1", "opp-csv-v2")["verdict"] == "compatible"
        assert self.verdict(matrix, "cne-b1", "cne-b2")["verdict"] == "compatible"
        assert self.verdict(matrix, "un-panel", "cne-b2")["verdict"] == "not_comparable"
        assert self.verdict(matrix, "moe-colombia", "cne-b2")["reason_id"] == \
            "claims.pair.percentages_only"

    def test_every_pair_once_with_a_sentence(self, matrix) -> None:
        n = len(LEDGER)
        pairs = matrix.table[~matrix.table["a"].str.startswith("sheets:")]
        assert len(pairs) == n * (n - 1) // 2
        assert matrix.table["reason"].str.len().min() > 10
        bad = matrix.table[matrix.table["verdict"] == "incompatible"]
        assert bad["condition"].notna().all()
        assert matrix.evidence is Evidence.IMPOSSIBLE

    def test_symmetric(self) -> None:
        a, b = LEDGER.get("opp-csv-v1"), LEDGER.get("cne-b2")
        assert compare_claims(a, b, VE).verdict == compare_claims(b, a, VE).verdict


# --------------------------------------------------------------------------------------------
# Calibration of the increment test and regional claims
# --------------------------------------------------------------------------------------------


def test_increment_test_false_positive_rate_on_a_clean_election() -> None:
    """Random reporting order on a simulated clean election: the worst-case p-value rejects
    less often than its level, the typical one (the sheets' dispersion) about as often."""
    from audit.simulate import simulate_clean

    sheets = simulate_clean(n_tables=3000, shares=(0.55, 0.40, 0.05),
                            candidates=("NM", "EG", "LM"), rng=7)
    rng = np.random.default_rng(11)
    votes = sheets.votes
    summary = summarise(sheets)
    worst, typical = [], []
    for _ in range(200):
        order = rng.permutation(len(sheets))
        early, late = order[:2000], order[:2600]
        claims = []
        for i, idx in enumerate((early, late)):
            totals = votes[idx].sum(axis=0)
            claims.append(claim({"id": f"b{i}", "coverage": {"tables": len(idx)},
                                 "counts": {"NM": int(totals[0]), "EG": int(totals[1]),
                                            "OTHERS": int(totals[2])}}))
        r = check_successive(claims[0], claims[1], VE, sheets=summary)
        worst.append(r.pvalue)
        typical.append(r.pvalue_typical)
    assert np.mean(np.array(worst) < 0.05) == 0.0
    assert np.mean(np.array(typical) < 0.05) < 0.1


def test_a_state_claim_against_the_bundled_aggregates() -> None:
    # V1 sheets for Sucre (state 17): 1,039 tables; a claim giving EG 100,000 there is below
    c = claim({"scope": "17", "scope_level": "state", "coverage": {"tables_pct": "100"},
               "counts": {"EG": 100000, "NM": 300000}, "registered": 700000})
    r = check_against_sheets(c, AGG_V1, VE)
    sucre = AGG_V1.frame.set_index("region_code").loc["17"]
    assert r.feasibility["tables_held"] == int(sucre["tables"])
    assert r.table.set_index("key").loc["EG", "excess"] == int(sucre["votes_EG"]) - 100000
    other = claim({"scope": "17", "scope_level": "municipality",
                   "counts": {"EG": 1}}, election=None)
    assert check_against_sheets(other, AGG_V1, VE).verdict == "no_sheets_in_scope"
