"""Checks on claims about a result: arithmetic, round percentages, succession, sheets, pairs.

Each check is a pure function of validated :class:`~audit.ledger.Claim` objects (and, where
said, the tally sheets held) returning a :class:`~audit.checks.result.CheckResult` subclass
with a plain-language :class:`~audit.checks.result.Message` (catalogue ``claims``):

* :func:`check_arithmetic` – do a claim's own figures add up at their announced precision?
* :func:`check_round_percentages` – are the counts too close to round percentages?
* :func:`check_successive` – do successive claims of one side only grow, and do the votes
  added between them split like the votes before?
* :func:`check_against_sheets` – can the claim be true if the tally sheets held are genuine,
  and what would the tables without sheets have to contain?
* :func:`check_compatibility` – which pairs of claims cannot both be true, and unless what?

Arithmetic uses exact rational arithmetic (:class:`fractions.Fraction`), so "51.20" is checked
against ``[51.195, 51.205)`` without floating-point doubt. No check here draws random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from audit.aggregate import SheetAggregates, SheetSummary, summarise
from audit.checks.result import CheckResult, Evidence, Message, evidence_from_pvalue
from audit.ledger import OTHERS, Claim, Percent, Quantity, total
from audit.model import Election, SheetTable, vote_column

#: Significance level below which a sample-based claim is called incompatible with a count.
SAMPLE_ALPHA = 0.001
#: Coefficient of variation of table sizes assumed when no sheets give it (design effect).
DEFAULT_TABLE_SIZE_CV = 0.5


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _ratio(num: Quantity, den: Quantity) -> tuple[Fraction, Fraction]:
    """``[low, high]`` of num / den over the values both announcements allow."""
    if den.high <= 0:
        return Fraction(0), Fraction(0)
    low = Fraction(num.low, den.high)
    high = Fraction(num.high, max(den.low, 1))
    return low, high


def _overlaps(low: Fraction, high: Fraction, pct: Percent, rounding: str) -> bool:
    """Does ``[low, high]`` (fractions of one) meet the percentage's half-open interval?"""
    p_low, p_high = pct.fraction_interval(rounding)
    return low < p_high and high >= p_low


def _fmt_ratio(low: Fraction, high: Fraction) -> str:
    if low == high:
        return f"{float(low) * 100:.7f}"
    return f"{float(low) * 100:.4f}–{float(high) * 100:.4f}"


def _q_text(q: Quantity | None) -> str:
    if q is None:
        return ""
    return f"{q.low:,}" if q.exact else f"{q.text} ({q.low:,}–{q.high:,})"


def _candidates(election: Election | None, claim: Claim) -> tuple[str, ...]:
    if election is not None:
        return election.candidate_keys
    return tuple(k for k in claim.counts if k != OTHERS)


def _claim_registered(claim: Claim, election: Election | None) -> tuple[Quantity | None, str]:
    """Registered voters of the claim's scope: as stated, else the election's (national)."""
    if claim.registered is not None:
        return claim.registered, "as stated"
    if claim.national and election is not None and election.registered:
        return Quantity.of(int(election.registered)), "election metadata"
    return None, ""


def _registry_totals(claim: Claim, election: Election | None) -> list[int]:
    """Every registered-voter total known for the claim's scope (for generous bounds)."""
    values = []
    if claim.registered is not None:
        values.append(claim.registered.high)
    if claim.national and election is not None and election.registered:
        values.append(int(election.registered))
    return values


def _coverage_fraction(claim: Claim) -> tuple[Fraction, Fraction] | None:
    """The share of tables (else of registered voters) the claim says it covers."""
    for pct in (claim.coverage.tables_pct, claim.coverage.registered_pct):
        if pct is not None and not pct.approximate:
            low, high = pct.fraction_interval(claim.percent_rounding)
            return max(low, Fraction(0)), min(high, Fraction(1))
    return None


def claim_tables(claim: Claim, election: Election | None) -> tuple[int, int] | None:
    """How many tables the claim covers, as an interval (None when unknown)."""
    if claim.coverage.tables is not None:
        return claim.coverage.tables, claim.coverage.tables
    n = election.tables if (election is not None and claim.national) else None
    pct = claim.coverage.tables_pct
    if n is None or pct is None or pct.approximate:
        return None
    low, high = pct.fraction_interval(claim.percent_rounding)
    lo = max(0, math.ceil(low * n))
    hi = min(n, math.ceil(high * n) - 1 if pct.bound != "lower" else n)
    return lo, max(lo, hi)


def _covers_everything(claim: Claim, election: Election | None) -> bool:
    tables = claim_tables(claim, election)
    n = election.tables if election is not None else None
    return tables is not None and n is not None and tables[0] >= n


def _registered_outside(claim: Claim, election: Election | None) -> int | None:
    """Most registered voters the tables left out of the claim can hold (None if unknown).

    The largest registry total known (the claim's or the election's) minus the registered
    voters the claim says it covers: generous to the claim, so a bound that still bites is
    robust to which registry figure applies.
    """
    if _covers_everything(claim, election):
        return 0
    totals = _registry_totals(claim, election)
    if not totals:
        return None
    if claim.coverage.registered is not None:
        return max(0, max(totals) - claim.coverage.registered.low)
    pct = claim.coverage.registered_pct
    if pct is not None and not pct.approximate:
        low, _ = pct.fraction_interval(claim.percent_rounding)
        base = claim.registered.low if claim.registered is not None else max(totals)
        return max(0, max(totals) - math.floor(low * base))
    return None


def _poisson_binomial_tail(probs: Sequence[float], h: int) -> float:
    """P(at least ``h`` successes) among independent Bernoulli trials."""
    if h <= 0:
        return 1.0
    dist = np.zeros(len(probs) + 1)
    dist[0] = 1.0
    for p in probs:
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return float(min(1.0, dist[h:].sum()))


def _round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def _categories(a: Claim, b: Claim, candidates: Sequence[str]
                ) -> tuple[dict[str, Quantity], dict[str, Quantity], bool]:
    """Project two claims' counts on shared categories (separate keys, then OTHERS)."""
    keys_a = [k for k in a.counts if k != OTHERS]
    keys_b = set(b.counts) - {OTHERS}
    shared = [k for k in keys_a if k in keys_b]
    full = a.complete(candidates) and b.complete(candidates)
    out_a = {k: a.counts[k] for k in shared}
    out_b = {k: b.counts[k] for k in shared}
    if full:
        ta, tb = a.counts_total(), b.counts_total()
        assert ta is not None
        assert tb is not None
        rest_a = _minus(ta, total(out_a.values()))
        rest_b = _minus(tb, total(out_b.values()))
        if rest_a.high > 0 or rest_b.high > 0:
            out_a[OTHERS], out_b[OTHERS] = rest_a, rest_b
    return out_a, out_b, full


def _minus(x: Quantity, y: Quantity) -> Quantity:
    """x − y for sums that share terms (exact when both are exact)."""
    if x.exact and y.exact:
        return Quantity.of(x.low - y.low)
    return Quantity(f"{x.text}-{y.text}", max(0, x.low - y.high), max(0, x.high - y.low))


# --------------------------------------------------------------------------------------------
# a. Arithmetic
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ArithmeticResult(CheckResult):
    """Arithmetic of one claim; ``table`` has one row per rule checked.

    Table columns: ``rule``, ``field``, ``stated``, ``computed``, ``ok`` (True/False, None when
    it could not be checked) and ``note``.
    """

    claim: str = ""
    failures: tuple[str, ...] = ()


def check_arithmetic(claim: Claim, election: Election | None = None) -> ArithmeticResult:
    """Check that a claim's figures agree with each other at their announced precision.

    Rules: counts sum to the stated valid votes (or stay below them when not every candidate
    is listed); valid + null (+ blank) = voters; voters <= registered; each percentage
    contains ``count / base`` in its rounding interval ("51.20" -> [51.195, 51.205)); the
    percentages of a complete list can sum to 100; valid and null percentages of voters; the
    turnout as voters / registered, as voters / registered of the covered tables, or
    extrapolated to all tables as electoral authorities sometimes do (voters / coverage /
    registered); the coverage as tables / all tables and registered / all registered.

    Rounded counts ("6.89M") are intervals; a rule fails only when no values the
    announcements allow satisfy it. No probability is involved: a failure is an arithmetic
    impossibility (``Evidence.IMPOSSIBLE``), a success is consistency, not truth.

    Parameters
    ----------
    claim : Claim
        A validated claim.
    election : Election, optional
        Supplies the candidate list, the number of tables and registered voters when the
        claim does not state them.

    Returns
    -------
    ArithmeticResult
        ``statistic`` is the number of failed rules, ``n`` the number checked.
    """
    cands = _candidates(election, claim)
    rules = _Rules(claim.percent_rounding)
    _total_rules(claim, cands, rules)
    ballots_q, ballots_how = claim.ballots_total(cands)
    registered, reg_how = _claim_registered(claim, election)
    cover_reg = claim.coverage.registered
    if ballots_q is not None and (claim.registered is not None or cover_reg is not None):
        limit = cover_reg if cover_reg is not None else claim.registered
        assert limit is not None
        rules.add("voters_le_registered", "voters", _q_text(limit), _q_text(ballots_q),
                  ballots_q.low <= limit.high, "voters cannot exceed the registered voters",
                  _qv(limit, ballots_q))
    _percentage_rules(claim, cands, ballots_q is not None, rules)
    if claim.turnout_pct is not None and ballots_q is not None:
        _turnout_rule(claim, ballots_q, ballots_how, registered, reg_how, rules)
    _coverage_rules(claim, election, registered, rules)

    rows = rules.rows
    table = pd.DataFrame(rows, columns=["rule", "field", "stated", "computed", "ok", "note",
                                        "stated_value", "computed_value"])
    checked = [r for r in rows if r["ok"] is not None]
    failed = [r for r in checked if r["ok"] is False]
    message, evidence = _arithmetic_message(claim, checked, failed)
    return ArithmeticResult(
        test="claims.arithmetic", statistic=float(len(failed)), pvalue=None,
        effect=float(len(failed)), effect_unit="failed rules", n=len(checked),
        null="arithmetic", evidence=evidence, table=table, message=message,
        params={"claim": claim.id, "rounding": rules.rounding}, claim=claim.id,
        failures=tuple(r["rule"] for r in failed))


