"""Parsing of counts with thousand separators (audit.ingest.numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from audit.ingest.numbers import PROBLEM_RULES, parse_counts

MISSING, NOT_INTEGER, AMBIGUOUS = "missing_value", "not_integer", "ambiguous_number"


def parse(values: list[object]) -> tuple[list[float], list[str | None]]:
    res = parse_counts(pd.Series(values, dtype=object))
    return [float(v) for v in res.values], [PROBLEM_RULES.get(int(p)) for p in res.problem]


class TestParseCounts:
    def test_plain_and_signed(self) -> None:
        values, problems = parse(["0", "17", "-5", "+4", " 12 "])
        assert values == [0, 17, -5, 4, 12]
        assert problems == [None] * 5

    def test_thousands_either_convention_without_evidence(self) -> None:
        values, problems = parse(["1.234", "1.234.567", "7 654"])
        assert values == [1234, 1234567, 7654]
        assert problems == [None] * 3
        values, problems = parse(["2,345", "7 654"])
        assert values == [2345, 7654]

    def test_a_conflicting_minority_is_ambiguous(self) -> None:
        """Issue 13: "2,345" can only be English, "1.234" only continental; the majority
        (two continental values) sets the column's convention."""
        res = parse_counts(pd.Series(["1.234", "2,345", "1.234.567"], dtype=object))
        assert [PROBLEM_RULES.get(int(p)) for p in res.problem] == [None, AMBIGUOUS, None]
        assert res.number_format is not None
        assert (res.number_format.thousands, res.number_format.evidence,
                res.number_format.conflicting) == (".", 2, 1)

    def test_whole_number_decimal_reading_is_ambiguous(self) -> None:
        # "1.000" is 1 as a decimal and 1000 as thousands: both whole numbers.
        values, problems = parse(["1.000", "25,000"])
        assert np.isnan(values).all()
        assert problems == [AMBIGUOUS, AMBIGUOUS]

    def test_column_evidence_settles_thousands(self) -> None:
        values, problems = parse(["1.000", "1.234.567"])
        assert values == [1000, 1234567]
        assert problems == [None, None]

    def test_column_evidence_settles_decimal(self) -> None:
        values, problems = parse(["1.000", "12.0", "3"])
        assert values == [1, 12, 3]
        assert problems == [None, None, None]

    def test_a_non_whole_typo_is_no_evidence(self) -> None:
        """Issue 13: "12.5" used to make '.' a decimal point, so "1.000" read as 1."""
        values, problems = parse(["1.000", "12.5", "3"])
        assert np.isnan(values[:2]).all()
        assert values[2] == 3
        assert problems == [AMBIGUOUS, NOT_INTEGER, None]

    def test_integer_valued_decimals(self) -> None:
        assert parse(["12.0", "1,234.0"]) == ([12, 1234], [None, None])
        assert parse(["12,00", "1.234,00"]) == ([12, 1234], [None, None])
        # both conventions in equal measure: nothing is settled
        assert parse(["12.0", "12,00"])[1] == [AMBIGUOUS, AMBIGUOUS]

    def test_blanks_only_as_thousands_groups(self) -> None:
        values, problems = parse(["1 234", "1\u00a0234\u00a0567", "1'234", "5 5", "12 34",
                                  "1'2'3", "1\t234", "1 234'567"])
        assert values[:3] == [1234, 1234567, 1234]
        assert problems == [None] * 3 + [NOT_INTEGER] * 5

    def test_counts_beyond_the_cap_are_implausible(self) -> None:
        res = parse_counts(pd.Series(["1000000000", "1000000001", "9007199254740993",
                                      "99999999999999999999999", "-2000000000"], dtype=object))
        assert res.values[0] == 10**9
        assert [PROBLEM_RULES.get(int(p)) for p in res.problem[1:]] == [
            "implausible_count"] * 4
        res = parse_counts(pd.Series([2**63, 5], dtype="uint64"))
        assert PROBLEM_RULES.get(int(res.problem[0])) == "implausible_count"

    def test_counts_are_exact_integers_beyond_2_53(self) -> None:
        """Issue 13's leftover: text counts no longer pass through float64 only. With a cap
        above 2**53, 2**53 + 1 (which float64 rounds to 2**53) is read exactly, written
        plainly, with either convention's separators or as an integer column."""
        big = 2**53 + 1
        res = parse_counts(pd.Series(["9007199254740993", "9,007,199,254,740,993", "7"],
                                     dtype=object), cap=2**62)
        assert res.integers.tolist() == [big, big, 7]
        assert (res.problem == 0).all()
        res = parse_counts(pd.Series(["9.007.199.254.740.993", "1.234.567"], dtype=object),
                           cap=2**62)
        assert res.integers.tolist() == [big, 1234567]
        res = parse_counts(pd.Series([big, -big, 3], dtype="int64"), cap=2**62)
        assert res.integers.tolist() == [big, -big, 3]
        res = parse_counts(pd.Series([big, 3], dtype="int64"), cap=big - 1)  # exactly
        assert [PROBLEM_RULES.get(int(p)) for p in res.problem] == ["implausible_count", None]
        assert res.integers.tolist() == [0, 3]
        res = parse_counts(pd.Series(["1" * 19, "12,345,678,901,234,567,890"], dtype=object),
                           cap=2**62)  # more digits than int64 holds exactly
        assert [PROBLEM_RULES.get(int(p)) for p in res.problem] == ["implausible_count"] * 2

    def test_not_numbers_and_missing(self) -> None:
        values, problems = parse(["abc", "12e3", "3O", "", "N/A", None, "12.5"])
        assert np.isnan(values).all()
        assert problems == [NOT_INTEGER, NOT_INTEGER, NOT_INTEGER, MISSING, MISSING, MISSING,
                            NOT_INTEGER]

    def test_numeric_dtypes_are_trusted(self) -> None:
        res = parse_counts(pd.Series([1.0, 2.5, np.nan]))
        assert res.values[0] == 1
        assert np.isnan(res.values[1:]).all()
        assert [PROBLEM_RULES.get(int(p)) for p in res.problem] == [None, NOT_INTEGER, MISSING]
        res = parse_counts(pd.Series([3, 4], dtype="int64"))
        assert list(res.values) == [3, 4]

    @given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30),
           st.sampled_from([",", ".", " ", ""]))
    def test_grouped_round_trip(self, numbers: list[int], sep: str) -> None:
        """Any integer written with one grouping convention parses back to itself, except
        where the only reading of every grouped value is ambiguous (flagged, never wrong)."""
        text = [f"{n:,}".replace(",", sep) for n in numbers]
        res = parse_counts(pd.Series(text, dtype=object))
        for n, value, problem in zip(numbers, res.values, res.problem, strict=True):
            if problem == 0:
                assert value == n
            else:
                assert PROBLEM_RULES[int(problem)] == AMBIGUOUS
                assert sep in ",."
