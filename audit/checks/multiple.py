"""The one multiple-testing policy of election-audit (``docs/results.md``, "Multiple testing").

With dozens of regions, several candidates and tests, some p-values fall below 0.05 by chance
alone (Venice Commission 2018, ¶46). :func:`adjust` is the only function that turns raw
p-values into adjusted ones and evidence levels; the forensics battery, the report, the
calibration of false-positive rates and the Python API all call it, so that they give the
same number for the same question. The policy is hierarchical:

1. **National family** (is there evidence in the election as a whole?): every *calibrated*
   result at national scope — each calibrated test for each candidate tested — is adjusted
   together with Benjamini–Hochberg. Only these results decide the national verdict.
2. **Regional families** (where?): the regional results of one (test, candidate) are
   adjusted together across the regions, with Benjamini–Hochberg. A regional result
   localises a finding; it is never pooled with other tests or with the national family.
3. **Descriptive results**: a result whose null is not calibrated on honest elections
   (textbook laws, Gaussian benchmarks, descriptive statistics) keeps its raw p-value for
   comparison with the literature but gets no adjusted p-value and no evidence label,
   whatever its p-value (``Evidence.NOT_TESTED``); the battery shows why.

Benjamini–Hochberg controls the false discovery rate under independence and positive regression
dependence (Benjamini & Yekutieli 2001 [benjamini2001]), which covers tests on the same sheets that
react to the same manipulations. Keeping the regional families apart from the national one is the
structure of Yekutieli (2008) [yekutieli2008]: the national family answers "whether", each regional
family "where", and a national flag is never diluted by hundreds of regional results.

References
----------
By key of the bibliography, :mod:`audit.references`, where the full entries are:

- Benjamini & Hochberg (1995) [benjamini1995]
- Benjamini & Yekutieli (2001) [benjamini2001]
- Yekutieli (2008) [yekutieli2008]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from scipy import stats

from audit.checks.result import CheckResult, Evidence

#: Scope of results about the whole table.
NATIONAL = "national"
#: Name and description of the policy (written into every JSON output).
POLICY: dict[str, str] = {
    "name": "hierarchical-bh",
    "national": "Benjamini-Hochberg over the calibrated national results (tests x "
                "candidates tested)",
    "regional": "Benjamini-Hochberg within each (test, candidate) across regions",
    "descriptive": "uncalibrated and textbook results: raw p-value only, no evidence label",
}


def bh_adjust(pvalues: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg adjusted p-values; ``None`` entries (no test) stay ``None``."""
    p = np.array([np.nan if v is None else float(v) for v in pvalues], dtype=float)
    out: list[float | None] = [None] * len(p)
    tested = np.flatnonzero(~np.isnan(p))
    if tested.size:
        adjusted = stats.false_discovery_control(p[tested], method="bh")
        for i, value in zip(tested, adjusted, strict=True):
            out[i] = float(value)
    return out


def family(scope: str | None, test: str, candidate: str | None) -> Hashable:
    """The family a calibrated result is adjusted in: national, or (test, candidate)."""
    if scope is None or scope == NATIONAL:
        return (NATIONAL,)
    return ("regional", test, candidate)


def adjusted_pvalues(pvalues: Sequence[float | None], families: Sequence[Hashable]
                     ) -> list[float | None]:
    """Benjamini–Hochberg within each family (the policy on bare numbers)."""
    out: list[float | None] = [None] * len(pvalues)
    groups: dict[Hashable, list[int]] = {}
    for i, key in enumerate(families):
        groups.setdefault(key, []).append(i)
    for idx in groups.values():
        for i, value in zip(idx, bh_adjust([pvalues[i] for i in idx]), strict=True):
            out[i] = value
    return out


def adjust(results: Sequence[CheckResult],
           calibrated: Sequence[bool] | None = None) -> list[CheckResult]:
    """Copies of ``results`` with the policy applied.

    ``calibrated[i]`` says whether result ``i`` comes from a calibrated check (default: as
    registered, :attr:`audit.checks.registry.CheckSpec.calibrated` of the check named by
    each result's ``test``). Calibrated results get ``pvalue_adjusted`` within their
    :func:`family` (their ``scope``, ``test`` and ``candidate``; a result without scope is
    national) and the evidence level of the adjusted p-value; the others become descriptive
    (no adjusted p-value, evidence ``not_tested``). Arithmetic impossibilities keep their
    level.

    >>> from audit import checks                                       # doctest: +SKIP
    >>> checks.adjust([checks.second_digit_test(sheets), checks.integer_percentages(sheets)])
    ... # doctest: +SKIP
    """
    if calibrated is None:
        calibrated = _registered_calibration(results)
    if len(results) != len(calibrated):
        raise ValueError("results and calibrated must have the same length")
    idx = [i for i, c in enumerate(calibrated) if c]
    adjusted = adjusted_pvalues([results[i].pvalue for i in idx],
                                [family(results[i].scope, results[i].test,
                                        results[i].candidate) for i in idx])
    out = [descriptive(r) for r in results]
    for i, value in zip(idx, adjusted, strict=True):
        out[i] = results[i].with_adjusted_pvalue(value)
    return out


def _registered_calibration(results: Sequence[CheckResult]) -> list[bool]:
    """Whether each result's check is registered as calibrated."""
    # read when asked: the registry loads every family (the claims' checks, which adjust
    # their own results, must not load the battery)
    from audit.checks.registry import registered

    specs = {s.name: s.calibrated for s in registered()}
    odd = [r for r in results if not isinstance(r, CheckResult)]
    if odd:
        raise TypeError(f"results= must hold check results (CheckResult), got "
                        f"{type(odd[0]).__name__}")
    unknown = sorted({r.test for r in results if r.test not in specs})
    if unknown:
        raise ValueError(f"calibrated= is needed: {', '.join(unknown)} "
                         f"{'is' if len(unknown) == 1 else 'are'} not a registered check, "
                         "so whether its null is calibrated is not known")
    return [specs[r.test] for r in results]


def descriptive(result: CheckResult) -> CheckResult:
    """A copy without adjusted p-value or evidence label (an uncalibrated result)."""
    evidence = Evidence.IMPOSSIBLE if result.evidence is Evidence.IMPOSSIBLE \
        else Evidence.NOT_TESTED
    return dataclasses.replace(result, pvalue_adjusted=None, evidence=evidence)


def summary(results: Sequence[CheckResult], calibrated: Sequence[bool]) -> dict[str, Any]:
    """The policy and the size of its families, for JSON outputs."""
    national = sum(1 for r, c in zip(results, calibrated, strict=True)
                   if c and r.pvalue is not None and family(r.scope, r.test, r.candidate)
                   == (NATIONAL,))
    regional = {family(r.scope, r.test, r.candidate)
                for r, c in zip(results, calibrated, strict=True)
                if c and family(r.scope, r.test, r.candidate) != (NATIONAL,)}
    return {**POLICY, "national_family_size": national, "regional_families": len(regional),
            "descriptive_results": sum(1 for c in calibrated if not c)}


__all__ = ["NATIONAL", "POLICY", "adjust", "adjusted_pvalues", "bh_adjust", "descriptive",
           "family", "summary"]
