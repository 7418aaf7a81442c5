"""Draft a column mapping for a tally-sheet file from its header and its values.

:func:`draft_mapping` reads a sample of the file and proposes, for an election:

* **candidates**: count columns whose name matches a candidate's name, short name, key or
  party, ignoring accents, case and punctuation, partial names included ("GONZALEZ",
  "Edmundo González", "Gonz." → ``EG``); a name shared by several candidates decides
  nothing;
* **counts by content**: the column equal to the candidates' sum is the valid votes, the
  one equal to valid + another count is the ballots cast (the other being null votes unless
  its name says blank), a column above the ballots on every row is the registered voters;
  names ("Votos nulos", "Electores", ...) are used where the content cannot tell;
* **keys**: table and centre ids (by name, confirmed by their uniqueness; codes that lost a
  leading zero in a spreadsheet get ``zfill``);
* **regions**: columns named after the election's region levels (or their usual words:
  estado, provincia, municipio, parroquia, ...); a code column is checked against the
  election's list of regions, and a level numbered within its parent is made unique with
  ``join``;

and lists every column it could not map with the reason, and every candidate of the
election that has no column. The draft is a TOML file in the format of ``docs/profiles.md``
with a comment on each line saying how the column was recognised: a person checks it, then
``election-audit ingest FILE --mapping DRAFT``. Nothing here guesses silently: what is not
recognised is said.

:func:`unmapped_candidates_note` explains quarantined rows whose candidates' votes do not add
up when the mapping leaves candidates of the election out.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.ingest.numbers import OK, parse_counts
from audit.ingest.readers import RawFile, open_file
from audit.model import Election

#: Rows read to draft a mapping (enough to see every kind of value; fast on any file).
SAMPLE_ROWS = 20_000
#: Share of rows on which a relation between counts must hold to be recognised by content.
AGREEMENT = 0.9

#: Words that name each canonical column (accents and case ignored; all words of a phrase
#: must appear in the header).
COUNT_WORDS: dict[str, tuple[str, ...]] = {
    "valid": ("validos", "valid", "validas"),
    "null": ("nulos", "null", "nul", "nuls", "invalid", "invalidos", "spoiled", "anulados"),
    "blank": ("blancos", "blank", "blanco", "en blanco", "blanc", "blancs"),
    "voters": ("votantes", "voters", "sufragantes", "emitidos", "ballots", "boletas",
               "participantes", "total votos", "papeletas", "cast"),
    "registered": ("electores", "inscritos", "registered", "padron", "habilitados",
                   "electorado", "re", "electors", "eligible", "registrados"),
}
KEY_WORDS: dict[str, tuple[str, ...]] = {
    "table_id": ("mesa", "table", "station", "jrv", "uik", "casilla", "urna", "mesas"),
    "center_id": ("centro", "center", "centre", "recinto", "local", "colegio", "escuela",
                  "polling place", "precinct"),
}
#: Usual words for region levels (matched with the level names of the election itself).
LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "state": ("estado", "state", "entidad", "edo"),
    "province": ("provincia", "province", "prov"),
    "department": ("departamento", "department", "depto"),
    "region": ("region", "oblast", "regiao"),
    "municipality": ("municipio", "municipality", "municipalidad", "mun", "comuna",
                     "canton", "county"),
    "district": ("distrito", "district", "dist", "circunscripcion", "raion"),
    "parish": ("parroquia", "parish", "par", "ward"),
}
#: Words saying a column holds codes rather than names.
CODE_WORDS = ("cod", "codigo", "code", "id", "no", "num", "numero", "nro", "n", "cd")


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces ("Cód. Edo" → "cod edo")."""
    plain = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def _words(text: str) -> list[str]:
    return fold(text).split()


def _has_phrase(words: Sequence[str], phrase: str) -> bool:
    wanted = phrase.split()
    return all(w in words for w in wanted)


