"""Manipulations of a simulated (or real) table, each returning ground-truth labels.

Every manipulation takes a :class:`~audit.model.SheetTable`, its parameters and ``rng``, and
returns ``(sheets, truth)``: the manipulated table and a DataFrame with one row per input
table (``center_id``, ``table_id``, ``manipulated`` and what changed), so that tests and power
studies know exactly what was done. Rows not labelled as manipulated are left byte-identical;
registered voters and keys are never changed (except where documented). Unless documented,
every output keeps the identities of an honest sheet: candidates sum to ``valid``; ``voters``
(where stated) equals valid + null + blank when it did before; ballots never exceed registered
voters.

Manipulations
-------------
* :func:`stuff_ballots` – extra ballots for one candidate at a share of stations (uniform
  intensity);
* :func:`klimek_fraud` – incremental and extreme ballot stuffing with vote stealing, the fraud
  model of Klimek et al. (2012) [klimek2012];
* :func:`switch_votes` – votes moved from other candidates to one (ballots unchanged);
* :func:`inflate_turnout` – extra ballots split like the station's own votes (shares
  unchanged in expectation);
* :func:`fabricate_sheets` – invented numbers, human digit preferences, or rounding turnout
  and result to round percentages (Kobak, Shpilkin & Pshenichnikov 2016 [kobak2016]);
* :func:`alter_totals` – announced totals that differ from the sum of the sheets (the sheets
  are untouched; returns the altered official totals);
* :func:`withhold_sheets` – tables deleted or withheld, not at random;
* :func:`duplicate_sheets` – copy-paste: results of one sheet copied onto another.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from audit._random import RNGLike, as_generator
from audit.model import SheetTable, region_code_column, vote_column
from audit.simulate.clean import _multinomial_rows

#: Probability of each final digit 0-9 when a person invents a count. Illustrative weights
#: with heaping on 0 and 5, the best-known human preference (people also avoid repeating and
#: adjacent digits; Beber & Scacco 2012 [beber2012]); pass your own to
#: :func:`fabricate_sheets` to model another pattern.
HUMAN_DIGITS: tuple[float, ...] = (0.22, 0.06, 0.08, 0.07, 0.06, 0.17, 0.07, 0.08, 0.1, 0.09)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _rebuild(sheets: SheetTable, df: pd.DataFrame, suffix: str) -> SheetTable:
    return SheetTable(df, candidates=sheets.candidates, levels=sheets.levels,
                      election=sheets.election, provenance=sheets.provenance,
                      name=f"{sheets.name}+{suffix}", unique_keys_checked=True)


def _truth(sheets: SheetTable, manipulated: np.ndarray, **columns: object) -> pd.DataFrame:
    df = sheets.data
    return pd.DataFrame({"center_id": df["center_id"].to_numpy(),
                         "table_id": df["table_id"].to_numpy(),
                         "manipulated": np.asarray(manipulated, dtype=bool), **columns})


def _check_fraction(fraction: float) -> None:
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be between 0 and 1")


def _optional(df: pd.DataFrame, column: str) -> np.ndarray | None:
    """An optional count column as int64 (missing as 0), or None when absent."""
    if column not in df:
        return None
    return df[column].fillna(0).to_numpy(np.int64)


def _set_optional(df: pd.DataFrame, column: str, values: np.ndarray, rows: np.ndarray) -> None:
    """Write ``values`` into an optional (Int64) column on ``rows``; cells that were missing
    (not stated on the sheet) stay missing."""
    original = df[column]
    mask = original.isna().to_numpy()
    data = np.where(rows, values, original.fillna(0).to_numpy(np.int64))
    df[column] = pd.arrays.IntegerArray(data.astype(np.int64), mask)


def _abstainers(sheets: SheetTable) -> np.ndarray:
    """Registered voters who did not vote (0 where registered voters are unknown)."""
    if "registered" not in sheets.data:
        raise ValueError("this manipulation needs registered voters")
    gap = sheets.counts("registered") - sheets.ballots()
    return np.nan_to_num(np.maximum(gap, 0.0)).astype(np.int64)


#: ``candidate`` value naming the candidate second in votes on the sheets.
RUNNER_UP = "runner-up"


def _key(sheets: SheetTable, candidate: str | None) -> str:
    """A candidate key: given, the leader (None) or the runner-up (:data:`RUNNER_UP`)."""
    if candidate == RUNNER_UP and RUNNER_UP not in sheets.candidates:
        totals = sheets.totals()
        ranked = sorted(sheets.candidates, key=lambda k: -totals[k])
        return ranked[1] if len(ranked) > 1 else ranked[0]
    key = candidate or sheets.leader()
    if key not in sheets.candidates:
        raise ValueError(f"unknown candidate {key!r}; known: {list(sheets.candidates)}")
    return key


def _truncated_halfnormal(scale: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """``|N(0, scale)|`` conditioned on being below 1 (inverse-CDF, vectorised)."""
    top = 2.0 * special.ndtr(1.0 / scale) - 1.0
    return np.minimum(scale * special.ndtri(0.5 + 0.5 * rng.random(size) * top), 1.0)


def _largest_remainder(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Non-negative integers per row proportional to ``weights`` summing to ``totals``."""
    w = np.asarray(weights, dtype=float)
    rows = w.sum(axis=1)
    w = np.where(rows[:, None] > 0, w, 1.0)
    exact = w / w.sum(axis=1, keepdims=True) * totals[:, None]
    out = np.floor(exact).astype(np.int64)
    short = totals - out.sum(axis=1)
    rank = np.argsort(np.argsort(-(exact - out), axis=1, kind="stable"), axis=1)
    return out + (rank < short[:, None]).astype(np.int64)