class _Rules:
    """The rows of :func:`check_arithmetic`, one per rule checked (``ok`` None: not checked)."""

    def __init__(self, rounding: str) -> None:
        self.rounding = rounding
        self.rows: list[dict[str, Any]] = []

    def add(self, rule: str, fld: str, stated: str, computed: str, ok: bool | None,
            note: str = "", values: tuple[float, float] | None = None) -> None:
        self.rows.append({"rule": rule, "field": fld, "stated": stated, "computed": computed,
                          "ok": ok, "note": note,
                          "stated_value": values[0] if values else None,
                          "computed_value": values[1] if values else None})


def _qv(stated: Quantity, computed: Quantity) -> tuple[float, float]:
    return float(stated.value), float(computed.value)


def _pv(pct: Percent, low: Fraction, high: Fraction) -> tuple[float, float]:
    return float(pct.value), float((low + high) / 2 * 100)


def _total_rules(claim: Claim, cands: Sequence[str], rules: _Rules) -> None:
    """The candidates' counts against the valid votes; valid + null (+ blank) = voters."""
    counts_sum = claim.counts_total()
    complete = claim.complete(cands)
    if counts_sum is not None and claim.valid is not None:
        if complete:
            ok = counts_sum.low <= claim.valid.high and counts_sum.high >= claim.valid.low
            rules.add("counts_sum", "valid", _q_text(claim.valid), _q_text(counts_sum), ok,
                      "the candidates' counts must add up to the valid votes",
                      _qv(claim.valid, counts_sum))
        else:
            ok = counts_sum.low <= claim.valid.high
            rules.add("counts_le_valid", "valid", _q_text(claim.valid), _q_text(counts_sum),
                      ok, "the listed candidates cannot have more than the valid votes",
                      _qv(claim.valid, counts_sum))
    if claim.voters is not None and claim.valid is not None:
        parts = [claim.valid, *(q for q in (claim.null_votes, claim.blank_votes)
                                if q is not None)]
        ballots = total(parts)
        if claim.null_votes is not None:
            ok = ballots.low <= claim.voters.high and ballots.high >= claim.voters.low
            rules.add("ballots_sum", "voters", _q_text(claim.voters), _q_text(ballots), ok,
                      "valid + null (+ blank) votes must equal the voters",
                      _qv(claim.voters, ballots))
        else:
            rules.add("valid_le_voters", "voters", _q_text(claim.voters),
                      _q_text(claim.valid), claim.valid.low <= claim.voters.high,
                      "valid votes cannot exceed the voters", _qv(claim.voters, claim.valid))


def _percentage_rules(claim: Claim, cands: Sequence[str], has_ballots: bool,
                      rules: _Rules) -> None:
    """Each percentage against its count over the base; the percentages' sum; the valid and
    null percentages of the voters."""
    rounding = rules.rounding
    base, base_how = claim.percent_base_total(cands)
    for key, pct in claim.percentages.items():
        fld = f"percentages.{key}"
        if pct.approximate:
            rules.add("percentage", fld, pct.text, "", None, "approximate figure: not checked")
            continue
        if key not in claim.counts or base is None:
            continue
        low, high = _ratio(claim.counts[key], base)
        rules.add("percentage", fld, pct.text, _fmt_ratio(low, high),
                  _overlaps(low, high, pct, rounding), f"share of {base_how}",
                  _pv(pct, low, high))
    exact_pcts = [p for p in claim.percentages.values() if not p.approximate]
    if exact_pcts:
        lows = sum((p.interval(rounding)[0] for p in exact_pcts), Fraction(0))
        highs = sum((p.interval(rounding)[1] for p in exact_pcts), Fraction(0))
        listed = set(claim.percentages)
        full = OTHERS in listed or all(k in listed for k in cands)
        ok = lows <= 100 and (highs > 100 or not full)
        rules.add("percent_total", "percentages", f"{float(lows):.4f}–{float(highs):.4f}",
                  "100" if full else "<= 100", ok,
                  "the rounded percentages of every candidate must be able to sum to 100"
                  if full else "the listed percentages cannot exceed 100",
                  (float(lows), float(highs)))
    if has_ballots and claim.voters is not None:
        for fld, part, share in (("valid_pct", claim.valid, claim.valid_pct),
                                 ("null_pct", claim.null_votes, claim.null_pct)):
            if share is None or part is None:
                continue
            low, high = _ratio(part, claim.voters)
            rules.add(fld, fld, share.text, _fmt_ratio(low, high),
                      _overlaps(low, high, share, rounding), "share of the voters",
                      _pv(share, low, high))


def _turnout_rule(claim: Claim, ballots_q: Quantity, ballots_how: str | None,
                  registered: Quantity | None, reg_how: str | None, rules: _Rules) -> None:
    """The stated turnout against each reading an authority may have used: voters over
    registered, over the registered of the covered tables, or extrapolated to every table."""
    assert claim.turnout_pct is not None
    cover_reg = claim.coverage.registered
    options: list[tuple[str, Fraction, Fraction]] = []
    if registered is not None:
        low, high = _ratio(ballots_q, registered)
        options.append((f"voters / registered ({reg_how})", low, high))
    if cover_reg is not None:
        low, high = _ratio(ballots_q, cover_reg)
        options.append(("voters / registered of the covered tables", low, high))
    cov = _coverage_fraction(claim)
    if registered is not None and cov is not None and cov[0] > 0:
        low, high = _ratio(ballots_q, registered)
        options.append(("voters / coverage / registered (extrapolated to every table)",
                        low / cov[1], high / cov[0]))
    if not options:
        return
    match = next((o for o in options
                  if _overlaps(o[1], o[2], claim.turnout_pct, rules.rounding)), None)
    shown = match or options[0]
    note = f"matches {match[0]}" if match else "matches none of: " + "; ".join(
        f"{o[0]} = {_fmt_ratio(o[1], o[2])}" for o in options)
    if ballots_how and ballots_how != "voters as stated":
        note += f" (voters taken as {ballots_how})"
    rules.add("turnout", "turnout_pct", claim.turnout_pct.text,
              _fmt_ratio(shown[1], shown[2]), match is not None, note,
              _pv(claim.turnout_pct, shown[1], shown[2]))


def _coverage_rules(claim: Claim, election: Election | None, registered: Quantity | None,
                    rules: _Rules) -> None:
    """The stated coverage as tables / all tables and registered / all registered."""
    rounding = rules.rounding
    cover_reg = claim.coverage.registered
    n_tables = election.tables if (election is not None and claim.national) else None
    tpct = claim.coverage.tables_pct
    if claim.coverage.tables is not None and n_tables and tpct is not None and not tpct.bound:
        q = Quantity.of(claim.coverage.tables)
        low, high = _ratio(q, Quantity.of(n_tables))
        rules.add("coverage_tables", "coverage.tables_pct", tpct.text, _fmt_ratio(low, high),
                  _overlaps(low, high, tpct, rounding),
                  f"{claim.coverage.tables:,} of {n_tables:,} tables", _pv(tpct, low, high))
    rpct = claim.coverage.registered_pct
    if cover_reg is not None and registered is not None and rpct is not None and not rpct.bound:
        low, high = _ratio(cover_reg, registered)
        rules.add("coverage_registered", "coverage.registered_pct", rpct.text,
                  _fmt_ratio(low, high), _overlaps(low, high, rpct, rounding),
                  "registered of covered tables / registered", _pv(rpct, low, high))


def _arithmetic_message(claim: Claim, checked: list[dict[str, Any]],
                        failed: list[dict[str, Any]]) -> tuple[Message, Evidence]:
    """The sentence and evidence of :func:`check_arithmetic`: the first failed rule, else
    consistency (extrapolated, one rule, or several)."""
    if not checked:
        return Message("claims.arithmetic.nothing", {"claim": claim.id}), Evidence.NOT_TESTED
    if failed:
        first = failed[0]
        return Message(f"claims.arithmetic.fail_{first['rule']}", {
            "claim": claim.id, "failed": len(failed), "checked": len(checked),
            "field": first["field"], "stated": first["stated"],
            "stated_value": first["stated_value"], "computed": first["computed_value"]}), \
            Evidence.IMPOSSIBLE
    extrapolated = any(r["rule"] == "turnout" and "extrapolated" in r["note"] for r in checked)
    kind = "consistent_extrapolated" if extrapolated else (
        "consistent_one" if len(checked) == 1 else "consistent")
    return Message(f"claims.arithmetic.{kind}", {"claim": claim.id, "checked": len(checked)}), \
        Evidence.CONSISTENT


# --------------------------------------------------------------------------------------------
# b. Too-round percentages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RoundPercentagesResult(CheckResult):
    """How close a claim's counts sit to their announced round percentages.

    ``table``: one row per count with a percentage – ``key``, ``count``, ``percentage``
    (as announced), ``grid`` (grid step in percentage points), ``cell_votes`` (votes in one
    rounding cell, N), ``target`` (round(p·T)), ``offset`` (count − target, votes),
    ``implied_pct`` (exact share, %), ``in_cell``, ``hit`` (|offset| <= tolerance),
    ``p_hit`` (its chance under the null) and ``role`` (``free`` or ``forced``).
    """

    claim: str = ""
    total: int = 0
    tolerance: int = 0
    hits: int = 0
    free: int = 0
    pvalue_closeness: float | None = None
    box_probability: float | None = None


