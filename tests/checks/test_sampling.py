"""Audit planning and evaluation: published reference numbers, hand examples, calibration."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from audit._json import dumps
from audit.checks.sampling import (
    BatchAuditPlan,
    bravo_asn,
    draw_sample,
    error_rate_interval,
    error_rate_sample_size,
    error_rate_upper_bound,
    evaluate_batch_audit,
    plan_batch_audit,
    ppeb_sample_size,
    super_simple_sample_size,
    zero_discrepancy_sample_size,
)
from audit.errors import AuditError
from audit.ingest import read_sheets
from audit.model import SheetTable
from tests.conftest import real_file


def table(rows: list[tuple[int, int, int]], name: str = "t") -> SheetTable:
    """Two candidates W and L: rows of (votes W, votes L, null)."""
    n = len(rows)
    frame = pd.DataFrame({
        "center_id": pd.array([""] * n, dtype="string"),
        "table_id": pd.array([str(i + 1) for i in range(n)], dtype="string"),
        "valid": np.array([w + lo for w, lo, _ in rows], dtype=np.int64),
        "null": pd.array([z for _, _, z in rows], dtype="Int64"),
        "votes_W": np.array([w for w, _, _ in rows], dtype=np.int64),
        "votes_L": np.array([lo for _, lo, _ in rows], dtype=np.int64),
        "source": pd.array([name] * n, dtype="string"),
        "line": np.arange(2, n + 2, dtype=np.int64),
    })
    return SheetTable(frame, candidates=("W", "L"), name=name)


class TestReferenceNumbers:
    def test_ppeb_zero_discrepancy_sample_size_ap_tabulation(self) -> None:
        # Aslam, Popa & Rivest (2008) PPEB bound (Stark's
        # Kaplan–Markov bound): G 6.89 M, M 3.13 M, B 10.26 M -> U = 3.73; n = 10 (α 0.05),
        # 15 (α 0.01).
        u, n05 = ppeb_sample_size(6.89e6, 3.13e6, 10.26e6, alpha=0.05)
        assert round(u, 2) == 3.73
        assert n05 == 10
        assert ppeb_sample_size(6.89e6, 3.13e6, 10.26e6, alpha=0.01)[1] == 15
        # P after 10 clean draws is below 0.05, after 9 it is not
        assert (1 - 1 / u) ** 10 < 0.05 < (1 - 1 / u) ** 9

    @pytest.mark.parametrize(("share", "alpha", "asn"), [
        (0.55, 0.10, 469), (0.60, 0.10, 119), (0.70, 0.10, 30),
        (0.55, 0.05, 608), (0.60, 0.05, 153), (0.70, 0.05, 38)])
    def test_bravo_asn(self, share: float, alpha: float, asn: int) -> None:
        # Lindeman & Stark (2012) BRAVO ASN formula
        assert round(bravo_asn(share, alpha=alpha)) == asn

    @pytest.mark.parametrize(("n", "bound"), [(100, 2.95), (300, 0.99), (1000, 0.30)])
    def test_clopper_pearson_zero_errors(self, n: int, bound: float) -> None:
        # zero-discrepancy sample: 1 − 0.05^(1/n) = 2.95%, 0.99%, 0.30%
        assert round(100 * error_rate_upper_bound(0, n), 2) == bound
        assert error_rate_upper_bound(0, n) == pytest.approx(1 - 0.05 ** (1 / n), rel=1e-9)

    def test_clopper_pearson_with_errors(self) -> None:
        # Clopper & Pearson (1934): the upper bound p_u solves P(X <= k | n, p_u) = 1 − conf,
        # the two-sided limits P(X >= k | p_l) = P(X <= k | p_h) = (1 − conf)/2. Checked
        # here through the binomial distribution, not the Beta quantile the code uses.
        upper = error_rate_upper_bound(3, 200)
        assert stats.binom.cdf(3, 200, upper) == pytest.approx(0.05, abs=1e-9)
        assert round(upper, 5) == 0.03831
        low, high = error_rate_interval(3, 200)
        assert stats.binom.sf(2, 200, low) == pytest.approx(0.025, abs=1e-9)
        assert stats.binom.cdf(3, 200, high) == pytest.approx(0.025, abs=1e-9)
        assert error_rate_upper_bound(5, 5) == 1.0

    def test_sample_size_to_bound_an_error_rate(self) -> None:
        assert error_rate_sample_size(0.01) == 299  # 1 − 0.99^299 ≥ 0.95 > 1 − 0.99^298
        assert error_rate_upper_bound(0, 299) < 0.01 < error_rate_upper_bound(0, 298)

    def test_super_simple(self) -> None:
        # Stark (2010): with no errors ρ = 2γ ln(1/α) = 4.785 (α 0.10)
        # and 6.225 (α 0.05) for γ = 1.03905
        assert super_simple_sample_size(0.1, alpha=0.10) == math.ceil(4.785 / 0.1) == 48
        assert super_simple_sample_size(1.0, alpha=0.05) == 7  # ρ = 6.225
        # expecting 1% one-vote overstatements: ρ = 6.311, n = 127 instead of 125
        assert super_simple_sample_size(0.05, alpha=0.05, error_rate=0.01) == 127 \
            > super_simple_sample_size(0.05, alpha=0.05)

    def test_invalid_inputs(self) -> None:
        with pytest.raises(ValueError, match="alpha"):
            zero_discrepancy_sample_size(3.0, 1.5)
        with pytest.raises(ValueError, match="more votes"):
            ppeb_sample_size(10, 20, 40)
        with pytest.raises(ValueError, match="share"):
            bravo_asn(0.5)
        with pytest.raises(ValueError, match="errors"):
            error_rate_upper_bound(5, 3)


# (W, L, null): totals W 170, L 130, V = 40, ballots 300 -> U = 1 + 300/40 = 8.5
HAND = table([(60, 40, 0), (30, 20, 0), (70, 30, 0), (10, 40, 0)])


class TestBatchAudit:
    plan = plan_batch_audit(HAND, alpha=0.05)

    def test_plan_error_bounds(self) -> None:
        p = self.plan
        assert (p.winner, p.losers, p.margins, p.ballots) == ("W", ("L",), {"L": 40}, 300)
        # u_p = (v_w − v_l + b_p) / V
        assert p.manifest["error_bound"].tolist() == [3.0, 1.5, 3.5, 0.5]
        assert p.total_error_bound == 8.5
        assert p.sample_size == math.ceil(math.log(0.05) / math.log(1 - 1 / 8.5)) == 24
        assert json.loads(dumps(p.to_dict()))["batches"] == 4

    def test_kaplan_markov_by_hand(self) -> None:
        sample = pd.DataFrame({"draw": [1, 2], "center_id": ["", ""], "table_id": ["1", "3"]})
        # table 1 read as 58–42: reported lead 20, audited 16 -> e = 4/40 = 0.1, t = 0.1/3
        audited = table([(58, 42, 0), (30, 20, 0), (70, 30, 0), (10, 40, 0)], name="audit")
        res = evaluate_batch_audit(self.plan, HAND, sample, audited)
        f1 = (1 - 1 / 8.5) / (1 - 1 / 30)
        f2 = 1 - 1 / 8.5
        assert res.table["taint"].tolist() == pytest.approx([1 / 30, 0.0])
        assert res.pvalue == pytest.approx(f1 * f2)
        assert res.table["pvalue_running"].tolist() == pytest.approx([f1, f1 * f2])
        assert (res.statistic, res.n, res.confirmed) == (1.0, 2, False)
        assert res.message.id == "sampling.batch_audit.not_confirmed"
        assert "read them all" in res.sentence

    def test_clean_sample_confirms(self) -> None:
        sample = draw_sample(self.plan, self.plan.sample_size, seed="0123456789")
        res = evaluate_batch_audit(self.plan, HAND, sample, HAND)
        assert res.pvalue == pytest.approx((1 - 1 / 8.5) ** 24)
        assert res.confirmed
        assert res.sentence.startswith("The outcome of the digitised record (W ahead) is "
                                       "confirmed at the 5.0% risk limit: 24 actas")
        assert "confirmado con un límite de riesgo del 5,0" in res.message.render("es")
        assert json.loads(dumps(res.to_dict()))["pvalue"] == pytest.approx(res.pvalue)

    def test_taint_one_gives_p_one(self) -> None:
        # table 4 reported 10–40 (u = 0.5) but every ballot was for L (0–50): the reported
        # lead −30 overstates the true −50 by 20 votes = 0.5 V, the whole error bound.
        sample = pd.DataFrame({"draw": [1, 2], "center_id": ["", ""], "table_id": ["4", "1"]})
        audited = table([(60, 40, 0), (30, 20, 0), (70, 30, 0), (0, 50, 0)])
        res = evaluate_batch_audit(self.plan, HAND, sample, audited)
        assert res.table["taint"].tolist() == [1.0, 0.0]
        assert res.pvalue == 1.0
        assert res.effect == 1.0

    def test_understatement_counts_in_favour(self) -> None:
        sample = pd.DataFrame({"draw": [1], "center_id": [""], "table_id": ["1"]})
        audited = table([(62, 38, 0), (30, 20, 0), (70, 30, 0), (10, 40, 0)])
        res = evaluate_batch_audit(self.plan, HAND, sample, audited)
        # lead reported 20, audited 24: e = −4/40, t = −0.1/3
        assert res.table["taint"].iloc[0] == pytest.approx(-1 / 30)
        assert res.pvalue == pytest.approx((1 - 1 / 8.5) / (1 + 1 / 30))
        assert res.statistic == 0.0

    def test_missing_reading_is_an_error(self) -> None:
        sample = pd.DataFrame({"draw": [1], "center_id": [""], "table_id": ["9"]})
        with pytest.raises(AuditError, match="worst case"):
            evaluate_batch_audit(self.plan, HAND, sample, HAND)

    def test_plan_errors(self) -> None:
        with pytest.raises(AuditError, match="not ahead"):
            plan_batch_audit(HAND, winner="L")
        with pytest.raises(AuditError, match="unknown winner"):
            plan_batch_audit(HAND, winner="X")


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 20)),
                min_size=1, max_size=30))
def test_two_candidate_error_bounds_add_up_to_one_plus_b_over_v(rows: list) -> None:
    sheets = table(rows)
    totals = sheets.totals()
    if totals["W"] <= totals["L"]:
        return
    plan = plan_batch_audit(sheets)
    v = totals["W"] - totals["L"]
    assert plan.total_error_bound == pytest.approx(1 + plan.ballots / v)
    assert plan.manifest["probability"].sum() == pytest.approx(1.0)


def test_km_pvalue_is_conservative_when_the_outcome_is_wrong() -> None:
    """20 batches of 100 ballots reported 55–45 (V = 200, U = 11); in truth 3 of them were
    5–95, so L won 1,050 to 950. An audit of the zero-discrepancy size (32 draws) must wrongly
    confirm W in at most α = 5% of audits (here it should be about (17/20)^32 = 0.55%)."""
    reported = table([(55, 45, 0)] * 20)
    truth = table([(5, 95, 0)] * 3 + [(55, 45, 0)] * 17)
    plan = plan_batch_audit(reported, alpha=0.05)
    assert (plan.total_error_bound, plan.sample_size) == (pytest.approx(11.0), 32)
    confirmed = sum(evaluate_batch_audit(plan, reported, draw_sample(plan, 32, seed=f"s{i}"),
                                         truth).confirmed for i in range(150))
    assert confirmed / 150 <= 0.05
    # and with a correct record the same audit confirms every time
    assert all(evaluate_batch_audit(plan, reported, draw_sample(plan, 32, seed=f"s{i}"),
                                    reported).confirmed for i in range(20))


class TestPublicSeedSampler:
    def test_draws_follow_the_documented_hash_rule(self) -> None:
        sheets = table([(1, 0, 0)] * 50)
        sample = draw_sample(sheets, 5, seed="38405817294016637281")
        # uniform: index = SHA-256("<seed>,<i>") mod N, skipping repeats
        expected: list[int] = []
        i = 1
        while len(expected) < 5:
            h = int.from_bytes(hashlib.sha256(f"38405817294016637281,{i}".encode()).digest(),
                               "big") % 50
            if h not in expected:
                expected.append(h)
            i += 1
        assert sample["index"].tolist() == [e + 1 for e in expected]
        assert sample["table_id"].tolist() == [str(e + 1) for e in expected]

    def test_reproducible_distinct_and_seed_dependent(self) -> None:
        sheets = table([(1, 0, 0)] * 40)
        a = draw_sample(sheets, 30, seed="1234")
        assert a.equals(draw_sample(sheets, 30, seed="1234"))
        assert a["index"].is_unique
        assert not a.equals(draw_sample(sheets, 30, seed="1235"))
        with pytest.raises(ValueError, match="distinct"):
            draw_sample(sheets, 41, seed="1234")
        with pytest.raises(ValueError, match="seed"):
            draw_sample(sheets, 3, seed=" ")

    def test_ppeb_follows_the_error_bounds(self) -> None:
        plan = plan_batch_audit(HAND)
        sample = draw_sample(plan, 4000, seed="ppeb")
        share = sample["index"].value_counts(normalize=True).sort_index()
        # probabilities u_p / U = 3/8.5, 1.5/8.5, 3.5/8.5, 0.5/8.5
        assert share.to_numpy() == pytest.approx([3 / 8.5, 1.5 / 8.5, 3.5 / 8.5, 0.5 / 8.5],
                                                 abs=0.025)
        assert isinstance(plan, BatchAuditPlan)


@pytest.mark.realdata
def test_plan_on_the_opposition_actas() -> None:
    # V1 (24,532 actas): González 7,156,462, Maduro 3,241,461, 10,660,267 ballots (valid +
    # null). The opposition totals as reported by ADN40 give G = 7,151,462 and a margin of
    # 3,910,001; the file gives a margin of 3,915,001. Either way U = 3.72-3.73, n = 10 and 15.
    sheets = read_sheets(real_file("venezuela_2024_resultadosconvzla_actas",
                                   "RESULTADOS_2024_CSV_V1.csv"),
                         profile="venezuela-2024-opposition-v1").sheets
    plan = plan_batch_audit(sheets, losers=["NM"], alpha=0.05)
    assert (plan.winner, plan.margins, plan.ballots) == ("EG", {"NM": 3_915_001}, 10_660_267)
    assert plan.total_error_bound == pytest.approx(1 + 10_660_267 / 3_915_001)
    assert plan.sample_size == 10
    assert plan_batch_audit(sheets, losers=["NM"], alpha=0.01).sample_size == 15
    assert plan.source_sha256.startswith("fd2712796bf8")
