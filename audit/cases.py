"""Cases: a folder holding an election's metadata, claims ledger and source manifest.

A case is ``datasets/<name>/`` (bundled) or any folder with the same files:

* ``election.toml`` – :class:`audit.model.Election` metadata (required);
* ``sources.toml`` – the tally-sheet files known for the election (:class:`SourceFile`);
* ``claims.yaml`` – the claims ledger of the dispute tracker (optional);
* ``aggregates_<source>.csv`` – per-region aggregates computed from a source, bundled so that
  the tracker works without downloading anything (optional).

A case folder may come from someone else, so every field is validated before use (issue 13):
a malformed field is a :class:`~audit.errors.MetadataError` of one line naming the file and
field (exit code 2), never an internal error; file names, folders, profiles and archive
members must be relative paths that stay inside their base folder (no ``..``, no absolute or
drive paths); duplicate region codes, negative counts and unknown time zones are refused;
suspicious but usable values (a plain-``http`` address) give an
:class:`~audit.errors.AuditWarning`. TOML files are read only up to :data:`MAX_TOML_BYTES`.
"""

from __future__ import annotations

import datetime as dt
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from audit.errors import AuditWarning, MetadataError, shown
from audit.ledger import ClaimLedger, headline, load_ledger
from audit.model import Election
from audit.resources import datasets_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


#: Largest metadata file read (election.toml, sources.toml, mappings): far above any real one.
MAX_TOML_BYTES = 8 << 20
def read_toml(path: Path, error: type[Exception] = MetadataError) -> dict[str, Any]:
    """A TOML file read safely: size-capped, UTF-8, every syntax problem one line."""
    try:
        size = path.stat().st_size
        if size > MAX_TOML_BYTES:
            raise error(f"{path}: {size:,} bytes, more than the {MAX_TOML_BYTES:,} a metadata "
                        f"file may have")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path} not found") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise error(f"{path}: not valid TOML (nested too deeply)") from None


def inside(value: Any, *, origin: str, what: str) -> str:
    """``value`` as a relative path that stays inside its base folder (else an error)."""
    if not isinstance(value, str):
        raise MetadataError(f"{origin}: {what} must be text, got {shown(value)}")
    posix = PurePosixPath(value.replace("\\", "/"))
    windows = PureWindowsPath(value)
    if "\x00" in value or posix.is_absolute() or windows.drive or windows.root \
            or ".." in posix.parts:
        raise MetadataError(f"{origin}: {what} {shown(value)} must be a relative path inside "
                            f"its folder (no '..', no absolute path)")
    return value


def _typed(raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], *, origin: str,
           default: Any = None) -> Any:
    """``raw[key]`` checked to be of ``kind`` (booleans are not numbers here)."""
    value = raw.get(key, default)
    if value is None:
        return value
    wrong = not isinstance(value, kind) or (isinstance(value, bool) and bool not in (
        kind if isinstance(kind, tuple) else (kind,)))
    if wrong:
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise MetadataError(f"{origin}: '{key}' must be {names}, got {shown(value)}")
    return value


def _count(raw: Mapping[str, Any], key: str, *, origin: str) -> int | None:
    value = _typed(raw, key, int, origin=origin)
    if value is not None and value < 0:
        raise MetadataError(f"{origin}: '{key}' must be a whole number >= 0, got {value}")
    return value


def _tables(raw: Mapping[str, Any], key: str, *, origin: str) -> list[Mapping[str, Any]]:
    items = _typed(raw, key, list, origin=origin, default=[])
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise MetadataError(f"{origin}: '{key}' entry #{i + 1} must be a table, got "
                                f"{shown(item)}")
    return items


def _sha(value: Any, *, origin: str, what: str) -> str:
    sha = str(value).lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise MetadataError(f"{origin}: {what} has a malformed sha256 ({shown(value)})")
    return sha


