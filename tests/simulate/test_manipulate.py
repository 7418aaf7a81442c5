"""Manipulations: each changes what it should and nothing else (hypothesis properties)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.model import SheetTable, vote_column
from audit.simulate import ElectionShape, simulate
from audit.simulate.manipulate import (
    FABRICATION_METHODS,
    HUMAN_DIGITS,
    alter_totals,
    duplicate_sheets,
    fabricate_sheets,
    inflate_turnout,
    klimek_fraud,
    stuff_ballots,
    switch_votes,
    withhold_sheets,
)

KEYS = ("center_id", "table_id")
seeds = st.integers(0, 2**16)
fractions = st.floats(0.0, 1.0)


@functools.cache
def _base(seed: int, n: int, blank: bool) -> SheetTable:
    shape = ElectionShape.synthetic(n_tables=n, n_regions=4, subregions_per_region=3,
                                    blank_rate=0.02 if blank else None, rng=seed % 7)
    return simulate(shape, seed)


def election(seed: int, n: int = 200, *, blank: bool = False) -> SheetTable:
    """A small simulated election (16 distinct ones are cached: the manipulation's own
    randomness, seeded separately, varies with every example)."""
    return _base(seed % 16, n, blank)


def ballots(s: SheetTable) -> np.ndarray:
    return s.ballots().astype(np.int64)


def assert_identities(s: SheetTable) -> None:
    """Honest-sheet identities: votes sum to valid, voters = valid + null + blank, ballots
    never exceed registered voters."""
    df = s.data
    assert (s.votes.sum(axis=1) == df["valid"].to_numpy()).all()
    parts = df["valid"].to_numpy() + sum(
        df[c].fillna(0).to_numpy(np.int64) for c in ("null", "blank") if c in df)
    if "voters" in df:
        assert (df["voters"].to_numpy(np.int64) == parts).all()
    assert (parts <= df["registered"].to_numpy(np.int64)).all()


def _column(df: pd.DataFrame, col: str) -> np.ndarray:
    """A column as a comparable array (missing values as -1)."""
    s = df[col]
    if s.dtype == object or str(s.dtype) == "string":
        return s.fillna("").to_numpy(str)
    return s.fillna(-1).to_numpy(np.int64)


def assert_only(before: SheetTable, after: SheetTable, manipulated: np.ndarray,
                may_change: set[str]) -> None:
    """Unmanipulated rows are identical; manipulated rows differ only in ``may_change``,
    and every row labelled manipulated differs."""
    a, b = before.data, after.data
    assert list(a.columns) == list(b.columns)
    changed = np.zeros(len(a), dtype=bool)
    for col in a.columns:
        x, y = _column(a, col), _column(b, col)
        assert a[col].dtype == b[col].dtype, col
        if col in may_change:
            changed |= x != y
        else:
            assert (x == y).all(), col
    assert (changed == manipulated).all()


VOTE_COLS = {"valid", "voters", *(vote_column(k) for k in ("C1", "C2", "C3"))}


@given(seed=seeds, f_i=fractions, f_e=fractions, alpha=st.floats(0.5, 3.0))
def test_klimek_fraud(seed: int, f_i: float, f_e: float, alpha: float) -> None:
    f_e = min(f_e, 1.0 - f_i)
    before = election(seed)
    after, truth = klimek_fraud(before, f_i=f_i, f_e=f_e, alpha=alpha, candidate="C2", rng=seed)
    manipulated = truth["manipulated"].to_numpy()
    assert_identities(after)
    assert_only(before, after, manipulated, VOTE_COLS)
    diff = after.votes - before.votes
    stuffed, stolen = truth["stuffed"].to_numpy(), truth["stolen"].to_numpy()
    assert (diff[:, 1] == stuffed + stolen).all()
    assert (np.delete(diff, 1, axis=1).sum(axis=1) == -stolen).all()
    assert (ballots(after) - ballots(before) == stuffed).all()
    kind = truth["kind"].to_numpy()
    assert (truth["x"].to_numpy()[kind == ""] == 0).all()
    assert (truth["x"].between(0, 1)).all()
    assert not manipulated[kind == ""].any()


def test_klimek_extreme_fraud_makes_the_corner() -> None:
    before = election(1, 2_000)
    after, truth = klimek_fraud(before, f_i=0.0, f_e=0.1, rng=3)
    extreme = truth["kind"].to_numpy() == "extreme"
    assert 0.08 < extreme.mean() < 0.12
    # x = 1 - |N(0, 0.075)|: turnout and the winner's share land near 100%
    assert np.median(after.turnout()[extreme]) > 0.93
    assert np.median(after.share(after.leader())[extreme]) > 0.93
    assert np.median(after.turnout()[~extreme]) < 0.7


@given(seed=seeds, fraction=fractions)
def test_switch_votes(seed: int, fraction: float) -> None:
    before = election(seed)
    after, truth = switch_votes(before, fraction=fraction, candidate="C3", rng=seed)
    manipulated = truth["manipulated"].to_numpy()
    assert_identities(after)
    assert_only(before, after, manipulated, {vote_column(k) for k in ("C1", "C2", "C3")})
    assert (after.data["valid"] == before.data["valid"]).all()
    assert (after.votes[:, 2] - before.votes[:, 2] == truth["moved"]).all()
    assert after.total("votes_C3") - before.total("votes_C3") == truth["moved"].sum()


@given(seed=seeds, fraction=fractions)
def test_inflate_turnout(seed: int, fraction: float) -> None:
    before = election(seed, blank=True)
    after, truth = inflate_turnout(before, fraction=fraction, rng=seed)
    manipulated = truth["manipulated"].to_numpy()
    assert_identities(after)
    assert_only(before, after, manipulated, VOTE_COLS | {"null", "blank"})
    assert (ballots(after) - ballots(before) == truth["added"]).all()
    assert (after.votes >= before.votes).all()


def test_inflate_turnout_keeps_shares() -> None:
    before = election(5, 3_000)
    after, truth = inflate_turnout(before, fraction=0.5, rng=5)
    chosen = truth["manipulated"].to_numpy()
    assert np.mean(after.turnout()[chosen] - before.turnout()[chosen]) > 0.1
    # shares move only by multinomial noise: mean change below 0.005
    assert abs(np.nanmean(after.share("C1")[chosen] - before.share("C1")[chosen])) < 0.005


@pytest.mark.parametrize("method", FABRICATION_METHODS)
@given(seed=seeds, fraction=fractions)
def test_fabricate_sheets(method: str, seed: int, fraction: float) -> None:
    before = election(seed)
    after, truth = fabricate_sheets(before, fraction=fraction, method=method, rng=seed)
    manipulated = truth["manipulated"].to_numpy()
    assert_identities(after)
    assert_only(before, after, manipulated, VOTE_COLS | {"null"})
    assert (truth["ballots_after"].to_numpy() == ballots(after)).all()
    assert (truth.loc[manipulated, "method"] == method).all()


def test_round_percent_lands_on_round_percentages() -> None:
    before = election(2, 2_000)
    after, truth = fabricate_sheets(before, fraction=0.3, method="round_percent", rng=1)
    m = truth["manipulated"].to_numpy()
    reg = after.counts("registered")[m]
    t = after.ballots()[m] / reg * 100
    # ballots = rint(registered x integer%): within 0.5 / registered of a whole percent
    assert (np.abs(t - np.round(t)) <= 50 / reg + 1e-9).all()
    r = after.votes[m, 0] / after.ballots()[m] * 100
    assert np.mean(np.abs(r - np.round(r)) <= 0.05 + 50 / after.ballots()[m]) > 0.99


def test_digit_preference_heaps_final_digits() -> None:
    before = election(3, 4_000)
    after, truth = fabricate_sheets(before, fraction=1.0, method="digit_preference", rng=2)
    digits = after.votes[truth["manipulated"].to_numpy()] % 10
    freq = np.bincount(digits.ravel(), minlength=10) / digits.size
    # 12,000 counts: the frequency of 0 and 5 within 0.02 of the preference (SE ~0.004)
    assert freq[0] == pytest.approx(HUMAN_DIGITS[0], abs=0.02)
    assert freq[5] == pytest.approx(HUMAN_DIGITS[5], abs=0.02)


@given(seed=seeds, shift=st.floats(0.0, 0.5), added=st.floats(0.0, 0.2),
       level=st.sampled_from([None, "region"]))
def test_alter_totals(seed: int, shift: float, added: float, level: str | None) -> None:
    sheets = election(seed)
    same, official = alter_totals(sheets, shift=shift, added=added, candidate="C2",
                                  level=level, rng=seed)
    assert same is sheets
    true = sheets.aggregate(level)
    cols = [vote_column(k) for k in sheets.candidates]
    delta = official[cols].astype(int).to_numpy() - true[cols].astype(int).to_numpy()
    assert (official[[f"delta_{c}" for c in cols]].astype(int).to_numpy() == delta).all()
    assert (delta[:, [0, 2]] <= 0).all()
    assert (delta[~official["altered"].to_numpy()] == 0).all()
    # votes taken from others go to C2; invented votes raise valid by as much
    invented = official["valid"].astype(int) - true["valid"].astype(int)
    assert (delta.sum(axis=1) == invented).all()
    assert (official[cols].astype(int).sum(axis=1) == official["valid"].astype(int)).all()
    assert (official["registered"] == true["registered"]).all()


@given(seed=seeds, fraction=fractions, strength=st.floats(0.0, 4.0))
def test_withhold_sheets(seed: int, fraction: float, strength: float) -> None:
    before = election(seed)
    after, truth = withhold_sheets(before, fraction=fraction, strength=strength, rng=seed)
    withheld = truth["withheld"].to_numpy()
    assert (truth["manipulated"] == withheld).all()
    assert len(after) == len(before) - withheld.sum()
    kept = before.data.loc[~withheld].reset_index(drop=True)
    assert kept.equals(after.data)
    assert truth["probability"].mean() == pytest.approx(fraction, abs=1e-6)


def test_withholding_is_not_at_random() -> None:
    before = election(4, 5_000)
    _, truth = withhold_sheets(before, fraction=0.2, candidate="C2", strength=2.0, rng=1)
    w = truth["withheld"].to_numpy()
    share = before.share("C2")
    assert 0.18 < w.mean() < 0.22
    assert np.nanmean(share[w]) > np.nanmean(share[~w]) + 0.02


@given(seed=seeds, fraction=fractions, within=st.sampled_from(["center", "subregion", None]))
def test_duplicate_sheets(seed: int, fraction: float, within: str | None) -> None:
    before = election(seed)
    after, truth = duplicate_sheets(before, fraction=fraction, within=within, rng=seed)
    manipulated = truth["manipulated"].to_numpy()
    assert_identities(after)
    a, b = before.data, after.data
    fixed = [c for c in a.columns if c not in VOTE_COLS | {"null"}]
    assert a[fixed].equals(b[fixed])
    assert a.loc[~manipulated].reset_index(drop=True).equals(
        b.loc[~manipulated].reset_index(drop=True))
    index = pd.MultiIndex.from_frame(a[list(KEYS)].astype(str))
    rows = np.flatnonzero(manipulated)
    donors = index.get_indexer(pd.MultiIndex.from_arrays(
        [truth["donor_center_id"].to_numpy()[rows], truth["donor_table_id"].to_numpy()[rows]]))
    counts = ["valid", "null", "voters", *(vote_column(k) for k in before.candidates)]
    assert (b.loc[rows, counts].to_numpy() == a.loc[donors, counts].to_numpy()).all()
    assert (donors != rows).all()
    if within == "center":
        assert (a["center_id"].to_numpy()[donors] == a["center_id"].to_numpy()[rows]).all()


@given(seed=seeds, fraction=fractions)
def test_stuff_ballots(seed: int, fraction: float) -> None:
    before = election(seed)
    after, truth = stuff_ballots(before, fraction=fraction, candidate="C1", rng=seed)
    changed = truth["added"].to_numpy() > 0
    assert_identities(after)
    assert_only(before, after, changed, VOTE_COLS)
    assert not (changed & ~truth["manipulated"].to_numpy()).any()