@dataclass(frozen=True)
class Mapped:
    """One mapped column: the source rule (as TOML) and how it was recognised."""

    rule: str
    how: str


@dataclass
class Draft:
    """A drafted mapping: what was mapped, how, and what was not."""

    name: str
    file: str
    election: str
    election_id: str
    delimiter: str | None
    rows_sampled: int
    columns: dict[str, Mapped] = field(default_factory=dict)
    candidates: dict[str, Mapped] = field(default_factory=dict)
    regions: list[tuple[str, Mapped, Mapped | None]] = field(default_factory=list)
    unmapped: dict[str, str] = field(default_factory=dict)  # header column -> why
    missing_candidates: dict[str, str] = field(default_factory=dict)  # key -> name
    notes: list[str] = field(default_factory=list)

    def to_toml(self) -> str:
        """The mapping file, each line commented with how its column was recognised."""
        lines = [f"# Drafted by 'election-audit profile new' from {self.file} "
                 f"({self.rows_sampled:,} rows read). Check every line, then run",
                 f"#   election-audit ingest {self.file} --mapping <this file>",
                 "# and read the quarantine. Format: docs/profiles.md.",
                 f"name = {_q(self.name)}",
                 f"title = {_q('Tally sheets of ' + self.file)}",
                 f"election = {_q(self.election)}",
                 f"source_label = {_q(self.name)}"]
        if self.delimiter:
            lines.append(f"delimiter = {_q(self.delimiter)}")
        lines += ["", "[columns]"]
        for key, m in self.columns.items():
            lines.append(f"{key} = {m.rule}   # {m.how}")
        for level, code, name in self.regions:
            lines += ["", "[[regions]]", f"level = {_q(level)}",
                      f"code = {code.rule}   # {code.how}"]
            if name is not None:
                lines.append(f"name = {name.rule}   # {name.how}")
        lines += ["", "[candidates]"]
        for key, m in self.candidates.items():
            lines.append(f"{_bare(key)} = {m.rule}   # {m.how}")
        if self.missing_candidates:
            lines += ["", f"# Candidates of {self.election} with no column in this file:"]
            lines += [f"#   {k} ({v})" for k, v in self.missing_candidates.items()]
        if self.unmapped:
            lines += ["", "# Columns not mapped:"]
            lines += [f"#   {c}: {why}" for c, why in self.unmapped.items()]
        for note in self.notes:
            lines += ["", f"# Note: {note}"]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        def m(x: Mapped) -> dict[str, str]:
            return {"rule": x.rule, "how": x.how}

        return {"schema": "election-audit/profile-draft", "schema_version": 1,
                "name": self.name, "file": self.file, "election": self.election,
                "rows_sampled": self.rows_sampled,
                "columns": {k: m(v) for k, v in self.columns.items()},
                "candidates": {k: m(v) for k, v in self.candidates.items()},
                "regions": [{"level": lv, "code": m(c), "name": m(n) if n else None}
                            for lv, c, n in self.regions],
                "unmapped": dict(self.unmapped),
                "missing_candidates": dict(self.missing_candidates),
                "notes": list(self.notes)}


