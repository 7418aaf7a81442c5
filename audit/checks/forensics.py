"""The forensics battery: every registered sheet-level check, nationally and per region,
for the candidates that matter, with one multiple-testing policy and one verdict.

:func:`run_forensics` runs each check of :func:`audit.checks.registry.registered` (all
families: digits, turnout, fingerprints ...) on the whole table and on each region at one
level, skipping — with a stated reason — checks whose columns are missing, regions with too
few sheets and checks that cannot run on a subset.

Candidates (:func:`candidates_to_test`): the checks registered as ``per_candidate`` (those
that ballot stuffing for one candidate moves: the corner test, integer percentages, the
fingerprint, the turnout–share correlation, Shpilkin's estimate ...) run for the leader on the
sheets, the winner the authority declared (``declared_winner`` in ``election.toml``) and every
candidate with at least :data:`CANDIDATE_SHARE` of the valid votes on the sheets; the others
(digit tests ...) run for the first of them. ``candidates=`` narrows the list.

p-values are adjusted by :func:`audit.checks.multiple.adjust`, the one policy of the package
(``docs/results.md``): the calibrated national results (tests × candidates) form the primary
family, regional results are adjusted within each (test, candidate) across regions, and
uncalibrated or textbook results are descriptive (no evidence label). :meth:`ForensicsResult.
verdict` summarises the national family: flagged or not, the strongest evidence, and the
findings ranked with the test behind each.

Random streams: each (scope, family) pair — and (scope, family, candidate) for checks run per
candidate — gets its own generator derived from the seed and the names (not their order), so
adding a region, a candidate or a family does not change the others' numbers; the checks of
one family in one scope start from the same state, so the digit tests share one sequence of
honest redraws (see :mod:`audit.checks.digits`). Checks registered with ``national_draws``
(the digit tests) go further when regions are run: every scope uses the national generator
and the national redraws, counted per region (:class:`audit.checks.null.NationalDraws`), so
the regions cost no redraws of their own and the national results are the same with or
without regions. Checks run scope by scope.

Speed: checks registered as not ``fast`` (the Klimek model fit) run nationally only unless
``slow_by_region`` is set; the others are vectorised numpy, run scope by scope.

The JSON schema of :meth:`ForensicsResult.to_dict` is documented in ``docs/json.md``
(section "forensics").
"""

from __future__ import annotations

import dataclasses
import html
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from tqdm import tqdm

from audit._json import jsonable
from audit._random import stream
from audit._version import __version__
from audit.checks._cache import DrawCache
from audit.checks._options import DEFAULT_REFITS, DEFAULT_RESAMPLES, BatteryOptions
from audit.checks._threads import single_blas_thread
from audit.checks.multiple import NATIONAL, adjust
from audit.checks.multiple import summary as policy_summary
from audit.checks.null import NationalDraws
from audit.checks.registry import CheckSpec, registered
from audit.checks.result import CheckResult, Evidence, Message, _short
from audit.errors import AuditError
from audit.model import SheetTable, region_code_column, region_name_column

SCHEMA = "election-audit/forensics"
SCHEMA_VERSION = 2
#: Candidates with at least this share of the valid votes on the sheets are tested by the
#: per-candidate checks (besides the leader and the declared winner): a candidate with a
#: fifth of the vote is a contender whom stuffing could serve.
CANDIDATE_SHARE = 0.20
_ORDER = {e: i for i, e in enumerate((Evidence.NOT_TESTED, Evidence.CONSISTENT, Evidence.WEAK,
                                      Evidence.MODERATE, Evidence.STRONG,
                                      Evidence.IMPOSSIBLE))}


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
    """A check not run in a scope (for a candidate), and why (one line)."""

    scope: str
    test: str
    reason: str
    candidate: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "test": self.test, "candidate": self.candidate,
                "reason": self.reason}


