"""The forensics battery: every registered sheet-level check, nationally and per region.

:func:`run_forensics` runs each check of :func:`audit.checks.registry.registered` (all
families: digits, turnout, fingerprints ...) on the whole table and on each region at one
level, skipping — with a stated reason — checks whose columns are missing, regions with too
few sheets and checks that cannot run on a subset. p-values are then adjusted with
Benjamini–Hochberg across regions *and* tests, separately for the calibrated checks
(simulation nulls, whose false-positive rate is shown on simulated clean elections) and for
the textbook checks (kept for comparison with the literature; known to flag honest
elections). Raw and adjusted p-values are both kept; evidence levels come from the adjusted
ones.

Random streams: each (scope, family) pair gets its own generator derived from the seed and
the names (not their order), so adding a region or a family does not change the others'
numbers; the checks of one family in one scope start from the same state, so the digit tests
share one Monte Carlo sample of honest redraws (see :mod:`audit.checks.digits`). Checks run
scope by scope, so that sample is drawn once per scope.

Speed: checks registered as not ``fast`` (the Klimek model fit) run nationally only unless
``slow_by_region`` is set; the others are vectorised numpy, run scope by scope.

The JSON schema of :meth:`ForensicsResult.to_dict` is documented in ``docs/json.md``
(section "forensics").
"""

from __future__ import annotations

import dataclasses
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from audit._json import jsonable
from audit._version import __version__
from audit.checks._options import DEFAULT_REFITS, DEFAULT_RESAMPLES, battery_options
from audit.checks._result import CheckResult, Evidence
from audit.checks.multiple import adjust_family
from audit.checks.registry import CheckSpec, registered
from audit.errors import AuditError
from audit.model import SheetTable, region_code_column, region_name_column

SCHEMA = "election-audit/forensics"
SCHEMA_VERSION = 1
NATIONAL = "national"
_ORDER = {e: i for i, e in enumerate((Evidence.CONSISTENT, Evidence.WEAK, Evidence.MODERATE,
                                      Evidence.STRONG, Evidence.IMPOSSIBLE))}


@dataclass(frozen=True)
class Scope:
    """Where checks ran: the whole table (``national``) or one region at ``level``."""

    key: str
    level: str | None
    code: str
    name: str
    sheets: int

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.key, "level": self.level, "code": self.code, "name": self.name,
                "sheets": self.sheets}


@dataclass(frozen=True)
class Skip:
    """A check not run in a scope, and why (one line)."""

    scope: str
    test: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "test": self.test, "reason": self.reason}


