"""A hostile case folder (issue 13): paths stay inside their base, the cache deletes nothing
it did not write, downloads are bounded, metadata errors are one line, YAML is bounded."""

from __future__ import annotations

import hashlib
import http.server
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit import data
from audit.cases import load_case, load_case_claims
from audit.errors import ClaimsError, DataUnavailableError, MetadataError
from audit.ledger import ClaimProblem

DEMO = Path(__file__).resolve().parents[1] / "datasets" / "demo"
ZERO = "0" * 64


def case_with(tmp_path: Path, sources: str = "", election: str | None = None,
              claims: str | None = None) -> Path:
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "election.toml").write_text(election if election is not None else
                                          (DEMO / "election.toml").read_text())
    if sources:
        (folder / "sources.toml").write_text(sources)
    if claims is not None:
        (folder / "claims.yaml").write_text(claims)
    load_case.cache_clear()
    return folder


def source(file: str, folder: str = "", **extra: str) -> str:
    lines = ['[[sources]]', 'id = "x"', 'main = true', f"file = '{file}'",
             f"folder = '{folder}'", 'profile = "observers-profile"', f'sha256 = "{ZERO}"']
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "folder"), [
    ("../../victim.txt", ""), ("victim.txt", "../.."), ("/etc/passwd", ""),
    ("sub/../../victim.txt", ""), ("C:\\victim.txt", "")])
def test_paths_leaving_their_base_are_input_errors(tmp_path: Path, file: str,
                                                   folder: str) -> None:
    with pytest.raises(MetadataError, match="inside"):
        load_case(case_with(tmp_path, source(file, folder)))


def test_a_profile_path_leaving_the_case_folder_is_refused(tmp_path: Path) -> None:
    text = source("sheets.csv").replace('"observers-profile"', '"../evil.toml"')
    with pytest.raises(MetadataError, match="inside"):
        load_case(case_with(tmp_path, text))


def test_offline_report_never_deletes_a_file_outside_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from audit.cli import main

    cache = tmp_path / "cache" / "election-audit"
    cache.mkdir(parents=True)
    monkeypatch.setattr(data, "cache_dir", lambda: cache)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = case_with(tmp_path, source("../../victim.txt"))
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(folder), "-o", str(tmp_path / "r.md"), "--offline"])
    assert exit_.value.code == 2
    assert victim.read_text() == "precious"


def test_the_cache_never_deletes_a_corrupt_copy_it_cannot_replace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setattr(data, "cache_dir", lambda: cache)
    (cache / "d").mkdir(parents=True)
    copy = cache / "d" / "sheets.csv"
    copy.write_bytes(b"not what the manifest says")
    case = load_case(case_with(tmp_path, source("sheets.csv", "d")))
    with pytest.raises(DataUnavailableError, match="cache"):
        data.locate(case, "x", download=False)
    assert copy.read_bytes() == b"not what the manifest says"


# --------------------------------------------------------------------------------------------
# Downloads: https only, overall deadline, size cap, temporary name
# --------------------------------------------------------------------------------------------