@dataclass(frozen=True)
class Entry:
    """One result of the battery with its family; ``reason`` says why an uncalibrated
    result is descriptive (:data:`audit.checks.registry.UNCALIBRATED_REASONS`)."""

    scope: str
    family: str
    calibrated: bool
    result: CheckResult
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; the null distribution is summarised by three quantiles."""
        result = self.result
        null = getattr(result, "null_distribution", None)
        skip = {"null_distribution"}
        if type(result).to_dict is CheckResult.to_dict:  # skip converting the null itself
            detail = {f.name: jsonable(getattr(result, f.name))
                      for f in dataclasses.fields(result)
                      if f.name not in skip and f.metadata.get("json", True)}
            detail["sentence"] = result.sentence
        else:
            detail = result.to_dict()
            for key in skip:
                detail.pop(key, None)
        out: dict[str, Any] = {"scope": self.scope, "family": self.family,
                               "calibrated": self.calibrated,
                               "descriptive_reason": self.reason or None}
        out.update(detail)
        out["scope"] = self.scope
        if null is not None:
            finite = np.asarray(null, dtype=float).ravel()
            finite = finite[np.isfinite(finite)]
            out["null_quantiles"] = (
                {"q025": float(np.quantile(finite, 0.025)),
                 "q500": float(np.quantile(finite, 0.5)),
                 "q975": float(np.quantile(finite, 0.975))} if finite.size else None)
        return out


@dataclass(frozen=True)
class Finding:
    """One calibrated result that gives evidence against honest counting."""

    test: str
    candidate: str | None
    scope: str
    scope_name: str
    pvalue: float | None
    pvalue_adjusted: float | None
    pvalue_method: str | None
    z: float | None
    evidence: Evidence
    effect: float | None
    effect_unit: str
    message: Message

    @classmethod
    def of(cls, entry: Entry, scope_name: str = "") -> Finding:
        r = entry.result
        return cls(test=r.test, candidate=r.candidate, scope=entry.scope,
                   scope_name=scope_name, pvalue=r.pvalue, pvalue_adjusted=r.pvalue_adjusted,
                   pvalue_method=r.pvalue_method, z=r.z, evidence=r.evidence,
                   effect=r.effect, effect_unit=r.effect_unit, message=r.message)

    def to_dict(self) -> dict[str, Any]:
        return {"test": self.test, "candidate": self.candidate, "scope": self.scope,
                "scope_name": self.scope_name, "pvalue": self.pvalue,
                "pvalue_adjusted": self.pvalue_adjusted, "pvalue_method": self.pvalue_method,
                "z": self.z, "evidence": self.evidence.value, "effect": self.effect,
                "effect_unit": self.effect_unit, "message": self.message.to_dict()}


@dataclass(frozen=True)
class Verdict:
    """The national verdict of a battery (:func:`verdict_of`).

    Attributes
    ----------
    flagged : bool
        Some calibrated national result has an adjusted p-value below ``alpha``.
    strongest : Evidence
        The highest evidence level among calibrated national results (``consistent`` when
        none is flagged; ``not_tested`` when no calibrated test ran).
    alpha : float
        The level of a flag.
    candidates : tuple of str
        The candidates tested.
    family_size : int
        Calibrated national results adjusted together (the primary family).
    findings : tuple of Finding
        Flagged national results, strongest first (adjusted p, then larger ``z``).
    regional : tuple of Finding
        Flagged regional results (adjusted within their test and candidate), strongest
        first: where the evidence lies.
    """

    flagged: bool
    strongest: Evidence
    alpha: float
    candidates: tuple[str, ...]
    family_size: int
    findings: tuple[Finding, ...] = ()
    regional: tuple[Finding, ...] = ()

    @property
    def message(self) -> Message:
        """The verdict in one sentence (``forensics.verdict.*``)."""
        if not self.flagged:
            return Message("forensics.verdict.not_flagged",
                           {"alpha": 100 * self.alpha, "tests": self.family_size,
                            "candidates": ", ".join(self.candidates)})
        top = self.findings[0]
        strongest = top.evidence.value if top.evidence in (
            Evidence.WEAK, Evidence.MODERATE, Evidence.STRONG, Evidence.IMPOSSIBLE) else "weak"
        return Message(f"forensics.verdict.flagged_{strongest}", {
            "count": len(self.findings), "tests": self.family_size,
            "test": top.test, "candidate": top.candidate or "—",
            "p": top.pvalue_adjusted, "z": top.z if top.z is not None else float("nan")})

    def to_dict(self) -> dict[str, Any]:
        return {"flagged": self.flagged, "strongest": self.strongest.value,
                "alpha": self.alpha, "candidates": list(self.candidates),
                "family_size": self.family_size,
                "findings": [f.to_dict() for f in self.findings],
                "regional": [f.to_dict() for f in self.regional],
                "message": self.message.to_dict()}


def _rank(finding: Finding) -> tuple[float, float, str, str]:
    return (finding.pvalue_adjusted if finding.pvalue_adjusted is not None else 1.0,
            -(finding.z if finding.z is not None else 0.0), finding.test,
            finding.candidate or "")


def verdict_of(entries: Sequence[Entry], *, alpha: float = 0.05,
               candidates: Sequence[str] = (), scopes: Sequence[Scope] = ()) -> Verdict:
    """The verdict of adjusted battery entries: the one place it is computed (the CLI
    summary, :meth:`ForensicsResult.verdict` and the report read it from here)."""
    names = {s.key: s.name or s.code for s in scopes}
    national = [e for e in entries if e.calibrated and e.scope == NATIONAL
                and e.result.pvalue is not None]
    flagged = [Finding.of(e) for e in national if _flagged(e.result, alpha)]
    regional = [Finding.of(e, names.get(e.scope, e.scope)) for e in entries
                if e.calibrated and e.scope != NATIONAL and _flagged(e.result, alpha)]
    levels = [e.result.evidence for e in national]
    strongest = max(levels, key=_ORDER.__getitem__) if levels else Evidence.NOT_TESTED
    return Verdict(flagged=bool(flagged), strongest=strongest, alpha=alpha,
                   candidates=tuple(candidates), family_size=len(national),
                   findings=tuple(sorted(flagged, key=_rank)),
                   regional=tuple(sorted(regional, key=_rank)))


@dataclass(frozen=True, kw_only=True)
class ForensicsResult:
    """The battery's results: per scope, test and candidate, raw and adjusted.

    Attributes
    ----------
    level : str or None
        Region level of the per-region runs (None: national only).
    seed : int or None
        Seed of every Monte Carlo null.
    n_resamples : int
        Most honest redraws per sequential Monte Carlo null.
    candidates : tuple of str
        Candidates tested by the per-candidate checks (:func:`candidates_to_test`), the
        first of them also by the others.
    declared_winner : str or None
        The winner declared by the authority (from the election metadata), when known.
    alpha : float
        Level at which an adjusted p-value counts as a flag.
    scopes, entries, skipped
        Where checks ran, their results, and what was not run with the reason.
    """

    level: str | None
    seed: int | None
    n_resamples: int
    candidates: tuple[str, ...]
    declared_winner: str | None = None
    alpha: float = 0.05
    sheets: int = 0
    scopes: tuple[Scope, ...] = ()
    entries: tuple[Entry, ...] = ()
    skipped: tuple[Skip, ...] = ()
    provenance: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def candidate(self) -> str:
        """The first candidate tested (the leader unless ``candidates`` says otherwise)."""
        return self.candidates[0]

    def verdict(self) -> Verdict:
        """The national verdict (:class:`Verdict`)."""
        return verdict_of(self.entries, alpha=self.alpha, candidates=self.candidates,
                          scopes=self.scopes)

    def __repr__(self) -> str:
        """One line: what ran and the verdict (the entries are in ``entries`` and
        :meth:`results_frame`)."""
        verdict = self.verdict()
        return (f"ForensicsResult(sheets={self.sheets:,}, level={self.level!r}, "
                f"scopes={len(self.scopes)}, candidates={self.candidates!r}, "
                f"results={len(self.entries)}, skipped={len(self.skipped)}, "
                f"seed={self.seed!r}, n_resamples={self.n_resamples}, "
                f"flagged={verdict.flagged}, strongest={verdict.strongest.value!r})")

    def _repr_html_(self) -> str:
        """The battery in a notebook: the verdict, the national results by adjusted p-value
        and the summary per scope."""
        frame = self.results_frame()
        national = frame[frame["scope"] == NATIONAL].sort_values(
            ["pvalue_adjusted", "pvalue"], na_position="last", kind="stable")[
            ["test", "candidate", "statistic", "z", "pvalue", "pvalue_adjusted",
             "pvalue_method", "evidence"]]
        parts = [f"<div><strong>ForensicsResult</strong>: {self.sheets:,} sheets, "
                 f"{len(self.scopes)} scope{'s' if len(self.scopes) != 1 else ''}, "
                 f"{len(self.entries):,} results, {len(self.skipped):,} skipped, seed "
                 f"{html.escape(str(self.seed))}",
                 f"<p>{html.escape(self.verdict().message.render('en'))}</p>",
                 national.to_html(index=False, float_format=_short, border=0, na_rep="")]
        if len(self.scopes) > 1:
            parts.append("<details><summary>summary per scope</summary>"
                         + self.summary().to_html(index=False, float_format=_short, border=0,
                                                  na_rep="")
                         + "</details>")
        return "".join(parts) + "</div>"

    def results_frame(self) -> pd.DataFrame:
        """One row per result: scope, test, candidate, family, null, p-values (raw, adjusted,
        method), z, evidence, sentence."""
        names = {s.key: (s.code, s.name) for s in self.scopes}
        columns = ["scope", "region_code", "region_name", "test", "candidate", "family",
                   "calibrated", "null", "statistic", "pvalue", "pvalue_adjusted",
                   "pvalue_method", "z", "effect", "effect_unit", "n", "evidence",
                   "descriptive_reason", "sentence"]
        return pd.DataFrame([{
            "scope": e.scope, "region_code": names[e.scope][0],
            "region_name": names[e.scope][1], "test": e.result.test,
            "candidate": e.result.candidate, "family": e.family, "calibrated": e.calibrated,
            "null": e.result.null, "statistic": e.result.statistic, "pvalue": e.result.pvalue,
            "pvalue_adjusted": e.result.pvalue_adjusted,
            "pvalue_method": e.result.pvalue_method, "z": e.result.z,
            "effect": e.result.effect, "effect_unit": e.result.effect_unit, "n": e.result.n,
            "evidence": e.result.evidence.value, "descriptive_reason": e.reason or None,
            "sentence": e.result.sentence,
        } for e in self.entries], columns=columns)

    def summary(self) -> pd.DataFrame:
        """One row per scope (national first, then regions in order).

        Columns: ``scope, region_code, region_name, sheets, tests, skipped, flags``
        (calibrated results with adjusted p < alpha), ``strongest`` (highest evidence level
        among calibrated results), ``min_pvalue_adjusted``, ``min_test`` and
        ``min_candidate`` (the calibrated result with the smallest adjusted p),
        ``descriptive`` (results shown without evidence label).
        """
        rows = []
        for scope in self.scopes:
            entries = [e for e in self.entries if e.scope == scope.key]
            calibrated = [e.result for e in entries if e.calibrated]
            adjusted = [(r.pvalue_adjusted, r.test, r.candidate or "") for r in calibrated
                        if r.pvalue_adjusted is not None]
            best = min(adjusted) if adjusted else (None, None, None)
            levels = [r.evidence for r in calibrated if r.pvalue_adjusted is not None]
            rows.append({
                "scope": scope.key, "region_code": scope.code, "region_name": scope.name,
                "sheets": scope.sheets, "tests": len(entries),
                "skipped": sum(1 for s in self.skipped if s.scope == scope.key),
                "flags": sum(1 for r in calibrated if _flagged(r, self.alpha)),
                "strongest": max(levels, key=_ORDER.__getitem__).value if levels else None,
                "min_pvalue_adjusted": best[0], "min_test": best[1],
                "min_candidate": best[2] or None,
                "descriptive": sum(1 for e in entries if not e.calibrated),
            })
        return pd.DataFrame(rows, columns=["scope", "region_code", "region_name", "sheets",
                                           "tests", "skipped", "flags", "strongest",
                                           "min_pvalue_adjusted", "min_test",
                                           "min_candidate", "descriptive"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, deterministic (schema ``election-audit/forensics`` v2, docs/json.md)."""
        results = [e.result for e in self.entries]
        calibrated = [e.calibrated for e in self.entries]
        return {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "package_version": __version__,
            "level": self.level, "seed": self.seed, "n_resamples": self.n_resamples,
            "candidate": self.candidate, "candidates": list(self.candidates),
            "declared_winner": self.declared_winner, "alpha": self.alpha,
            "sheets": self.sheets, "provenance": jsonable(list(self.provenance)),
            "multiple_comparisons": policy_summary(results, calibrated),
            "verdict": self.verdict().to_dict(),
            "scopes": [s.to_dict() for s in self.scopes],
            "results": [e.to_dict() for e in self.entries],
            "skipped": [s.to_dict() for s in self.skipped],
            "summary": jsonable(self.summary()),
        }


