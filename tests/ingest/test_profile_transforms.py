"""Profile extensions used by the cross-source profiles: ``replace`` and empty-cell exclusion."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.errors import ProfileError
from audit.ingest import read_sheets
from audit.ingest.profiles import Profile

ELECTION = Path(__file__).resolve().parents[1] / "data" / "mini_election.toml"


def _profile(**extra: object) -> Profile:
    raw: dict[str, object] = {
        "name": "t", "election": str(ELECTION),
        "columns": {"table_id": "station"},
        "candidates": {"A": "A", "B": "B"},
    }
    raw.update(extra)
    return Profile.from_dict(raw)


def test_replace_builds_municipality_code_from_centre_code(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    # acta codes CCCCCCCCC.MM.T: text, so the centre code keeps its leading zero
    path.write_text("station,acta,A,B\n1,010203001.01.1,1,2\n2,121003001.01.1,3,4\n"
                    "3,021101001.02.1,5,6\n")
    rule = {"column": "acta", "slice": [0, 4],
            "replace": ["^(?:0(\\d)|(\\d\\d))(?:0(\\d)|(\\d\\d))$", "\\1\\2.\\3\\4"]}
    prof = Profile.from_dict({"name": "t", "columns": {"table_id": "station"},
                              "candidates": {"A": "A", "B": "B"},
                              "regions": [{"level": "district", "code": rule}]})
    codes = read_sheets(path, profile=prof).sheets.data["region_district_code"]
    assert codes.tolist() == ["1.2", "12.10", "2.11"]


@pytest.mark.parametrize("bad", [["^(", "x"], "pattern", ["a"], [1, 2]])
def test_replace_must_be_a_valid_pattern_and_replacement(bad: object) -> None:
    with pytest.raises(ProfileError, match="replace"):
        _profile(regions=[{"level": "district",
                           "code": {"column": "code", "replace": bad}}])


def test_empty_cell_exclusion_is_the_only_reason(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("station,A,B\n1,10,20\n2,,\n3,5,\n4,-1,3\n")
    prof = _profile(exclude=[{"column": "A", "equals": [""],
                              "reason": "no protocol was collected for this station"}])
    result = read_sheets(path, profile=prof)
    q = result.quarantine
    assert q["line"].tolist() == [3, 4, 5]
    assert q["rule"].tolist() == ["excluded_by_source", "missing_value", "negative_count"]
    assert q["message"].iloc[0] == ("line 3: column A is empty: no protocol was collected for "
                                    "this station (excluded_by_source)")
    assert (result.accepted, result.quarantined) == (1, 3)