def _rounding_cell(claim: Claim, key: str, big_t: int, tolerance: int,
                   max_grid_decimals: int) -> dict[str, Any]:
    """One announced count against its percentage of ``big_t``: the rounding cell of the
    grid the percentage lies on (``cell_votes`` whole numbers from ``a`` below to ``b`` above
    the grid point ``target``), the count's offset from it, and the null probability of a
    hit within ``tolerance`` votes."""
    pct = claim.percentages[key]
    count = claim.counts[key].low
    decimals = min(max(pct.grid_decimals, max_grid_decimals), pct.decimals)
    grid = Fraction(1, 10 ** decimals)
    centre = pct.value
    low = (centre - grid / 2) * big_t / 100
    high = (centre + grid / 2) * big_t / 100
    first, last = math.ceil(low), math.ceil(high) - 1
    cell = max(0, last - first + 1)
    target = _round_half_up(centre * big_t / 100)
    offset = count - target
    a, b = target - first, last - target
    k = tolerance
    p_hit = (min(k, max(a, 0)) + min(k, max(b, 0)) + 1) / cell if cell else 1.0
    return {"key": key, "count": count, "percentage": pct.text, "grid": float(grid),
            "cell_votes": cell, "target": target, "offset": offset,
            "implied_pct": count / big_t * 100, "in_cell": first <= count <= last,
            "hit": abs(offset) <= k and first <= count <= last,
            "p_hit": min(1.0, p_hit), "a": a, "b": b}


def _round_tails(rows: Sequence[Mapping[str, Any]], skip: int | None
                 ) -> tuple[float, float, float, int, int]:
    """For the free counts (all but ``skip``): the exact tail of the number of hits, the
    exact closeness p-value, the box probability, the hits and the number of free counts."""
    free = [r for i, r in enumerate(rows) if i != skip]
    h = sum(r["hit"] for r in free)
    p_h = _poisson_binomial_tail([r["p_hit"] for r in free], h)
    norm = [(2 * abs(r["offset"]) + 1) / r["cell_votes"] if r["cell_votes"] else 1.0
            for r in free]
    m = max(norm) if norm else 1.0
    p_close = 1.0
    box = 1.0
    for r in free:
        n_c = r["cell_votes"]
        if not n_c:
            continue
        k_m = max(0, math.floor((m * n_c - 1) / 2 + 1e-9))
        p_close *= min(1.0, (min(k_m, max(r["a"], 0)) + min(k_m, max(r["b"], 0)) + 1) / n_c)
        d = abs(r["offset"])
        box *= min(1.0, (min(d, max(r["a"], 0)) + min(d, max(r["b"], 0)) + 1) / n_c)
    return p_h, p_close, box, h, len(free)


def check_round_percentages(claim: Claim, election: Election | None = None, *,
                            tolerance: int = 0, max_grid_decimals: int = 0
                            ) -> RoundPercentagesResult:
    r"""Probability that honest counts land this close to the announced round percentages.

    For a total :math:`T` and a count :math:`W` announced with percentage :math:`p` on a grid
    of step :math:`g` (the coarsest decimal grid, at most 1% by default, on which the
    announced value lies: "51.20" lies on the 0.1% grid), the rounding cell holds
    :math:`N \approx gT/100` whole numbers and the grid point is :math:`t = \mathrm{round}(pT)`.
    The offset :math:`\delta = W - t` is reported in votes.

    **Null.** Each freely varying count's position within its rounding cell is uniform and
    independent of the others. This is what honest counting gives when the count's natural spread is
    much wider than one cell (Gelman 2024 [gelman2024]; Tao 2024 [tao2024]). When the counts
    partition :math:`T` (every candidate listed and :math:`T` their sum), one count is forced by the
    others and is left out: the largest, chosen without looking at any offset so that the free
    counts keep their exact null distribution. Otherwise every count is free.

    The grid is the coarsest on which the announced value lies because an exact hit on a
    coarser grid is the rarer event: an honest "51.20" ends in 0 one time in ten, and sits on
    the 0.1% grid point with probability :math:`1/N_{0.1\%}`, the same as a "51.2" would.

    **Statistic.** :math:`H`, the number of free counts with :math:`|\delta| \le k` (the
    tolerance, default 0 votes). Under the null each does so with probability
    :math:`(2k+1)/N` exactly (fewer at a cell's edge), so :math:`H` is Poisson-binomial and
    the p-value :math:`P(H \ge h_{obs})` is exact, not simulated. With :math:`k=0` and two
    free counts that both hit, :math:`p = 1/(N_1 N_2)`: for CNE bulletin 1 (29 July 2024,
    Venezuela), :math:`(1/10{,}058.8)^2 \approx 9.9\times10^{-9}`, "about 1 in 100 million"
    as Gelman and Tao computed. A second, also exact, p-value ``pvalue_closeness`` uses the
    largest normalised offset :math:`\max (2|\delta|+1)/N` (all counts close but none exact);
    ``box_probability`` is :math:`\prod (2|\delta|+1)/N`, descriptive only (not a p-value).
    Calibration: on simulated multinomial counts the p-value is uniform at its attainable
    levels (``tests/checks/test_claims.py``).

    **What it cannot show.** The test was chosen after a striking pattern was seen; its p-value does
    not account for that selection, nor for the many other patterns one could have noticed (Tao 2024
    [tao2024]; Gelman 2024 [gelman2024]). Under the alternative "someone computed the counts from
    chosen percentages" the pattern is near certain, so it is strong evidence that the *bulletin's
    numbers* were not produced by counting, not evidence of who won. Counts announced with a
    percentage the count itself produced are always consistent; the test says nothing when the cell
    is narrower than a few votes (small totals).

    Parameters
    ----------
    claim : Claim
        Needs exact counts, percentages and a known base (stated valid or voters, or a complete
        list of counts).
    tolerance : int
        :math:`k`, in votes: a count within :math:`k` votes of its grid point is a hit.
    max_grid_decimals : int
        Coarsest grid considered (0: 1%).

    References
    ----------
    Gelman (2024) [gelman2024]; Tao (2024) [tao2024]; Rozenas (2017) [rozenas2017]; full
    entries in :mod:`audit.references`.
    """
    cands = _candidates(election, claim)
    base, base_how = claim.percent_base_total(cands)
    params = {"claim": claim.id, "tolerance": tolerance, "max_grid_decimals": max_grid_decimals}
    keys = [k for k, p in claim.percentages.items()
            if k in claim.counts and claim.counts[k].exact and not p.approximate and not p.bound]
    reason = ""
    if base is None or not base.exact:
        reason = "inexact_total" if base is not None else "no_total"
    elif not keys:
        reason = "no_pairs"
    if reason:
        return RoundPercentagesResult(
            test="claims.round_percentages", statistic=None, pvalue=None, null="",
            evidence=Evidence.NOT_TESTED, params=params, claim=claim.id, tolerance=tolerance,
            message=Message(f"claims.round.not_tested_{reason}", {"claim": claim.id}))
    assert base is not None
    big_t = base.low
    rows = [_rounding_cell(claim, key, big_t, tolerance, max_grid_decimals) for key in keys]
    counts_sum = claim.counts_total()
    partition = (claim.complete(cands) and counts_sum is not None and counts_sum.exact
                 and counts_sum.low == big_t and len(keys) == len(claim.counts))
    # the forced count: the largest (the conventional remainder), chosen without looking at
    # any offset, so that the free counts' hits keep their exact null distribution
    forced: int | None = None
    if partition and len(rows) > 1:
        forced = max(range(len(rows)), key=lambda i: (rows[i]["count"], -i))
    p_h, p_close, box, hits, n_free = _round_tails(rows, forced)
    for i, r in enumerate(rows):
        r["role"] = "forced" if forced == i else "free"
        del r["a"], r["b"]
    table = pd.DataFrame(rows)
    free_rows = [r for r in rows if r["role"] == "free"]
    smallest = min((abs(r["offset"]) for r in free_rows), default=0)
    largest = max((abs(r["offset"]) for r in free_rows), default=0)
    cell = min((r["cell_votes"] for r in free_rows), default=0)
    msg_params = {"claim": claim.id, "hits": hits, "free": n_free, "total": big_t,
                  "tolerance": tolerance, "p": p_h, "smallest": smallest, "largest": largest,
                  "cell": cell, "base": base_how}
    suffix = "_exact" if tolerance == 0 else ""
    message = Message(f"claims.round.{'flagged' if hits else 'not_flagged'}{suffix}", msg_params)
    return RoundPercentagesResult(
        test="claims.round_percentages", statistic=float(hits), pvalue=p_h,
        effect=float(smallest), effect_unit="votes (smallest offset of a free count)",
        n=n_free, null="uniform offset within each rounding cell (free counts independent)",
        evidence=evidence_from_pvalue(p_h), table=table, message=message, params=params,
        claim=claim.id, total=big_t, tolerance=tolerance, hits=hits, free=n_free,
        pvalue_closeness=p_close, box_probability=box)


# --------------------------------------------------------------------------------------------
# c. Successive claims by one side
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SuccessiveResult(CheckResult):
    """Two successive claims of one series: what was added between them.

    ``table``: one row per category – ``key``, ``before``, ``after``, ``increment`` (votes;
    rounded counts give their midpoint), ``decreased``, ``share_before``, ``share_increment``
    (fractions of the categories compared), ``shift`` (points), ``z_worst`` and, with sheets,
    ``z_typical``. ``totals``: the same for valid, null, voters and registered where both
    state them (or imply them).
    """

    earlier: str = ""
    later: str = ""
    tables_added: tuple[int, int] | None = None
    decreases: tuple[str, ...] = ()
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    pvalue_typical: float | None = None