def _flagged(result: CheckResult, alpha: float) -> bool:
    if result.evidence is Evidence.IMPOSSIBLE:
        return True
    p = result.pvalue_adjusted
    return p is not None and p < alpha


def scope_generator(seed: int | None, scope: str, family: str,
                    candidate: str | None = None) -> np.random.Generator:
    """The generator of one (scope, family) — or (scope, family, candidate) for a check run
    per candidate: derived from the seed and the names."""
    name = f"{scope}\x00{family}" if candidate is None else \
        f"{scope}\x00{family}\x00{candidate}"
    return stream(seed, name)


def battery_rng(seed: int | None, test: str, *, candidate: str | None = None,
                scope: str = NATIONAL) -> np.random.Generator:
    """The random generator :func:`run_forensics` gives ``test`` in ``scope``: passed as
    ``rng=`` to the test's public function, it gives the battery's raw p-value.

    >>> battery = run_forensics(sheets, seed=7)                          # doctest: +SKIP
    >>> alone = second_digit_test(sheets, rng=battery_rng(7, "digits.second_digit"))
    ... # doctest: +SKIP

    Parameters
    ----------
    seed
        The battery's seed (``seed=``; the command line's ``--seed``).
    test
        A registered check, e.g. ``"digits.second_digit"`` (the ``test`` of its result).
    candidate
        The candidate, for a check the battery runs per candidate (``per_candidate`` in the
        registry: the corner test, integer percentages ...), which draws from a stream of
        its own for each.
    scope
        ``"national"`` or a region, ``"<level>:<code>"`` (run the test on that region's
        sheets).

    Raises
    ------
    ValueError
        For an unknown test, a per-candidate test without ``candidate``, or a regional
        digit test: the battery's regions share the national redraws
        (:class:`audit.checks.null.NationalDraws`), so a region's digit p-value comes from
        the battery alone.
    """
    specs = {s.name: s for s in registered()}
    if test not in specs:
        raise ValueError(f"test={test!r} is not a registered check; see "
                         "checks.registered() for their names")
    spec = specs[test]
    if spec.per_candidate and candidate is None:
        raise ValueError(f"candidate= is needed: the battery runs {test} for each candidate "
                         "tested, each from its own stream")
    if spec.national_draws and scope != NATIONAL:
        raise ValueError(f"scope={scope!r}: the battery's regional {test} results count the "
                         "national redraws per region; no stream reproduces them alone")
    return scope_generator(seed, scope, spec.family,
                           candidate if spec.per_candidate else None)


