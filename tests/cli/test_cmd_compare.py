"""``election-audit compare``: whole outputs, the JSON schema and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.cli import main
from tests.conftest import FIXTURES, real_file

PROFILE = str(FIXTURES / "mini_profile.toml")
HEADER = "region,station,registered,voters,valid,null,A,B\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    a = tmp_path / "count.csv"
    a.write_text(HEADER + "N,1,100,50,48,2,30,18\nN,2,100,60,59,1,40,19\n"
                 "S,3,100,50,48,2,28,20\n")
    b = tmp_path / "recount.csv"
    b.write_text(HEADER + "N,1,100,50,48,2,30,18\nN,2,100,60,59,1,42,17\n"
                 "S,4,100,40,40,0,20,20\n")
    return a, b


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_json_schema(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = files
    code, out, err = run(["compare", str(a), str(b), "--profile-a", PROFILE, "--profile-b",
                          PROFILE, "--json"], capsys)
    assert (code, err) == (0, "")
    payload = json.loads(out)
    assert payload["schema"] == "election-audit/compare"
    assert payload["schema_version"] == 1
    assert payload["mode"] == "compare"
    assert payload["limit"] == 1000
    assert payload["lengths"] == {"discrepancies": 2, "unmatched_a": 1, "unmatched_b": 1}
    assert payload["inputs"]["a"]["files"] == ["count.csv"]
    assert payload["inputs"]["a"]["label"] == "count"  # both files use one profile
    result = payload["result"]
    assert (result["n_matched"], result["n_agree"], result["level"]) == (2, 1, "district")
    assert [(d["table_id"], d["candidate"], d["difference"])
            for d in result["discrepancies"]] == [("2", "A", 2), ("2", "B", -2)]
    assert result["unmatched_b"] == [{"center_id": "", "table_id": "4", "region_code": "S",
                                      "line": 4}]
    assert result["sentence"].startswith("2 tables appear in both count (3 tables) and "
                                         "recount (3)")


def test_human_summary_and_limit(files: tuple[Path, Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    a, b = files
    code, out, _ = run(["compare", str(a), str(b), "--profile-a", PROFILE, "--profile-b",
                        PROFILE, "--limit", "1", "--by", "none"], capsys)
    assert code == 0
    assert "Every candidate count agrees on 1 of the 2 tables (50.00%)" in " ".join(out.split())
    assert "Largest discrepancies (of 2)" in out
    assert "only in A (1): 3" in out
    assert "Tables by" not in out


def test_lower_bound_mode(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = files
    code, out, _ = run(["compare", str(a), str(b), "--profile-a", PROFILE, "--profile-b",
                        PROFILE, "--lower-bound", "--json", "--candidates", "A"], capsys)
    payload = json.loads(out)
    assert (code, payload["mode"]) == (0, "lower_bound")
    assert [(v["table_id"], v["shortfall"]) for v in payload["result"]["violations"]] \
        == [("2", 2)]
    assert payload["result"]["evidence"] == "impossible"


def test_input_errors_exit_2(files: tuple[Path, Path],
                             capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = files
    code, out, err = run(["compare", str(a), "missing.csv", "--profile-a", PROFILE], capsys)
    assert (code, out) == (2, "")
    assert err == "election-audit: error: FILE_B (missing.csv): file not found: missing.csv\n"
    code, _, err = run(["compare", str(a), str(a), "--profile-a", PROFILE, "--profile-b",
                        PROFILE, "--candidates", "Z"], capsys)
    assert code == 2
    assert "has no candidate Z" in err


@pytest.mark.realdata
def test_belarus_views_must_be_named(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(real_file("belarus_2020_voice_platform", "voice.csv"))
    code, _, err = run(["compare", path, path], capsys)
    assert code == 2
    assert "choose one with --mapping-a" in err


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["compare", "--help"], capsys)
    assert code == 0
    assert "Example:" in out


def test_profile_errors_name_the_flag_of_each_file(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The library says ``profile=``; compare names ``--mapping-a`` / ``--mapping-b``."""
    a = tmp_path / "a.csv"
    a.write_text("x,y,z\n1,2,3\n", encoding="utf-8")
    code, out, err = run(["compare", str(a), str(a)], capsys)
    assert (code, out) == (2, "")
    assert "FILE_A (a.csv): no profile fits" in err
    assert "pass --mapping-a FILE" in err
    assert "profile=" not in err
