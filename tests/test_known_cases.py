"""Known cases: the verdict a user reads, with default options, on elections whose story is
known (issue 15). Real data from ../shared/data (skipped with the reason when absent).

* Russia 2011 (State Duma) and 2018 (presidential): the textbook positive controls, flagged
  nationally with strong evidence by the integer-percentage and corner tests; 2011 through
  ``election-audit forensics 2011.csv`` exactly as a user types it.
* The bundled demo case: stuffing for the declared winner A, the runner-up on the sheets.
* Chile 2021 (every region file) and Córdoba 2019: undisputed elections, not flagged — except
  two Chilean regions where the honest digit model itself misfits (below).
* Venezuela 2024, the opposition's sheets: not flagged; its numbers as they are.

Running a whole battery per case makes these the slowest tests (about a minute together on
an idle machine); they are marked ``slow`` and still run in CI.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA_DIR, real_case, real_file

from audit.checks.forensics import NATIONAL, run_forensics
from audit.cli import main

pytestmark = [pytest.mark.slow]

#: Published by Kobak, Shpilkin & Pshenichnikov (the authors' montecarlo.pickle, AOAS
#: criteria): excess integer stations (either / result / turnout) and the Monte Carlo SD of
#: the null count (forensics notes §4.1).
KOBAK = {2011: (1_003, 767, 449, 113.1), 2018: (1_709, 859, 1_296, 116.5)}
CHILE = "chile_2021_presidential_first_round_mesas"
#: Two regions where the calibrated digit tests flag the leader's counts with the honest model
#: of audit.checks.null; the p-values are those of the former fixed 999-redraw Monte Carlo
#: (Biobío: last digit 0.006, its mean 0.004, second digit 0.009, first two 0.008 at seed
#: 20240728; Magallanes: first two digits 0.005, a single count in a cell the model gives
#: one chance in 500). The honest model's calibration is issue 15's item 9 (simulator).
CHILE_MODEL_MISFIT = {"del_biobio.csv", "de_magallanes_y_de_la_antartica_chilena.csv"}


def _forensics(*args: str) -> dict[str, Any]:
    """``election-audit forensics ARGS --json`` in this process, parsed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), pytest.raises(SystemExit) as exc:
        main(["forensics", *args, "--json", "--no-progress"])
    assert (exc.value.code or 0) == 0
    return json.loads(buffer.getvalue())


def _national(payload: dict[str, Any], test: str, candidate: str) -> dict[str, Any]:
    return next(r for r in payload["results"] if r["scope"] == NATIONAL
                and r["test"] == test and r["candidate"] == candidate)


@pytest.mark.realdata
def test_russia_2011_default_command_reads_strong_evidence() -> None:
    path = real_file("russia_federal_elections_shpilkin", "2011.csv")
    payload = _forensics(str(path))  # default options: seed, redraws, --by region
    assert payload["level"] == "region"
    assert payload["candidates"] == ["UR"]
    verdict = payload["verdict"]
    assert verdict["flagged"] is True
    assert verdict["strongest"] == "strong"
    found = {(f["test"], f["candidate"]) for f in verdict["findings"]}
    assert {("turnout.integer_percentages", "UR"), ("fingerprints.corner", "UR")} <= found
    integer = _national(payload, "turnout.integer_percentages", "UR")
    assert integer["pvalue"] <= 1e-6  # measured 2.1e-18 (z = 8.7)
    assert integer["pvalue_method"] == "saddlepoint"
    assert integer["evidence"] == "strong"
    assert integer["params"]["turnout_from"] == "issued"
    either, result, turnout, sd = KOBAK[2011]
    excess = {row["variant"]: row["excess"] for row in integer["table"]}
    # Kobak's definition (ballots issued): within 2 SD of the published excess (measured
    # 1,002.6, 766.5, 448.8: the same definitions, an exact null instead of 1,000 draws)
    assert abs(excess["either"] - either) < 2 * sd
    assert abs(excess["result"] - result) < 2 * sd
    assert abs(excess["turnout"] - turnout) < 2 * sd
    corner = _national(payload, "fingerprints.corner", "UR")
    assert corner["evidence"] == "strong"  # measured adjusted p 2.4e-10, z = 6.3
    assert corner["z"] > 5
    # the regions that carry it: Tatarstan, Bashkortostan, Moscow ... by integer percentages
    regional = {(f["scope_name"], f["test"]) for f in verdict["regional"]}
    assert ("Республика Татарстан (Татарстан)", "turnout.integer_percentages") in regional


@pytest.mark.realdata
def test_russia_2018_strong_evidence_nationally() -> None:
    sheets = real_case("russia-2018")
    result = run_forensics(sheets, seed=20240728, progress=False)  # national only: faster
    verdict = result.verdict()
    assert verdict.flagged
    assert verdict.strongest.value == "strong"
    national = {(e.result.test, e.result.candidate): e.result for e in result.entries
                if e.scope == NATIONAL and e.calibrated}
    integer = national[("turnout.integer_percentages", "PUTIN")]
    corner = national[("fingerprints.corner", "PUTIN")]
    assert integer.evidence.value == "strong"  # measured adjusted p 4e-46, z = 14.6
    assert corner.evidence.value == "strong"  # measured adjusted p 4e-6, z = 4.8
    assert integer.pvalue is not None
    assert integer.pvalue <= 1e-6
    either, result_only, turnout_only, sd = KOBAK[2018]
    excess = integer.table.set_index("variant")["excess"]
    assert abs(excess["either"] - either) < 2 * sd
    assert abs(excess["result"] - result_only) < 2 * sd
    assert abs(excess["turnout"] - turnout_only) < 2 * sd


