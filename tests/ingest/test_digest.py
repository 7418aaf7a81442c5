"""The input's SHA-256 computed in the background (audit.ingest.digest): the same digest as
the model's, only for regular files, and used by read_sheets instead of a second read."""

from __future__ import annotations

import os
from concurrent.futures import Future
from pathlib import Path

import pytest

from audit.ingest import read_sheets
from audit.ingest.digest import hash_in_background, sha256_of
from audit.model import sha256_file

ROOT = Path(__file__).resolve().parents[2]
SHEETS = ROOT / "tests" / "data" / "broken_sheets.csv"
MAPPING = ROOT / "tests" / "data" / "mini_profile.toml"


def test_only_regular_files_are_hashed(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 70_000)  # several 8 MB blocks
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    pending = hash_in_background([big, empty, tmp_path, tmp_path / "missing.csv"])
    assert list(pending) == [big]
    assert pending[big].result(timeout=60) == sha256_file(big) == sha256_of(big)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_never_read(tmp_path: Path) -> None:
    """A named pipe would block the hashing thread for ever: it is left to the reader."""
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    assert hash_in_background([pipe]) == {}


def test_read_sheets_uses_the_digest_given() -> None:
    given: Future[str] = Future()
    given.set_result("f" * 64)
    result = read_sheets(SHEETS, profile=MAPPING, digests={SHEETS: given})
    assert result.files[0].sha256 == "f" * 64
    assert read_sheets(SHEETS, profile=MAPPING).files[0].sha256 == sha256_file(SHEETS)
