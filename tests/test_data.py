"""Locating data files (audit.data): lookup order, hash checks, downloads, offline errors.

No test here touches the network: downloads go through ``audit.data._fetch``, replaced by a
local copy, and the offline case uses an address that refuses connections at once.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from pathlib import Path

import pytest

from audit import data
from audit.cases import Archive, Case, DataFile, SourceFile
from audit.errors import DataUnavailableError
from audit.model import Candidate, Election

CONTENT = b"region,station,registered,voters,valid,null,A,B\nN,1,100,50,48,2,30,18\n"
SHA = hashlib.sha256(CONTENT).hexdigest()


def make_case(tmp_path: Path, **source: object) -> Case:
    election = Election(id="mini", name="Mini", date=__import__("datetime").date(2024, 1, 1),
                        country="XX", candidates=(Candidate("A", "Alice"), Candidate("B", "Bob")))
    fields: dict[str, object] = {"id": "sheets", "file": "sheets.csv", "folder": "mini_data",
                                 "profile": "mini", "sha256": SHA}
    fields.update(source)
    return Case(name="mini", path=tmp_path, election=election,
                sources=(SourceFile(**fields),))  # type: ignore[arg-type]


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Separate --data-dir, $ELECTION_AUDIT_DATA and cache folders, all empty."""
    out = {k: tmp_path / k for k in ("given", "env", "cache")}
    for path in out.values():
        path.mkdir()
    monkeypatch.setenv(data.ENV_VAR, str(out["env"]))
    monkeypatch.setattr(data, "cache_dir", lambda: out["cache"])
    return out


def put(root: Path, content: bytes = CONTENT, flat: bool = False) -> Path:
    path = root / "sheets.csv" if flat else root / "mini_data" / "sheets.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def no_network(*args: object, **kw: object) -> Path:
    raise AssertionError("this test must not download")


