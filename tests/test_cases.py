"""Case folders and source manifests (audit.cases)."""

from __future__ import annotations

import pytest

from audit.cases import SourceFile, bundled_case_names, load_case
from audit.errors import MetadataError

SHA = "ab" * 32


def test_bundled_cases() -> None:
    names = bundled_case_names()
    for case in ("venezuela-2012", "russia-2011", "russia-2018", "uganda-2011", "uganda-2021",
                 "chile-2021", "cordoba-2019", "venezuela-2024"):
        assert case in names
        loaded = load_case(case)
        assert loaded.election.id == case
        assert loaded.main_source is not None
        for source in loaded.sources:
            assert source.data_files
            assert all(len(f.sha256) == 64 for f in source.data_files)
            assert source.citation
            assert source.licence
            assert source.description


def test_single_file_source() -> None:
    s = SourceFile.from_dict({"id": "s", "file": "a.csv", "profile": "p", "sha256": SHA.upper(),
                              "url": "https://example.org/a.csv", "rows": 3, "bytes": 10},
                             origin="test")
    assert s.sha256 == SHA
    assert s.urls == ("https://example.org/a.csv",)
    [entry] = s.data_files
    assert (entry.file, entry.sha256, entry.rows, entry.bytes) == ("a.csv", SHA, 3, 10)


def test_multi_file_source_with_archives() -> None:
    s = SourceFile.from_dict({
        "id": "s", "profile": "p", "folder": "f",
        "files": [{"file": "a.csv", "sha256": SHA, "rows": 2, "bytes": 5},
                  {"file": "b.csv", "sha256": "cd" * 32, "rows": 3, "bytes": 7,
                   "archives": [{"url": "https://example.org/b.zip", "member": "b.csv",
                                 "sha256": "ef" * 32}]}]}, origin="test")
    assert s.file == ""
    assert [f.file for f in s.data_files] == ["a.csv", "b.csv"]
    assert (s.rows, s.bytes) == (5, 12)
    assert s.data_files[1].archives[0].member == "b.csv"


def test_chile_is_one_source_of_sixteen_files() -> None:
    source = load_case("chile-2021").source("servel-mesas")
    assert len(source.data_files) == 16
    assert source.rows == 46605


@pytest.mark.parametrize(("raw", "match"), [
    ({"id": "s", "profile": "p", "sha256": SHA}, "lacks file"),
    ({"id": "s", "file": "a", "profile": "p", "sha256": "xyz"}, "malformed sha256"),
    ({"id": "s", "profile": "p", "files": []}, "empty 'files'"),
    ({"id": "s", "profile": "p", "file": "a", "files": [{"file": "b", "sha256": SHA}]},
     "both 'file' and 'files'"),
    ({"id": "s", "profile": "p", "files": [{"file": "b"}]}, "needs 'file' and 'sha256'"),
    ({"id": "s", "file": "a", "profile": "p", "sha256": SHA,
      "archives": [{"url": "u", "member": "m"}]}, "archive entry lacks sha256"),
])
def test_manifest_errors(raw: dict[str, object], match: str) -> None:
    with pytest.raises(MetadataError, match=match):
        SourceFile.from_dict(raw, origin="test")


def test_unknown_source_names_the_known_ones() -> None:
    with pytest.raises(MetadataError, match="known: cec-uik"):
        load_case("russia-2018").source("nope")
