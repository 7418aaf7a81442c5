"""Where a report finds the tally sheets of a case: disk, cache, download, or nowhere.

No test touches the network: the reachability probe (``audit.data._answers``) and
the downloader (``audit.data._fetch``) are replaced.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from audit import data
from audit.cases import Case, load_case
from audit.data import load_sheets, reachable
from audit.errors import ChecksumError
from audit.model import sha256_file

FIXTURES = Path(__file__).resolve().parent / "data"
SHEETS = FIXTURES / "broken_sheets.csv"
URL = "https://sheets.example.org/mini/broken_sheets.csv"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No sheets from the environment, and the network probe says offline unless a test
    says otherwise."""
    monkeypatch.delenv("ELECTION_AUDIT_DATA", raising=False)
    monkeypatch.setattr("audit.data._answers", lambda host, port: False)


@pytest.fixture
def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Case:
    """A case whose main source is tests/data/broken_sheets.csv, published at URL (with a
    user cache of its own)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "case"
    folder.mkdir()
    shutil.copyfile(FIXTURES / "mini_election.toml", folder / "election.toml")
    shutil.copyfile(FIXTURES / "mini_profile.toml", folder / "mini-profile.toml")
    (folder / "sources.toml").write_text(f'''
[[sources]]
id = "observers"
main = true
file = "broken_sheets.csv"
folder = "mini_sheets"
profile = "mini-profile.toml"
sha256 = "{sha256_file(SHEETS)}"
urls = ["{URL}"]
side = "observer"
''', encoding="utf-8")
    return load_case(folder)


def _never(*args: object, **kwargs: object) -> Path:
    raise AssertionError("no download expected")


def test_found_in_the_data_directory_first(case: Case, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "_fetch", _never)
    (tmp_path / "data" / "mini_sheets").mkdir(parents=True)
    shutil.copyfile(SHEETS, tmp_path / "data" / "mini_sheets" / SHEETS.name)
    lookup = load_sheets(case, data_dir=tmp_path / "data")
    assert lookup.ingest is not None
    assert lookup.source is not None
    assert lookup.source.id == "observers"
    assert lookup.ingest.rows_read == 18


def test_downloaded_into_the_cache_then_found_there(case: Case,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fetched: list[str] = []

    def fetch(url: str, known_hash: str | None, folder: Path, fname: str,
                  **limits: int) -> Path:
        fetched.append(url)
        assert known_hash == sha256_file(SHEETS)  # pooch checks the bytes as it downloads
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(SHEETS, folder / fname))

    monkeypatch.setattr("audit.data._answers", lambda host, port: True)
    monkeypatch.setattr(data, "_fetch", fetch)
    lookup = load_sheets(case)
    assert fetched == [URL]
    assert lookup.ingest is not None, lookup.error
    cached = data.cache_dir() / "mini_sheets" / SHEETS.name
    assert lookup.ingest.files[0].path == SHEETS.name
    assert cached.is_file()
    monkeypatch.setattr(data, "_fetch", _never)
    assert load_sheets(case).ingest is not None  # from the cache, no second download


def test_offline_fails_fast_and_says_why(case: Case, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    monkeypatch.setattr(data, "_fetch", _never)  # the probe says offline: no download tried
    start = time.perf_counter()
    lookup = load_sheets(case)
    assert time.perf_counter() - start < 2
    assert lookup.ingest is None
    assert lookup.source is not None
    assert "broken_sheets.csv" in lookup.error
    assert "the network did not answer, so nothing was downloaded" in lookup.error


def test_a_download_with_other_bytes_is_refused(case: Case, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def fetch(url: str, known_hash: str | None, folder: Path, fname: str,
                  **limits: int) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / fname).write_text("A,B\n1,2\n", encoding="utf-8")
        return folder / fname

    monkeypatch.setattr("audit.data._answers", lambda host, port: True)
    monkeypatch.setattr(data, "_fetch", fetch)
    lookup = load_sheets(case)
    assert lookup.ingest is None
    assert "sha256" in lookup.error
    assert not (data.cache_dir() / "mini_sheets" / SHEETS.name).exists()


def test_a_local_file_with_other_bytes_is_an_error(case: Case, tmp_path: Path) -> None:
    (tmp_path / "data" / "mini_sheets").mkdir(parents=True)
    (tmp_path / "data" / "mini_sheets" / SHEETS.name).write_text("A\n1\n", encoding="utf-8")
    with pytest.raises(ChecksumError, match="expects"):
        load_sheets(case, data_dir=tmp_path / "data")


def test_reachable_probes_each_host_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int]] = []

    def answers(host: str, port: int) -> bool:
        calls.append((host, port))
        return host == "b.example.org"

    monkeypatch.setattr("audit.data._answers", answers)
    assert reachable(["https://a.example.org/x.csv", "http://b.example.org:8080/y.csv"])
    assert calls == [("a.example.org", 443), ("b.example.org", 8080)]
    assert not reachable(["file:///local.csv"])
