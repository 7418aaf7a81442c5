"""Hostile or malformed tally-sheet files (issue 13): no count changes silently, faults stay
row-level, nothing blows up.

Each test reproduces one defect class of the adversarial review; the files are kept as
regression inputs in ``tests/data/hostile/`` (see its README) and fuzzed in ``tests/fuzz``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.errors import ProfileError
from audit.ingest import read_sheets

FIXTURES = Path(__file__).resolve().parents[1] / "data"
PROFILE = FIXTURES / "mini_profile.toml"
HEADER = "region,station,registered,voters,valid,null,A,B\n"


def row(i: int, a: str = "30", b: str = "18", registered: str = "100") -> str:
    return f"N,{i},{registered},50,48,2,{a},{b}\n"


def ingest(tmp_path: Path, text: str | bytes, name: str = "sheets.csv",
           profile: Path | str = PROFILE):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return read_sheets(path, profile=profile)


def identity(result) -> None:
    assert result.accepted + result.quarantined + result.duplicates_collapsed \
        == result.rows_read


# --------------------------------------------------------------------------------------------
# Rows selected on a regular stride (pandas 3 keeps a RangeIndex with a step)
# --------------------------------------------------------------------------------------------


def test_a_subtotal_line_after_every_table_does_not_crash(tmp_path: Path) -> None:
    text = HEADER + "".join(row(i) + "TOTAL,,,,,,,\n" for i in range(1, 6))
    result = ingest(tmp_path, text)
    identity(result)
    assert (result.rows_read, result.accepted, result.quarantined) == (10, 5, 5)
    assert result.sheets.data["valid"].tolist() == [48] * 5


def test_one_bad_middle_row_of_three(tmp_path: Path) -> None:
    result = ingest(tmp_path, HEADER + row(1) + row(2, a="x") + row(3))
    assert (result.accepted, result.quarantined) == (2, 1)
    assert result.sheets.data["table_id"].tolist() == ["1", "3"]


@given(st.lists(st.booleans(), min_size=1, max_size=40))
def test_any_keep_mask_gives_the_accepted_rows_in_order(tmp_path_factory, keep) -> None:
    """Property: whichever rows are bad, the accepted table holds exactly the good ones."""
    folder = tmp_path_factory.mktemp("mask")
    text = HEADER + "".join(row(i + 1) if ok else row(i + 1, a="bad")
                            for i, ok in enumerate(keep))
    result = ingest(folder, text)
    identity(result)
    expected = [str(i + 1) for i, ok in enumerate(keep) if ok]
    assert result.sheets.data["table_id"].tolist() == expected
    assert result.sheets.data["votes_A"].tolist() == [30] * len(expected)
    assert result.sheets.data["line"].tolist() == [int(t) + 1 for t in expected]


# --------------------------------------------------------------------------------------------
# Numbers never change silently
# --------------------------------------------------------------------------------------------


def test_blanks_inside_a_count_only_as_thousands_groups(tmp_path: Path) -> None:
    text = (HEADER + row(1, a="3 0")                      # not a grouping: was read as 30
            + row(2, a="1'2", b="3'6")                     # not groupings either
            + row(3, a="3\t0")                             # a tab inside a number
            + "N,4,1 200,1 050,1 048,2,1 030,18\n")        # valid groups of three
    result = ingest(tmp_path, text)
    identity(result)
    assert result.sheets.data["table_id"].tolist() == ["4"]
    assert result.sheets.data["votes_A"].tolist() == [1030]
    bad = result.quarantine[result.quarantine["rule"] == "not_integer"]
    assert set(bad["value"]) == {"1'2", "3 0", "3'6", "3\t0"}


def test_one_typo_does_not_flip_the_columns_convention(tmp_path: Path) -> None:
    """"12.5" is no evidence that '.' is a decimal point: "2.000" stays ambiguous."""
    text = (HEADER + 'N,1,100,50,2,0,"2.000",0\n' + row(2, a="12.5"))
    result = ingest(tmp_path, text)
    assert result.accepted == 0
    rules = dict(zip(result.quarantine["value"], result.quarantine["rule"], strict=True))
    assert rules["2.000"] == "ambiguous_number"
    assert rules["12.5"] == "not_integer"


def test_convention_is_reported_and_a_conflicting_minority_quarantined(
        tmp_path: Path) -> None:
    text = (HEADER + 'N,1,2000,1500,1500,0,"1.234",266\n'
            + 'N,2,2000,1500,1500,0,"1.100",400\n'
            + 'N,3,3000,2000,2000,0,"2.000",0\n'      # ambiguous alone: thousands here
            + 'N,4,100,50,48,2,"30.0",18\n')          # readable only with '.' as decimal
    result = ingest(tmp_path, text)
    identity(result)
    assert result.sheets.data["votes_A"].tolist() == [1234, 1100, 2000]
    [conflict] = result.quarantine.loc[result.quarantine["line"] == 5, "rule"].tolist()
    assert conflict == "ambiguous_number"
    fmt = result.to_dict()["number_formats"]["A"]
    assert (fmt["thousands"], fmt["decimal"]) == (".", ",")
    assert (fmt["evidence"], fmt["conflicting"]) == (2, 1)
    assert "1.234" in fmt["example"]


def test_counts_above_the_plausibility_cap_are_quarantined(tmp_path: Path) -> None:
    text = (HEADER + row(1) + row(2, b="")  # a missing value: the column is not clean int64
            + row(3, registered="9007199254740993")
            + row(4, registered="99999999999999999999999")
            + row(5, registered="1000000001"))
    result = ingest(tmp_path, text)
    identity(result)
    assert result.sheets.data["table_id"].tolist() == ["1"]
    implausible = result.quarantine[result.quarantine["rule"] == "implausible_count"]
    assert sorted(implausible["line"]) == [4, 5, 6]
    assert "9007199254740993" in implausible["value"].tolist()  # shown as written


def test_a_count_beyond_int64_in_a_clean_integer_file(tmp_path: Path) -> None:
    result = ingest(tmp_path, HEADER + row(1) + row(2, registered="18446744073709551615"))
    assert (result.accepted, result.quarantined) == (1, 1)
    assert result.reasons() == {"implausible_count": 1}


def test_mixed_encodings_fall_back_per_line_with_a_note(tmp_path: Path) -> None:
    mapping = tmp_path / "named.toml"
    mapping.write_text(PROFILE.read_text().replace(
        'code = "region"', 'code = "region"\nname = "name"')
        .replace('election = "mini_election.toml"', ""))
    head = "region,name,station,registered,voters,valid,null,A,B\n"
    text = (head + "N,Mérida,1,100,50,48,2,30,18\n").encode() \
        + b"N,M\xe9rida,2,100,50,48,2,30,18\n" + "N,Táchira,3,100,50,48,2,30,18\n".encode()
    result = ingest(tmp_path, text, profile=mapping)
    assert result.sheets.data["region_district_name"].tolist() == [
        "Mérida", "Mérida", "Táchira"]
    assert any("line 3" in note and "UTF-8" in note for note in result.notes)


# --------------------------------------------------------------------------------------------
# Row-level faults stay row-level
# --------------------------------------------------------------------------------------------


def test_a_row_with_too_many_fields_is_quarantined(tmp_path: Path) -> None:
    text = HEADER + row(1) + "N,2,100,50,48,2,30,18,7\n" + row(3) + "N,4,1,2,3,4,5,6,7,8,9\n"
    result = ingest(tmp_path, text)
    identity(result)
    assert result.rows_read == 4
    assert result.sheets.data["table_id"].tolist() == ["1", "3"]
    ragged = result.quarantine[result.quarantine["rule"] == "ragged_row"]
    assert ragged["line"].tolist() == [3, 5]


def test_a_trailing_delimiter_on_every_row_shifts_nothing(tmp_path: Path) -> None:
    text = HEADER + "".join(row(i).replace("\n", ",\n") for i in range(1, 4))
    result = ingest(tmp_path, text)
    assert (result.accepted, result.quarantined) == (3, 0)
    assert result.sheets.data["votes_B"].tolist() == [18, 18, 18]


def test_a_header_longer_than_64_kib_is_read_whole(tmp_path: Path) -> None:
    pad = [f"padding_column_{i:05d}" for i in range(4000)]
    header = ",".join(pad) + "," + HEADER
    assert len(header) > 65536
    text = header + "".join("0," * len(pad) + row(i) for i in range(1, 3))
    result = ingest(tmp_path, text)
    assert (result.accepted, result.quarantined) == (2, 0)


def test_conflicting_duplicates_have_messages_linear_in_the_group(tmp_path: Path) -> None:
    text = HEADER + "".join(row(1, a=str(30 + i % 2), b=str(18 - i % 2)) for i in range(3000))
    result = ingest(tmp_path, text)
    assert result.quarantined == 3000
    lengths = result.quarantine["message"].str.len()
    assert lengths.max() < 400
    first = result.quarantine["message"].iloc[0]
    assert "3,000 lines" in first
    assert "and 2,995 more" in first


def test_headers_differing_only_in_case_are_not_confused(tmp_path: Path) -> None:
    text = "region,station,registered,voters,valid,null,A,B,a\nN,1,100,50,48,2,30,18,999\n"
    result = ingest(tmp_path, text)
    assert result.sheets.data["votes_A"].tolist() == [30]  # the column spelled exactly "A"
    text = "region,station,registered,voters,VALID,null,A,B,Valid\nN,1,100,50,48,2,30,18,4\n"
    with pytest.raises(ProfileError, match=r"VALID.*Valid"):  # no exact spelling: ambiguous
        ingest(tmp_path, text, name="two.csv")


def test_uint64_and_nested_parquet_columns_are_quarantined_per_row(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "region": ["N", "N", "N"], "station": [1, 2, 3],
        "registered": pa.array([100, 2**64 - 1, 100], pa.uint64()),
        "voters": [50, 50, 50], "valid": [48, 48, 48], "null": [2, 2, 2],
        "A": [30, 30, 30], "B": pa.array([[18], [18], [1, 17]], pa.list_(pa.int64())),
    })
    pq.write_table(table, tmp_path / "s.parquet")
    result = read_sheets(tmp_path / "s.parquet", profile=PROFILE)
    identity(result)
    assert result.accepted == 0
    assert set(result.reasons()) <= {"implausible_count", "not_integer"}
    assert "implausible_count" in result.reasons()


def test_merged_excel_cells_keep_their_value(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    for i in range(1, 4):
        ws.append(["N" if i == 1 else None, i, 100, 50, 48, 2, 30, 18])
    ws.merge_cells("A2:A4")
    wb.save(tmp_path / "merged.xlsx")
    result = read_sheets(tmp_path / "merged.xlsx", profile=PROFILE)
    assert result.sheets.data["region_district_code"].tolist() == ["N", "N", "N"]
    assert any("A2:A4" in note for note in result.notes)


# --------------------------------------------------------------------------------------------
# Inert outputs
# --------------------------------------------------------------------------------------------

PAYLOADS = ("=HYPERLINK(\"https://evil.example/\",\"x\")", "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A2)", "\t=1+1", "\r=1+1")


def test_ingest_outputs_never_start_a_cell_with_a_formula_character(tmp_path: Path) -> None:
    from audit.ingest.output import write_ingest_outputs

    mapping = tmp_path / "named.toml"
    mapping.write_text(PROFILE.read_text().replace('code = "region"',
                                                   'code = "region"\nname = "name"')
                       .replace('election = "mini_election.toml"', ""))
    head = "region,name,station,registered,voters,valid,null,A,B\n"
    def q(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    lines = [f"N,{q(p)},{i},100,50,48,2,30,18\n" for i, p in enumerate(PAYLOADS, 1)]
    lines += [f"N,x,{len(PAYLOADS) + 1},100,50,48,2,{q(PAYLOADS[1])},18\n",
              "N,x,1,100,50,48,2,31,17\n", f"N,x,{q(PAYLOADS[3])},100,50,48,2,30,18\n",
              f"N,x,{q(PAYLOADS[3])},100,50,48,2,30,18\n"]
    result = ingest(tmp_path, head + "".join(lines), profile=mapping)
    written = write_ingest_outputs(result, tmp_path / "out")
    for path in written:
        if path.suffix != ".csv":
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert len(frame) > 0, path.name
        for value in frame.to_numpy().ravel():
            if value and value[0] in "=+-@\t\r":
                assert _is_number(value), (path.name, value)
    sheets = pd.read_csv(tmp_path / "out" / "sheets.csv", dtype=str)
    assert "'+cmd|' /C calc'!A0" in sheets.to_numpy()
    assert result.sheets.data["region_district_name"].iloc[0] == PAYLOADS[1]  # kept as read
    assert json.loads((tmp_path / "out" / "ingest.json").read_text())["accepted"] > 0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return np.isfinite(float(text))
