"""The README's worked example of a report on one's own election runs as written."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from audit.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _example(name: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- example: {re.escape(name)} -->\n```\w*\n(.*?)```\n<!-- /example -->",
                      readme, re.S)
    assert match, name
    return match.group(1)


def test_own_election_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "my-election"
    folder.mkdir()
    (folder / "election.toml").write_text(_example("election.toml"), encoding="utf-8")
    args = shlex.split(_example("command"))
    assert args[:3] == ["election-audit", "report", "my-election/"]
    monkeypatch.chdir(ROOT)  # the example's paths are relative to the checkout
    args = [str(tmp_path / a) if a.startswith("my-election/") else a for a in args[1:]]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO((folder / "report.pdf").read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    # what the README says the report shows
    assert "18 rows were read: 6 accepted, 11 quarantined with a reason" in text
    assert "No check of this kind could run on these 6 sheets" in text
    assert "Alice Alpha" in text