def _urls(raw: Mapping[str, Any], *, origin: str) -> tuple[str, ...]:
    urls = raw.get("urls", [raw["url"]] if "url" in raw else [])
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise MetadataError(f"{origin}: 'urls' must be a list of addresses, got {shown(urls)}")
    for url in urls:
        if not url.startswith(("https://", "http://")):
            raise MetadataError(f"{origin}: address {shown(url)} must start with https://")
        if url.startswith("http://"):
            warnings.warn(f"{origin}: {url} is plain http; it is downloaded only when "
                          f"ELECTION_AUDIT_ALLOW_HTTP=1", AuditWarning, stacklevel=2)
    return tuple(urls)


@dataclass(frozen=True)
class Archive:
    """A compressed archive (zip, or 7z when ``py7zr`` is installed) holding a data file.

    ``sha256`` is the archive's own hash (checked after download); ``member`` is the path of
    the data file inside it (its bytes are then checked against the data file's hash).
    """

    url: str
    member: str
    sha256: str

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, origin: str) -> Archive:
        missing = [k for k in ("url", "member", "sha256") if k not in raw]
        if missing:
            raise MetadataError(f"{origin}: archive entry lacks {', '.join(missing)}")
        [url] = _urls({"urls": [raw["url"]]}, origin=origin)
        return cls(url=url, member=inside(raw["member"], origin=origin, what="archive member"),
                   sha256=_sha(raw["sha256"], origin=origin, what=f"archive {shown(url)}"))


@dataclass(frozen=True)
class DataFile:
    """One file of a source: name, expected bytes and where to download it."""

    file: str
    sha256: str
    bytes: int | None = None
    rows: int | None = None
    urls: tuple[str, ...] = ()
    archives: tuple[Archive, ...] = ()

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, origin: str,
                  inherit: Mapping[str, Any] | None = None) -> DataFile:
        if "file" not in raw or "sha256" not in raw:
            raise MetadataError(f"{origin}: file entry {shown(raw.get('file', '?'))} needs "
                                f"'file' and 'sha256'")
        file = inside(raw["file"], origin=origin, what="file")
        return cls(file=file,
                   sha256=_sha(raw["sha256"], origin=origin, what=f"file {shown(file)}"),
                   bytes=_count(raw, "bytes", origin=origin),
                   rows=_count(raw, "rows", origin=origin), urls=_urls(raw, origin=origin),
                   archives=tuple(Archive.from_dict(a, origin=origin)
                                  for a in _tables(raw, "archives", origin=origin)))


