"""The estimate and the bound for the tables without a sheet (audit.checks.uncovered)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.checks.uncovered import estimate_uncovered
from audit.model import Election, SheetTable


def sheets(rows: list[tuple[str, str, int, int]]) -> SheetTable:
    """(state, table, A, B) per sheet, no null votes."""
    election = Election.from_dict({
        "id": "u", "name": "u", "date": "2024-01-01", "tables": 10, "registered": 1000,
        "region_levels": ["state"],
        "candidates": [{"key": "A", "name": "A"}, {"key": "B", "name": "B"}]})
    n = len(rows)
    data = pd.DataFrame({
        "region_state_code": [r[0] for r in rows], "region_state_name": [r[0] for r in rows],
        "center_id": [f"c{r[0]}" for r in rows], "table_id": [r[1] for r in rows],
        "valid": [r[2] + r[3] for r in rows], "votes_A": [r[2] for r in rows],
        "votes_B": [r[3] for r in rows], "source": "t", "line": np.arange(2, n + 2)})
    return SheetTable(data, candidates=("A", "B"), levels=("state",), election=election,
                      name="t")


def test_hand_computed_estimate_and_bound() -> None:
    # state 1: tables 1, 2 and 4 held (table 3 is a gap): A 10, 20, 30; B 0, 0, 0
    # state 2: tables 1, 2 held: A 0, 0; B 40, 60. 8 tables in all: 3 uncovered, 1 a gap.
    s = sheets([("1", "1", 10, 0), ("1", "2", 20, 0), ("1", "4", 30, 0),
                ("2", "1", 0, 40), ("2", "2", 0, 60)])
    r = estimate_uncovered(s, 8, registered_uncovered=50)
    assert (r.uncovered_tables, r.gap_tables) == (3, 1)
    regions = r.by_region.set_index("region_code")
    # the gap goes to state 1; the other 2 tables split 3:2 by covered tables
    assert regions.loc["1", "uncovered_tables"] == pytest.approx(1 + 2 * 3 / 5)
    assert regions.loc["2", "uncovered_tables"] == pytest.approx(2 * 2 / 5)
    t = r.table.set_index("key")
    # A: state 1 mean 20 per table x 2.2 tables = 44; B: state 2 mean 50 x 0.8 = 40
    assert t.loc["A", "estimate"] == pytest.approx(44.0)
    assert t.loc["B", "estimate"] == pytest.approx(40.0)
    assert t.loc["A", "share"] == pytest.approx(100 * 104 / 244)
    # bound: A has 60 of 160 valid on the sheets; 50 registered voters at most uncovered
    assert t.loc["A", "bound_low"] == pytest.approx(100 * 60 / 210)
    assert t.loc["A", "bound_high"] == pytest.approx(100 * 110 / 210)
    # B leads A by 40 on the sheets, not more than the 50 uncovered voters: not decided
    assert r.margin["first"] == "B"
    assert r.margin["decided_without_assumption"] is False
    assert r.margin["low"] <= r.margin["points"] <= r.margin["high"]


def test_interval_covers_the_truth_when_tables_are_missing_at_random() -> None:
    """Calibration: tables dropped at random within states; the 95% interval of A's national
    share covers the true share in about 95% of 100 draws (at least 88)."""
    rng = np.random.default_rng(5)
    n_states, per_state = 6, 150
    state = np.repeat(np.arange(n_states), per_state)
    valid = rng.integers(200, 600, state.size)
    p = np.array([0.3, 0.4, 0.5, 0.55, 0.6, 0.7])[state]
    a = rng.binomial(valid, rng.beta(20 * p, 20 * (1 - p)))
    truth = a.sum() / valid.sum()
    hits = 0
    for _ in range(100):
        keep = rng.random(state.size) < 0.8
        rows = [(str(s), str(i), int(x), int(v - x))
                for i, (s, x, v) in enumerate(zip(state[keep], a[keep], valid[keep],
                                                  strict=True))]
        by_state = {str(s): int((state == s).sum()) for s in range(n_states)}
        r = estimate_uncovered(sheets(rows), state.size, tables_by_region=by_state)
        t = r.table.set_index("key")
        hits += t.loc["A", "low"] <= 100 * truth <= t.loc["A", "high"]
    assert hits >= 88  # P(fewer than 88 of 100 | 95% coverage) < 0.002
