"""Readers (audit.ingest.readers): encodings, delimiters, Excel, Parquet, unreadable files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from audit.errors import InputFileError
from audit.ingest import read_sheets
from audit.ingest.readers import detect_encoding, open_file

MAPPING = """
name = "places"
source_label = "test"

[columns]
table_id = "mesa"
valid = "válidos"

[[regions]]
level = "state"
code = "estado"

[candidates]
A = "Ana"
B = "Bea"
"""

HEADER = ["estado", "mesa", "válidos", "Ana", "Bea"]
ROWS = [["Mérida", "1", "30", "10", "20"], ["Táchira", "2", "7", "7", "0"],
        ["Curaçao “norte”", "3", "5", "2", "3"]]


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "places.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def write_text(path: Path, delimiter: str, encoding: str, rows: list[list[str]] = ROWS) -> Path:
    text = "\n".join(delimiter.join(r) for r in [HEADER, *rows]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def check(result_path: Path, mapping: Path, names: list[str]) -> None:
    result = read_sheets(result_path, profile=mapping)
    data = result.sheets.data
    assert result.rows_read == result.accepted == len(names)
    assert data["region_state_code"].tolist() == names
    assert data["table_id"].tolist() == [str(i + 1) for i in range(len(names))]
    assert result.sheets.totals() == {"A": 10 + 7 + 2, "B": 20 + 0 + 3}


class TestCsv:
    @pytest.mark.parametrize(("encoding", "expected"), [
        ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp1252", "cp1252")])
    def test_encodings(self, tmp_path: Path, mapping: Path, encoding: str,
                       expected: str) -> None:
        path = write_text(tmp_path / "s.csv", ",", encoding)
        assert detect_encoding(path) == expected
        assert open_file(path).encoding == expected
        check(path, mapping, [r[0] for r in ROWS])

    def test_latin1(self, tmp_path: Path, mapping: Path) -> None:
        rows = [r[:] for r in ROWS[:2]]  # Latin-1 has no curly quotes
        rows[1][0] = "Añasco ±"
        path = write_text(tmp_path / "s.csv", ",", "latin-1", rows)
        assert detect_encoding(path) == "latin-1"
        result = read_sheets(path, profile=mapping)
        assert result.sheets.data["region_state_code"].tolist() == ["Mérida", "Añasco ±"]

    def test_utf16_with_bom(self, tmp_path: Path, mapping: Path) -> None:
        """Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated."""
        path = tmp_path / "s.txt"
        text = "\n".join("\t".join(r) for r in [HEADER, *ROWS]) + "\n"
        path.write_bytes(text.encode("utf-16"))
        check(path, mapping, [r[0] for r in ROWS])

    def test_not_utf8_after_the_first_64_kib(self, tmp_path: Path, mapping: Path) -> None:
        """The encoding guessed from the head is corrected when a later byte disagrees."""
        rows = [["Lara", str(i), "3", "1", "2"] for i in range(1, 8000)]
        rows.append(["Mérida", "8000", "3", "1", "2"])
        path = write_text(tmp_path / "s.csv", ",", "latin-1", rows)
        assert path.stat().st_size > 1 << 16
        result = read_sheets(path, profile=mapping)
        assert result.sheets.data["region_state_code"].iloc[-1] == "Mérida"
        assert result.files[0].encoding == "latin-1"

    @pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
    def test_delimiters(self, tmp_path: Path, mapping: Path, delimiter: str) -> None:
        path = write_text(tmp_path / "s.csv", delimiter, "utf-8")
        assert open_file(path).delimiter == delimiter
        check(path, mapping, [r[0] for r in ROWS])


class TestOtherFormats:
    def test_excel(self, tmp_path: Path, mapping: Path) -> None:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(HEADER)
        for row in ROWS:
            sheet.append([row[0], int(row[1]), *(int(x) for x in row[2:])])
        path = tmp_path / "s.xlsx"
        book.save(path)
        assert open_file(path).format == "xlsx"
        check(path, mapping, [r[0] for r in ROWS])
        assert read_sheets(path, profile=mapping).sheets.data["line"].tolist() == [2, 3, 4]

    def test_parquet(self, tmp_path: Path, mapping: Path) -> None:
        frame = pd.DataFrame(ROWS, columns=HEADER)
        for col in HEADER[1:]:
            frame[col] = frame[col].astype("int64")
        path = tmp_path / "s.parquet"
        frame.to_parquet(path)
        assert open_file(path).format == "parquet"
        check(path, mapping, [r[0] for r in ROWS])


class TestUnreadable:
    def test_missing(self, tmp_path: Path) -> None:
        with pytest.raises(InputFileError, match="file not found"):
            open_file(tmp_path / "nope.csv")

    def test_empty(self, tmp_path: Path) -> None:
        (tmp_path / "e.csv").write_bytes(b"")
        with pytest.raises(InputFileError, match="is empty"):
            open_file(tmp_path / "e.csv")

    def test_binary(self, tmp_path: Path) -> None:
        (tmp_path / "b.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        with pytest.raises(InputFileError, match="binary"):
            open_file(tmp_path / "b.csv")

    def test_undecodable_utf16(self, tmp_path: Path) -> None:
        (tmp_path / "u.csv").write_bytes(b"\xff\xfer\x00,\x00s\x00\x00\xd8\n\x00")
        with pytest.raises(InputFileError, match="cannot decode as utf-16"):
            open_file(tmp_path / "u.csv")

    def test_header_only(self, tmp_path: Path, mapping: Path) -> None:
        path = write_text(tmp_path / "h.csv", ",", "utf-8", rows=[])
        with pytest.raises(InputFileError, match="no rows"):
            read_sheets(path, profile=mapping)

    def test_repeated_header_names(self, tmp_path: Path) -> None:
        (tmp_path / "r.csv").write_text("a,b,a\n1,2,3\n", encoding="utf-8")
        with pytest.raises(InputFileError, match="repeats"):
            open_file(tmp_path / "r.csv")

    def test_not_a_workbook(self, tmp_path: Path) -> None:
        (tmp_path / "z.xlsx").write_bytes(b"PK\x03\x04not really a zip")
        with pytest.raises(InputFileError, match="Excel"):
            open_file(tmp_path / "z.xlsx")