def candidates_to_test(sheets: SheetTable, *, min_share: float = CANDIDATE_SHARE,
                       declared_winner: str | None = None) -> tuple[str, ...]:
    """The candidates the per-candidate checks test, in order: the leader on the sheets,
    the declared winner (``declared_winner``, else the election metadata's), then every
    other candidate with at least ``min_share`` of the valid votes, by share."""
    votes = sheets.votes.sum(axis=0).astype(float)
    total = float(votes.sum())
    order = [sheets.candidates[i] for i in np.argsort(-votes, kind="stable")]
    chosen = [sheets.leader()]
    declared = declared_winner
    if declared is None and sheets.election is not None:
        declared = sheets.election.declared_winner
    if declared is not None and declared in sheets.candidates and declared not in chosen:
        chosen.append(declared)
    shares = dict(zip(sheets.candidates, votes / total if total > 0 else votes, strict=True))
    chosen += [c for c in order if c not in chosen and shares[c] >= min_share]
    return tuple(chosen)


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
                  n_resamples: int = DEFAULT_RESAMPLES,
                  candidates: Sequence[str] | None = None, candidate: str | None = None,
                  checks: Sequence[str] | None = None, alpha: float = 0.05,
                  slow_by_region: bool = False, n_refits: int = DEFAULT_REFITS,
                  min_share: float = CANDIDATE_SHARE,
                  progress: bool | None = None,
                  cache: DrawCache | None = None) -> ForensicsResult:
    """Run the battery of registered checks nationally and per region, for the candidates
    that matter, adjusted by the package's multiple-testing policy.

    Parameters
    ----------
    sheets
        The tally sheets.
    by
        Region level of the per-region runs (None: national only).
    seed
        Seed of every Monte Carlo null (None: fresh entropy, not reproducible).
    n_resamples
        Most honest redraws per sequential Monte Carlo null (:mod:`audit.checks.pvalues`).
    candidates
        Candidate keys to test (default: :func:`candidates_to_test`); the per-candidate
        checks run for each, the other candidate-level checks for the first.
    candidate
        One candidate to test (the same as ``candidates=[candidate]``).
    checks
        Names or families to run (default: every registered check).
    alpha
        Level of a flag in the summary and the verdict (evidence levels do not depend on it).
    slow_by_region
        Also run the checks registered as not ``fast`` in every region (default: nationally
        only, with a stated skip per region).
    n_refits
        Refits of a fitted model per parametric bootstrap (the Klimek fit's interval).
    min_share
        Share of the valid votes from which a candidate is tested by default.
    progress
        Show a progress bar on stderr: None (default) shows it when stderr is a terminal.
    cache
        The :class:`~audit.checks._cache.DrawCache` the checks share their redraws through
        (default: a new one for this run; pass one to share draws between runs on the same
        sheets and seed). The numbers do not depend on it.

    Returns
    -------
    ForensicsResult
    """
    _check_arguments(sheets, seed=seed, n_resamples=n_resamples)
    if candidate is not None:
        candidates = [candidate, *(c for c in candidates or () if c != candidate)]
    if candidates:
        unknown = [c for c in candidates if c not in sheets.candidates]
        if unknown:
            raise AuditError(f"unknown candidate {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(sheets.candidates)}")
        tested = tuple(dict.fromkeys(candidates))
    else:
        tested = candidates_to_test(sheets, min_share=min_share)
    specs = _select(checks)
    scopes: list[tuple[Scope, SheetTable]] = [
        (Scope(key=NATIONAL, level=None, code=NATIONAL, name="", sheets=len(sheets)), sheets)]
    draws: dict[str, NationalDraws] = {}
    if by is not None:
        regions = _regions(sheets, by)
        for scope, mask in regions:
            scopes.append((scope, sheets.subset(mask, name=scope.key)))
        draws = _national_draws(sheets, regions)
    skipped: list[Skip] = []
    runnable: list[CheckSpec] = []
    for spec in specs:
        missing = [c for c in sorted(spec.needs) if not sheets.has(c)]
        if missing:
            skipped.append(Skip(NATIONAL, spec.name, f"needs {', '.join(missing)}, which "
                                f"these sheets do not state"))
        else:
            runnable.append(spec)
    plan: list[tuple[Scope, SheetTable, CheckSpec, str | None]] = []
    for scope, table in scopes:  # scope by scope: a family's redraws are shared in a scope
        for spec in runnable:
            if scope.key != NATIONAL and not spec.by_region:
                skipped.append(Skip(scope.key, spec.name, "the check runs nationally only"))
            elif scope.key != NATIONAL and not spec.fast and not slow_by_region:
                skipped.append(Skip(scope.key, spec.name, "slow check, run nationally only "
                                    "(per region with slow_by_region=True; on the "
                                    "command line, --slow-by-region)"))
            elif len(table) < spec.min_units:
                skipped.append(Skip(scope.key, spec.name, f"only {len(table)} sheets; the "
                                    f"check needs at least {spec.min_units}"))
            elif spec.per_candidate:
                plan += [(scope, table, spec, c) for c in tested]
            else:
                plan.append((scope, table, spec, None))
    show = sys.stderr.isatty() if progress is None else progress
    raw: list[Entry] = []
    options = BatteryOptions(n_resamples=n_resamples, candidate=tested[0], n_refits=n_refits,
                             cache=DrawCache() if cache is None else cache)
    with single_blas_thread(), tqdm(total=len(plan), desc="forensics", unit="check",
                                    file=sys.stderr, disable=not show, leave=False,
                                    dynamic_ncols=True) as bar:
        for scope, table, spec, cand in plan:
            bar.set_postfix_str(f"{scope.key} {spec.name}", refresh=False)
            outcome = _run_one(scope, table, spec, seed, cand, options,
                               draws.get(scope.key) if spec.national_draws else None)
            if isinstance(outcome, Entry):
                raw.append(outcome)
            else:
                skipped.append(outcome)
            bar.update(1)
    declared = sheets.election.declared_winner if sheets.election is not None else None
    return ForensicsResult(level=by, seed=seed, n_resamples=n_resamples, candidates=tested,
                           declared_winner=declared, alpha=alpha, sheets=len(sheets),
                           scopes=tuple(s for s, _ in scopes), entries=tuple(adjust_entries(raw)),
                           skipped=tuple(skipped), provenance=tuple(sheets.provenance))


