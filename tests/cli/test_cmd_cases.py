"""``election-audit cases``: list, show, copy; ``claims add`` never writes into the package."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from audit.cases import bundled_case_names, load_case
from audit.cli import main
from audit.resources import datasets_dir


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_list_names_every_bundled_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["cases", "--json"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert [c["case"] for c in payload["cases"]] == bundled_case_names()
    venezuela = next(c for c in payload["cases"] if c["case"] == "venezuela-2024")
    assert venezuela["claims"] == 21
    assert venezuela["election"]["tables"] == 30_026
    code, out, _ = run(["cases"], capsys)
    assert code == 0
    for name in bundled_case_names():
        assert name in out.split()


def test_show_prints_keys_levels_sources_and_claims(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["cases", "show", "venezuela-2024", "--json"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert [c["key"] for c in payload["candidates"]] == [
        "NM", "EG", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA"]
    assert [(lv["level"], lv["regions"]) for lv in payload["region_levels"]] == [
        ("state", 24), ("municipality", 0), ("parish", 0)]
    assert payload["region_levels"][0]["example"] == "1 = Distrito Capital"
    assert [s["id"] for s in payload["sources"]] == [
        "opposition-v2", "opposition-v1", "qr-decoded", "qr-ipince"]
    assert payload["claims"][1]["id"] == "cne-b1"
    assert payload["bundled"] is True
    code, out, _ = run(["cases", "show", "venezuela-2024"], capsys)
    assert code == 0
    text = " ".join(out.split())
    assert "EG" in out.split()
    assert "Edmundo González Urrutia" in text
    assert "cne-b1" in out.split()


def test_copy_makes_an_editable_case_and_claims_add_uses_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundled = datasets_dir() / "venezuela-2024"
    before = tree_digest(bundled)
    claim = ["--id", "my-count", "--datetime", "2024-07-29T03:00:00-04:00", "--side",
             "observer", "--citation", "Our own observers, 3 a.m. count", "--count",
             "EG=123456", "--count", "NM=65432"]
    code, _, err = run(["claims", "add", "venezuela-2024", *claim], capsys)
    assert code == 2
    assert err == ("election-audit: error: venezuela-2024 is a bundled case, installed with "
                   "the package: copy it to a folder of your own first (election-audit cases "
                   "copy venezuela-2024 my-case), then add the claim to my-case\n")
    mine = tmp_path / "my-case"
    code, out, _ = run(["cases", "copy", "venezuela-2024", str(mine), "--json"], capsys)
    assert code == 0
    assert sorted(Path(p).name for p in json.loads(out)["files"]) == [
        "aggregates_opposition-v1.csv", "aggregates_opposition-v2.csv", "claims.yaml",
        "context.toml", "election.toml", "sources.toml", "tiles.toml"]
    code, out, _ = run(["claims", "add", str(mine), *claim], capsys)
    assert code == 0, out
    assert len(load_case(mine).election.candidates) == 10
    code, out, _ = run(["claims", "list", str(mine), "--json"], capsys)
    assert [c["id"] for c in json.loads(out)["claims"]].count("my-count") == 1
    assert tree_digest(bundled) == before  # the installed case is untouched
    code, _, err = run(["cases", "copy", "venezuela-2024", str(mine)], capsys)
    assert code == 2
    assert "already exists and is not an empty folder" in err
