"""``election-audit report`` on the shared vocabulary: --by, --check, and the command line
recorded in the report spelled with it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from audit.cli import cli
from audit.resources import datasets_dir

DEMO = datasets_dir() / "demo"


def test_by_and_check_shape_the_battery(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, [
        "report", "demo", "--sheets", str(DEMO / "observer_tally_sheets.csv"), "--profile",
        str(DEMO / "observers-profile.toml"), "--by", "district", "--check",
        "digits.last_digit", "--n-resamples", "9", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["only_sheets"] is True
    report = json.loads(out.read_text(encoding="utf-8"))
    parameters = report["provenance"]["parameters"]
    assert parameters["level"] == "district"
    assert "digits.last_digit" not in parameters["skip_checks"]
    assert "digits.first_digit" in parameters["skip_checks"]
    text = out.read_text(encoding="utf-8")
    assert '"scope": "district:' in text
    assert '"scope": "province:' not in text
    command = report["provenance"]["command"]
    assert "--mapping" in command  # the hidden old spelling is recorded in the new one
    assert "--profile" not in command
    assert command.endswith("--n-resamples 9 --by district --check digits.last_digit")


def test_mapping_without_sheets_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "demo", "--mapping",
                                      "venezuela-2024-opposition-v2", "-o",
                                      str(tmp_path / "r.pdf")])
    assert result.exit_code != 0
    assert "--mapping applies to --sheets" in str(result.exception) + result.output
