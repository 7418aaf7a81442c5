"""The one multiple-testing policy (audit.checks.multiple), by hand."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.checks.multiple import NATIONAL, adjust, bh_adjust, family, summary
from audit.checks.result import CheckResult, Evidence


def _r(test: str, p: float | None, scope: str | None = NATIONAL,
       candidate: str | None = "A", evidence: Evidence = Evidence.NOT_TESTED) -> CheckResult:
    return CheckResult(test=test, statistic=1.0, pvalue=p, scope=scope, candidate=candidate,
                       evidence=evidence)


def test_benjamini_hochberg_by_hand() -> None:
    # p sorted 0.01, 0.02, 0.03, 0.5 (m = 4): min over j >= i of p_(j) m / j
    assert bh_adjust([0.03, 0.01, None, 0.5, 0.02]) == pytest.approx(
        [0.04, 0.04, None, 0.5, 0.04])


def test_families_national_regional_descriptive() -> None:
    results = [
        _r("digits.last_digit", 0.01),                     # national family (3 results)
        _r("fingerprints.corner", 0.001, candidate="A"),
        _r("fingerprints.corner", 0.04, candidate="B"),
        _r("fingerprints.corner", 0.01, scope="region:1"),  # regional: corner x A (2)
        _r("fingerprints.corner", 0.03, scope="region:2"),
        _r("fingerprints.corner", 0.02, scope="region:1", candidate="B"),  # alone
        _r("digits.last_digit.textbook", 1e-12),           # descriptive
        _r("arith", None, evidence=Evidence.IMPOSSIBLE),
    ]
    calibrated = [True, True, True, True, True, True, False, False]
    out = adjust(results, calibrated)
    assert [r.pvalue_adjusted for r in out[:3]] == pytest.approx([0.015, 0.003, 0.04])
    assert [r.evidence for r in out[:3]] == [Evidence.WEAK, Evidence.MODERATE, Evidence.WEAK]
    assert [r.pvalue_adjusted for r in out[3:6]] == pytest.approx([0.02, 0.03, 0.02])
    # a textbook result keeps its raw p-value, gets no adjusted one and no evidence label
    assert out[6].pvalue == 1e-12
    assert out[6].pvalue_adjusted is None
    assert out[6].evidence is Evidence.NOT_TESTED
    assert out[7].evidence is Evidence.IMPOSSIBLE
    assert family(None, "x", "A") == family(NATIONAL, "y", "B")
    assert family("region:1", "x", "A") != family("region:2", "y", "A")
    info = summary(out, calibrated)
    assert (info["name"], info["national_family_size"], info["regional_families"],
            info["descriptive_results"]) == ("hierarchical-bh", 3, 2, 2)


def test_regional_results_do_not_dilute_the_national_family() -> None:
    national = [_r("turnout.integer_percentages", 1e-6)]
    regional = [_r("digits.last_digit", 0.5, scope=f"region:{i}") for i in range(500)]
    out = adjust(national + regional, [True] * 501)
    assert out[0].pvalue_adjusted == pytest.approx(1e-6)
    assert out[0].evidence is Evidence.STRONG


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40))
def test_adjusted_pvalues_are_monotone_and_not_smaller(ps: list[float]) -> None:
    adjusted = bh_adjust(ps)
    assert all(a is not None and p <= a <= 1 for p, a in zip(ps, adjusted, strict=True))
    order = sorted(range(len(ps)), key=ps.__getitem__)
    assert all(adjusted[i] <= adjusted[j] + 1e-12  # type: ignore[operator]
               for i, j in itertools.pairwise(order))