def _with_counts(sheets: SheetTable, rows: np.ndarray, votes: np.ndarray,
                 null: np.ndarray | None = None, blank: np.ndarray | None = None,
                 suffix: str = "manipulated") -> SheetTable:
    """A copy with new votes (and null/blank) on ``rows``; valid and voters follow."""
    df = sheets.data.copy()
    old = sheets.votes
    new = np.where(rows[:, None], votes, old)
    for j, key in enumerate(sheets.candidates):
        df[vote_column(key)] = new[:, j]
    df["valid"] = np.where(rows, new.sum(axis=1), df["valid"].to_numpy(np.int64))
    if null is not None and "null" in df:
        _set_optional(df, "null", null, rows)
    if blank is not None and "blank" in df:
        _set_optional(df, "blank", blank, rows)
    if "voters" in df:
        delta = (new.sum(axis=1) - old.sum(axis=1))
        for col in ("null", "blank"):
            before = _optional(sheets.data, col)
            after = _optional(df, col)
            if before is not None and after is not None:
                delta = delta + after - before
        voters = _optional(sheets.data, "voters")
        assert voters is not None
        stated = sheets.data["voters"].notna().to_numpy()
        _set_optional(df, "voters", voters + delta, rows & stated)
    return _rebuild(sheets, df, suffix)


# --------------------------------------------------------------------------------------------
# ballot stuffing and vote stealing
# --------------------------------------------------------------------------------------------


def stuff_ballots(sheets: SheetTable, *, fraction: float, candidate: str | None = None,
                  intensity: tuple[float, float] = (0.2, 0.8),
                  rng: RNGLike = None) -> tuple[SheetTable, pd.DataFrame]:
    """Add ballots for ``candidate`` at a random ``fraction`` of tables (ballot stuffing).

    At each chosen table a share ``x ~ Uniform(*intensity)`` of the registered voters who did
    not vote is added as ballots for the candidate (the incremental fraud of Klimek et al.
    2012, without vote stealing). ``candidate``: a key, None (the leader) or ``"runner-up"``.
    Requires ``registered``.

    Returns the new table and a truth frame with ``table_id``, ``manipulated`` and ``added``.
    """
    _check_fraction(fraction)
    if "registered" not in sheets.data:
        raise ValueError("ballot stuffing needs registered voters")
    rng = as_generator(rng)
    key = _key(sheets, candidate)
    df = sheets.data.copy()
    n = len(df)
    chosen = rng.random(n) < fraction
    registered = df["registered"].to_numpy(np.float64, na_value=np.nan)
    ballots = sheets.ballots()
    abstainers = np.nan_to_num(np.maximum(registered - ballots, 0)).astype(np.int64)
    x = rng.uniform(*intensity, n)
    added = np.where(chosen, rng.binomial(abstainers, x), 0).astype(np.int64)
    df[vote_column(key)] = df[vote_column(key)] + added
    df["valid"] = df["valid"] + added
    if "voters" in df:
        df["voters"] = df["voters"] + pd.array(added, dtype="Int64")
    out = SheetTable(df, candidates=sheets.candidates, levels=sheets.levels,
                     election=sheets.election, provenance=sheets.provenance,
                     name=f"{sheets.name}+stuffing", unique_keys_checked=True)
    truth = pd.DataFrame({"table_id": df["table_id"].to_numpy(), "manipulated": chosen,
                          "added": added, "center_id": df["center_id"].to_numpy()})
    return out, truth


