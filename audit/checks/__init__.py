"""The statistics of election-audit, in the manner of :mod:`scipy.stats`.

>>> from audit import checks
>>> res = checks.second_digit_test(counts, totals, n_resamples=999, rng=7)  # doctest: +SKIP

Every test registered for the forensics battery (:mod:`audit.checks.registry`) is exported
here under the name of its family function and takes plain arrays, one value per polling
station, or tally sheets with ``candidate=`` (:mod:`audit.checks.arrays`). Each returns a
:class:`CheckResult` (or a subclass adding fields); :func:`results_frame` makes a tidy
DataFrame of several; :func:`adjust` is the one multiple-testing policy of the package;
:data:`DEFAULT_RESAMPLES` the one default number of Monte Carlo redraws.

The two batteries live beside the checks they run: :func:`run_forensics` (every registered
sheet-level check, nationally and per region, for the candidates that matter, adjusted by the
one policy, with one :class:`Verdict`) and :func:`audit_dispute` (every claim of a case checked
alone, in succession and against the sheets). A battery passes its settings to each check as
explicit :class:`BatteryOptions` and shares redraws through a :class:`DrawCache` it owns.

The families live one module each: ``digits``, ``turnout``, ``fingerprints``, ``claims``,
``crosscheck``, ``sampling``, ``quickcount``, ``uncovered``.
"""

from typing import TYPE_CHECKING, Any

from audit.checks._cache import DrawCache
from audit.checks._options import DEFAULT_REFITS, DEFAULT_RESAMPLES, BatteryOptions
from audit.checks.multiple import adjust
from audit.checks.result import (
    CheckResult,
    Evidence,
    Message,
    evidence_from_pvalue,
    results_frame,
)

if TYPE_CHECKING:
    from audit.checks.arrays import (
        TESTS,
        corner_asymmetry,
        digit_pairs_test,
        dip_test,
        distribution,
        fingerprint,
        first_digit_test,
        first_two_digits_test,
        integer_percentages,
        klimek_fit,
        kurtosis,
        last_digit_mean_test,
        last_digit_test,
        percent_zero_five_test,
        regional_outliers,
        second_digit_mean_test,
        second_digit_test,
        sheets_from_arrays,
        shpilkin_excess,
        skewness,
        sobyanin_sukhovolsky,
        spike_at_100,
        turnout_share_correlation,
        zero_five_test,
    )
    from audit.checks.digits import DigitTestResult
    from audit.checks.dispute import DisputeResult, audit_dispute
    from audit.checks.fingerprints import CornerResult, FingerprintResult, KlimekFitResult
    from audit.checks.forensics import (
        ForensicsResult,
        Verdict,
        battery_rng,
        candidates_to_test,
        run_forensics,
    )
    from audit.checks.registry import CheckSpec, registered
    from audit.checks.turnout import (
        BootstrapResult,
        CorrelationResult,
        DistributionResult,
        IntegerPercentResult,
        OutlierResult,
        ShpilkinResult,
        SlopeResult,
        SpikeResult,
    )

#: Where each name of the public face lives: loaded on first use, so that a command that
#: needs one family (claims, say) does not load the battery, matplotlib's figures or scipy's
#: optimisers (``tests/cli/test_startup.py``).
_LAZY: dict[str, str] = {
    **dict.fromkeys(("TESTS", "corner_asymmetry", "digit_pairs_test", "dip_test",
                     "distribution", "fingerprint", "first_digit_test",
                     "first_two_digits_test", "integer_percentages", "klimek_fit",
                     "kurtosis", "last_digit_mean_test", "last_digit_test",
                     "percent_zero_five_test", "regional_outliers", "second_digit_mean_test",
                     "second_digit_test", "sheets_from_arrays", "shpilkin_excess",
                     "skewness", "sobyanin_sukhovolsky", "spike_at_100",
                     "turnout_share_correlation", "zero_five_test"), "audit.checks.arrays"),
    "DigitTestResult": "audit.checks.digits",
    **dict.fromkeys(("DisputeResult", "audit_dispute"), "audit.checks.dispute"),
    **dict.fromkeys(("ForensicsResult", "Verdict", "battery_rng", "candidates_to_test",
                     "run_forensics"),
                    "audit.checks.forensics"),
    **dict.fromkeys(("CornerResult", "FingerprintResult", "KlimekFitResult"),
                    "audit.checks.fingerprints"),
    **dict.fromkeys(("CheckSpec", "registered"), "audit.checks.registry"),
    **dict.fromkeys(("BootstrapResult", "CorrelationResult", "DistributionResult",
                     "IntegerPercentResult", "OutlierResult", "ShpilkinResult", "SlopeResult",
                     "SpikeResult"), "audit.checks.turnout"),
}


def __getattr__(name: str) -> Any:
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'audit.checks' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_REFITS",
    "DEFAULT_RESAMPLES",
    "TESTS",
    "BatteryOptions",
    "BootstrapResult",
    "CheckResult",
    "CheckSpec",
    "CornerResult",
    "CorrelationResult",
    "DigitTestResult",
    "DisputeResult",
    "DistributionResult",
    "DrawCache",
    "Evidence",
    "FingerprintResult",
    "ForensicsResult",
    "IntegerPercentResult",
    "KlimekFitResult",
    "Message",
    "OutlierResult",
    "ShpilkinResult",
    "SlopeResult",
    "SpikeResult",
    "Verdict",
    "adjust",
    "audit_dispute",
    "battery_rng",
    "candidates_to_test",
    "corner_asymmetry",
    "digit_pairs_test",
    "dip_test",
    "distribution",
    "evidence_from_pvalue",
    "fingerprint",
    "first_digit_test",
    "first_two_digits_test",
    "integer_percentages",
    "klimek_fit",
    "kurtosis",
    "last_digit_mean_test",
    "last_digit_test",
    "percent_zero_five_test",
    "regional_outliers",
    "registered",
    "results_frame",
    "run_forensics",
    "second_digit_mean_test",
    "second_digit_test",
    "sheets_from_arrays",
    "shpilkin_excess",
    "skewness",
    "sobyanin_sukhovolsky",
    "spike_at_100",
    "turnout_share_correlation",
    "zero_five_test",
]
