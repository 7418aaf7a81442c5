"""Errors that reach the user.

Every error caused by input (a missing file, an unreadable format, a profile that does not
match, a malformed claims ledger) is an :class:`AuditError`. The command line prints its
message as one line on stderr and exits with code 2; the library lets it propagate. Programming
errors stay ordinary Python exceptions.
"""

from __future__ import annotations


class AuditError(Exception):
    """An input or usage problem with a message a person can act on.

    The library speaks of its parameters as a Python user types them (``profile=``,
    ``n_resamples=``), listed in ``parameters``; the command line names its flags instead
    (:meth:`for_cli`).
    """

    exit_code = 2

    def __init__(self, *args: object, parameters: tuple[str, ...] = ()) -> None:
        super().__init__(*args)
        self.parameters = parameters

    def for_cli(self, flags: dict[str, str] | None = None) -> str:
        """The message with each parameter ``name=`` written as the command line's flag:
        ``flags[name]``, by default ``--name`` with dashes (``n_resamples=`` ->
        ``--n-resamples``)."""
        text = str(self)
        for name in self.parameters:
            flag = (flags or {}).get(name, "--" + name.replace("_", "-"))
            text = text.replace(f"{name}=", f"{flag} ")
        return " ".join(text.split())


class AuditWarning(UserWarning):
    """Something suspicious in an input that does not stop the work (e.g. a case folder's
    source without a download address). The command line prints it as one line."""


class InputFileError(AuditError):
    """A file is missing, empty, binary or in a format we cannot read."""


class ProfileError(AuditError):
    """No column profile fits a file, several fit equally well, or a profile is malformed."""


class MetadataError(AuditError):
    """Election metadata, a case folder or a manifest is missing or malformed."""


class ClaimsError(AuditError):
    """A claims ledger or a new claim does not validate."""


class OutputError(AuditError):
    """An output would overwrite an input of the same run, or an existing file unasked."""


class DataUnavailableError(AuditError):
    """A dataset a case refers to cannot be found locally nor downloaded."""


class ChecksumError(DataUnavailableError):
    """A local copy of a dataset has other bytes than its manifest's SHA-256 says."""


def cut(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut after ``limit`` characters with a count of what was left."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}… ({len(flat) - limit:,} more characters)"


def shown(value: object, limit: int = 60) -> str:
    """A value from an input file as a message may show it: text quoted and cut after
    ``limit`` characters, containers with their first items, with a count of what was left
    out (never the whole of a huge or aliased value, whatever a hostile file holds)."""
    import reprlib

    if isinstance(value, str):
        return f"'{cut(value, limit)}'" if len(value) <= limit else \
            f"'{' '.join(value.split())[:limit]}…' ({len(value) - limit:,} more characters)"
    short = reprlib.Repr()
    short.maxstring = short.maxother = 40
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 4
    short.maxlevel = 3
    text = " ".join(short.repr(value).split())
    if isinstance(value, (list, tuple, dict, set)) and len(value) > short.maxlist:
        text += f" ({len(value) - short.maxlist:,} more items)"
    return text