@dataclass(frozen=True)
class Entry:
    """One result of the battery with its scope and family."""

    scope: str
    family: str
    calibrated: bool
    result: CheckResult

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; the null distribution is summarised by three quantiles."""
        result = self.result
        null = getattr(result, "null_distribution", None)
        if type(result).to_dict is CheckResult.to_dict:  # skip converting the null itself
            detail = {f.name: jsonable(getattr(result, f.name))
                      for f in dataclasses.fields(result) if f.name != "null_distribution"}
            detail["sentence"] = result.sentence
        else:
            detail = result.to_dict()
            detail.pop("null_distribution", None)
        out: dict[str, Any] = {"scope": self.scope, "family": self.family,
                               "calibrated": self.calibrated}
        out.update(detail)
        if null is not None:
            finite = np.asarray(null, dtype=float).ravel()
            finite = finite[np.isfinite(finite)]
            out["null_quantiles"] = (
                {"q025": float(np.quantile(finite, 0.025)),
                 "q500": float(np.quantile(finite, 0.5)),
                 "q975": float(np.quantile(finite, 0.975))} if finite.size else None)
        return out


@dataclass(frozen=True, kw_only=True)
class ForensicsResult:
    """The battery's results: per scope and test, raw and BH-adjusted.

    Attributes
    ----------
    level : str or None
        Region level of the per-region runs (None: national only).
    seed : int or None
        Seed of every Monte Carlo null.
    n_resamples : int
        Honest redraws per simulation null.
    candidate : str
        Candidate whose counts candidate-level checks test (the national leader by default).
    alpha : float
        Level at which a (BH-adjusted) p-value counts as a flag in the summary.
    scopes, entries, skipped
        Where checks ran, their results, and what was not run with the reason.
    """

    level: str | None
    seed: int | None
    n_resamples: int
    candidate: str
    alpha: float = 0.05
    sheets: int = 0
    scopes: tuple[Scope, ...] = ()
    entries: tuple[Entry, ...] = ()
    skipped: tuple[Skip, ...] = ()
    provenance: tuple[Any, ...] = field(default_factory=tuple)

    def results_frame(self) -> pd.DataFrame:
        """One row per result: scope, test, family, null, p-values, evidence, sentence."""
        names = {s.key: (s.code, s.name) for s in self.scopes}
        return pd.DataFrame([{
            "scope": e.scope, "region_code": names[e.scope][0], "region_name": names[e.scope][1],
            "test": e.result.test, "family": e.family, "calibrated": e.calibrated,
            "null": e.result.null, "statistic": e.result.statistic, "pvalue": e.result.pvalue,
            "pvalue_adjusted": e.result.pvalue_adjusted, "effect": e.result.effect,
            "effect_unit": e.result.effect_unit, "n": e.result.n,
            "evidence": e.result.evidence.value, "sentence": e.result.sentence,
        } for e in self.entries], columns=["scope", "region_code", "region_name", "test",
                                            "family", "calibrated", "null", "statistic",
                                            "pvalue", "pvalue_adjusted", "effect",
                                            "effect_unit", "n", "evidence", "sentence"])

    def summary(self) -> pd.DataFrame:
        """One row per scope (national first, then regions in order).

        Columns: ``scope, region_code, region_name, sheets, tests, skipped, flags`` (calibrated
        results with adjusted p < alpha), ``strongest`` (highest evidence level among
        calibrated results), ``min_pvalue_adjusted`` and ``min_test`` (calibrated),
        ``textbook_flags`` (textbook results with adjusted p < alpha).
        """
        rows = []
        for scope in self.scopes:
            entries = [e for e in self.entries if e.scope == scope.key]
            calibrated = [e.result for e in entries if e.calibrated]
            textbook = [e.result for e in entries if not e.calibrated]
            adjusted = [(r.pvalue_adjusted, r.test) for r in calibrated
                        if r.pvalue_adjusted is not None]
            best = min(adjusted) if adjusted else (None, None)
            levels = [r.evidence for r in calibrated if r.evidence in _ORDER]
            rows.append({
                "scope": scope.key, "region_code": scope.code, "region_name": scope.name,
                "sheets": scope.sheets, "tests": len(entries),
                "skipped": sum(1 for s in self.skipped if s.scope == scope.key),
                "flags": sum(1 for r in calibrated if _flagged(r, self.alpha)),
                "strongest": max(levels, key=_ORDER.__getitem__).value if levels else None,
                "min_pvalue_adjusted": best[0], "min_test": best[1],
                "textbook_flags": sum(1 for r in textbook if _flagged(r, self.alpha)),
            })
        return pd.DataFrame(rows, columns=["scope", "region_code", "region_name", "sheets",
                                           "tests", "skipped", "flags", "strongest",
                                           "min_pvalue_adjusted", "min_test",
                                           "textbook_flags"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, deterministic (schema ``election-audit/forensics`` v1, docs/json.md)."""
        families = {"calibrated": sum(e.calibrated for e in self.entries),
                    "textbook": sum(not e.calibrated for e in self.entries)}
        return {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "package_version": __version__,
            "level": self.level, "seed": self.seed, "n_resamples": self.n_resamples,
            "candidate": self.candidate, "alpha": self.alpha, "sheets": self.sheets,
            "provenance": jsonable(list(self.provenance)),
            "multiple_comparisons": {"method": "benjamini-hochberg",
                                     "families": families},
            "scopes": [s.to_dict() for s in self.scopes],
            "results": [e.to_dict() for e in self.entries],
            "skipped": [s.to_dict() for s in self.skipped],
            "summary": jsonable(self.summary()),
        }


def _flagged(result: CheckResult, alpha: float) -> bool:
    p = result.pvalue_adjusted if result.pvalue_adjusted is not None else result.pvalue
    return result.evidence is Evidence.IMPOSSIBLE or (p is not None and p < alpha)