def _successive_totals(earlier: Claim, later: Claim, cands: Sequence[str]
                       ) -> list[dict[str, Any]]:
    """Valid votes, voters, null votes (stated, or implied as voters − valid) and the
    registered voters covered, before and after, where both claims give them."""
    total_rows = []
    for name, getter in (
            ("valid", lambda c: c.valid_total(cands)),
            ("voters", lambda c: c.voters),
            ("null", lambda c: c.null_votes if c.null_votes is not None
             else _implied_null(c, cands)),
            ("registered_covered", lambda c: c.coverage.registered)):
        qb, qa = getter(earlier), getter(later)
        if qb is None or qa is None:
            continue
        implied = name == "null" and (earlier.null_votes is None or later.null_votes is None)
        total_rows.append({"field": name, "before": qb.value, "after": qa.value,
                           "increment": qa.value - qb.value, "decreased": qa.high < qb.low,
                           "implied": implied})
    return total_rows


def _table_dispersion(sheets: SheetTable | SheetAggregates | SheetSummary | None,
                      earlier: Claim, keys: Sequence[str]) -> tuple[float, dict[str, float]]:
    """The coefficient of variation of table sizes (:data:`DEFAULT_TABLE_SIZE_CV` without
    table sheets) and, with them, the observed standard deviation of each key's share."""
    cv = DEFAULT_TABLE_SIZE_CV
    sigma_typ: dict[str, float] = {}
    summary = summarise(sheets, scope=earlier.scope, scope_level=earlier.scope_level) \
        if isinstance(sheets, (SheetTable, SheetAggregates)) else sheets
    if summary is not None and summary.unit_kind == "table":
        valid = summary.units["valid"].to_numpy()
        if valid.mean() > 0:
            cv = float(valid.std() / valid.mean())
        for key in keys:
            sigma_typ[key] = _weighted_share_sd(summary, key, list(keys))
    return cv, sigma_typ


def _increment_split_test(table: pd.DataFrame, m: int, n1: int, cv: float,
                          sigma_typ: Mapping[str, float]) -> tuple[float, float | None]:
    """The conservative (worst-case dispersion) and typical (observed dispersion) p-values of
    the shift between the shares added and those before, Bonferroni over categories; adds
    the columns ``z_worst`` (and ``z_typical``) to ``table``."""
    se = 0.5 * math.sqrt((1 + cv ** 2) * (1 / m + 1 / n1))
    table["z_worst"] = table["shift"] / 100 / se
    k_eff = max(1, len(table) - 1)
    pvalue = min(1.0, k_eff * float(2 * stats.norm.sf(table["z_worst"].abs().max())))
    p_typ = None
    if sigma_typ:
        se_t = np.array([sigma_typ[k] for k in table["key"]]) * math.sqrt(1 / m + 1 / n1)
        with np.errstate(divide="ignore", invalid="ignore"):
            table["z_typical"] = table["shift"].to_numpy() / 100 / se_t
        p_typ = min(1.0, k_eff * float(2 * stats.norm.sf(np.nanmax(
            np.abs(table["z_typical"].to_numpy())))))
    return pvalue, p_typ


def _successive_message(msg: dict[str, Any], rows: Sequence[Mapping[str, Any]],
                        total_rows: Sequence[Mapping[str, Any]], *, decreasing: bool,
                        others: int, added: float, pvalue: float | None
                        ) -> tuple[Message, Evidence]:
    """The sentence and evidence of a succession: a decrease (impossible for cumulative
    totals), nothing added, a shift not tested, or the shift with its p-value."""
    if decreasing:
        dec = next(r for r in [*rows, *total_rows] if r["decreased"])
        msg.update({"drop": -(dec["increment"]), "others": others})
        if "key" in dec:
            msg["what"] = dec["key"]
            kind = "decrease"
        else:
            kind = f"decrease_{dec['field']}" + ("_implied" if dec.get("implied") else "")
            grow = {r["field"]: r["increment"] for r in total_rows}
            msg.update({"valid_growth": grow.get("valid", float("nan")),
                        "voters_growth": grow.get("voters", float("nan"))})
        return Message(f"claims.successive.{kind}", msg), Evidence.IMPOSSIBLE
    if added <= 0:
        return Message("claims.successive.nothing_added", msg), Evidence.NOT_TESTED
    if pvalue is None:
        return Message("claims.successive.shift_untested", msg), Evidence.NOT_TESTED
    # a bound of about 1 says nothing: the shift is then one chance makes easily
    return (Message("claims.successive.shift" if pvalue < 0.5
                    else "claims.successive.shift_ordinary", msg),
            evidence_from_pvalue(pvalue))


def check_successive(earlier: Claim, later: Claim, election: Election | None = None, *,
                     sheets: SheetTable | SheetAggregates | SheetSummary | None = None
                     ) -> SuccessiveResult:
    r"""Compare two successive claims of one side: growth and the split of what was added.

    **Monotonicity.** Counts reported as more tables come in can only grow: a count, the valid
    votes, the voters or the null votes (stated, or implied as voters − valid) that fall
    between the earlier and the later claim are an arithmetic impossibility for cumulative
    totals (``Evidence.IMPOSSIBLE``) unless the later claim covers fewer tables.

    **Increment.** The votes added between the claims split in shares
    :math:`s^{inc}_k = \Delta_k / \sum \Delta`, compared with the shares before,
    :math:`s^{before}_k`. Null: the tables reported later are a random subset of all tables
    reported so far (random reporting order). The shift of a table-weighted share between a
    random group of :math:`m` added tables and the :math:`n_1` earlier ones has standard error
    at most :math:`0.5\sqrt{(1+cv^2)(1/m + 1/n_1)}`: 0.5 is the largest standard deviation a
    share in [0, 1] can have, :math:`1+cv^2` the design effect of unequal table sizes
    (:math:`cv` from the sheets when given, else 0.5). The p-value (normal approximation,
    two-sided, Bonferroni over categories) is therefore conservative for that null; with table
    sheets a second, typical z uses their observed dispersion of shares.

    **Failure modes.** Reporting order is rarely random (cities report first, remote tables
    last), so a small p-value says the later tables differ, not why. Category counts come from
    the claims as announced; the number of tables added comes from the stated coverage.

    References
    ----------
    Hoeffding (1963) [hoeffding1963] (the bounded-variance argument, sampling without
    replacement); full entry in :mod:`audit.references`.
    """
    cands = election.candidate_keys if election is not None else tuple(
        k for k in {*earlier.counts, *later.counts} if k != OTHERS)
    params = {"earlier": earlier.id, "later": later.id}
    if not (earlier.has_counts and later.has_counts) or earlier.scope != later.scope:
        return SuccessiveResult(
            test="claims.successive", statistic=None, pvalue=None,
            evidence=Evidence.NOT_TESTED, params=params, earlier=earlier.id, later=later.id,
            message=Message("claims.successive.not_comparable",
                            {"earlier": earlier.id, "later": later.id}))
    before, after, _ = _categories(earlier, later, cands)
    tables_e = claim_tables(earlier, election)
    tables_l = claim_tables(later, election)
    fewer_tables = tables_e is not None and tables_l is not None and tables_l[1] < tables_e[0]
    rows = [{"key": key, "before": before[key].value, "after": after[key].value,
             "increment": after[key].value - before[key].value,
             "decreased": after[key].high < before[key].low} for key in before]
    table = pd.DataFrame(rows)
    inc_total = float(table["increment"].clip(lower=0).sum()) if len(table) else 0.0
    before_total = float(table["before"].sum()) if len(table) else 0.0
    if len(table):
        table["share_before"] = table["before"] / before_total if before_total else np.nan
        table["share_increment"] = table["increment"] / inc_total if inc_total > 0 else np.nan
        table["shift"] = (table["share_increment"] - table["share_before"]) * 100
    total_rows = _successive_totals(earlier, later, cands)
    totals = pd.DataFrame(total_rows, columns=["field", "before", "after", "increment",
                                               "decreased", "implied"])
    decreases = tuple([str(r["key"]) for r in rows if r["decreased"]] +
                      [str(r["field"]) for r in total_rows if r["decreased"]])
    m = n1 = None
    if tables_e is not None and tables_l is not None:
        m, n1 = tables_l[0] - tables_e[1], tables_e[0]
    cv, sigma_typ = _table_dispersion(sheets, earlier, list(before))
    pvalue = p_typ = None
    if m is not None and n1 is not None and m > 0 and n1 > 0 and inc_total > 0 and len(table):
        pvalue, p_typ = _increment_split_test(table, m, n1, cv, sigma_typ)
    lead = table.iloc[int(np.argmax(table["before"].to_numpy()))] if len(table) else None
    msg = {"earlier": earlier.id, "later": later.id,
           "tables": m if m is not None else 0}
    if lead is not None:
        msg.update({"key": lead["key"], "before": float(lead["share_before"] * 100),
                    "increment": float(lead["share_increment"] * 100)
                    if inc_total > 0 else float("nan"),
                    "added": inc_total, "p": pvalue if pvalue is not None else float("nan")})
    message, evidence = _successive_message(
        msg, rows, total_rows, decreasing=bool(decreases) and not fewer_tables,
        others=len(decreases) - 1, added=inc_total, pvalue=pvalue)
    effect = float(lead["shift"]) if lead is not None and inc_total > 0 else None
    return SuccessiveResult(
        test="claims.successive", statistic=float(table["z_worst"].abs().max())
        if "z_worst" in table else None, pvalue=pvalue, effect=effect,
        effect_unit="points (leader's share in the increment minus before)",
        n=int(m) if m is not None else 0,
        null="tables reported later are a random subset (worst-case dispersion)",
        evidence=evidence, table=table, message=message, params={**params, "cv": cv},
        earlier=earlier.id, later=later.id,
        tables_added=(int(m), int(tables_l[1] - tables_e[0]))
        if m is not None and tables_l is not None and tables_e is not None else None,
        decreases=decreases, totals=totals, pvalue_typical=p_typ)


