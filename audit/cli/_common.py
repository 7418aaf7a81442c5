"""Shared pieces of the command line: the option vocabulary every command uses, output helpers.

One concept, one spelling, one meaning: every command takes its options from the decorators
below, so ``--mapping`` reads the same in ``ingest`` as in ``report``
(``tests/cli/test_vocabulary.py`` walks every command's ``--help`` to keep it so). Old
spellings that users may have in scripts stay accepted as hidden aliases.

This module is imported by ``election-audit --help``: it imports nothing heavy (no pandas, no
battery of checks).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from audit.errors import OutputError

F = TypeVar("F", bound=Callable[..., Any])

class Stream:
    """A rich console on stdout or stderr, rebuilt when the stream or ``COLUMNS`` changes.

    Commands print through ``out`` and ``err``; building the console at first use (and again
    when a test or a pipe swaps ``sys.stdout``) keeps the width right: the terminal's, else
    ``COLUMNS``, else 80 columns for piped output.
    """

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._stream: Any = None
        self._env: tuple[str | None, ...] = ()
        self._console: Console | None = None

    def console(self) -> Console:
        stream = sys.stderr if self._stderr else sys.stdout
        env = tuple(os.environ.get(k) for k in ("COLUMNS", "TTY_COMPATIBLE", "NO_COLOR"))
        if self._console is None or stream is not self._stream or env != self._env:
            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=False)
            self._stream, self._env = stream, env
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console(), name)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.console().print(*objects, **kwargs)


#: Human output goes to stdout; progress bars and warnings to stderr.
out = Stream(stderr=False)
err = Stream(stderr=True)


# --------------------------------------------------------------------------------------------
# The option vocabulary
# --------------------------------------------------------------------------------------------


class LazyChoice(click.Choice):
    """A choice whose values live in a library module (``"module:NAME"``), imported only
    when the option is used or its help shown (so ``election-audit --help`` stays light)."""

    def __init__(self, source: str, case_sensitive: bool = True) -> None:
        self._source = source
        self._loaded: tuple[str, ...] | None = None
        super().__init__((), case_sensitive=case_sensitive)

    @property
    def choices(self) -> tuple[str, ...]:
        if self._loaded is None:
            import importlib

            module, name = self._source.split(":")
            self._loaded = tuple(getattr(importlib.import_module(module), name))
        return self._loaded

    @choices.setter
    def choices(self, value: Any) -> None:  # click's __init__ assigns; the source decides
        pass


class VocabularyOption(click.Option):
    """An option of the shared vocabulary.

    ``concept`` names what it means (the same concept has the same spelling, type and help
    in every command); ``aliases`` are older spellings still accepted but not shown in
    ``--help``.
    """

    def __init__(self, *args: Any, concept: str = "", aliases: Sequence[str] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.concept = concept
        self.aliases = tuple(aliases)

    def get_error_hint(self, ctx: click.Context | None) -> str:
        return " / ".join(f"'{o}'" for o in self.opts if o not in self.aliases)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if not self.aliases:
            return super().get_help_record(ctx)
        shown = self.opts
        self.opts = [o for o in shown if o not in self.aliases]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


def _option(*decls: str, concept: str, aliases: Sequence[str] = (), **kwargs: Any
            ) -> Callable[[F], F]:
    return click.option(*decls, *aliases, cls=VocabularyOption, concept=concept,
                        aliases=aliases, **kwargs)


def _looks_like_path(value: str) -> bool:
    return value.endswith(".toml") or os.sep in value or "/" in value


def _check_mapping(ctx: click.Context, param: click.Parameter, value: Sequence[str]
                   ) -> str | None:
    """One mapping (given once, or repeated with the same value); a path must exist."""
    given = list(dict.fromkeys(value))
    if len(given) > 1:
        raise click.BadParameter(f"give one mapping, not several ({', '.join(given)})",
                                 ctx=ctx, param=param)
    mapping = given[0] if given else None
    if mapping is not None and _looks_like_path(mapping) and not Path(mapping).is_file():
        raise click.BadParameter(f"mapping file not found: {mapping}", ctx=ctx, param=param)
    return mapping


MAPPING_HELP = ("Column mapping of the tally sheets: a TOML file (docs/profiles.md; "
                "'election-audit profile new' drafts one) or a bundled profile name "
                "(default: detected from the header).")


def mapping_option(func: F | None = None, *, suffix: str = "",
                   what: str = "") -> Any:
    """``--mapping FILE|NAME`` (hidden alias ``--profile``): which column is which.

    ``suffix`` makes ``--mapping-a``/``--mapping-b`` for commands reading two files (their
    old spellings ``--profile-a``/``--profile-b`` stay accepted); ``what`` says which file.
    """
    name = f"--mapping{'-' + suffix if suffix else ''}"
    alias = f"--profile{'-' + suffix if suffix else ''}"
    dest = f"mapping{'_' + suffix if suffix else ''}"
    text = MAPPING_HELP if not what else MAPPING_HELP.replace("the tally sheets", what)

    def decorate(f: F) -> F:
        return _option(name, dest, concept="mapping", aliases=(alias,), metavar="FILE|NAME",
                       multiple=True, callback=_check_mapping, help=text)(f)

    return decorate(func) if func is not None else decorate


def join_options(func: F) -> F:
    """``--join FILE`` and ``--on COLS``: columns of another file joined onto the sheets."""
    func = on_option(func)
    return _option("--join", "join_file", concept="join",
                   type=click.Path(dir_okay=True, path_type=Path), metavar="FILE",
                   help="Another file of the same tables whose columns the sheets lack (e.g. "
                        "registered voters) are joined on, matching rows on --on.")(func)


def _key_columns(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    cols = tuple(c.strip() for c in value.split(",") if c.strip())
    if not cols:
        raise click.BadParameter("give at least one key column, e.g. center_id,table_id",
                                 ctx=ctx, param=param)
    return cols


def on_option(func: F) -> F:
    """``--on COLS``: the canonical key columns that identify a table across files."""
    return _option("--on", "join_on", concept="on", default="center_id,table_id",
                   show_default=True, metavar="COLS", callback=_key_columns,
                   help="Comma-separated canonical key columns identifying a table, to "
                        "match rows across files.")(func)


def output_option(*, kind: str, help: str, required: bool = False) -> Callable[[F], F]:
    """``-o/--output``: where the command writes (a file or a folder, as it needs);
    ``--out`` stays accepted."""
    path_type = click.Path(file_okay=kind == "file", dir_okay=kind == "folder",
                           path_type=Path)
    return _option("-o", "--output", "output", concept="output", aliases=("--out",),
                   type=path_type, metavar="FILE" if kind == "file" else "DIR",
                   required=required, help=help)


def _split_names(ctx: click.Context, param: click.Parameter, value: Sequence[str]
                 ) -> tuple[str, ...]:
    return tuple(n.strip() for item in value for n in item.split(",") if n.strip())


def check_option(func: F) -> F:
    """``--check NAME`` (repeatable, commas accepted; old spelling ``--checks``)."""
    return _option("--check", "checks", concept="check", aliases=("--checks",),
                   multiple=True, metavar="NAME", callback=_split_names,
                   help="Run only this check or family, e.g. digits or turnout.integer_percentages "
                        "(repeatable; commas accepted).")(func)


def skip_option(func: F) -> F:
    """``--skip NAME`` (repeatable): checks left out."""
    return _option("--skip", "skip_checks", concept="skip", multiple=True, metavar="NAME",
                   callback=_split_names,
                   help="Leave this check or family out, e.g. fingerprints.klimek for a "
                        "quick draft (repeatable; commas accepted).")(func)


def progress_option(func: F) -> F:
    """``--progress/--no-progress``: progress on stderr (default: when it is a terminal)."""
    return _option("--progress/--no-progress", "progress", concept="progress", default=None,
                   help="Show progress on stderr (default: when stderr is a terminal).")(func)


def by_option(func: F) -> F:
    """``--by LEVEL``: the region level of per-region results ('none': national only)."""
    return _option("--by", "by", concept="by", metavar="LEVEL", default=None,
                   help="Region level for per-region results, e.g. state ('none': national "
                        "only; default: the top level of the sheets).")(func)


def resolve_by(by: str | None, levels: Sequence[str]) -> str | None:
    """The region level ``--by`` asks for: None for national only."""
    if by is None:
        return levels[0] if levels else None
    if by.lower() in ("none", "national"):
        return None
    return by


def selected_checks(checks: Sequence[str], skip: Sequence[str]) -> list[str] | None:
    """Registered check names to run for ``--check`` and ``--skip`` (None: all of them), in
    the order of ``--check``.

    Both take check names or families; an unknown one is an input error naming the families.
    """
    if not checks and not skip:
        return None
    from audit.checks.registry import registered
    from audit.errors import AuditError

    specs = registered()
    unknown = [s for s in (*checks, *skip) if not any(x.name == s or x.family == s
                                                    for x in specs)]
    if unknown:
        raise AuditError(f"unknown checks or families {', '.join(unknown)}; known families: "
                         f"{', '.join(sorted({x.family for x in specs}))}")
    wanted = [[x for x in specs if x.name == c or x.family == c] for c in checks] \
        if checks else [specs]
    chosen = list(dict.fromkeys(x.name for group in wanted for x in group
                                if x.name not in skip and x.family not in skip))
    if not chosen:
        raise AuditError("--check and --skip leave no check to run")
    return chosen


def sheets_option(func: F) -> F:
    """``--sheets FILE`` (repeatable): the user's own tally sheets for a case."""
    return _option("--sheets", "sheets", concept="sheets", multiple=True, metavar="FILE",
                   type=click.Path(path_type=Path),
                   help="Your tally-sheet file(s), of one layout (repeatable), read with "
                        "--mapping; they replace the case's own sheets and aggregates.")(func)


