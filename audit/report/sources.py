"""Finding the tally sheets of a case for the report.

:func:`load_sheets` reads the files given on the command line, or else looks the case's main
source up through :func:`find_source_file`: the one function that knows where data files
live. It checks ``<data dir>/<folder>/<file>`` (``--data-dir``, else ``$ELECTION_AUDIT_DATA``)
and verifies the SHA-256 of what it finds. It never touches the network, so a report on a
machine without data or network is produced at once, with the sections that need the sheets
replaced by a line saying how to get them.

When the data module (``audit.data.load_source``: data dir, user cache, verified download)
is available, :func:`find_source_file` is the only place to change.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audit.cases import Case, SourceFile
from audit.errors import DataUnavailableError
from audit.ingest import IngestResult, get_profile, read_sheets
from audit.ingest.profiles import Profile
from audit.model import sha256_file

DATA_ENV = "ELECTION_AUDIT_DATA"


@dataclass(frozen=True)
class SheetsLookup:
    """The outcome of looking for a case's tally sheets.

    ``ingest`` is None when no file was found; ``tried`` lists the places looked, for the
    message that says how to supply the sheets.
    """

    ingest: IngestResult | None
    source: SourceFile | None = None
    tried: tuple[str, ...] = ()


def data_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for data files: ``data_dir``, then ``$ELECTION_AUDIT_DATA``."""
    dirs = [Path(data_dir)] if data_dir else []
    env = os.environ.get(DATA_ENV)
    if env and Path(env) not in dirs:
        dirs.append(Path(env))
    return dirs


def find_source_file(case: Case, source: SourceFile, *, data_dir: str | Path | None = None
                     ) -> tuple[Path | None, tuple[str, ...]]:
    """The local, verified copy of ``source`` and the places looked.

    Raises
    ------
    DataUnavailableError
        When a file is found but its SHA-256 differs from the manifest's.
    """
    tried: list[str] = []
    for folder in data_dirs(data_dir):
        for candidate in (folder / source.folder / source.file, folder / source.file):
            tried.append(str(candidate))
            if candidate.is_file():
                digest = sha256_file(candidate)
                if digest != source.sha256:
                    raise DataUnavailableError(
                        f"{candidate}: SHA-256 {digest[:16]}… differs from the manifest of case "
                        f"'{case.name}' ({source.sha256[:16]}…); it is not the published file. "
                        f"Replace it, or pass it explicitly with --sheets to use it anyway")
                return candidate, tuple(tried)
    return None, tuple(tried)


def _profile(case: Case, name: str) -> str | Path | Profile:
    """A profile name of a manifest: a file next to the case, else a bundled profile."""
    local = case.path / name
    if local.is_file():
        return local
    if (case.path / f"{name}.toml").is_file():
        return case.path / f"{name}.toml"
    return get_profile(name)


def load_sheets(case: Case, sheets: Sequence[str | Path] = (), *,
                profile: str | Path | None = None, data_dir: str | Path | None = None
                ) -> SheetsLookup:
    """Read the tally sheets of ``case``: the files ``sheets`` if given, else the main source
    of its manifest (joined with its ``join`` source when that is found too).

    Parameters
    ----------
    case
        The case (its election metadata maps candidates and regions).
    sheets
        Files of one layout (e.g. one per region); the column profile is detected from the
        header unless ``profile`` is given.
    profile
        A bundled profile name or a mapping TOML (see ``docs/profiles.md``).
    data_dir
        Folder holding the datasets (one sub-folder per dataset), before
        ``$ELECTION_AUDIT_DATA``.
    """
    if sheets:
        result = read_sheets(list(sheets), profile=profile, election=case.election)
        known = {s.sha256: s for s in case.sources}  # a manifest file given by path
        digests = {p.sha256 for p in result.files}
        match = known.get(next(iter(digests))) if len(digests) == 1 else None
        return SheetsLookup(result, source=match)
    source = case.main_source
    if source is None:
        return SheetsLookup(None)
    path, tried = find_source_file(case, source, data_dir=data_dir)
    if path is None:
        return SheetsLookup(None, source=source, tried=tried)
    join_path, join_profile = None, None
    if source.join:
        other = case.source(source.join)
        join_path, _ = find_source_file(case, other, data_dir=data_dir)
        join_profile = _profile(case, other.profile) if join_path else None
    result = read_sheets(path, profile=profile or _profile(case, source.profile),
                         election=case.election, join=join_path, join_profile=join_profile)
    return SheetsLookup(result, source=source, tried=tried)
