"""Read tally sheets into a :class:`~audit.model.SheetTable`, losing nothing.

Every row read ends in exactly one of three places: the accepted table, the quarantine (with
one or more reasons a person can act on: line, column, value, rule) or the list of identical
duplicates that were collapsed into an accepted row. The identity
``rows_read == accepted + quarantined + duplicates_collapsed`` is verified before returning.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit._version import __version__
from audit.cases import load_election
from audit.errors import InputFileError, ProfileError
from audit.ingest.numbers import MISSING, OK, PROBLEM_RULES, parse_counts
from audit.ingest.profiles import (
    ColumnRule,
    Profile,
    detect_profile,
    get_profile,
    resolve_header,
)
from audit.ingest.readers import RawFile, open_file
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
    "missing_value": "A required cell is empty.",
    "not_integer": "A count is not a whole number.",
    "ambiguous_number": "A count could be read with '.' or ',' as thousands or as decimal "
                        "separator, and the column does not say which.",
    "negative_count": "A count is negative.",
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
    2: "line {line}: column {column} holds '{value}', which is not a whole number",
    3: "line {line}: column {column} holds '{value}'; it could mean {value} as a decimal or as "
       "thousands; write the number without separators",
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
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def read_sheets(paths: str | Path | Sequence[str | Path], *,
                profile: str | Path | Profile | None = None,
                election: Election | str | None = None,
                join: str | Path | None = None,
                join_on: Sequence[str] = KEY_COLUMNS,
                join_columns: Sequence[str] | None = None,
                join_profile: str | Path | Profile | None = None) -> IngestResult:
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

    frames, provenance = [], []
    label = prof.source_label or files[0].stem
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing releases the GIL
        digests = [pool.submit(sha256_file, raw.path) for raw in raws]
        for raw, digest in zip(raws, digests, strict=True):
            source = label if len(raws) == 1 else f"{label}/{raw.path.name}"
            canon, issues = _canonicalise(raw, prof, elec, source)
            frames.append((canon, issues))
            provenance.append(Provenance(
                path=raw.path.name, sha256=digest.result(), bytes=raw.path.stat().st_size,
                rows_read=len(canon), profile=prof.name, encoding=raw.encoding,
                delimiter=raw.delimiter))
    canon = pd.concat([f[0] for f in frames], ignore_index=True)
    issues = [i for f in frames for i in f[1]]
    rows_read = len(canon)

    join_report = None
    if join is not None:
        canon, join_report = _join(canon, join, on=tuple(join_on), columns=join_columns,
                                   profile=join_profile)

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

    sheets = _to_sheet_table(canon if keep.all() else canon.loc[keep], prof, elec,
                             provenance, label)
    quarantine = (quarantine.sort_values(["_row", "rule"], kind="stable")
                  .drop(columns="_row").reset_index(drop=True))
    duplicates = collapsed.drop(columns="_row").reset_index(drop=True)
    result = IngestResult(sheets=sheets, quarantine=quarantine, duplicates=duplicates,
                          profile=prof, rows_read=rows_read, files=tuple(provenance),
                          join=join_report)
    if result.accepted + result.quarantined + result.duplicates_collapsed != rows_read:
        raise RuntimeError(  # a bug in this module, never an input problem
            f"ingest accounting broken: {rows_read} read != {result.accepted} accepted + "
            f"{result.quarantined} quarantined + {result.duplicates_collapsed} collapsed")
    return result


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


def _text(series: pd.Series) -> pd.Series:
    """Values as trimmed strings, missing as NA (numbers keep their integer spelling)."""
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("string")
    if pd.api.types.is_float_dtype(series.dtype):
        whole = series.dropna()
        if (whole == whole.round()).all():
            return series.astype("Int64").astype("string")
    out = series.astype("string").str.strip()
    return out.mask(out == "")


def _all_missing(frame: pd.DataFrame) -> np.ndarray:
    """Rows where every cell is missing (column by column: no wide copy of the frame)."""
    empty = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        empty &= frame[col].isna().to_numpy()
        if not empty.any():
            break
    return empty


def _row_sum(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Sum of float columns row by row (NaN propagates), without stacking them."""
    total = np.zeros(len(frame))
    for col in columns:
        total = total + frame[col].to_numpy(np.float64)
    return total


