"""``election-audit dispute``, ``claims`` and ``aggregate``: JSON shape, exit codes, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import real_file

from audit.cases import load_case
from audit.cli import main

CASE_DIR = load_case("venezuela-2024").path
SHEETS = "venezuela_2024_resultadosconvzla_actas"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


@pytest.fixture
def case_copy(tmp_path: Path) -> Path:
    """A case folder with the Venezuela metadata and ledger, but no bundled aggregates."""
    folder = tmp_path / "case"
    folder.mkdir()
    for name in ("election.toml", "claims.yaml"):
        shutil.copy(CASE_DIR / name, folder / name)
    return folder


class TestDispute:
    def test_json_shape_and_must_shows(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = run(["dispute", "venezuela-2024", "--json"], capsys)
        assert code == 0
        assert err == ""
        d = json.loads(out)
        assert d["schema"] == "election-audit/dispute"
        assert d["schema_version"] == 1
        assert set(d) == {"schema", "schema_version", "package_version", "case", "election",
                          "ledger", "claims", "sheets", "params", "results", "findings"}
        assert set(d["results"]) == {"arithmetic", "round_percentages", "successive",
                                     "against_sheets", "compatibility"}
        assert [s["label"] for s in d["sheets"]] == ["opposition-v1", "opposition-v2"]
        assert d["ledger"]["claims"] == 21
        b1 = next(r for r in d["results"]["round_percentages"] if r["claim"] == "cne-b1")
        assert b1["pvalue"] == pytest.approx(9.884e-9, rel=1e-3)
        assert b1["evidence"] == "strong"
        b2 = next(r for r in d["results"]["against_sheets"]
                  if r["claim"] == "cne-b2" and r["sheets"] == "opposition-v1")
        assert b2["verdict"] == "violation"
        eg = next(row for row in b2["table"] if row["key"] == "EG")
        assert eg["excess"] == 1830358
        assert b2["feasibility"]["registered_without_sheets"]["point"] == 21392464 - 17745239
        assert b2["feasibility"]["lead_need"] == 3167383
        for family in ("arithmetic", "round_percentages", "successive", "against_sheets"):
            for r in d["results"][family]:
                assert r["sentence"]
                assert r["message"]["id"].startswith("claims.")

    def test_byte_identical(self, capsys: pytest.CaptureFixture[str]) -> None:
        first = run(["dispute", "venezuela-2024", "--json"], capsys)[1]
        second = run(["dispute", "venezuela-2024", "--json"], capsys)[1]
        assert first == second

    def test_terminal_summary(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(["dispute", "venezuela-2024"], capsys)
        assert code == 0
        flat = " ".join(out.split())
        assert "cne-b2 cannot be true" in flat
        assert "1 in 101,000,000" in flat
        code, out, _ = run(["dispute", "venezuela-2024", "--lang", "es"], capsys)
        assert "1 entre 101.000.000" in " ".join(out.split())

    def test_folder_case_without_aggregates(self, case_copy: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(["dispute", str(case_copy), "--json"], capsys)
        assert code == 0
        d = json.loads(out)
        assert d["sheets"] == []
        assert d["results"]["against_sheets"] == []

    def test_with_the_sheet_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        v1 = real_file(SHEETS, "RESULTADOS_2024_CSV_V1.csv")
        code, out, _ = run(["dispute", "venezuela-2024", "--sheets", str(v1), "--json"],
                           capsys)
        assert code == 0
        d = json.loads(out)
        assert [(s["label"], s["kind"], s["tables"]) for s in d["sheets"]] == [
            ("opposition-v1", "tables", 24532)]
        b2 = next(r for r in d["results"]["against_sheets"] if r["claim"] == "cne-b2")
        assert b2["feasibility"]["distribution"]["unit"] == "table"
        assert b2["feasibility"]["distribution"]["lead_share_of_registered_reaching"] == 0

    def test_bad_case_exits_2_with_one_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = run(["dispute", "atlantis-2031"], capsys)
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1
        assert err.startswith("election-audit: error: no case 'atlantis-2031'")

    def test_malformed_ledger_exits_2_with_one_line(self, case_copy: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
        path = case_copy / "claims.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('NM: "51.20"', "NM: 51.20").replace(
            "side: court", "side: tribunal"), encoding="utf-8")
        code, out, err = run(["dispute", str(case_copy), "--json"], capsys)
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1
        assert "claims.yaml: 2 problems:" in err
        assert "claim 'cne-b1', field 'percentages.NM' = 51.2" in err
        assert "claim 'tsj-ruling', field 'side' = 'tribunal'" in err

    def test_missing_sheet_file_is_a_usage_error(self, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(["dispute", "venezuela-2024", "--sheets",
                            str(tmp_path / "none.csv")], capsys)
        assert code == 2
        assert err.count("\n") == 1


class TestClaimsCommands:
    def test_list_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(["claims", "list", "venezuela-2024", "--side", "official",
                            "--json"], capsys)
        assert code == 0
        d = json.loads(out)
        assert [c["id"] for c in d["claims"]] == ["cne-b1", "cne-proclamation", "cne-b2"]
        assert d["claims"][0]["percentages"]["NM"] == "51.20"

    def test_list_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(["claims", "list", "venezuela-2024"], capsys)
        assert code == 0
        assert "cne-b1" in out
        assert "51.20%" in out

    def test_add_validates_then_appends(self, case_copy: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
        path = case_copy / "claims.yaml"
        before = path.read_text(encoding="utf-8")
        args = ["claims", "add", str(case_copy), "--id", "cne-b3",
                "--datetime", "2024-08-05T10:00:00-04:00", "--side", "official",
                "--citation", "A hypothetical third bulletin", "--url", "https://example.org",
                "--tables-pct", "100", "--count", "NM=6500000", "--count", "EG=5400000",
                "--pct", "NM=51.90", "--percent-base", "valid", "--json"]
        code, out, err = run(args, capsys)
        assert (code, err) == (0, "")
        d = json.loads(out)
        assert d["written"] is True
        assert d["claim"]["percentages"] == {"NM": "51.90"}
        after = path.read_text(encoding="utf-8")
        assert after.startswith(before.rstrip("\n"))
        assert "'51.90'" in after
        code, out, _ = run(["claims", "list", str(case_copy), "--json"], capsys)
        ids = [c["id"] for c in json.loads(out)["claims"]]
        assert ids.index("cne-b2") < ids.index("cne-b3") < ids.index("opp-csv-v2")
        code, _, err = run(args, capsys)  # the same id again
        assert code == 2
        assert "duplicate_id" in err

    def test_add_rejects_a_bad_field_without_writing(self, case_copy: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
        path = case_copy / "claims.yaml"
        before = path.read_text(encoding="utf-8")
        code, _, err = run(["claims", "add", str(case_copy), "--id", "x1",
                            "--datetime", "2024-08-05T10:00", "--side", "official",
                            "--citation", "c", "--count", "ZZ=5"], capsys)
        assert code == 2
        assert err.count("\n") == 1
        assert "naive_datetime" in err
        assert "unknown_candidate" in err
        assert path.read_text(encoding="utf-8") == before

    def test_add_dry_run(self, case_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = case_copy / "claims.yaml"
        before = path.read_text(encoding="utf-8")
        code, out, _ = run(["claims", "add", str(case_copy), "--id", "x2", "--datetime",
                            "2024-08-05", "--side", "media", "--citation", "c",
                            "--count", "EG=6.9M", "--dry-run"], capsys)
        assert code == 0
        assert "x2" in out
        assert path.read_text(encoding="utf-8") == before


class TestAggregateCommand:
    def test_regenerates_the_bundled_files(self, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
        v1 = real_file(SHEETS, "RESULTADOS_2024_CSV_V1.csv")
        out_file = tmp_path / "agg.csv"
        code, _, err = run(["aggregate", str(v1), "--by", "state", "--source-id",
                            "opposition-v1", "-o", str(out_file)], capsys)
        assert (code, err) == (0, "")
        assert out_file.read_bytes() == (CASE_DIR / "aggregates_opposition-v1.csv").read_bytes()

    def test_unknown_level(self, fixtures: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(["aggregate", str(fixtures / "broken_sheets.csv"), "--profile",
                            str(fixtures / "mini_profile.toml"), "--by", "galaxy"], capsys)
        assert code == 2
        assert "no region level 'galaxy'" in err


def test_demo_claims_are_consistent_and_successions_stay_within_a_scope() -> None:
    from audit.checks.dispute import audit_dispute
    from audit.checks.result import Evidence

    result = audit_dispute("demo")
    # blank votes are stated, so valid + null + blank = voters in both national claims
    assert all(r.evidence is Evidence.CONSISTENT for r in result.arithmetic)
    # a national claim is never paired with a provincial one as a "succession"
    assert [r for r in result.successive if r.evidence is Evidence.NOT_TESTED] == []
