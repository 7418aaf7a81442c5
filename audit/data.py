"""Find the data files of a case's sources: data directory, cache, then download.

A source in ``datasets/<case>/sources.toml`` names its file(s) by folder, name and SHA-256.
:func:`locate` looks for each file, in this order:

1. ``data_dir`` (the ``--data-dir`` option), as ``<data_dir>/<folder>/<file>`` or
   ``<data_dir>/<file>``;
2. ``$ELECTION_AUDIT_DATA``, laid out the same way;
3. the case folder itself (small files shipped with a case, e.g. the simulated demo);
4. the user cache (``platformdirs.user_cache_dir("election-audit")``), as ``<folder>/<file>``;
5. the source's ``urls`` in order (original publisher first, then archived copies), then its
   ``archives`` (a zip, or a 7z when the optional package ``py7zr`` is installed), downloaded
   into the cache with :mod:`pooch` (progress bar on stderr, short timeouts).

Every file found or downloaded is checked against its SHA-256, so an analysis always runs on
the bytes the manifest describes. A local file with other bytes is an error naming both
hashes (a corrupt cached copy is replaced by a fresh download instead). When nothing works,
:class:`~audit.errors.DataUnavailableError` says in one sentence where we looked and how to
supply the file. See ``docs/data.md``.

A case folder may be hostile (issue 13, ``docs/security.md``): paths from it never leave the
case folder or the cache (validated by :mod:`audit.cases`, and checked again here after
resolving links); nothing is ever deleted, a download is written to a temporary name in the
cache, verified, then renamed over its target; downloads are ``https`` only (unless
``$ELECTION_AUDIT_ALLOW_HTTP`` is set), bounded by an overall :data:`DEADLINE` and by the
manifest's size plus a small margin (:data:`MAX_DOWNLOAD` when the manifest gives none), and
archive members are streamed out under the same cap.

For a report, :func:`load_sheets` reads the files given on the command line, or else the
case's main source as above; it tries a download only when the file is nowhere on disk and
one of the source's hosts answers (:func:`reachable`, about a second). :func:`find_source`
reads another source of the case when it is available; :func:`data_dirs` names the places
searched, in the report's language.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from audit.cases import Archive, Case, DataFile, SourceFile, case_dir, load_case
from audit.errors import AuditError, ChecksumError, DataUnavailableError, MetadataError
from audit.ingest import IngestResult, read_sheets
from audit.ingest.profiles import Profile, get_profile
from audit.model import KEY_COLUMNS, sha256_file

#: Environment variable naming a data directory (one sub-folder per dataset).
ENV_VAR = "ELECTION_AUDIT_DATA"
#: Seconds to wait for a connection and between bytes of a download: offline fails fast.
TIMEOUT = (5.0, 30.0)
#: Seconds one whole download may take.
DEADLINE = 900.0
#: Largest download when the manifest does not state the file's size.
MAX_DOWNLOAD = 2 << 30
#: Set to 1 to allow plain-http downloads (the bytes are still checked against the SHA-256).
ALLOW_HTTP_VAR = "ELECTION_AUDIT_ALLOW_HTTP"


def _cap(size: int | None) -> int:
    """Bytes a download of a file of ``size`` bytes may bring (size + 1% + 64 KiB)."""
    return MAX_DOWNLOAD if size is None else size + size // 100 + (64 << 10)


def cache_dir() -> Path:
    """The user cache where downloaded datasets are kept (created on first download)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("election-audit"))


def search_dirs(data_dir: str | Path | None = None,
                case: Case | None = None) -> list[tuple[str, Path]]:
    """The local folders searched, in order, each with the label used in messages."""
    dirs: list[tuple[str, Path]] = []
    if data_dir is not None:
        dirs.append(("--data-dir", Path(data_dir)))
    env = os.environ.get(ENV_VAR)
    if env:
        dirs.append((f"${ENV_VAR}", Path(env)))
    if case is not None:
        dirs.append(("the case folder", case.path))
    dirs.append(("the cache", cache_dir()))
    return dirs


