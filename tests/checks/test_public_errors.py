"""Wrong arguments to the public tests: one sentence naming the parameter as the function
names it (never a command-line flag, never numpy's or pandas' words)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from audit import checks
from audit.errors import AuditError
from audit.simulate import simulate_clean

SHEETS = simulate_clean(n_tables=200, n_regions=2, rng=4)
VOTES = SHEETS.data["votes_C1"].to_numpy()
VALID = SHEETS.data["valid"].to_numpy()
VOTERS = SHEETS.counts("voters")
REGISTERED = SHEETS.counts("registered")
WITH_NAN = np.where(np.arange(len(VOTES)) == 3, np.nan, VOTES)

CASES: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("digit totals too short", lambda: checks.second_digit_test(VOTES, VALID[:-1]),
     ValueError, r"^totals= has 199 values, expected 200 \(one per station\)$"),
    ("digit counts negative", lambda: checks.second_digit_test(-VOTES, VALID),
     ValueError, r"^counts= must hold non-negative whole numbers"),
    ("digit counts NaN", lambda: checks.last_digit_test(WITH_NAN, VALID),
     ValueError, r"^counts= has 1 missing value \(NaN\)"),
    ("digit counts text", lambda: checks.last_digit_test(np.array(["a"] * 200), VALID),
     ValueError, r"^counts= must hold numbers"),
    ("digit no totals", lambda: checks.second_digit_test(VOTES),
     ValueError, r"^totals= is needed"),
    ("digit counts above totals", lambda: checks.second_digit_test(VALID + 1, VALID),
     ValueError, r"^counts= exceed totals= at 200 stations"),
    ("digit empty", lambda: checks.second_digit_test([], []),
     ValueError, r"^counts= is empty"),
    ("station voters too short", lambda: checks.integer_percentages(VOTES, VOTERS[:-3],
                                                                    REGISTERED),
     ValueError, r"^voters= has 197 values"),
    ("valid above voters", lambda: checks.integer_percentages(VOTES, VOTERS, REGISTERED,
                                                              valid=VOTERS + 1),
     ValueError, r"^valid= exceed voters= at 200 stations"),
    ("station no registered", lambda: checks.integer_percentages(VOTES, VOTERS),
     ValueError, r"^registered= is needed"),
    ("unknown candidate, digits", lambda: checks.second_digit_test(SHEETS, candidate="ZZ"),
     ValueError, r"^candidate='ZZ' is not on these sheets; their candidates are C1, C2"),
    ("unknown candidate, turnout", lambda: checks.integer_percentages(SHEETS,
                                                                      candidate="ZZ"),
     ValueError, r"^candidate='ZZ' is not on these sheets"),
    ("candidate list, one-candidate test", lambda: checks.corner_asymmetry(
        SHEETS, candidate=["C1", "C2"]), TypeError, r"^candidate= must be one candidate key"),
    ("sheets and arrays", lambda: checks.second_digit_test(SHEETS, voters=VOTERS),
     TypeError, r"^with tally sheets, pass no arrays \(voters=\)"),
    ("bad rng", lambda: checks.last_digit_test(VOTES, VALID, rng="abc"),
     TypeError, r"^rng= must be a non-negative integer seed"),
    ("battery on arrays", lambda: checks.run_forensics(VOTES),
     TypeError, r"^sheets= must be tally sheets \(a SheetTable\), got ndarray"),
    ("battery negative seed", lambda: checks.run_forensics(SHEETS, seed=-3),
     AuditError, r"^seed= must be a non-negative integer or None, got -3$"),
    ("battery_rng negative seed", lambda: checks.battery_rng(-3, "digits.last_digit"),
     ValueError, r"^seed= must be a non-negative integer or None, got -3$"),
    ("registered, unknown family", lambda: checks.registered(family="turnuot"),
     ValueError, r"^family='turnuot' is not a family of registered checks; known: digits, "
                 r"fingerprints, turnout$"),
    ("results_frame of a number", lambda: checks.results_frame(0.1),
     TypeError, r"^results= must be check results \(CheckResult\), got float$"),
    ("results_frame of numbers", lambda: checks.results_frame([0.1]),
     TypeError, r"^results= must hold check results \(CheckResult\), got float"),
]


@pytest.mark.parametrize(("call", "error", "pattern"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_wrong_arguments_name_the_parameter(call: Callable[[], Any], error: type[Exception],
                                            pattern: str) -> None:
    with pytest.raises(error, match=pattern) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    assert "--" not in message  # no command-line flag


def test_a_negative_seed_on_the_command_line_is_one_line(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    """``--seed -3`` was an internal error (numpy's SeedSequence rejects it)."""
    from audit.cli import main

    with pytest.raises(SystemExit) as exit_code:
        main(["forensics", "demo", "--seed", "-3", "--check", "digits.last_digit"])
    assert exit_code.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "internal error" not in err
    assert err.endswith("Invalid value for '--seed': -3 is not in the range x>=0.")


@pytest.mark.parametrize("name", ["corner_asymmetry", "integer_percentages", "fingerprint",
                                  "klimek_fit", "sobyanin_sukhovolsky", "shpilkin_excess",
                                  "skewness", "dip_test"])
def test_registered_below_the_ballots_cast_is_named(name: str) -> None:
    """Registered voters below the ballots cast at every station (turnout over 100%, the
    arrays swapped or shifted): one sentence naming ``registered=``, not "no station passes
    the inclusion rules" nor an arithmetic error."""
    options = {"rng": 1} if name in ("corner_asymmetry", "skewness") else {}
    with warnings.catch_warnings(record=True) as printed:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=r"registered= is below the ballots cast at 200 "
                                             r"of 200 stations \(turnout over 100%\)") as caught:
            getattr(checks, name)(VOTES, VOTERS, VOTERS - 1, **options)
    assert "\n" not in str(caught.value)
    assert [str(w.message) for w in printed] == []  # the sentence only, no numpy warning first


def test_a_few_stations_over_100_percent_keep_the_test_running() -> None:
    registered = REGISTERED.copy()
    registered[:5] = VOTERS[:5] - 1
    res = checks.integer_percentages(VOTES, VOTERS, registered)
    assert res.excluded["turnout_over_100"] == 5