@dataclass(frozen=True)
class SourceFile:
    """One tally-sheet source known to a case (an entry of ``sources.toml``).

    A source is one file (``file``, ``sha256``, ``urls``...) or several files sharing one
    layout (``files = [{file, sha256, bytes, rows, urls}, ...]``, e.g. one file per region),
    read together. ``urls`` are tried in order when a file must be downloaded (original
    publisher first, then archived copies); ``archives`` are compressed copies tried after
    them. ``origin`` says where the figures originally come from when that is not a
    downloadable copy of the same bytes (e.g. web pages that were scraped). ``join`` names
    another source whose columns (e.g. registered voters) are joined onto this one; ``main``
    marks the default source for sheet checks. See ``docs/schema.md`` for every field.
    """

    id: str
    file: str
    folder: str
    profile: str
    sha256: str
    urls: tuple[str, ...] = ()
    bytes: int | None = None
    rows: int | None = None
    side: str = ""
    licence: str = ""
    citation: str = ""
    description: str = ""
    main: bool = False
    join: str = ""
    files: tuple[DataFile, ...] = ()
    archives: tuple[Archive, ...] = ()
    origin: str = ""
    #: Short name and one-line description per language (``label = {en = ..., es = ...}``,
    #: ``about = {...}``) and the publication date as written, for reports.
    label: Mapping[str, str] = field(default_factory=dict)
    about: Mapping[str, str] = field(default_factory=dict)
    date: str = ""

    def name(self, lang: str) -> str:
        """The source's short name in ``lang`` (else English, else its id)."""
        return self.label.get(lang) or self.label.get("en") or self.id

    @property
    def data_files(self) -> tuple[DataFile, ...]:
        """Every file of the source (one for a single-file source)."""
        if self.files:
            return self.files
        return (DataFile(file=self.file, sha256=self.sha256, bytes=self.bytes, rows=self.rows,
                         urls=self.urls, archives=self.archives),)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, origin: str) -> SourceFile:
        sid = shown(raw.get("id", "?"))
        multi = "files" in raw
        needed = ("id", "profile") + (() if multi else ("file", "sha256"))
        missing = [k for k in needed if k not in raw]
        if missing:
            raise MetadataError(f"{origin}: source entry {sid} lacks {', '.join(missing)}")
        if multi and "file" in raw:
            raise MetadataError(f"{origin}: source {sid} gives both 'file' and 'files'")
        where = f"{origin} source {sid}"
        for key in ("id", "profile", "folder", "side", "licence", "citation", "description",
                    "join", "origin"):
            _typed(raw, key, str, origin=where)
        _typed(raw, "main", bool, origin=where)
        inside(raw.get("folder", "") or ".", origin=where, what="folder")
        if raw["profile"].endswith(".toml") or "/" in raw["profile"] or "\\" in raw["profile"]:
            inside(raw["profile"], origin=where, what="profile")
        files = tuple(DataFile.from_dict(f, origin=where)
                      for f in _tables(raw, "files", origin=where))
        if multi and not files:
            raise MetadataError(f"{origin}: source {sid} has an empty 'files' list")
        rows = _count(raw, "rows", origin=where)
        file_rows = [f.rows for f in files]
        if multi and rows is None and None not in file_rows:
            rows = sum(int(r or 0) for r in file_rows)
        file_bytes = [f.bytes for f in files]
        total_bytes = sum(int(b or 0) for b in file_bytes) if None not in file_bytes else None
        single = None if multi else DataFile.from_dict(raw, origin=where)
        return cls(id=str(raw["id"]), file=single.file if single else "",
                   folder=str(raw.get("folder", "")), profile=str(raw["profile"]),
                   sha256=single.sha256 if single else "",
                   urls=single.urls if single else (),
                   bytes=single.bytes if single else total_bytes,
                   rows=rows, side=str(raw.get("side", "")),
                   licence=str(raw.get("licence", "")), citation=str(raw.get("citation", "")),
                   description=str(raw.get("description", "")), main=bool(raw.get("main", False)),
                   join=str(raw.get("join", "")), files=files,
                   archives=single.archives if single else (), origin=str(raw.get("origin", "")),
                   label=_texts(raw.get("label"), f"{where} label"),
                   about=_texts(raw.get("about"), f"{where} about"),
                   date=str(raw.get("date", "")))