def source_option(func: F) -> F:
    """``--source ID``: which source of a case."""
    return _option("--source", "source_id", concept="source", metavar="ID",
                   help="Source of the case to read (an id of its sources.toml; default: "
                        "its main source).")(func)


def lang_option(func: F) -> F:
    """``--lang``: language of what the command writes."""
    return _option("--lang", "lang", concept="lang",
                   type=LazyChoice("audit.messages:LANGUAGES"),
                   default="en", show_default=True,
                   help="Language of the output.")(func)


def n_resamples_option(default: int | None) -> Callable[[F], F]:
    """``--n-resamples N``: Monte Carlo redraws of every simulation null."""
    shown = f" (default: {default})" if default is not None else ""
    return _option("--n-resamples", "n_resamples", concept="n_resamples",
                   type=click.IntRange(min=1), default=None, metavar="N",
                   help=f"Honest redraws of every simulation null{shown}.")


def json_option(func: F) -> F:
    """``--json``: print exactly one JSON object on stdout instead of the human summary."""
    return _option("--json", "as_json", concept="json", is_flag=True,
                   help="Print one JSON object on stdout (schema in docs/json.md).")(func)


def seed_option(func: F) -> F:
    """``--seed``: the random seed of every Monte Carlo step (recorded in the output)."""
    return _option("--seed", "seed", concept="seed", type=click.IntRange(min=0),
                   default=20240728,
                   show_default=True,
                   help="Random seed; the same inputs and seed give identical results.")(func)


