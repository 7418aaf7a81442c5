"""Digit tests: kernels, reference laws, hand-computed tables, published reference values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reference_tables import table_from_counts
from scipy import stats

from audit.checks import digits as D
from audit.model import SheetTable
from audit.simulate import simulate_clean


@pytest.fixture
def from_counts():
    return table_from_counts


class TestKernels:
    def test_digits_by_hand(self) -> None:
        x = np.array([0, 7, 10, 42, 105, 999, 1000, 1999, 123456])
        assert D.first_digit(x).tolist() == [-1, 7, 1, 4, 1, 9, 1, 1, 1]
        assert D.second_digit(x).tolist() == [-1, -1, 0, 2, 0, 9, 0, 9, 2]
        assert D.first_two_digits(x).tolist() == [-1, -1, 10, 42, 10, 99, 10, 19, 12]
        assert D.last_digit(x).tolist() == [0, 7, 0, 2, 5, 9, 0, 9, 6]

    def test_pairs_by_hand(self) -> None:
        x = np.array([5, 11, 100, 133, 134, 143, 190, 109, 147, 1290])
        # 5: one digit; 11/100/133: repeated; 134/143: adjacent; 190 and 109: 9-0 adjacent
        # with wrap-around; 147 and 1290 (pair 90 -> adjacent): distant / adjacent
        assert D.pair_kind(x).tolist() == [-1, 0, 0, 0, 1, 1, 1, 1, 2, 1]
        assert D.pair_kind(x, wrap=False).tolist() == [-1, 0, 0, 0, 1, 1, 2, 2, 2, 2]

    @given(st.integers(min_value=10, max_value=10**15))
    def test_digits_agree_with_the_decimal_string(self, value: int) -> None:
        text = str(value)
        x = np.array([value])
        assert D.first_digit(x)[0] == int(text[0])
        assert D.second_digit(x)[0] == int(text[1])
        assert D.first_two_digits(x)[0] == int(text[:2])
        assert D.last_digit(x)[0] == int(text[-1])


class TestReferenceLaws:
    def test_second_digit_law(self) -> None:
        # the 2BL law and its mean 4.187 (formula of Mebane 2006; the EFToolkit null)
        expected = [0.11968, 0.11389, 0.10882, 0.10433, 0.10031, 0.09668, 0.09337, 0.09035,
                    0.08757, 0.08500]
        np.testing.assert_allclose(D.SECOND_DIGIT_PROBS, expected, atol=5e-6)
        assert pytest.approx(4.1874, abs=5e-5) == D.SECOND_DIGIT_MEAN
        assert pytest.approx(2.873, abs=5e-4) == D.SECOND_DIGIT_SD

    def test_first_digit_law(self) -> None:
        expected = [0.30103, 0.17609, 0.12494, 0.09691, 0.07918, 0.06695, 0.05799, 0.05115,
                    0.04576]
        np.testing.assert_allclose(D.FIRST_DIGIT_PROBS, expected, atol=5e-6)
        assert float(np.arange(1, 10) @ D.FIRST_DIGIT_PROBS) == pytest.approx(3.440, abs=5e-4)
        assert float(np.arange(10, 100) @ D.FIRST_TWO_PROBS) == pytest.approx(38.59, abs=5e-3)
        assert D.FIRST_TWO_PROBS.sum() == pytest.approx(1.0)

    def test_pair_shares(self) -> None:
        np.testing.assert_allclose(D.pair_probs(True), [0.1, 0.2, 0.7])
        np.testing.assert_allclose(D.pair_probs(False), [0.1, 0.18, 0.72])
        # the shares are those of the 100 equally likely last-two-digit pairs
        kinds = D.pair_kind(np.arange(100, 200))
        np.testing.assert_allclose(np.bincount(kinds) / 100, [0.1, 0.2, 0.7])

    def test_chi_square_critical_values(self) -> None:
        # chi-square critical values (scipy): the thresholds Mebane's 2BL test uses
        assert stats.chi2.ppf(0.95, 9) == pytest.approx(16.919, abs=5e-4)
        assert stats.chi2.ppf(0.99, 9) == pytest.approx(21.666, abs=5e-4)
        assert stats.chi2.ppf(0.999, 9) == pytest.approx(27.877, abs=5e-4)
        assert stats.chi2.ppf(0.95, 8) == pytest.approx(15.507, abs=5e-4)
        assert stats.chi2.ppf(0.99, 8) == pytest.approx(20.090, abs=5e-4)
        assert stats.chi2.ppf(0.95, 89) == pytest.approx(112.022, abs=5e-4)
        assert stats.chi2.ppf(0.99, 89) == pytest.approx(122.94, abs=5e-3)

    @pytest.mark.parametrize(("mad", "digits", "label"), [
        # Nigrini (2012) conformity bands, as in benford.analysis / benford_py
        (0.005, "first", "close"), (0.013, "first", "marginal"),
        (0.016, "first", "nonconformity"), (0.009, "second", "acceptable"),
        (0.0020, "first_two", "marginal"), (0.006, "first", "close"),
        (0.0121, "first", "marginal"), (0.0119, "first", "acceptable"),
        (0.0125, "second", "nonconformity"), (0.001, "first_two", "close"),
    ])
    def test_nigrini_classes(self, mad: float, digits: str, label: str) -> None:
        assert D.nigrini_conformity(mad, digits) == label

    def test_no_nigrini_class_for_last_digits(self) -> None:
        assert D.nigrini_conformity(0.001, "last") is None


class TestHandComputedTextbook:
    COUNTS = (12, 15, 23, 105, 117, 150, 199, 1000, 7, 0)

    def test_first_digit_table(self, from_counts) -> None:
        res = D.first_digit_test(from_counts(self.COUNTS), "A", null="textbook")
        # first digits: seven 1s (12 15 105 117 150 199 1000), one 2, one 7; 0 excluded
        assert res.table["observed"].tolist() == [7, 1, 0, 0, 0, 0, 1, 0, 0]
        assert res.n == 9
        assert res.excluded == {"count_below_1": 1}
        expected = [9 * math.log10(1 + 1 / d) for d in range(1, 10)]
        x2 = sum((o - e) ** 2 / e for o, e in zip([7, 1, 0, 0, 0, 0, 1, 0, 0], expected,
                                                   strict=True))
        assert res.statistic == pytest.approx(11.633014, rel=1e-6)
        assert res.statistic == pytest.approx(x2)
        assert res.pvalue == pytest.approx(0.168344, rel=1e-5)  # chi2.sf(11.633, 8)
        assert res.g_statistic == pytest.approx(13.668743, rel=1e-6)
        assert res.mad == pytest.approx(0.117748, rel=1e-5)
        assert res.conformity == "nonconformity"
        assert res.table["expected"].tolist() == pytest.approx(expected)
        # Nigrini's z for digit 1: (|7/9 - 0.30103| - 1/18) / sqrt(0.30103 * 0.69897 / 9)
        z1 = (abs(7 / 9 - 0.30103) - 1 / 18) / math.sqrt(0.30103 * 0.69897 / 9)
        assert res.table["z"].iloc[0] == pytest.approx(z1, rel=1e-4)
        assert res.null == "textbook"

    def test_second_digit_table(self, from_counts) -> None:
        res = D.second_digit_test(from_counts(self.COUNTS), "A", null="textbook")
        # second digits of counts >= 10: 12->2 15->5 23->3 105->0 117->1 150->5 199->9 1000->0
        assert res.table["observed"].tolist() == [2, 1, 1, 1, 0, 2, 0, 0, 0, 1]
        assert res.excluded == {"count_below_10": 2}

    def test_means_and_shares(self, from_counts) -> None:
        sheets = from_counts([100, 101, 102, 105, 110, 115, 120, 133, 144, 199])
        mean = D.last_digit_mean_test(sheets, "A", null="textbook", min_count=1)
        assert mean.statistic == pytest.approx((0 + 1 + 2 + 5 + 0 + 5 + 0 + 3 + 4 + 9) / 10)
        z = (2.9 - 4.5) / (math.sqrt(8.25) / math.sqrt(10))
        assert mean.z == pytest.approx(z)
        assert mean.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)))
        c05 = D.zero_five_test(sheets, "A", null="textbook", min_count=1)
        assert c05.statistic == pytest.approx(0.5)  # 100 105 110 115 120 end in 0 or 5
        assert c05.pvalue == pytest.approx(stats.binomtest(5, 10, 0.2).pvalue)
        rep = D.digit_pairs_test(sheets, "A", kind="repeated", null="textbook")
        assert rep.statistic == pytest.approx(0.4)  # 100 133 144 199 -> 00 33 44 99
        assert rep.alternative == "less"
        assert rep.pvalue == pytest.approx(stats.binomtest(4, 10, 0.1, "less").pvalue)

    def test_percentages_round_half_to_even(self, from_counts) -> None:
        # A / (A + B): 25/200 = 12.5% -> 12; 35/200 = 17.5% -> 18; 50/200 -> 25; 90/200 -> 45
        sheets = from_counts([25, 35, 50, 90], [175, 165, 150, 110])
        res = D.percent_zero_five_test(sheets, "A", null="textbook")
        assert res.table["observed"].tolist() == [0, 0, 1, 0, 0, 2, 0, 0, 1, 0]
        assert res.statistic == pytest.approx(0.5)


class TestBeberScaccoIran2009:
    """Beber & Scacco, Washington Post 20 June 2009 (they publish "< 4 in 100", "< 4.2%" and
    "< .005")."""

    def test_spike_and_dip(self) -> None:
        # 116 last digits; a 7 in 17% (20 of 116) and a 5 in 4% (5 of 116); the other eight
        # digits share the remaining 91. Published: "fewer than 4 in 100"; [derived] 0.035.
        counts = np.array([12, 11, 12, 11, 12, 5, 11, 20, 11, 11])
        assert counts.sum() == 116
        hi, lo, p = D.last_digit_extremes(counts, n_resamples=400_000, rng=2009)
        assert (hi, lo) == (20, 5)
        se = math.sqrt(0.035 * 0.965 / 400_000)
        assert p == pytest.approx(0.035, abs=4 * se + 0.001)
        assert p < 0.04

    def test_non_adjacent_pairs(self, from_counts) -> None:
        # 72 of 116 pairs distant (neither repeated nor adjacent): P(X <= 72) for
        # Binomial(116, 0.7) = 0.041, published as "< 4.2%"
        counts = [147] * 72 + [133] * 20 + [134] * 24
        res = D.digit_pairs_test(from_counts(counts), "A", kind="distant", null="textbook")
        assert res.n == 116
        assert res.statistic == pytest.approx(72 / 116)
        assert res.pvalue == pytest.approx(0.04106, abs=5e-5)
        assert res.pvalue < 0.042


@pytest.mark.realdata
class TestRussia2011:
    """Kobak/Shpilkin UIK data, United Russia (dkobak/elections data; values derived here)."""

    def test_second_digit_chi_square(self, russia_2011, from_counts) -> None:
        votes = russia_2011.data["votes_UR"].to_numpy()  # United Russia
        res = D.second_digit_test(from_counts(votes), "A", null="textbook", n_resamples=49)
        assert res.n == 94_632
        assert res.statistic == pytest.approx(35.0, abs=0.05)
        assert res.pvalue == pytest.approx(6e-5, rel=0.1)
        assert float(np.arange(10) @ res.table["observed"] / res.n) == pytest.approx(4.237,
                                                                                    abs=5e-4)
        assert res.conformity == "close"  # MAD 0.002: significant only because n is large
        assert res.message.id == "digits.caveat.large_n"

    def test_last_digits_of_counts_of_100_or_more(self, russia_2011, from_counts) -> None:
        votes = russia_2011.data["votes_UR"].to_numpy()
        res = D.last_digit_test(from_counts(votes), "A", null="textbook", min_count=100,
                                n_resamples=49)
        assert res.n == 76_887
        assert res.statistic == pytest.approx(23.1, abs=0.05)
        c05 = D.zero_five_test(from_counts(votes), "A", null="textbook", min_count=100,
                               n_resamples=49)
        assert c05.statistic == pytest.approx(0.2035, abs=5e-5)


def test_simulation_and_textbook_disagree_on_capped_stations() -> None:
    """1BL on capped station sizes: textbook rejects, the simulation null does not."""
    sheets = simulate_clean(n_tables=5_000, rng=11)
    textbook = D.first_digit_test(sheets, null="textbook", rng=1, n_resamples=199)
    simulated = D.first_digit_test(sheets, rng=1, n_resamples=199)
    assert textbook.pvalue < 1e-10
    assert simulated.pvalue > 0.01
    assert textbook.message.id == "digits.caveat.narrow_span"
    assert textbook.params["simulation_pvalue"] == simulated.pvalue
    assert "orders of magnitude" in textbook.sentence


def test_simulation_null_detects_invented_last_digits() -> None:
    """Counts rounded to end in 0 or 5 at 10% of stations are flagged; honest ones are not."""
    sheets = simulate_clean(n_tables=5_000, rng=3)
    honest = D.zero_five_test(sheets, rng=4, n_resamples=199)
    data = sheets.data.copy()
    key = "votes_" + sheets.leader()
    rng = np.random.default_rng(5)
    chosen = rng.random(len(data)) < 0.1
    data.loc[chosen, key] = (data.loc[chosen, key] // 5) * 5
    data["valid"] = data[[f"votes_{k}" for k in sheets.candidates]].sum(axis=1)
    rounded = SheetTable(data, candidates=sheets.candidates, levels=sheets.levels)
    flagged = D.zero_five_test(rounded, rng=4, n_resamples=199)
    assert honest.pvalue > 0.05
    assert honest.pvalue_method == "sequential-monte-carlo"
    # beyond every redraw: the tail of the normal fitted to them, far below the floor 1/200
    assert flagged.pvalue_method == "monte-carlo+fitted-tail"
    assert flagged.pvalue < 1e-6
    assert flagged.z is not None
    assert flagged.z > 10
    assert flagged.statistic > 0.26  # about 0.2 + 0.1 * 0.8


def test_insufficient_counts_is_a_clear_error(from_counts) -> None:
    with pytest.raises(D.InsufficientCountsError, match="no counts of at least 100"):
        D.digit_pairs_test(from_counts([5, 7, 9]), "A", null="textbook")


def test_invalid_options(from_counts) -> None:
    sheets = from_counts([100, 200, 300])
    with pytest.raises(ValueError, match="null must be one of simulation, textbook"):
        D.second_digit_test(sheets, null="benford")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="model must be one of"):
        D.second_digit_test(sheets, model="poisson")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown count column"):
        D.second_digit_test(sheets, "Z")
    with pytest.raises(ValueError, match="kind must be one of"):
        D.digit_pairs_test(sheets, kind="far")  # type: ignore[arg-type]
