"""Every command's terminal output at 60, 80 and 160 columns, piped and on a terminal: no
cell cut ("…"), no line wider than the terminal (unless it is one word, such as a long path,
printed whole), and the ids and numbers of the command's JSON output present intact.

Inputs are bundled (the simulated demo case, the Venezuela 2024 claims ledger, the test
fixtures), so the test runs without the real datasets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from audit.cases import bundled_case_names
from audit.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "datasets" / "demo"
SHEETS = str(DEMO / "observer_tally_sheets.csv")
MAPPING = str(DEMO / "observers-profile.toml")
BROKEN = str(ROOT / "tests" / "data" / "broken_sheets.csv")
MINI = str(ROOT / "tests" / "data" / "mini_profile.toml")
WIDTHS = (60, 80, 160)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def invoke(args: list[str], width: int = 80, tty: bool = False) -> str:
    env = {"COLUMNS": str(width), "TTY_COMPATIBLE": "1" if tty else None}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, (args, result.output)
    return ANSI.sub("", result.output)


def assert_readable(text: str, width: int, tokens: list[str]) -> None:
    assert "…" not in text, text
    for line in text.splitlines():
        assert len(line.rstrip()) <= width or len(line.split()) == 1, (width, line)
    for token in tokens:
        pattern = rf"(?<![\w,.\-/]){re.escape(token)}(?![\w\-/]|[,.]\d)"
        assert re.search(pattern, text), (width, token, text)


def as_json(args: list[str]) -> Any:
    return json.loads(invoke([*args, "--json"]))


# --------------------------------------------------------------------------------------------
# Each command: its arguments and the tokens (from its own JSON) that must appear whole
# --------------------------------------------------------------------------------------------


def _ingest() -> tuple[list[str], list[str]]:
    args = ["ingest", BROKEN, "--mapping", MINI]
    payload = as_json(args)
    tokens = [f"{v:,}" for v in payload["totals"].values()] + list(payload["quarantine_reasons"])
    return args, tokens


def _claims() -> tuple[list[str], list[str]]:
    args = ["claims", "list", "venezuela-2024"]
    return args, [c["id"] for c in as_json(args)["claims"]]


def _dispute() -> tuple[list[str], list[str]]:
    args = ["dispute", "venezuela-2024"]
    return args, [c["id"] for c in as_json(args)["claims"]]


def _cases() -> tuple[list[str], list[str]]:
    return ["cases"], bundled_case_names()


def _case_show() -> tuple[list[str], list[str]]:
    args = ["cases", "show", "venezuela-2024"]
    payload = as_json(args)
    return args, [c["key"] for c in payload["candidates"]] + [s["id"] for s in
                                                              payload["sources"]]


def _profile_new(tmp: Path) -> tuple[list[str], list[str]]:
    args = ["profile", "new", SHEETS, "--case", "demo", "-o", str(tmp / "draft.toml"),
            "--force"]
    payload = as_json(args)
    return args, [m["rule"].strip('"') for m in payload["candidates"].values()]


def _profile_list() -> tuple[list[str], list[str]]:
    args = ["profile", "list"]
    return args, [p["name"] for p in as_json(args)["profiles"]]


def _aggregate() -> tuple[list[str], list[str]]:
    args = ["aggregate", SHEETS, "--mapping", MAPPING]
    regions = as_json(args)["regions"]
    return args, [str(r["region_code"]) for r in regions] + [f"{r['valid']:,}" for r in regions]


def _compare(tmp: Path) -> tuple[list[str], list[str]]:
    frame = pd.read_csv(SHEETS, dtype=str)
    frame.loc[[3, 40, 77], "VOTES_A"] = "0"  # three transcriptions that differ
    other = tmp / "second_reading.csv"
    frame.drop(index=[5, 6]).to_csv(other, index=False)
    args = ["compare", SHEETS, str(other), "--mapping-a", MAPPING, "--mapping-b", MAPPING]
    result = as_json(args)["result"]
    keys = [f"{d['center_id']}/{d['table_id']}" for d in result["discrepancies"]]
    return args, keys + [f"{d['center_id']}/{d['table_id']}" for d in result["unmatched_a"]]


def _sample_size() -> tuple[list[str], list[str]]:
    args = ["sample-size", SHEETS, "--mapping", MAPPING, "--public-seed", "20240728"]
    rows = as_json(args)["draws"]["rows"]
    return args, [f"{r['center_id']}/{r['table_id']}" for r in rows]


def _calibrate() -> tuple[list[str], list[str]]:
    args = ["calibrate", "--tables", "100", "--n-sims", "2", "--n-power", "1", "--check",
            "digits.last_digit,turnout.spike_100_share", "--scenarios",
            "ballot_stuffing,vote_switching", "--workers", "1", "--no-progress"]
    return args, ["digits.last_digit", "turnout.spike_100_share"]


def _demo(tmp: Path) -> tuple[list[str], list[str]]:
    return ["demo", "-o", str(tmp / "demo"), "--tables", "100", "--force"], [str(tmp / "demo")]


def _report(tmp: Path) -> tuple[list[str], list[str]]:
    out = tmp / "demo-report.json"
    return ["report", "demo", "--sheets", SHEETS, "--mapping", MAPPING, "-o", str(out),
            "--force", "--skip", "fingerprints,turnout,digits"], [str(out)]


def _quickcount() -> tuple[list[str], list[str]]:
    args = ["quickcount", "demo", "--sheets", SHEETS, "--mapping", MAPPING, "--public-seed",
            "1234", "--size", "300"]
    rows = as_json(args)["table"]
    return args, [f"{100 * r[k]:.2f}%" for r in rows for k in ("estimate", "low", "high")]


def _track_status(tmp: Path) -> tuple[list[str], list[str]]:
    db = ["track", "demo", "--db", str(tmp / "night.sqlite")]
    frame = pd.read_csv(SHEETS, dtype=str)
    batches = []
    for i, rows in enumerate((frame.iloc[:900], frame.iloc[800:])):  # 100 tables read twice
        batch = tmp / f"lote-{i + 1}.csv"
        if i == 1:  # one table read twice differs: a vote moved from A to B
            rows = rows.copy()
            first = rows.index[0]
            rows.loc[first, "VOTES_A"] = str(int(rows.loc[first, "VOTES_A"]) - 1)
            rows.loc[first, "VOTES_B"] = str(int(rows.loc[first, "VOTES_B"]) + 1)
        rows.to_csv(batch, index=False)
        batches.append(str(batch))
    invoke([*db, "add", *batches, "--mapping", MAPPING, "--sender", "mesa-central-de-datos",
            "--no-progress"])
    status = as_json([*db, "status"])
    codes = [str(r["region_code"]) for r in status["coverage"]["rows"]]
    return [*db, "status"], ["lote-1.csv", "lote-2.csv", *codes]


def _track_conflicts(tmp: Path) -> tuple[list[str], list[str]]:
    status, _ = _track_status(tmp)  # the same database (batches already received are skipped)
    args = [*status[:-1], "conflicts"]
    readings = as_json(args)["readings"]
    assert len(readings) == 2
    return args, [f"{r['center_id']}/{r['table_id']}" for r in readings]


CASES: dict[str, Callable[..., tuple[list[str], list[str]]]] = {
    "quickcount": _quickcount, "track status": _track_status,
    "track conflicts": _track_conflicts,
    "ingest": _ingest, "claims list": _claims, "dispute": _dispute, "cases": _cases,
    "cases show": _case_show, "profile new": _profile_new, "profile list": _profile_list,
    "aggregate": _aggregate, "compare": _compare, "sample-size": _sample_size,
    "calibrate": _calibrate, "demo": _demo, "report": _report,
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("widths")


@pytest.mark.parametrize("name", list(CASES))
def test_command_reads_at_every_width(name: str, workdir: Path) -> None:
    make = CASES[name]
    args, tokens = make(workdir) if make.__code__.co_argcount else make()
    for width in WIDTHS:
        assert_readable(invoke(args, width), width, tokens)
    assert_readable(invoke(args, 80, tty=True), 80, tokens)


# --------------------------------------------------------------------------------------------
# Forensics: computed once, printed at every width (the battery is the slow part)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forensics_run() -> tuple[list[str], Any]:
    from audit.checks.forensics import run_forensics
    from audit.ingest import read_sheets

    args = ["forensics", SHEETS, "--mapping", MAPPING, "--n-resamples", "19", "--skip",
            "fingerprints.klimek", "--no-progress"]
    sheets = read_sheets(SHEETS, profile=MAPPING).sheets
    names = [s for s in _names() if s != "fingerprints.klimek"]
    return args, run_forensics(sheets, by=sheets.levels[0], n_resamples=19, seed=20240728,
                              checks=names, progress=False)


def _names() -> list[str]:
    from audit.checks.registry import registered

    return [s.name for s in registered()]


def test_forensics_at_80_columns(forensics_run: tuple[list[str], Any]) -> None:
    args, result = forensics_run
    tokens = sorted({e.result.test.removesuffix(".textbook") for e in result.entries
                     if e.scope == "national"})
    assert_readable(invoke(args, 80), 80, tokens)


@pytest.mark.parametrize(("width", "tty"), [(60, False), (160, False), (60, True)])
def test_forensics_summary_at_other_widths(forensics_run: tuple[list[str], Any], width: int,
                                           tty: bool, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from audit.cli.cmd_forensics import _print

    _, result = forensics_run
    monkeypatch.setenv("COLUMNS", str(width))
    if tty:
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
    _print(result, "en")
    text = ANSI.sub("", capsys.readouterr().out)
    tokens = sorted({e.result.test.removesuffix(".textbook") for e in result.entries
                     if e.scope == "national"})
    assert_readable(text, width, tokens)
    if width == 160:  # wide: the regional table keeps its test column
        assert "(left out" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_help_lists_every_command_without_cutting_it(width: int) -> None:
    import click

    for group in (cli, *(c for c in cli.commands.values() if isinstance(c, click.Group))):
        args = [] if group is cli else [group.name or ""]
        text = invoke([*args, "--help"], width)
        listing = text.split("Commands:")[1]
        assert "..." not in listing, (args, width, listing)
        for name in group.commands:
            assert re.search(rf"^  {re.escape(name)}\s", listing, re.M), (args, name)
