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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SourceFile:
    """One tally-sheet file known to a case (an entry of ``sources.toml``).

    ``urls`` are tried in order when the file must be downloaded (original publisher first,
    then archived copies); ``join`` names another source whose columns (e.g. registered
    voters) are joined onto this one; ``main`` marks the default source for sheet checks.
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

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, origin: str) -> SourceFile:
        missing = [k for k in ("id", "file", "profile", "sha256") if k not in raw]
        if missing:
            raise MetadataError(f"{origin}: source entry {raw.get('id', '?')!r} lacks "
                                f"{', '.join(missing)}")
        sha = str(raw["sha256"]).lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise MetadataError(f"{origin}: source {raw['id']!r} has a malformed sha256")
        return cls(id=str(raw["id"]), file=str(raw["file"]), folder=str(raw.get("folder", "")),
                   profile=str(raw["profile"]), sha256=sha,
                   urls=tuple(raw.get("urls", [raw["url"]] if "url" in raw else [])),
                   bytes=raw.get("bytes"), rows=raw.get("rows"), side=str(raw.get("side", "")),
                   licence=str(raw.get("licence", "")), citation=str(raw.get("citation", "")),
                   description=str(raw.get("description", "")), main=bool(raw.get("main", False)),
                   join=str(raw.get("join", "")))


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