def locate(case: str | Path | Case, source_id: str, data_dir: str | Path | None = None,
           download: bool = True) -> list[Path]:
    """Paths of the file(s) of one source of a case, verified against their SHA-256.

    Parameters
    ----------
    case
        A bundled case name, a case folder or a loaded :class:`~audit.cases.Case`.
    source_id
        The ``id`` of an entry of the case's ``sources.toml``.
    data_dir
        A folder searched first (``--data-dir``).
    download
        Whether to download missing files into the cache.

    Raises
    ------
    DataUnavailableError
        When a file is missing everywhere and cannot be downloaded, or a local copy has other
        bytes than the manifest says.
    """
    case = case if isinstance(case, Case) else load_case(case)
    source = case.source(source_id)
    return [_locate_file(case, source, entry, data_dir, download) for entry in source.data_files]


def load_source(case: str | Path | Case, source_id: str, data_dir: str | Path | None = None,
                download: bool = True) -> IngestResult:
    """Ingest one source of a case with its profile, joining the source named by ``join``.

    For example Venezuela 2024 ``opposition-v2`` has no registered voters per table and
    joins them from ``opposition-v1``.
    """
    case = case if isinstance(case, Case) else load_case(case)
    source = case.source(source_id)
    paths = locate(case, source_id, data_dir=data_dir, download=download)
    join: list[Path] | None = None
    join_profile: Profile | None = None
    if source.join:
        other = case.source(source.join)
        join = locate(case, other.id, data_dir=data_dir, download=download)
        join_profile = source_profile(case, other)
    return read_sheets(paths, profile=source_profile(case, source), election=case.election,
                       join=join, join_profile=join_profile)


def load_target(target: str | Path, *, source_id: str | None = None,
                profile: str | Path | None = None, data_dir: str | Path | None = None,
                download: bool = True, join: str | Path | None = None,
                join_on: Sequence[str] | None = None) -> tuple[IngestResult, str]:
    """Tally sheets named the way commands accept them, with a label for outputs.

    ``target`` is a tally-sheet file (read with ``profile``, default: detected), or a case: a
    bundled case name or a case folder, whose source ``source_id`` (default: its main source)
    is located and ingested with :func:`load_source`. ``join`` (a file, joined on the key
    columns ``join_on``) applies to a file. The label is the file's stem or the case's name.

    Raises
    ------
    AuditError
        When ``target`` is neither a file nor a case, or options do not apply to it.
    """
    path = Path(target)
    if path.is_file():
        if source_id is not None:
            raise AuditError(f"--source names a source of a case; {path} is a file")
        return read_sheets(path, profile=profile, join=join,
                           join_on=tuple(join_on or KEY_COLUMNS)), path.stem
    try:
        case = load_case(case_dir(target))
    except MetadataError as exc:
        if path.suffix:  # looks like a file name: say so
            raise AuditError(f"{target}: no such file, and not a case ({exc})") from None
        raise
    if profile is not None or join is not None:
        raise AuditError(f"--{'mapping' if profile is not None else 'join'} applies to a "
                         f"file; the sources of case {case.name!r} name their mappings and "
                         f"joins in sources.toml")
    source = case.source(source_id) if source_id else case.main_source
    if source is None:
        raise AuditError(f"case {case.name!r} lists no tally-sheet source in sources.toml")
    return load_source(case, source.id, data_dir=data_dir, download=download), case.name


def source_profile(case: Case, source: SourceFile) -> Profile:
    """The source's profile: a TOML path relative to the case folder, or
    ``<case>/profiles/<name>.toml``, or a bundled profile name."""
    for own in (case.path / source.profile, case.path / "profiles" / f"{source.profile}.toml"):
        if own.suffix == ".toml" and own.is_file():
            return get_profile(own)
    return get_profile(source.profile)


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# A case's tally sheets for a report: files given, else the main source, else a download
# when the network answers (a machine without network gets its report at once, with the
# sections that need the sheets replaced by a line saying how to get them)
# --------------------------------------------------------------------------------------------

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


#: Words for the places of :func:`search_dirs` (the others are option names).
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


def _within(path: Path, root: Path) -> bool:
    """Whether ``path`` resolves to a place inside ``root`` (links followed)."""
    return path.resolve().is_relative_to(root.resolve())