def _implied_null(claim: Claim, cands: Sequence[str]) -> Quantity | None:
    valid = claim.valid_total(cands)
    if claim.voters is None or valid is None:
        return None
    return Quantity(f"{claim.voters.text}-{valid.text}", max(0, claim.voters.low - valid.high),
                    max(0, claim.voters.high - valid.low))


def _weighted_share_sd(summary: SheetSummary, key: str, keys: Sequence[str]) -> float:
    """Vote-weighted SD of a category's share across the sheets' tables."""
    units = summary.units
    valid = units["valid"].to_numpy()
    if key == OTHERS:
        listed = [k for k in keys if k != OTHERS]
        votes = valid - sum(units[vote_column(k)].to_numpy() for k in listed
                            if vote_column(k) in units)
    elif vote_column(key) in units:
        votes = units[vote_column(key)].to_numpy()
    else:
        return float("nan")
    ok = valid > 0
    if not ok.any():
        return float("nan")
    share = votes[ok] / valid[ok]
    mean = np.average(share, weights=valid[ok])
    var = np.average((share - mean) ** 2, weights=valid[ok])
    return float(math.sqrt(var * (1 + (valid[ok].std() / valid[ok].mean()) ** 2)))


def _uncovered_registry(claim: Claim, election: Election | None) -> tuple[Quantity | None, str]:
    """The registry total that the tables without sheets are counted against.

    For a national claim it is the election's registry, whatever the claim states, so that
    every comparison of a report gives the same tables the same registered voters (the
    claim's own figure enters the interval); for a regional claim, the claim's figure.
    """
    if claim.national and election is not None and election.registered:
        return Quantity.of(int(election.registered)), "election metadata"
    if claim.registered is not None:
        return claim.registered, "as stated"
    return None, ""


def _needed_votes(summary: SheetSummary, claim: Claim, need_keys: Sequence[str]) -> np.ndarray:
    """Per unit of the sheets: the votes of the categories that need votes beyond the sheets."""
    units = summary.units
    listed = [k for k in claim.counts if k != OTHERS]
    total = np.zeros(len(units))
    for key in need_keys:
        if key == OTHERS:
            total += units["valid"].to_numpy(dtype=float) - sum(
                (units[vote_column(k)].to_numpy(dtype=float) for k in listed
                 if vote_column(k) in units), np.zeros(len(units)))
        elif vote_column(key) in units:
            total += units[vote_column(key)].to_numpy(dtype=float)
    return total


def _top_m(values: np.ndarray, m: int) -> int:
    if m <= 0 or values.size == 0:
        return 0
    return int(np.round(np.sort(values)[::-1][:m].sum()))


def _own_totals(claim: Claim, cands: Sequence[str], summary: SheetSummary,
                need_keys: Sequence[str], need_total: int, *, slack_tables: int | None,
                reg_outside: int | None) -> dict[str, Any]:
    """What the claim's own totals leave for the tables without sheets, and whether the
    votes they need fit in it.

    * **Valid votes**: the claim's valid votes (as stated, else the sum of complete counts)
      minus the sheets' valid votes must hold every category's need.
    * **Voters**, only when the claim states its voters: a bare total may be valid votes with
      the null and blank votes unstated, and then nothing bounds the ballots. Voters minus the
      sheets' ballots must hold the needs plus the null votes the claim states beyond the
      sheets' (none when the sheets state no null votes: in the claim's favour).
    * **Partial coverage**: when the claim covers only part of the tables, up to ``m`` sheets
      may lie outside it. Leaving a sheet out raises what is left by its votes (ballots)
      outside the needed categories and raises the needs by at most its votes inside them, so
      the shortfall falls by at most the sum of the ``m`` largest per-sheet amounts outside the
      needed categories (from aggregates: the sum of each other category's ``m`` largest
      tables), and never by more than the registered voters the claim leaves out. A
      shortfall is a contradiction only beyond that ``slack``.

    Returns a JSON-safe mapping: ``valid_left``, ``voters_left`` (None unless stated),
    ``null_need``, ``slack`` (None when the claim's coverage is unknown), ``kind`` (the
    binding total: ``valid`` or ``voters``), ``need`` and ``capacity`` (need > capacity is the
    contradiction), ``impossible``, ``total_below`` (the claim's total is below the same total
    on the sheets), ``claim_total``, ``sheets_total``.
    """
    valid_q = claim.valid_total(cands)
    needed = _needed_votes(summary, claim, need_keys)
    bounds: list[int] = []
    bounds_voters: list[int] = []
    if reg_outside is not None:
        bounds.append(reg_outside)
        bounds_voters.append(reg_outside)
    if slack_tables is not None:
        m = slack_tables
        if summary.unit_kind == "table":
            units = summary.units
            bounds.append(_top_m(units["valid"].to_numpy(dtype=float) - needed, m))
            bounds_voters.append(_top_m(units["ballots"].to_numpy(dtype=float) - needed, m))
        else:
            listed = [k for k in claim.counts if k != OTHERS]
            free = [k for k in summary.candidates if k not in need_keys and not (
                OTHERS in need_keys and k not in listed)]
            other = sum(summary.top_sum(k, m) for k in free)
            bounds.append(other)
            bounds_voters.append(other + max(0, summary.ballots - summary.valid))
    slack = min(bounds) if bounds else None
    slack_voters = min(bounds_voters) if bounds_voters else None
    out: dict[str, Any] = {"valid_left": None, "voters_left": None, "null_need": 0,
                           "slack": slack, "kind": None, "need": need_total, "capacity": None,
                           "impossible": False, "total_below": False, "claim_total": None,
                           "sheets_total": summary.ballots}
    shortfalls: list[tuple[int, str, int, int]] = []  # (beyond slack, kind, need, capacity)
    if valid_q is not None:
        left = valid_q.high - summary.valid
        out.update(valid_left=left, claim_total=valid_q.high, sheets_total=summary.valid,
                   total_below=left < 0)
        if slack is not None:
            shortfalls.append((need_total - left - slack, "valid", need_total, left + slack))
    if claim.voters is not None:
        left = claim.voters.high - summary.ballots
        null_need = max(0, claim.null_votes.low - summary.null) \
            if claim.null_votes is not None and summary.null is not None else 0
        out.update(voters_left=left, null_need=null_need)
        if not out["total_below"]:  # quote the total that falls below the sheets, if any
            out.update(claim_total=claim.voters.high, sheets_total=summary.ballots,
                       total_below=left < 0)
        if slack_voters is not None:
            shortfalls.append((need_total + null_need - left - slack_voters, "voters",
                               need_total + null_need, left + slack_voters))
    if shortfalls:
        beyond, kind, need, capacity = max(shortfalls)
        out.update(kind=kind, need=need, capacity=max(0, capacity), impossible=beyond > 0)
    return out


# --------------------------------------------------------------------------------------------
# d. Claim against tally sheets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SheetsResult(CheckResult):
    """A claim against the tally sheets held.

    ``table``: one row per category – ``key``, ``sheets`` (sum over the sheets), ``claim``
    (upper end of the announced count), ``excess`` (sheets − claim; > 0 is a violation if the
    claim covers every sheet), ``slack`` (most votes the tables left out of the claim could
    hold, when the claim covers part of the tables), ``robust_excess`` (excess − slack),
    ``need`` (claim − sheets: votes the tables without sheets must supply).
    ``feasibility``: the quantities of :func:`check_against_sheets` (JSON-safe mapping),
    including ``histograms`` of the covered units' turnout and leading-candidate share of
    registered voters (``edges``, ``counts``) for figures. ``by_region``: the sheets' votes
    per top-level region for the claim's categories (``region_code``, ``region_name``,
    ``tables``, one column per category).
    """

    claim: str = ""
    sheets: str = ""
    verdict: str = ""
    feasibility: Mapping[str, Any] = field(default_factory=dict)
    by_region: pd.DataFrame = field(default_factory=pd.DataFrame)


def _registered_in_claim(claim: Claim, tables: tuple[int, int] | None,
                         summary: SheetSummary) -> dict[str, Any] | None:
    """The registered voters of the tables a claim covers beyond the sheets held, estimated
    from the mean per sheet (None when the claim states its own or covers no more)."""
    if tables is None or claim.coverage.registered is not None or \
            tables[0] < summary.tables or not summary.registered_tables:
        return None
    extra = tables[0] - summary.tables
    return {"tables": extra, "registered_estimate": round(
        extra * summary.registered_known / summary.registered_tables),
        "method": "tables the claim adds to the sheets x mean registered per sheet"}


