"""Validation with quarantine: one reason per broken row, and the accounting identity."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.ingest import read_sheets
from audit.ingest.core import RULES


@pytest.fixture(scope="module")
def broken():
    fixtures = Path(__file__).resolve().parents[1] / "data"
    return read_sheets(fixtures / "broken_sheets.csv", profile=fixtures / "mini_profile.toml")


class TestBrokenFixture:
    """tests/data/broken_sheets.csv has one broken row per rule (see the expected table)."""

    EXPECTED: ClassVar[dict[int, str]] = {  # line -> rule
        4: "not_integer", 5: "negative_count", 6: "missing_value",
        7: "candidate_sum_mismatch", 8: "ballot_sum_mismatch", 9: "voters_exceed_registered",
        12: "duplicate_conflict", 13: "duplicate_conflict", 14: "unknown_region",
        17: "ambiguous_number", 18: "empty_row",
    }

    def test_exactly_one_reason_per_broken_row(self, broken) -> None:
        got = dict(zip(broken.quarantine["line"], broken.quarantine["rule"], strict=True))
        assert len(broken.quarantine) == len(self.EXPECTED)
        assert got == self.EXPECTED

    def test_accounting(self, broken) -> None:
        assert broken.rows_read == 18
        assert broken.quarantined == 11
        assert broken.duplicates_collapsed == 1
        assert broken.accepted == 6
        assert broken.rows_read == broken.accepted + broken.quarantined \
            + broken.duplicates_collapsed
        assert broken.duplicates.to_dict("records") == [
            {"source": "fixture", "line": 11, "kept_line": 10, "center_id": "", "table_id": "9"}]

    def test_accepted_rows_and_thousand_separators(self, broken) -> None:
        data = broken.sheets.data
        assert data["line"].tolist() == [2, 3, 10, 15, 16, 19]
        assert data["registered"].tolist() == [100, 100, 100, 1234, 2345, 100]
        assert data["region_district_name"].tolist() == ["North"] * 2 + ["South"] * 4
        assert broken.sheets.totals() == {"A": 30 + 40 + 30 + 300 + 300 + 30,
                                          "B": 18 + 19 + 18 + 298 + 298 + 18}

    def test_messages_name_line_column_value_rule(self, broken) -> None:
        q = broken.quarantine.set_index("line")
        assert q.loc[4, "message"] == ("line 4: column A holds '3O', which is not a whole "
                                       "number (not_integer)")
        assert q.loc[4, "column"] == "A"
        assert q.loc[4, "value"] == "3O"
        assert q.loc[7, "message"] == ("line 7: the candidates' votes add up to 47 but valid "
                                       "says 48 (candidate_sum_mismatch)")
        assert q.loc[9, "message"] == ("line 9: 50 ballots cast but only 40 voters registered "
                                       "(column registered) (voters_exceed_registered)")
        assert "2 lines (12, 13)" in q.loc[12, "message"]
        assert set(broken.quarantine["rule"]) <= set(RULES)

    def test_reasons_summary(self, broken) -> None:
        assert broken.reasons() == {r: list(self.EXPECTED.values()).count(r)
                                    for r in sorted(set(self.EXPECTED.values()))}


PROFILE = Path(__file__).resolve().parents[1] / "data" / "mini_profile.toml"
cell = st.one_of(st.integers(min_value=-5, max_value=2000).map(str),
                 st.sampled_from(["", "x", "1.000", "1.234", "2,5", " 7 ", "N/A"]))


@given(st.lists(st.tuples(st.sampled_from(["N", "S", "Q", ""]),
                          st.integers(min_value=1, max_value=12),
                          cell, cell, cell, cell, cell, cell), min_size=1, max_size=40))
def test_identity_holds_on_messy_tables(rows: list[tuple]) -> None:
    """Whatever the rows, every one is accepted, quarantined or collapsed, exactly once."""
    frame = pd.DataFrame(rows, columns=["region", "station", "registered", "voters", "valid",
                                        "null", "A", "B"])
    text = frame.to_csv(index=False)
    with tempfile.TemporaryDirectory() as folder:  # never inside the checkout
        path = Path(folder) / "messy.csv"
        path.write_text(text, encoding="utf-8")
        result = read_sheets(path, profile=PROFILE)
    assert result.rows_read == len(rows)
    assert result.accepted + result.quarantined + result.duplicates_collapsed == len(rows)
    accepted = result.sheets.data
    assert (accepted[["votes_A", "votes_B"]].sum(axis=1) == accepted["valid"]).all()
    assert not accepted.duplicated(["center_id", "table_id"]).any()
    lines = set(accepted["line"]) | set(result.quarantine["line"]) | set(result.duplicates["line"])
    assert lines == set(range(2, len(rows) + 2))
    assert np.isin(result.quarantine["rule"], list(RULES)).all()
