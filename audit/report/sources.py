"""Finding the tally sheets of a case for the report.

:func:`load_sheets` reads the files given on the command line, or else the case's main source
through :func:`audit.data.load_source`: the data directory (``--data-dir``), then
``$ELECTION_AUDIT_DATA``, the case folder and the user cache, then a download from the
manifest's URLs with SHA-256 verification and a progress bar (see ``docs/data.md``).

Downloading is tried only when the file is nowhere on disk, and only after a quick check that
one of the source's hosts answers (:func:`reachable`, about a second): a machine without
network gets its report at once, with the sections that need the sheets replaced by a line
saying how to get them. A local file whose bytes differ from the manifest is an error
(:class:`~audit.errors.ChecksumError`), never silently replaced.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from audit.cases import Case, SourceFile
from audit.data import ENV_VAR, load_source, locate, search_dirs, source_profile
from audit.errors import ChecksumError, DataUnavailableError
from audit.ingest import IngestResult, read_sheets
from audit.model import KEY_COLUMNS

DATA_ENV = ENV_VAR
#: Seconds to wait for a host to accept a connection before calling the machine offline.
PROBE_TIMEOUT = 1.5


@dataclass(frozen=True)
class SheetsLookup:
    """The outcome of looking for a case's tally sheets.

    ``ingest`` is None when no file was found or downloaded; ``error`` then says why (where
    it was looked for, and whether downloading failed); ``note`` reports a partial success
    (e.g. a source to join that was not found).
    """

    ingest: IngestResult | None
    source: SourceFile | None = None
    error: str = ""
    note: str = ""


#: Words for the places of :func:`audit.data.search_dirs` (the others are option names).
_PLACES = {"the case folder": "report.how.place_case", "the cache": "report.how.place_cache"}


def data_dirs(data_dir: str | Path | None = None, case: Case | None = None,
              lang: str = "en") -> list[str]:
    """The places searched on disk, in order, as "place (folder)" in ``lang``."""
    from audit.messages import render

    return [f"{render(_PLACES[label], None, lang) if label in _PLACES else label} ({folder})"
            for label, folder in search_dirs(data_dir, case)]


@cache
def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def reachable(urls: Iterable[str]) -> bool:
    """Whether any host of ``urls`` accepts a connection (remembered per host)."""
    for url in urls:
        parsed = urlparse(url)
        if parsed.hostname and _answers(parsed.hostname, parsed.port or (
                443 if parsed.scheme == "https" else 80)):
            return True
    return False


def _urls(case: Case, source: SourceFile) -> list[str]:
    sources = [source] + ([case.source(source.join)] if source.join else [])
    return [url for s in sources for f in s.data_files
            for url in (*f.urls, *(a.url for a in f.archives))]


def find_source(case: Case, source: SourceFile, *, data_dir: str | Path | None = None,
                download: bool = False) -> IngestResult | None:
    """Another source of the case, read if found (None when unavailable)."""
    try:
        return load_source(case, source.id, data_dir=data_dir, download=download)
    except ChecksumError:
        raise
    except DataUnavailableError:
        return None


def load_sheets(case: Case, sheets: Sequence[str | Path] = (), *,
                profile: str | Path | None = None, data_dir: str | Path | None = None,
                download: bool = True, join: str | Path | None = None,
                join_on: Sequence[str] = KEY_COLUMNS) -> SheetsLookup:
    """Read the tally sheets of ``case``: the files ``sheets`` if given, else the main source
    of its manifest (joined with its ``join`` source when that is available too).

    Parameters
    ----------
    case
        The case (its election metadata maps candidates and regions).
    sheets
        Files of one layout (e.g. one per region); the column profile is detected from the
        header unless ``profile`` is given.
    profile
        A bundled profile name or a mapping TOML (see ``docs/profiles.md``).
    join, join_on
        Another file whose columns ``sheets`` lack (e.g. registered voters), joined on the
        key columns ``join_on`` (see :func:`audit.ingest.read_sheets`).
    data_dir
        Folder holding the datasets (one sub-folder per dataset), searched first.
    download
        Download the main source (into the user cache) when it is nowhere on disk and the
        network answers.

    Raises
    ------
    ChecksumError
        A local copy of the source has other bytes than the manifest says.
    """
    if sheets:
        result = read_sheets(list(sheets), profile=profile, election=case.election,
                             join=join, join_on=join_on)
        known = {s.sha256: s for s in case.sources}  # a manifest file given by path
        digests = {p.sha256 for p in result.files}
        match = known.get(next(iter(digests))) if len(digests) == 1 else None
        return SheetsLookup(result, source=match)
    source = case.main_source
    if source is None:
        return SheetsLookup(None)
    error = ""
    for fetch in (False, True):  # on disk first; then downloaded, if the network answers
        if fetch and not (download and reachable(_urls(case, source))):
            error = (f"{source.file} was not found in {'; '.join(data_dirs(data_dir, case))}, "
                     f"and " + ("the network did not answer, so nothing was downloaded"
                                if download else "downloading is off"))
            break
        try:
            return SheetsLookup(load_source(case, source.id, data_dir=data_dir, download=fetch),
                                source=source)
        except ChecksumError:
            raise
        except DataUnavailableError as exc:
            error = str(exc)  # after a download attempt: says what failed where
    # the source to join may be what is missing: the main file alone still makes a report
    try:
        paths = locate(case, source.id, data_dir=data_dir, download=False)
    except DataUnavailableError:
        return SheetsLookup(None, source=source, error=error)
    ingest = read_sheets(paths, profile=profile or source_profile(case, source),
                         election=case.election)
    return SheetsLookup(ingest, source=source, note=error)


__all__ = ["DATA_ENV", "SheetsLookup", "data_dirs", "find_source", "load_sheets",
           "reachable"]