def _feasibility_facts(summary: SheetSummary, tables: tuple[int, int] | None,
                       n_tables: int | None, out_tables: int | None, reg_outside: int | None,
                       uncovered: dict[str, Any] | None, in_claim: dict[str, Any] | None,
                       covered_turnout: float | None, own: dict[str, Any], need_total: int,
                       lead_row: pd.Series | None) -> dict[str, Any]:
    """What the sheets held, the tables and registered voters without a sheet, and what the
    claim needs from them (the ``feasibility`` of a :class:`SheetsResult`)."""
    r_point, r_low, r_high = summary.registered_interval()
    return {
        "tables_held": summary.tables, "unit": summary.unit_kind,
        "claim_tables": list(tables) if tables is not None else None,
        "tables_without_sheets": (n_tables - summary.tables) if n_tables else None,
        "tables_left_out_by_claim": out_tables, "registered_left_out_by_claim": reg_outside,
        "registered_held": {"point": r_point if r_point >= 0 else None, "low": r_low,
                            "high": r_high if r_high >= 0 else None},
        "registered_without_sheets": uncovered,
        "registered_without_sheets_in_claim": in_claim,
        "covered_turnout": covered_turnout,
        "valid_left": own["valid_left"], "voters_left": own["voters_left"],
        "own_totals": own, "need_total": need_total,
        "lead": str(lead_row["key"]) if lead_row is not None else None,
        "lead_need": int(lead_row["need"]) if lead_row is not None else 0,
    }


def _lead_requirements(feas: dict[str, Any], summary: SheetSummary, lead_key: str,
                       lead_need: int, need_total: int, uncovered: dict[str, Any] | None,
                       covered_turnout: float | None, valid_left: float | None,
                       own: Mapping[str, Any]) -> str:
    """What the tables without sheets would need to give for the claim (turnout, the lead's
    share, their distribution against the tables held), added to ``feas``; and the verdict
    it implies: ``impossible_registered``, ``impossible_own_totals``, ``beyond_covered`` or
    ``feasible``."""
    if uncovered is not None and uncovered["point"] > 0:
        feas["required_turnout"] = need_total / uncovered["point"]
        feas["required_turnout_min"] = need_total / max(uncovered["high"], 1)
        feas["lead_share_of_registered"] = lead_need / uncovered["point"]
        feas["lead_share_of_registered_min"] = lead_need / max(uncovered["high"], 1)
        if covered_turnout:
            feas["lead_share_of_valid_at_covered_turnout"] = lead_need / (
                covered_turnout * uncovered["point"])
    feas["lead_share_of_valid_at_min_turnout"] = lead_need / need_total
    if valid_left is not None and valid_left > 0:
        feas["lead_share_of_valid_left"] = lead_need / valid_left
    feas["possible_within_own_totals"] = not own["impossible"]
    feas["possible_physically"] = (uncovered is None or need_total <= uncovered["high"])
    feas["distribution"] = _distribution(summary, lead_key, feas)
    if feas.get("possible_physically") is False:
        return "impossible_registered"
    if own["impossible"]:
        return "impossible_own_totals"
    if _beyond(feas["distribution"]):
        return "beyond_covered"
    return "feasible"


def check_against_sheets(claim: Claim, sheets: SheetTable | SheetAggregates | SheetSummary,
                         election: Election | None = None, *,
                         label: str | None = None) -> SheetsResult:
    r"""Can the claim be true if the tally sheets held are genuine? What would it take?

    **Lower bound.** If the sheets are genuine, each candidate's sum over them is a lower
    bound for any claim covering those tables: a claim below it is impossible, by
    ``excess = sheets − claim`` votes. When the claim says it covers only part of the tables,
    up to :math:`m` of the sheets may lie outside it (:math:`m` = tables the claim leaves out);
    the bound is then lowered by ``slack``, the most votes those tables can hold: the sum of
    the :math:`m` largest sheets for the candidate (exact with table-level sheets; from
    aggregates, :math:`m` times each region's largest table, an upper bound), or the
    registered voters the claim leaves out, whichever is smaller. ``robust_excess > 0`` is
    then a violation whatever tables the claim left out.

    **Feasibility.** The claim's counts above the sheets (``need``) must come from the tables
    without sheets. Their registered voters are the claim's registered voters (else the
    election's) minus those of the sheets, with an interval: low from the registered voters
    of the tables the claim says it covers, high from the largest registry total known; where
    some sheets do not state registered voters their part is estimated (ballots as the lower
    bound, mean and largest table as point and upper bound). Reported: the voters and valid
    votes the claim's own totals leave for those tables; the turnout they would need
    (all needs / registered); the leading candidate's need as a share of their registered
    voters, of the valid votes left, and at the covered tables' turnout; whether that is
    possible at all; and where the requirement falls among the covered tables (or regions
    when only aggregates are held): the share of units reaching it and the maximum.

    **Failure modes.** Everything assumes the sheets are genuine and that the registry totals
    apply to the same tables; the tables without sheets need not resemble those with sheets
    (witnesses were absent for a reason). The comparison with the covered distribution is
    descriptive, not a test.
    """
    cands = _candidates(election, claim)
    summary = sheets if isinstance(sheets, SheetSummary) else summarise(
        sheets, scope=claim.scope, scope_level=claim.scope_level, label=label)
    name = label or (summary.label if summary is not None else "sheets")
    params = {"claim": claim.id, "sheets": name}
    if summary is None or not claim.has_counts:
        why = "no_counts" if not claim.has_counts else "no_sheets_in_scope"
        return SheetsResult(test="claims.against_sheets", statistic=None, pvalue=None,
                            evidence=Evidence.NOT_TESTED, params=params, claim=claim.id,
                            sheets=name, verdict=why, message=Message(
                                f"claims.sheets.{why}", {"claim": claim.id, "sheets": name}))
    n_tables = election.tables if (election is not None and claim.national) else None
    tables = claim_tables(claim, election)
    covers_all = _covers_everything(claim, election)
    out_tables = (n_tables - tables[0]) if (tables is not None and n_tables) else None
    reg_outside = _registered_outside(claim, election)

    listed = [k for k in claim.counts if k != OTHERS]
    table = _lower_bounds(claim, summary, listed, covers_all=covers_all, out_tables=out_tables,
                          reg_outside=reg_outside)
    cand_rows = table[~table["key"].isin(["valid", "null"])]
    violations = cand_rows[cand_rows["excess"] > 0]
    robust = cand_rows[cand_rows["robust_excess"].fillna(-1) > 0]
    subset = tables is not None and tables[1] < summary.tables

    # feasibility in the tables without sheets
    needs = cand_rows[cand_rows["need"] > 0]
    need_total = int(needs["need"].sum())
    lead_row = needs.iloc[int(np.argmax(needs["need"].to_numpy()))] if len(needs) else None
    own = _own_totals(claim, cands, summary, [str(k) for k in needs["key"]], need_total,
                      slack_tables=None if covers_all else (
                          min(out_tables, summary.tables) if out_tables is not None else None),
                      reg_outside=0 if covers_all else reg_outside)
    uncovered = _registered_without_sheets(claim, election, summary)
    covered_turnout = (summary.ballots - summary.ballots_without_registered) / \
        summary.registered_known if summary.registered_known > 0 else None
    feas = _feasibility_facts(summary, tables, n_tables, out_tables, reg_outside, uncovered,
                              _registered_in_claim(claim, tables, summary), covered_turnout,
                              own, need_total, lead_row)
    verdict = "matches" if lead_row is None else _lead_requirements(
        feas, summary, str(lead_row["key"]), int(lead_row["need"]), need_total, uncovered,
        covered_turnout, own["valid_left"], own)
    if len(robust):
        verdict = "violation"
    elif len(violations):
        # below the sheets everywhere and covering fewer tables: consistent with a subset
        verdict = "subset" if subset and lead_row is None else "violation_if_covering"
    evidence = Evidence.IMPOSSIBLE if verdict in ("violation", "impossible_registered",
                                                  "impossible_own_totals") else \
        Evidence.NOT_TESTED
    worst = (robust if len(robust) else violations)
    message = _sheets_message(verdict, claim, name, summary, own, feas, worst,
                              lead=lead_row is not None, need_total=need_total,
                              uncovered=uncovered)
    by_region = _by_region(summary, claim, listed)
    effect = float(worst["excess"].max()) if len(worst) else (
        float(-need_total) if need_total else None)
    return SheetsResult(
        test="claims.against_sheets", statistic=float(worst["excess"].max())
        if len(worst) else None, pvalue=None, effect=effect,
        effect_unit="votes (sheets above the claim)", n=summary.tables,
        null="arithmetic (sheets genuine)", evidence=evidence, table=table,
        message=message, params=params, claim=claim.id, sheets=name,
        verdict=verdict, feasibility=feas, by_region=by_region)


def _sheets_message(verdict: str, claim: Claim, name: str, summary: SheetSummary,
                    own: dict[str, Any], feas: dict[str, Any], worst: pd.DataFrame, *,
                    lead: bool, need_total: int,
                    uncovered: dict[str, Any] | None) -> Message:
    """The sentence of :func:`check_against_sheets`: its id follows the verdict (refined when
    the violation also makes the claim impossible, or when only regions are held), its
    parameters the worst violation and the leading candidate's need."""
    msg_id = f"claims.sheets.{verdict}"
    if verdict == "violation" and own["total_below"]:
        msg_id = "claims.sheets.violation_total_below"
    elif verdict == "violation" and feas.get("lead") and (
            feas.get("possible_within_own_totals") is False or
            feas.get("possible_physically") is False):
        msg_id = "claims.sheets.violation_and_impossible"
    if summary.unit_kind == "region" and msg_id.rsplit(".", 1)[1] in (
            "violation_and_impossible", "beyond_covered", "feasible"):
        msg_id += "_regions"
    msg = {"claim": claim.id, "sheets": name, "tables": summary.tables,
           "claim_total": own["claim_total"] if own["claim_total"] is not None
           else float("nan"), "sheets_total": own["sheets_total"]}
    if len(worst):
        w = worst.iloc[int(np.argmax(worst["excess"].to_numpy()))]
        msg.update({"key": str(w["key"]), "held": int(w["sheets"]), "stated": int(w["claim"]),
                    "excess": int(w["excess"]),
                    "robust": int(w["robust_excess"]) if pd.notna(w["robust_excess"]) else 0})
    if lead:
        dist = feas.get("distribution", {})
        msg.update({"lead": feas["lead"], "need": feas["lead_need"],
                    "need_total": need_total,
                    "need_own": own["need"], "capacity": own["capacity"]
                    if own["capacity"] is not None else float("nan"),
                    "capacity_kind": own["kind"],
                    "registered": uncovered["point"] if uncovered else float("nan"),
                    "registered_high": uncovered["high"] if uncovered else float("nan"),
                    "share": 100 * feas.get("lead_share_of_registered", float("nan")),
                    "turnout": 100 * feas.get("required_turnout", float("nan")),
                    "max_share": 100 * dist.get("lead_share_of_registered_max", float("nan")),
                    "reaching": dist.get("lead_share_of_registered_reaching", 0)})
    return Message(msg_id, msg)


