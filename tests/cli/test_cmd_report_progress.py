"""Progress of ``election-audit report`` on stderr: stage by stage on a terminal, silent with
``--no-progress`` or when stderr is not a terminal."""

from __future__ import annotations

from audit.cli.cmd_report import _stages


def test_stages_print_each_stage_with_a_counter(capsys) -> None:
    stage = _stages(True)
    stage("Digit tests")
    stage("PDF")
    stage("")
    err = capsys.readouterr().err
    assert "[ 1] Digit tests…" in err
    assert "[ 2] PDF…" in err
    assert "done in" in err


def test_silent_when_disabled(capsys) -> None:
    stage = _stages(False)
    stage("Digit tests")
    stage("")
    assert capsys.readouterr().err == ""


def test_cli_is_silent_when_stderr_is_not_a_terminal(tmp_path) -> None:
    from click.testing import CliRunner

    from audit.cli import cli

    result = CliRunner().invoke(cli, ["report", "venezuela-2024", "--offline",
                                      "-o", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "[ 1]" not in result.output
