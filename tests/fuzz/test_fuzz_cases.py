"""Property tests: a hostile case folder received from someone else (issue 13).

Whatever its ``election.toml``, ``sources.toml``, ``claims.yaml`` and sheets hold, the
commands exit 0 or 2 with at most one line of error, never an internal error, and nothing
outside the requested output changes: not the case folder, not the cache, not a file the
manifest points at with ``..`` or an absolute path.
"""

from __future__ import annotations

import hashlib
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from hostile import MAPPING_TEXT, hostile_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import data
from audit.cases import load_case
from audit.cli import main

pytestmark = pytest.mark.filterwarnings("ignore")

ELECTION = """id = "fuzz"
name = "Fuzz election"
date = 2024-01-01
region_levels = ["district"]
tables = 20
timezone = "UTC"
[registered]
total = 2000
[[candidates]]
key = "A"
name = "Alice"
[[candidates]]
key = "B"
name = "Bob"
[[regions]]
code = "N"
name = "North"
[[regions]]
code = "S"
name = "South"
"""
ELECTION_MUTATIONS = (
    ("tables = 20", "tables = -1"), ("tables = 20", 'tables = "x"'),
    ('timezone = "UTC"', 'timezone = "Nowhere/Atlantis"'), ('code = "S"', 'code = "N"'),
    ('name = "Bob"', "name = 7"), ('date = 2024-01-01', 'date = "yesterday"'),
    ("total = 2000", "total = -5"), ('id = "fuzz"', "id = [1, 2]"),
    ('region_levels = ["district"]', "region_levels = 3"), ("[[candidates]]", "[candidates]"),
    ('name = "Alice"', 'name = "' + "x" * 5000 + '"'), ("tables = 20", "tables = 20\n["),
)
FILES = ("sheets.csv", "../victim.txt", "../../victim.txt", "/etc/hostname", "..\\victim.txt",
         "sub/../../victim.txt", "C:\\victim.txt", "sheets.csv\x00.txt", 7)
FOLDERS = ("", "data", "..", "../..", "/tmp")
PROFILES = ("mapping.toml", "../evil.toml", "/etc/passwd.toml", "no-such-profile")
URLS = ("https://127.0.0.1:9/s.csv", "http://127.0.0.1:9/s.csv", "file:///etc/passwd",
        "ftp://127.0.0.1/s.csv", "javascript:alert(1)")


def _ledger(kind: int) -> str:
    head = "election: fuzz\nclaims:\n"
    claim = ("- id: c1\n  datetime: '2024-01-02T00:00:00+00:00'\n  side: official\n"
             "  source: {citation: x}\n  scope: national\n  counts: {A: 60, B: 40}\n")
    if kind == 0:
        return head + claim
    if kind == 1:  # billion laughs
        lines = ["election: fuzz", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol"]']
        lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
        return "\n".join(lines) + "\nclaims: [{id: c1, side: *a8}]\n"
    if kind == 2:
        return head + "- &x [*x]\n"
    if kind == 3:
        return head + "[" * 5000
    if kind == 4:
        return head + claim.replace("side: official", "side: " + "y" * 100_000)
    if kind == 5:
        return head + claim.replace("counts: {A: 60, B: 40}",
                                    "counts: {A: '=HYPERLINK(\"x\")', B: <script>}")
    return "claims: {\n"


@st.composite
def hostile_case(draw: st.DrawFn) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    election = ELECTION
    for old, new in draw(st.lists(st.sampled_from(ELECTION_MUTATIONS), max_size=2)):
        election = election.replace(old, new, 1)
    files["election.toml"] = election.encode() if draw(st.integers(0, 9)) else b"\xff\xfe"
    if draw(st.booleans()):
        file = draw(st.sampled_from(FILES))
        entry = [
            "[[sources]]", 'id = "s"', "main = true",
            f"file = {file!r}".replace("'", '"') if isinstance(file, str) and "\\" not in file
            else f"file = '{file}'" if isinstance(file, str) else f"file = {file}",
            f"folder = '{draw(st.sampled_from(FOLDERS))}'",
            f"profile = '{draw(st.sampled_from(PROFILES))}'",
            'sha256 = "' + draw(st.sampled_from(["0" * 64, "zz", "SHEETS"])) + '"',
            f"urls = ['{draw(st.sampled_from(URLS))}']",
        ]
        if draw(st.booleans()):
            entry.append(f"bytes = {draw(st.sampled_from([10, -1, 10**12]))}")
        files["sources.toml"] = "\n".join(entry).encode()
    if draw(st.booleans()):
        files["claims.yaml"] = _ledger(draw(st.integers(0, 6))).encode()
    sheets = draw(hostile_csv())
    files["sheets.csv"] = sheets
    if b'"SHEETS"' in files.get("sources.toml", b""):
        files["sources.toml"] = files["sources.toml"].replace(
            b'"SHEETS"', f'"{hashlib.sha256(sheets).hexdigest()}"'.encode())
    files["mapping.toml"] = MAPPING_TEXT.encode()
    return files


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "out" not in p.relative_to(root).parts}


