"""Column profiles: data files that map a source's columns to the canonical schema.

A profile is a TOML file (bundled ones live in ``datasets/profiles/``; users pass their own
with ``--mapping``). The format is documented in ``docs/profiles.md``. In short::

    name = "venezuela-2024-opposition-v2"
    title = "Venezuela 2024 opposition tally sheets, CSV V2"
    election = "venezuela-2024"      # bundled case (or path) giving candidates and regions
    source_label = "opposition-v2"
    encoding = "latin-1"             # optional hints; detected when absent
    delimiter = ","

    [columns]                         # canonical column -> source column or transform
    center_id = { column = "CENTRO", zfill = 9 }
    table_id = "MESA"
    valid = "VOTOS_VALIDOS"
    null = "VOTOS_NULOS"

    [[regions]]                       # top level first
    level = "state"
    code = "COD_EDO"
    name = "EDO"

    [candidates]                      # candidate key -> source column or transform
    EG = "EG"
    NM = "NM"

    [[exclude]]                       # rows the source itself flags as not counted
    column = "NON_REP"
    equals = ["1"]
    reason = "the source flags this station as not reporting"

    [detect]
    ignore = ["URL"]                  # columns known to the profile but not used

Transforms (inline tables): ``column`` with optional ``zfill``, ``lstrip``, ``slice = [a, b]``,
``split`` + ``part`` (an index, or a range ``[start, stop]`` of parts re-joined with the
separator); ``join = [cols], sep = "."``; ``sum = [cols]`` (counts);
``count`` + ``from_percent`` (registered voters recovered from a turnout percentage);
``const = "..."``.

Text rules also take ``replace = [pattern, replacement]``: a regular expression substitution
applied after the other transforms (e.g. centre code "0101..." to municipality "1.1" with
``slice = [0, 4], replace = ["^(?:0(\\d)|(\\d\\d))(?:0(\\d)|(\\d\\d))$", "\\1\\2.\\3\\4"]``).

An ``[[exclude]]`` entry with ``equals = [""]`` matches empty cells (e.g. "no protocol was
collected for this station"). A row excluded by the source is quarantined for that reason
only: the empty or inconsistent values it holds are not reported again.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from audit.errors import ProfileError, shown
from audit.model import COUNT_COLUMNS, KEY_COLUMNS, VOTE_PREFIX
from audit.resources import profiles_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Op = Literal["copy", "sum", "join", "from_percent", "const"]
_CANONICAL_TARGETS = (*KEY_COLUMNS, *COUNT_COLUMNS)
_RULE_KEYS = {"column", "zfill", "lstrip", "slice", "split", "part", "join", "sep", "sum",
              "count", "from_percent", "const", "replace"}


@dataclass(frozen=True)
class ColumnRule:
    """How one canonical column is built from source columns."""

    op: Op
    sources: tuple[str, ...] = ()
    sep: str = ""
    zfill: int | None = None
    lstrip: str | None = None
    slice: tuple[int, int] | None = None
    split: str | None = None
    part: int | tuple[int, int] | None = None
    const: str = ""
    replace: tuple[str, str] | None = None  # regex substitution, applied last

    @property
    def display(self) -> str:
        """The source column(s) as a person would name them in a message."""
        if self.op == "from_percent":
            return f"{self.sources[0]}*100/{self.sources[1]}"
        return "+".join(self.sources) if self.sources else "(constant)"

    @classmethod
    def parse(cls, spec: Any, *, where: str) -> ColumnRule:
        if isinstance(spec, str):
            return cls(op="copy", sources=(spec,))
        if not isinstance(spec, Mapping):
            raise ProfileError(f"{where}: expected a column name or an inline table, got {spec!r}")
        unknown = set(spec) - _RULE_KEYS
        if unknown:
            raise ProfileError(f"{where}: unknown keys {sorted(unknown)}; allowed: "
                               f"{sorted(_RULE_KEYS)}")
        _check_rule_types(spec, where)
        part = spec.get("part")
        if isinstance(part, list):
            if len(part) != 2 or not all(isinstance(x, int) for x in part):
                raise ProfileError(f"{where}: 'part' is an index or a range [start, stop]")
            part = (int(part[0]), int(part[1]))
        if part is not None and "split" not in spec:
            raise ProfileError(f"{where}: 'part' needs 'split' (the separator)")
        common: dict[str, Any] = {
            "zfill": spec.get("zfill"), "lstrip": spec.get("lstrip"),
            "split": spec.get("split"), "part": part,
            "slice": tuple(spec["slice"]) if "slice" in spec else None,
        }
        common["replace"] = _parse_replace(spec.get("replace"), where)
        if "column" in spec:
            return cls(op="copy", sources=(str(spec["column"]),), **common)
        if "join" in spec:
            return cls(op="join", sources=tuple(spec["join"]), sep=str(spec.get("sep", ".")),
                       **common)
        if "sum" in spec:
            return cls(op="sum", sources=tuple(spec["sum"]))
        if "from_percent" in spec:
            if "count" not in spec:
                raise ProfileError(f"{where}: 'from_percent' needs 'count' (the numerator)")
            return cls(op="from_percent", sources=(str(spec["count"]), str(spec["from_percent"])))
        if "const" in spec:
            return cls(op="const", const=str(spec["const"]))
        raise ProfileError(f"{where}: give one of 'column', 'join', 'sum', 'from_percent', "
                           f"'const'")


#: The type every transform key must have (lists are checked element by element).
_RULE_TYPES: dict[str, tuple[type, ...]] = {
    "column": (str,), "zfill": (int,), "lstrip": (str,), "split": (str,), "sep": (str,),
    "count": (str,), "from_percent": (str,), "const": (str, int), "part": (int, list),
    "slice": (list,), "join": (list,), "sum": (list,), "replace": (list,)}


def _check_rule_types(spec: Mapping[str, Any], where: str) -> None:
    """One-line errors for transform values of the wrong type (issue 13: never a crash)."""
    for key, value in spec.items():
        kinds = _RULE_TYPES.get(key, (object,))
        if isinstance(value, bool) or not isinstance(value, kinds):
            names = " or ".join("list" if k is list else k.__name__ for k in kinds)
            raise ProfileError(f"{where}: '{key}' must be {names}, got {shown(value)}")
    if "zfill" in spec and not 0 <= spec["zfill"] <= 64:
        raise ProfileError(f"{where}: 'zfill' must be between 0 and 64")
    if "slice" in spec and (len(spec["slice"]) != 2 or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in spec["slice"])):
        raise ProfileError(f"{where}: 'slice' must be [start, stop] (two whole numbers)")
    for key in ("join", "sum"):
        if key in spec and (not spec[key] or not all(isinstance(x, str) for x in spec[key])):
            raise ProfileError(f"{where}: '{key}' must be a list of column names")


def _parse_replace(value: Any, where: str) -> tuple[str, str] | None:
    """``replace = [pattern, replacement]``: a valid regular expression and its replacement."""
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, str) for v in value)):
        raise ProfileError(f"{where}: 'replace' must be [pattern, replacement] (two strings)")
    try:
        re.compile(value[0])
    except re.error as exc:
        raise ProfileError(f"{where}: 'replace' pattern {value[0]!r} is not a valid regular "
                           f"expression ({exc})") from exc
    return (value[0], value[1])


@dataclass(frozen=True)
class RegionRule:
    """Code (and optionally name) of one region level."""

    level: str
    code: ColumnRule
    name: ColumnRule | None = None


@dataclass(frozen=True)
class Exclusion:
    """Rows whose ``column`` equals one of ``equals`` are quarantined with ``reason``."""

    column: str
    equals: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Profile:
    """A column profile (see the module docstring)."""

    name: str
    title: str
    columns: Mapping[str, ColumnRule]
    candidates: Mapping[str, ColumnRule]
    regions: tuple[RegionRule, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    election: str | None = None
    source_label: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    optional: frozenset[str] = frozenset()
    ignore: tuple[str, ...] = ()
    path: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Read key and region columns exactly as written (leading zeros kept), not as numbers.
    keep_text: bool = False

    def source_columns(self) -> set[str]:
        """Every source column the profile reads."""
        cols: set[str] = set()
        for rule in (*self.columns.values(), *self.candidates.values()):
            cols.update(rule.sources)
        for region in self.regions:
            cols.update(region.code.sources)
            if region.name:
                cols.update(region.name.sources)
        cols.update(e.column for e in self.exclusions)
        return cols

    @classmethod
    def from_toml(cls, path: Path) -> Profile:
        if Path(path).is_file() and Path(path).stat().st_size > 8 << 20:
            raise ProfileError(f"{path}: too large for a mapping file")
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ProfileError(f"mapping file not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise ProfileError(f"{path}: not a valid TOML mapping ({shown(exc)})") from exc
        return cls.from_dict(raw, path=str(path))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, path: str = "") -> Profile:
        where = path or "profile"
        _check_profile_types(raw, where)
        name = raw.get("name") or (Path(path).stem if path else None)
        if not name:
            raise ProfileError(f"{where}: missing 'name'")
        columns_raw = raw.get("columns", {})
        unknown = set(columns_raw) - set(_CANONICAL_TARGETS)
        if unknown:
            raise ProfileError(f"{where}: [columns] has unknown canonical columns "
                               f"{sorted(unknown)}; allowed: {', '.join(_CANONICAL_TARGETS)}")
        if "table_id" not in columns_raw:
            raise ProfileError(f"{where}: [columns] must map 'table_id' (the table/station id)")
        columns = {k: ColumnRule.parse(v, where=f"{where} [columns].{k}")
                   for k, v in columns_raw.items()}
        candidates_raw = raw.get("candidates", {})
        if not candidates_raw:
            raise ProfileError(f"{where}: [candidates] must map at least one candidate")
        candidates = {str(k): ColumnRule.parse(v, where=f"{where} [candidates].{k}")
                      for k, v in candidates_raw.items()}
        regions = []
        for i, r in enumerate(raw.get("regions", ())):
            if "level" not in r or "code" not in r:
                raise ProfileError(f"{where}: region #{i + 1} needs 'level' and 'code'")
            regions.append(RegionRule(
                level=str(r["level"]),
                code=ColumnRule.parse(r["code"], where=f"{where} region {r['level']} code"),
                name=ColumnRule.parse(r["name"], where=f"{where} region {r['level']} name")
                if "name" in r else None))
        exclusions = []
        for e in raw.get("exclude", ()):
            if "column" not in e or "equals" not in e:
                raise ProfileError(f"{where}: [[exclude]] needs 'column' and 'equals'")
            equals = e["equals"] if isinstance(e["equals"], list) else [e["equals"]]
            exclusions.append(Exclusion(column=str(e["column"]),
                                        equals=tuple(str(x) for x in equals),
                                        reason=str(e.get("reason", "flagged by the source"))))
        optional = frozenset(raw.get("optional", ()))
        detect = raw.get("detect", {})
        known = {k for k in raw if k not in {
            "name", "title", "election", "source_label", "encoding", "delimiter", "sheet",
            "columns", "candidates", "regions", "exclude", "optional", "detect"}}
        return cls(name=str(name), title=str(raw.get("title", name)), columns=columns,
                   candidates=candidates, regions=tuple(regions), exclusions=tuple(exclusions),
                   election=raw.get("election"), source_label=str(raw.get("source_label", "")),
                   encoding=raw.get("encoding"), delimiter=raw.get("delimiter"),
                   sheet=raw.get("sheet"), optional=optional,
                   ignore=tuple(detect.get("ignore", ())), path=path,
                   extra={k: raw[k] for k in known})


_PROFILE_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "title": (str,), "election": (str,), "source_label": (str,),
    "encoding": (str,), "delimiter": (str,), "sheet": (str, int), "columns": (Mapping,),
    "candidates": (Mapping,), "regions": (list,), "exclude": (list,), "optional": (list,),
    "detect": (Mapping,)}


def _check_profile_types(raw: Mapping[str, Any], where: str) -> None:
    """One-line errors for top-level mapping fields of the wrong type."""
    for key, kinds in _PROFILE_TYPES.items():
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            names = " or ".join("a table" if k is Mapping else "a list" if k is list
                                else k.__name__ for k in kinds)
            raise ProfileError(f"{where}: '{key}' must be {names}, got {shown(value)}")
    for key in ("regions", "exclude"):
        if any(not isinstance(item, Mapping) for item in raw.get(key, ())):
            raise ProfileError(f"{where}: every [[{key}]] entry must be a table")
    if any(not isinstance(x, str) for x in raw.get("optional", ())):
        raise ProfileError(f"{where}: 'optional' must be a list of canonical column names")
    if raw.get("delimiter") is not None and len(raw["delimiter"]) != 1:
        raise ProfileError(f"{where}: 'delimiter' must be one character")
    if raw.get("encoding") is not None:
        import codecs

        try:
            codecs.lookup(raw["encoding"])
        except LookupError:
            raise ProfileError(f"{where}: unknown encoding {shown(raw['encoding'])}") from None
    ignore = raw.get("detect", {}).get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(x, str) for x in ignore):
        raise ProfileError(f"{where}: [detect] ignore must be a list of column names")


@cache
def bundled_profiles() -> tuple[Profile, ...]:
    """Every profile shipped in ``datasets/profiles/``, sorted by name."""
    return tuple(Profile.from_toml(p) for p in sorted(profiles_dir().glob("*.toml")))


def get_profile(name_or_path: str | Path) -> Profile:
    """A bundled profile by name, or a profile file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return Profile.from_toml(path)
    for profile in bundled_profiles():
        if profile.name == str(name_or_path):
            return profile
    names = [p.name for p in bundled_profiles()]
    close = difflib.get_close_matches(str(name_or_path), names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; bundled: {', '.join(names)}"
    raise ProfileError(f"no profile named '{name_or_path}'{hint}")


def _norm(col: str) -> str:
    return " ".join(str(col).replace("\ufeff", "").split()).casefold()


def resolve_header(profile: Profile, header: Sequence[str]) -> dict[str, str]:
    """Map each source column the profile names to the header's actual spelling.

    Matching ignores case, surrounding whitespace and a byte-order mark, but a column spelled
    exactly wins, and several columns that differ only in case are an error rather than a
    guess. Raises :class:`ProfileError` naming the columns the header lacks.
    """
    spelled: dict[str, list[str]] = {}
    for h in header:
        spelled.setdefault(_norm(h), []).append(str(h))
    missing = sorted(c for c in profile.source_columns() if _norm(c) not in spelled)
    if missing:
        raise ProfileError(f"profile '{profile.name}' does not fit this file: missing columns "
                           f"{', '.join(missing)}")
    exact = set(map(str, header))
    resolved = {}
    for column in profile.source_columns():
        found = spelled[_norm(column)]
        if column not in exact and len(found) > 1:  # "VALID" and "Valid" for "valid"
            raise ProfileError(f"profile '{profile.name}' reads column '{column}', and this "
                               f"file has several columns of that name in other cases "
                               f"({', '.join(found)}); rename them or spell the profile's "
                               f"column exactly")
        resolved[column] = column if column in exact else found[0]
    return resolved


@dataclass(frozen=True)
class ProfileMatch:
    """How well a profile explains a header."""

    profile: Profile
    missing: tuple[str, ...]
    explained: int

    @property
    def fits(self) -> bool:
        return not self.missing


def rank_profiles(header: Sequence[str], profiles: Iterable[Profile]) -> list[ProfileMatch]:
    """Score every profile against a header, best first."""
    cols = {_norm(h) for h in header}
    matches = []
    for profile in profiles:
        wanted = {_norm(c) for c in profile.source_columns()}
        known = wanted | {_norm(c) for c in profile.ignore}
        missing = tuple(sorted(c for c in profile.source_columns() if _norm(c) not in cols))
        matches.append(ProfileMatch(profile, missing, len(known & cols)))
    matches.sort(key=lambda m: (len(m.missing), -m.explained, m.profile.name))
    return matches


def detect_profile(header: Sequence[str], profiles: Iterable[Profile] | None = None) -> Profile:
    """The one profile that fits ``header`` and explains the most of its columns.

    Raises :class:`ProfileError` when none fits (naming the near misses and what they lack)
    or when several fit equally well (naming them, so the user can pass ``profile=``, the
    command line's ``--mapping``).
    """
    ranked = rank_profiles(header, bundled_profiles() if profiles is None else profiles)
    fitting = [m for m in ranked if m.fits]
    canonical = canonical_profile(header) if profiles is None else None
    if not fitting and canonical is not None:
        return canonical
    if fitting:
        best = [m for m in fitting if m.explained == fitting[0].explained]
        if len(best) == 1:
            return best[0].profile
        names = ", ".join(m.profile.name for m in best)
        raise ProfileError(f"several profiles fit this file equally well ({names}); "
                           f"choose one with profile=", parameters=("profile",))
    near = [m for m in ranked
            if m.missing and len(m.missing) <= max(2, len(m.profile.source_columns()) // 2)]
    if near:
        hints = "; ".join(f"{m.profile.name} lacks {', '.join(m.missing[:4])}"
                          + ("…" if len(m.missing) > 4 else "") for m in near[:3])
        raise ProfileError(f"no profile fits this file's columns; nearest: {hints}. "
                           f"Pass profile=FILE (see docs/profiles.md)", parameters=("profile",))
    shown = ", ".join(str(h) for h in list(header)[:6])
    raise ProfileError(f"no profile fits this file's columns ({shown}…); write a mapping file "
                       f"and pass profile=FILE (see docs/profiles.md)", parameters=("profile",))


_REGION_CODE = re.compile(r"^region_(.+)_code$")


def canonical_profile(header: Sequence[str]) -> Profile | None:
    """The profile of the canonical layout election-audit writes itself (``ingest --out``,
    ``track export``), or None when ``header`` is not canonical.

    Canonical means ``center_id``, ``table_id``, ``valid`` and at least one ``votes_<KEY>``
    column; every other canonical column present (counts, ``region_<level>_code`` and
    ``_name`` in header order) is read as well. The election is not named in the file: give
    the case where a command takes one.
    """
    names = {_norm(h): str(h) for h in header}
    if not all(k in names for k in ("center_id", "table_id", "valid")):
        return None
    candidates = {str(h)[len(VOTE_PREFIX):]: ColumnRule(op="copy", sources=(str(h),))
                  for h in header if str(h).startswith(VOTE_PREFIX) and len(str(h)) > 6}
    if not candidates:
        return None
    columns = {t: ColumnRule(op="copy", sources=(names[t],))
               for t in _CANONICAL_TARGETS if t in names}
    regions = []
    for h in header:
        match = _REGION_CODE.match(str(h))
        if match:
            level = match.group(1)
            name = names.get(f"region_{level}_name".casefold())
            regions.append(RegionRule(level=level, code=ColumnRule(op="copy", sources=(str(h),)),
                                      name=ColumnRule(op="copy", sources=(name,))
                                      if name else None))
    return Profile(name="canonical", title="election-audit canonical table", columns=columns,
                   candidates=candidates, regions=tuple(regions),
                   optional=frozenset(columns) - {"table_id", "valid"}, keep_text=True)
