"""The ``election-audit`` command line: a thin layer over the library.

Each command parses its arguments, calls one library function and prints. Exit codes: 0 when
the command ran (findings are results), 2 for an input problem (:class:`audit.errors.AuditError`,
a usage error, a file that cannot be read or written: one line on stderr), 130 when
interrupted (Ctrl-C), 1 only for a bug (an internal error, with a request to report it).
Warnings of the libraries underneath never reach the terminal; ``--verbose`` shows them and
full tracebacks for debugging.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from collections.abc import Sequence

import click

from audit._version import __version__
from audit.errors import AuditError, AuditWarning


def _cases_epilog() -> str:
    """The bundled cases, named in ``--help`` (a glob of the datasets folder: no imports)."""
    from audit.resources import datasets_dir

    names = sorted(p.parent.name for p in datasets_dir().glob("*/election.toml"))
    return (f"Bundled cases: {', '.join(names)}. 'election-audit cases show CASE' prints a "
            f"case's candidate keys, regions, sources and claims.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=_cases_epilog())
@click.version_option(__version__, prog_name="election-audit")
@click.option("--verbose", is_flag=True, help="Show full tracebacks (for debugging).")
def cli(verbose: bool) -> None:
    """Audit disputed election results: claims, tally sheets, forensics, reports.

    \b
    Example:
      election-audit cases
      election-audit profile new actas.csv --case venezuela-2024 -o actas.toml
      election-audit ingest actas.csv --mapping actas.toml
      election-audit report venezuela-2024 --sheets actas.csv --mapping actas.toml -o r.pdf
    """


def _register_commands() -> None:
    """Add every command module ``audit/cli/cmd_*.py`` (each defines ``command``)."""
    import audit.cli as package

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name.startswith("cmd_"):
            cli.add_command(importlib.import_module(f"audit.cli.{module.name}").command)


_register_commands()


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: object = None, line: str | None = None) -> None:
    text = " ".join(str(message).split())
    click.echo(f"election-audit: warning: {text}" if issubclass(category, AuditWarning)
               else f"election-audit: {category.__name__}: {text} ({filename}:{lineno})",
               err=True)


#: The flag of each library parameter whose flag is not ``--<name-with-dashes>``.
FLAGS: dict[str, str] = {"profile": "--mapping"}


def _fail(message: str, code: int) -> None:
    click.echo(f"election-audit: error: {message}", err=True)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point; maps every error to one line on stderr and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args
    try:
        with warnings.catch_warnings():
            if not verbose:  # numpy/pandas/matplotlib remarks are not for the user
                warnings.simplefilter("ignore")
            warnings.simplefilter("always", AuditWarning)  # ours: one line each
            warnings.showwarning = _show_warning
            code = cli.main(args=args, prog_name="election-audit", standalone_mode=False)
    except AuditError as exc:
        if verbose:
            raise
        _fail(exc.for_cli(FLAGS), exc.exit_code)
    except click.exceptions.Abort as exc:  # click turns Ctrl-C into Abort
        _fail("interrupted" if isinstance(exc.__cause__, KeyboardInterrupt) else "aborted",
              130 if isinstance(exc.__cause__, KeyboardInterrupt) else 1)
    except click.ClickException as exc:  # usage errors: bad option, missing argument
        _fail(" ".join(exc.format_message().split()), 2)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        if verbose:
            raise
        if isinstance(exc, OSError) and exc.filename is not None:
            # a file the user named cannot be read or written (permissions, a full disk, a
            # folder where a file is expected): an input problem, not a bug
            _fail(f"cannot use {exc.filename}: {exc.strerror or type(exc).__name__}", 2)
        _fail(f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); "
              f"rerun with --verbose and report it", 1)
    sys.exit(code if isinstance(code, int) else 0)
