"""Election-night tracking: three overlapping batches with two conflicting transcriptions,
counted, compared and covered exactly as constructed, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from audit.ingest import read_sheets
from audit.model import Election
from audit.track import TrackError, TrackStore, redact
from audit.track.export import export_sheets

PROFILE = Path(__file__).resolve().parents[1] / "data" / "mini_profile.toml"
UTC = dt.timezone.utc


def _add(store: TrackStore, path: Path, sender: str, hour: int, kind: str = "entry"):
    result = read_sheets(path, profile=PROFILE, election=store.election)
    return store.add(result, sender=sender, kind=kind, mapping="mini_profile.toml",
                     received_at=dt.datetime(2024, 1, 1, hour, 30, tzinfo=UTC))


def _night(db_url: str, mini_case: Path, batches: list[Path]) -> TrackStore:
    election = Election.from_toml(mini_case / "election.toml")
    store = TrackStore.open(db_url, election, create=True)
    for i, path in enumerate(batches):
        _add(store, path, f"desk-{i + 1}", 20 + i)
    return store


def test_three_batches_counted_as_constructed(db_url: str, mini_case: Path,
                                              night_batches: list[Path]) -> None:
    store = _night(db_url, mini_case, night_batches)
    state = store.state()
    b = state.batches
    assert b["file"].tolist() == ["batch1.csv", "batch2.csv", "batch3.csv"]
    assert b["sender"].tolist() == ["desk-1", "desk-2", "desk-3"]
    assert b["received_at"].tolist() == ["2024-01-01T20:30:00Z", "2024-01-01T21:30:00Z",
                                         "2024-01-01T22:30:00Z"]
    assert len(set(b["sha256"])) == 3
    assert all(len(s) == 64 for s in b["sha256"])
    assert b["rows_read"].tolist() == [8, 10, 8]
    assert b["accepted"].tolist() == [8, 10, 7]
    assert b["quarantined"].tolist() == [0, 0, 1]
    # batch 2: tables 9-14 new; 5, 6, 8 agree with batch 1; 7 differs
    # batch 3: tables 15-18 new; 12, 14 agree with batch 2; 13 differs
    assert b["new_tables"].tolist() == [8, 6, 4]
    assert b["agreeing"].tolist() == [0, 3, 2]
    assert b["conflicts_opened"].tolist() == [0, 1, 1]
    assert b["held"].tolist() == [8, 14, 18]
    assert b["open_conflicts"].tolist() == [0, 1, 2]
    assert state.totals() == {"single": 11, "agreed": 5, "conflict": 2, "third_reading": 0,
                              "held": 18, "settled": 16, "readings": 25, "batches": 3}
    assert state.quarantine_reasons() == {"negative_count": 1}
    quarantined = store.read()[2]
    assert quarantined[["batch_id", "line", "rule", "column"]].values.tolist() == [
        [3, 9, "negative_count", "A"]]


def test_conflicts_list_both_transcriptions(db_url: str, mini_case: Path,
                                            night_batches: list[Path]) -> None:
    state = _night(db_url, mini_case, night_batches).state()
    c = state.conflicts()
    assert c["table_id"].tolist() == ["7", "7", "13", "13"]
    assert c["batch_id"].tolist() == [1, 2, 2, 3]
    assert c["line"].tolist() == [8, 4, 10, 3]
    assert c["sender"].tolist() == ["desk-1", "desk-2", "desk-2", "desk-3"]
    assert c["votes_A"].tolist() == [37, 20, 43, 43]
    assert c["votes_B"].tolist() == [20, 37, 20, 20]
    assert c["registered"].tolist() == [300, 300, 300, 800]
    assert c["differs"].tolist() == ["votes_A,votes_B"] * 2 + ["registered"] * 2
    assert set(c["status"]) == {"conflict"}


def test_coverage_by_region_after_each_batch(db_url: str, mini_case: Path,
                                             night_batches: list[Path]) -> None:
    state = _night(db_url, mini_case, night_batches).state()
    cov = state.coverage("district", {"N": 10, "S": 10})
    assert cov["region_code"].tolist() == ["N", "S"] * 3
    assert cov["region_name"].tolist() == ["North", "South"] * 3
    assert cov["batch_id"].tolist() == [1, 1, 2, 2, 3, 3]
    assert cov["held"].tolist() == [8, 0, 10, 4, 10, 8]
    assert cov["open_conflicts"].tolist() == [0, 0, 1, 0, 1, 1]
    assert cov["settled"].tolist() == [8, 0, 9, 4, 9, 7]
    assert cov["coverage"].tolist() == pytest.approx([0.8, 0.0, 1.0, 0.4, 1.0, 0.8])
    national = state.coverage()  # the election's 20 tables
    assert national["held"].tolist() == [8, 14, 18]
    assert national["coverage"].tolist() == pytest.approx([0.4, 0.7, 0.9])


def test_third_reading_settles_a_conflict(db_url: str, mini_case: Path,
                                          night_batches: list[Path],
                                          third_reading: Path) -> None:
    store = _night(db_url, mini_case, night_batches)
    assert len(store.state().sheets) == 16  # tables in conflict are left out
    receipt = _add(store, third_reading, "supervisor", 23, kind="third")
    assert (receipt.batch_id, receipt.kind, receipt.new) == (4, "third", True)
    state = store.state()
    assert state.totals()["conflict"] == 1
    assert state.totals()["third_reading"] == 1
    assert state.batches["resolved"].tolist() == [0, 0, 0, 1]
    assert state.batches["open_conflicts"].tolist() == [0, 1, 2, 1]
    assert state.coverage("district")["open_conflicts"].tolist()[-2:] == [0, 1]
    sheets = state.sheets.data.set_index("table_id")
    assert len(sheets) == 17
    assert "13" not in sheets.index
    assert (sheets.loc["7", "votes_A"], sheets.loc["7", "votes_B"]) == (37, 20)
    assert sheets.loc["7", "source"] == "third.csv"
    assert state.conflicts(include_resolved=True)["table_id"].tolist() == [
        "7", "7", "7", "13", "13"]


def test_a_file_sent_again_is_not_added_twice(db_url: str, mini_case: Path,
                                              night_batches: list[Path]) -> None:
    store = _night(db_url, mini_case, night_batches)
    again = _add(store, night_batches[1], "desk-2", 23)  # desk-2 re-sends its batch
    assert (again.new, again.batch_id) == (False, 2)
    assert len(store.read()[0]) == 3
    # the same bytes keyed independently by another desk are a second reading that agrees
    other = _add(store, night_batches[0], "desk-9", 23)
    assert (other.new, other.batch_id) == (True, 4)
    state = store.state()
    assert state.batches["agreeing"].tolist() == [0, 3, 2, 8]
    # tables 1-4 join 5, 6, 8, 12 and 14; table 7 agrees with batch 1 but stays in conflict
    assert (state.totals()["agreed"], state.totals()["conflict"]) == (9, 2)


def test_export_is_byte_identical_and_read_back(db_url: str, mini_case: Path,
                                               night_batches: list[Path],
                                               tmp_path: Path) -> None:
    state = _night(db_url, mini_case, night_batches).state()
    for kind in ("csv", "parquet"):
        first, second = tmp_path / f"a.{kind}", tmp_path / f"b.{kind}"
        export_sheets(state, first, kind)
        export_sheets(TrackStore.open(db_url, state.election).state(), second, kind)
        assert first.read_bytes() == second.read_bytes()
        back = read_sheets(first, election=state.election)
        assert back.profile.name == "canonical"
        assert (back.rows_read, back.accepted) == (16, 16)
        held = (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18)  # 7, 13 in conflict
        assert back.sheets.totals() == state.sheets.totals() == {
            "A": sum(30 + t for t in held), "B": 20 * len(held)}
        assert back.sheets.data["table_id"].tolist() == [
            str(t) for t in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18)]


def test_refusals(tmp_path: Path, mini_case: Path, night_batches: list[Path]) -> None:
    election = Election.from_toml(mini_case / "election.toml")
    missing = tmp_path / "absent.sqlite"
    with pytest.raises(TrackError, match="no tracking database at"):
        TrackStore.open(missing, election)
    assert not missing.exists()  # reading never creates a file
    _night(str(tmp_path / "n.sqlite"), mini_case, night_batches[:1])
    other = Election.from_dict({"id": "other", "name": "x", "date": "2024-01-01",
                                "candidates": [{"key": "A", "name": "a"},
                                               {"key": "B", "name": "b"}]})
    with pytest.raises(TrackError, match="tracks election 'mini', not 'other'"):
        TrackStore.open(tmp_path / "n.sqlite", other)
    assert redact("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"


def test_store_tables_in_canonical_columns(tmp_path: Path, mini_case: Path,
                                          night_batches: list[Path]) -> None:
    store = _night(str(tmp_path / "n.sqlite"), mini_case, night_batches)
    readings = store.read()[1]
    assert {"batch_id", "line", "region_district_code", "center_id", "table_id", "registered",
            "voters", "valid", "null", "blank", "votes_A", "votes_B"} <= set(readings.columns)
    assert readings["blank"].isna().all()  # not on these sheets: stored as NULL
    assert isinstance(readings, pd.DataFrame)
    assert len(readings) == 25


def test_canonical_layout_is_read_as_written(tmp_path: Path) -> None:
    # what `track export` and `ingest --out` write is read back by every command, codes
    # with leading zeros and an empty centre included
    path = tmp_path / "sheets.csv"
    path.write_text("region_district_code,region_district_name,center_id,table_id,voters,"
                    "valid,votes_A,votes_B,source,line\n"
                    "01,North,0101,007,10,10,6,4,batch1.csv,2\n"
                    "02,South,,12,20,20,5,15,batch1.csv,3\n")
    result = read_sheets(path)
    data = result.sheets.data
    assert result.profile.name == "canonical"
    assert (result.accepted, result.quarantined) == (2, 0)
    assert data["center_id"].tolist() == ["0101", ""]
    assert data["table_id"].tolist() == ["007", "12"]
    assert data["region_district_code"].tolist() == ["01", "02"]
    assert result.sheets.candidates == ("A", "B")
    assert data["voters"].tolist() == [10, 20]