def _lower_bounds(claim: Claim, summary: SheetSummary, listed: Sequence[str], *,
                  covers_all: bool, out_tables: int | None,
                  reg_outside: int | None) -> pd.DataFrame:
    """The lower-bound table of :func:`check_against_sheets`: per claimed category (listed
    candidates, the others pooled, valid and null votes) the sheets' sum, the claim, the
    excess, the slack of the tables the claim leaves out, the robust excess and the need."""
    rows = []
    for key, q in claim.counts.items():
        if key == OTHERS:
            sheet_keys = [k for k in summary.candidates if k not in listed]
            held = sum(summary.totals.get(k, 0) for k in sheet_keys)
        elif key in summary.totals:
            sheet_keys = [key]
            held = summary.totals[key]
        else:
            continue
        slack: int | None
        if covers_all:
            slack = 0
        else:
            options = []
            if out_tables is not None:
                m = min(out_tables, summary.tables)
                options.append(sum(summary.top_sum(k, m) for k in sheet_keys))
            if reg_outside is not None:
                options.append(reg_outside)
            slack = min(options) if options else None
        excess = held - q.high
        rows.append({"key": key, "sheets": held, "claim": q.high, "excess": excess,
                     "slack": slack,
                     "robust_excess": excess - slack if slack is not None else None,
                     "need": max(0, q.low - held)})
    for fld, stated in (("valid", claim.valid), ("null", claim.null_votes)):
        held_v = summary.valid if fld == "valid" else summary.null
        if stated is None or held_v is None:
            continue
        slack_v = 0 if covers_all else reg_outside
        rows.append({"key": fld, "sheets": held_v, "claim": stated.high,
                     "excess": held_v - stated.high, "slack": slack_v,
                     "robust_excess": held_v - stated.high - slack_v
                     if slack_v is not None else None,
                     "need": max(0, stated.low - held_v)})
    return pd.DataFrame(rows, columns=["key", "sheets", "claim", "excess", "slack",
                                       "robust_excess", "need"])


def _registered_without_sheets(claim: Claim, election: Election | None,
                               summary: SheetSummary) -> dict[str, Any] | None:
    """Registered voters of the tables without sheets: the registry total minus those of the
    sheets (point), with an interval from the claim's coverage and every registry total
    known (None when no total is known)."""
    r_point, r_low, r_high = summary.registered_interval()
    reg_total, reg_how = _uncovered_registry(claim, election)
    if reg_total is None or r_point < 0:
        return None
    totals_known = _registry_totals(claim, election)
    cov_low = claim.coverage.registered.low if claim.coverage.registered is not None \
        else reg_total.low
    return {"point": max(0, reg_total.value - r_point),
            "low": max(0, min(cov_low, *totals_known) - r_high),
            "high": max(0, max(totals_known) - r_low),
            "method": "difference of totals" + (
                "" if summary.registered_tables == summary.tables else
                f" ({summary.tables - summary.registered_tables:,} sheets without "
                f"registered voters estimated)"),
            "registry": reg_how}


def _by_region(summary: SheetSummary, claim: Claim, listed: Sequence[str]) -> pd.DataFrame:
    """The sheets' votes per top-level region in the claim's categories."""
    reg = summary.regions
    if reg.empty:
        return pd.DataFrame()
    out = pd.DataFrame({"region_code": reg["region_code"].astype(str),
                        "region_name": reg["region_name"].astype(str),
                        "tables": reg["tables"].astype("int64")})
    for key in claim.counts:
        if key == OTHERS:
            cols = [vote_column(k) for k in summary.candidates if k not in listed]
        else:
            cols = [vote_column(key)] if vote_column(key) in reg else []
        if cols:
            out[key] = reg[cols].astype("int64").sum(axis=1)
    return out


def _distribution(summary: SheetSummary, lead: str, feas: Mapping[str, Any]) -> dict[str, Any]:
    """Where the requirements fall among the covered units (tables or regions)."""
    units = summary.units
    reg = units["registered"].to_numpy(dtype=float)
    ok = np.isfinite(reg) & (reg > 0)
    out: dict[str, Any] = {"unit": summary.unit_kind, "units": int(ok.sum())}
    if not ok.any():
        return out
    col = vote_column(lead) if vote_column(lead) in units else None
    turnout = units["ballots"].to_numpy(dtype=float)[ok] / reg[ok]
    checks = [("turnout", turnout, feas.get("required_turnout"))]
    if col is not None:
        lead_votes = units[col].to_numpy(dtype=float)
        valid = units["valid"].to_numpy(dtype=float)
        checks.append(("lead_share_of_registered", lead_votes[ok] / reg[ok],
                       feas.get("lead_share_of_registered")))
        vok = valid > 0
        checks.append(("lead_share_of_valid", lead_votes[vok] / valid[vok],
                       feas.get("lead_share_of_valid_at_min_turnout")))
    hist: dict[str, Any] = {}
    for name, values, required in checks:
        if not values.size:
            continue
        if name != "lead_share_of_valid":
            counts, edges = np.histogram(values, bins=50, range=(0.0, 1.0))
            hist[name] = {"edges": edges.tolist(), "counts": counts.tolist()}
        out[f"{name}_max"] = float(values.max())
        out[f"{name}_median"] = float(np.median(values))
        if required is not None:
            reaching = int((values >= required).sum())
            out[f"{name}_required"] = float(required)
            out[f"{name}_reaching"] = reaching
            out[f"{name}_percentile"] = float(100 * (values < required).mean())
    out["histograms"] = hist
    return out


def _beyond(dist: Mapping[str, Any]) -> bool:
    """True when the required share of registered voters exceeds every covered unit."""
    req = dist.get("lead_share_of_registered_required")
    mx = dist.get("lead_share_of_registered_max")
    return req is not None and mx is not None and req > mx


# --------------------------------------------------------------------------------------------
# e. Compatibility matrix
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CompatibilityResult(CheckResult):
    """Every pair of claims (and of claims with the sheets held): can both be true?

    ``table``: one row per pair – ``a``, ``b``, ``verdict`` (``compatible``,
    ``incompatible``, ``not_comparable``), ``condition`` (message id of the way both could
    still hold, for incompatible pairs: e.g. "unless the sheets are fabricated"),
    ``condition_params``, ``condition_text``, ``reason_id``, ``reason_params``, ``reason``
    (one English sentence),
    ``via`` (the endorsed claim a verdict was inherited through).
    """

    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Pair:
    verdict: str
    reason: Message
    condition: Message | None = None
    via: str = ""


def compare_claims(a: Claim, b: Claim, election: Election | None = None, *,
                   table_max: int | None = None) -> _Pair:
    """The verdict for one pair of claims (see :func:`check_compatibility`)."""
    ids = {"a": a.id, "b": b.id}
    if b.id in a.endorses or a.id in b.endorses:
        return _Pair("compatible", Message("claims.pair.endorses", {
            "a": a.id if b.id in a.endorses else b.id,
            "b": b.id if b.id in a.endorses else a.id}))
    if not a.has_figures or not b.has_figures:
        which = a.id if not a.has_figures else b.id
        return _Pair("not_comparable", Message("claims.pair.no_figures",
                                               {**ids, "claim": which}))
    if a.scope != b.scope:
        return _Pair("not_comparable", Message("claims.pair.different_scope", ids))
    cands = election.candidate_keys if election is not None else ()
    sample_a = a.basis == "sample" and a.coverage.sample_units
    sample_b = b.basis == "sample" and b.coverage.sample_units
    if sample_a or sample_b:
        return _compare_sample(a, b, election, cands)
    if a.has_counts and b.has_counts:
        return _compare_counts(a, b, election, cands, table_max)
    return _Pair("not_comparable", Message("claims.pair.percentages_only", {
        **ids, "claim": a.id if not a.has_counts else b.id}))


def _condition(a: Claim, b: Claim) -> Message:
    sheets = [c for c in (a, b) if c.basis == "tally_sheets"]
    if len(sheets) == 1:
        return Message("claims.condition.sheets_fabricated", {"claim": sheets[0].id})
    if a.series == b.series and a.side == b.side:
        return Message("claims.condition.earlier_wrong", {"a": a.id, "b": b.id})
    return Message("claims.condition.one_false", {"a": a.id, "b": b.id})


def _outside_capacity(claim: Claim, election: Election | None,
                      table_max: int | None) -> tuple[int | None, str]:
    """Most votes the tables outside ``claim`` can hold, and how it was bounded."""
    if _covers_everything(claim, election):
        return 0, "covers every table"
    options: list[tuple[int, str]] = []
    reg = _registered_outside(claim, election)
    if reg is not None:
        options.append((reg, "registered"))
    tables = claim_tables(claim, election)
    n = election.tables if election is not None and claim.national else None
    if tables is not None and n and table_max:
        options.append(((n - tables[0]) * table_max, "tables"))
    if not options and tables is not None and n:
        totals = _registry_totals(claim, election)
        if totals:  # average-size tables: an estimate, not a bound
            options.append((math.ceil(max(totals) * (n - tables[0]) / n), "average"))
    if not options:
        return None, ""
    return min(options)


