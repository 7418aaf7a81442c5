"""Cases: a folder holding an election's metadata, claims ledger and source manifest.

A case is ``datasets/<name>/`` (bundled) or any folder with the same files:

* ``election.toml`` – :class:`audit.model.Election` metadata (required);
* ``sources.toml`` – the tally-sheet files known for the election (:class:`SourceFile`);
* ``claims.yaml`` – the claims ledger of the dispute tracker (optional);
* ``aggregates_<source>.csv`` – per-region aggregates computed from a source, bundled so that
  the tracker works without downloading anything (optional).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from audit.errors import MetadataError
from audit.model import Election
from audit.resources import datasets_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _sha(value: Any, *, origin: str, what: str) -> str:
    sha = str(value).lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise MetadataError(f"{origin}: {what} has a malformed sha256 ({value!r})")
    return sha


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
        return cls(url=str(raw["url"]), member=str(raw["member"]),
                   sha256=_sha(raw["sha256"], origin=origin, what=f"archive {raw['url']}"))


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
            raise MetadataError(f"{origin}: file entry {raw.get('file', '?')!r} needs "
                                f"'file' and 'sha256'")
        urls = raw.get("urls", [raw["url"]] if "url" in raw else [])
        if isinstance(urls, str):
            urls = [urls]
        return cls(file=str(raw["file"]),
                   sha256=_sha(raw["sha256"], origin=origin, what=f"file {raw['file']!r}"),
                   bytes=raw.get("bytes"), rows=raw.get("rows"),
                   urls=tuple(str(u) for u in urls),
                   archives=tuple(Archive.from_dict(a, origin=origin)
                                  for a in raw.get("archives", ())))


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
        sid = raw.get("id", "?")
        multi = "files" in raw
        needed = ("id", "profile") + (() if multi else ("file", "sha256"))
        missing = [k for k in needed if k not in raw]
        if missing:
            raise MetadataError(f"{origin}: source entry {sid!r} lacks {', '.join(missing)}")
        if multi and "file" in raw:
            raise MetadataError(f"{origin}: source {sid!r} gives both 'file' and 'files'")
        where = f"{origin} source {sid!r}"
        files = tuple(DataFile.from_dict(f, origin=where) for f in raw.get("files", ()))
        if multi and not files:
            raise MetadataError(f"{origin}: source {sid!r} has an empty 'files' list")
        rows = raw.get("rows")
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
    """Load a case by bundled name or folder path."""
    folder = case_dir(name_or_path)
    election = Election.from_toml(folder / "election.toml")
    sources: list[SourceFile] = []
    manifest = folder / "sources.toml"
    if manifest.exists():
        try:
            raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise MetadataError(f"{manifest}: not valid TOML ({exc})") from exc
        sources = [SourceFile.from_dict(s, origin=str(manifest)) for s in raw.get("sources", [])]
    return Case(name=folder.name, path=folder, election=election, sources=tuple(sources))


def load_election(name_or_path: str | Path) -> Election:
    """The election metadata of a case (name or folder) or of an ``election.toml`` file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return Election.from_toml(path)
    return load_case(name_or_path).election


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


def case_summary(case: Case) -> dict[str, Any]:
    """What ``cases show`` prints: sources, candidate keys, region levels, claims."""
    from audit.claims import headline, load_ledger

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