def _texts(raw: Any, where: str) -> dict[str, str]:
    """One text for every language, or a table language -> text."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"en": raw}
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise MetadataError(f"{where}: expected a text or a table of texts per language")
    return {str(k): str(v) for k, v in raw.items()}


@dataclass(frozen=True)
class Case:
    """An election case: metadata, sources and (optionally) claims."""

    name: str
    path: Path
    election: Election
    sources: tuple[SourceFile, ...] = ()

    @property
    def claims_path(self) -> Path | None:
        path = self.path / "claims.yaml"
        return path if path.exists() else None

    def source(self, source_id: str) -> SourceFile:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = ", ".join(s.id for s in self.sources) or "none"
        raise MetadataError(f"case {self.name!r} has no source {source_id!r}; known: {known}")

    def input_files(self) -> list[Path]:
        """The case's own files a command reads (metadata, ledger, aggregates, profiles and
        data files kept in the folder): outputs must never replace them."""
        names = ["election.toml", "sources.toml", "claims.yaml", "context.toml", "tiles.toml",
                 "README.md", "truth/summary.json"]
        for s in self.sources:
            names += [f.file for f in s.data_files]
            names += [s.profile, f"profiles/{s.profile}.toml"]
        found = [self.path / n for n in names if (self.path / n).is_file()]
        return found + sorted(self.path.glob("aggregates_*.csv"))

    @property
    def main_source(self) -> SourceFile | None:
        """The source used by default for tally-sheet checks (flagged ``main = true``)."""
        return next((s for s in self.sources if s.main), self.sources[0] if self.sources else None)


def bundled_case_names() -> list[str]:
    """Names of the cases shipped in ``datasets/``."""
    return sorted(p.parent.name for p in datasets_dir().glob("*/election.toml"))


def case_dir(name_or_path: str | Path) -> Path:
    """The folder of a bundled case name or of a case folder path."""
    path = Path(name_or_path)
    if (path / "election.toml").exists():
        return path
    bundled = datasets_dir() / str(name_or_path)
    if (bundled / "election.toml").exists():
        return bundled
    names = ", ".join(bundled_case_names())
    raise MetadataError(f"no case '{name_or_path}': give a bundled case ({names}) or a folder "
                        f"containing election.toml")


@cache
def load_case(name_or_path: str | Path) -> Case:
    """Load a case by bundled name or folder path (every field validated, see above)."""
    folder = case_dir(name_or_path)
    election = read_election(folder / "election.toml")
    sources: list[SourceFile] = []
    manifest = folder / "sources.toml"
    if manifest.exists():
        raw = read_toml(manifest)
        sources = [SourceFile.from_dict(s, origin=str(manifest))
                   for s in _tables(raw, "sources", origin=str(manifest))]
        ids = [s.id for s in sources]
        if len(set(ids)) != len(ids):
            raise MetadataError(f"{manifest}: source ids repeat ({shown(ids)})")
        for s in sources:
            if s.join and s.join not in ids:
                raise MetadataError(f"{manifest}: source {s.id!r} joins unknown source "
                                    f"{shown(s.join)}")
    return Case(name=folder.name, path=folder, election=election, sources=tuple(sources))


def load_election(name_or_path: str | Path) -> Election:
    """The election metadata of a case (name or folder) or of an ``election.toml`` file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return read_election(path)
    return load_case(name_or_path).election