def _q(text: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _bare(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _q(key)


# --------------------------------------------------------------------------------------------
# Reading a sample
# --------------------------------------------------------------------------------------------


def _sample(raw: RawFile, rows: int) -> pd.DataFrame:
    """Up to ``rows`` rows of every column, as text (empty cells as "")."""
    if raw.format == "csv":
        frame = pd.read_csv(raw.path, encoding=raw.encoding, sep=raw.delimiter, dtype=str,
                            keep_default_na=False, na_values=[], nrows=rows)
    else:
        frame = raw.read(raw.header).head(rows)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda s: s.where(s.notna(), "").astype(str).str.strip())


@dataclass(frozen=True)
class _Profile:
    """What the values of one column look like."""

    column: str
    words: tuple[str, ...]
    counts: np.ndarray | None  # parsed whole numbers (NaN where not), None if not numeric
    filled: int
    distinct: int
    digits_only: bool
    lengths: tuple[int, int]
    leading_zero: bool = False
    letters: float = 0.0  # share of filled cells holding a letter


def _describe(frame: pd.DataFrame) -> list[_Profile]:
    out = []
    for col in frame.columns:
        text = frame[col]
        filled = text != ""
        n_filled = int(filled.sum())
        parsed = parse_counts(text)
        ok = (parsed.problem == OK) & filled.to_numpy()
        numeric = n_filled > 0 and ok.sum() >= 0.95 * n_filled and \
            bool((parsed.values[ok] >= 0).all())
        digits = bool(text[filled].str.fullmatch(r"\d+").all()) if n_filled else False
        lengths = text[filled].str.len()
        out.append(_Profile(
            column=col, words=tuple(_words(col)),
            counts=np.where(ok, parsed.values, np.nan) if numeric else None,
            filled=n_filled, distinct=int(text[filled].nunique()), digits_only=digits,
            lengths=(int(lengths.min()), int(lengths.max())) if n_filled else (0, 0),
            leading_zero=digits and bool(text[filled].str.match(r"0\d").any()),
            letters=float(text[filled].str.contains(r"[^\W\d_]").mean()) if n_filled
            else 0.0))
    return out


# --------------------------------------------------------------------------------------------
# Candidates by name
# --------------------------------------------------------------------------------------------


def _candidate_words(election: Election) -> dict[str, set[str]]:
    """Distinctive words of each candidate: names, short name, key, parties (words of 3+
    letters, or the key itself); words shared by several candidates are dropped."""
    words: dict[str, set[str]] = {}
    for c in election.candidates:
        found = {fold(c.key)}
        for text in (c.name, c.short_name or "", *c.parties):
            found.update(w for w in _words(text) if len(w) >= 3 and not w.isdigit())
        words[c.key] = {w for w in found if w}
    counts: dict[str, int] = {}
    for ws in words.values():
        for w in ws:
            counts[w] = counts.get(w, 0) + 1
    return {k: {w for w in ws if counts[w] == 1} for k, ws in words.items()}


def _score(header: Sequence[str], words: set[str]) -> int:
    """How strongly a header names a candidate: whole words count 3, a partial word (at least
    four letters, a prefix of the candidate's word) counts 1."""
    score = 0
    for h in header:
        if h in words:
            score += 3
        elif len(h) >= 4 and any(w.startswith(h) for w in words):
            score += 1
    return score


def _match_candidates(profiles: Sequence[_Profile], election: Election,
                      used: set[str]) -> dict[str, tuple[str, str]]:
    """Candidate key -> (column, how), one column per candidate, best matches first."""
    words = _candidate_words(election)
    names = {c.key: c.name for c in election.candidates}
    pairs = []
    for p in profiles:
        if p.counts is None or p.column in used:
            continue
        for key, ws in words.items():
            s = _score(p.words, ws)
            if s:
                pairs.append((-s, p.column, key))
    chosen: dict[str, tuple[str, str]] = {}
    taken: set[str] = set()
    for neg, column, key in sorted(pairs):
        if key in chosen or column in taken:
            continue
        # a column naming two candidates equally well decides nothing
        rivals = [k for s, c, k in pairs if c == column and s == neg and k != key]
        if rivals:
            continue
        how = "the candidate's key" if fold(column) == fold(key) else \
            f"name of {names[key]}" if -neg >= 3 else f"partial name of {names[key]}"
        chosen[key] = (column, how)
        taken.add(column)
    order = [c.key for c in election.candidates]
    return {k: chosen[k] for k in order if k in chosen}


# --------------------------------------------------------------------------------------------
# Counts by content, then by name
# --------------------------------------------------------------------------------------------


def _agrees(a: np.ndarray, b: np.ndarray) -> float:
    both = ~np.isnan(a) & ~np.isnan(b)
    return float((a[both] == b[both]).mean()) if both.any() else 0.0


def _named(p: _Profile, words: Sequence[str]) -> bool:
    return any(_has_phrase(p.words, w) for w in words)


def _counts(profiles: Sequence[_Profile], cand_sum: np.ndarray | None,
            used: set[str]) -> dict[str, tuple[str, str]]:
    """Canonical counts -> (column, how): by content where the numbers tell, else by name."""
    numeric = {p.column: p.counts for p in profiles
               if p.counts is not None and p.column not in used}
    named = {key: [p.column for p in profiles if p.column in numeric and _named(p, words)]
             for key, words in COUNT_WORDS.items()}
    found: dict[str, tuple[str, str]] = {}

    def take(key: str, column: str, how: str) -> None:
        found[key] = (column, how)
        used.add(column)

    def free() -> list[str]:
        return [c for c in numeric if c not in used]

    valid = cand_sum
    if cand_sum is not None:
        agreement = {c: _agrees(numeric[c], cand_sum) for c in free()}
        best = max(agreement, key=lambda c: agreement[c], default=None)
        if best is not None and agreement[best] >= AGREEMENT:
            take("valid", best, f"equals the candidates' sum on {100 * agreement[best]:.1f}% "
                                f"of rows")
    if "valid" not in found and named["valid"]:
        take("valid", named["valid"][0], "by name" if cand_sum is None else
             "by name (differs from the candidates' sum: is a candidate missing?)")
    if "valid" in found:
        valid = numeric[found["valid"][0]]
    if valid is not None:  # ballots = valid + one or two other counts
        _ballots(numeric, valid, free, named["blank"], take)
    for key in ("voters", "null", "blank", "registered"):
        left = [c for c in named[key] if c not in used]
        if key not in found and left:
            take(key, left[0], "by name")
    ballots = numeric[found["voters"][0]] if "voters" in found else valid
    if "registered" not in found and ballots is not None:
        for column in free():
            counts = numeric[column]
            above = _share(counts >= ballots, counts, ballots)
            ratio = ballots / np.where(counts > 0, counts, np.nan)
            if above >= 0.98 and 0.2 < float(np.nanmedian(ratio)) < 0.99 \
                    and float(np.nanmax(counts)) < 100_000:
                take("registered", column, f"above the ballots on {100 * above:.1f}% of rows")
                break
    return found


def _ballots(numeric: Mapping[str, np.ndarray], valid: np.ndarray, free: Any,
             blank_named: Sequence[str], take: Any) -> None:
    """The column equal to valid + one or two other counts: the ballots cast, the others
    null (or blank, when so named) votes."""
    for column in free():
        others = [c for c in free() if c != column]
        combos: list[tuple[str, ...]] = [(o,) for o in others]
        combos += [(a, b) for i, a in enumerate(others) for b in others[i + 1:]]
        for combo in combos:
            total = valid + sum(np.nan_to_num(numeric[c]) for c in combo)
            share = _agrees(numeric[column], total)
            if share >= AGREEMENT and float(np.nanmean(numeric[column])) > 0:
                take("voters", column, f"equals valid + {' + '.join(combo)} on "
                                       f"{100 * share:.1f}% of rows")
                kinds = ["blank" if c in blank_named else "null" for c in combo]
                if kinds.count("null") == 2:
                    kinds[1] = "blank"
                for c, kind in zip(combo, kinds, strict=True):
                    take(kind, c, "by content: the rest of the ballots"
                         + ("; named blank" if kind == "blank" else ""))
                return


def _share(mask: np.ndarray, *arrays: np.ndarray) -> float:
    known = np.ones(len(mask), dtype=bool)
    for a in arrays:
        known &= ~np.isnan(a)
    return float(mask[known].mean()) if known.any() else 0.0


# --------------------------------------------------------------------------------------------
# Keys and regions
# --------------------------------------------------------------------------------------------


def _text_rule(p: _Profile) -> tuple[str, str]:
    """A key or code column as a TOML rule: digit codes get ``zfill`` when some lost a
    leading zero in a spreadsheet, or when they have leading zeros a reader that takes them
    for numbers would drop."""
    lo, hi = p.lengths
    if p.digits_only and ((hi >= 6 and lo == hi - 1) or (p.leading_zero and lo == hi)):
        why = "restored" if lo < hi else "kept"
        return (f"{{ column = {_q(p.column)}, zfill = {hi} }}",
                f"; leading zeros {why} ({hi} digits)")
    return _q(p.column), ""


def _keys(profiles: Sequence[_Profile], frame: pd.DataFrame,
          used: set[str]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for key in ("table_id", "center_id"):
        for p in profiles:
            if p.column not in used and _named(p, KEY_WORDS[key]) and p.filled:
                found[key] = (p.column, "by name")
                used.add(p.column)
                break
    if "table_id" in found:
        cols = [found[k][0] for k in ("center_id", "table_id") if k in found]
        dup = frame.duplicated(cols).mean() if cols else 0.0
        tag = " and ".join(cols)
        found["table_id"] = (found["table_id"][0], found["table_id"][1] + (
            f"; {tag} identify every row" if dup == 0 else
            f"; {tag} repeat on {100 * dup:.1f}% of rows (duplicates or a missing key part)"))
    return found


def _level_words(level: str) -> tuple[str, ...]:
    own = fold(level)
    return (own, *LEVEL_WORDS.get(own, ()))


def _is_code(p: _Profile) -> bool:
    """Codes: named so ("Cód.", "ID"), or short values that are mostly not words."""
    return any(w in CODE_WORDS for w in p.words) or (p.lengths[1] <= 12 and p.letters < 0.5)


def _regions(profiles: Sequence[_Profile], frame: pd.DataFrame, election: Election,
             used: set[str], unmapped: dict[str, str]
             ) -> list[tuple[str, Mapped, Mapped | None]]:
    out: list[tuple[str, Mapped, Mapped | None]] = []
    parents: list[str] = []  # source columns that identify the region one level up
    for level in election.region_levels:
        words = _level_words(level)
        named = [p for p in profiles if p.column not in used and p.filled
                 and any(w in p.words for w in words)]
        code = next((p for p in named if _is_code(p)), None)
        name = next((p for p in named if not _is_code(p)), None)
        if code is None and name is None:
            continue
        known = {r.code for r in election.regions_at(level)}
        column = code if code is not None else name
        assert column is not None
        rule, how = _q(column.column), "by name"
        if known:
            values = frame[column.column][frame[column.column] != ""]
            hit = float(values.isin(known).mean())
            stripped = float(values.str.lstrip("0").isin(known).mean())
            if stripped > hit and stripped >= AGREEMENT:
                rule, hit = f"{{ column = {_q(column.column)}, lstrip = \"0\" }}", stripped
            if hit < AGREEMENT:
                what = "codes" if code is not None else "names"
                unmapped[column.column] = (
                    f"holds {level} {what}, but only {100 * hit:.1f}% are {level} codes of "
                    f"{election.id}; the mapping needs a column of those codes")
                continue
            how = f"{100 * hit:.1f}% of values are {level} codes of {election.id}"
        elif parents and _within_parent(frame, parents, column.column):
            rule = f"{{ join = [{', '.join(_q(c) for c in [*parents, column.column])}]" \
                   f", sep = \".\" }}"
            how = f"repeat under different {out[-1][0]} codes: joined to them"
        if code is None:
            how = f"{level} names (no code column){'; ' + how if 'joined' in how else ''}"
        used.add(column.column)
        name_rule = None
        if name is not None:
            used.add(name.column)
            name_rule = Mapped(_q(name.column), "by name")
        out.append((level, Mapped(rule, how), name_rule))
        parents.append(column.column)
    return out


def _within_parent(frame: pd.DataFrame, parents: Sequence[str], column: str) -> bool:
    """Whether the values of ``column`` repeat under different parent regions."""
    pairs = frame[[*parents, column]].drop_duplicates()
    return bool(pairs[column].duplicated().any())


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def draft_mapping(path: str | Path, election: Election, *, election_ref: str,
                  name: str | None = None, rows: int = SAMPLE_ROWS) -> Draft:
    """Draft a mapping of ``path`` for ``election`` (see the module docstring).

    ``election_ref`` is what the mapping's ``election`` field says (a bundled case name, or
    the path of the case's ``election.toml`` relative to where the mapping is written).
    """
    path = Path(path)
    raw = open_file(path)
    frame = _sample(raw, rows)
    profiles = _describe(frame)
    draft = Draft(name=name or fold(path.stem).replace(" ", "-") or "mapping",
                  file=path.name, election=election_ref, election_id=election.id,
                  delimiter=raw.delimiter if raw.format == "csv" else None,
                  rows_sampled=len(frame))
    used: set[str] = set()
    keys = _keys(profiles, frame, used)
    for key in ("center_id", "table_id"):
        if key in keys:
            p = next(q for q in profiles if q.column == keys[key][0])
            rule, extra = _text_rule(p)
            draft.columns[key] = Mapped(rule, keys[key][1] + extra)
    if "table_id" not in draft.columns:
        draft.notes.append("no table id column was recognised: add table_id under [columns] "
                           "(the column that, with center_id, identifies a tally sheet)")
    unmapped: dict[str, str] = {}
    draft.regions = _regions(profiles, frame, election, used, unmapped)
    candidates = _match_candidates(profiles, election, used)
    for key, (column, how) in candidates.items():
        draft.candidates[key] = Mapped(_q(column), how)
        used.add(column)
    cand_sum = None
    counts = {p.column: p.counts for p in profiles if p.counts is not None}
    if candidates:
        cand_sum = np.sum([np.nan_to_num(counts[c]) for c, _ in candidates.values()], axis=0)
    for key, (column, how) in _counts(profiles, cand_sum, used).items():
        draft.columns[key] = Mapped(_q(column), how)
    order = ("center_id", "table_id", "registered", "voters", "valid", "null", "blank")
    draft.columns = {k: draft.columns[k] for k in order if k in draft.columns}
    draft.missing_candidates = {c.key: c.name for c in election.candidates
                                if c.key not in draft.candidates}
    for p in profiles:
        if p.column in used or p.column in unmapped:
            continue
        if not p.filled:
            unmapped[p.column] = "empty"
        elif p.counts is not None:
            unmapped[p.column] = "numbers, but not a count or candidate recognised"
        else:
            unmapped[p.column] = "text, not a key or region recognised"
    draft.unmapped = {c: unmapped[c] for c in frame.columns if c in unmapped}
    if not draft.candidates:
        draft.notes.append(f"no column matched a candidate of {election.id}; map them under "
                           f"[candidates] (keys: {', '.join(election.candidate_keys)})")
    return draft


def unmapped_candidates_note(candidates: Sequence[str], election: Election | None,
                             reasons: Mapping[str, int], mapping: str) -> str | None:
    """A sentence for quarantined ``candidate_sum_mismatch`` rows when the mapping leaves
    candidates of the election out (None when that is not the case)."""
    if election is None or not reasons.get("candidate_sum_mismatch"):
        return None
    missing = [c for c in election.candidates if c.key not in candidates]
    if not missing:
        return None
    listed = ", ".join(f"{c.key} ({c.name})" for c in missing)
    return (f"{reasons['candidate_sum_mismatch']:,} rows were quarantined because the "
            f"candidates' votes do not add up to the valid votes, and mapping '{mapping}' "
            f"has no column for {len(missing)} candidate(s) of {election.id}: {listed}; map "
            f"them under [candidates] ('election-audit cases show {election.id}' lists the "
            f"keys)")


__all__ = ["Draft", "Mapped", "draft_mapping", "fold", "unmapped_candidates_note"]