def test_demo_case_is_flagged_for_the_declared_winner() -> None:
    payload = _forensics("demo")  # bundled: no real data needed
    assert payload["candidates"] == ["B", "A"]  # leader on the sheets, declared winner
    assert payload["declared_winner"] == "A"
    verdict = payload["verdict"]
    assert verdict["flagged"] is True
    assert verdict["strongest"] == "strong"
    top = verdict["findings"][0]
    assert (top["test"], top["candidate"]) == ("fingerprints.corner", "A")
    assert top["pvalue_adjusted"] < 1e-3


CHILE_FILES = sorted(p.name for p in (DATA_DIR / CHILE).glob("*.csv")) or ["(absent)"]


@pytest.mark.realdata
@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(
        strict=True, reason="the honest digit model misfits this region (see CHILE_MODEL_"
                            "MISFIT): issue 15 item 9")) if n in CHILE_MODEL_MISFIT else n
    for n in CHILE_FILES])
def test_chile_2021_regions_not_flagged(name: str) -> None:
    # metropolitana_de_santiago.csv (16,339 mesas) is the must-show of issue 15
    path = real_file(CHILE, name)
    payload = _forensics(str(path), "--profile", "chile-2021-servel-mesas")
    verdict = payload["verdict"]
    assert verdict["family_size"] >= 8  # the digit tests (no registered voters: no turnout)
    assert verdict["flagged"] is False, verdict["findings"]


@pytest.mark.realdata
def test_cordoba_2019_not_flagged() -> None:
    real_case("cordoba-2019")  # skip with the reason when absent
    payload = _forensics("cordoba-2019", "--data-dir", str(DATA_DIR))
    verdict = payload["verdict"]
    assert verdict["flagged"] is False
    assert verdict["family_size"] == 12  # 10 digit tests, corner, integer percentages
    assert payload["candidates"] == ["HPC"]


@pytest.fixture(scope="module")
def venezuela_json() -> dict[str, Any]:
    real_case("venezuela-2024")
    return _forensics("venezuela-2024", "--data-dir", str(DATA_DIR))


@pytest.mark.realdata
def test_venezuela_2024_as_it_is(venezuela_json: dict[str, Any]) -> None:
    """The opposition's sheets, stated plainly: no calibrated test gives evidence against
    honest counting. The digit tests of González's counts are all consistent (the smallest
    adjusted p 0.39); integer percentages: a small excess for González (raw p 0.016, z = 2.2)
    that does not survive the adjustment (0.23), none for Maduro (p 0.11); the corner test
    finds fewer stations high in both turnout and the candidate's share than low in both,
    for González (z = -3.2) and Maduro (z = -5.6), the opposite of the stuffing smear."""
    payload = venezuela_json
    assert payload["candidates"] == ["EG", "NM"]  # leader on the sheets, declared winner
    assert payload["declared_winner"] == "NM"
    verdict = payload["verdict"]
    assert verdict["flagged"] is False
    assert verdict["family_size"] == 14
    national = [r for r in payload["results"] if r["scope"] == NATIONAL and r["calibrated"]]
    for r in national:
        assert r["pvalue_adjusted"] >= 0.05, r["test"]
    digits = [r for r in national if r["test"].startswith("digits.")]
    assert len(digits) == 10
    assert all(r["candidate"] == "EG" for r in digits)
    for candidate in ("EG", "NM"):
        assert _national(payload, "fingerprints.corner", candidate)["z"] < 0
    assert _national(payload, "turnout.integer_percentages", "EG")["pvalue"] < 0.05


@pytest.mark.realdata
def test_report_and_command_give_the_same_adjusted_pvalues(venezuela_json: dict[str, Any],
                                                           tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(SystemExit) as exc:
        main(["report", "venezuela-2024", "--data-dir", str(DATA_DIR), "-o", str(out)])
    assert (exc.value.code or 0) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["provenance"]["seed"] == venezuela_json["seed"]
    shown = {(r["test"], r["scope"], r["candidate"]): r for results in report["results"].values()
             for r in results if r.get("scope") is not None}
    command = {(r["test"], r["scope"], r["candidate"]): r for r in venezuela_json["results"]}
    shared = [k for k in shown if k in command]
    national = [k for k in shared if k[1] == NATIONAL]
    assert len(national) >= 30  # every national check the report shows
    assert any(k[1] != NATIONAL for k in shared)  # and the regional ones it runs
    for key in shared:
        assert shown[key]["pvalue"] == command[key]["pvalue"], key
        assert shown[key]["pvalue_adjusted"] == command[key]["pvalue_adjusted"], key
        assert shown[key]["pvalue_method"] == command[key]["pvalue_method"], key
