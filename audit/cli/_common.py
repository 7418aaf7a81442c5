"""Shared pieces of the command line: options every command uses, output helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from audit._json import dumps
from audit.errors import OutputError

F = TypeVar("F", bound=Callable[..., Any])

#: Human output goes to stdout; progress bars and warnings to stderr.
out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def json_option(func: F) -> F:
    """``--json``: print exactly one JSON object on stdout instead of the human summary."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON object on stdout (schema in docs/json.md).")(func)


def seed_option(func: F) -> F:
    """``--seed``: the random seed of every Monte Carlo step (recorded in the output)."""
    return click.option("--seed", type=int, default=20240728, show_default=True,
                        help="Random seed; the same inputs and seed give identical results.")(func)


def data_dir_option(func: F) -> F:
    """``--data-dir``: where real datasets are looked up (else $ELECTION_AUDIT_DATA)."""
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        default=None, envvar="ELECTION_AUDIT_DATA", show_envvar=True,
                        help="Folder holding the datasets (one sub-folder per dataset).")(func)


def force_option(func: F) -> F:
    """``--force``: replace outputs that already exist (never an input of the same run)."""
    return click.option("--force", is_flag=True,
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
    sys.stdout.write(dumps(payload))
    sys.stdout.flush()


def fmt_int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def fmt_pct(part: float | None, whole: float | None, digits: int = 2) -> str:
    if part is None or not whole:
        return "—"
    return f"{100.0 * part / whole:.{digits}f}%"
