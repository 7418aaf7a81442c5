"""One run of the forensics battery, shared by the digit, turnout and fingerprint sections.

The report runs every registered sheet-level check (:mod:`audit.checks.forensics`) once:

* nationally, every check whose columns the sheets state, for the candidates that matter
  (:func:`audit.checks.forensics.candidates_to_test`), exactly as ``election-audit forensics`` does;
* in each top-level region, the main calibrated checks (:data:`REGIONAL`: the last- and
  second-digit tests against honest redraws and the integer-percentage test), unless
  ``ReportOptions.regional`` is off. The other digit tests, slow model fits (Klimek et al.)
  and descriptive or textbook checks run nationally only, which keeps a national election
  with tens of thousands of tables within seconds (``benchmarks/bench_report.py``).

Every Monte Carlo null uses at most ``ReportOptions.n_resamples`` redraws (the package's one
default, :data:`audit.checks.DEFAULT_RESAMPLES`); the battery derives each (scope,
family) stream from the report's seed and the names, so adding a family or a region never
changes another's numbers. p-values are adjusted by the package's one policy
(:func:`audit.checks.forensics.adjust_entries`, :mod:`audit.checks.multiple`): the national results
form the same family as in ``election-audit forensics``, so the report and the command give
the same raw and adjusted p-values for every national result with the same sheets and seed,
and regional results are adjusted within each (test, candidate) across regions. A regional
result carries its scope in ``params["scope"]`` (``"state:13"``) and the region's name in
``params["scope_name"]``. :meth:`Battery.verdict` is the national verdict of
:func:`audit.checks.forensics.verdict_of`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from audit.checks import DrawCache
from audit.checks.forensics import (
    NATIONAL,
    Entry,
    Scope,
    Skip,
    Verdict,
    adjust_entries,
    candidates_to_test,
    run_forensics,
    verdict_of,
)
from audit.checks.registry import CheckSpec, registered
from audit.checks.result import CheckResult
from audit.errors import AuditError
from audit.model import SheetTable
from audit.report.context import ReportContext

if TYPE_CHECKING:
    from audit.simulate.calibrate import CalibrationSummary

CACHE_KEY = "forensics"
#: Checks also run in each top-level region (when registered, fast, calibrated and
#: meaningful by region).
REGIONAL = ("digits.last_digit", "digits.second_digit", "turnout.integer_percentages")


@dataclass(frozen=True)
class Battery:
    """The battery's results for the report.

    ``entries`` hold every result (adjusted, scope in ``params``); ``level`` is the region
    level of the regional runs (None when there were none).
    """

    entries: tuple[Entry, ...]
    scopes: tuple[Scope, ...]
    skipped: tuple[Skip, ...]
    level: str | None
    n_resamples: int
    candidates: tuple[str, ...]
    regional_tests: tuple[str, ...]

    @property
    def candidate(self) -> str:
        """The first candidate tested (the leader on the sheets unless told otherwise)."""
        return self.candidates[0]

    def family(self, family: str, *, scope: str | None = None,
               all_candidates: bool = False) -> list[CheckResult]:
        """Results of ``family`` (all scopes, or one: ``"national"`` or ``"state:13"``); of
        the first candidate only (and of checks not about one candidate) unless
        ``all_candidates``."""
        return [e.result for e in self.entries
                if e.family == family and (scope is None or e.scope == scope)
                and (all_candidates or e.result.candidate in (None, self.candidate))]

    def national(self, family: str) -> dict[str, CheckResult]:
        """National results of ``family`` for the first candidate, by test id."""
        return {r.test: r for r in self.family(family, scope=NATIONAL)}

    def verdict(self, alpha: float = 0.05) -> Verdict:
        """The national verdict (the same as ``election-audit forensics`` gives)."""
        return verdict_of(self.entries, alpha=alpha, candidates=self.candidates,
                          scopes=self.scopes)

    def calibrated(self, test: str) -> bool:
        return any(e.calibrated for e in self.entries if e.result.test == test)

    def regions(self) -> list[Scope]:
        return [s for s in self.scopes if s.key != NATIONAL]

    def not_run(self, family: str) -> int:
        """National checks of ``family`` skipped (too few sheets, columns missing ...)."""
        prefix = f"{family}."
        return sum(s.scope == NATIONAL and s.test.startswith(prefix) for s in self.skipped)


def _split(ctx: ReportContext) -> tuple[list[str], list[str]]:
    skip = set(ctx.options.skip_checks)
    known = {s.name for s in registered()} | {s.family for s in registered()}
    if skip - known:
        raise AuditError(f"unknown check or family to skip: {', '.join(sorted(skip - known))}; "
                         f"known families: {', '.join(sorted({s.family for s in registered()}))}")
    specs: Sequence[CheckSpec] = [s for s in registered()
                                  if s.name not in skip and s.family not in skip]
    sheets = ctx.sheets
    regional = []
    if ctx.options.regional and sheets is not None and sheets.levels:
        regional = [s.name for s in specs if s.name in REGIONAL and s.fast and s.by_region
                    and s.calibrated]
    return regional, [s.name for s in specs if s.name not in regional]


def _scoped(entry: Entry, names: dict[str, str]) -> Entry:
    if entry.scope == NATIONAL:
        return entry
    params = {**entry.result.params, "scope": entry.scope, "scope_name": names[entry.scope]}
    return dataclasses.replace(entry, result=dataclasses.replace(entry.result, params=params))


#: Batteries of the last reports, so that the same sheets reported in a second language (or
#: format) are not analysed again. Results depend only on the key, so this changes no number.
_MEMO: OrderedDict[tuple[object, ...], Battery] = OrderedDict()
_MEMO_SIZE = 2


def fingerprint(sheets: SheetTable) -> str:
    """A digest of the sheets' contents (columns, values and order) and of the election
    metadata they carry (candidate names appear in the results' sentences)."""
    digest = hashlib.sha256(repr((list(sheets.data.columns), sheets.election)).encode())
    digest.update(pd.util.hash_pandas_object(sheets.data, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def battery(ctx: ReportContext) -> Battery:
    """Run (once per report, and once per sheets and options) the registered checks on
    ``ctx.sheets``."""
    if CACHE_KEY in ctx.cache:
        cached: Battery = ctx.cache[CACHE_KEY]
        return cached
    sheets = ctx.sheets
    if sheets is None:
        raise ValueError("the forensics battery needs tally sheets")
    regional, national = _split(ctx)
    level = (ctx.options.level or sheets.levels[0]) if regional else None
    seed, n = ctx.options.seed, ctx.options.n_resamples
    key = (fingerprint(sheets), seed, n, level, tuple(regional), tuple(national))
    if key in _MEMO:
        _MEMO.move_to_end(key)
        ctx.cache[CACHE_KEY] = _MEMO[key]
        return _MEMO[key]
    candidates = candidates_to_test(sheets)
    runs = []
    draws = DrawCache()  # the national redraws are drawn once for both runs
    if regional:
        runs.append(run_forensics(sheets, by=level, seed=seed, n_resamples=n, checks=regional,
                                  candidates=candidates, progress=False, cache=draws))
    if national:
        runs.append(run_forensics(sheets, by=None, seed=seed, n_resamples=n, checks=national,
                                  candidates=candidates, progress=False, cache=draws))
    scopes = {s.key: s for run in runs for s in run.scopes}
    names = {k: s.name or s.code for k, s in scopes.items()}
    entries = adjust_entries([_scoped(e, names) for run in runs for e in run.entries])
    result = Battery(entries=tuple(entries), scopes=tuple(scopes.values()),
                     skipped=tuple(s for run in runs for s in run.skipped), level=level,
                     n_resamples=n, candidates=candidates, regional_tests=tuple(regional))
    ctx.cache[CACHE_KEY] = result
    _MEMO[key] = result
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return result


CALIBRATION_KEY = "calibration"


def calibration(ctx: ReportContext) -> CalibrationSummary | None:
    """The case's calibration summary (``calibration.json`` in its folder, read by
    :func:`audit.simulate.calibrate.load_calibration`), once per report; None without one.
    Its rates stand beside each measured test's flag in the battery tables."""
    if CALIBRATION_KEY not in ctx.cache:
        from audit.simulate.calibrate import load_calibration

        ctx.cache[CALIBRATION_KEY] = load_calibration(ctx.case.path)
    found: CalibrationSummary | None = ctx.cache[CALIBRATION_KEY]
    return found
