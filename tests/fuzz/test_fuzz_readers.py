"""Property tests of the readers alone (cheap, so the fuzz session runs many thousands):
any bytes open as a table with one clear error or read into rows that the ingest can
account for, and any cell parses to an exact whole number or a documented problem."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hostile import check_message, hostile_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.errors import AuditError
from audit.ingest.numbers import OK, PLAUSIBLE_MAX, PROBLEM_RULES, parse_counts
from audit.ingest.readers import open_file

pytestmark = pytest.mark.filterwarnings("ignore")
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_reader(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheets.csv"
        path.write_bytes(data)
        try:
            raw = open_file(path)
            frame = raw.read(raw.header)
        except AuditError as exc:
            check_message(str(exc))
            return
        assert list(frame.columns) == list(dict.fromkeys(raw.header))
        assert all(0 <= row < len(frame) for row in raw.ragged)
        for column in frame.columns:
            check_counts(frame[column].astype("string").astype(object))


def check_counts(values: pd.Series) -> None:
    parsed = parse_counts(values)
    assert len(parsed.values) == len(values)
    ok = parsed.problem == OK
    assert set(np.unique(parsed.problem)) <= {OK, *PROBLEM_RULES}
    good = parsed.values[ok]
    assert np.isfinite(good).all()
    assert (np.abs(good) <= PLAUSIBLE_MAX).all()
    assert (good == np.round(good)).all()
    assert np.isnan(parsed.values[~ok]).all()


@SETTINGS
@given(hostile_csv())
def test_any_hostile_csv_reads_or_fails_in_one_line(data: bytes) -> None:
    check_reader(data)


@SETTINGS
@given(st.binary(max_size=2048))
def test_any_bytes_read_or_fail_in_one_line(data: bytes) -> None:
    check_reader(b"region,station,A\n" + data)


@SETTINGS
@given(st.lists(st.one_of(st.text(max_size=16),
                          st.from_regex(r"[+-]?[0-9 .,'\u00a0]{1,14}", fullmatch=True)),
                min_size=1, max_size=30))
def test_any_cell_is_an_exact_count_or_a_documented_problem(cells: list[str]) -> None:
    check_counts(pd.Series(cells, dtype=object))


@SETTINGS
@given(st.integers(0, PLAUSIBLE_MAX), st.sampled_from([",", ".", " ", "'", "\u00a0", ""]),
       st.lists(st.integers(0, PLAUSIBLE_MAX), max_size=5))
def test_a_grouped_count_is_never_read_as_another_number(n: int, sep: str,
                                                        others: list[int]) -> None:
    """Issue 13: never a different number (ambiguous is allowed, wrong is not)."""
    cells = [f"{v:,}".replace(",", sep) for v in [n, *others]]
    parsed = parse_counts(pd.Series(cells, dtype=object))
    for value, expected, problem in zip(parsed.values, [n, *others], parsed.problem,
                                        strict=True):
        assert problem != OK or value == expected
