"""Planning and evaluating an audit of digitised tally sheets against their images.

A set of digitised tally sheets (a spreadsheet keyed from acta images, a QR decoding, an
OCR run) can be checked against the images themselves by reading a random sample of them
by hand. Two questions have different answers:

1. **Is the outcome shown by the digitised record right?** A *risk-limiting* batch-level
   comparison audit [lindeman2012] [stark2008] [stark2009] answers it with a guarantee: each
   acta is a batch; actas are drawn with probability proportional to an error bound (PPEB,
   [aslam2008]); each drawn acta's digitised counts are compared with a careful human
   reading; the Kaplan–Markov P-value [stark2009] measures the evidence that the digitised
   outcome is right. If it is wrong, the audit confirms it with probability at most α (the
   risk limit). With few errors this takes a handful of actas: :func:`plan_batch_audit`,
   :func:`draw_sample`, :func:`evaluate_batch_audit`.
2. **How often does the digitisation err?** A uniform sample and a Clopper–Pearson bound on
   the transcription error rate [clopper1934] answer it: :func:`error_rate_upper_bound`,
   :func:`error_rate_sample_size`.

For ballot-level audits the module also gives the BRAVO average sample number [lindeman2012b]
(:func:`bravo_asn`) and the super-simple sample size [stark2010] (:func:`super_simple_sample_size`).

What such an audit does not establish: that the images are authentic (that needs the
actas' security features and signatures), nor that the set of actas is complete (that needs a
worst-case bound on the missing ones).

**Public, verifiable sampling.** :func:`draw_sample` derives every draw from a seed string
with SHA-256, so anyone can repeat the draw with any SHA-256 implementation. The procedure
observers follow (after Cordero, Wagner & Dill [cordero2006]):

1. publish the digitised file (and its SHA-256) and the assertions to be audited (winner,
   losers, α) *before* the seed exists;
2. generate the seed in public, e.g. 20 rolls of a ten-sided die read aloud and filmed, and
   publish it as a string of digits;
3. run the sampler on the published file with that seed (the tables are numbered in file
   order: index 1 is the first data row); anyone can re-run it and must get the same draws.

Draw *i* (1, 2, …) is ``h_i = SHA-256("<seed>,<i>")`` read as a 256-bit integer: for
uniform sampling the table ``h_i mod N`` (0-based; repeats are skipped so the sample has no
duplicates); for PPEB sampling the first table whose cumulative error bound, divided by the
total, exceeds ``u_i = floor(h_i / 2^203) / 2^53``.

References
----------
By key of the bibliography, :mod:`audit.references`, where the full entries are:

- Lindeman & Stark (2012) [lindeman2012]
- Stark (2008) [stark2008]
- Stark (2009) [stark2009]
- Aslam et al. (2008) [aslam2008]
- Lindeman et al. (2012) [lindeman2012b]
- Clopper & Pearson (1934) [clopper1934]
- Stark (2010) [stark2010]
- Cordero et al. (2006) [cordero2006]
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from audit._json import jsonable
from audit.checks.result import CheckResult, Message, evidence_from_pvalue
from audit.errors import AuditError
from audit.model import SheetTable, vote_column

#: Default error inflation factor of the super-simple audit (Stark 2010 [stark2010]).
GAMMA = 1.03905


# --------------------------------------------------------------------------------------------
# Sample sizes and bounds
# --------------------------------------------------------------------------------------------


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"the risk limit alpha must be in (0, 1), got {alpha}")


def zero_discrepancy_sample_size(total_error_bound: float, alpha: float = 0.05) -> int:
    """Batches to draw by PPEB so that, if none shows an overstatement, P <= alpha.

    With no overstatement every Kaplan–Markov factor is ``1 - 1/U`` [stark2009], so ``P = (1 -
    1/U)^n`` and ``n = ceil(ln(alpha) / ln(1 - 1/U))``.

    Parameters
    ----------
    total_error_bound : float
        ``U``, the sum over batches of the error bounds ``u_p`` (``U >= 1``).
    alpha : float
        Risk limit.
    """
    _check_alpha(alpha)
    if total_error_bound < 1:
        raise ValueError(f"the total error bound U is at least 1, got {total_error_bound}")
    if total_error_bound == 1:
        return 1
    return math.ceil(math.log(alpha) / math.log(1 - 1 / total_error_bound) - 1e-12)


def ppeb_sample_size(winner_votes: float, loser_votes: float, ballots: float, *,
                     alpha: float = 0.05) -> tuple[float, int]:
    """``(U, n)`` for a PPEB batch-comparison audit from reported totals alone.

    For two candidates the batch error bounds add up to ``U = 1 + B / V`` (``B`` ballots,
    ``V`` the margin), whatever the batches [stark2008] [aslam2008]; ``n`` is
    :func:`zero_discrepancy_sample_size`.

    Examples
    --------
    AP's tabulation of the Venezuelan opposition's actas (González 6.89 M, Maduro 3.13 M,
    10.26 M ballots; the bound of Aslam, Popa & Rivest 2008 [aslam2008]): ``U = 3.73``, 10 actas at
    α = 0.05, 15 at 0.01.

    >>> U, n = ppeb_sample_size(6.89e6, 3.13e6, 10.26e6, alpha=0.05)
    >>> round(U, 2), n
    (3.73, 10)
    """
    margin = winner_votes - loser_votes
    if margin <= 0:
        raise ValueError("the reported winner must have more votes than the loser")
    if ballots < winner_votes + loser_votes:
        raise ValueError("ballots must include at least the votes of both candidates")
    u = 1 + ballots / margin
    return u, zero_discrepancy_sample_size(u, alpha)


def bravo_asn(winner_share: float, *, alpha: float = 0.10) -> float:
    """Average number of ballots a BRAVO ballot-polling audit examines (Wald's approximation).

    ``ASN ≈ [ln(1/α) + ½ ln(2 s)] / [s ln(2 s) + (1 − s) ln(2 − 2 s)]``, with ``s`` the
    winner's share of the ballots for the winner or the loser [lindeman2012] [lindeman2012b];
    valid when the reported shares are right.

    Examples
    --------
    >>> [round(bravo_asn(s, alpha=0.10)) for s in (0.55, 0.60, 0.70)]
    [469, 119, 30]
    """
    _check_alpha(alpha)
    if not 0.5 < winner_share < 1:
        raise ValueError(f"the winner's share must be in (0.5, 1), got {winner_share}")
    s = winner_share
    num = math.log(1 / alpha) + 0.5 * math.log(2 * s)
    den = s * math.log(2 * s) + (1 - s) * math.log(2 - 2 * s)
    return num / den


def super_simple_sample_size(diluted_margin: float, *, alpha: float = 0.05,
                             gamma: float = GAMMA, error_rate: float = 0.0) -> int:
    """Ballots to audit in a super-simple ballot-level comparison audit (Stark 2010 [stark2010]).

    ``n = ceil(ρ / μ)`` with ``ρ = −ln α / (1/(2γ) + λ ln(1 − 1/(2γ)))``, ``μ`` the diluted
    margin (margin / ballots), ``γ`` the error inflation and ``λ`` the expected rate of
    one-vote overstatements [stark2010]. With no errors ``ρ = 2γ ln(1/α)``: 4.785 at α = 0.10,
    6.225 at α = 0.05.
    """
    _check_alpha(alpha)
    if not 0 < diluted_margin <= 1:
        raise ValueError(f"the diluted margin must be in (0, 1], got {diluted_margin}")
    denom = 1 / (2 * gamma) + error_rate * math.log(1 - 1 / (2 * gamma))
    if denom <= 0:
        raise ValueError("the expected error rate is too large for an audit to stop")
    rho = -math.log(alpha) / denom
    return math.ceil(rho / diluted_margin - 1e-12)


def error_rate_upper_bound(errors: int, n: int, *, confidence: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper confidence bound on an error rate [clopper1934].

    With ``k`` transcription errors among ``n`` actas drawn uniformly at random, the rate
    is below the bound with the stated confidence. With ``k = 0`` it is ``1 − (1 −
    confidence)^{1/n}`` (about 3/n, the rule of three).

    Examples
    --------
    >>> [round(100 * error_rate_upper_bound(0, n), 2) for n in (100, 300, 1000)]
    [2.95, 0.99, 0.3]
    """
    if n <= 0 or not 0 <= errors <= n:
        raise ValueError(f"need 0 <= errors <= n and n > 0, got errors={errors}, n={n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if errors == n:
        return 1.0
    return float(stats.beta.ppf(confidence, errors + 1, n - errors))


def error_rate_interval(errors: int, n: int, *, confidence: float = 0.95
                        ) -> tuple[float, float]:
    """Two-sided Clopper–Pearson interval for an error rate (``k`` errors in ``n``)."""
    if n <= 0 or not 0 <= errors <= n:
        raise ValueError(f"need 0 <= errors <= n and n > 0, got errors={errors}, n={n}")
    ci = stats.binomtest(errors, n).proportion_ci(confidence_level=confidence,
                                                  method="exact")
    return float(ci.low), float(ci.high)


def error_rate_sample_size(max_rate: float, *, confidence: float = 0.95) -> int:
    """Actas to read so that, if none shows an error, the error rate is below ``max_rate``
    with the stated confidence: ``n = ceil(ln(1 − confidence) / ln(1 − max_rate))``."""
    if not 0 < max_rate < 1:
        raise ValueError(f"max_rate must be in (0, 1), got {max_rate}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return math.ceil(math.log(1 - confidence) / math.log(1 - max_rate) - 1e-12)


# --------------------------------------------------------------------------------------------
# Batch-level comparison audit: plan, draw, evaluate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchAuditPlan:
    """A PPEB batch-comparison audit of the digitised record ``sheets`` (one batch per table).

    Attributes
    ----------
    winner : str
        Reported winner (candidate key).
    losers : tuple of str
        Candidates the winner's lead over which is audited (one assertion each).
    alpha : float
        Risk limit.
    margins : dict
        Loser -> reported margin ``V = v_w − v_ℓ`` (votes).
    ballots : int
        Ballots in all batches (``B``).
    manifest : DataFrame
        One row per batch in file order: ``index`` (1-based), ``center_id``, ``table_id``,
        ``line``, ``ballots``, ``error_bound`` (``u_p``), ``probability`` (``u_p / U``).
    total_error_bound : float
        ``U = Σ u_p``.
    sample_size : int
        Draws needed if none shows an overstatement (:func:`zero_discrepancy_sample_size`).
    source_sha256 : str
        SHA-256 of the digitised file(s), to publish before the seed.
    """

    winner: str
    losers: tuple[str, ...]
    alpha: float
    margins: dict[str, int]
    ballots: int
    manifest: pd.DataFrame = field(repr=False)
    total_error_bound: float
    sample_size: int
    source_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (the manifest is left out: it restates the input)."""
        return {"winner": self.winner, "losers": list(self.losers), "alpha": self.alpha,
                "margins": dict(self.margins), "ballots": self.ballots,
                "batches": len(self.manifest), "total_error_bound": self.total_error_bound,
                "sample_size": self.sample_size, "source_sha256": self.source_sha256}


def plan_batch_audit(sheets: SheetTable, *, winner: str | None = None,
                     losers: Sequence[str] | None = None,
                     alpha: float = 0.05) -> BatchAuditPlan:
    """Plan a PPEB batch-level comparison audit of a digitised set of tally sheets.

    The null hypothesis of the audit is that the outcome shown by the digitised record is
    wrong: that a careful reading of every image would not put ``winner`` ahead of some
    loser. Each table is a batch. Its error bound ``u_p`` is the largest overstatement of any
    audited margin it could hide, relative to that margin (MACRO, [stark2008]):
    ``u_p = max_ℓ (v_wp − v_ℓp + b_p) / V_wℓ`` — the case where every ballot of the batch
    really went to ℓ. ``b_p`` is the table's ballots (``voters`` where stated, else valid +
    null + blank).

    Parameters
    ----------
    sheets : SheetTable
        The digitised record (reported counts).
    winner : str, optional
        Reported winner (default: the candidate with the most votes).
    losers : sequence of str, optional
        Candidates whose margin is audited (default: every other candidate).
    alpha : float, default 0.05
        Risk limit.
    """
    _check_alpha(alpha)
    winner = winner or sheets.leader()
    if winner not in sheets.candidates:
        raise AuditError(f"unknown winner {winner!r}; candidates: {', '.join(sheets.candidates)}")
    losers = tuple(losers) if losers is not None else tuple(
        k for k in sheets.candidates if k != winner)
    bad = [k for k in losers if k not in sheets.candidates or k == winner]
    if bad or not losers:
        raise AuditError(f"losers must be other candidates of the table, got {list(losers)}")
    totals = sheets.totals()
    margins = {k: totals[winner] - totals[k] for k in losers}
    behind = [k for k, v in margins.items() if v <= 0]
    if behind:
        raise AuditError(f"{winner} is not ahead of {', '.join(behind)} in this record; "
                         f"there is no reported outcome to confirm")
    ballots = np.nan_to_num(sheets.ballots()).astype(np.int64)
    vw = sheets.data[vote_column(winner)].to_numpy(np.int64)
    bounds = np.max(np.column_stack([
        (vw - sheets.data[vote_column(k)].to_numpy(np.int64) + ballots) / margins[k]
        for k in losers]), axis=1)
    bounds = np.maximum(bounds, 0.0)
    total = float(bounds.sum())
    manifest = pd.DataFrame({
        "index": np.arange(1, len(sheets) + 1, dtype=np.int64),
        "center_id": sheets.data["center_id"].to_numpy(dtype=object),
        "table_id": sheets.data["table_id"].to_numpy(dtype=object),
        "line": sheets.data["line"].to_numpy(np.int64),
        "ballots": ballots, "error_bound": bounds, "probability": bounds / total,
    })
    sha = sheets.provenance[0].sha256 if len(sheets.provenance) == 1 else ""
    return BatchAuditPlan(winner=winner, losers=losers, alpha=alpha,
                          margins={k: int(v) for k, v in margins.items()},
                          ballots=int(ballots.sum()), manifest=manifest,
                          total_error_bound=total,
                          sample_size=zero_discrepancy_sample_size(total, alpha),
                          source_sha256=sha)


def _hash_draws(seed: str, start: int, count: int) -> list[int]:
    """``SHA-256("<seed>,<i>")`` as integers for i = start, …, start + count − 1."""
    return [int.from_bytes(hashlib.sha256(f"{seed},{i}".encode()).digest(), "big")
            for i in range(start, start + count)]


def uniform_draws(seed: str, n: int, size: int) -> np.ndarray:
    """``n`` distinct 0-based positions out of ``size``, drawn from a public seed.

    Draw *i* is ``SHA-256("<seed>,<i>") mod size``; repeats are skipped (sampling without
    replacement). This is the uniform procedure of :func:`draw_sample`, also used per stratum
    by :func:`audit.checks.quickcount.draw_stratified`.
    """
    if n > size:
        raise ValueError(f"cannot draw {n} distinct tables out of {size}")
    chosen: list[int] = []
    seen: set[int] = set()
    i = 1
    while len(chosen) < n:  # loop over draws (the sample), never over all tables
        for h in _hash_draws(seed, i, n - len(chosen)):
            idx = h % size
            if idx not in seen:
                seen.add(idx)
                chosen.append(idx)
            i += 1
    return np.array(chosen[:n], dtype=np.int64)


def draw_sample(target: BatchAuditPlan | SheetTable, n: int, *, seed: str,
                method: Literal["ppeb", "uniform"] | None = None) -> pd.DataFrame:
    """Draw ``n`` tables from a public seed, reproducibly by anyone (see the module docstring).

    Parameters
    ----------
    target : BatchAuditPlan or SheetTable
        A plan (PPEB sampling, with replacement: a table may be drawn more than once and
        then counts once per draw) or a table (uniform sampling without replacement, for
        estimating an error rate).
    n : int
        Number of draws.
    seed : str
        The public seed, e.g. the digits of 20 dice rolls ("38405817294016637281").
    method : {"ppeb", "uniform"}, optional
        Default: ``"ppeb"`` for a plan, ``"uniform"`` for a table.

    Returns
    -------
    DataFrame
        One row per draw: ``draw`` (1, 2, …), ``index`` (1-based position of the table in
        file order), ``center_id``, ``table_id``, ``line`` and ``probability`` (of being
        drawn in one draw).
    """
    if not isinstance(seed, str) or not seed.strip():
        raise ValueError("the seed must be a non-empty string (publish it with the sample)")
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if isinstance(target, BatchAuditPlan):
        manifest = target.manifest
    else:
        data = target.data
        manifest = pd.DataFrame({
            "index": np.arange(1, len(target) + 1, dtype=np.int64),
            "center_id": data["center_id"].to_numpy(dtype=object),
            "table_id": data["table_id"].to_numpy(dtype=object),
            "line": data["line"].to_numpy(np.int64),
            "probability": np.full(len(target), 1 / max(len(target), 1))})
    method = method or ("ppeb" if isinstance(target, BatchAuditPlan) else "uniform")
    size = len(manifest)
    if size == 0:
        raise AuditError("there are no tables to sample from")
    if method == "ppeb":
        if "error_bound" not in manifest:
            raise ValueError("PPEB sampling needs a BatchAuditPlan (error bounds)")
        cum = np.cumsum(manifest["error_bound"].to_numpy(np.float64))
        cum = cum / cum[-1]
        u = np.array([(h >> 203) / 2.0**53 for h in _hash_draws(seed, 1, n)])
        picks = np.minimum(np.searchsorted(cum, u, side="right"), size - 1)
        probability = manifest["probability"].to_numpy(np.float64)[picks]
    elif method == "uniform":
        picks = uniform_draws(seed, n, size)
        probability = np.full(len(picks), 1 / size)
    else:
        raise ValueError(f"method must be 'ppeb' or 'uniform', got {method!r}")
    rows = manifest.iloc[picks]
    return pd.DataFrame({
        "draw": np.arange(1, len(picks) + 1, dtype=np.int64),
        "index": rows["index"].to_numpy(np.int64),
        "center_id": rows["center_id"].to_numpy(dtype=object),
        "table_id": rows["table_id"].to_numpy(dtype=object),
        "line": rows["line"].to_numpy(np.int64),
        "probability": probability,
    })


def _keys(frame: pd.DataFrame) -> np.ndarray:
    """``center_id + "\\x1f" + table_id`` per row, as an object array (for lookups)."""
    center = frame["center_id"].astype("string").fillna("")
    return (center + "\x1f" + frame["table_id"].astype("string").fillna("")) \
        .to_numpy(dtype=object)


@dataclass(frozen=True, kw_only=True)
class BatchAuditResult(CheckResult):
    """A batch-comparison audit evaluated with the Kaplan–Markov P-value.

    Besides the fields of :class:`CheckResult`: ``winner``, ``losers``, ``alpha``,
    ``total_error_bound`` (U), ``confirmed`` (``pvalue <= alpha``) and ``draws``. ``table``
    has one row per draw: ``draw, center_id, table_id, error_bound, overstatement`` (largest
    relative overstatement over the audited margins, ``e_p``), ``taint`` (``e_p / u_p``),
    ``factor`` (the Kaplan–Markov factor) and ``pvalue_running``.
    """

    winner: str
    losers: tuple[str, ...]
    alpha: float
    total_error_bound: float
    confirmed: bool
    draws: int

    def to_dict(self) -> dict[str, Any]:
        out = {name: jsonable(getattr(self, name)) for name in self.__dataclass_fields__}
        out["sentence"] = self.sentence
        return out


def evaluate_batch_audit(plan: BatchAuditPlan, reported: SheetTable, sample: pd.DataFrame,
                         audited: SheetTable) -> BatchAuditResult:
    """Evaluate a PPEB batch-comparison audit with the Kaplan–Markov P-value.

    The null hypothesis is that the reported (digitised) outcome is wrong: that for some
    audited loser ℓ the overstatements of the margin ``V_wℓ`` add up to at least 100% of it.
    For each draw, the overstatement of batch p is ``e_p = max_ℓ [(r_w − r_ℓ) − (a_w − a_ℓ)]
    / V_wℓ`` (``r`` reported, ``a`` audited counts) and its taint ``t_p = e_p / u_p``. The
    Kaplan–Markov P-value [stark2009] is

    .. math:: P = \\min_j \\prod_{i \\le j} \\frac{1 - 1/U}{1 - t_{p_i}},

    capped at 1 (a taint of 1 gives 1). Under the null and PPEB sampling with replacement the
    products form a nonnegative supermartingale, so ``P`` is a valid P-value even when the
    audit stops as soon as ``P <= alpha``. Understatements (negative taints) count in the
    outcome's favour, as in [stark2009].

    Parameters
    ----------
    plan : BatchAuditPlan
        The plan the sample was drawn from.
    reported : SheetTable
        The digitised record the plan was made from.
    sample : DataFrame
        The draws (:func:`draw_sample`), in draw order.
    audited : SheetTable
        The human readings of the sampled images, with the same keys and candidates.

    Returns
    -------
    BatchAuditResult
        ``pvalue`` is the Kaplan–Markov P-value; ``statistic`` the number of draws with an
        overstatement; ``effect`` the largest taint; ``confirmed`` says whether the reported
        outcome is confirmed at the plan's risk limit.

    Notes
    -----
    Known failure modes: the guarantee assumes that the images are the trustworthy record
    and that the readings are careful (two people, blind, reconciled); an acta drawn but not
    found must be treated as the worst case (taint 1), so it is an error here.
    """
    if len(sample) == 0:
        raise AuditError("the sample is empty; draw it with draw_sample")
    cands = [plan.winner, *plan.losers]
    missing = [k for k in cands if k not in audited.candidates]
    if missing:
        raise AuditError(f"the audited readings lack candidates {', '.join(missing)}")
    if len(reported) != len(plan.manifest):
        raise AuditError("the plan was not made from this reported table (sizes differ)")
    drawn = _keys(sample)
    at_rep = pd.Index(_keys(reported.data)).get_indexer(drawn)
    at_aud = pd.Index(_keys(audited.data)).get_indexer(drawn)
    lost = (at_rep < 0) | (at_aud < 0)
    if lost.any():
        shown = ", ".join(k.replace("\x1f", "/").lstrip("/") for k in drawn[lost][:5])
        raise AuditError(f"{int(lost.sum())} drawn tables have no audited reading or no "
                         f"reported row (e.g. {shown}); a drawn acta that cannot be read "
                         f"counts as the worst case and sends the audit to a full count")
    cols = [vote_column(k) for k in cands]
    rv = reported.data[cols].to_numpy(np.float64)[at_rep]
    av = audited.data[cols].to_numpy(np.float64)[at_aud]
    margins = np.array([plan.margins[k] for k in plan.losers], dtype=np.float64)
    rep_lead = rv[:, :1] - rv[:, 1:]
    aud_lead = av[:, :1] - av[:, 1:]
    overstatement = ((rep_lead - aud_lead) / margins).max(axis=1)
    u_p = plan.manifest["error_bound"].to_numpy(np.float64)[at_rep]
    with np.errstate(divide="ignore", invalid="ignore"):
        taint = np.where(u_p > 0, overstatement / u_p, 0.0)
    taint = np.minimum(taint, 1.0)
    big_u = plan.total_error_bound
    with np.errstate(divide="ignore"):
        factor = np.where(taint < 1, (1 - 1 / big_u) / (1 - taint), np.inf)
    running = np.minimum(1.0, np.minimum.accumulate(np.cumprod(factor)))
    pvalue = float(running[-1])
    confirmed = pvalue <= plan.alpha
    found = int((overstatement > 0).sum())
    table = pd.DataFrame({
        "draw": sample["draw"].to_numpy(np.int64) if "draw" in sample
        else np.arange(1, len(sample) + 1),
        "center_id": sample["center_id"].to_numpy(dtype=object),
        "table_id": sample["table_id"].to_numpy(dtype=object),
        "error_bound": u_p, "overstatement": overstatement, "taint": taint,
        "factor": factor, "pvalue_running": running,
    })
    params = {"winner": plan.winner, "losers": list(plan.losers), "alpha": plan.alpha,
              "draws": len(sample), "method": "ppeb"}
    message = Message("sampling.batch_audit.confirmed" if confirmed
                      else "sampling.batch_audit.not_confirmed", {
                          "winner": plan.winner, "draws": len(sample), "found": found,
                          "p": pvalue, "alpha": 100 * plan.alpha,
                          "needed": plan.sample_size})
    return BatchAuditResult(
        test="sampling.batch_comparison", statistic=float(found), pvalue=pvalue,
        effect=float(taint.max()), effect_unit="taint (share of the batch's error bound)",
        n=len(sample), null="the reported outcome is wrong (Kaplan–Markov, PPEB)",
        evidence=evidence_from_pvalue(pvalue), table=table, message=message, params=params,
        winner=plan.winner, losers=plan.losers, alpha=plan.alpha,
        total_error_bound=big_u, confirmed=confirmed, draws=len(sample))