def _locate_file(case: Case, source: SourceFile, entry: DataFile,
                 data_dir: str | Path | None, download: bool) -> Path:
    cache = cache_dir()
    looked: list[str] = []
    stale = ""
    for label, root in search_dirs(data_dir, case):
        for path in (root / source.folder / entry.file, root / entry.file):
            if not path.is_file():
                continue
            if root in (cache, case.path) and not _within(path, root):
                raise MetadataError(f"{path} leads outside {label} ({root}); case "
                                    f"{case.name!r} cannot use it")
            digest = sha256_file(path)
            if digest == entry.sha256:
                return path
            if root == cache:  # our own copy is corrupt: a download replaces it (renamed
                stale = (f"; the copy in the cache ({path}) has other bytes than the "  # over
                         f"manifest says and was left as it is")  # it), nothing deleted
                continue
            raise ChecksumError(
                f"{path} (from {label}) has sha256 {digest}, but case {case.name!r} source "
                f"{source.id!r} expects {entry.sha256} for {entry.file}; replace it with the "
                f"published file or remove it")
        looked.append(f"{label} ({root})")
    errors: list[str] = []
    if download:
        target = cache / source.folder / entry.file
        for url in entry.urls:
            try:
                return _download(url, entry.sha256, target, size=entry.bytes)
            except Exception as exc:  # network, HTTP and hash errors all mean "try the next"
                errors.append(_short(url, exc))
        for archive in entry.archives:
            try:
                return _from_archive(archive, entry, target)
            except Exception as exc:
                errors.append(_short(archive.url, exc))
    where = ", ".join(looked)
    tried = (f"; downloading failed ({', '.join(dict.fromkeys(errors))})" if errors
             else "; downloading is off" if not download and (entry.urls or entry.archives)
             else "")
    folder = f"{source.folder}/" if source.folder else ""
    raise DataUnavailableError(
        f"{entry.file} of case {case.name!r} source {source.id!r} was not found in {where}"
        f"{stale}{tried}; place it as <folder>/{folder}{entry.file} and pass --data-dir "
        f"<folder> or set ${ENV_VAR}")


def _short(url: str, exc: BaseException) -> str:
    """``host: reason`` for a failed download, short enough for a one-line message."""
    host = urlparse(url).netloc or url
    if isinstance(exc, RuntimeError):  # our own messages (hash mismatch, archive problems)
        return f"{host}: {' '.join(str(exc).split())}"
    if isinstance(exc, ValueError) and "hash" in str(exc).lower():  # pooch's check
        return f"{host}: the downloaded bytes do not have the expected sha256"
    return f"{host}: {type(exc).__name__}"


class _BoundedDownloader:
    """A pooch downloader with an overall deadline, a size cap and https only.

    pooch writes to a temporary file beside the target, checks the SHA-256 and renames it
    (a failed download leaves nothing behind); this class bounds what it may receive.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def __call__(self, url: str, output_file: Any, pooch: object,
                 check_only: bool = False) -> bool | None:
        import requests
        from tqdm import tqdm

        start = time.monotonic()
        with requests.get(url, stream=True, timeout=TIMEOUT) as response:
            response.raise_for_status()
            _require_https(response.url)  # also after redirects
            if check_only:
                return True
            announced = int(response.headers.get("Content-Length") or 0)
            if announced > self.max_bytes:
                raise RuntimeError(f"the server announces {announced:,} bytes, larger than the "
                                   f"{self.max_bytes:,} expected")
            received = 0
            with open(output_file, "wb") as fh, tqdm(
                    total=announced or None, unit="B", unit_scale=True, file=sys.stderr,
                    disable=not sys.stderr.isatty(), leave=False) as bar:
                for chunk in _arriving(response):
                    received += len(chunk)
                    if received > self.max_bytes:
                        raise RuntimeError(f"the download grew larger than the "
                                           f"{self.max_bytes:,} bytes expected; stopped")
                    if time.monotonic() - start > DEADLINE:
                        raise RuntimeError(f"the download did not finish within {DEADLINE:.0f} "
                                           f"seconds; stopped")
                    fh.write(chunk)
                    bar.update(len(chunk))
        return None


def _arriving(response: Any) -> Any:
    """The body in pieces as they arrive (``read1``), so that the deadline is checked at
    least once per read timeout however slowly a server sends; decoded as requests would."""
    raw = response.raw
    if not hasattr(raw, "read1"):  # urllib3 < 2
        yield from response.iter_content(1 << 16)
        return
    while chunk := raw.read1(1 << 16, decode_content=True):
        yield chunk


def _require_https(url: str) -> None:
    if urlparse(url).scheme != "https" and os.environ.get(ALLOW_HTTP_VAR) != "1":
        raise RuntimeError(f"plain http is refused ({url}); downloads need https (set "
                           f"{ALLOW_HTTP_VAR}=1 to allow it)")


def _fetch(url: str, known_hash: str | None, folder: Path, fname: str, *,
           max_bytes: int = MAX_DOWNLOAD) -> Path:
    """Download ``url`` to ``folder/fname`` with pooch (hash checked, progress on stderr)."""
    import pooch

    path = pooch.retrieve(url, known_hash=f"sha256:{known_hash}" if known_hash else None,
                          fname=fname, path=folder, downloader=_BoundedDownloader(max_bytes),
                          progressbar=False)
    return Path(path)


def _download(url: str, sha256: str, target: Path, *, size: int | None = None) -> Path:
    """``url`` downloaded to ``target`` (in the cache), checked against ``sha256``."""
    _require_https(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    path = _fetch(url, sha256, target.parent, target.name, max_bytes=_cap(size))
    return _verified(path, sha256, target)


def _from_archive(archive: Archive, entry: DataFile, target: Path) -> Path:
    """Download an archive (hash checked), extract the member, check the member's hash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    name = archive.url.rstrip("/").rsplit("/", 1)[-1].replace("%20", "_")
    _require_https(archive.url)
    packed = _fetch(archive.url, archive.sha256, target.parent / ".archives", name)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        extracted = _extract(packed, archive.member, Path(tmp) / "member",
                             max_bytes=_cap(entry.bytes))
        return _verified(extracted, entry.sha256, target)


