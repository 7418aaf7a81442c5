"""The command line under hostile input (issue 13): exit codes, the output guard, inert
aggregate CSVs, no warnings on stderr, Markdown and figures safe from names in the data."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from audit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "data"
SHEETS = FIXTURES / "broken_sheets.csv"
MAPPING = FIXTURES / "mini_profile.toml"
DEMO = Path(__file__).resolve().parents[2] / "datasets" / "demo"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


# --------------------------------------------------------------------------------------------
# Exit codes
# --------------------------------------------------------------------------------------------


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    import audit.ingest as ingest

    def interrupted(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest, "read_sheets", interrupted)
    code, _, err = run(["ingest", str(SHEETS), "--mapping", str(MAPPING)], capsys)
    assert code == 130
    assert "interrupted" in err


def test_an_unwritable_output_is_an_input_error(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run(["ingest", str(SHEETS), "--mapping", str(MAPPING), "--out",
                        str(blocker / "out")], capsys)
    assert code == 2
    assert "internal error" not in err
    assert err.count("\n") == 1


def test_library_warnings_do_not_reach_stderr(tmp_path: Path) -> None:
    """In a real process (pytest would capture the warning itself)."""
    import subprocess
    import sys

    script = tmp_path / "noisy.py"
    script.write_text(
        "import warnings, audit.ingest as cmd\n"
        "from audit.cli import main\n"
        "real = cmd.read_sheets\n"
        "def noisy(*a, **k):\n"
        "    warnings.warn('invalid value encountered in cast', RuntimeWarning)\n"
        "    return real(*a, **k)\n"
        "cmd.read_sheets = noisy\n"
        f"main(['ingest', {str(SHEETS)!r}, '--mapping', {str(MAPPING)!r}])\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# --------------------------------------------------------------------------------------------
# The output guard
# --------------------------------------------------------------------------------------------


def test_ingest_never_overwrites_its_own_input(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    sheets = tmp_path / "sheets.csv"
    shutil.copy(SHEETS, sheets)
    before = sheets.read_bytes()
    for extra in ([], ["--force"]):
        code, _, err = run(["ingest", str(sheets), "--mapping", str(MAPPING), "--out",
                            str(tmp_path), *extra], capsys)
        assert code == 2, extra
        assert "input" in err
        assert sheets.read_bytes() == before


def test_a_hard_link_to_the_input_is_the_input(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    sheets = tmp_path / "in.csv"
    shutil.copy(SHEETS, sheets)
    out = tmp_path / "out"
    out.mkdir()
    os.link(sheets, out / "quarantine.csv")
    code, _, err = run(["ingest", str(sheets), "--mapping", str(MAPPING), "--out", str(out),
                        "--force"], capsys)
    assert code == 2
    assert "input" in err
    assert sheets.read_bytes() == SHEETS.read_bytes()


def test_existing_outputs_need_force(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["ingest", str(SHEETS), "--mapping", str(MAPPING), "--out", str(out)]
    assert run(args, capsys)[0] == 0
    code, _, err = run(args, capsys)
    assert code == 2
    assert "--force" in err
    assert run([*args, "--force"], capsys)[0] == 0


def test_report_never_replaces_the_claims_ledger(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "demo"
    shutil.copytree(DEMO, case)
    ledger = (case / "claims.yaml").read_bytes()
    code, _, err = run(["report", str(case), "-o", str(case / "claims.yaml"), "--format", "md",
                        "--offline", "--force"], capsys)
    assert code == 2
    assert "input" in err
    assert (case / "claims.yaml").read_bytes() == ledger


def test_aggregate_refuses_to_overwrite_without_force(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "agg.csv"
    target.write_text("keep me")
    args = ["aggregate", str(SHEETS), "--profile", str(MAPPING), "--by", "district", "-o",
            str(target)]
    code, _, err = run(args, capsys)
    assert code == 2
    assert "--force" in err
    assert target.read_text() == "keep me"


# --------------------------------------------------------------------------------------------
# Inert outputs
# --------------------------------------------------------------------------------------------


def hostile_demo(tmp_path: Path) -> Path:
    case = tmp_path / "evil"
    shutil.copytree(DEMO, case)
    election = (case / "election.toml").read_text()
    election = election.replace(
        'short_name = "A (simulated)"',
        'short_name = "<script>alert(1)</script> [x](javascript:alert(1)) '
        '<img src=x onerror=alert(2)>"')
    election = election.replace('short_name = "B (simulated)"',
                                'short_name = "=HYPERLINK(\\"https://e.example\\") $\\\\frac{$"')
    (case / "election.toml").write_text(election)
    return case


def test_markdown_report_escapes_html_and_links_from_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = hostile_demo(tmp_path)
    out = tmp_path / "r.md"
    code, _, err = run(["report", str(case), "-o", str(out), "--offline",
                        "--skip", "fingerprints.klimek"], capsys)
    assert code == 0, err
    text = out.read_text()
    assert "alert(1)" in text  # the name is shown...
    for raw in ("<script", "<img"):  # ...but never as markup
        assert raw not in text
    assert "\\[x\\](javascript:" in text
    assert not re.search(r"(?<!\\)\[x(?<!\\)\]\(javascript:", text)  # no link syntax


def test_aggregate_csv_is_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheets = tmp_path / "s.csv"
    sheets.write_text("region,station,registered,voters,valid,null,A,B\n"
                      "=1+2,1,100,50,48,2,30,18\n@x,2,100,50,48,2,30,18\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.read_text().replace('election = "mini_election.toml"', ""))
    out = tmp_path / "agg.csv"
    code, _, err = run(["aggregate", str(sheets), "--profile", str(mapping), "--by",
                        "district", "-o", str(out)], capsys)
    assert code == 0, err
    frame = pd.read_csv(out, comment="#", dtype=str)
    cells = [c for c in frame.to_numpy().ravel() if isinstance(c, str)]
    assert {"'=1+2", "'@x"} <= set(cells)
    assert not [c for c in cells if c[:1] in ("=", "@")]


def test_prefixed_cells_are_also_quoted() -> None:
    """OWASP's CSV-injection advice: a formula-leading cell gets a leading ``'``, is enclosed
    in double quotes and has its own quotes doubled; numbers and other cells are written as
    ``to_csv`` writes them, and the file reads back (and restores) to the original values."""
    from audit.inert import restore, write_csv

    frame = pd.DataFrame({"name": ["=1+1", "a,b", '=HYPERLINK("x","y")', "+cmd|' /C calc'!A0",
                                   "abc", "-5", None, "@x\r=2"],
                          "n": [1, 2, 3, 4, 5, 6, 7, 8]})
    text = write_csv(frame)
    assert text == ('name,n\n"\'=1+1",1\n"a,b",2\n"\'=HYPERLINK(""x"",""y"")",3\n'
                    '"\'+cmd|\' /C calc\'!A0",4\nabc,5\n-5,6\n,7\n"\'@x\n=2",8\n')
    back = pd.read_csv(io.StringIO(text), dtype=str)
    assert restore(back["name"]).tolist()[:6] == ["=1+1", "a,b", '=HYPERLINK("x","y")',
                                                  "+cmd|' /C calc'!A0", "abc", "-5"]
    plain = pd.DataFrame({"name": ["a", "b,c"], "n": [1, 2]})
    assert write_csv(plain) == plain.to_csv(index=False, lineterminator="\n")