def _compare_counts(a: Claim, b: Claim, election: Election | None, cands: Sequence[str],
                    table_max: int | None) -> _Pair:
    counts_a, counts_b, _ = _categories(a, b, cands)
    if not counts_a:
        return _Pair("not_comparable", Message("claims.pair.no_shared", {"a": a.id, "b": b.id}))
    worst: tuple[int, str, Claim, Claim, int, str] | None = None
    largest: tuple[int, str, Claim, Claim, int, str] | None = None
    unknown = []
    for x, y, cx, cy in ((a, b, counts_a, counts_b), (b, a, counts_b, counts_a)):
        cap, how = _outside_capacity(y, election, table_max)
        for key in cx:
            gap = cx[key].low - cy[key].high
            if gap <= 0:
                continue
            if cap is None:
                unknown.append(y.id)
                continue
            item = (gap - cap, key, x, y, gap, how)
            if largest is None or gap > largest[4]:
                largest = item
            if gap > cap and (worst is None or item[0] > worst[0]):
                worst = item
    if worst is not None:
        over, key, x, y, gap, how = worst
        return _Pair("incompatible", Message(f"claims.pair.exceeds_{how}", {
            "x": x.id, "y": y.id, "key": key, "gap": gap, "capacity": gap - over}),
            _condition(a, b))
    if unknown:
        return _Pair("not_comparable", Message("claims.pair.coverage_unknown", {
            "a": a.id, "b": b.id, "claim": unknown[0]}))
    if largest is None:
        return _Pair("compatible", Message("claims.pair.equal", {"a": a.id, "b": b.id}))
    _, key, x, y, gap, how = largest
    cap = _outside_capacity(y, election, table_max)[0]
    return _Pair("compatible", Message(f"claims.pair.fits_{how}", {
        "x": x.id, "y": y.id, "key": key, "gap": gap, "capacity": cap or 0}))


def _share_interval(claim: Claim, key: str, election: Election | None,
                    cands: Sequence[str]) -> tuple[float, float] | None:
    """Bounds on a candidate's national share of valid votes implied by a claim."""
    if claim.basis == "sample" and key in claim.percentages:
        low, high = claim.percentages[key].fraction_interval(claim.percent_rounding)
        return float(low), float(high)
    if claim.has_counts and key in claim.counts:
        valid = claim.valid_total(cands)
        if valid is None:
            return None
        count = claim.counts[key]
        cap, _ = _outside_capacity(claim, election, None)
        if cap is None:
            return None
        den_hi = valid.high + cap
        return count.low / den_hi, min(1.0, (count.high + cap) / max(valid.low + cap, 1))
    if key in claim.percentages and _covers_everything(claim, election):
        low, high = claim.percentages[key].fraction_interval(claim.percent_rounding)
        return float(low), float(high)
    return None


def _compare_sample(a: Claim, b: Claim, election: Election | None,
                    cands: Sequence[str]) -> _Pair:
    """Hoeffding bound between a sample's shares and another claim's shares."""
    sample, other = (a, b) if (a.basis == "sample" and a.coverage.sample_units) else (b, a)
    n = sample.coverage.sample_units or 0
    n_other = other.coverage.sample_units if other.basis == "sample" else None
    keys = [k for k in sample.percentages if k != OTHERS]
    best: tuple[float, str, float] | None = None
    compared = 0
    for key in keys:
        s = _share_interval(sample, key, election, cands)
        o = _share_interval(other, key, election, cands)
        if s is None or o is None:
            continue
        compared += 1
        gap = max(0.0, s[0] - o[1], o[0] - s[1])
        eff = n if not n_other else 1 / (1 / n + 1 / n_other)
        p = min(1.0, 2 * math.exp(-2 * eff * gap ** 2))
        if best is None or p < best[0]:
            best = (p, key, gap)
    if best is None:
        return _Pair("not_comparable", Message("claims.pair.no_shared", {"a": a.id, "b": b.id}))
    p, key, gap = best
    p = min(1.0, p * compared)
    params = {"sample": sample.id, "other": other.id, "key": key, "gap": 100 * gap,
              "units": n, "p": p}
    if p < SAMPLE_ALPHA:
        return _Pair("incompatible", Message("claims.pair.sample_far", params),
                     Message("claims.condition.sample_biased", {"claim": sample.id,
                                                                "units": n}))
    if p < 0.05:
        return _Pair("compatible", Message("claims.pair.sample_strained", params))
    return _Pair("compatible", Message("claims.pair.sample_close", params))


def check_compatibility(claims: Sequence[Claim], election: Election | None = None, *,
                        sheets_results: Sequence[SheetsResult] = (),
                        table_max: int | None = None) -> CompatibilityResult:
    """Every pair of claims: compatible, or incompatible unless a stated condition.

    Pairs with counts: a claim's count can exceed another's only by votes from tables the
    other leaves out, which hold at most the registered voters it leaves out (or, with
    ``table_max``, that many tables of the largest size seen); beyond that both cannot be
    true. A sample (exit poll, quick count: ``basis: sample`` with ``coverage.sample_units``)
    is compared with another claim's share by Hoeffding's inequality for the mean of ``n``
    independent polling-place shares in [0, 1]: incompatible when ``p < 0.001``, unless the
    sample was biased. A claim that endorses another (a court certifying a bulletin) inherits
    that claim's verdicts. Claims against the sheets held come from
    :func:`check_against_sheets`: a violation or an impossibility makes the pair incompatible
    "unless the sheets are fabricated". Claims stating only percentages of an unstated
    number of votes, or no figures, are not comparable by arithmetic.

    The condition names what must be false for both claims to stand; it is not a finding
    about which one is.
    """
    by_id = {c.id: c for c in claims}
    rows = []
    cache: dict[tuple[str, str], _Pair] = {}

    def pair(x: Claim, y: Claim) -> _Pair:
        key = (x.id, y.id)
        if key not in cache:
            cache[key] = compare_claims(x, y, election, table_max=table_max)
        return cache[key]

    def via_endorsement(x: Claim, y: Claim) -> _Pair:
        for src, dst in ((x, y), (y, x)):
            if src.endorses and not src.has_figures and dst.id not in src.endorses:
                results = [(pair(by_id[e], dst), e) for e in src.endorses if e in by_id]
                if results:
                    order = {"incompatible": 0, "compatible": 1, "not_comparable": 2}
                    inner, via = min(results, key=lambda r: order[r[0].verdict])
                    return _Pair(inner.verdict, inner.reason, inner.condition, via)
        return pair(x, y)

    for i, x in enumerate(claims):
        for y in claims[i + 1:]:
            rows.append(_row(x.id, y.id, via_endorsement(x, y)))
    for res in sheets_results:
        label = f"sheets:{res.sheets}"
        sheet_pair = _sheet_pair(res)
        rows.append(_row(label, res.claim, sheet_pair))
    for res in sheets_results:  # endorsers inherit the endorsed claim's verdict on the sheets
        for c in claims:
            if res.claim in c.endorses and not c.has_figures:
                inner = _sheet_pair(res)
                rows.append(_row(f"sheets:{res.sheets}", c.id,
                                 _Pair(inner.verdict, inner.reason, inner.condition, res.claim)))
    table = pd.DataFrame(rows, columns=["a", "b", "verdict", "condition", "condition_params",
                                        "condition_text", "reason_id", "reason_params",
                                        "reason", "via"])
    for col in ("condition", "condition_params", "condition_text", "via"):
        table[col] = table[col].astype(object).where(table[col].notna(), None)
    incompatible = int((table["verdict"] == "incompatible").sum())
    comparable = int((table["verdict"] != "not_comparable").sum())
    labels = tuple(dict.fromkeys([*(c.id for c in claims),
                                  *(f"sheets:{r.sheets}" for r in sheets_results)]))
    evidence = Evidence.IMPOSSIBLE if incompatible else (
        Evidence.CONSISTENT if comparable else Evidence.NOT_TESTED)
    return CompatibilityResult(
        test="claims.compatibility", statistic=float(incompatible), pvalue=None,
        effect=float(incompatible), effect_unit="incompatible pairs", n=len(table),
        null="arithmetic bounds (Hoeffding for samples)", evidence=evidence, table=table,
        message=Message("claims.compat.summary", {
            "incompatible": incompatible, "comparable": comparable, "pairs": len(table),
            "not_comparable": len(table) - comparable}),
        params={"sample_alpha": SAMPLE_ALPHA, "table_max": table_max}, labels=labels)


def _sheet_pair(res: SheetsResult) -> _Pair:
    if res.verdict in ("violation", "impossible_registered", "impossible_own_totals"):
        params = dict(res.message.params)
        reason = {"violation": "claims.pair.sheets_exceed",
                  "impossible_registered": "claims.pair.sheets_need_registered",
                  "impossible_own_totals": "claims.pair.sheets_need"}[res.verdict]
        return _Pair("incompatible", Message(reason, params),
                     Message("claims.condition.these_sheets_fabricated",
                             {"sheets": res.sheets}))
    if res.verdict in ("no_counts", "no_sheets_in_scope"):
        return _Pair("not_comparable", res.message)
    return _Pair("compatible", res.message)


def _row(a: str, b: str, p: _Pair) -> dict[str, Any]:
    return {"a": a, "b": b, "verdict": p.verdict,
            "condition": p.condition.id if p.condition else None,
            "condition_params": dict(p.condition.params) if p.condition else None,
            "condition_text": p.condition.render("en") if p.condition else None,
            "reason_id": p.reason.id, "reason_params": dict(p.reason.params),
            "reason": p.reason.render("en"), "via": p.via or None}