def klimek_fraud(sheets: SheetTable, *, f_i: float, f_e: float = 0.0, alpha: float = 2.0,
                 theta: float = 0.2, extreme_sd: float = 0.075, candidate: str | None = None,
                 rng: RNGLike = None) -> tuple[SheetTable, pd.DataFrame]:
    """Incremental and extreme fraud of Klimek, Yegorov, Hanel & Thurner (2012) [klimek2012].

    A share ``f_i`` of tables gets *incremental* fraud with intensity ``x ~ |N(0, theta)|``
    and a share ``f_e`` *extreme* fraud with ``x = 1 - |N(0, extreme_sd)|`` (both truncated to
    (0, 1)). At intensity ``x`` a fraction ``x`` of the registered voters who did not vote is
    stuffed as ballots for ``candidate`` (default: the leader), and a fraction ``x ** alpha``
    of every other candidate's votes is stolen for ``candidate``: reported ballots
    ``N [1 - (1 - x)(1 - a)]`` and winner votes ``N [a v + x (1 - a) + x^alpha a (1 - v)]`` in
    the paper's notation, drawn here with binomials. ``alpha > 1`` makes stealing smaller
    than stuffing at small ``x``.

    Reference: Klimek et al. (2012) [klimek2012] (the fraud model of its Methods; f_i and
    f_e are shares of *units*, not of votes).

    Returns
    -------
    sheets, truth
        ``truth`` has ``kind`` (``""``, ``"incremental"``, ``"extreme"``), ``x``, ``stuffed``
        and ``stolen`` (votes taken from the other candidates) per table; ``manipulated``
        is True where any vote changed.
    """
    if f_i < 0 or f_e < 0 or f_i + f_e > 1:
        raise ValueError("f_i and f_e must be non-negative shares summing to at most 1")
    rng = as_generator(rng)
    key = _key(sheets, candidate)
    n = len(sheets)
    abstainers = _abstainers(sheets)
    u = rng.random(n)
    incremental = u < f_i
    extreme = (u >= f_i) & (u < f_i + f_e)
    x = np.zeros(n)
    x[incremental] = _truncated_halfnormal(theta, int(incremental.sum()), rng)
    x[extreme] = 1.0 - _truncated_halfnormal(extreme_sd, int(extreme.sum()), rng)
    stuffed = rng.binomial(abstainers, x)
    votes = sheets.votes.copy()
    j = sheets.candidates.index(key)
    stolen_each = rng.binomial(votes, (x ** alpha)[:, None])
    stolen_each[:, j] = 0
    stolen = stolen_each.sum(axis=1)
    votes -= stolen_each
    votes[:, j] += stolen + stuffed
    changed = (stuffed + stolen) > 0
    kind = np.where(incremental, "incremental", np.where(extreme, "extreme", ""))
    out = _with_counts(sheets, changed, votes, suffix="klimek")
    return out, _truth(sheets, changed, kind=kind, x=x, stuffed=stuffed, stolen=stolen)


def switch_votes(sheets: SheetTable, *, fraction: float, share: tuple[float, float] = (0.1, 0.4),
                 candidate: str | None = None, victims: Sequence[str] | None = None,
                 rng: RNGLike = None) -> tuple[SheetTable, pd.DataFrame]:
    """Move votes from other candidates to ``candidate`` at a share of tables.

    At each chosen table (probability ``fraction``) a share ``y ~ Uniform(*share)`` of each
    victim's votes (default: every other candidate) is moved to ``candidate`` (default: the
    leader). Ballots, valid votes, null and blank are unchanged; only the split changes.

    Returns ``truth`` with ``moved`` (votes moved) and ``y`` per table.
    """
    _check_fraction(fraction)
    rng = as_generator(rng)
    key = _key(sheets, candidate)
    j = sheets.candidates.index(key)
    from_ = [k for k in (victims or sheets.candidates) if k != key]
    mask = np.isin(np.asarray(sheets.candidates), from_)
    n = len(sheets)
    chosen = rng.random(n) < fraction
    y = np.where(chosen, rng.uniform(*share, n), 0.0)
    votes = sheets.votes.copy()
    moved_each = rng.binomial(votes, y[:, None]) * mask[None, :]
    moved = moved_each.sum(axis=1)
    votes -= moved_each
    votes[:, j] += moved
    changed = moved > 0
    out = _with_counts(sheets, changed, votes, suffix="switching")
    return out, _truth(sheets, changed, y=y, moved=moved)