def _check_arguments(sheets: object, *, seed: object, n_resamples: int) -> None:
    """Raise, naming the parameter, for arguments the battery cannot run with."""
    if not isinstance(sheets, SheetTable):
        raise TypeError(f"sheets= must be tally sheets (a SheetTable), got "
                        f"{type(sheets).__name__}: load them with audit.data.load_source, or "
                        "build them from arrays with checks.sheets_from_arrays")
    if len(sheets) == 0:
        raise AuditError("no tally sheets to analyse")
    if n_resamples < 1:
        raise AuditError("n_resamples= must be at least 1", parameters=("n_resamples",))
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise AuditError(f"seed= must be a non-negative integer or None, got {seed!r}",
                         parameters=("seed",))


def _national_draws(sheets: SheetTable, regions: Sequence[tuple[Scope, np.ndarray]]
                    ) -> dict[str, NationalDraws]:
    """Per scope key, where checks registered with ``national_draws`` take their null: the
    national redraws counted per region (:class:`audit.checks.null.NationalDraws`). Empty
    when the regions do not partition the sheets."""
    codes = np.full(len(sheets), -1, dtype=np.int64)
    for i, (_, mask) in enumerate(regions):
        codes[mask & (codes < 0)] = i
    if len(sheets) == 0 or codes.min() < 0:
        return {}
    base = NationalDraws(sheets, codes, len(regions))
    out = {NATIONAL: base}
    for i, (scope, _) in enumerate(regions):
        out[scope.key] = dataclasses.replace(base, region=i)
    return out


