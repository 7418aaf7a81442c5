"""The minimal clean simulator and ballot stuffing (audit.simulate)."""

from __future__ import annotations

import numpy as np

from audit.simulate import simulate_clean, stuff_ballots


def test_clean_election_reproduces_its_parameters() -> None:
    # With 40 regions at concentration 200 the national share of a 0.2 candidate has SD
    # sqrt(0.2 * 0.8 / 201 / 40) = 0.0045 (regional variation dominates): allow ~3.3 SD.
    sheets = simulate_clean(n_tables=20_000, shares=(0.5, 0.3, 0.2), turnout=0.6,
                            n_regions=40, rng=7)
    totals = sheets.totals()
    valid = sum(totals.values())
    assert abs(totals["C1"] / valid - 0.5) < 0.018
    assert abs(totals["C3"] / valid - 0.2) < 0.015
    turnout = sheets.total("voters") / sheets.total("registered")
    assert abs(turnout - 0.6) < 0.02
    assert (sheets.votes.sum(axis=1) == sheets.data["valid"]).all()
    assert (sheets.ballots() <= sheets.counts("registered")).all()
    assert abs(np.median(sheets.counts("registered")) - 500) < 15


def test_same_seed_same_election() -> None:
    a = simulate_clean(n_tables=500, rng=3).data
    b = simulate_clean(n_tables=500, rng=3).data
    c = simulate_clean(n_tables=500, rng=4).data
    assert a.equals(b)
    assert not a.equals(c)


def test_stuffing_adds_only_to_chosen_tables_and_candidate() -> None:
    sheets = simulate_clean(n_tables=5_000, rng=1)
    stuffed, truth = stuff_ballots(sheets, fraction=0.1, candidate="C2", rng=2)
    added = truth["added"].to_numpy()
    assert added[~truth["manipulated"].to_numpy()].sum() == 0
    assert 0.07 < truth["manipulated"].mean() < 0.13
    diff = stuffed.votes - sheets.votes
    assert (diff[:, 1] == added).all()
    assert (np.delete(diff, 1, axis=1) == 0).all()
    assert (stuffed.ballots() <= stuffed.counts("registered")).all()
    assert stuffed.total("valid") == sheets.total("valid") + added.sum()