class TestLookupOrder:
    def test_data_dir_first_then_env_then_cache(self, tmp_path: Path,
                                                dirs: dict[str, Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(data, "_fetch", no_network)
        case = make_case(tmp_path)
        cached = put(dirs["cache"])
        assert data.locate(case, "sheets", data_dir=dirs["given"]) == [cached]
        env = put(dirs["env"])
        assert data.locate(case, "sheets", data_dir=dirs["given"]) == [env]
        given = put(dirs["given"])
        assert data.locate(case, "sheets", data_dir=dirs["given"]) == [given]

    def test_flat_layout_is_accepted(self, tmp_path: Path, dirs: dict[str, Path]) -> None:
        flat = put(dirs["given"], flat=True)
        assert data.locate(make_case(tmp_path), "sheets", data_dir=dirs["given"]) == [flat]

    def test_search_dirs_labels(self, dirs: dict[str, Path]) -> None:
        labels = [label for label, _ in data.search_dirs("x")]
        assert labels == ["--data-dir", "$ELECTION_AUDIT_DATA", "the cache"]

    def test_case_folder_before_the_cache(self, tmp_path: Path,
                                          dirs: dict[str, Path]) -> None:
        case = make_case(tmp_path, folder="")
        put(dirs["cache"], flat=True)
        shipped = tmp_path / "sheets.csv"
        shipped.write_bytes(CONTENT)
        assert data.locate(case, "sheets") == [shipped]

    def test_multi_file_source(self, tmp_path: Path, dirs: dict[str, Path]) -> None:
        other = CONTENT.replace(b"N,1", b"S,2")
        files = (DataFile("a.csv", SHA), DataFile("b.csv", hashlib.sha256(other).hexdigest()))
        case = make_case(tmp_path, file="", sha256="", files=files)
        (dirs["given"] / "mini_data").mkdir()
        (dirs["given"] / "mini_data" / "a.csv").write_bytes(CONTENT)
        (dirs["given"] / "mini_data" / "b.csv").write_bytes(other)
        found = data.locate(case, "sheets", data_dir=dirs["given"])
        assert [p.name for p in found] == ["a.csv", "b.csv"]


class TestHashes:
    def test_local_mismatch_names_both_hashes(self, tmp_path: Path,
                                              dirs: dict[str, Path]) -> None:
        bad = CONTENT + b"S,2,100,50,48,2,30,18\n"
        put(dirs["given"], bad)
        with pytest.raises(DataUnavailableError) as err:
            data.locate(make_case(tmp_path), "sheets", data_dir=dirs["given"])
        message = str(err.value)
        assert hashlib.sha256(bad).hexdigest() in message
        assert SHA in message
        assert "--data-dir" in message

    def test_corrupt_cache_copy_is_downloaded_again(self, tmp_path: Path,
                                                    dirs: dict[str, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        put(dirs["cache"], b"truncated")
        calls: list[str] = []

        def fetch(url: str, known_hash: str | None, folder: Path, fname: str,
                  **limits: int) -> Path:
            calls.append(url)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / fname).write_bytes(CONTENT)
            return folder / fname

        monkeypatch.setattr(data, "_fetch", fetch)
        case = make_case(tmp_path, urls=("https://example.org/sheets.csv",))
        [path] = data.locate(case, "sheets")
        assert path == dirs["cache"] / "mini_data" / "sheets.csv"
        assert path.read_bytes() == CONTENT
        assert calls == ["https://example.org/sheets.csv"]


class TestDownload:
    def test_urls_in_order_until_one_works(self, tmp_path: Path, dirs: dict[str, Path],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
        calls: list[str] = []

        def fetch(url: str, known_hash: str | None, folder: Path, fname: str,
                  **limits: int) -> Path:
            calls.append(url)
            if "publisher" in url:
                raise ConnectionError("publisher is down")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / fname).write_bytes(CONTENT if "good" in url else b"other bytes")
            return folder / fname

        monkeypatch.setattr(data, "_fetch", fetch)
        urls = ("https://publisher.example/s.csv", "https://mirror.example/bad.csv",
                "https://mirror.example/good.csv", "https://never.example/s.csv")
        [path] = data.locate(make_case(tmp_path, urls=urls), "sheets")
        assert calls == list(urls[:3])
        assert path.read_bytes() == CONTENT
        assert path.parent == dirs["cache"] / "mini_data"

    def test_zip_archive_member_is_extracted_and_checked(
            self, tmp_path: Path, dirs: dict[str, Path],
            monkeypatch: pytest.MonkeyPatch) -> None:
        packed = tmp_path / "sheets.csv.zip"
        with zipfile.ZipFile(packed, "w") as zf:
            zf.writestr("inner/sheets-2024.csv", CONTENT)
        zsha = hashlib.sha256(packed.read_bytes()).hexdigest()

        def fetch(url: str, known_hash: str | None, folder: Path, fname: str,
                  **limits: int) -> Path:
            assert known_hash == zsha
            folder.mkdir(parents=True, exist_ok=True)
            return Path(__import__("shutil").copy(packed, folder / fname))

        monkeypatch.setattr(data, "_fetch", fetch)
        archive = Archive(url="https://example.org/sheets.csv.zip",
                          member="inner/sheets-2024.csv", sha256=zsha)
        [path] = data.locate(make_case(tmp_path, archives=(archive,)), "sheets")
        assert path == dirs["cache"] / "mini_data" / "sheets.csv"
        assert path.read_bytes() == CONTENT

    def test_download_off(self, tmp_path: Path, dirs: dict[str, Path],
                          monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(data, "_fetch", no_network)
        case = make_case(tmp_path, urls=("https://example.org/s.csv",))
        with pytest.raises(DataUnavailableError, match="downloading is off"):
            data.locate(case, "sheets", download=False)

    def test_offline_fails_fast_with_one_sentence(self, tmp_path: Path,
                                                  dirs: dict[str, Path]) -> None:
        """A real download attempt to a port that refuses connections (no network used)."""
        case = make_case(tmp_path, urls=("http://127.0.0.1:9/sheets.csv",))
        start = time.perf_counter()
        with pytest.raises(DataUnavailableError) as err:
            data.locate(case, "sheets", data_dir=dirs["given"])
        assert time.perf_counter() - start < 10
        message = str(err.value)
        assert "\n" not in message
        assert "127.0.0.1:9" in message
        for where in ("--data-dir", "$ELECTION_AUDIT_DATA", "the cache"):
            assert where in message
        assert "mini_data/sheets.csv" in message


def test_load_source_joins_registered_voters(tmp_path: Path) -> None:
    """load_source applies the source's join (V2 takes registered voters from V1)."""
    from helpers import DATA_DIR, real_file

    real_file("venezuela_2024_resultadosconvzla_actas", "RESULTADOS_2024_CSV_V2.csv")
    result = data.load_source("venezuela-2024", "opposition-v2", data_dir=DATA_DIR)
    assert result.rows_read == 25073
    assert result.join is not None
    assert result.join.matched == 24530
    assert int(result.sheets.data["registered"].notna().sum()) == 24530