def inflate_turnout(sheets: SheetTable, *, fraction: float,
                    share: tuple[float, float] = (0.1, 0.5),
                    rng: RNGLike = None) -> tuple[SheetTable, pd.DataFrame]:
    """Add ballots that look like the station's own votes (turnout inflation).

    At each chosen table a share ``y ~ Uniform(*share)`` of the registered voters who did not
    vote is added as ballots, split among null, blank and the candidates multinomially in the
    table's own proportions (national ones where the table has no ballots). Shares are
    unchanged in expectation; only turnout rises. Requires ``registered``.

    Returns ``truth`` with ``added`` ballots and ``y`` per table.
    """
    _check_fraction(fraction)
    rng = as_generator(rng)
    n = len(sheets)
    abstainers = _abstainers(sheets)
    chosen = rng.random(n) < fraction
    y = np.where(chosen, rng.uniform(*share, n), 0.0)
    added = rng.binomial(abstainers, y)
    df = sheets.data
    null = _optional(df, "null")
    blank = _optional(df, "blank")
    parts = [sheets.votes]
    parts += [c[:, None] for c in (null, blank) if c is not None]
    current = np.hstack(parts).astype(float)
    national = current.sum(axis=0)
    weights = np.where(current.sum(axis=1, keepdims=True) > 0, current,
                       national if national.sum() > 0 else 1.0)
    extra = _multinomial_rows(added, weights / weights.sum(axis=1, keepdims=True), rng)
    k = len(sheets.candidates)
    votes = sheets.votes + extra[:, :k]
    col = k
    new_null = new_blank = None
    if null is not None:
        new_null = null + extra[:, col]
        col += 1
    if blank is not None:
        new_blank = blank + extra[:, col]
    changed = added > 0
    out = _with_counts(sheets, changed, votes, new_null, new_blank, suffix="turnout")
    return out, _truth(sheets, changed, y=y, added=added)


# --------------------------------------------------------------------------------------------
# fabricated sheets
# --------------------------------------------------------------------------------------------

FABRICATION_METHODS = ("round_percent", "digit_preference", "invented")


