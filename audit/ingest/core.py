"""Read tally sheets into a :class:`~audit.model.SheetTable`, losing nothing.

Every row read ends in exactly one of three places: the accepted table, the quarantine (with
one or more reasons a person can act on: line, column, value, rule) or the list of identical
duplicates that were collapsed into an accepted row. The identity
``rows_read == accepted + quarantined + duplicates_collapsed`` is verified before returning.

Speed (``benchmarks/bench_ingest_cli.py``: the command within 1.5 times a bare
``pandas.read_csv`` process, issue 14): counts read as clean integers stay the parser's int64
arrays end to end; text columns are built in worker threads, one task per canonical column
(:mod:`audit.ingest.text`); duplicate keys are found on integers; the file is hashed in a
second thread, while pandas is imported when the command line asks for it
(:mod:`audit.ingest.digest`), else once pandas has parsed it; and the final table is
assembled without consolidation copies. Validation is never skipped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit._version import __version__
from audit.cases import load_election
from audit.errors import InputFileError, ProfileError
from audit.ingest.draft import unmapped_candidates_note
from audit.ingest.numbers import (
    AMBIGUOUS,
    IMPLAUSIBLE,
    MISSING,
    NOT_INTEGER,
    OK,
    PLAUSIBLE_MAX,
    PROBLEM_RULES,
    NumberFormat,
    parse_counts,
)
from audit.ingest.profiles import (
    ColumnRule,
    Profile,
    detect_profile,
    get_profile,
    resolve_header,
)
from audit.ingest.readers import RawFile, open_file
from audit.ingest.text import apply_rule, arrow_text, integer_key, to_series
from audit.model import (
    COUNT_COLUMNS,
    KEY_COLUMNS,
    OPTIONAL_COUNTS,
    Election,
    Provenance,
    SheetTable,
    region_code_column,
    region_name_column,
    sha256_file,
    vote_column,
)

# Rule codes, each with the sentence that explains it (used in docs and reports).
RULES: dict[str, str] = {
    "empty_row": "The row has no values at all.",
    "no_counts": "The row names a table but states none of its counts (for example a table "
                 "that was not totalised).",
    "missing_value": "A required cell is empty or holds a placeholder such as N/A.",
    "not_integer": "A count is not a whole number.",
    "ambiguous_number": "A count could be read with '.' or ',' as thousands or as decimal "
                        "separator, and the column does not say which.",
    "negative_count": "A count is negative.",
    "implausible_count": "A count is larger than any polling station could hold (more than "
                         "the election's whole electorate, or than a billion).",
    "ragged_row": "The row has more fields than the header (a stray delimiter or an unquoted "
                  "text); its values cannot be assigned to columns safely.",
    "candidate_sum_mismatch": "The candidates' votes do not add up to the valid votes.",
    "ballot_sum_mismatch": "Valid + null (+ blank) votes differ from the ballots cast.",
    "voters_exceed_registered": "More ballots were cast than voters are registered.",
    "duplicate_conflict": "Several rows share a station key but disagree on the counts.",
    "unknown_region": "The region code is not among the regions of the election metadata.",
    "excluded_by_source": "The source itself flags the row as not counted.",
}

QUARANTINE_COLUMNS = ("source", "line", "rule", "column", "value", "message")

_PROBLEM_TEMPLATES = {
    MISSING: "line {line}: column {column} is empty, but a count is required",
    -MISSING: "line {line}: column {column} holds '{value}' instead of a number, but a count "
              "is required",
    2: "line {line}: column {column} holds '{value}', which is not a whole number",
    3: "line {line}: column {column} holds '{value}'; '.' and ',' could mean thousands or "
       "decimals here and the column does not settle which; write the number without "
       "separators",
    IMPLAUSIBLE: "line {line}: column {column} holds '{value}', more than {cap}: no polling "
                 "station holds that many voters",
}


@dataclass(frozen=True)
class JoinReport:
    """What a join of columns from another file matched and did not match."""

    file: Provenance
    on: tuple[str, ...]
    columns: tuple[str, ...]
    matched: int
    unmatched_main: pd.DataFrame  # key columns + line of main rows without a partner
    unmatched_other: pd.DataFrame  # key columns + line of other-file rows without a partner
    other_rows_read: int
    other_quarantined: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file.to_dict(), "on": list(self.on), "columns": list(self.columns),
            "matched": self.matched,
            "unmatched_main": len(self.unmatched_main),
            "unmatched_other": len(self.unmatched_other),
            "unmatched_main_keys": _keys(self.unmatched_main),
            "unmatched_other_keys": _keys(self.unmatched_other),
            "other_rows_read": self.other_rows_read,
            "other_quarantined": self.other_quarantined,
        }


def _keys(frame: pd.DataFrame, limit: int = 50) -> list[str]:
    keys = frame["center_id"].astype(str) + "/" + frame["table_id"].astype(str)
    return keys.head(limit).tolist()


@dataclass(frozen=True)
class IngestResult:
    """Accepted sheets, the quarantine and the accounting of one ingestion."""

    sheets: SheetTable
    quarantine: pd.DataFrame
    duplicates: pd.DataFrame
    profile: Profile
    rows_read: int
    files: tuple[Provenance, ...]
    join: JoinReport | None = None
    notes: tuple[str, ...] = field(default=())
    number_formats: Mapping[str, NumberFormat] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return len(self.sheets)

    @property
    def quarantined(self) -> int:
        """Number of rows quarantined (a row with several reasons counts once)."""
        if self.quarantine.empty:
            return 0
        return int(self.quarantine[["source", "line"]].drop_duplicates().shape[0])

    @property
    def duplicates_collapsed(self) -> int:
        return len(self.duplicates)

    @property
    def sha256(self) -> str:
        """SHA-256 of the input; for several files, of their sorted ``name:sha256`` lines."""
        if len(self.files) == 1:
            return self.files[0].sha256
        lines = sorted(f"{p.path}:{p.sha256}" for p in self.files)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    def reasons(self) -> dict[str, int]:
        """Rule code -> number of rows quarantined for it."""
        if self.quarantine.empty:
            return {}
        per_rule = self.quarantine.drop_duplicates(["source", "line", "rule"])
        counts = per_rule["rule"].value_counts()
        return {str(k): int(v) for k, v in sorted(counts.items())}

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary printed by ``election-audit ingest --json``."""
        sheets = self.sheets
        return {
            "schema": "election-audit/ingest",
            "schema_version": 1,
            "package_version": __version__,
            "sha256": self.sha256,
            "profile": self.profile.name,
            "election": sheets.election.id if sheets.election else None,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "duplicates_collapsed": self.duplicates_collapsed,
            "totals": sheets.totals(),
            "valid": sheets.total("valid"),
            "null": sheets.total("null"),
            "blank": sheets.total("blank"),
            "voters": sheets.total("voters"),
            "registered": sheets.total("registered"),
            "registered_known": int(sheets.data["registered"].notna().sum())
            if "registered" in sheets.data else 0,
            "quarantine_reasons": self.reasons(),
            "provenance": [p.to_dict() for p in self.files],
            "join": self.join.to_dict() if self.join else None,
            "number_formats": {k: v.to_dict() for k, v in self.number_formats.items()},
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def read_sheets(paths: str | Path | Sequence[str | Path], *,
                profile: str | Path | Profile | None = None,
                election: Election | str | None = None,
                join: str | Path | Sequence[str | Path] | None = None,
                join_on: Sequence[str] = KEY_COLUMNS,
                join_columns: Sequence[str] | None = None,
                join_profile: str | Path | Profile | None = None,
                digests: Mapping[Path, Future[str]] | None = None) -> IngestResult:
    """Read, map and validate tally sheets from one or more files.

    Parameters
    ----------
    paths
        A file, a folder (every ``*.csv``, ``*.xlsx`` and ``*.parquet`` in it, sorted), or a
        list of files sharing one layout (for example one file per region).
    profile
        A bundled profile name, a profile/mapping TOML path or a :class:`Profile`. When
        omitted it is detected from the header; ambiguity is an error naming the candidates.
    election
        Election metadata (or a case name) overriding the profile's ``election``.
    join, join_on, join_columns, join_profile
        Another file whose canonical columns (default: those the main file lacks) are copied
        onto the main rows matched on ``join_on`` (canonical key names). Unmatched rows on
        both sides are reported in :attr:`IngestResult.join`.
    digests
        SHA-256 digests of input files already being computed (keyed by the path as given;
        see :func:`audit.ingest.digest.hash_in_background`); other files are hashed here.

    Returns
    -------
    IngestResult
        ``sheets`` (accepted rows), ``quarantine`` (one row per reason: source, line, rule,
        column, value, message), ``duplicates`` (identical rows collapsed) and the accounting.
    """
    files = _expand(paths)
    raws = [open_file(f, delimiter=_hint(profile, "delimiter"))
            for f in files]
    prof = _resolve_profile(profile, raws[0])
    for raw in raws[1:]:
        resolve_header(prof, raw.header)
    elec = _resolve_election(election, prof)
    candidates = tuple(prof.candidates)
    if elec is not None:
        unknown = [k for k in candidates if k not in elec.candidate_keys]
        if unknown:
            raise ProfileError(f"profile '{prof.name}' maps candidates {unknown} that election "
                               f"'{elec.id}' does not list ({', '.join(elec.candidate_keys)})")

    number_formats: dict[str, NumberFormat] = {}
    label = prof.source_label or files[0].stem
    canon, issues, exact, provenance, notes = _read_files(
        raws, prof, elec, label, _plausible_max(elec), number_formats, digests or {})
    rows_read = len(canon)

    join_report = None
    if join is not None:
        canon, join_report = _join(canon, join, on=tuple(join_on), columns=join_columns,
                                   profile=join_profile)
        exact = {k: v for k, v in exact.items() if k not in join_report.columns}

    issues += _row_rules(canon, prof, elec)
    quarantine = _issues_frame(canon, issues)
    bad = np.zeros(rows_read, dtype=bool)
    bad[quarantine["_row"].to_numpy(dtype=np.int64)] = True
    dup_issues, collapsed = _duplicates(canon, bad, prof)
    if dup_issues:
        extra = _issues_frame(canon, dup_issues)
        quarantine = pd.concat([quarantine, extra], ignore_index=True)
        bad[extra["_row"].to_numpy(dtype=np.int64)] = True
    keep = ~bad
    keep[collapsed["_row"].to_numpy(dtype=np.int64)] = False

    everything = bool(keep.all())
    sheets = _to_sheet_table(canon if everything else canon.loc[keep], prof, elec,
                             provenance, label, exact=exact if everything else {})
    notes += [f"column {column}: {fmt.describe()}" for column, fmt in number_formats.items()]
    quarantine = (quarantine.sort_values(["_row", "rule"], kind="stable")
                  .drop(columns="_row").reset_index(drop=True))
    duplicates = collapsed.drop(columns="_row").reset_index(drop=True)
    result = IngestResult(sheets=sheets, quarantine=quarantine, duplicates=duplicates,
                          profile=prof, rows_read=rows_read, files=tuple(provenance),
                          join=join_report, notes=tuple(notes),
                          number_formats=number_formats)
    if result.accepted + result.quarantined + result.duplicates_collapsed != rows_read:
        raise RuntimeError(  # a bug in this module, never an input problem
            f"ingest accounting broken: {rows_read} read != {result.accepted} accepted + "
            f"{result.quarantined} quarantined + {result.duplicates_collapsed} collapsed")
    note = unmapped_candidates_note(tuple(prof.candidates), elec, result.reasons(), prof.name)
    return replace(result, notes=(*result.notes, note)) if note else result


def _read_files(raws: list[RawFile], prof: Profile, elec: Election | None, label: str,
                cap: int, number_formats: dict[str, NumberFormat],
                digests: Mapping[Path, Future[str]]
                ) -> tuple[pd.DataFrame, list[_Issue], dict[str, np.ndarray], list[Provenance],
                           list[str]]:
    """Every file mapped to canonical columns, one after the other: the rows, their reasons,
    the clean int64 count columns (one file only), the provenance and the readers' notes.

    A file is hashed in a second thread (hashlib releases the GIL) once it has been parsed
    (pandas parses large files on several threads, the mapping after it on one), unless its
    digest is already being computed (``digests``)."""
    frames, provenance, notes = [], [], []
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: list[Future[str]] = []
        for raw in raws:
            source = label if len(raws) == 1 else f"{label}/{raw.path.name}"

            def start_hash(path: Path = raw.path) -> None:
                known = digests.get(path)
                pending.append(known if known is not None else pool.submit(sha256_file, path))

            canon, issues, exact = _canonicalise(raw, prof, elec, source, cap=cap,
                                                 after_read=start_hash,
                                                 number_formats=number_formats)
            frames.append((canon, issues))
            prefix = f"{raw.path.name}: " if len(raws) > 1 else ""
            notes += [prefix + note for note in raw.notes]
        for raw, digest, (canon_i, _) in zip(raws, pending, frames, strict=True):
            provenance.append(Provenance(
                path=raw.path.name, sha256=digest.result(), bytes=raw.path.stat().st_size,
                rows_read=len(canon_i), profile=prof.name, encoding=raw.encoding,
                delimiter=raw.delimiter))
    if len(frames) == 1:
        return frames[0][0], frames[0][1], exact, provenance, notes
    return (pd.concat([f[0] for f in frames], ignore_index=True),
            [i for f in frames for i in f[1]], {}, provenance, notes)


# --------------------------------------------------------------------------------------------
# Resolution of files, profile and election
# --------------------------------------------------------------------------------------------

_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")


def _expand(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise InputFileError("no input file given")
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in _TABLE_SUFFIXES)
            if not found:
                raise InputFileError(f"folder {path} holds no CSV, Excel or Parquet file")
            files.extend(found)
        else:
            files.append(path)
    return files


def _hint(profile: str | Path | Profile | None, attr: str) -> str | None:
    if isinstance(profile, Profile):
        return getattr(profile, attr)
    if profile is not None:
        return getattr(get_profile(profile), attr)
    return None


def _resolve_profile(profile: str | Path | Profile | None, raw: RawFile) -> Profile:
    prof = profile if isinstance(profile, Profile) else (
        get_profile(profile) if profile is not None else detect_profile(raw.header))
    resolve_header(prof, raw.header)
    return prof


def _resolve_election(election: Election | str | None, prof: Profile) -> Election | None:
    if isinstance(election, Election):
        return election
    name = election or prof.election
    if not name:
        return None
    path = Path(name)
    if not path.is_absolute() and prof.path and (Path(prof.path).parent / name).exists():
        path = Path(prof.path).parent / name
    return load_election(path if path.exists() else name)


# --------------------------------------------------------------------------------------------
# Mapping source columns to canonical ones
# --------------------------------------------------------------------------------------------


@dataclass
class _Issue:
    """Rows (positions) failing one rule, with what to tell the user."""

    rows: np.ndarray
    rule: str
    column: str
    values: pd.Series  # aligned with rows
    message: pd.Series  # aligned with rows


def _all_missing(frame: pd.DataFrame) -> np.ndarray:
    """Rows where every cell is missing (column by column: no wide copy of the frame)."""
    empty = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        empty &= frame[col].isna().to_numpy()
        if not empty.any():
            break
    return empty


def _row_sum(frame: pd.DataFrame | Mapping[str, np.ndarray],
             columns: Sequence[str]) -> np.ndarray:
    """Sum of count columns row by row as float (NaN propagates), without temporaries."""
    total = np.zeros(len(np.asarray(frame[columns[0]]))) if columns else np.zeros(0)
    for col in columns:
        np.add(total, np.asarray(frame[col]), out=total)
    return total


def _drop_rows(issue: _Issue, drop: np.ndarray) -> _Issue | None:
    """The issue without the rows flagged in ``drop`` (None when no row is left)."""
    keep = ~drop[issue.rows]
    if keep.all():
        return issue
    if not keep.any():
        return None
    return _Issue(issue.rows[keep], issue.rule, issue.column,
                  issue.values[keep].reset_index(drop=True),
                  issue.message[keep].reset_index(drop=True))


#: Longest value shown inside a message (the quarantine's ``value`` column keeps it whole).
_SHOWN_CHARS = 80
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_CONTROL_RE2 = r"[\x00-\x1f\x7f\x{2028}\x{2029}]"  # the same class, in Arrow's syntax


def _one_line(text: pd.Series) -> pd.Series:
    """Values as they may appear in a one-line message: control characters (line breaks,
    tabs) written as escapes, and cut after :data:`_SHOWN_CHARS` characters."""
    arrow = pa.array(text.array, type=pa.large_string(), from_pandas=True)
    if pc.any(pc.match_substring_regex(arrow, _CONTROL_RE2)).as_py():
        text = text.str.replace(_CONTROL.pattern,
                                lambda m: m.group(0).encode("unicode_escape").decode(),
                                regex=True)
    if (pc.max(pc.utf8_length(arrow)).as_py() or 0) > _SHOWN_CHARS:
        long = text.str.len().fillna(0) > _SHOWN_CHARS
        text = text.where(~long, text.str.slice(0, _SHOWN_CHARS) + "…")
    return text


def _fmt(template: str, index: pd.Index, **parts: pd.Series | str) -> pd.Series:
    """Vectorised ``str.format``: one message per row, each on one line."""
    out = pd.Series("", index=index, dtype="string")
    for piece in re.split(r"(\{\w+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            value = parts[piece[1:-1]]
            if not isinstance(value, pd.Series):
                value = _one_line(pd.Series([str(value)], dtype="string")).iloc[0]
            elif pd.api.types.is_numeric_dtype(value.dtype):
                value = value.astype("string").fillna("")
            else:
                value = _one_line(value.astype("string").fillna(""))
            out = out + value
        elif piece:
            out = out + piece
    return out


_PARALLEL_ROWS = 50_000  # below this, threads cost more than they save


def _text_rules(prof: Profile) -> list[tuple[str, ColumnRule]]:
    """Canonical text columns (keys, region codes and names) with the rule building each."""
    rules = [(t, prof.columns[t]) for t in KEY_COLUMNS if t in prof.columns]
    for region in prof.regions:
        rules.append((region_code_column(region.level), region.code))
        if region.name is not None:
            rules.append((region_name_column(region.level), region.name))
    return rules


def _submit(pool: ThreadPoolExecutor | None, func: Any, *args: Any) -> Any:
    """``func(*args)`` in the pool, or at once when there is no pool."""
    return pool.submit(func, *args) if pool is not None else func(*args)


def _result(value: Any) -> Any:
    return value.result() if isinstance(value, Future) else value


def _parse_source(frame: pd.DataFrame, column: str, text_cache: dict[str, pd.Series],
                  no_problem: np.ndarray, cap: int, formats: dict[str, NumberFormat]
                  ) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Parse one source column of counts (its text re-read when the CSV parser saw other than
    integers, so that thousand separators are never misread)."""
    series = text_cache.get(column, frame[column])
    if series.dtype == np.int64:  # the common case: clean integers, nothing to report
        values = series.to_numpy()
        if not len(values) or values.max() <= cap:  # (a negative count is its own rule)
            return values, no_problem, series
    parsed = parse_counts(series, cap=cap)
    if parsed.number_format is not None:
        formats[column] = parsed.number_format
    if not parsed.problem.any():  # every value a whole number: its exact integers
        return parsed.integers, parsed.problem, series
    return parsed.values, parsed.problem, series


def _count_sources(prof: Profile, cols: Mapping[str, str]) -> list[str]:
    """Source columns holding counts (their spelling in the file)."""
    rules = [r for k, r in prof.columns.items() if k not in KEY_COLUMNS]
    rules += list(prof.candidates.values())
    return sorted({cols[c] for r in rules for c in r.sources})


def _plausible_max(elec: Election | None) -> int:
    """The largest count accepted: a billion, or the election's whole electorate if smaller."""
    electorate = (elec.registered or 0) + (elec.registered_abroad or 0) if elec else 0
    return min(PLAUSIBLE_MAX, electorate) if electorate > 0 else PLAUSIBLE_MAX


def _canonicalise(raw: RawFile, prof: Profile, elec: Election | None, source: str, *,
                  cap: int = PLAUSIBLE_MAX, after_read: Callable[[], object] | None = None,
                  number_formats: dict[str, NumberFormat] | None = None
                  ) -> tuple[pd.DataFrame, list[_Issue], dict[str, np.ndarray]]:
    """Map one file to canonical columns; also return the count columns that are exactly a
    clean int64 source column (so the final table can use them without conversions).

    Counts above ``cap`` are quarantined as implausible; the separators each text column of
    counts was read with are added to ``number_formats`` (keyed by source column)."""
    formats = {} if number_formats is None else number_formats
    cols = resolve_header(prof, raw.header)
    frame = raw.read(sorted(set(cols.values())))
    if after_read is not None:
        after_read()
    n = len(frame)
    if n == 0:
        raise InputFileError(f"{raw.path} has a header line but no rows of data")
    index = pd.RangeIndex(n)
    frame.index = index
    first_line = raw.first_line()  # (one array: no temporary of n integers)
    lines = pd.Series(np.arange(first_line, first_line + n, dtype=np.int64), index=index)
    canon: dict[str, Any] = {}  # text and meta columns, turned into a frame once
    text_cache = _reread_as_text(raw, prof, cols, frame)
    empty, ragged, issues = _empty_rows(raw, frame, lines)

    # Keys and regions (text): built by Arrow kernels, which release the GIL, in worker
    # threads while the counts are parsed here; one task per canonical column, with no
    # barrier between them (a source column shared by two rules is converted once, or at
    # worst twice at the same time: the cache holds the same text either way).
    pool = ThreadPoolExecutor(max_workers=2) if n >= _PARALLEL_ROWS else None
    text_rules = _text_rules(prof)
    text_of: dict[str, Any] = {}  # source column -> its Arrow text, shared by the rules
    built = {name: _submit(pool, apply_rule, text_rule, frame, cols, text_of)
             for name, text_rule in text_rules}
    key_position = len(issues)

    # Counts: every count parsed first, so that a row stating none gets one reason, not many.
    parsed = _parse_counts(prof, frame, cols, text_cache, cap, formats)
    counts = {target: values for target, _, _, values, _ in parsed}
    exact = {target: values for target, rule, _, values, _ in parsed
             if rule.op != "from_percent" and values.dtype == np.int64}
    issues += _count_issues(parsed, empty, lines, cap)

    excluded, excl_issues = _excluded_rows(raw, prof, frame, cols, lines, empty, ragged)
    if excluded.any():  # a row the source excludes is quarantined for that reason only
        issues = [kept for issue in issues if (kept := _drop_rows(issue, excluded)) is not None]
    issues += excl_issues

    texts = {name: _result(f) for name, f in built.items()}
    if pool is not None:
        pool.shutdown()
    key_issues = _key_columns(prof, frame, cols, texts, lines, empty, canon)
    if excluded.any():  # as above: an excluded row is quarantined for that reason only
        key_issues = [kept for issue in key_issues
                      if (kept := _drop_rows(issue, excluded)) is not None]
    issues[key_position:key_position] = key_issues
    _region_columns(prof, elec, texts, canon)
    canon["source"] = pd.Series(pd.Categorical.from_codes(  # one label, kept cheap
        np.zeros(n, dtype=np.int8), categories=pd.Index([source])), index=index)
    canon["line"] = lines
    canon["_empty"] = empty | excluded
    if "valid" not in prof.columns:
        vote_columns = [vote_column(k) for k in prof.candidates]
        if all(counts[c].dtype == np.int64 for c in vote_columns):
            counts["valid"] = exact["valid"] = np.asarray(
                np.sum([counts[c] for c in vote_columns], axis=0, dtype=np.int64))
        else:
            counts["valid"] = _row_sum(counts, vote_columns)
    # One frame per count column: joining them does not copy (a dict would consolidate).
    parts_out = [pd.DataFrame(canon, index=index, copy=False)]
    parts_out += [pd.DataFrame({k: v}, index=index, copy=False) for k, v in counts.items()]
    return pd.concat(parts_out, axis=1), issues, exact


def _reread_as_text(raw: RawFile, prof: Profile, cols: dict[str, str],
                    frame: pd.DataFrame) -> dict[str, pd.Series]:
    """CSV columns read again as text: the keys and regions of a ``keep_text`` profile (as
    written, "010101001"; replaced in ``frame``) and the counts the parser did not read as
    integers (returned, so that thousand separators are never misread)."""
    if raw.format != "csv":
        return {}
    index = frame.index
    if prof.keep_text:
        numeric = sorted({cols[c] for _, rule in _text_rules(prof) for c in rule.sources
                          if not pd.api.types.is_string_dtype(frame[cols[c]].dtype)})
        if numeric:
            again = raw.read(numeric, as_text=numeric)
            for c in numeric:
                frame[c] = again[c].set_axis(index).replace("", None)
    as_text = [c for c in _count_sources(prof, cols)
               if not pd.api.types.is_integer_dtype(frame[c].dtype)]
    if not as_text:
        return {}
    text = raw.read(as_text, as_text=as_text)
    return {c: text[c].set_axis(index) for c in as_text}


def _empty_rows(raw: RawFile, frame: pd.DataFrame, lines: pd.Series
                ) -> tuple[np.ndarray, np.ndarray, list[_Issue]]:
    """Rows with no value at all (ragged rows, which the reader leaves empty, apart), the
    ragged rows, and the empty rows' reasons."""
    n = len(frame)
    empty = _all_missing(frame)
    ragged = np.zeros(n, dtype=bool)
    if raw.ragged:  # rows with more fields than the header: quarantined for that only
        ragged[np.fromiter(raw.ragged, dtype=np.int64, count=len(raw.ragged))] = True
        empty &= ~ragged
    issues: list[_Issue] = []
    if empty.any():
        rows = np.flatnonzero(empty)
        issues.append(_Issue(rows, "empty_row", "", pd.Series([""] * len(rows)),
                             _fmt("line {line}: the row is empty", pd.RangeIndex(len(rows)),
                                  line=lines.iloc[rows].reset_index(drop=True))))
    return empty, ragged, issues


def _count_issues(parsed: list[_Parsed], empty: np.ndarray, lines: pd.Series,
                  cap: int) -> list[_Issue]:
    """The reasons of the parsed counts: a row stating no count gets that one reason (not
    one per column); otherwise each column's problems, and negative counts."""
    issues: list[_Issue] = []
    no_counts = ~empty if parsed else np.zeros(len(empty), dtype=bool)
    for *_, parts in parsed:
        for _, problem, _ in parts:
            no_counts &= problem == MISSING
    if no_counts.any():
        rows = np.flatnonzero(no_counts)
        first, _, first_raw = parsed[0][4][0]
        shown = first_raw.iloc[rows].reset_index(drop=True).astype("string").fillna("")
        issues.append(_Issue(rows, "no_counts", first, shown, _fmt(
            "line {line}: no count is stated (column {column} holds '{value}', and so do the "
            "other counts); the table was probably not totalised",
            pd.RangeIndex(len(rows)), line=lines.iloc[rows].reset_index(drop=True),
            column=first, value=shown)))
    skip = empty | no_counts
    for _target, rule, required, values, parts in parsed:
        for display, problem, raw_values in parts:
            issues += _problem_issues(problem, raw_values, display, required, skip, lines,
                                      cap)
        if values.dtype == np.int64 and (not len(values) or values.min() >= 0):
            continue
        negative = (values < 0) & ~empty
        if negative.any():
            rows = np.flatnonzero(negative)
            shown = pd.Series(values[rows]).astype("int64").astype("string")
            issues.append(_Issue(rows, "negative_count", rule.display, shown, _fmt(
                "line {line}: column {column} is {value}; counts cannot be negative",
                pd.RangeIndex(len(rows)), line=lines.iloc[rows].reset_index(drop=True),
                column=rule.display, value=shown)))
    return issues


def _region_columns(prof: Profile, elec: Election | None, texts: dict[str, pd.Series],
                    canon: dict[str, Any]) -> None:
    """Put each level's region code and name into ``canon`` (names from the election
    metadata when the file has none)."""
    for region in prof.regions:
        code_col = region_code_column(region.level)
        canon[code_col] = texts[code_col]
        if region.name is not None:
            canon[region_name_column(region.level)] = texts[region_name_column(region.level)]
        elif elec is not None and elec.regions_at(region.level):
            names = {r.code: r.name for r in elec.regions_at(region.level)}
            canon[region_name_column(region.level)] = \
                canon[code_col].map(names).astype("string")


def _problem_issues(problem: np.ndarray, raw_values: pd.Series, display: str, required: bool,
                    skip: np.ndarray, lines: pd.Series, cap: int) -> list[_Issue]:
    """The quarantine reasons of one parsed count column (missing, not a whole number,
    ambiguous separators, implausibly large), rows in ``skip`` left out."""
    issues: list[_Issue] = []
    if not problem.any():
        return issues
    for code in (MISSING, NOT_INTEGER, AMBIGUOUS, IMPLAUSIBLE):
        if code == MISSING and not required:
            continue
        mask = (problem == code) & ~skip
        if not mask.any():
            continue
        rows = np.flatnonzero(mask)
        values = raw_values.iloc[rows].reset_index(drop=True).astype("string").fillna("")
        template = pd.Series(_PROBLEM_TEMPLATES[code], index=values.index)
        if code == MISSING:  # an empty cell, or a placeholder such as N/A
            template = template.where(values.str.strip() == "", _PROBLEM_TEMPLATES[-MISSING])
        for tmpl in template.unique():
            sub = (template == tmpl).to_numpy()
            msg = _fmt(str(tmpl), pd.RangeIndex(int(sub.sum())),
                       line=lines.iloc[rows[sub]].reset_index(drop=True), column=display,
                       value=values[sub].reset_index(drop=True), cap=f"{cap:,}")
            issues.append(_Issue(rows[sub], PROBLEM_RULES[code], display,
                                 values[sub].reset_index(drop=True), msg))
    return issues


_Parsed = tuple[str, ColumnRule, bool, np.ndarray, list[tuple[str, np.ndarray, pd.Series]]]


def _parse_counts(prof: Profile, frame: pd.DataFrame, cols: dict[str, str],
                  text_cache: dict[str, pd.Series], cap: int,
                  formats: dict[str, NumberFormat]) -> list[_Parsed]:
    """Every count column of the profile, parsed: ``(target, rule, required, values,
    parts)``, ``parts`` the (source, problem codes, raw values) of each source column.

    A count read as clean integers from one source column stays the source's int64 array
    (no copy); any other count becomes float64 with NaN where missing.
    """
    n = len(frame)
    no_problem = np.zeros(n, dtype=np.int8)
    targets: list[tuple[str, ColumnRule, bool]] = []
    for target in COUNT_COLUMNS:
        if target in prof.columns:
            targets.append((target, prof.columns[target], target not in prof.optional))
    for key, rule in prof.candidates.items():
        targets.append((vote_column(key), rule, vote_column(key) not in prof.optional))
    parsed: list[_Parsed] = []
    for target, rule, required in targets:
        if rule.op == "from_percent":
            count, _, raw_count = _parse_source(frame, cols[rule.sources[0]], text_cache,
                                                no_problem, cap, formats)
            pct = pd.to_numeric(frame[cols[rule.sources[1]]], errors="coerce").to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(pct > 0, np.round(count * 100.0 / pct), np.nan)
            problem = np.where(np.isnan(values), MISSING, OK).astype(np.int8)
            parts = [(rule.display, problem, raw_count)]
        else:
            parts, numbers = [], []
            for src in rule.sources:
                v, p, raw_values = _parse_source(frame, cols[src], text_cache, no_problem, cap,
                                                 formats)
                parts.append((src, p, raw_values))
                numbers.append(v)
            if len(parts) == 1 and numbers[0].dtype == np.int64:
                values = numbers[0]
            else:
                values = np.zeros(n)
                for v in numbers:
                    np.add(values, v, out=values)
        parsed.append((target, rule, required, values, parts))
    return parsed


def _excluded_rows(raw: RawFile, prof: Profile, frame: pd.DataFrame, cols: dict[str, str],
                   lines: pd.Series, empty: np.ndarray, ragged: np.ndarray
                   ) -> tuple[np.ndarray, list[_Issue]]:
    """Rows the source itself excludes (the profile's exclusions) and ragged rows, with
    their reasons: such a row is quarantined for that reason only."""
    index = frame.index
    excluded = np.zeros(len(frame), dtype=bool)
    issues: list[_Issue] = []
    for excl in prof.exclusions:
        # equals = [""] matches empty cells
        flag = to_series(arrow_text(frame[cols[excl.column]]), index).fillna("")
        hit = flag.isin(excl.equals).to_numpy() & ~empty
        if hit.any():
            excluded |= hit
            rows = np.flatnonzero(hit)
            shown = flag.iloc[rows].reset_index(drop=True)
            said = ("'" + shown + "'").where(shown != "", "empty")
            issues.append(_Issue(rows, "excluded_by_source", excl.column, shown, _fmt(
                "line {line}: column {column} is {said}: " + excl.reason,
                pd.RangeIndex(len(rows)), line=lines.iloc[rows].reset_index(drop=True),
                column=excl.column, said=said)))
    if ragged.any():
        rows = np.flatnonzero(ragged)
        shown = pd.Series([raw.ragged[int(r)] for r in rows], dtype="string")
        excluded |= ragged
        issues.append(_Issue(rows, "ragged_row", "", shown, _fmt(
            "line {line}: the row has {value} but the header has " + str(len(raw.header))
            + " columns, so its values cannot be placed safely",
            pd.RangeIndex(len(rows)), line=lines.iloc[rows].reset_index(drop=True),
            value=shown)))
    return excluded, issues


def _key_columns(prof: Profile, frame: pd.DataFrame, cols: dict[str, str],
                 texts: dict[str, pd.Series], lines: pd.Series, empty: np.ndarray,
                 canon: dict[str, Any]) -> list[_Issue]:
    """Put the key columns (and their integer codes) into ``canon``; the rows whose table
    identity is empty, as issues."""
    issues: list[_Issue] = []
    for target in KEY_COLUMNS:
        key_rule = prof.columns.get(target)
        canon[target] = texts[target] if key_rule is not None \
            else pd.Series("", index=frame.index, dtype="string")
        if key_rule is not None and target != "table_id" and target in prof.optional:
            canon[target] = canon[target].fillna("")  # an optional centre: empty is "none"
        codes = integer_key(key_rule, frame, cols)
        if codes is not None:
            canon[f"_int_{target}"] = codes
        if target == "table_id" or key_rule is not None:
            missing = canon[target].isna().to_numpy() & ~empty
            display = key_rule.display if key_rule else target
            if missing.any():
                rows = np.flatnonzero(missing)
                issues.append(_Issue(
                    rows, "missing_value", display, pd.Series([""] * len(rows)),
                    _fmt("line {line}: column {column} is empty, but it identifies the table",
                         pd.RangeIndex(len(rows)), line=lines.iloc[rows].reset_index(drop=True),
                         column=display)))
    return issues


# --------------------------------------------------------------------------------------------
# Row rules on the canonical frame
# --------------------------------------------------------------------------------------------


def _row_rules(canon: pd.DataFrame, prof: Profile, elec: Election | None) -> list[_Issue]:
    issues: list[_Issue] = []
    lines = canon["line"]
    empty = canon["_empty"].to_numpy()
    # Counts are int64 where read as clean integers (compared as such: no conversions) and
    # float64 with NaN where some value is missing.
    valid = canon["valid"].to_numpy()

    def display(c: str) -> str:
        return prof.columns[c].display if c in prof.columns else c

    def add(mask: np.ndarray, rule: str, column: str, value: np.ndarray, template: str,
            **extra: np.ndarray) -> None:
        if not mask.any():  # the common case, decided before any NaN bookkeeping
            return
        value = value.astype(np.float64, copy=False)
        extra = {k: v.astype(np.float64, copy=False) for k, v in extra.items()}
        mask = mask & ~empty & ~np.isnan(value)
        for v in extra.values():
            mask &= ~np.isnan(v)
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        idx = pd.RangeIndex(len(rows))
        as_text = {k: pd.Series(v[rows]).round().astype("Int64").astype("string")
                   for k, v in extra.items()}
        shown = pd.Series(value[rows]).round().astype("Int64").astype("string")
        msg = _fmt(template, idx, line=lines.iloc[rows].reset_index(drop=True), column=column,
                   value=shown, **as_text)
        issues.append(_Issue(rows, rule, column, shown, msg))

    if "valid" in prof.columns:  # (else valid is the candidates' sum by construction)
        votes = [canon[vote_column(k)].to_numpy() for k in prof.candidates]
        if all(v.dtype == np.int64 for v in votes):
            cand_sum = votes[0] + votes[1] if len(votes) > 1 else votes[0].copy()
            for v in votes[2:]:
                cand_sum += v
        else:
            cand_sum = _row_sum(canon, [vote_column(k) for k in prof.candidates])
        add(cand_sum != valid, "candidate_sum_mismatch", display("valid"), valid,
            "line {line}: the candidates' votes add up to {sum} but {column} says {value}",
            sum=cand_sum)
    stated = _stated_ballots(valid, [canon[c].to_numpy() for c in ("null", "blank")
                                     if c in canon])
    if "voters" in canon:
        voters = canon["voters"].to_numpy()
        parts = ["valid"] + [c for c in ("null", "blank") if c in canon]
        what = " + ".join(parts)
        add(voters != stated, "ballot_sum_mismatch", display("voters"), voters,
            "line {line}: " + what + " = {total} but {column} says {value}", total=stated)
        ballots = np.where(np.isnan(voters), stated, voters) if voters.dtype.kind == "f" \
            else voters
    else:
        ballots = stated
    if "registered" in canon:
        registered = canon["registered"].to_numpy()
        add(ballots > registered, "voters_exceed_registered", display("registered"), registered,
            "line {line}: {ballots} ballots cast but only {value} voters registered "
            "(column {column})", ballots=ballots)
    if elec is not None:
        for region in prof.regions:
            known = {r.code for r in elec.regions_at(region.level)}
            if not known:
                continue
            codes = canon[region_code_column(region.level)]
            unknown = _not_in(codes, known)
            if unknown.any():
                rows = np.flatnonzero(unknown & ~empty)
                shown = codes.iloc[rows].reset_index(drop=True)
                issues.append(_Issue(rows, "unknown_region", region.code.display, shown, _fmt(
                    "line {line}: {level} code '{value}' (column {column}) is not a region "
                    "of " + elec.id, pd.RangeIndex(len(rows)),
                    line=lines.iloc[rows].reset_index(drop=True), level=region.level,
                    column=region.code.display, value=shown)))
    return issues


def _stated_ballots(valid: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """Valid + null (+ blank) votes, a part missing counting 0: int64 when every part is,
    else float64."""
    rest = others
    if not (valid.dtype == np.int64 and all(p.dtype == np.int64 for p in others)):
        stated = valid.astype(np.float64)
    elif others:
        stated, rest = valid + others[0], others[1:]
    else:
        stated = valid.copy()
    for part in rest:
        np.add(stated, np.nan_to_num(part) if part.dtype.kind == "f" else part, out=stated)
    return stated


def _not_in(codes: pd.Series, known: set[str]) -> np.ndarray:
    """Rows whose code is stated and not in ``known`` (Arrow's hash lookup on Arrow text)."""
    if not isinstance(codes.array, pd.arrays.ArrowStringArray):
        return (~codes.isin(known) & codes.notna()).to_numpy()
    found = pc.is_in(pa.array(codes.array, type=pa.large_string()),
                     value_set=pa.array(sorted(known), type=pa.large_string()))
    return ~pc.fill_null(found, True).to_numpy(zero_copy_only=False)


def _duplicates(canon: pd.DataFrame, bad: np.ndarray,
                prof: Profile) -> tuple[list[_Issue], pd.DataFrame]:
    """Identical duplicate keys are collapsed (first kept); conflicting ones quarantined."""
    key = list(KEY_COLUMNS)
    good = np.flatnonzero(~bad)
    all_good = len(good) == len(canon)
    dup_good = _duplicated([_key_codes(canon, k) if all_good else _key_codes(canon, k)[good]
                            for k in key])
    empty_collapsed = pd.DataFrame({"_row": pd.Series(dtype=np.int64), "source": [],
                                    "line": pd.Series(dtype=np.int64),
                                    "kept_line": pd.Series(dtype=np.int64),
                                    "center_id": [], "table_id": []})
    if not dup_good.any():
        return [], empty_collapsed
    group = canon.iloc[good[dup_good]]
    value_cols = [c for c in group.columns
                  if c not in ("source", "line", "_empty") and not c.startswith("_")]
    row_hash = pd.util.hash_pandas_object(group[value_cols], index=False)
    distinct = row_hash.groupby([group[k] for k in key], sort=False).transform("nunique")
    conflict = distinct.to_numpy() > 1
    issues: list[_Issue] = []
    if conflict.any():
        conf = group.loc[conflict]
        rows = conf.index.to_numpy()
        shown = (conf["center_id"].fillna("") + "/" + conf["table_id"]).reset_index(drop=True)
        msg = _fmt("line {line}: table {value} appears on {lines} with different counts; "
                   "none is accepted until the conflict is resolved", pd.RangeIndex(len(rows)),
                   line=conf["line"].reset_index(drop=True), value=shown,
                   lines=_group_lines(conf, key).reset_index(drop=True))
        col = "+".join(prof.columns[k].display for k in key if k in prof.columns)
        issues.append(_Issue(rows, "duplicate_conflict", col, shown, msg))
    same = group.loc[~conflict]
    extra = same.duplicated(key, keep="first")
    dropped = same.loc[extra]
    first_line = same.groupby(key, sort=False)["line"].transform("first")
    collapsed = pd.DataFrame({
        "_row": dropped.index.to_numpy(np.int64),
        "source": dropped["source"].to_numpy(),
        "line": dropped["line"].to_numpy(np.int64),
        "kept_line": first_line.loc[extra].to_numpy(np.int64),
        "center_id": dropped["center_id"].to_numpy(),
        "table_id": dropped["table_id"].to_numpy(),
    })
    return issues, collapsed


#: Lines listed in one duplicate-conflict message (the others are counted): a message stays
#: short however many rows share a key, so the quarantine grows linearly with the file.
_LISTED_LINES = 5


def _group_lines(rows: pd.DataFrame, key: list[str]) -> pd.Series:
    """Per row, its key group's lines as text: "3 lines (2, 5, 9)", or "3,000 lines (2, 3,
    4, 5, 6 and 2,995 more)"; built once per group, listing at most :data:`_LISTED_LINES`."""
    groups = rows.groupby(key, sort=False, dropna=False)
    number = groups.ngroup().to_numpy()
    sizes = np.bincount(number)
    listed = groups.cumcount().to_numpy() < _LISTED_LINES
    firsts = rows["line"][listed].groupby(number[listed], sort=True) \
        .agg(lambda s: ", ".join(map(str, s)))
    texts = np.empty(len(sizes), dtype=object)
    for g, first in zip(firsts.index.to_numpy(np.int64), firsts.to_numpy(), strict=True):
        count = int(sizes[g])
        more = f" and {count - _LISTED_LINES:,} more" if count > _LISTED_LINES else ""
        texts[g] = f"{count:,} lines ({first}{more})"
    return pd.Series(texts[number], index=rows.index, dtype="string")


def _duplicated(codes: list[np.ndarray]) -> np.ndarray:
    """Rows whose integer key tuple occurs more than once (all of them marked).

    The codes are combined into one int64 when that cannot overflow, and a hash-based
    uniqueness test answers the common case (no duplicate at all) without a full pass.
    """
    combined = codes[0].astype(np.int64, copy=False)
    for part in codes[1:]:
        lo, hi = (int(part.min()), int(part.max())) if len(part) else (0, 0)
        span = hi - lo + 1
        c_lo, c_hi = (int(combined.min()), int(combined.max())) if len(combined) else (0, 0)
        if max(abs(c_lo), abs(c_hi)) * span + span >= 2**62:
            frame = pd.DataFrame({f"k{i}": c for i, c in enumerate(codes)}, copy=False)
            return frame.duplicated(keep=False).to_numpy()
        combined = combined * span
        combined += part
        combined -= lo
    index = pd.Index(combined, copy=False)
    if index.is_unique:
        return np.zeros(len(combined), dtype=bool)
    return index.duplicated(keep=False)


def _key_codes(canon: pd.DataFrame, column: str) -> np.ndarray:
    """Integers equal exactly where the key strings are equal (see ``text.integer_key``)."""
    hidden = f"_int_{column}"
    if hidden in canon and canon[hidden].dtype == np.int64:
        return canon[hidden].to_numpy()
    return pd.factorize(canon[column])[0]


def _issues_frame(canon: pd.DataFrame, issues: list[_Issue]) -> pd.DataFrame:
    parts = []
    for issue in issues:
        if len(issue.rows) == 0:
            continue
        parts.append(pd.DataFrame({
            "_row": issue.rows.astype(np.int64),
            "source": canon["source"].to_numpy()[issue.rows],
            "line": canon["line"].to_numpy()[issue.rows],
            "rule": issue.rule,
            "column": issue.column,
            "value": issue.values.astype("string").to_numpy(),
            "message": (issue.message + " (" + issue.rule + ")").to_numpy(),
        }))
    if not parts:
        return pd.DataFrame({"_row": pd.Series(dtype=np.int64),
                             **{c: pd.Series(dtype=np.int64 if c == "line" else "string")
                                for c in QUARANTINE_COLUMNS}})
    return pd.concat(parts, ignore_index=True)


def _to_sheet_table(accepted: pd.DataFrame, prof: Profile, elec: Election | None,
                    provenance: list[Provenance], label: str, *,
                    exact: Mapping[str, np.ndarray]) -> SheetTable:
    """The canonical table, assembled without consolidation copies: text and nullable counts
    are extension arrays, and counts read as clean integers (``exact``, valid only when every
    row is accepted) are used as they are."""
    if not accepted.index.equals(pd.RangeIndex(len(accepted))):  # pandas 3 keeps a
        accepted = accepted.reset_index(drop=True)  # RangeIndex with a step after a mask
    n = len(accepted)
    head: dict[str, Any] = {}
    levels = tuple(r.level for r in prof.regions)
    for level in levels:
        for col in (region_code_column(level), region_name_column(level)):
            if col in accepted:
                head[col] = _as_string(accepted[col])
    for col in KEY_COLUMNS:
        head[col] = _as_string(accepted[col]).fillna("")
    for col in OPTIONAL_COUNTS:
        if col in accepted:
            if col in exact:
                head[col] = pd.arrays.IntegerArray(exact[col], np.zeros(n, dtype=bool))
                continue
            values = accepted[col].to_numpy(np.float64)
            missing = np.isnan(values)
            head[col] = pd.arrays.IntegerArray(
                np.where(missing, 0, values).astype(np.int64), missing)
    parts = [pd.DataFrame(head, copy=False)]
    for col in ("valid", *(vote_column(k) for k in prof.candidates)):
        values = exact[col] if col in exact else accepted[col].to_numpy(np.float64) \
            .astype(np.int64)
        parts.append(pd.DataFrame({col: values}, copy=False))
    parts.append(pd.DataFrame({"source": _as_string(accepted["source"])}, copy=False))
    parts.append(pd.DataFrame({"line": accepted["line"].to_numpy(np.int64)}, copy=False))
    out = pd.concat(parts, axis=1)
    return SheetTable(out, candidates=tuple(prof.candidates), levels=levels, election=elec,
                      provenance=provenance, name=label, unique_keys_checked=True)


def _as_string(series: pd.Series) -> pd.Series:
    """A column as pandas ``string`` (categoricals through their few categories: fast)."""
    if isinstance(series.dtype, pd.CategoricalDtype) and len(series.cat.categories) == 1 \
            and len(series) and series.cat.codes.min() == 0:  # one label on every row
        data = str(series.cat.categories[0]).encode()
        offsets = np.arange(len(series) + 1, dtype=np.int64) * len(data)
        repeated = pa.Array.from_buffers(pa.large_string(), len(series), [
            None, pa.py_buffer(offsets), pa.py_buffer(data * len(series))])
        return to_series(repeated, series.index)
    if isinstance(series.dtype, pd.CategoricalDtype):
        labels = pa.array(series.cat.categories.astype(str).to_numpy(dtype=object),
                          type=pa.large_string())
        codes = series.cat.codes.to_numpy()
        taken = pc.take(labels, pa.array(codes, mask=codes < 0))
        return to_series(taken, series.index)
    return series if series.dtype == "string" else series.astype("string")


# --------------------------------------------------------------------------------------------
# Joining columns from another file
# --------------------------------------------------------------------------------------------


def _join(canon: pd.DataFrame, path: str | Path | Sequence[str | Path], *, on: tuple[str, ...],
          columns: Sequence[str] | None,
          profile: str | Path | Profile | None) -> tuple[pd.DataFrame, JoinReport]:
    other = read_sheets(path, profile=profile)
    odf = other.sheets.data
    for col in on:
        if col not in canon or col not in odf:
            raise ProfileError(f"cannot join on '{col}': both files need it (canonical key "
                               f"columns are {', '.join(KEY_COLUMNS)})")
    if columns is None:
        columns = [c for c in (*COUNT_COLUMNS, *(c for c in odf.columns if c.startswith("region_")))
                   if c in odf and (c not in canon or canon[c].isna().all())
                   and odf[c].notna().any()]
    else:
        bad = [c for c in columns if c not in odf]
        if bad:
            raise ProfileError(f"cannot join columns {bad}: the other file does not have them")
    right = odf[[*on, *columns]].copy()
    right["_matched"] = True
    for col in columns:
        if col in canon:
            canon = canon.drop(columns=col)
    left_keys = canon[list(on)].astype("string")
    right_keys = right[list(on)].astype("string")
    merged = left_keys.merge(right.drop(columns=list(on)).assign(**right_keys),
                             on=list(on), how="left", validate="many_to_one")
    for col in columns:
        values = merged[col]
        canon[col] = values.to_numpy(dtype=np.float64, na_value=np.nan) \
            if col in COUNT_COLUMNS else values.to_numpy()
    matched = merged["_matched"].fillna(False).to_numpy(dtype=bool)
    left_set = pd.MultiIndex.from_frame(left_keys)
    right_set = pd.MultiIndex.from_frame(right_keys)
    unmatched_other = odf.loc[~right_set.isin(left_set), [*KEY_COLUMNS, "line"]]
    report = JoinReport(
        file=other.files[0], on=on, columns=tuple(columns), matched=int(matched.sum()),
        unmatched_main=canon.loc[~matched, [*KEY_COLUMNS, "line"]].reset_index(drop=True),
        unmatched_other=unmatched_other.reset_index(drop=True),
        other_rows_read=other.rows_read, other_quarantined=other.quarantined)
    return canon, report