def scope_generator(seed: int | None, scope: str, family: str) -> np.random.Generator:
    """The generator of one (scope, family): derived from the seed and both names."""
    key = zlib.crc32(f"{scope}\x00{family}".encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def _regions(sheets: SheetTable, level: str) -> list[tuple[Scope, np.ndarray]]:
    if level not in sheets.levels:
        raise AuditError(f"unknown region level {level!r}; these sheets have "
                         f"{', '.join(sheets.levels) or 'no region levels'}")
    codes = sheets.data[region_code_column(level)].astype("string")
    names_col = region_name_column(level)
    table = sheets.aggregate(level)
    out = []
    for _, row in table.iterrows():
        code = row["region_code"]
        mask = (codes == code).fillna(False).to_numpy(bool) if code is not pd.NA \
            else codes.isna().to_numpy(bool)
        name = str(row["region_name"]) if names_col in sheets.data and \
            row["region_name"] is not pd.NA else ""
        code_text = "" if code is pd.NA else str(code)
        out.append((Scope(key=f"{level}:{code_text}", level=level, code=code_text, name=name,
                          sheets=int(mask.sum())), mask))
    return out


def _select(checks: Iterable[str] | None) -> list[CheckSpec]:
    specs = registered()
    if not checks:
        return specs
    wanted = list(checks)
    chosen = [s for s in specs if s.name in wanted or s.family in wanted]
    unknown = [w for w in wanted if not any(s.name == w or s.family == w for s in specs)]
    if unknown:
        raise AuditError(f"unknown check or family {', '.join(unknown)}; known families: "
                         f"{', '.join(sorted({s.family for s in specs}))}")
    return chosen


def run_forensics(sheets: SheetTable, *, by: str | None = None, seed: int | None = None,
                  n_resamples: int = DEFAULT_RESAMPLES, candidate: str | None = None,
                  checks: Sequence[str] | None = None, alpha: float = 0.05,
                  slow_by_region: bool = False, n_refits: int = DEFAULT_REFITS,
                  progress: bool | None = None) -> ForensicsResult:
    """Run the battery of registered checks nationally and per region, with BH adjustment.

    Parameters
    ----------
    sheets
        The tally sheets.
    by
        Region level of the per-region runs (None: national only).
    seed
        Seed of every Monte Carlo null (None: fresh entropy, not reproducible).
    n_resamples
        Honest redraws per simulation null.
    candidate
        Candidate key whose counts candidate-level checks test (default: national leader).
    checks
        Names or families to run (default: every registered check).
    alpha
        Level for counting flags in the summary (evidence levels do not depend on it).
    slow_by_region
        Also run the checks registered as not ``fast`` in every region (default: nationally
        only, with a stated skip per region).
    n_refits
        Refits of a fitted model per parametric bootstrap (the Klimek fit's interval).
    progress
        Show a progress bar on stderr: None (default) shows it when stderr is a terminal.

    Returns
    -------
    ForensicsResult
    """
    if len(sheets) == 0:
        raise AuditError("no tally sheets to analyse")
    if n_resamples < 1:
        raise AuditError("--n-resamples must be at least 1")
    if candidate is not None and candidate not in sheets.candidates:
        raise AuditError(f"unknown candidate {candidate!r}; known: "
                         f"{', '.join(sheets.candidates)}")
    key = candidate or sheets.leader()
    specs = _select(checks)
    scopes: list[tuple[Scope, SheetTable]] = [
        (Scope(key=NATIONAL, level=None, code=NATIONAL, name="", sheets=len(sheets)), sheets)]
    if by is not None:
        for scope, mask in _regions(sheets, by):
            scopes.append((scope, sheets.subset(mask, name=scope.key)))
    skipped: list[Skip] = []
    runnable: list[CheckSpec] = []
    for spec in specs:
        missing = [c for c in sorted(spec.needs) if not sheets.has(c)]
        if missing:
            skipped.append(Skip(NATIONAL, spec.name, f"needs {', '.join(missing)}, which "
                                f"these sheets do not state"))
        else:
            runnable.append(spec)
    plan: list[tuple[Scope, SheetTable, CheckSpec]] = []
    for scope, table in scopes:  # scope by scope: a family's redraws are shared in a scope
        for spec in runnable:
            if scope.key != NATIONAL and not spec.by_region:
                skipped.append(Skip(scope.key, spec.name, "the check runs nationally only"))
            elif scope.key != NATIONAL and not spec.fast and not slow_by_region:
                skipped.append(Skip(scope.key, spec.name, "slow check, run nationally only "
                                    "(ask for it per region with --slow-by-region)"))
            elif len(table) < spec.min_units:
                skipped.append(Skip(scope.key, spec.name, f"only {len(table)} sheets; the "
                                    f"check needs at least {spec.min_units}"))
            else:
                plan.append((scope, table, spec))
    show = sys.stderr.isatty() if progress is None else progress
    raw: list[Entry] = []
    with battery_options(n_resamples=n_resamples, candidate=key, n_refits=n_refits), \
            tqdm(total=len(plan), desc="forensics", unit="check", file=sys.stderr,
                 disable=not show, leave=False, dynamic_ncols=True) as bar:
        for scope, table, spec in plan:
            bar.set_postfix_str(f"{scope.key} {spec.name}", refresh=False)
            outcome = _run_one(scope, table, spec, seed)
            if isinstance(outcome, Entry):
                raw.append(outcome)
            else:
                skipped.append(outcome)
            bar.update(1)
    entries = _adjust(raw)
    return ForensicsResult(level=by, seed=seed, n_resamples=n_resamples, candidate=key,
                           alpha=alpha, sheets=len(sheets),
                           scopes=tuple(s for s, _ in scopes), entries=tuple(entries),
                           skipped=tuple(skipped), provenance=tuple(sheets.provenance))


def _run_one(scope: Scope, table: SheetTable, spec: CheckSpec, seed: int | None
             ) -> Entry | Skip:
    """One check in one scope: its entry, or a skip saying why it could not run."""
    try:
        result = spec.run(table, scope_generator(seed, scope.key, spec.family))
    except (ValueError, AuditError) as exc:
        return Skip(scope.key, spec.name, " ".join(str(exc).split()))
    return Entry(scope.key, spec.family, spec.calibrated, result)


def _adjust(entries: list[Entry]) -> list[Entry]:
    """Benjamini–Hochberg across scopes and tests, calibrated and textbook separately."""
    out = list(entries)
    for calibrated in (True, False):
        idx = [i for i, e in enumerate(entries) if e.calibrated is calibrated]
        adjusted = adjust_family([entries[i].result for i in idx])
        for i, result in zip(idx, adjusted, strict=True):
            e = entries[i]
            out[i] = Entry(e.scope, e.family, e.calibrated, result)
    return out


__all__ = ["SCHEMA", "SCHEMA_VERSION", "Entry", "ForensicsResult", "Scope", "Skip",
           "run_forensics", "scope_generator"]
