"""Shared pieces of the command line: options every command uses, output helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from audit._json import dumps

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