def _apply_text(rule: ColumnRule, frame: pd.DataFrame, cols: Mapping[str, str]) -> pd.Series:
    if rule.op == "const":
        return pd.Series(rule.const, index=frame.index, dtype="string")
    if rule.op == "join":
        parts = [_text(frame[cols[c]]) for c in rule.sources]
        out = parts[0]
        for p in parts[1:]:
            out = out + rule.sep + p
    else:
        out = _text(frame[cols[rule.sources[0]]])
    if rule.split is not None:
        out = out.str.split(rule.split, regex=False).str[rule.part or 0]
    if rule.slice is not None:
        out = out.str.slice(rule.slice[0], rule.slice[1])
    if rule.lstrip is not None:
        stripped = out.str.lstrip(rule.lstrip)
        out = stripped.mask((stripped == "") & out.notna(), rule.lstrip[:1])
    if rule.zfill is not None:
        out = out.str.zfill(rule.zfill)
    if rule.replace is not None:
        out = out.str.replace(rule.replace[0], rule.replace[1], regex=True)
    return out


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


def _fmt(template: str, index: pd.Index, **parts: pd.Series | str) -> pd.Series:
    """Vectorised ``str.format``: one message per row."""
    out = pd.Series("", index=index, dtype="string")
    for piece in re.split(r"(\{\w+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            value = parts[piece[1:-1]]
            out = out + (value.astype("string").fillna("") if isinstance(value, pd.Series)
                         else str(value))
        elif piece:
            out = out + piece
    return out


def _parse_source(raw: RawFile, frame: pd.DataFrame, column: str,
                  text_cache: dict[str, pd.Series]) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Parse one source column of counts; CSV columns that are not clean integers are re-read
    as text so that thousand separators are never misread by the CSV parser."""
    series = frame[column]
    if raw.format == "csv" and not pd.api.types.is_integer_dtype(series.dtype):
        if column not in text_cache:
            text_cache[column] = raw.read([column], as_text=[column])[column]
        series = text_cache[column]
    parsed = parse_counts(series)
    return parsed.values, parsed.problem, series


def _canonicalise(raw: RawFile, prof: Profile, elec: Election | None,
                  source: str) -> tuple[pd.DataFrame, list[_Issue]]:
    cols = resolve_header(prof, raw.header)
    frame = raw.read(sorted(set(cols.values())))
    n = len(frame)
    index = pd.RangeIndex(n)
    frame.index = index
    lines = pd.Series(np.arange(n, dtype=np.int64) + raw.first_line(), index=index)
    canon: dict[str, Any] = {}  # built as a dict, turned into a frame once
    issues: list[_Issue] = []
    text_cache: dict[str, pd.Series] = {}

    empty = _all_missing(frame)
    if empty.any():
        rows = np.flatnonzero(empty)
        issues.append(_Issue(rows, "empty_row", "", pd.Series([""] * len(rows)),
                             _fmt("line {line}: the row is empty", pd.RangeIndex(len(rows)),
                                  line=lines.iloc[rows].reset_index(drop=True))))

    def problem_issues(problem: np.ndarray, raw_values: pd.Series, display: str,
                       required: bool) -> None:
        if not problem.any():
            return
        for code, template in _PROBLEM_TEMPLATES.items():
            if code == MISSING and not required:
                continue
            mask = (problem == code) & ~empty
            if not mask.any():
                continue
            rows = np.flatnonzero(mask)
            values = raw_values.iloc[rows].reset_index(drop=True)
            msg = _fmt(template, pd.RangeIndex(len(rows)),
                       line=lines.iloc[rows].reset_index(drop=True), column=display, value=values)
            issues.append(_Issue(rows, PROBLEM_RULES[code], display, values, msg))

    # Keys and regions (text).
    for target in KEY_COLUMNS:
        rule = prof.columns.get(target)
        canon[target] = (_apply_text(rule, frame, cols) if rule is not None
                         else pd.Series("", index=index, dtype="string"))
        if target == "table_id" or rule is not None:
            missing = canon[target].isna().to_numpy() & ~empty
            display = rule.display if rule else target
            if missing.any():
                rows = np.flatnonzero(missing)
                issues.append(_Issue(
                    rows, "missing_value", display, pd.Series([""] * len(rows)),
                    _fmt("line {line}: column {column} is empty, but it identifies the table",
                         pd.RangeIndex(len(rows)), line=lines.iloc[rows].reset_index(drop=True),
                         column=display)))
    for region in prof.regions:
        canon[region_code_column(region.level)] = _apply_text(region.code, frame, cols)
        if region.name is not None:
            canon[region_name_column(region.level)] = _apply_text(region.name, frame, cols)
        elif elec is not None and elec.regions_at(region.level):
            names = {r.code: r.name for r in elec.regions_at(region.level)}
            canon[region_name_column(region.level)] = (
                canon[region_code_column(region.level)].map(names).astype("string"))

    # Counts.
    targets: list[tuple[str, ColumnRule, bool]] = []
    for target in COUNT_COLUMNS:
        if target in prof.columns:
            required = target not in prof.optional
            targets.append((target, prof.columns[target], required))
    for key, rule in prof.candidates.items():
        targets.append((vote_column(key), rule, vote_column(key) not in prof.optional))
    for target, rule, required in targets:
        if rule.op == "from_percent":
            count, _, raw_count = _parse_source(raw, frame, cols[rule.sources[0]], text_cache)
            pct = pd.to_numeric(frame[cols[rule.sources[1]]], errors="coerce").to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(pct > 0, np.round(count * 100.0 / pct), np.nan)
            problem = np.where(np.isnan(values), MISSING, OK).astype(np.int8)
            problem_issues(problem, raw_count, rule.display, required)
        else:
            values = np.zeros(n)
            for src in rule.sources:
                v, p, raw_values = _parse_source(raw, frame, cols[src], text_cache)
                problem_issues(p, raw_values, src, required)
                values = values + v
        canon[target] = values
        negative = (values < 0) & ~empty
        if negative.any():
            rows = np.flatnonzero(negative)
            shown = pd.Series(values[rows]).astype("int64").astype("string")
            issues.append(_Issue(rows, "negative_count", rule.display, shown, _fmt(
                "line {line}: column {column} is {value}; counts cannot be negative",
                pd.RangeIndex(len(rows)), line=lines.iloc[rows].reset_index(drop=True),
                column=rule.display, value=shown)))

    excluded = np.zeros(n, dtype=bool)
    excl_issues: list[_Issue] = []
    for excl in prof.exclusions:
        flag = _text(frame[cols[excl.column]]).fillna("")  # equals = [""] matches empty cells
        hit = flag.isin(excl.equals).to_numpy() & ~empty
        if hit.any():
            excluded |= hit
            rows = np.flatnonzero(hit)
            shown = flag.iloc[rows].reset_index(drop=True)
            said = ("'" + shown + "'").where(shown != "", "empty")
            excl_issues.append(_Issue(rows, "excluded_by_source", excl.column, shown, _fmt(
                "line {line}: column {column} is {said}: " + excl.reason,
                pd.RangeIndex(len(rows)), line=lines.iloc[rows].reset_index(drop=True),
                column=excl.column, said=said)))
    if excluded.any():  # a row the source excludes is quarantined for that reason only
        issues = [kept for issue in issues if (kept := _drop_rows(issue, excluded)) is not None]
    issues += excl_issues

    canon["source"] = pd.Series(source, index=index, dtype="string")
    canon["line"] = lines
    canon["_empty"] = empty | excluded
    if "valid" not in prof.columns:
        canon["valid"] = sum(canon[vote_column(k)] for k in prof.candidates)
    return pd.DataFrame(canon, index=index, copy=False), issues


# --------------------------------------------------------------------------------------------
# Row rules on the canonical frame
# --------------------------------------------------------------------------------------------


def _row_rules(canon: pd.DataFrame, prof: Profile, elec: Election | None) -> list[_Issue]:
    issues: list[_Issue] = []
    lines = canon["line"]
    empty = canon["_empty"].to_numpy()
    cand_sum = _row_sum(canon, [vote_column(k) for k in prof.candidates])
    valid = canon["valid"].to_numpy(np.float64)
    def display(c: str) -> str:
        return prof.columns[c].display if c in prof.columns else c

    def add(mask: np.ndarray, rule: str, column: str, value: np.ndarray, template: str,
            **extra: np.ndarray) -> None:
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

    if "valid" in prof.columns:
        add(cand_sum != valid, "candidate_sum_mismatch", display("valid"), valid,
            "line {line}: the candidates' votes add up to {sum} but {column} says {value}",
            sum=cand_sum)
    stated = valid + sum(np.nan_to_num(canon[c].to_numpy(np.float64)) if c in canon else 0.0
                         for c in ("null", "blank"))
    if "voters" in canon:
        voters = canon["voters"].to_numpy(np.float64)
        parts = ["valid"] + [c for c in ("null", "blank") if c in canon]
        what = " + ".join(parts)
        add(voters != stated, "ballot_sum_mismatch", display("voters"), voters,
            "line {line}: " + what + " = {total} but {column} says {value}", total=stated)
        ballots = np.where(np.isnan(voters), stated, voters)
    else:
        ballots = stated
    if "registered" in canon:
        registered = canon["registered"].to_numpy(np.float64)
        add(ballots > registered, "voters_exceed_registered", display("registered"), registered,
            "line {line}: {ballots} ballots cast but only {value} voters registered "
            "(column {column})", ballots=ballots)
    if elec is not None:
        for region in prof.regions:
            known = {r.code for r in elec.regions_at(region.level)}
            if not known:
                continue
            codes = canon[region_code_column(region.level)]
            unknown = (~codes.isin(known) & codes.notna()).to_numpy()
            if unknown.any():
                rows = np.flatnonzero(unknown & ~empty)
                shown = codes.iloc[rows].reset_index(drop=True)
                issues.append(_Issue(rows, "unknown_region", region.code.display, shown, _fmt(
                    "line {line}: {level} code '{value}' (column {column}) is not a region "
                    "of " + elec.id, pd.RangeIndex(len(rows)),
                    line=lines.iloc[rows].reset_index(drop=True), level=region.level,
                    column=region.code.display, value=shown)))
    return issues


def _duplicates(canon: pd.DataFrame, bad: np.ndarray,
                prof: Profile) -> tuple[list[_Issue], pd.DataFrame]:
    """Identical duplicate keys are collapsed (first kept); conflicting ones quarantined."""
    key = list(KEY_COLUMNS)
    clean = canon.loc[~bad]
    dup = clean.duplicated(key, keep=False)
    empty_collapsed = pd.DataFrame({"_row": pd.Series(dtype=np.int64), "source": [],
                                    "line": pd.Series(dtype=np.int64),
                                    "kept_line": pd.Series(dtype=np.int64),
                                    "center_id": [], "table_id": []})
    if not dup.any():
        return [], empty_collapsed
    group = clean.loc[dup]
    value_cols = [c for c in group.columns
                  if c not in ("source", "line", "_empty") and not c.startswith("_")]
    row_hash = pd.util.hash_pandas_object(group[value_cols], index=False)
    distinct = row_hash.groupby([group[k] for k in key], sort=False).transform("nunique")
    conflict = distinct.to_numpy() > 1
    issues: list[_Issue] = []
    if conflict.any():
        conf = group.loc[conflict]
        lines_by_key = (conf.groupby(key, sort=False)["line"]
                        .transform(lambda s: ", ".join(map(str, s))))
        rows = conf.index.to_numpy()
        shown = (conf["center_id"].fillna("") + "/" + conf["table_id"]).reset_index(drop=True)
        msg = _fmt("line {line}: table {value} appears on lines {lines} with different counts; "
                   "none is accepted until the conflict is resolved", pd.RangeIndex(len(rows)),
                   line=conf["line"].reset_index(drop=True), value=shown,
                   lines=lines_by_key.reset_index(drop=True))
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
                    provenance: list[Provenance], label: str) -> SheetTable:
    if not isinstance(accepted.index, pd.RangeIndex) or accepted.index.start != 0:
        accepted = accepted.reset_index(drop=True)
    columns: dict[str, Any] = {}
    levels = tuple(r.level for r in prof.regions)
    for level in levels:
        for col in (region_code_column(level), region_name_column(level)):
            if col in accepted:
                columns[col] = accepted[col].astype("string")
    for col in KEY_COLUMNS:
        columns[col] = accepted[col].fillna("").astype("string")
    for col in COUNT_COLUMNS:
        if col in accepted:
            values = accepted[col].to_numpy(np.float64)
            if col in OPTIONAL_COUNTS:
                missing = np.isnan(values)
                columns[col] = pd.arrays.IntegerArray(
                    np.where(missing, 0, values).astype(np.int64), missing)
            else:
                columns[col] = values.astype(np.int64)
    for key in prof.candidates:
        columns[vote_column(key)] = accepted[vote_column(key)].to_numpy(np.float64) \
            .astype(np.int64)
    columns["source"] = accepted["source"].astype("string")
    columns["line"] = accepted["line"].to_numpy(np.int64)
    out = pd.DataFrame(columns)
    return SheetTable(out, candidates=tuple(prof.candidates), levels=levels, election=elec,
                      provenance=provenance, name=label, unique_keys_checked=True)


# --------------------------------------------------------------------------------------------
# Joining columns from another file
# --------------------------------------------------------------------------------------------


def _join(canon: pd.DataFrame, path: str | Path, *, on: tuple[str, ...],
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
