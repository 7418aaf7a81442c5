"""``election-audit quickcount``: draw in public, estimate later, same numbers as the library."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import DATA_DIR, FIXTURES, real_file

from audit.checks.quickcount import QuickCountSample, quick_count
from audit.cli import main
from audit.ingest import read_sheets

PROFILE = str(FIXTURES / "mini_profile.toml")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture
def night(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A case folder (mini election), 200 tally sheets in its layout and their frame."""
    case = tmp_path / "mini"
    case.mkdir()
    shutil.copy(FIXTURES / "mini_election.toml", case / "election.toml")
    rows = []
    for t in range(1, 201):
        region = "N" if t <= 120 else "S"
        a = 40 + t % 17 if region == "N" else 20 + t % 13
        b = 30 + t % 11
        rows.append(f"{region},{t},300,{a + b + 2},{a + b},2,{a},{b}\n")
    sheets = tmp_path / "sheets.csv"
    sheets.write_text("region,station,registered,voters,valid,null,A,B\n" + "".join(rows))
    frame = tmp_path / "frame.csv"
    frame.write_text("table_id,region_district_code\n" + "".join(
        f"{t},{'N' if t <= 120 else 'S'}\n" for t in range(1, 201)))
    return case, sheets, frame


def test_draw_in_public_then_estimate(night: tuple[Path, Path, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    case, sheets, frame = night
    sample = tmp_path / "sample.csv"
    code, out, err = run(["quickcount", str(case), "--frame", str(frame), "--public-seed",
                          "4 2 6 1 3", "--size", "50", "-o", str(sample)], capsys)
    assert (code, err) == (0, "")
    assert "no sheets given: the sample is drawn" in out
    drawn = QuickCountSample.from_csv(sample)
    # proportional allocation: 120 and 80 tables -> 30 and 20 draws
    assert drawn.draws.groupby("stratum").size().to_dict() == {"N": 30, "S": 20}
    assert drawn.seed == "4 2 6 1 3"
    first = sample.read_bytes()
    run(["quickcount", str(case), "--frame", str(frame), "--public-seed", "4 2 6 1 3",
         "--size", "50", "-o", str(sample)], capsys)
    assert sample.read_bytes() == first  # anyone repeating the draw gets the same tables

    code, out, _ = run(["quickcount", str(case), "--sheets", str(sheets), "--mapping",
                        PROFILE, "--sample", str(sample), "--json"], capsys)
    payload = json.loads(out)
    assert code == 0
    assert payload["schema"] == "election-audit/quickcount"
    assert (payload["drawn"], payload["held"], payload["strata"]) == (50, 50, 2)
    assert [(s["stratum"], s["tables"], s["drawn"], s["held"]) for s in payload["by_stratum"]] \
        == [("N", 120, 30, 30), ("S", 80, 20, 20)]
    library = quick_count(read_sheets(sheets, profile=PROFILE).sheets, drawn)
    assert payload["table"] == json.loads(json.dumps(library.to_dict()["table"]))

    code, out, _ = run(["quickcount", str(case), "--sheets", str(sheets), "--mapping",
                        PROFILE, "--sample", str(sample)], capsys)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    assert "sheets held for 50 of 50 sampled tables" in out


def test_input_errors(night: tuple[Path, Path, Path], tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    case, sheets, frame = night
    base = ["quickcount", str(case), "--sheets", str(sheets), "--mapping", PROFILE]
    code, _, err = run(base, capsys)
    assert (code, err) == (2, "election-audit: error: give --public-seed to draw the "
                              "sample, or --sample FILE\n")
    code, _, err = run([*base, "--public-seed", "1", "--by", "state"], capsys)
    assert code == 2
    assert "--by state: mini has region levels district (or 'none')" in err
    code, _, err = run([*base, "--sample", str(frame), "-o", str(tmp_path / "s.csv")],
                       capsys)
    assert (code, err.count("\n")) == (2, 1)
    code, _, err = run([*base, "--sample", str(frame)], capsys)
    assert code == 2
    assert "not a quick-count sample" in err


@pytest.mark.realdata
def test_venezuela_official_result_outside_the_quick_count(
        capsys: pytest.CaptureFixture[str]) -> None:
    real_file("venezuela_2024_resultadosconvzla_actas", "RESULTADOS_2024_CSV_V2.csv")
    code, out, _ = run(["quickcount", "venezuela-2024", "--data-dir", str(DATA_DIR),
                        "--offline", "--public-seed", "38405817294016637281", "--json"],
                       capsys)
    payload = json.loads(out)
    assert code == 0
    assert payload["official"] == "cne-b2"  # the latest official bulletin with figures
    rows = {r["key"]: r for r in payload["table"]}
    # the frame is the 25,073 sheets of V2, where EG holds 67.08% of valid votes: the
    # estimate from 1,000 of them lies within three of its standard errors
    assert abs(rows["EG"]["estimate"] - 0.6708) < 3 * rows["EG"]["se"]
    assert rows["NM"]["inside"] is False
    cne_b2 = (6408844, 5326104, 152360, 116421, 92903, 84231, 64452, 40902, 29611, 20056)
    assert rows["NM"]["official_low"] == pytest.approx(6408844 / sum(cne_b2))
    assert payload["inside"] is False
    assert payload["evidence"] == "strong"
