"""The report's one run of the forensics battery, shared by every section of the checks.

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

A report runs the battery once, through :meth:`audit.report.ReportContext.battery`, which
keeps it in the context's :class:`~audit.report.context.ReportState`; :class:`BatteryMemo`
shares batteries between reports of the same sheets.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

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
from audit.checks.registry import registered
from audit.checks.result import CheckResult
from audit.errors import AuditError
from audit.model import SheetTable

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


def _split(sheets: SheetTable, *, regional: bool, skip: Sequence[str]
           ) -> tuple[list[str], list[str]]:
    """The registered checks run in each region and those run nationally only."""
    specs = registered()
    unknown = set(skip) - ({s.name for s in specs} | {s.family for s in specs})
    if unknown:
        raise AuditError(f"unknown check or family to skip: {', '.join(sorted(unknown))}; "
                         f"known families: {', '.join(sorted({s.family for s in specs}))}")
    kept = [s for s in specs if s.name not in skip and s.family not in skip]
    by_region = []
    if regional and sheets.levels:
        by_region = [s.name for s in kept if s.name in REGIONAL and s.fast and s.by_region
                     and s.calibrated]
    return by_region, [s.name for s in kept if s.name not in by_region]


def _scoped(entry: Entry, names: dict[str, str]) -> Entry:
    if entry.scope == NATIONAL:
        return entry
    params = {**entry.result.params, "scope": entry.scope, "scope_name": names[entry.scope]}
    return dataclasses.replace(entry, result=dataclasses.replace(entry.result, params=params))


def fingerprint(sheets: SheetTable) -> str:
    """A digest of the sheets' contents (columns, values and order) and of the election
    metadata they carry (candidate names appear in the results' sentences)."""
    digest = hashlib.sha256(repr((list(sheets.data.columns), sheets.election)).encode())
    digest.update(pd.util.hash_pandas_object(sheets.data, index=False).to_numpy().tobytes())
    return digest.hexdigest()


class BatteryMemo:
    """Batteries already run, so that the same sheets reported again (in a second language
    or format) are not analysed again: at most ``size``, least recently used dropped first.

    Keyed by the sheets' :func:`fingerprint`, the seed, the redraws and the checks run, so a
    hit changes no number. A report context owns one (:class:`audit.report.ReportContext`);
    pass the same memo to several :func:`audit.report.build_report` calls to share it.
    """

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._batteries: OrderedDict[tuple[object, ...], Battery] = OrderedDict()

    def __len__(self) -> int:
        return len(self._batteries)

    def get(self, key: tuple[object, ...]) -> Battery | None:
        found = self._batteries.get(key)
        if found is not None:
            self._batteries.move_to_end(key)
        return found

    def put(self, key: tuple[object, ...], battery: Battery) -> None:
        self._batteries[key] = battery
        self._batteries.move_to_end(key)
        while len(self._batteries) > self.size:
            self._batteries.popitem(last=False)


def run_battery(sheets: SheetTable, *, seed: int, n_resamples: int, regional: bool = True,
                level: str | None = None, skip: Sequence[str] = (),
                memo: BatteryMemo | None = None) -> Battery:
    """Run the registered checks on ``sheets`` (or take the battery from ``memo``).

    ``regional``: also run the checks of :data:`REGIONAL` in each region at ``level`` (default:
    the sheets' top level); ``skip``: check names or families left out.
    """
    by_region, national = _split(sheets, regional=regional, skip=skip)
    level = (level or sheets.levels[0]) if by_region else None
    key = (fingerprint(sheets), seed, n_resamples, level, tuple(by_region), tuple(national))
    if memo is not None and (found := memo.get(key)) is not None:
        return found
    candidates = candidates_to_test(sheets)
    runs = []
    draws = DrawCache()  # the national redraws are drawn once for both runs
    if by_region:
        runs.append(run_forensics(sheets, by=level, seed=seed, n_resamples=n_resamples,
                                  checks=by_region, candidates=candidates, progress=False,
                                  cache=draws))
    if national:
        runs.append(run_forensics(sheets, by=None, seed=seed, n_resamples=n_resamples,
                                  checks=national, candidates=candidates, progress=False,
                                  cache=draws))
    scopes = {s.key: s for run in runs for s in run.scopes}
    names = {k: s.name or s.code for k, s in scopes.items()}
    entries = adjust_entries([_scoped(e, names) for run in runs for e in run.entries])
    result = Battery(entries=tuple(entries), scopes=tuple(scopes.values()),
                     skipped=tuple(s for run in runs for s in run.skipped), level=level,
                     n_resamples=n_resamples, candidates=candidates,
                     regional_tests=tuple(by_region))
    if memo is not None:
        memo.put(key, result)
    return result


__all__ = ["REGIONAL", "Battery", "BatteryMemo", "fingerprint", "run_battery"]
