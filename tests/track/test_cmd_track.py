"""``election-audit track``: the night through the command line, read at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.cli import main

PROFILE = str(Path(__file__).resolve().parents[1] / "data" / "mini_profile.toml")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def test_a_night_through_the_command_line(tmp_path: Path, mini_case: Path,
                                          night_batches: list[Path], third_reading: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "night.sqlite")
    track = ["track", str(mini_case), "--db", db]
    code, out, err = run([*track, "add", *map(str, night_batches), "--mapping", PROFILE,
                          "--sender", "desk-1", "--no-progress", "--json"], capsys)
    assert (code, err) == (0, "")
    added = json.loads(out)
    assert added["schema"] == "election-audit/track-add"
    assert [b["batch_id"] for b in added["batches"]] == [1, 2, 3]
    assert [b["new_tables"] for b in added["batches"]] == [8, 6, 4]
    assert [b["conflicts_opened"] for b in added["batches"]] == [0, 1, 1]
    assert added["batches"][2]["quarantine_reasons"] == {"negative_count": 1}
    assert added["tables"]["conflict"] == 2

    code, out, _ = run([*track, "status", "--json"], capsys)
    status = json.loads(out)
    assert code == 0
    assert status["schema"] == "election-audit/track-status"
    assert status["tables"]["held"] == 18
    assert [r["held"] for r in status["coverage"]["rows"]] == [8, 0, 10, 4, 10, 8]
    assert sorted({r["table_id"] for r in status["conflicts"]}) == ["13", "7"]
    assert status["dispute"] is None  # the mini case has no claims ledger

    for width in (60, 80, 160):
        monkeypatch.setenv("COLUMNS", str(width))
        code, out, _ = run([*track, "status"], capsys)
        assert code == 0
        lines = out.splitlines()
        # a path longer than the line is printed whole on a line of its own, never cut
        assert all(len(line) <= width or len(line.split()) == 1 for line in lines)
        assert "…" not in out
        cells = [line.replace("│", " ").split() for line in lines]
        assert "2 tables await a third reading" in out
        # coverage over time (tables held after batches 1, 2 and 3): fits at 60 columns
        assert ["N", "North", "8", "10", "10", "—", "—", "1"] in cells
        assert ["S", "South", "0", "4", "8", "—", "—", "1"] in cells
    monkeypatch.setenv("COLUMNS", "80")

    conflicts = tmp_path / "conflicts.csv"
    code, out, _ = run([*track, "conflicts", "-o", str(conflicts)], capsys)
    assert code == 0
    assert "7 (conflict; differ: votes_A, votes_B)" in out
    assert conflicts.read_text().count("\n") == 5  # header + two readings of two tables

    code, out, _ = run([*track, "resolve", str(third_reading), "--mapping", PROFILE,
                        "--sender", "supervisor"], capsys)
    assert code == 0
    assert "1 conflict settled by a third reading" in out

    exports = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path in exports:
        code, _, err = run([*track, "export", "-o", str(path)], capsys)
        assert code == 0
        assert "1 table in conflict left out until its third reading" in err
    assert exports[0].read_bytes() == exports[1].read_bytes()
    # every other command reads the export: ingest, and dispute against the case
    code, out, _ = run(["ingest", str(exports[0]), "--json"], capsys)
    assert (code, json.loads(out)["accepted"]) == (0, 17)
    code, out, _ = run(["dispute", str(mini_case), "--sheets", str(exports[0]), "--json"],
                       capsys)
    assert (code, json.loads(out)["sheets"][0]["tables"]) == (0, 17)


def test_input_errors_are_one_line(tmp_path: Path, mini_case: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "night.sqlite"
    track = ["track", str(mini_case), "--db", str(db)]
    code, _, err = run([*track, "status"], capsys)
    assert code == 2
    assert err == (f"election-audit: error: no tracking database at {db}; start one with "
                   f"'track CASE --db {db} add FILE'\n")
    code, _, err = run([*track, "add", str(tmp_path / "missing.csv"), "--mapping", PROFILE],
                       capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert not db.exists()  # nothing is written when a batch cannot be read
    code, _, err = run([*track, "export", "-o", str(tmp_path / "x.txt")], capsys)
    assert (code, err.count("\n")) == (2, 1)
    code, _, err = run(["track", str(mini_case), "--db", "postgresql://u:secret@127.0.0.1:1/x",
                        "status"], capsys)
    assert code == 2
    assert "secret" not in err
    assert err.count("\n") == 1
