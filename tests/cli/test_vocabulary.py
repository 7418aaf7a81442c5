"""One vocabulary for every command: the shared options have the same names and meanings.

The test walks every command (and sub-command) of ``election-audit``, so a command added
later is held to the same vocabulary without being listed here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from audit.cli import cli
from audit.cli._common import VocabularyOption

#: Spellings of the shared vocabulary: every option spelled so comes from a shared decorator.
SHARED = {"--mapping", "--mapping-a", "--mapping-b", "--join", "--on", "--output", "--check",
          "--skip", "--progress", "--by", "--sheets", "--source", "--lang", "--n-resamples",
          "--json", "--seed", "--data-dir"}
#: Old spellings: still accepted where they existed, never shown in --help.
OLD = {"--profile", "--profile-a", "--profile-b", "--out", "--checks", "--out-dir",
       "--output-dir", "--skip-check", "--no-progress-bar"}
#: Options whose help says what this command writes (the same name and short flag, but the
#: file or folder differs by command).
PER_COMMAND_HELP = {"--output"}
#: Options whose default differs by command (a report uses fewer redraws than forensics);
#: their help says it, in the same words otherwise.
PER_COMMAND_DEFAULT = {"--n-resamples"}
#: Commands that read tally sheets without --join, and why.
NO_JOIN = {"compare": "compares two files with each other (--on matches them)",
           "profile new": "drafts a mapping from one file's header and values"}


def commands(group: click.Group = cli, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        path = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            yield path, cmd
            yield from commands(cmd, prefix=f"{path} ")
        else:
            yield path, cmd


def long_name(option: click.Option) -> str:
    shown = [o for o in option.opts if o not in getattr(option, "aliases", ())]
    return next((o for o in shown if o.startswith("--")), shown[0])


def options() -> Iterator[tuple[str, click.Option]]:
    for path, cmd in commands():
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.hidden:
                yield path, param


def reads_sheets(cmd: click.Command) -> bool:
    names = {p.name for p in cmd.params}
    return bool(names & {"files", "file", "target", "sheets", "file_a"})


def test_every_command_is_walked() -> None:
    names = {path for path, _ in commands()}
    assert {"ingest", "forensics", "report", "dispute", "aggregate", "calibrate", "compare",
            "sample-size", "cases", "cases show", "cases copy", "profile new", "claims list",
            "claims add", "demo", "track", "track add", "track resolve", "track status",
            "track export", "quickcount"} <= names


def test_every_option_says_what_it_does() -> None:
    for path, option in options():
        assert len(option.help or "") > 10, (path, option.opts)


def test_shared_spellings_come_from_the_shared_decorators() -> None:
    for path, option in options():
        if long_name(option) in SHARED:
            assert isinstance(option, VocabularyOption), (path, long_name(option))


def test_one_name_one_meaning_across_commands() -> None:
    seen: dict[str, list[tuple[str, click.Option]]] = defaultdict(list)
    for path, option in options():
        seen[long_name(option)].append((path, option))
    for name, uses in seen.items():
        if name not in SHARED or len(uses) < 2:
            continue
        first_path, first = uses[0]
        for path, option in uses[1:]:
            where = f"{name} in {first_path} and {path}"
            assert option.opts == first.opts, where
            assert getattr(option, "concept", None) == getattr(first, "concept", None), where
            assert type(option.type) is type(first.type), where
            assert (option.multiple, option.is_flag, option.count) == \
                (first.multiple, first.is_flag, first.count), where
            if name in PER_COMMAND_DEFAULT:
                assert re.sub(r" \(default: \d+\)", "", option.help or "") == \
                    re.sub(r" \(default: \d+\)", "", first.help or ""), where
            elif name not in PER_COMMAND_HELP:
                assert option.help == first.help, where
                assert option.default == first.default, where
    # the short flag of the output is -o everywhere
    for path, option in options():
        if long_name(option) == "--output":
            assert "-o" in option.opts, path


def test_old_spellings_are_hidden_aliases_never_options_of_their_own() -> None:
    for path, cmd in commands():
        for param in cmd.params:
            if not isinstance(param, click.Option):
                continue
            shown = set(param.opts) - set(getattr(param, "aliases", ()))
            assert not shown & OLD, (path, sorted(shown & OLD))
        # the help as --help prints it (rendered directly: a group such as 'track' takes
        # arguments before its sub-commands)
        text = cmd.get_help(click.Context(cmd, info_name=path, terminal_width=100))
        words = set(text.replace(",", " ").split())
        assert not words & OLD, (path, sorted(words & OLD))
    result = CliRunner().invoke(cli, ["ingest", "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert "--mapping FILE|NAME" in result.output


def test_commands_that_read_sheets_share_the_mapping_and_join() -> None:
    for path, cmd in commands():
        if isinstance(cmd, click.Group) or not reads_sheets(cmd):
            continue
        names = {long_name(p) for p in cmd.params if isinstance(p, click.Option)}
        if path == "compare":
            assert {"--mapping-a", "--mapping-b", "--on"} <= names
            continue
        if path == "profile new":  # it writes the mapping the others read
            continue
        assert "--mapping" in names, path
        if path not in NO_JOIN:
            assert {"--join", "--on"} <= names, path


@pytest.mark.parametrize(("args", "dest", "value"), [
    (["ingest", "x.csv", "--profile", "venezuela-2024-opposition-v2"], "mapping",
     "venezuela-2024-opposition-v2"),
    (["ingest", "x.csv", "--out", "folder"], "output", Path("folder")),
    (["calibrate", "--checks", "digits.last_digit,turnout"], "checks",
     ("digits.last_digit", "turnout")),
    (["forensics", "x.csv", "--check", "digits", "--check", "turnout.spike_100_share"], "checks",
     ("digits", "turnout.spike_100_share")),
    (["forensics", "x.csv", "--no-progress"], "progress", False),
    (["compare", "a.csv", "b.csv", "--profile-a", "belarus-2020-official"], "mapping_a",
     "belarus-2020-official"),
])
def test_old_spellings_still_parse(args: list[str], dest: str, value: object) -> None:
    path, rest = [args[0]], args[1:]
    cmd = cli.get_command(click.Context(cli), path[0])
    assert cmd is not None
    ctx = cmd.make_context(path[0], list(rest), resilient_parsing=True)
    assert ctx.params[dest] == value


def test_defaults_shown_in_help_are_the_librarys() -> None:
    """Commands state some library defaults without importing the library (start-up)."""
    from audit.checks import DEFAULT_REFITS, DEFAULT_RESAMPLES
    from audit.cli import cmd_calibrate, cmd_forensics, cmd_report
    from audit.messages import LANGUAGES
    from audit.report.context import REPORT_RESAMPLES
    from audit.simulate import calibrate

    assert cmd_forensics.RESAMPLES == DEFAULT_RESAMPLES
    assert cmd_forensics.REFITS == DEFAULT_REFITS
    assert cmd_report.RESAMPLES == REPORT_RESAMPLES
    assert cmd_calibrate.RESAMPLES == calibrate.DEFAULT_RESAMPLES
    lang = next(p for p in cmd_report.command.params if p.name == "lang")
    assert isinstance(lang.type, click.Choice)
    assert tuple(lang.type.choices) == tuple(LANGUAGES)


def test_a_missing_mapping_file_is_one_line(tmp_path: object) -> None:
    result = CliRunner().invoke(cli, ["ingest", "x.csv", "--mapping", "nowhere/my.toml"])
    assert result.exit_code == 2
    assert "Invalid value for '--mapping': mapping file not found: nowhere/my.toml" in \
        result.output  # the hidden alias is not named
