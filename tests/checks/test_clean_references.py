"""Clean reference elections are not flagged by the calibrated digit tests.

Chile 2021 (first round, 46,605 mesas) and Córdoba 2019 (governor, 8,545 mesas) are
undisputed elections (see their PROVENANCE.md). The battery of calibrated digit tests, with
Benjamini–Hochberg across tests, gives no evidence against honest counting at alpha 0.05 on
either; where a textbook null rejects, the result's sentence says why (this is the point of
the simulation null).

One result sits at the edge: the first digits of the leader's counts in Córdoba (counts of
60–200 straddling 100, fewer in the 60s than honest redraws give) have a raw simulation
p-value of 0.002–0.04 over Monte Carlo seeds, with the sampled-posterior null and with the
former posterior-predictive one alike (mean over 8 seeds 0.020 and 0.037). The battery does
not flag it after Benjamini–Hochberg, and the textbook result says that honest redraws do
not explain the rejection (``digits.caveat.unexplained``) instead of blaming an artefact.
The adjacent last-digit pairs of Kast's counts in Chile sit at the same edge (simulation
p-value 0.045–0.061 over seeds 1, 2 and 2021; 0.064–0.085 since the honest model follows
station size and turnout and models centres), and so does the mean second digit of the
leader's counts in Córdoba (0.044–0.085 over seeds 2021, 1, 2, 3 with that model, first
digits 0.044–0.101).

The whole default battery on these cases (every check, every candidate that matters) is in
``tests/test_known_cases.py``.
"""

from __future__ import annotations

import pytest

from audit.checks.forensics import run_forensics

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

CAVEATS = {"digits.caveat.narrow_span", "digits.caveat.large_n", "digits.caveat.small_counts",
           "digits.caveat.small_denominators", "digits.caveat.honest_like"}


@pytest.mark.parametrize("case", ["chile-2021", "cordoba-2019"])
def test_not_flagged_and_textbook_flags_explained(case: str, request) -> None:
    sheets = request.getfixturevalue(case.replace("-", "_"))
    result = run_forensics(sheets, seed=2021, n_resamples=199, checks=["digits"],
                           progress=False)
    calibrated = [e.result for e in result.entries if e.calibrated]
    assert len(calibrated) == 10
    flagged = [(r.test, r.pvalue, r.pvalue_adjusted) for r in calibrated
               if r.pvalue_adjusted < 0.05]
    assert flagged == []
    adjusted = {r.test: r.pvalue_adjusted for r in calibrated}
    textbook = [e.result for e in result.entries if not e.calibrated]
    rejected = [r for r in textbook if r.pvalue < 0.05]
    assert rejected, "raw Benford on capped stations rejects these clean elections"
    for r in rejected:
        if r.message.id == "digits.caveat.unexplained":  # at the edge (docstring)
            assert (case, r.test) in {("cordoba-2019", "digits.first_digit.textbook"),
                                      ("cordoba-2019", "digits.second_digit_mean.textbook"),
                                      ("chile-2021", "digits.adjacent_pairs.textbook")}
            assert 0.005 < r.params["simulation_pvalue"] < 0.05
            assert adjusted[r.test.removesuffix(".textbook")] >= 0.05
            continue
        assert r.message.id in CAVEATS, (r.test, r.message.id, r.sentence)
        assert r.params["simulation_pvalue"] >= 0.05
    first = next(r for r in textbook if r.test == "digits.first_digit.textbook")
    assert first.pvalue < 1e-10
    if case == "chile-2021":
        assert first.message.id == "digits.caveat.narrow_span"
