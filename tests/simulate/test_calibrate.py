"""Calibration machinery, exercised with checks registered here (not forensic tests):

* ``testing.uniform`` – p ~ Uniform(0, 1) whatever the data: perfectly calibrated, no power;
* ``testing.liberal`` – p ~ Uniform(0, 0.2): flags 25% of clean elections (miscalibrated);
* ``testing.corner`` – p = 0.001 if some station has turnout and leader share both >= 95%
  (Klimek's extreme-fraud corner), else 1: no false positives, power against extreme fraud.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.checks.registry import _REGISTRY, CheckSpec, get, register, registered
from audit.checks.result import CheckResult, Evidence, Message
from audit.cli.calibration_files import write_outputs
from audit.errors import AuditError
from audit.model import SheetTable
from audit.simulate import ElectionShape, simulate, stuff_ballots
from audit.simulate.calibrate import (
    BATTERY,
    CLEAN,
    DEFAULT_SCENARIOS,
    LAYERED_RANGES,
    PARAMETER_RANGES,
    ShapeSampler,
    calibrate,
    clopper_pearson,
    to_markdown,
)


def _result(name: str, p: float, n: int) -> CheckResult:
    return CheckResult(test=name, statistic=p, pvalue=p, effect=None, effect_unit="", n=n,
                       null="testing", evidence=Evidence.CONSISTENT, table=pd.DataFrame(),
                       message=Message("testing.none"))


def uniform_check(sheets: SheetTable, rng: np.random.Generator, _options: object = None
                  ) -> CheckResult:
    return _result("testing.uniform", float(rng.random()), len(sheets))


def liberal_check(sheets: SheetTable, rng: np.random.Generator, _options: object = None
                  ) -> CheckResult:
    return _result("testing.liberal", float(rng.uniform(0, 0.2)), len(sheets))


def corner_check(sheets: SheetTable, rng: np.random.Generator, _options: object = None
                  ) -> CheckResult:
    hit = (sheets.turnout() >= 0.95) & (sheets.share(sheets.leader()) >= 0.95)
    return _result("testing.corner", 0.001 if hit.any() else 1.0, len(sheets))


def broken_check(sheets: SheetTable, rng: np.random.Generator, _options: object = None
                  ) -> CheckResult:
    raise ValueError("deliberately broken")


SPECS = (CheckSpec("testing.uniform", "testing", uniform_check),
         CheckSpec("testing.liberal", "testing", liberal_check),
         CheckSpec("testing.corner", "testing", corner_check, needs=frozenset({"registered"})))


@pytest.fixture
def testing_checks() -> Iterator[tuple[CheckSpec, ...]]:
    for spec in SPECS:
        register(spec)
    yield SPECS
    for spec in SPECS:
        _REGISTRY.pop(spec.name, None)


@pytest.fixture(scope="module")
def shape() -> ElectionShape:
    return ElectionShape.synthetic(n_tables=600, n_regions=3, subregions_per_region=4, rng=1)


def test_clopper_pearson_reference_values() -> None:
    # exact interval for 5/100 (textbook value: 0.0164 to 0.1128)
    low, high = clopper_pearson(5, 100)
    assert low == pytest.approx(0.01643, abs=1e-4)
    assert high == pytest.approx(0.11284, abs=1e-4)
    assert clopper_pearson(0, 20)[0] == 0.0
    # 10 of 200 (0.05 of the issue-4 study size): [0.0242, 0.0900], wider than Wilson's
    # [0.0274, 0.0897] because it is exact (never below its nominal coverage)
    low, high = clopper_pearson(10, 200)
    assert low == pytest.approx(0.0242, abs=5e-4)
    assert high == pytest.approx(0.0900, abs=5e-4)


def test_false_positive_rates_and_power(testing_checks: tuple[CheckSpec, ...],
                                        shape: ElectionShape) -> None:
    assert {s.name for s in registered("testing")} == {s.name for s in SPECS}
    extreme = next(s for s in DEFAULT_SCENARIOS if s.name == "klimek_extreme")
    cal = calibrate(shape, checks=SPECS, n_sims=200, n_power=30, scenarios=[extreme], seed=3,
                    workers=1)
    fpr = cal.false_positive_rates().set_index("check")
    # uniform p-values: 200 elections, rate within the binomial 99.9% range of 0.05
    assert 0.015 <= fpr.loc["testing.uniform", "rate"] <= 0.10
    assert fpr.loc["testing.uniform", "verdict"] == "calibrated"
    assert fpr.loc["testing.uniform", "ci_low"] <= 0.05 <= fpr.loc["testing.uniform", "ci_high"]
    # Uniform(0, 0.2) p-values reject with probability 0.25 (SD 0.031 with 200 elections)
    assert fpr.loc["testing.liberal", "rate"] == pytest.approx(0.25, abs=0.1)
    assert fpr.loc["testing.liberal", "verdict"] == "anti-conservative"
    assert fpr.loc["testing.corner", "rate"] == 0.0
    assert fpr.loc["testing.corner", "verdict"] == "conservative"
    assert fpr.loc[BATTERY, "tested"] == 200
    # power: extreme fraud at 1% of 600 stations almost always puts a station in the corner
    power = cal.power().set_index(["check", "intensity"])["rate"]
    assert power[("testing.corner", 0.01)] >= 0.95
    assert power[("testing.uniform", 0.01)] <= 0.2
    assert len(cal.runs) == 200 * 3 + 30 * 4 * 3


def test_results_do_not_depend_on_workers_or_other_checks(
        testing_checks: tuple[CheckSpec, ...], shape: ElectionShape) -> None:
    scenarios = [s for s in DEFAULT_SCENARIOS if s.name == "vote_switching"]
    serial = calibrate(shape, checks=SPECS, n_sims=12, n_power=3, scenarios=scenarios, seed=7,
                       workers=1)
    parallel = calibrate(shape, checks=SPECS, n_sims=12, n_power=3, scenarios=scenarios, seed=7,
                         workers=2)
    pd.testing.assert_frame_equal(serial.runs, parallel.runs)
    pd.testing.assert_frame_equal(serial.table, parallel.table)
    alone = calibrate(shape, checks=[SPECS[0]], n_sims=12, n_power=3, scenarios=scenarios,
                      seed=7, workers=1)
    both = serial.runs[serial.runs["check"] == "testing.uniform"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.runs, both)
    other = calibrate(shape, checks=[SPECS[0]], n_sims=12, n_power=3, scenarios=scenarios,
                      seed=8, workers=1)
    assert not other.runs["pvalue"].equals(alone.runs["pvalue"])


def test_errors_and_missing_columns_are_reported(shape: ElectionShape) -> None:
    broken = CheckSpec("testing.broken", "testing", broken_check)
    needs = CheckSpec("testing.needs_blank", "testing", uniform_check,
                      needs=frozenset({"blank"}))
    cal = calibrate(shape, checks=[broken, needs], n_sims=5, scenarios=None, seed=1,
                    workers=1)
    fpr = cal.false_positive_rates().set_index("check")
    assert fpr.loc["testing.broken", "errors"] == 5
    assert "deliberately broken" in fpr.loc["testing.broken", "error_example"]
    assert fpr.loc["testing.needs_blank", "skipped"] == 5
    assert fpr.loc["testing.needs_blank", "tested"] == 0
    assert set(cal.runs["status"]) == {"error", "skipped"}


def test_outputs_markdown_json_figure(testing_checks: tuple[CheckSpec, ...],
                                      shape: ElectionShape, tmp_path: Path) -> None:
    scenarios = [s for s in DEFAULT_SCENARIOS if s.name in ("klimek_extreme", "duplicates")]
    cal = calibrate(shape, checks=SPECS, n_sims=20, n_power=5, scenarios=scenarios, seed=2,
                    workers=1)
    text = to_markdown(cal, title="Calibration: test", command="election-audit calibrate x")
    assert "| testing.liberal | yes |" in text
    assert "| klimek_extreme | 0.01 |" in text
    paths = write_outputs(cal, tmp_path, "test", command="election-audit calibrate x")
    assert [p.rsplit(".", 1)[1] for p in paths] == ["md", "csv", "json", "svg"]
    again = write_outputs(cal, tmp_path / "again", "test", command="election-audit calibrate x")
    for a, b in zip(paths, again, strict=True):
        assert Path(a).read_bytes() == Path(b).read_bytes()  # byte-identical, no dates
    assert cal.table[cal.table["scenario"] == CLEAN]["sims"].eq(20).all()


def test_cli_calibrate_on_the_demo_case(testing_checks: tuple[CheckSpec, ...], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from audit.cli import main
    from audit.resources import datasets_dir

    args = ["calibrate", str(datasets_dir() / "demo"), "--n-sims", "6", "--n-power", "2",
            "--scenarios", "klimek_extreme", "--workers", "1", "--checks",
            "testing.uniform,testing.corner", "-o", str(tmp_path), "--json"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["n_sims"] == 6
    assert payload["checks"] == ["testing.uniform", "testing.corner"]
    assert payload["provenance"][0]["path"] == "observer_tally_sheets.csv"
    assert payload["shape"]["fixed_structure"] is True
    assert (tmp_path / "calibration-demo.md").exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["calibrate", "--checks", "no.such.check"])
    assert exit_info.value.code == 2
    assert "unknown checks" in capsys.readouterr().err


def test_cli_scales_a_fitted_shape_and_writes_a_summary(
        testing_checks: tuple[CheckSpec, ...], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from audit.cli import main
    from audit.resources import datasets_dir

    summary = tmp_path / "case" / "calibration.json"
    args = ["calibrate", str(datasets_dir() / "demo"), "--tables", "500", "--n-sims", "3",
            "--n-power", "0", "--workers", "1", "--checks", "testing.uniform",
            "--summary", str(summary), "--json"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["shape"]["tables"] == 500
    assert payload["shape"]["fixed_structure"] is False  # --tables draws the geography anew
    assert payload["outputs"] == [str(summary)]
    written = json.loads(summary.read_text(encoding="utf-8"))
    assert written["false_positive"]["testing.uniform"]["tested"] == 3
    assert written["simulator"]["tables"] == 500
    with pytest.raises(SystemExit) as exit_info:
        main(["calibrate", "--layered", "--n-sims", "1"])
    assert exit_info.value.code == 2
    assert "--layered applies to --varied" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# varied clean elections (issue 4): the real checks, small version of docs/calibration.md
# --------------------------------------------------------------------------------------------


def test_varied_shapes_differ_and_are_reproducible() -> None:
    sampler = ShapeSampler(n_tables=300)
    a = sampler.parameters(np.random.default_rng(1))
    b = sampler.parameters(np.random.default_rng(2))
    assert a != b
    assert a == sampler.parameters(np.random.default_rng(1))
    for key, (low, high) in PARAMETER_RANGES.items():
        if key not in ("leader_share", "others"):
            assert low <= a[key] <= high, key
    assert 2 <= len(a["shares"]) <= 4
    assert sum(a["shares"]) == pytest.approx(1.0)
    assert PARAMETER_RANGES["leader_share"][0] <= a["shares"][0] <= \
        PARAMETER_RANGES["leader_share"][1]
    shape = sampler.draw(np.random.default_rng(1))
    assert shape.n_tables == 300


def assert_calibrated(fpr: pd.DataFrame, alpha: float = 0.05) -> None:
    """Every row's Clopper–Pearson interval contains ``alpha`` or lies below it.

    The intervals are simultaneous over the rows (Bonferroni: confidence 1 - 0.05 / rows),
    so a calibrated test fails this by chance in fewer than 5% of seeds whatever the number
    of tests; with 200 elections a test that rejects 12% of clean elections fails it.
    """
    confidence = 1 - 0.05 / len(fpr)
    for _, row in fpr.iterrows():
        low, _ = clopper_pearson(int(row["rejections"]), int(row["tested"]), confidence)
        assert low <= alpha, (row["check"], row["rejections"], row["tested"])


@pytest.fixture(scope="module")
def digit_calibration() -> pd.DataFrame:
    """The calibrated digit tests on 200 varied clean elections of 600 tables.

    Small elections and 19 redraws (the fewest with which a Monte Carlo test is exact at
    0.05; fewer redraws cost power, not validity) keep this at ~20 s. The full studies
    (docs/calibration-*.md: 200-400 elections of 5,000 tables, and the national-scale table
    at 20,000 to 1,000,000 tables) are ``nox -s calibrate``.
    """
    specs = [s for s in registered("digits") if s.calibrated]
    cal = calibrate(ShapeSampler(n_tables=600), checks=specs, n_sims=200, scenarios=None,
                    seed=7, n_resamples=19, workers=1)
    return cal.false_positive_rates()


@pytest.mark.slow
def test_every_digit_test_holds_its_level(digit_calibration: pd.DataFrame) -> None:
    fpr = digit_calibration.set_index("check")
    assert_calibrated(digit_calibration[digit_calibration["check"] != BATTERY])
    assert len(fpr) == 11  # 10 tests and the battery
    assert (fpr["tested"] >= 190).all()
    # pooled over the 10 tests (2,000 results, weakly correlated within an election): the
    # 95% upper bound of the rate at most 8%
    tests = digit_calibration[digit_calibration["check"] != BATTERY]
    k, n = int(tests["rejections"].sum()), int(tests["tested"].sum())
    assert clopper_pearson(k, n)[1] <= 0.08, (k, n)


def test_the_band_fails_a_miscalibrated_test() -> None:
    cal = calibrate(ShapeSampler(n_tables=1_500), checks=[get("digits.first_digit.textbook")],
                    n_sims=10, scenarios=None, seed=7, n_resamples=19, workers=1)
    fpr = cal.false_positive_rates().set_index("check")
    assert fpr.loc["digits.first_digit.textbook", "rate"] >= 0.9
    assert fpr.loc["digits.first_digit.textbook", "verdict"] == "anti-conservative"
    with pytest.raises(AssertionError):
        assert_calibrated(fpr.reset_index().iloc[:1])
    # and the assertion does fail a test at twice its level over 200 elections: 20 of 200
    # rejections (the Bonferroni interval for 10 tests starts at 0.053)
    with pytest.raises(AssertionError):
        assert_calibrated(pd.DataFrame([{"check": "x", "rejections": 24, "tested": 200}] * 10))
    assert_calibrated(pd.DataFrame([{"check": "x", "rejections": 15, "tested": 200}] * 10))


def test_verdict_row_and_summary(shape: ElectionShape, tmp_path: Path) -> None:
    from audit.cli.calibration_files import write_summary
    from audit.simulate.calibrate import VERDICT, load_calibration

    uniform = CheckSpec("testing.uniform", "testing", uniform_check)
    cal = calibrate(shape, checks=[uniform], n_sims=40, scenarios=[
        s for s in DEFAULT_SCENARIOS if s.name == "klimek_extreme"], n_power=5, seed=3,
        workers=1, verdict=_flag_extreme)
    fpr = cal.false_positive_rates().set_index("check")
    assert fpr.loc[VERDICT, "tested"] == 40
    assert fpr.loc[VERDICT, "rejections"] == 0  # no clean election has such a station
    power = cal.power().set_index(["check", "intensity"])["rate"]
    assert power[(VERDICT, 0.05)] == 1.0
    assert set(cal.runs.loc[cal.runs["check"] == VERDICT, "detail"]) == {
        "flagged", "not flagged"}
    # the small summary: a few kB, read back by load_calibration from a case folder
    case = tmp_path / "case"
    case.mkdir()
    (case / "election.toml").write_text(
        (Path(__file__).parents[2] / "datasets" / "demo" / "election.toml").read_text(
            encoding="utf-8"), encoding="utf-8")
    assert load_calibration(case) is None
    path = write_summary(cal, case / "calibration.json", label="test", command="x")
    assert Path(path).stat().st_size < 6_000
    summary = load_calibration(case)
    assert summary is not None
    assert summary.seed == 3
    assert summary.n_sims == 40
    assert summary.false_positive(VERDICT) == {"calibrated": True, "tested": 40,
                                               "rejections": 0, "rate": 0.0,
                                               "ci": [0.0, 0.0881], "verdict": "calibrated"}
    assert summary.power(VERDICT)["klimek_extreme"]["rate"][-1] == 1.0
    assert summary.simulator["tables"] == 600
    (case / "calibration.json").write_text("{}", encoding="utf-8")
    with pytest.raises(AuditError, match="not a calibration summary"):
        load_calibration(case)


def _flag_extreme(sheets: SheetTable, seed: int) -> bool:
    """A verdict for the tests: flagged when a station has turnout and leader share >= 95%."""
    hit = (sheets.turnout() >= 0.95) & (sheets.share(sheets.leader()) >= 0.95)
    return bool(hit.any())


def test_layered_sampler() -> None:
    sampler = ShapeSampler(n_tables=2_000, layered=True)
    assert sampler.name == "layered"
    p = sampler.parameters(np.random.default_rng(3))
    for key, (low, high) in LAYERED_RANGES.items():
        assert low <= p[key] <= high, key
    shape = sampler.draw(np.random.default_rng(3))
    assert shape.layers == ("subregion", "municipality", "center", "table")
    assert shape.correlation[1] == pytest.approx(p["municipality_correlation"])
    assert sampler.to_dict()["levels"] == ["region", "subregion", "municipality"]


@pytest.mark.slow
def test_corner_and_integer_percentages_hold_their_level_with_municipalities() -> None:
    # 200 layered clean elections (region > sub-region > municipality > centre > table,
    # municipalities differing in turnout and leaning, correlated either way) of 2,000
    # tables: ranking within regions rejected 24% of such elections; ranking and flipping
    # within local areas must hold the level
    specs = [get("fingerprints.corner"), get("turnout.integer_percentages")]
    cal = calibrate(ShapeSampler(n_tables=2_000, layered=True), checks=specs, n_sims=200,
                    scenarios=None, seed=11, n_resamples=19, workers=1)
    fpr = cal.false_positive_rates()
    assert (fpr.set_index("check").loc[[s.name for s in specs], "tested"] == 200).all()
    assert_calibrated(fpr[fpr["check"] != BATTERY])


def test_corner_test_finds_stuffing_for_the_leader_and_the_runner_up() -> None:
    # stuffing at 5% of tables (20-80% of their abstainers added) on layered elections of
    # 3,000 tables, tested for the candidate who benefits: seen 12 of 12 for each
    from audit.checks.fingerprints import corner_asymmetry

    sampler = ShapeSampler(n_tables=3_000, layered=True)
    found = {"leader": 0, "runner-up": 0}
    for seed in range(12):
        sheets = simulate(sampler.draw(np.random.default_rng(seed)), seed)
        totals = sheets.totals()
        ranked = sorted(sheets.candidates, key=lambda k: -totals[k])
        for who, beneficiary in zip(found, ranked, strict=False):
            stuffed, _ = stuff_ballots(sheets, fraction=0.05, candidate=who, rng=seed) \
                if who == "runner-up" else stuff_ballots(sheets, fraction=0.05, rng=seed)
            result = corner_asymmetry(stuffed, candidate=beneficiary, n_resamples=199,
                                      rng=seed)
            found[who] += result.pvalue is not None and result.pvalue <= 0.05
    assert found["leader"] >= 10, found
    assert found["runner-up"] >= 10, found


def test_forensics_verdict_reads_the_battery() -> None:
    # the default verdict of calibrate --verdict: the forensics battery's national verdict,
    # where this version of audit.checks.forensics gives one (else a clear error, reported in the
    # calibration table like any check's)
    from audit.checks.forensics import ForensicsResult
    from audit.simulate.calibrate import forensics_verdict

    sheets = simulate(ElectionShape.synthetic(n_tables=400, n_regions=3, rng=2), 2)
    if hasattr(ForensicsResult, "verdict"):
        assert isinstance(forensics_verdict(sheets, 1), bool)
    else:
        with pytest.raises(AuditError, match="no national verdict"):
            forensics_verdict(sheets, 1)


def test_summary_rates_and_best_power_are_read_defensively() -> None:
    from audit.simulate.calibrate import CalibrationSummary, MeasuredPower, MeasuredRate

    summary = CalibrationSummary(data={
        "schema": "election-audit/calibration-summary", "seed": 5, "n_sims": 200,
        "alpha": 0.05, "label": "demo",
        "false_positive": {
            "digits.last_digit": {"tested": 200, "rejections": 9, "rate": 0.045,
                                  "ci": [0.0208, 0.0836]},
            # a case folder may come from anyone: nothing in it is taken for a number
            "bad.rate": {"tested": 200, "rate": "0.05", "ci": [0.0, 0.1]},
            "bad.ci": {"tested": 200, "rate": 0.05, "ci": [0.0]},
            "bad.tested": {"tested": True, "rate": 0.05, "ci": [0.0, 0.1]},
            "bad.range": {"tested": 200, "rate": 1.5, "ci": [0.0, 0.1]}},
        "power": {"digits.last_digit": {
            # at least 80% of elections found: rounding at 2% (100%), digit preferences at
            # 5% (83%), invented numbers at 2% (83%): the smallest share is 2%, and of the
            # two there the higher power wins
            "round_percent": {"intensity": [0.02, 0.01], "rate": [1.0, 0.4],
                              "tested": [30, 30]},
            "digit_preference": {"intensity": [0.05, 0.1], "rate": [0.83, 1.0],
                                 "tested": [30, 30]},
            "invented": {"intensity": [0.02], "rate": [0.83], "tested": [30]},
            "withheld": {"intensity": ["x"], "rate": [1.0], "tested": [30]},
            "duplicates": "not a table"}}})
    assert summary.rate("digits.last_digit") == MeasuredRate(0.045, 0.0208, 0.0836, 200)
    for bad in ("bad.rate", "bad.ci", "bad.tested", "bad.range", "absent"):
        assert summary.rate(bad) is None
    assert summary.best_power("digits.last_digit") == MeasuredPower("round_percent", 0.02,
                                                                    1.0, 30)
    # below 80% everywhere: the highest power, at the smaller share of tables on a tie
    assert summary.best_power("digits.last_digit", target=1.01) == MeasuredPower(
        "round_percent", 0.02, 1.0, 30)
    weak = CalibrationSummary(data={"power": {"t": {
        "ballot_stuffing": {"intensity": [0.02, 0.05], "rate": [0.05, 0.3], "tested": [9, 9]},
        "invented": {"intensity": [0.01, 0.1], "rate": [0.3, 0.1], "tested": [9, 9]}}}})
    assert weak.best_power("t") == MeasuredPower("invented", 0.01, 0.3, 9)
    assert summary.best_power("bad.rate") is None
    assert summary.to_dict(["digits.last_digit", "bad.rate", "digits.last_digit"]) == {
        "label": "demo", "seed": 5, "n_sims": 200, "alpha": 0.05,
        "tests": {"digits.last_digit": {
            "false_positive_rate": 0.045, "ci": [0.0208, 0.0836], "tested": 200,
            "power": {"manipulation": "round_percent", "intensity": 0.02, "rate": 1.0,
                      "tested": 30}}}}
    assert CalibrationSummary(data={"false_positive": []}).rate("x") is None
    assert CalibrationSummary(data={"power": []}).best_power("x") is None
