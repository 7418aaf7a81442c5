"""The README's election-night walkthrough runs word for word: five commands from a raw
spreadsheet to a report, in an empty folder."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from audit.cli import cli
from audit.ingest.profiles import Profile
from audit.resources import datasets_dir

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- walkthrough -->\n```bash\n(.*?)```\n<!-- /walkthrough -->",
                      readme, re.S)
    assert match, "README: the walkthrough block is missing"
    return [shlex.split(line) for line in match.group(1).splitlines() if line.strip()]


def test_the_walkthrough_is_five_commands() -> None:
    commands = walkthrough()
    assert len(commands) == 5
    assert all(c[0] == "election-audit" for c in commands)
    assert [c[1] for c in commands] == ["cases", "profile", "ingest", "forensics", "report"]


@pytest.mark.slow
def test_the_walkthrough_runs_as_written(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    outputs = []
    for command in walkthrough():
        result = CliRunner().invoke(cli, command[1:], env={"COLUMNS": "80"})
        assert result.exit_code == 0, (command, result.output)
        outputs.append(" ".join(result.output.split()))
    # the drafted mapping is the one written by hand for the demo's observers
    drafted = Profile.from_toml(tmp_path / "night" / "actas.toml")
    by_hand = Profile.from_toml(datasets_dir() / "demo" / "observers-profile.toml")
    assert drafted.columns == by_hand.columns
    assert drafted.candidates == by_hand.candidates
    assert drafted.regions == by_hand.regions
    assert "rows read 1,600 = accepted 1,600 + quarantined 0" in outputs[2]
    assert "National results" in outputs[3]
    assert "the report covers only the sheets you supplied (1,600 accepted)" in outputs[4]
    assert (tmp_path / "night" / "report.pdf").stat().st_size > 50_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night"]  # nothing else written