PAYLOAD = b"region,station\n" + b"N,1\n" * 1000


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        if self.path == "/slow":
            for _ in range(200):
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                time.sleep(0.05)
        elif self.path == "/big":
            for _ in range(100):
                self.wfile.write(b"y" * 65536)
        else:
            self.wfile.write(PAYLOAD)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_plain_http_is_refused_unless_allowed(tmp_path: Path, server: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ELECTION_AUDIT_ALLOW_HTTP", raising=False)
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    with pytest.raises(RuntimeError, match="https"):
        data._download(f"{server}/ok", sha, tmp_path / "c" / "s.csv", size=len(PAYLOAD))
    monkeypatch.setenv("ELECTION_AUDIT_ALLOW_HTTP", "1")
    path = data._download(f"{server}/ok", sha, tmp_path / "c" / "s.csv", size=len(PAYLOAD))
    assert path.read_bytes() == PAYLOAD


def test_a_download_larger_than_the_manifest_says_is_cut(
        tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELECTION_AUDIT_ALLOW_HTTP", "1")
    target = tmp_path / "c" / "s.csv"
    with pytest.raises(RuntimeError, match="larger"):
        data._download(f"{server}/big", ZERO, target, size=1000)
    assert not target.exists()
    assert [p.name for p in target.parent.iterdir()] == []  # no temporary file left


def test_a_download_has_an_overall_deadline(tmp_path: Path, server: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELECTION_AUDIT_ALLOW_HTTP", "1")
    monkeypatch.setattr(data, "DEADLINE", 1.0)
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="seconds"):
        data._download(f"{server}/slow", ZERO, tmp_path / "c" / "s.csv", size=None)
    assert time.perf_counter() - start < 6


# --------------------------------------------------------------------------------------------
# election.toml: one-line errors for malformed fields, suspicious values refused
# --------------------------------------------------------------------------------------------

BASE = """id = "t"
name = "T"
date = 2024-01-01
region_levels = ["state"]
tables = 10
[[candidates]]
key = "A"
name = "Alice"
[[regions]]
code = "01"
name = "One"
"""


@pytest.mark.parametrize(("text", "match"), [
    (BASE.replace('[[candidates]]\nkey = "A"\nname = "Alice"\n', 'candidates = "A"\n'),
     "candidates"),
    (BASE.replace('name = "Alice"', ''), "candidate"),
    (BASE.replace('name = "One"', ''), "region"),
    (BASE + '[[regions]]\ncode = "01"\nname = "Again"\n', "01"),
    (BASE.replace("tables = 10", "tables = -5"), "tables"),
    (BASE.replace("tables = 10", 'tables = "many"'), "tables"),
    (BASE.replace("tables = 10", 'tables = 10\ntimezone = "Mars/Olympus_Mons"'), "time zone"),
    (BASE.replace("date = 2024-01-01", "date = 5"), "date"),
    (BASE.replace("tables = 10", "tables = 10\nregistered = -3"), "registered"),
    (BASE.replace('region_levels = ["state"]', 'region_levels = "state"'), "region_levels"),
    ("id = [\n" * 50000, "TOML|deep|nested"),
])
def test_malformed_election_fields_are_one_line_errors(tmp_path: Path, text: str,
                                                       match: str) -> None:
    with pytest.raises(MetadataError, match=match) as err:
        load_case(case_with(tmp_path, election=text))
    assert "\n" not in str(err.value)
    assert len(str(err.value)) < 600


@pytest.mark.parametrize("mapping", [
    '[columns]\ntable_id = 5\n[candidates]\nA = "A"\n',
    '[columns]\ntable_id = { column = "t", zfill = "x" }\n[candidates]\nA = "A"\n',
    '[columns]\ntable_id = { column = "t", slice = "ab" }\n[candidates]\nA = "A"\n',
    '[columns]\ntable_id = "t"\n[candidates]\nA = "A"\nregions = "x"\n',
    'regions = "x"\n[columns]\ntable_id = "t"\n[candidates]\nA = "A"\n',
    'exclude = [1]\n[columns]\ntable_id = "t"\n[candidates]\nA = "A"\n',
    'columns = 3\n[candidates]\nA = "A"\n',
])
def test_malformed_mapping_fields_exit_2(tmp_path: Path, mapping: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from audit.cli import main

    (tmp_path / "m.toml").write_text(mapping)
    (tmp_path / "s.csv").write_text("t,A\n1,2\n")
    with pytest.raises(SystemExit) as exit_:
        main(["ingest", str(tmp_path / "s.csv"), "--mapping", str(tmp_path / "m.toml")])
    assert exit_.value.code == 2
    assert "internal error" not in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# claims.yaml: aliases bounded, messages bounded
# --------------------------------------------------------------------------------------------


def bomb(levels: int = 9) -> str:
    lines = ["election: demo-simulated",
             'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"claims: [{{id: c1, side: *a{levels - 1}}}]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_ledger_is_refused_at_once(tmp_path: Path) -> None:
    folder = case_with(tmp_path, claims=bomb())
    start = time.perf_counter()
    with pytest.raises(ClaimsError, match="alias") as err:
        load_case_claims(folder)
    assert time.perf_counter() - start < 5
    assert len(str(err.value)) < 2000


def test_a_few_plain_aliases_still_load(tmp_path: Path) -> None:
    claims = (DEMO / "claims.yaml").read_text()
    cited = "    citation: SIMULATED electoral authority, final national bulletin (not real data)"
    assert cited in claims
    claims = claims.replace("  source:\n" + cited, "  source: &bulletin\n" + cited, 1)
    # the province bulletin's whole source block (citation and its indented lines) → alias
    claims = re.sub(r"  source:\n    citation: SIMULATED electoral authority, final bulletin "
                    r"by province \(not real data\)\n(?:    .*\n)*", "  source: *bulletin\n",
                    claims, count=1)
    assert "*bulletin" in claims
    _, ledger = load_case_claims(case_with(tmp_path, claims=claims))
    assert ledger.claims[0].source == ledger.claims[1].source


def test_problem_messages_never_embed_unbounded_values() -> None:
    problem = ClaimProblem("c1", "side", ["x" * 100] * 100_000, "bad_side", "not a side")
    assert len(str(problem)) < 400
    assert "more" in str(problem)
    problem = ClaimProblem("c1", "side", "y" * 10**6, "bad_side", "not a side")
    assert len(str(problem)) < 400
    assert len(str(problem.to_dict()["value"])) < 400


def test_deeply_nested_yaml_is_an_input_error(tmp_path: Path) -> None:
    folder = case_with(tmp_path, claims="election: demo-simulated\nclaims: " + "[" * 20000)
    with pytest.raises(ClaimsError):
        load_case_claims(folder)


def test_demo_case_still_loads(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "demo")
    load_case.cache_clear()
    case, ledger = load_case_claims(tmp_path / "demo")
    assert case.sources
    assert len(ledger.claims) > 0