def _extract(packed: Path, member: str, into: Path, *, max_bytes: int) -> Path:
    """The member's bytes streamed to the file ``into`` (never to a path the archive names),
    stopped beyond ``max_bytes``."""
    if zipfile.is_zipfile(packed):
        with zipfile.ZipFile(packed) as zf:
            names = zf.namelist()
            chosen = member if member in names else _only_table(names, member, packed)
            if zf.getinfo(chosen).file_size > max_bytes:
                raise RuntimeError(f"{chosen} in {packed.name} unpacks to more than the "
                                   f"{max_bytes:,} bytes expected")
            with zf.open(chosen) as src, open(into, "wb") as dst:
                written = 0
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > max_bytes:
                        raise RuntimeError(f"{chosen} in {packed.name} unpacks to more than "
                                           f"the {max_bytes:,} bytes expected")
                    dst.write(chunk)
            return into
    with open(packed, "rb") as fh:
        magic = fh.read(6)
    if magic == b"7z\xbc\xaf\x27\x1c":
        try:
            import py7zr
        except ImportError as exc:
            raise RuntimeError(f"{packed.name} is a 7z archive; install py7zr to extract it, "
                               f"or extract {member} yourself") from exc
        with py7zr.SevenZipFile(packed) as sz:
            sizes = {f.filename: f.uncompressed for f in sz.list()}
            chosen = member if member in sizes else _only_table(list(sizes), member, packed)
            if (sizes.get(chosen) or 0) > max_bytes:
                raise RuntimeError(f"{chosen} in {packed.name} unpacks to more than the "
                                   f"{max_bytes:,} bytes expected")
            data = sz.read([chosen])[chosen]
            into.write_bytes(data.read())
        return into
    raise RuntimeError(f"{packed.name} is neither a zip nor a 7z archive")


def _only_table(names: Sequence[str], member: str, packed: Path) -> str:
    """The archive's only table file when the named member is absent (its hash decides)."""
    tables = [n for n in names if n.lower().endswith((".csv", ".txt", ".tsv"))]
    if len(tables) != 1:
        raise RuntimeError(f"{packed.name} has no member {member!r} (it holds "
                           f"{', '.join(names[:5])})")
    return tables[0]


def _verified(path: Path, sha256: str, target: Path) -> Path:
    digest = sha256_file(path)
    if digest != sha256:
        path.unlink(missing_ok=True)
        raise RuntimeError(f"downloaded bytes have sha256 {digest}, expected {sha256}")
    if path != target:
        shutil.move(str(path), target)
    return target
