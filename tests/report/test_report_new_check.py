"""A new check is one module plus one registration, and every output picks it up.

The example check below is the whole "module": a function of the sheets returning a
:class:`~audit.checks.CheckResult`. One call to :func:`audit.checks.registry.register` adds it;
no other file is touched. It then runs in the forensics battery, is a row of
:func:`audit.checks.results_frame`, an entry of the forensics JSON, and has a section of the
report (HTML and Markdown) showing its number. The registration is undone after the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from report_fakes import fast
from scipy import stats

from audit import checks
from audit._json import dumps
from audit.cases import Case
from audit.checks.registry import CheckSpec, register, runner, unregister
from audit.model import SheetTable, vote_column
from audit.report import build_report, render

NAME = "example.even_counts"


# ---- the module: one check ------------------------------------------------------------------
def even_counts(sheets: SheetTable, *, candidate: str | None = None) -> checks.CheckResult:
    """Share of a candidate's counts that are even, against one half (exact binomial test):
    honest counts in the hundreds are even about half the time."""
    key = candidate or sheets.leader()
    counts = sheets.counts(vote_column(key))
    counts = counts[~np.isnan(counts)]
    even = int(np.sum(counts % 2 == 0))
    p = float(stats.binomtest(even, len(counts), 0.5).pvalue)
    return checks.CheckResult(test=NAME, statistic=even / len(counts), pvalue=p,
                              n=len(counts), null="binomial(p=1/2)", pvalue_method="exact",
                              evidence=checks.evidence_from_pvalue(p), candidate=key)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def registered_example() -> Iterator[None]:
    # ---- the registration: one call ---------------------------------------------------------
    register(CheckSpec(name=NAME, family="example", run=runner(even_counts), min_units=30,
                       description="share of even counts"))
    try:
        yield
    finally:
        unregister(NAME)
    assert NAME not in {s.name for s in checks.registered()}


def _by_hand(sheets: SheetTable) -> tuple[float, int]:
    counts = sheets.data[vote_column(sheets.leader())].to_numpy()
    return float(np.mean(counts % 2 == 0)), len(counts)


@pytest.mark.usefixtures("registered_example")
def test_a_registered_check_reaches_the_battery_the_frame_and_the_json(
        demo_sheets: SheetTable) -> None:
    share, n = _by_hand(demo_sheets)
    result = checks.run_forensics(demo_sheets, seed=1, n_resamples=19, progress=False,
                                  checks=[NAME, "digits.last_digit"])
    mine = [e.result for e in result.entries if e.result.test == NAME]
    assert len(mine) == 1
    assert mine[0].statistic == pytest.approx(share)
    assert mine[0].n == n
    assert mine[0].pvalue_adjusted is not None  # adjusted with the battery's family

    frame = checks.results_frame([e.result for e in result.entries])
    row = frame.set_index("test").loc[NAME]
    assert row["statistic"] == pytest.approx(share)
    assert row["scope"] == "national"

    payload = json.loads(dumps(result.to_dict()))
    entries = [e for e in payload["results"] if e["test"] == NAME]
    assert len(entries) == 1
    assert entries[0]["statistic"] == pytest.approx(share)


@pytest.mark.usefixtures("registered_example")
def test_a_registered_check_has_a_report_section_with_its_number(
        demo_case: Case, demo_sheets: SheetTable, tmp_path: Path) -> None:
    share, _ = _by_hand(demo_sheets)
    model = build_report(demo_case, demo_sheets, fast(lang="en", figures=False))
    ids = [s.id for s in model.sections]
    assert ids.index("crosscheck") < ids.index("example") < ids.index("methods")
    assert [r.test for r in model.section("example").results] == [NAME]
    assert NAME in {r.test for r in model.results["example"]}

    number = f"{share:.3f}"  # the statistic column shows three decimals
    markdown = render(model, tmp_path / "r.md").read_text(encoding="utf-8")
    heading = re.search(r"^## \d+\. Other checks: example$", markdown, re.M)
    assert heading is not None
    part = markdown[heading.end():markdown.index("Methods and limitations", heading.end())]
    assert f"| example.even\\_counts | {number} |" in part
    html = render(model, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Other checks: example" in html
    assert number in html


def test_without_the_registration_the_report_has_no_such_section(
        demo_case: Case, demo_sheets: SheetTable) -> None:
    model = build_report(demo_case, demo_sheets, fast(lang="en", figures=False))
    assert "example" not in [s.id for s in model.sections]
