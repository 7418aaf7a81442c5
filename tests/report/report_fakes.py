"""A fake check family for the report tests, built only from the public API."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from audit.checks import CheckResult, Evidence, Message
from audit.report import Block, ReportContext, ReportOptions, result_callouts, results_table

FAKE_FAMILY = "digits"


def fast(**options: object) -> ReportOptions:
    """Report options for tests: few Monte Carlo redraws and no slow model fit (the
    statistics themselves are tested in tests/checks; here the report is)."""
    return ReportOptions(n_resamples=19, skip_checks=("fingerprints.klimek",),
                         **options)  # type: ignore[arg-type]


def fake_results() -> list[CheckResult]:
    """Three results of the fake family, with hand-set evidence levels."""
    def result(test: str, p: float, evidence: Evidence, n: int) -> CheckResult:
        return CheckResult(test=test, statistic=12.5, pvalue=p, pvalue_adjusted=p, effect=0.25,
                           effect_unit="MAD", n=n, null="simulation(n=999)", evidence=evidence,
                           table=pd.DataFrame({"digit": [0, 1], "count": [10, 12]}),
                           message=Message("common.no_message"))
    return [result("digits.last_digit", 0.0004, Evidence.STRONG, 1200),
            result("digits.second_digit", 0.2, Evidence.CONSISTENT, 1200),
            result("digits.other", 0.03, Evidence.WEAK, 300)]


def fake_build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    return [*result_callouts(results), results_table(results, name="fake-digits")]