def data_dir_option(func: F) -> F:
    """``--data-dir``: where real datasets are looked up (else $ELECTION_AUDIT_DATA)."""
    return _option("--data-dir", "data_dir", concept="data_dir",
                   type=click.Path(file_okay=False, path_type=Path), default=None,
                   envvar="ELECTION_AUDIT_DATA", show_envvar=True,
                   help="Folder holding the datasets (one sub-folder per dataset).")(func)


# --------------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------------


def force_option(func: F) -> F:
    """``--force``: replace outputs that already exist (never an input of the same run)."""
    return _option("--force", concept="force", is_flag=True,
                   help="Replace output files that already exist (inputs are never "
                        "overwritten).")(func)


def _files(paths: Iterable[Path | str | None]) -> list[Path]:
    """The files named by ``paths`` (a folder stands for the files directly in it)."""
    found: list[Path] = []
    for item in paths:
        if item is None:
            continue
        path = Path(item)
        if path.is_dir():
            found += [p for p in path.iterdir() if p.is_file()]
        elif path.exists():
            found.append(path)
    return found


def guard_output(outputs: Path | str | Iterable[Path | str], *,
                 inputs: Iterable[Path | str | None] = (), force: bool = False) -> None:
    """Refuse, before anything is written, an output that would replace an input of the same
    run or, without ``force``, any existing file.

    An output is an input when both resolve to the same path or, for existing files, share
    device and inode (a hard link or a symbolic link to the input counts). A folder named as
    an output (e.g. the figures folder of a Markdown report) is checked file by file.

    Raises
    ------
    OutputError
        With one line naming the output and what it would replace (exit code 2).
    """
    targets = [Path(outputs)] if isinstance(outputs, (str, Path)) else \
        [Path(p) for p in outputs]
    sources = _files(inputs)
    by_path = {p.resolve(): p for p in sources}
    by_inode = {(st.st_dev, st.st_ino): p for p in sources if (st := p.stat())}
    for target in targets:
        for path in _files([target]) if target.is_dir() else [target]:
            hit = by_path.get(path.resolve())
            if hit is None and path.exists():
                st = path.stat()
                hit = by_inode.get((st.st_dev, st.st_ino))
            if hit is not None:
                raise OutputError(f"{path} is an input of this run ({hit}); choose another "
                                  f"output")
        if target.exists() and not force and (target.is_file() or any(target.iterdir())):
            raise OutputError(f"{target} already exists; pass --force to replace it")
        parent = target.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise OutputError(f"cannot write {target}: {parent} is not a writable folder")


def emit_json(payload: Any) -> None:
    """Write one JSON object to stdout, deterministically."""
    from audit._json import dumps

    sys.stdout.write(dumps(payload))
    sys.stdout.flush()


def fmt_int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def fmt_pct(part: float | None, whole: float | None, digits: int = 2) -> str:
    if part is None or not whole:
        return "—"
    return f"{100.0 * part / whole:.{digits}f}%"
