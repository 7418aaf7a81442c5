"""``election-audit ingest``: one JSON object, output files, one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from audit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "data"
SHEETS = FIXTURES / "broken_sheets.csv"
MAPPING = FIXTURES / "mini_profile.toml"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_json_is_one_object_with_the_required_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ingest", str(SHEETS), "--mapping", str(MAPPING), "--json"], capsys)
    assert code == 0
    payload = json.loads(out)  # exactly one JSON document, nothing else on stdout
    assert isinstance(payload, dict)
    for key in ("sha256", "profile", "rows_read", "accepted", "quarantined",
                "duplicates_collapsed", "totals", "valid", "null", "registered",
                "quarantine_reasons"):
        assert key in payload
    assert (payload["rows_read"], payload["accepted"], payload["quarantined"],
            payload["duplicates_collapsed"]) == (18, 6, 11, 1)
    assert payload["profile"] == "mini"
    assert payload["totals"] == {"A": 30 + 40 + 30 + 300 + 300 + 30,
                                 "B": 18 + 19 + 18 + 298 + 298 + 18}
    assert payload["quarantine_reasons"]["duplicate_conflict"] == 2
    assert len(payload["sha256"]) == 64


def test_out_writes_tables_with_provenance(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = run(["ingest", str(SHEETS), "--mapping", str(MAPPING), "--out",
                        str(out_dir), "--json"], capsys)
    assert code == 0
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "duplicates.csv", "ingest.json", "quarantine.csv", "sheets.csv", "sheets.parquet"]
    meta = json.loads(pq.read_schema(out_dir / "sheets.parquet").metadata[b"election_audit"])
    assert meta["sha256"] == json.loads(out)["sha256"]
    assert meta["provenance"][0]["path"] == "broken_sheets.csv"
    assert meta["candidates"] == ["A", "B"]
    assert len(pq.read_table(out_dir / "sheets.parquet")) == 6
    assert (out_dir / "quarantine.csv").read_text(encoding="utf-8").count("\n") == 12
    assert (out_dir / "sheets.csv").read_text(encoding="utf-8").count("\n") == 7


def test_human_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ingest", str(SHEETS), "--mapping", str(MAPPING)], capsys)
    assert code == 0
    assert "rows read 18 = accepted 6 + quarantined 11 + duplicates collapsed 1" in out
    assert "duplicate_conflict" in out


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("region,station,registered,voters,valid,null,A,B\n",
                                         encoding="utf-8")
    (tmp_path / "undecodable.csv").write_bytes(b"\xff\xfer\x00,\x00s\x00\x00\xd8\n\x00")
    (tmp_path / "other.csv").write_text("alpha,beta,gamma\n1,2,3\n", encoding="utf-8")
    return {
        "missing": (tmp_path / "absent.csv", "file not found"),
        "binary": (tmp_path / "binary.csv", "binary"),
        "empty": (tmp_path / "empty.csv", "is empty"),
        "header-only": (tmp_path / "header.csv", "no rows"),
        "undecodable": (tmp_path / "undecodable.csv", "cannot decode"),
        "no-profile": (tmp_path / "other.csv", "no profile fits"),
    }


@pytest.mark.parametrize("case", ["missing", "binary", "empty", "header-only", "undecodable",
                                  "no-profile"])
def test_bad_input_exits_2_with_one_line(case: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path, words = bad_inputs(tmp_path)[case]
    args = ["ingest", str(path)]
    if case == "header-only":
        args += ["--mapping", str(MAPPING)]
    code, out, err = run(args, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("election-audit: error: ")
    assert words in err
    assert "Traceback" not in err


def test_bad_mapping_and_usage_errors(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[columns\n", encoding="utf-8")
    for args, words in (
        (["ingest", str(SHEETS), "--mapping", str(broken)], "not a valid TOML mapping"),
        (["ingest", str(SHEETS), "--profile", "x", "--mapping", str(MAPPING)], "give one mapping"),
        (["ingest", str(SHEETS), "--profile", "no-such-profile"], "no profile named"),
        (["ingest", "--nope"], "No such option"),
    ):
        code, _, err = run(args, capsys)
        assert code == 2
        assert err.count("\n") == 1
        assert words in err