def _run_one(scope: Scope, table: SheetTable, spec: CheckSpec, seed: int | None,
             candidate: str | None, options: BatteryOptions,
             shared: NationalDraws | None = None) -> Entry | Skip:
    """One check in one scope (for one candidate): its entry, or a skip saying why.

    With ``shared`` the check draws its null from the national generator of its family
    (the national redraws, counted per region)."""
    rng = scope_generator(seed, NATIONAL if shared is not None else scope.key, spec.family,
                          candidate)
    if candidate is not None:
        options = dataclasses.replace(options, candidate=candidate)
    try:
        if shared is None:
            result = spec.run(table, rng, options)
        else:  # registered with ``national_draws``: a runner that takes ``shared``
            result = cast(Any, spec.run)(table, rng, options, shared=shared)
    except (ValueError, AuditError) as exc:
        return Skip(scope.key, spec.name, " ".join(str(exc).split()), candidate)
    if candidate is not None and result.candidate is None:
        result = dataclasses.replace(result, candidate=candidate)
    result = dataclasses.replace(result, scope=scope.key).named(table.election)
    return Entry(scope.key, spec.family, spec.calibrated, result, spec.uncalibrated)


def adjust_entries(entries: Sequence[Entry]) -> list[Entry]:
    """Battery entries with :func:`audit.checks.multiple.adjust` applied (the one policy)."""
    adjusted = adjust([e.result for e in entries], [e.calibrated for e in entries])
    return [dataclasses.replace(e, result=r) for e, r in zip(entries, adjusted, strict=True)]


__all__ = ["CANDIDATE_SHARE", "NATIONAL", "SCHEMA", "SCHEMA_VERSION", "Entry", "Finding",
           "ForensicsResult", "Scope", "Skip", "Verdict", "adjust_entries", "battery_rng",
           "candidates_to_test", "run_forensics", "scope_generator", "verdict_of"]