def read_election(path: Path) -> Election:
    """An ``election.toml`` read and validated field by field (one-line errors)."""
    raw = read_toml(path)
    where = str(path)
    for key in ("id", "name"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise MetadataError(f"{where}: '{key}' must be non-empty text, got "
                                f"{shown(raw.get(key))}")
    for key in ("country", "kind", "notes", "timezone"):
        _typed(raw, key, str, origin=where)
    date = raw.get("date")
    if not isinstance(date, (str, dt.date)) or isinstance(date, dt.datetime):
        raise MetadataError(f"{where}: 'date' must be a date (YYYY-MM-DD), got {shown(date)}")
    levels = _typed(raw, "region_levels", list, origin=where, default=[])
    if not all(isinstance(x, str) for x in levels):
        raise MetadataError(f"{where}: 'region_levels' must be a list of names")
    candidates = _tables(raw, "candidates", origin=where)
    for i, c in enumerate(candidates, 1):
        for key in ("key", "name", "short_name"):
            if key in c and not isinstance(c[key], str):
                raise MetadataError(f"{where}: candidate #{i} '{key}' must be text, got "
                                    f"{shown(c[key])}")
        parties = c.get("parties", [])
        if not isinstance(parties, list) or not all(isinstance(x, str) for x in parties):
            raise MetadataError(f"{where}: candidate #{i} 'parties' must be a list of names")
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(_tables(raw, "regions", origin=where), 1):
        if "code" not in r or "name" not in r:
            raise MetadataError(f"{where}: region #{i} needs 'code' and 'name'")
        if not isinstance(r["code"], (str, int)) or isinstance(r["code"], bool) \
                or not isinstance(r["name"], str):
            raise MetadataError(f"{where}: region #{i} has code {shown(r['code'])} and name "
                                f"{shown(r['name'])}; both must be text")
        level_code = (str(r.get("level", levels[0] if levels else "")), str(r["code"]))
        if level_code in seen:
            raise MetadataError(f"{where}: region code {shown(level_code[1])} appears twice "
                                f"at level {shown(level_code[0])}")
        seen.add(level_code)
    for key in ("tables", "centers"):
        _count(raw, key, origin=where)
    registered = raw.get("registered")
    parts = registered if isinstance(registered, Mapping) else {"registered": registered}
    for key in parts:
        _count(parts, key, origin=f"{where} registered" if parts is registered else where)
    zone = raw.get("timezone")
    if zone is not None and not _known_zone(zone):
        raise MetadataError(f"{where}: 'timezone' {shown(zone)} is not a time zone of the IANA "
                            f"database (e.g. America/Caracas, UTC)")
    sources = _typed(raw, "sources", Mapping, origin=where, default={})
    if not all(isinstance(v, str) for v in sources.values()):
        raise MetadataError(f"{where}: [sources] must map names to text")
    try:
        return Election.from_dict(raw, origin=where)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a shape not foreseen
        raise MetadataError(f"{where}: malformed election metadata ({shown(exc)})") from None


def _known_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone (any name when no zone database is installed)."""
    import zoneinfo

    if name.upper() == "UTC":
        return True
    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return not zoneinfo.available_timezones()


# --------------------------------------------------------------------------------------------
# Listing, showing and copying cases (``election-audit cases``)
# --------------------------------------------------------------------------------------------

#: Files of a case folder that ``cases copy`` copies (the rest of a folder is left alone).
CASE_FILES = ("election.toml", "sources.toml", "claims.yaml", "README.md")
CASE_GLOBS = ("aggregates_*.csv", "*.toml", "*.csv", "*.md")


def is_bundled(case: Case) -> bool:
    """Whether ``case`` is one of the cases installed with the package (read-only for users:
    copy it with :func:`copy_case` to edit it)."""
    return case.path.resolve().parent == datasets_dir().resolve()


def copy_case(name_or_path: str | Path, dest: str | Path) -> list[Path]:
    """Copy a case's files (metadata, sources, claims, bundled aggregates, profiles and
    small data files at its top level) into the new folder ``dest``, to edit them.

    ``dest`` must not exist, or be an empty folder: nothing is overwritten. Sub-folders
    (e.g. a simulated case's ground truth) are not copied. Returns the files written.
    """
    import shutil

    from audit.errors import AuditError

    case = load_case(name_or_path)
    target = Path(dest)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise AuditError(f"{target} already exists and is not an empty folder; give a new "
                         f"folder name")
    files = sorted({p for pattern in CASE_GLOBS for p in case.path.glob(pattern)
                    if p.is_file()} | {case.path / f for f in CASE_FILES
                                       if (case.path / f).is_file()})
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for src in files:
        dst = target / src.name
        shutil.copyfile(src, dst)
        written.append(dst)
    return written


def load_case_claims(case: str | Path) -> tuple[Case, ClaimLedger]:
    """The case (bundled name or folder) and its validated ledger (empty if it has none)."""
    c = load_case(case)
    if c.claims_path is None:
        return c, ClaimLedger(election_id=c.election.id, claims=())
    return c, load_ledger(c.claims_path, election=c.election)


def case_summary(case: Case) -> dict[str, Any]:
    """What ``cases show`` prints: sources, candidate keys, region levels, claims."""
    e = case.election
    claims: list[dict[str, Any]] = []
    if case.claims_path is not None:
        ledger = load_ledger(case.claims_path, election=e)
        claims = [{"id": c.id, "side": c.side, "datetime": c.time.text,
                   "figures": headline(c, e)} for c in ledger.timeline()]
    levels = [{"level": lv, "regions": len(e.regions_at(lv)),
               "example": next((f"{r.code} = {r.name}" for r in e.regions_at(lv)), "")}
              for lv in e.region_levels]
    return {
        "schema": "election-audit/case", "schema_version": 1,
        "case": case.name, "path": str(case.path), "bundled": is_bundled(case),
        "election": {"id": e.id, "name": e.name, "date": str(e.date), "country": e.country,
                     "tables": e.tables},
        "candidates": [{"key": c.key, "name": c.name} for c in e.candidates],
        "region_levels": levels,
        "sources": [{"id": s.id, "side": s.side, "main": s.main,
                     "files": [f.file for f in s.data_files], "profile": s.profile,
                     "join": s.join, "description": s.description} for s in case.sources],
        "aggregates": sorted(p.name for p in case.path.glob("aggregates_*.csv")),
        "claims": claims,
    }
