"""One number for one question: a test run alone from :mod:`audit.checks` gives the
battery's (and so the command line's) raw p-value, on plain arrays as on tally sheets."""

from __future__ import annotations

import numpy as np
import pytest

from audit import checks
from audit.data import load_source
from audit.model import SheetTable

SEED = 5


@pytest.fixture(scope="module")
def demo() -> SheetTable:
    return load_source("demo", "observers").sheets


@pytest.fixture(scope="module")
def battery(demo: SheetTable) -> checks.ForensicsResult:
    return checks.run_forensics(demo, by="province", seed=SEED, n_resamples=99,
                                progress=False,
                                checks=["digits.last_digit", "fingerprints.corner"])


def _entry(battery: checks.ForensicsResult, test: str, scope: str,
           candidate: str) -> checks.CheckResult:
    [result] = [e.result for e in battery.entries
                if (e.result.test, e.scope, e.result.candidate) == (test, scope, candidate)]
    return result


def test_a_digit_test_alone_gives_the_battery_pvalue(
        demo: SheetTable, battery: checks.ForensicsResult) -> None:
    in_battery = _entry(battery, "digits.last_digit", "national", "B")  # the leader
    alone = checks.last_digit_test(demo, candidate="B", n_resamples=99,
                                   rng=checks.battery_rng(SEED, "digits.last_digit"))
    assert alone.pvalue == in_battery.pvalue
    assert alone.statistic == in_battery.statistic
    # a plain seed is another stream: not the battery's redraws
    other = checks.last_digit_test(demo, candidate="B", n_resamples=99, rng=SEED)
    assert other.statistic != in_battery.statistic


def test_a_per_candidate_test_alone_gives_the_battery_pvalue_nationally_and_by_region(
        demo: SheetTable, battery: checks.ForensicsResult) -> None:
    for candidate in battery.candidates:
        rng = checks.battery_rng(SEED, "fingerprints.corner", candidate=candidate)
        alone = checks.corner_asymmetry(demo, candidate=candidate, n_resamples=99, rng=rng)
        assert alone.pvalue == _entry(battery, "fingerprints.corner", "national",
                                      candidate).pvalue
    scope = next(s for s in battery.scopes if s.level == "province")
    region = demo.subset((demo.data["region_province_code"] == scope.code).to_numpy(bool))
    alone = checks.corner_asymmetry(region, candidate="A", n_resamples=99,
                                    rng=checks.battery_rng(SEED, "fingerprints.corner",
                                                           candidate="A", scope=scope.key))
    assert alone.pvalue == _entry(battery, "fingerprints.corner", scope.key, "A").pvalue


def test_battery_rng_says_what_it_cannot_reproduce() -> None:
    with pytest.raises(ValueError, match=r"^candidate= is needed"):
        checks.battery_rng(SEED, "fingerprints.corner")
    with pytest.raises(ValueError, match=r"^test='digits.nope' is not a registered check"):
        checks.battery_rng(SEED, "digits.nope")
    with pytest.raises(ValueError, match=r"^scope='province:1'.*national redraws"):
        checks.battery_rng(SEED, "digits.last_digit", scope="province:1")


def test_digit_test_on_arrays_gives_the_sheets_pvalue(demo: SheetTable) -> None:
    """The honest null predicts each station's share from its size and turnout: with
    ``voters=`` and ``registered=`` (and the sheets' regions and centres) the arrays give the
    sheets' number exactly; without them, another null."""
    data = demo.data
    regions = (data["region_province_code"] + "/" + data["region_district_code"]).to_numpy()
    centers = regions + "/" + data["center_id"].to_numpy()
    sheets = checks.last_digit_test(demo, candidate="A", n_resamples=99, rng=1)
    arrays = checks.last_digit_test(data["votes_A"], data["valid"],
                                    voters=demo.counts("voters"),
                                    registered=demo.counts("registered"),
                                    regions=regions, centers=centers, n_resamples=99, rng=1)
    assert (arrays.pvalue, arrays.statistic) == (sheets.pvalue, sheets.statistic)
    bare = checks.last_digit_test(data["votes_A"], data["valid"], regions=regions,
                                  centers=centers, n_resamples=99, rng=1)
    assert bare.statistic != pytest.approx(sheets.statistic, rel=1e-9)
    assert np.isfinite(bare.statistic)


def test_the_command_line_json_gives_the_same_raw_pvalue(demo: SheetTable, capsys) -> None:
    """``election-audit forensics demo --seed S --json`` and the library, test by test."""
    import json

    from audit.cli import main

    with pytest.raises(SystemExit) as exit_code:
        main(["forensics", "demo", "--seed", str(SEED), "--n-resamples", "99", "--by",
              "province", "--check", "digits.last_digit", "--check", "fingerprints.corner",
              "--json", "--no-progress"])
    assert exit_code.value.code in (0, None)
    results = json.loads(capsys.readouterr().out)["results"]
    national = {(r["test"], r["candidate"]): r for r in results if r["scope"] == "national"}
    digit = national["digits.last_digit", "B"]
    alone = checks.last_digit_test(demo, candidate="B", n_resamples=99,
                                   rng=checks.battery_rng(SEED, "digits.last_digit"))
    assert digit["pvalue"] == alone.pvalue
    corner = checks.corner_asymmetry(demo, candidate="A", n_resamples=99,
                                     rng=checks.battery_rng(SEED, "fingerprints.corner",
                                                            candidate="A"))
    assert national["fingerprints.corner", "A"]["pvalue"] == corner.pvalue
    # the adjusted p-value is the battery's (tests x candidates, adjust()); alone: None
    assert corner.pvalue_adjusted is None
    assert national["fingerprints.corner", "A"]["pvalue_adjusted"] >= corner.pvalue


def test_every_national_result_of_the_battery_is_the_public_function_alone(
        demo: SheetTable) -> None:
    """Walks the registry: each national result of the battery is what the test's public
    function gives alone with the registry's options, the battery's number of redraws and
    ``battery_rng`` (the same statistic and raw p-value)."""
    import inspect

    battery = checks.run_forensics(demo, seed=SEED, n_resamples=19, n_refits=1,
                                   progress=False)
    specs = {s.name: s for s in checks.registered()}
    national = [e.result for e in battery.entries if e.scope == "national"]
    assert {r.test for r in national} == set(specs)
    for result in national:
        spec = specs[result.test]
        function, options = spec.family_function()
        parameters = inspect.signature(function).parameters
        if "rng" in parameters:
            options["rng"] = checks.battery_rng(
                SEED, spec.name, candidate=result.candidate if spec.per_candidate else None)
        if "n_resamples" in parameters:
            options["n_resamples"] = 19
        if "n_bootstrap" in parameters:  # the Klimek fit's refits (the battery's n_refits)
            options["n_bootstrap"] = 1
        alone = checks.TESTS[function.__name__](
            demo, candidate=result.candidate or battery.candidate, **options)
        assert (alone.test, alone.statistic, alone.pvalue) == (
            result.test, result.statistic, result.pvalue), result.test