def _run(args: list[str]) -> tuple[int, str]:
    err = StringIO()
    with redirect_stdout(StringIO()), redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        main(args)
    return int(exit_.value.code or 0), err.getvalue()


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          max_examples=max(25, settings.default.max_examples // 10))
@given(hostile_case(), st.sampled_from(["claims", "dispute", "report", "aggregate"]))
def test_a_hostile_case_folder_exits_0_or_2_and_changes_nothing_else(
        files: dict[str, bytes], command: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        case = work / "base" / "deeper" / "case"
        case.mkdir(parents=True)
        for name, content in files.items():
            (case / name).write_bytes(content)
        (work / "base" / "victim.txt").write_text("precious")
        (work / "base" / "deeper" / "victim.txt").write_text("precious")
        cache = work / "cache"
        cache.mkdir()
        (work / "out").mkdir()
        before = _snapshot(work)
        load_case.cache_clear()
        args = {"claims": ["claims", "list", str(case)],
                "dispute": ["dispute", str(case)],
                "report": ["report", str(case), "-o", str(work / "out" / "r.json"),
                           "--offline", "--skip", "fingerprints", "--n-resamples", "9"],
                "aggregate": ["aggregate", str(case / "sheets.csv"), "--profile",
                              str(case / "mapping.toml"), "--by", "district", "-o",
                              str(work / "out" / "agg.csv")]}[command]
        with mock.patch.object(data, "cache_dir", return_value=cache):
            code, err = _run(args)
        assert code in (0, 2), err
        assert "internal error" not in err
        assert "Traceback" not in err
        assert _snapshot(work) == before


@pytest.mark.parametrize("folder", [p for p in (Path(__file__).resolve().parents[1] / "data"
                                                / "hostile" / "cases").iterdir() if p.is_dir()],
                         ids=lambda p: p.name)
@pytest.mark.parametrize("command", ["claims", "dispute", "report"])
def test_the_case_corpus_exits_0_or_2_and_changes_nothing_else(folder: Path, command: str,
                                                               tmp_path: Path) -> None:
    """Every hostile case folder of tests/data/hostile/cases (see its README)."""
    import shutil

    case = tmp_path / "base" / "deeper" / "case"
    shutil.copytree(folder, case)
    for parent in (tmp_path / "base", tmp_path / "base" / "deeper"):
        (parent / "victim.txt").write_text("precious")
    cache = tmp_path / "cache"
    cache.mkdir()
    (tmp_path / "out").mkdir()
    before = _snapshot(tmp_path)
    load_case.cache_clear()
    report = tmp_path / "out" / "r.md"
    args = {"claims": ["claims", "list", str(case)], "dispute": ["dispute", str(case)],
            "report": ["report", str(case), "-o", str(report), "--offline"]}[command]
    with mock.patch.object(data, "cache_dir", return_value=cache):
        code, err = _run(args)
    assert code in (0, 2), err
    assert "internal error" not in err
    assert err.count("election-audit: error") <= 1
    assert _snapshot(tmp_path) == before
    if report.exists():
        text = report.read_text()
        assert "<script" not in text
        assert "<img" not in text