def fabricate_sheets(sheets: SheetTable, *, fraction: float, method: str = "round_percent",
                     candidate: str | None = None, step: float = 1.0,
                     digit_weights: Sequence[float] = HUMAN_DIGITS,
                     turnout: tuple[float, float] = (0.6, 0.9),
                     share: tuple[float, float] = (0.5, 0.8),
                     rng: RNGLike = None) -> tuple[SheetTable, pd.DataFrame]:
    """Replace the numbers of a share of sheets by fabricated ones.

    Methods
    -------
    ``round_percent``
        Turnout (ballots / registered) and the result of ``candidate`` (default: the leader;
        votes / ballots in the box, as in Kobak et al. 2016 [kobak2016]) are
        rounded to multiples of ``step`` percent; the other candidates share the remaining
        valid votes in their old proportions. Null and blank are kept (capped by the new
        ballots). Without registered voters only the result is rounded.
    ``digit_preference``
        The last digit of every candidate's count is replaced by a digit drawn from
        ``digit_weights`` (default :data:`HUMAN_DIGITS`, heaped on 0 and 5); where ballots
        would exceed registered voters the largest count is lowered by a multiple of ten
        (its last digit kept).
    ``invented``
        Numbers made up without counting: turnout uniform in ``turnout``, the candidate's
        share of valid votes uniform in ``share``, the rest split by a flat Dirichlet;
        null votes at the sheet's old rate. No binomial variation.

    Returns ``truth`` with ``method``, ``ballots_before`` / ``ballots_after`` and
    ``candidate_before`` / ``candidate_after`` per table.
    """
    _check_fraction(fraction)
    if method not in FABRICATION_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {FABRICATION_METHODS}")
    rng = as_generator(rng)
    key = _key(sheets, candidate)
    j = sheets.candidates.index(key)
    n = len(sheets)
    df = sheets.data
    chosen = rng.random(n) < fraction
    votes = sheets.votes.copy()
    null = _optional(df, "null")
    blank = _optional(df, "blank")
    inv = (null if null is not None else 0) + (blank if blank is not None else 0)
    inv = np.broadcast_to(np.asarray(inv, dtype=np.int64), (n,)).copy()
    ballots = votes.sum(axis=1) + inv
    registered = sheets.counts("registered") if "registered" in df else np.full(n, np.nan)
    has_reg = np.isfinite(registered) & (registered > 0)
    new_null, new_blank = null, blank
    ok = chosen.copy()

    if method == "round_percent":
        with np.errstate(divide="ignore", invalid="ignore"):
            target_t = np.round(ballots / registered * 100.0 / step) * step / 100.0
        new_ballots = np.where(has_reg, np.rint(registered * np.minimum(target_t, 1.0)),
                               ballots).astype(np.int64)
        new_null, new_blank, new_valid = _cap_invalid(null, blank, new_ballots)
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.where(ballots > 0, votes[:, j] / ballots, 0.0)
        target_r = np.round(result * 100.0 / step) * step / 100.0
        lead = np.minimum(np.rint(new_ballots * target_r).astype(np.int64), new_valid)
        votes = _fill_others(votes, j, lead, new_valid - lead)
    elif method == "digit_preference":
        w = np.asarray(digit_weights, dtype=float)
        digits = rng.choice(10, size=votes.shape, p=w / w.sum())
        votes = votes // 10 * 10 + digits
        excess = votes.sum(axis=1) + inv - np.where(has_reg, registered, np.inf)
        need = np.where(excess > 0, np.ceil(excess / 10.0) * 10.0, 0.0)
        top = np.argmax(votes, axis=1)
        rows = np.arange(n)
        feasible = votes[rows, top] >= need
        votes[rows, top] -= np.where(feasible, need, 0.0).astype(np.int64)
        ok &= feasible
    else:  # invented
        t = rng.uniform(*turnout, n)
        base = np.where(has_reg, registered, ballots)
        new_ballots = np.rint(np.nan_to_num(base) * np.where(has_reg, t, 1.0)).astype(np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            null_rate = np.where(ballots > 0, (null if null is not None else 0) / ballots, 0.0)
        new_null = np.rint(new_ballots * null_rate).astype(np.int64) if null is not None \
            else None
        new_null, new_blank, new_valid = _cap_invalid(new_null, blank, new_ballots)
        lead = np.rint(new_valid * rng.uniform(*share, n)).astype(np.int64)
        flat = rng.dirichlet(np.ones(len(sheets.candidates)), n)
        votes = _fill_others(np.rint(flat * 1e6).astype(np.int64), j, lead, new_valid - lead)

    changed = ok & ((votes != sheets.votes).any(axis=1)
                    | _differs(new_null, null) | _differs(new_blank, blank))
    out = _with_counts(sheets, changed, votes, new_null, new_blank, suffix=method)
    after = np.where(changed, votes.sum(axis=1) + _sum_optional(new_null, new_blank, n), ballots)
    return out, _truth(sheets, changed, method=np.where(changed, method, ""),
                       ballots_before=ballots, ballots_after=after,
                       candidate_before=sheets.votes[:, j],
                       candidate_after=np.where(changed, votes[:, j], sheets.votes[:, j]))


def _cap_invalid(null: np.ndarray | None, blank: np.ndarray | None, ballots: np.ndarray
                 ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    new_null = np.minimum(null, ballots) if null is not None else None
    used = new_null if new_null is not None else 0
    new_blank = np.minimum(blank, ballots - used) if blank is not None else None
    valid = ballots - used - (new_blank if new_blank is not None else 0)
    return new_null, new_blank, np.asarray(valid, dtype=np.int64)


def _fill_others(votes: np.ndarray, j: int, lead: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Candidate ``j`` gets ``lead``; the others share ``rest`` in proportion to ``votes``."""
    others = np.delete(votes, j, axis=1)
    out = np.empty_like(votes)
    out[:, j] = lead
    if others.shape[1]:
        out[:, np.arange(votes.shape[1]) != j] = _largest_remainder(rest, others)
    else:
        out[:, j] = lead + rest
    return out


def _differs(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | bool:
    if a is None or b is None:
        return False
    return np.asarray(a != b)


def _sum_optional(a: np.ndarray | None, b: np.ndarray | None, n: int) -> np.ndarray:
    total = np.zeros(n, dtype=np.int64)
    for x in (a, b):
        if x is not None:
            total = total + x
    return total


# --------------------------------------------------------------------------------------------
# totals altered at aggregation
# --------------------------------------------------------------------------------------------


def alter_totals(sheets: SheetTable, *, shift: float = 0.03, candidate: str | None = None,
                 added: float = 0.0, level: str | None = None, regions: float = 1.0,
                 rng: RNGLike = None) -> tuple[SheetTable, pd.DataFrame]:
    """Announced totals that differ from the sum of the sheets (altered at aggregation).

    The sheets are not touched. In each altered region at ``level`` (None: the nation; a
    random share ``regions`` of them), a share ``shift`` of the valid votes is moved from
    the other candidates (in proportion to their votes) to ``candidate`` (default: the
    runner-up on the sheets, i.e. the result is overturned in that direction), and a share
    ``added`` of valid votes is invented for ``candidate`` (raising valid votes and ballots).

    Returns
    -------
    sheets, official
        ``sheets`` unchanged; ``official`` holds the announced totals per region (the
        columns of :meth:`SheetTable.aggregate`), with ``altered`` and, per count column,
        ``delta_<column>`` = announced - sum of sheets.
    """
    if not 0.0 <= shift < 1.0 or added < 0.0 or not 0.0 <= regions <= 1.0:
        raise ValueError("shift must be in [0, 1), added >= 0, regions in [0, 1]")
    rng = as_generator(rng)
    totals = sheets.totals()
    ranked = sorted(totals, key=lambda k: -totals[k])
    key = candidate or (ranked[1] if len(ranked) > 1 else ranked[0])
    if key not in sheets.candidates:
        raise ValueError(f"unknown candidate {key!r}")
    true = sheets.aggregate(level)
    official = true.copy()
    n = len(official)
    altered = rng.random(n) < regions if level is not None else np.ones(n, dtype=bool)
    cols = [vote_column(k) for k in sheets.candidates]
    votes = official[cols].to_numpy(np.float64, na_value=0.0)
    valid = votes.sum(axis=1)
    j = sheets.candidates.index(key)
    moved_total = np.rint(valid * shift)
    others = np.delete(votes, j, axis=1)
    available = others.sum(axis=1)
    moved_total = np.minimum(moved_total, available)
    take = _largest_remainder(moved_total.astype(np.int64), others) if others.shape[1] \
        else np.zeros((n, 0), dtype=np.int64)
    invented = np.rint(valid * added).astype(np.int64)
    new = votes.astype(np.int64)
    new[:, np.arange(len(cols)) != j] -= take
    new[:, j] += take.sum(axis=1) + invented
    new = np.where(altered[:, None], new, votes.astype(np.int64))
    invented = np.where(altered, invented, 0)
    for c, col in enumerate(cols):
        official[col] = pd.array(new[:, c], dtype="Int64")
    official["valid"] = official["valid"] + pd.array(invented, dtype="Int64")
    if "voters" in official:
        official["voters"] = official["voters"] + pd.array(invented, dtype="Int64")
    official["altered"] = altered
    for col in [c for c in ("registered", "voters", "valid", "null", "blank")
                if c in official] + cols:
        official[f"delta_{col}"] = (official[col] - true[col]).astype("Int64")
    return sheets, official


# --------------------------------------------------------------------------------------------
# withheld and duplicated sheets
# --------------------------------------------------------------------------------------------


def withhold_sheets(sheets: SheetTable, *, fraction: float, candidate: str | None = None,
                    strength: float = 2.0, rng: RNGLike = None
                    ) -> tuple[SheetTable, pd.DataFrame]:
    """Delete or withhold tables, not at random: those where ``candidate`` did best.

    Each table is withheld with probability ``expit(a + strength * z)``, ``z`` the
    standardised share of ``candidate`` (default: the runner-up on the sheets) and ``a`` set
    so that the expected share withheld is ``fraction``. ``strength = 0`` withholds at
    random.

    Returns the remaining tables and ``truth`` (one row per *input* table) with
    ``withheld`` (= ``manipulated``) and ``probability``.
    """
    _check_fraction(fraction)
    rng = as_generator(rng)
    totals = sheets.totals()
    ranked = sorted(totals, key=lambda k: -totals[k])
    key = candidate or (ranked[1] if len(ranked) > 1 else ranked[0])
    share = sheets.share(key)
    sd = float(np.nanstd(share)) or 1.0
    z = np.nan_to_num((share - np.nanmean(share)) / sd) if np.isfinite(share).any() \
        else np.zeros(len(sheets))
    if fraction <= 0.0:
        prob = np.zeros(len(sheets))
    elif fraction >= 1.0:
        prob = np.ones(len(sheets))
    else:
        lo, hi = -50.0, 50.0
        for _ in range(100):
            mid = (lo + hi) / 2.0
            if special.expit(mid + strength * z).mean() < fraction:
                lo = mid
            else:
                hi = mid
        prob = special.expit((lo + hi) / 2.0 + strength * z)
    withheld = rng.random(len(sheets)) < prob
    kept = sheets.subset(~withheld, name=f"{sheets.name}+withheld")
    return kept, _truth(sheets, withheld, withheld=withheld, probability=prob)


def duplicate_sheets(sheets: SheetTable, *, fraction: float, within: str | None = "center",
                     copy_registered: bool = False, rng: RNGLike = None
                     ) -> tuple[SheetTable, pd.DataFrame]:
    """Copy-paste: the results of one sheet written onto another of the same group.

    Each chosen table (probability ``fraction``) receives the counts (``valid``, votes,
    ``null``, ``blank``, ``voters``) of another random table of the same centre (``within =
    "center"``), of the same region at a level (``within = <level>``) or of the nation
    (``None``); its keys are kept. Registered voters are copied only with
    ``copy_registered``. A copy that would put more ballots than registered voters on the
    receiving sheet is not made (unless ``copy_registered``), nor one in a group of a single
    table: the truth says which copies were made.

    Returns ``truth`` with ``donor_center_id`` and ``donor_table_id`` ("" where unchanged).
    """
    _check_fraction(fraction)
    rng = as_generator(rng)
    df = sheets.data
    n = len(df)
    if within == "center":
        group_key = df["center_id"].fillna("").to_numpy(str)
        group_key = np.where(group_key == "", np.char.add("\x00", np.arange(n).astype(str)),
                             group_key)
    elif within is None:
        group_key = np.zeros(n, dtype=np.int64).astype(str)
    else:
        if within not in sheets.levels:
            raise ValueError(f"unknown level {within!r}; levels: {list(sheets.levels)}")
        group_key = df[region_code_column(within)].fillna("").to_numpy(str)
    group = pd.factorize(group_key)[0]
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    sizes = np.diff(np.r_[starts, n])
    pos_start = np.repeat(starts, sizes)
    pos_size = np.repeat(sizes, sizes)
    position = np.arange(n) - pos_start
    offset = rng.integers(0, np.maximum(pos_size - 1, 1))
    donor_sorted = pos_start + (position + 1 + offset) % pos_size
    donor = np.empty(n, dtype=np.int64)
    donor[order] = order[donor_sorted]
    chosen = (rng.random(n) < fraction) & (np.bincount(group)[group] >= 2)
    ballots = sheets.ballots()
    if "registered" in df and not copy_registered:
        registered = sheets.counts("registered")
        fits = ~(np.isfinite(registered) & (ballots[donor] > registered))
        chosen &= fits
    out = df.copy()
    columns = ["valid", *(vote_column(k) for k in sheets.candidates)]
    optional = [c for c in ("null", "blank", "voters") if c in df]
    if copy_registered and "registered" in df:
        optional.append("registered")
    rows = np.flatnonzero(chosen)
    for col in columns:
        values = out[col].to_numpy(np.int64).copy()
        values[rows] = values[donor[rows]]
        out[col] = values
    for col in optional:
        data = df[col].fillna(0).to_numpy(np.int64).copy()
        mask = df[col].isna().to_numpy().copy()
        data[rows] = data[donor[rows]]
        mask[rows] = mask[donor[rows]]
        out[col] = pd.arrays.IntegerArray(data, mask)
    ids_c = df["center_id"].to_numpy()
    ids_t = df["table_id"].to_numpy()
    result = _rebuild(sheets, out, "duplicates")
    return result, _truth(sheets, chosen,
                          donor_center_id=np.where(chosen, ids_c[donor], ""),
                          donor_table_id=np.where(chosen, ids_t[donor], ""))
