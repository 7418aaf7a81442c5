"""Digit tests on polling-station counts: Benford's laws, last digits, digit pairs, round
percentages — each with a textbook null and a simulation null.

Every test here examines the digits of one count column (a candidate's votes by default, or
``valid``, ``voters``, ``null`` ...), nationally or on any subset of sheets, and returns a
:class:`DigitTestResult`. Two nulls are offered:

``null="simulation"`` (default, registered as *calibrated*)
    The counts are redrawn, up to ``n_resamples`` times, from an honest model fitted to the
    same stations (:mod:`audit.checks.null`: beta-binomial on each station's denominator
    around its regional share). The statistic is the distance of the observed digit
    frequencies from the honest expectation. A small p-value means "unlike honest counting at
    these station sizes and shares". The honest expectation is the mean over the observed and
    redrawn tables, so the observed table would be exchangeable with its replicates if the
    model's parameters were known; they are estimated from the same stations (an
    empirical-Bayes plug-in), so the p-value is approximately uniform on honest counts, not
    exactly (measured in ``tests/checks/test_null_uniformity.py``). Redraws are drawn
    sequentially (Besag & Clifford 1991, :mod:`audit.checks.pvalues`): a test stops once 10
    of them reach the observed statistic, ``p = 10 / l``; beyond the redraws (fewer than 10
    of ``n_resamples``) the p-value is a tail fitted to them (a normal quadratic form for the
    distances, a normal for means and shares, or a generalised Pareto tail of the largest
    redraws when that is heavier), named in ``params["tail"]``. In the forensics battery the
    regions take their null from the national redraws, counted per region (``shared=``,
    :class:`audit.checks.null.NationalDraws`; ``docs/results.md``).
``null="textbook"``
    The published law: Benford (first, second, first-two digits), uniform last digits, 0.1 /
    0.2 / 0.7 for repeated / adjacent / distant last-digit pairs, 0.2 for endings in 0 or 5,
    with asymptotic chi-square, normal or exact binomial p-values. Kept for comparison with the
    literature; it is known to flag honest elections (Deckert, Myagkov & Ordeshook 2011), and
    when it does, the result's sentence says which artefact may explain it.

Statistics: Pearson X² (``statistic``), the G (likelihood-ratio) statistic, Nigrini's mean
absolute deviation (MAD) with his conformity class — an *effect size*, never a test (his bands
were calibrated on accounting data) — and per-digit z scores with continuity correction.
Mean tests (Mebane's 2BL mean against 4.187, the last-digit mean against 4.5), the shares of
counts ending in 0 or 5 (C05s) and of rounded percentages ending in 0 or 5 (P05s) follow the
Election Forensics Toolkit (Hicken & Mebane 2017).

Small counts are excluded per test (``min_count``; defaults in :data:`MIN_COUNTS`) and the
number excluded is reported in ``excluded``.

Results share one table layout (one row per digit or category):

=============== ==============================================================================
column          meaning
=============== ==============================================================================
cell            the digit ("0".."9", "10".."99") or category (repeated, adjacent, distant)
observed        count of the cell among the eligible counts
expected        expected count under the null used (honest simulation mean, or the law)
observed_share  observed / n
expected_share  expected / n
reference_share the textbook law's share (Benford, uniform ...), whatever the null
z               signed per-cell z with Nigrini's continuity correction, against expected_share
null_low        2.5% quantile of the cell's share under the null (simulation band; normal
                approximation for the textbook null)
null_high       97.5% quantile
=============== ==============================================================================

References
----------
By key of the bibliography, :mod:`audit.references`, where the full entries are:
Mebane (2006) [mebane2006]; Mebane (2008) [mebane2008], the second-digit (2BL) chapter;
Beber & Scacco (2012) [beber2012]; Deckert, Myagkov & Ordeshook (2011) [deckert2011];
Nigrini (2012) [nigrini2012]; Hicken & Mebane (2017) [hicken2017].
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from audit._random import RNGLike, as_generator
from audit.checks._cache import DrawCache, draw
from audit.checks._options import DEFAULT_RESAMPLES
from audit.checks.null import (
    MODELS,
    HonestModel,
    Model,
    NationalDraws,
    Sampler,
    denominator_for,
    fit_honest_model,
    null_summaries,
    resolve_column,
    trials_of,
    usable_stations,
)
from audit.checks.pvalues import (
    SMALLEST,
    PValue,
    count_pvalue,
    fitted_tail,
    normal_tail,
    quadratic_form_sf,
    schedule,
    sequential_pvalue,
)
from audit.checks.registry import CheckSpec, register, runner
from audit.checks.result import CheckResult, Message, evidence_from_pvalue
from audit.model import SheetTable, candidate_label, vote_key

Null = Literal["simulation", "textbook"]
Alternative = Literal["two-sided", "less", "greater"]
NULLS: tuple[str, ...] = ("simulation", "textbook")
PAIR_KINDS: tuple[str, ...] = ("repeated", "adjacent", "distant")

# --------------------------------------------------------------------------------------------
# Reference laws (Benford; Mebane 2006 for the second digit; Beber & Scacco 2012 for the last)
# --------------------------------------------------------------------------------------------

#: P(D1 = d) = log10(1 + 1/d), d = 1..9.
FIRST_DIGIT_PROBS = np.log10(1 + 1 / np.arange(1, 10))
#: P(D2 = j) = sum_{k=1..9} log10(1 + 1/(10k + j)), j = 0..9 (Mebane's 2BL).
SECOND_DIGIT_PROBS = np.array([np.log10(1 + 1 / (10 * np.arange(1, 10) + j)).sum()
                               for j in range(10)])
#: P(D1D2 = n) = log10(1 + 1/n), n = 10..99.
FIRST_TWO_PROBS = np.log10(1 + 1 / np.arange(10, 100))
#: Uniform last digits.
LAST_DIGIT_PROBS = np.full(10, 0.1)
#: Mean (4.1874) and SD (2.873) of one second digit under 2BL.
SECOND_DIGIT_MEAN = float(np.arange(10) @ SECOND_DIGIT_PROBS)
SECOND_DIGIT_SD = float(np.sqrt((np.arange(10) - SECOND_DIGIT_MEAN) ** 2 @ SECOND_DIGIT_PROBS))
#: Mean (4.5) and SD (sqrt(8.25) = 2.872) of a uniform last digit.
LAST_DIGIT_MEAN = 4.5
LAST_DIGIT_SD = float(np.sqrt(8.25))

#: Default smallest count tested per digit kind (``percent``: smallest denominator).
MIN_COUNTS: dict[str, int] = {"first": 1, "second": 10, "first_two": 10, "last": 50,
                              "pairs": 100, "percent": 100}

#: Nigrini's (2012) MAD conformity bands: upper bounds of close / acceptable / marginal.
NIGRINI_BANDS: dict[str, tuple[float, float, float]] = {
    "first": (0.006, 0.012, 0.015),
    "second": (0.008, 0.010, 0.012),
    "first_two": (0.0012, 0.0018, 0.0022),
}
CONFORMITY = ("close", "acceptable", "marginal", "nonconformity")

_CELLS: dict[str, tuple[str, ...]] = {
    "first": tuple(str(d) for d in range(1, 10)),
    "second": tuple(str(d) for d in range(10)),
    "first_two": tuple(str(d) for d in range(10, 100)),
    "last": tuple(str(d) for d in range(10)),
    "pairs": PAIR_KINDS,
    "percent": tuple(str(d) for d in range(10)),
}
TABLE_COLUMNS: tuple[str, ...] = ("cell", "observed", "expected", "observed_share",
                                  "expected_share", "reference_share", "z", "null_low",
                                  "null_high")


def pair_probs(wrap: bool = True) -> np.ndarray:
    """Shares of repeated, adjacent and distant last-two-digit pairs for uniform digits.

    Repeated: both digits equal (0.10). Adjacent: they differ by one, with 9 and 0 adjacent
    when ``wrap`` (0.20; 0.18 without). Distant: neither (0.70; 0.72).
    """
    adjacent = 0.2 if wrap else 0.18
    return np.array([0.1, adjacent, 0.9 - adjacent])


def reference_probs(kind: str, *, wrap: bool = True) -> np.ndarray:
    """The textbook law of a digit kind (``first``, ``second``, ``first_two``, ``last``,
    ``pairs``, ``percent``)."""
    if kind == "pairs":
        return pair_probs(wrap)
    return {"first": FIRST_DIGIT_PROBS, "second": SECOND_DIGIT_PROBS,
            "first_two": FIRST_TWO_PROBS, "last": LAST_DIGIT_PROBS,
            "percent": LAST_DIGIT_PROBS}[kind]


def nigrini_conformity(mad: float, digits: str) -> str | None:
    """Nigrini's conformity class of a MAD (an effect size; None where he defines none).

    >>> nigrini_conformity(0.005, "first"), nigrini_conformity(0.009, "second")
    ('close', 'acceptable')
    """
    bands = NIGRINI_BANDS.get(digits)
    if bands is None or mad != mad:
        return None
    for bound, label in zip(bands, CONFORMITY, strict=False):
        if mad <= bound:
            return label
    return CONFORMITY[-1]


# --------------------------------------------------------------------------------------------
# Digit kernels: integer arrays in, digits out (-1 where the digit is not defined)
# --------------------------------------------------------------------------------------------

_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _magnitude(x: np.ndarray) -> np.ndarray:
    """floor(log10(x)) for x >= 1 by exact integer comparison (0 for x < 1)."""
    return np.maximum(np.searchsorted(_POW10, np.maximum(x, 1), side="right") - 1, 0)


def first_digit(x: np.ndarray) -> np.ndarray:
    """First significant digit (1..9); -1 for counts below 1.

    >>> first_digit(np.array([0, 7, 42, 1000]))
    array([-1,  7,  4,  1])
    """
    x = np.asarray(x, dtype=np.int64)
    return np.where(x >= 1, x // _POW10[_magnitude(x)], -1)


def second_digit(x: np.ndarray) -> np.ndarray:
    """Second significant digit (0..9); -1 for counts below 10.

    >>> second_digit(np.array([9, 10, 42, 1999]))
    array([-1,  0,  2,  9])
    """
    x = np.asarray(x, dtype=np.int64)
    e = np.maximum(_magnitude(x) - 1, 0)
    return np.where(x >= 10, (x // _POW10[e]) % 10, -1)


def first_two_digits(x: np.ndarray) -> np.ndarray:
    """First two significant digits as a number 10..99; -1 for counts below 10."""
    x = np.asarray(x, dtype=np.int64)
    e = np.maximum(_magnitude(x) - 1, 0)
    return np.where(x >= 10, x // _POW10[e], -1)


def last_digit(x: np.ndarray) -> np.ndarray:
    """Last digit (0..9); -1 for negative input."""
    x = np.asarray(x, dtype=np.int64)
    return np.where(x >= 0, x % 10, -1)


def pair_kind(x: np.ndarray, *, wrap: bool = True) -> np.ndarray:
    """Category of the last two digits: 0 repeated, 1 adjacent, 2 distant; -1 below 10.

    >>> pair_kind(np.array([5, 33, 34, 90, 47]))
    array([-1,  0,  1,  1,  2])
    """
    x = np.asarray(x, dtype=np.int64)
    a, b = (x // 10) % 10, x % 10
    diff = np.abs(a - b)
    adjacent = (diff == 1) | ((diff == 9) if wrap else False)
    kind = np.where(a == b, 0, np.where(adjacent, 1, 2))
    return np.where(x >= 10, kind, -1)


# --------------------------------------------------------------------------------------------
# Summaries: histograms of every digit kind, for the observed table and for each replicate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    first: int = MIN_COUNTS["first"]
    second: int = MIN_COUNTS["second"]
    first_two: int = MIN_COUNTS["first_two"]
    last: int = MIN_COUNTS["last"]
    pairs: int = MIN_COUNTS["pairs"]
    percent: int = MIN_COUNTS["percent"]
    wrap: bool = True


def _cells_of(values: np.ndarray, kind: str, spec: _Spec) -> np.ndarray:
    """Cell index (0..K-1) of each value for a digit kind, -1 where not eligible."""
    threshold = getattr(spec, kind)
    if kind == "first":
        cells = first_digit(values) - 1
    elif kind == "second":
        cells = second_digit(values)
    elif kind == "first_two":
        cells = first_two_digits(values) - 10
    elif kind == "last":
        cells = last_digit(values)
    elif kind == "pairs":
        cells = pair_kind(values, wrap=spec.wrap)
    else:  # pragma: no cover - guarded by callers
        raise ValueError(kind)
    return np.where(values >= threshold, cells, -1)


_COUNT_KINDS = ("first", "second", "first_two", "last", "pairs")


@lru_cache(maxsize=8)
def _lookup(size: int, spec: _Spec) -> dict[str, np.ndarray]:
    values = np.arange(size, dtype=np.int64)
    return {kind: _cells_of(values, kind, spec) for kind in _COUNT_KINDS}


def _hist_rows(cells: np.ndarray, k: int) -> np.ndarray:
    """Per-row histogram of integer cells in ``0..k-1`` (negative cells are skipped)."""
    rows = cells.shape[0]
    ok = cells >= 0
    index = (np.arange(rows)[:, None] * k + cells)[ok]
    return np.bincount(index, minlength=rows * k).reshape(rows, k)


def _value_hist(values: np.ndarray, size: int) -> np.ndarray:
    """Per-row histogram of non-negative integer values below ``size`` (int or float input).

    Float input holds integers; adding the row offsets in float is exact because
    ``rows * size`` stays far below 2**24 for the chunk sizes used here.
    """
    rows = values.shape[0]
    offsets = np.arange(rows) * size
    if values.dtype.kind == "f" and rows * size < (1 << 24):
        index = (values + offsets[:, None].astype(values.dtype)).astype(np.intp)
    else:
        index = values.astype(np.intp) + offsets[:, None]
    return np.bincount(index.ravel(), minlength=rows * size).reshape(rows, size)


def _fold(counts: np.ndarray, cells: np.ndarray, k: int) -> np.ndarray:
    """Sum the value histogram ``counts`` (rows x values) into ``k`` digit cells.

    Values are gathered in cell order and summed per run (integer arithmetic throughout).
    """
    order, starts, present = _runs(np.ascontiguousarray(cells, dtype=np.int64).tobytes())
    out = np.zeros((counts.shape[0], k), dtype=np.int64)
    if order.size:
        out[:, present] = np.add.reduceat(counts[:, order], starts, axis=1)
    return out


@lru_cache(maxsize=64)
def _runs(cells_bytes: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values sorted by cell (cells -1 left out), where each cell's run starts, and the
    cells present."""
    cells = np.frombuffer(cells_bytes, dtype=np.int64)
    order = np.flatnonzero(cells >= 0)
    order = order[np.argsort(cells[order], kind="stable")]
    present, starts = np.unique(cells[order], return_index=True)
    return order, starts, present


def _percent_hist(values: np.ndarray, trials: np.ndarray, spec: _Spec) -> np.ndarray:
    """Per-row histogram of the last digit of round(100 * value / trials) (P05s).

    Computed in float64 for observed and redrawn counts alike: ``100 * x`` and ``n`` are exact
    and the quotient is correctly rounded, so ties (x / n = k.5 %) are exact and ``rint``
    rounds them half to even, as R's ``round`` in the Election Forensics Toolkit does.
    """
    rows = values.shape[0]
    eligible = np.nan_to_num(trials) >= max(spec.percent, 1)
    if not eligible.any():
        return np.zeros((rows, 10), dtype=np.int64)
    v = values if eligible.all() else values[:, eligible]
    pct = v.astype(np.float64)
    pct *= 100.0
    pct /= trials[eligible]
    np.rint(pct, out=pct)
    top = int(pct.max(initial=0)) + 1
    pct += (np.arange(rows) * float(top))[:, None]
    counts = np.bincount(pct.astype(np.intp).ravel(), minlength=rows * top).reshape(rows, top)
    return _fold(counts, np.arange(top) % 10, 10)


def _summarise(values: np.ndarray, trials: np.ndarray, spec: _Spec,
               kinds: Sequence[str] = (*_COUNT_KINDS, "percent")) -> dict[str, np.ndarray]:
    """Per-row histograms of the digit ``kinds`` of a ``(rows, stations)`` count array."""
    stations = values.shape[1]
    out: dict[str, np.ndarray] = {}
    count_kinds = [k for k in kinds if k in _COUNT_KINDS]
    top = int(values.max(initial=0)) + 1
    if count_kinds and stations and top <= 4 * stations and top <= (1 << 20):
        # histogram of the values per row, then fold values into digit cells
        size = 1 << max(int(top - 1).bit_length(), 4)
        table = _lookup(size, spec)
        counts = _value_hist(values, size)
        for kind in count_kinds:
            out[kind] = _fold(counts, table[kind], len(_CELLS[kind]))
    elif count_kinds:
        ints = values.astype(np.int64)
        for kind in count_kinds:
            out[kind] = _hist_rows(_cells_of(ints, kind, spec), len(_CELLS[kind]))
    if "percent" in kinds:
        out["percent"] = _percent_hist(values, trials, spec)
    return out


def _summarise_by_region(values: np.ndarray, trials: np.ndarray, spec: _Spec,
                         regions: np.ndarray, n_regions: int) -> dict[str, np.ndarray]:
    """Per-row, per-region histograms of every digit kind, ``(rows, n_regions, cells)``."""
    return _RegionHistograms(trials, spec, regions, n_regions)(values)


class _RegionHistograms:
    """Per-row, per-region histograms of every digit kind of redraw chunks.

    One ``bincount`` per chunk over (row, region, value) keys: the same redraws give the
    national histograms (the sum over regions, integer-exact) and every region's
    (:class:`audit.checks.null.NationalDraws`). The keys' offsets are computed once per
    chunk shape, and added in single precision where that is exact: redraws are integers
    below 2**24, and the rounded percentage ``rint(100 x / n)`` of a count ``x <= n`` with
    ``n < 2**16`` is the same in single as in double precision (a quotient that is not a
    tie ``k + 1/2`` lies at least ``1 / (2 n)`` from one, far more than the single-precision
    rounding error ``100.5 * 2**-24``, and ties are exact in both).
    """

    def __init__(self, trials: np.ndarray, spec: _Spec, regions: np.ndarray,
                 n_regions: int) -> None:
        self.spec, self.n_regions = spec, n_regions
        self.regions = regions.astype(np.intp)
        self.eligible = np.nan_to_num(trials) >= max(spec.percent, 1)
        self.trials = trials[self.eligible]
        self.single = bool(self.trials.size == 0 or self.trials.max() < (1 << 16))
        self.trials32 = self.trials.astype(np.float32)
        self.offsets: dict[tuple[str, int, int], np.ndarray] = {}

    def _offsets(self, what: str, rows: int, size: int, dtype: Any) -> np.ndarray:
        key = (what, rows, size)
        if key not in self.offsets:
            regions = self.regions if what == "count" else self.regions[self.eligible]
            keys = np.arange(rows, dtype=np.intp)[:, None] * self.n_regions + regions
            self.offsets[key] = (keys * size).astype(dtype)
        return self.offsets[key]

    def __call__(self, values: np.ndarray) -> dict[str, np.ndarray]:
        rows, stations = values.shape
        virtual = rows * self.n_regions
        out: dict[str, np.ndarray] = {}
        top = int(values.max(initial=0)) + 1
        size = 1 << max(int(top - 1).bit_length(), 4)
        # the dense (row, region, value) histogram only where it is not much larger than the
        # redraws themselves: many regions with large counts (Russia: 83 regions, counts in
        # the thousands) make it tens of times larger, and folding it dominates the battery
        if stations and self.n_regions * size <= 4 * stations and top <= (1 << 20):
            table = _lookup(size, self.spec)
            if values.dtype == np.float32 and virtual * size < (1 << 24):
                index = (values + self._offsets("count", rows, size, np.float32)
                         ).astype(np.intp)
            else:
                index = values.astype(np.intp) + self._offsets("count", rows, size, np.intp)
            counts = np.bincount(index.ravel(), minlength=virtual * size
                                 ).reshape(virtual, size)
            for kind in _COUNT_KINDS:
                out[kind] = _fold(counts, table[kind], len(_CELLS[kind]))
        else:
            ints = values.astype(np.int64)
            keys = np.arange(rows, dtype=np.intp)[:, None] * self.n_regions + self.regions
            for kind in _COUNT_KINDS:
                k = len(_CELLS[kind])
                cells = _cells_of(ints, kind, self.spec)
                ok = cells >= 0
                out[kind] = np.bincount((keys * k + cells)[ok], minlength=virtual * k
                                        ).reshape(virtual, k)
        out["percent"] = self._percent(values, virtual)
        return {kind: hist.reshape(rows, self.n_regions, -1) for kind, hist in out.items()}

    def _percent(self, values: np.ndarray, virtual: int) -> np.ndarray:
        """Histograms of the last digit of ``rint(100 x / n)`` (see :func:`_percent_hist`)."""
        if not self.eligible.any():
            return np.zeros((virtual, 10), dtype=np.int64)
        rows = values.shape[0]
        v = values if self.eligible.all() else values[:, self.eligible]
        top = 128  # percentages of redraws x <= n are at most 100
        single = self.single and virtual * top < (1 << 24)
        pct: np.ndarray = v.astype(np.float32 if single else np.float64)
        pct *= 100.0
        pct /= self.trials32 if single else self.trials
        np.rint(pct, out=pct)
        if pct.max(initial=0) >= top:  # counts above their trials (not from redraws)
            top = int(pct.max()) + 1
            pct = np.rint(v.astype(np.float64) * 100.0 / self.trials)
            single = False
        pct += self._offsets("percent", rows, top, np.float32 if single else np.float64)
        counts = np.bincount(pct.astype(np.intp).ravel(), minlength=virtual * top
                             ).reshape(virtual, top)
        return _fold(counts, np.arange(top) % 10, 10)


# --------------------------------------------------------------------------------------------
# Observed data and (memoised) replicates
# --------------------------------------------------------------------------------------------


class _Redraws:
    """Honest redraws drawn batch by batch as a sequential test asks for them.

    Batches end at :func:`audit.checks.pvalues.schedule` of ``n_resamples``; with a battery's
    :class:`~audit.checks._cache.DrawCache` each is remembered (keyed by the generator's
    state), so every digit test of one table and seed walks the same sequence of redraws and
    draws a batch only when the first test that needs it does.

    With ``shared`` (and ``regions``, the region of each pooled station) the batches hold
    histograms per region, and :meth:`get` gives the scope's: the sum over regions for the
    whole table, one region's slice for a region (:class:`audit.checks.null.NationalDraws`).
    """

    def __init__(self, models: Sequence[HonestModel], trials: np.ndarray, spec: _Spec,
                 n_resamples: int, rng: np.random.Generator, sampler: Sampler,
                 cache: DrawCache | None = None, shared: NationalDraws | None = None,
                 regions: np.ndarray | None = None) -> None:
        self.models, self.trials, self.spec = models, trials, spec
        self.n_resamples, self.rng, self.sampler = n_resamples, rng, sampler
        self.cache, self.shared, self.regions = cache, shared, regions
        self.ends = schedule(n_resamples)
        self.batches: list[dict[str, np.ndarray]] = []

    @property
    def drawn(self) -> int:
        return self.ends[len(self.batches) - 1] if self.batches else 0

    def more(self) -> bool:
        """Draw the next batch; False when all ``n_resamples`` are drawn."""
        if len(self.batches) == len(self.ends):
            return False
        size = self.ends[len(self.batches)] - self.drawn
        self.batches.append(_replicates(self.models, self.trials, self.spec, size, self.rng,
                                        self.sampler, self.cache, self.shared,
                                        self.regions))
        return True

    def _scope(self, hist: np.ndarray) -> np.ndarray:
        if self.shared is None:
            return hist
        if self.shared.region is None:
            return hist.sum(axis=1)
        return hist[:, self.shared.region, :]

    def get(self, kind: str) -> np.ndarray:
        """Histograms of ``kind`` for every redraw drawn so far (at least one batch)."""
        if not self.batches:
            self.more()
        parts = [self._scope(b[kind]) for b in self.batches]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)


@dataclass(frozen=True)
class _Data:
    columns: tuple[str, ...]
    values: np.ndarray  # pooled observed counts (stations x columns)
    trials: np.ndarray  # pooled denominators (NaN unknown)
    observed: dict[str, np.ndarray]
    replicates: _Redraws | None
    null: str
    n_resamples: int | None
    model_params: tuple[dict[str, Any], ...]
    excluded_stations: dict[str, int]


def _replicates(models: Sequence[HonestModel], trials: np.ndarray, spec: _Spec,
                n_resamples: int, rng: np.random.Generator, sampler: Sampler,
                cache: DrawCache | None = None, shared: NationalDraws | None = None,
                regions: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Digit histograms of ``n_resamples`` honest redraws, remembered in ``cache`` (per
    region of ``shared``, with ``regions`` the region of each pooled station, when given).

    The key holds everything that determines the replicates (the cache adds the generator's
    state), so results are the same with or without the cache. Every digit test of one table
    and seed in a battery therefore shares one Monte Carlo sample (the forensics battery
    relies on this for speed).
    """
    def compute() -> dict[str, np.ndarray]:
        if shared is None or regions is None:
            summaries = null_summaries(models, lambda chunk: _summarise(chunk, trials, spec),
                                       n_resamples, rng, sampler=sampler, as_float=True)
        else:
            summaries = null_summaries(models, _RegionHistograms(trials, spec, regions,
                                                                 shared.n_groups),
                                       n_resamples, rng, sampler=sampler, as_float=True)
        for value in summaries.values():
            value.setflags(write=False)
        return summaries

    key = ("digits", tuple(m.fingerprint() for m in models), spec, n_resamples, sampler,
           None if shared is None else shared.digest)
    return draw(cache, key, rng, compute)


def _columns(sheets: SheetTable, column: str | Sequence[str] | None) -> tuple[str, ...]:
    if column is None:
        return (resolve_column(sheets, sheets.leader()),) \
            if len(sheets) else (resolve_column(sheets, sheets.candidates[0]),)
    if isinstance(column, str):
        return (resolve_column(sheets, column),)
    cols = tuple(resolve_column(sheets, c) for c in column)
    if not cols:
        raise ValueError("column must name at least one count column")
    return cols


def _collect(sheets: SheetTable, columns: tuple[str, ...], spec: _Spec, opts: _Options,
             kind: str) -> _Data:
    n_resamples = int(opts.n_resamples or 1)
    if opts.null == "textbook":
        values: list[np.ndarray] = []
        trials: list[np.ndarray] = []
        missing_total = 0
        for col in columns:
            x = sheets.counts(col)
            missing = np.isnan(x)
            missing_total += int(missing.sum())
            values.append(x[~missing].astype(np.int64))
            try:
                trials.append(trials_of(sheets, denominator_for(col))[~missing])
            except ValueError:
                trials.append(np.full(int((~missing).sum()), np.nan))
        v = np.concatenate(values) if values else np.zeros(0, dtype=np.int64)
        t = np.concatenate(trials) if trials else np.zeros(0)
        observed = {k: a[0] for k, a in
                    _summarise(v[None, :], np.nan_to_num(t), spec, (kind,)).items()}
        return _Data(columns=columns, values=v, trials=t, observed=observed, replicates=None,
                     null="textbook", n_resamples=None, model_params=(),
                     excluded_stations={"missing": missing_total} if missing_total else {})
    if opts.shared is not None:
        return _collect_shared(sheets, columns, spec, opts, opts.shared)
    gen = as_generator(opts.rng)
    models = [fit_honest_model(sheets, col, model=opts.model, level=opts.level)
              for col in columns]
    v = np.concatenate([m.observed for m in models])
    t = np.concatenate([m.trials for m in models]).astype(np.float64)
    observed = {k: a[0] for k, a in _summarise(v[None, :], t, spec).items()}
    reps = _Redraws(models, t, spec, n_resamples, gen, opts.sampler, opts.cache)
    excluded: dict[str, int] = {}
    for m in models:
        for reason, count in m.excluded.items():
            excluded[reason] = excluded.get(reason, 0) + count
    return _Data(columns=columns, values=v, trials=t, observed=observed, replicates=reps,
                 null=models[0].describe(n_resamples), n_resamples=n_resamples,
                 model_params=tuple(m.params() for m in models), excluded_stations=excluded)


def _collect_shared(sheets: SheetTable, columns: tuple[str, ...], spec: _Spec,
                    opts: _Options, shared: NationalDraws) -> _Data:
    """:func:`_collect` on the national redraws (:class:`audit.checks.null.NationalDraws`):
    the models are fitted to the whole table, the redraws counted per region, and the
    observed counts, exclusions and histograms are the scope's own."""
    n_resamples = int(opts.n_resamples or 1)
    key = ("inputs", shared.region, columns, opts.model, opts.level)
    hit = shared.memo.get(key)
    if hit is None or hit[0] is not sheets:
        hit = shared.memo[key] = (sheets, *_shared_inputs(sheets, columns, opts, shared))
    _, models, pooled, regions, v, t, excluded = hit
    reps = _Redraws(models, pooled, spec, n_resamples, as_generator(opts.rng), opts.sampler,
                    opts.cache, shared, regions)
    null = models[0].describe(n_resamples)
    params = tuple(m.params() for m in models)
    if shared.region is not None:
        null = null[:-1] + ", fitted to all stations)"
        params = tuple({**p, "fitted_to": "all stations"} for p in params)
    observed = {k: a[0] for k, a in _summarise(v[None, :], t, spec).items()}
    return _Data(columns=columns, values=v, trials=t, observed=observed, replicates=reps,
                 null=null, n_resamples=n_resamples, model_params=params,
                 excluded_stations=excluded)


def _shared_inputs(sheets: SheetTable, columns: tuple[str, ...], opts: _Options,
                   shared: NationalDraws) -> tuple[Any, ...]:
    """The national models, their pooled trials and stations' regions, and the scope's
    counts, trials and exclusions (checked to be the scope's stations)."""
    region = shared.region
    inside = np.ones(len(shared.table), dtype=bool) if region is None \
        else shared.codes == region
    if int(inside.sum()) != len(sheets) or any(
            not np.array_equal(sheets.counts(c), shared.table.counts(c)[inside],
                               equal_nan=True) for c in columns):
        raise ValueError("the sheets are not the stations of the region of the shared "
                         "national redraws")
    national = ("national", columns, opts.model, opts.level)
    if national not in shared.memo:
        fitted = [fit_honest_model(shared.table, col, model=opts.model, level=opts.level)
                  for col in columns]
        shared.memo[national] = (
            fitted, np.concatenate([m.trials for m in fitted]).astype(np.float64),
            np.concatenate([shared.codes[m.usable] for m in fitted]))
    models, pooled, regions = shared.memo[national]
    v = np.concatenate([m.observed for m in models])
    t = pooled
    excluded: dict[str, int] = {}
    for m in models:
        reasons = m.excluded
        if region is not None:
            reasons = usable_stations(sheets.counts(m.column),
                                      trials_of(sheets, m.denominator))[1]
        for reason, count in reasons.items():
            excluded[reason] = excluded.get(reason, 0) + count
    if region is not None:
        mine = regions == region
        v, t = v[mine], t[mine]
    return models, pooled, regions, v, t, excluded


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DigitTestResult(CheckResult):
    """A digit test's result: the shared fields of :class:`CheckResult` plus digit detail.

    Attributes
    ----------
    column : tuple of str
        The count columns tested (pooled when several).
    digits : str
        ``first``, ``second``, ``first_two``, ``last``, ``pairs`` or ``percent`` (last digit
        of the rounded percentage).
    statistic_name : str
        ``pearson_chi2`` (distribution tests), ``mean_digit`` or ``share``.
    alternative : str
        ``greater`` for distances, ``two-sided`` for means and shares, ``less`` / ``greater``
        for Beber & Scacco's pair tests.
    expected_statistic : float or None
        The statistic's value expected under the null (e.g. 4.187, 0.2, the simulated mean).
    g_statistic, g_pvalue : float or None
        Likelihood-ratio G against the same expectation, with its p-value under the same null
        (distribution tests only).
    mad : float or None
        Nigrini's mean absolute deviation of the digit shares from the *textbook* law.
    conformity : str or None
        Nigrini's class of ``mad`` (close / acceptable / marginal / nonconformity): an effect
        size, not a test. None where Nigrini defines no bands (last digits).
    n_resamples : int or None
        Monte Carlo redraws (simulation null).
    null_distribution : ndarray or None
        The statistic on every honest redraw (simulation null).
    """

    column: tuple[str, ...] = ()
    digits: str = ""
    statistic_name: str = ""
    alternative: str = "two-sided"
    expected_statistic: float | None = None
    g_statistic: float | None = None
    g_pvalue: float | None = None
    mad: float | None = None
    conformity: str | None = None
    n_resamples: int | None = None
    null_distribution: np.ndarray | None = None

    def null_quantiles(self, probs: Sequence[float] = (0.025, 0.5, 0.975)) -> list[float]:
        """Quantiles of the null distribution of the statistic (empty for textbook nulls)."""
        if self.null_distribution is None:
            return []
        finite = self.null_distribution[np.isfinite(self.null_distribution)]
        return [float(q) for q in np.quantile(finite, probs)] if finite.size else []


class InsufficientCountsError(ValueError):
    """No count is large enough for the test (after the small-count exclusion)."""


# --------------------------------------------------------------------------------------------
# Shared machinery of the tests
# --------------------------------------------------------------------------------------------


def _iv(null: str, model: str, min_count: int, n_resamples: int | None) -> int:
    if null not in NULLS:
        raise ValueError(f"null must be one of {', '.join(NULLS)}; got {null!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if not isinstance(min_count, (int, np.integer)) or min_count < 0:
        raise ValueError(f"min_count must be a non-negative integer; got {min_count!r}")
    resamples = DEFAULT_RESAMPLES if n_resamples is None else int(n_resamples)
    if resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    return resamples


def _shares(hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    totals = hist.sum(axis=-1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = hist / totals[..., None]
    return shares, totals


def _pearson(hist: np.ndarray, expected_share: np.ndarray) -> np.ndarray:
    """Pearson X² of each row against shares (cells with zero expectation skipped)."""
    _, n = _shares(hist)
    keep = expected_share > 0
    e = n[..., None] * expected_share[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = ((hist[..., keep] - e) ** 2 / e).sum(axis=-1)
    return np.where(n > 0, x2, np.inf)


def _gstat(hist: np.ndarray, expected_share: np.ndarray) -> np.ndarray:
    """G = 2 sum O ln(O / E) of each row (0 ln 0 = 0)."""
    _, n = _shares(hist)
    keep = expected_share > 0
    e = n[..., None] * expected_share[keep]
    o = hist[..., keep].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(o > 0, o * np.log(o / e), 0.0)
    return np.where(n > 0, 2 * terms.sum(axis=-1), np.inf)


def _nigrini_z(obs_share: np.ndarray, exp_share: np.ndarray, n: float) -> np.ndarray:
    """Signed z per cell, continuity-corrected as Nigrini (2012, eq. 6.4) when it helps."""
    diff = obs_share - exp_share
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = np.maximum(np.abs(diff) - 1 / (2 * n), 0.0)
        z = np.sign(diff) * corrected / np.sqrt(exp_share * (1 - exp_share) / n)
    return np.where(exp_share > 0, z, np.nan)


def _table(kind: str, observed: np.ndarray, expected_share: np.ndarray,
           reference: np.ndarray, band: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    n = float(observed.sum())
    obs_share = observed / n
    return pd.DataFrame({
        "cell": list(_CELLS[kind]),
        "observed": observed.astype(np.int64),
        "expected": expected_share * n,
        "observed_share": obs_share,
        "expected_share": expected_share,
        "reference_share": reference,
        "z": _nigrini_z(obs_share, expected_share, n),
        "null_low": band[0],
        "null_high": band[1],
    }, columns=list(TABLE_COLUMNS))


def _bands(kind: str, data: _Data, expected_share: np.ndarray, n: float
           ) -> tuple[np.ndarray, np.ndarray]:
    if data.replicates is None:
        half = 1.959964 * np.sqrt(expected_share * (1 - expected_share) / n)
        return np.clip(expected_share - half, 0, 1), np.clip(expected_share + half, 0, 1)
    shares, totals = _shares(data.replicates.get(kind))
    shares = shares[totals > 0]
    if not shares.size:
        return np.full_like(expected_share, np.nan), np.full_like(expected_share, np.nan)
    return np.quantile(shares, 0.025, axis=0), np.quantile(shares, 0.975, axis=0)


def _excluded(data: _Data, kind: str, spec: _Spec, n_used: int) -> dict[str, int]:
    out = dict(data.excluded_stations)
    if kind == "percent":
        below = int((~(np.nan_to_num(data.trials) >= max(spec.percent, 1))).sum())
        if below:
            out[f"denominator_below_{spec.percent}"] = below
    else:
        below = int(data.values.size - n_used)
        if below:
            out[f"count_below_{getattr(spec, kind)}"] = below
    return out


def _label(sheets: SheetTable, columns: tuple[str, ...]) -> str:
    keys = [vote_key(col) for col in columns]
    return ", ".join(col if key is None else candidate_label(key, sheets.election)
                     for col, key in zip(columns, keys, strict=True))


@dataclass(frozen=True)
class _Options:
    """The options every digit test takes (see :func:`first_digit_test`)."""

    null: Null = "simulation"
    model: Model = "beta-binomial"
    level: str | None = "auto"
    min_count: int = 1
    n_resamples: int | None = None
    sampler: Sampler = "auto"
    rng: RNGLike = None
    explain: bool = True
    wrap: bool = True
    cache: DrawCache | None = None
    shared: NationalDraws | None = None


def _prepare(sheets: SheetTable, column: str | Sequence[str] | None, kind: str,
             opts: _Options) -> tuple[_Data, _Spec, _Options]:
    """Validate, select the counts and draw (or recall) the honest redraws; the options
    come back with ``n_resamples`` resolved (the package default when it was None)."""
    opts = dataclasses.replace(opts, n_resamples=_iv(opts.null, opts.model, opts.min_count,
                                                     opts.n_resamples))
    if len(sheets) == 0:
        raise InsufficientCountsError("no tally sheets to test")
    spec = dataclasses.replace(_Spec(wrap=opts.wrap),
                               **{kind: int(opts.min_count)})  # type: ignore[arg-type]
    columns = _columns(sheets, column)
    data = _collect(sheets, columns, spec, opts, kind)
    n = int(data.observed[kind].sum())
    if n == 0:
        what = "denominators" if kind == "percent" else "counts"
        raise InsufficientCountsError(
            f"no {what} of at least {opts.min_count} in {', '.join(columns)} "
            f"({len(sheets)} sheets): nothing to test")
    return data, spec, opts


def _base_params(data: _Data, spec: _Spec, kind: str, opts: _Options) -> dict[str, Any]:
    params: dict[str, Any] = {"column": list(data.columns), "min_count": getattr(spec, kind),
                              "seed": opts.rng if isinstance(opts.rng, int) else None}
    if data.replicates is not None:
        params.update({"model": opts.model, "level": opts.level, "sampler": opts.sampler,
                       "n_resamples": data.n_resamples,
                       "fitted": [dict(p) for p in data.model_params]})
    if kind == "pairs":
        params["wrap"] = opts.wrap
    return params


# --------------------------------------------------------------------------------------------
# Distribution tests: first, second, first-two and last digits
# --------------------------------------------------------------------------------------------

_TEST_NAMES = {"first": "first_digit", "second": "second_digit",
               "first_two": "first_two_digits", "last": "last_digit"}


def _distribution_test(kind: str, sheets: SheetTable, column: str | Sequence[str] | None,
                       opts: _Options) -> DigitTestResult:
    data, spec, opts = _prepare(sheets, column, kind, opts)
    observed = data.observed[kind].astype(np.int64)
    n = float(observed.sum())
    reference = reference_probs(kind)
    obs_share = observed / n
    mad_ref = float(np.mean(np.abs(obs_share - reference)))
    name = _TEST_NAMES[kind]
    null_dist = None
    if data.replicates is None:
        expected = reference
        x2 = float(_pearson(observed, expected))
        g = float(_gstat(observed, expected))
        dof = len(expected) - 1
        pv = PValue(max(float(stats.chi2.sf(x2, dof)), SMALLEST), "chi-square",
                    z=(x2 - dof) / np.sqrt(2 * dof))
        g_pvalue = max(float(stats.chi2.sf(g, dof)), SMALLEST)
        expected_stat: float | None = float(dof)
        test = f"digits.{name}.textbook"
    else:
        redraws = data.replicates
        start = _simulation_key(name, data, spec, opts, redraws.rng)
        while True:
            stacked = np.vstack([observed[None, :], redraws.get(kind)]).astype(float)
            shares, totals = _shares(stacked)
            expected = np.nanmean(shares[totals > 0], axis=0)
            x2_all = _pearson(stacked, expected)
            g_all = _gstat(stacked, expected)
            x2, g = float(x2_all[0]), float(g_all[0])
            null_dist = x2_all[1:]
            found = sequential_pvalue(null_dist, x2, redraws.n_resamples, tail=partial(
                _quadratic_tail, shares[1:], totals[1:], expected, null_dist, x2))
            g_found = sequential_pvalue(g_all[1:], g, redraws.n_resamples, tail=partial(
                _quadratic_tail, shares[1:], totals[1:], expected, g_all[1:], g))
            if found is not None and g_found is not None:
                break
            redraws.more()
        pv, g_pvalue = found, g_found.value
        finite = null_dist[np.isfinite(null_dist)]
        expected_stat = float(finite.mean()) if finite.size else None
        test = f"digits.{name}"
        _remember(opts, start, pv.value, redraws.rng)
    pvalue = pv.value
    mad = float(np.mean(np.abs(obs_share - expected)))
    conformity = nigrini_conformity(mad_ref, kind)
    table = _table(kind, observed, expected, reference, _bands(kind, data, expected, n))
    params = _base_params(data, spec, kind, opts)
    sim_p = _explanation(data, pvalue, opts, _simulation_key(name, data, spec, opts),
                         lambda o: _distribution_test(kind, sheets,
                                                                          column, o))
    if sim_p is not _NOT_RUN:
        params["simulation_pvalue"] = sim_p
    message = _message(name, data, sheets, kind, spec, statistic=x2, pvalue=pvalue, n=int(n),
                       sim_pvalue=_run_or_none(sim_p), explained=opts.explain,
                       redraws=pv.resamples, mad=mad_ref,
                       conformity=conformity, effect=mad)
    _method_params(params, pv)
    return DigitTestResult(
        test=test, statistic=x2, pvalue=pvalue, pvalue_method=pv.method, z=pv.z,
        candidate=_candidate_of(data.columns), effect=mad,
        effect_unit="MAD of digit shares from the null expectation", n=int(n), null=data.null,
        evidence=evidence_from_pvalue(pvalue), table=table, message=message,
        excluded=_excluded(data, kind, spec, int(n)), params=params,
        column=data.columns, digits=kind, statistic_name="pearson_chi2",
        alternative="greater", expected_statistic=expected_stat, g_statistic=g,
        g_pvalue=g_pvalue, mad=mad_ref, conformity=conformity,
        n_resamples=pv.resamples, null_distribution=_frozen(null_dist))


def _quadratic_tail(shares: np.ndarray, totals: np.ndarray, expected: np.ndarray,
                    null: np.ndarray, observed: float) -> tuple[float, str]:
    """Tail of a Pearson distance beyond the redraws: ``X² = sum_j Y_j²`` with ``Y_j =
    sqrt(n) (s_j - e_j) / sqrt(e_j)`` approximately normal, so ``X² ~ sum_j lambda_j chi2_1``
    with ``lambda`` the eigenvalues of the redraws' second-moment matrix of ``Y`` (its
    trace is the redraws' mean distance); the tail by the saddlepoint (Kuonen 1999), or the
    generalised Pareto tail of the redraws where that one is far too light for them
    (:func:`audit.checks.pvalues.fitted_tail`)."""
    ok = (totals > 0) & np.all(np.isfinite(shares), axis=1)
    cells = expected > 0
    y = np.sqrt(totals[ok])[:, None] * (shares[ok][:, cells] - expected[cells]) \
        / np.sqrt(expected[cells])
    if y.shape[0] < 2:
        return 1.0, "normal quadratic form fitted to the redraws (too few redraws)"
    moment = y.T @ y / y.shape[0]
    eigenvalues = np.clip(np.linalg.eigvalsh(moment), 0.0, None)
    return fitted_tail(null, observed, lambda x: (
        quadratic_form_sf(x, eigenvalues),
        "normal quadratic form fitted to the redraws (Kuonen 1999)"))


def _normal_tail(null: np.ndarray, observed: float, alternative: str,
                 center: float) -> tuple[float, str]:
    """The normal tail of a mean or share beyond the redraws, or the generalised Pareto
    tail of the redraws where the normal is far too light for them
    (:func:`audit.checks.pvalues.fitted_tail`)."""
    return fitted_tail(null, observed, lambda x: normal_tail(null, x, alternative),
                       alternative=alternative, center=center)


def _method_params(params: dict[str, Any], pv: PValue) -> None:
    """Record how the p-value was obtained in ``params`` (redraws used, fitted tail)."""
    if pv.resamples is not None:
        params["redraws_used"] = pv.resamples
    if pv.tail is not None:
        params["tail"] = pv.tail


def _candidate_of(columns: tuple[str, ...]) -> str | None:
    """The candidate key of a single vote column (None for other or pooled columns)."""
    return vote_key(columns[0]) if len(columns) == 1 else None


def _frozen(arr: np.ndarray | None) -> np.ndarray | None:
    if arr is None:
        return None
    out = np.array(arr, dtype=float)
    out.setflags(write=False)
    return out


_NOT_RUN = object()


def _simulation_key(name: str, data: _Data, spec: _Spec, opts: _Options,
                    rng: np.random.Generator | None = None) -> tuple[Any, ...] | None:
    """What determines a simulation-null test's result on a scope of shared national
    redraws (None without them): the test, columns, options and the generator's state
    before its redraws (``rng``, else the one ``opts.rng`` gives)."""
    if opts.shared is None:
        return None
    gen = rng if rng is not None else as_generator(opts.rng)
    return ("simulation", opts.shared.region, name, data.columns, spec, opts.model,
            opts.level, opts.sampler, opts.n_resamples, type(gen.bit_generator).__name__,
            repr(gen.bit_generator.state))


def _remember(opts: _Options, key: tuple[Any, ...] | None, pvalue: float,
              rng: np.random.Generator) -> None:
    """Keep a simulation test's p-value (and its generator's state after it) in its scope's
    memo, for the textbook test's explanation."""
    if opts.shared is not None and key is not None:
        opts.shared.memo[key] = (pvalue, rng.bit_generator.state)


def _explanation(data: _Data, pvalue: float, opts: _Options, key: tuple[Any, ...] | None,
                 run: Callable[[_Options], DigitTestResult]) -> Any:
    """When a textbook null rejects (and ``explain``), the simulation-null p-value of the same
    test with the same redraws, to say whether honest counting explains the rejection; None
    when the column has no honest model; ``_NOT_RUN`` otherwise. On shared national redraws
    the simulation test of the same scope has usually run already: its p-value is reused
    (and the generator moved as the run would move it)."""
    if data.replicates is not None or pvalue >= 0.05 or not opts.explain:
        return _NOT_RUN
    hit = opts.shared.memo.get(key) if opts.shared is not None and key is not None else None
    if hit is not None:
        if isinstance(opts.rng, np.random.Generator):
            opts.rng.bit_generator.state = hit[1]
        return hit[0]
    try:
        return run(dataclasses.replace(opts, null="simulation")).pvalue
    except ValueError:  # no honest model for this column (e.g. registered voters)
        return None


def _run_or_none(value: Any) -> float | None:
    return None if value is _NOT_RUN else value


class DigitTest(Protocol):
    """The signature shared by the digit tests (see :func:`first_digit_test`)."""

    __name__: str

    def __call__(self, sheets: SheetTable, column: str | Sequence[str] | None = None, *,
                 null: Null = "simulation", model: Model = "beta-binomial",
                 level: str | None = "auto", min_count: int | None = None,
                 n_resamples: int | None = None, sampler: Sampler = "auto",
                 rng: RNGLike = None, explain: bool = True,
                 cache: DrawCache | None = None,
                 shared: NationalDraws | None = None) -> DigitTestResult: ...


def _digit_test(name: str, kind: str, doc: str, scalar: _Scalar | None = None) -> DigitTest:
    """A public digit test: one signature for all, the distribution or scalar machinery."""
    def test(sheets: SheetTable, column: str | Sequence[str] | None = None, *,
             null: Null = "simulation", model: Model = "beta-binomial",
             level: str | None = "auto", min_count: int | None = None,
             n_resamples: int | None = None, sampler: Sampler = "auto",
             rng: RNGLike = None, explain: bool = True,
             cache: DrawCache | None = None,
             shared: NationalDraws | None = None) -> DigitTestResult:
        opts = _Options(null, model, level, MIN_COUNTS[kind] if min_count is None
                        else min_count, n_resamples, sampler, rng, explain, cache=cache,
                        shared=shared)
        if scalar is None:
            return _distribution_test(kind, sheets, column, opts)
        return _scalar_test(scalar, sheets, column, opts)
    test.__name__ = test.__qualname__ = name
    test.__doc__ = _with_parameters(doc)
    return test


def _with_parameters(doc: str) -> str:
    """The docstring with :data:`_SHARED_PARAMETERS` before its Returns (or Notes) section."""
    for section in ("\n    Returns\n", "\n    Notes\n"):
        if section in doc:
            at = doc.index(section)
            return doc[:at + 1] + _SHARED_PARAMETERS.strip("\n") + "\n" + doc[at:]
    return doc.rstrip() + "\n\n" + _SHARED_PARAMETERS.strip("\n") + "\n"


_SHARED_PARAMETERS = """
    Parameters
    ----------
    sheets
        Tally sheets (any subset: a region, a source).
    column
        A candidate key, a canonical count column (``valid``, ``voters`` ...), a list of them
        (pooled, as Beber & Scacco pool candidates) or None for the leading candidate.
    null
        ``"simulation"`` (default) or ``"textbook"``.
    model, level, sampler
        The honest model of :mod:`audit.checks.null` (simulation null only).
    min_count
        Counts below it are excluded (default: :data:`MIN_COUNTS` of the digit kind).
    n_resamples
        Most honest redraws (default :data:`audit.checks.DEFAULT_RESAMPLES`, 999).
    rng
        Seed or generator.
    explain
        When the textbook null rejects, also run the simulation null (same redraws for the
        same seed) so that the sentence can say whether honest counting explains the
        rejection (``params["simulation_pvalue"]``). Default True.
    cache
        A :class:`~audit.checks._cache.DrawCache` shared by the tests of one battery run, so
        that they draw their honest redraws once (the same numbers without it).
    shared
        Take the simulation null from the national redraws
        (:class:`audit.checks.null.NationalDraws`; ``sheets`` must then be its region's
        sheets, ``rng`` the national generator). The forensics battery passes it.
"""


first_digit_test = _digit_test("first_digit_test", "first", """\
First-digit (1BL, Benford) test of a count column.

    Null hypothesis: the first significant digits of the counts are distributed as honest
    counts at these stations' sizes and shares would be (``null="simulation"``), or follow
    Benford's law ``P(d) = log10(1 + 1/d)`` (``null="textbook"``).

    Returns
    -------
    DigitTestResult
        ``statistic`` is Pearson's X² against the null expectation (8 df for the textbook
        null), ``effect`` the MAD from it; ``mad``/``conformity`` are Nigrini's, against
        Benford; ``table`` has one row per digit 1..9 (columns in the module docstring).

    Notes
    -----
    What it detects: first digits out of line with the counts' scale, e.g. many invented
    counts starting with the same digit. **Known failure mode:** polling stations have capped
    sizes, so the counts span less than one order of magnitude and their first digits follow
    station size, not Benford's law: the textbook null flags honest elections routinely
    (Mebane 2006, 2008; Deckert, Myagkov & Ordeshook 2011). Only the simulation null is
    meaningful on station counts, and
    even it is anti-conservative where station counts vary at layers its regional model does
    not have: 31.5% false positives at 0.05 on elections shaped like Russia 2011, against
    4.5–7% on varied and Venezuela-shaped ones (``docs/calibration.md``).

    References
    ----------
    Nigrini (2012) [nigrini2012]; Deckert, Myagkov & Ordeshook (2011) [deckert2011].
    """)


second_digit_test = _digit_test("second_digit_test", "second", """\
Second-digit (2BL) test of a count column (Mebane 2006, 2008).

    Null hypothesis: the second significant digits of counts of at least ``min_count``
    (default 10) are distributed as honest counts at these stations would be (simulation), or
    follow the second-digit Benford law ``q_j = sum_k log10(1 + 1/(10k + j))`` (textbook: X²
    with 9 df, critical value 16.919 at 0.05).

    Parameters and returns as :func:`first_digit_test`; the table has one row per digit 0..9.

    Notes
    -----
    What it detects: Mebane argues that counts produced by many small honest choices roughly
    satisfy 2BL and that some manipulations (adding or removing votes in bulk) disturb it.
    **Known failure modes:** honest processes can violate 2BL and fraud can leave it intact
    (Deckert, Myagkov & Ordeshook 2011 [deckert2011]: as a classifier it is "no
    better than a coin toss"); strategic voting, heterogeneous precincts and machine-level
    counts ("roughly equal division with leftovers") move it; with ~10⁵ stations even a
    negligible deviation is "significant" (Russia 2011: X² = 35.0 on 94,632 counts with a
    MAD of 0.002). Read the MAD beside the p-value and prefer the simulation null.

    References
    ----------
    Mebane (2006) [mebane2006]; Mebane (2008) [mebane2008].

    Examples
    --------
    An honest simulated election: raw 2BL rejects it because 5,000 capped station counts do
    not follow the law exactly, while honest redraws at the same station sizes do not.

    >>> from audit.simulate import simulate_clean
    >>> sheets = simulate_clean(n_tables=5_000, rng=11)
    >>> second_digit_test(sheets, null="textbook", explain=False).pvalue < 0.05
    True
    >>> res = second_digit_test(sheets, n_resamples=199, rng=1)
    >>> res.pvalue > 0.05, res.null
    (True, 'simulation(n=199, model=beta-binomial, level=center)')
    """)


first_two_digits_test = _digit_test("first_two_digits_test", "first_two", """\
First-two-digits test (Nigrini 2012): 90 cells 10..99, counts of at least 10.

    Null hypothesis: honest counts at these stations (simulation), or Benford's
    ``P(n) = log10(1 + 1/n)`` (textbook: X² with 89 df, critical value 112.02 at 0.05).

    Notes
    -----
    Finer than the first-digit test and with the same **failure mode** on capped station
    sizes; with few counts many of the 90 cells have small expectations, where the chi-square
    approximation of the textbook p-value is poor (the simulation p-value is not affected).
    Reference: Nigrini (2012) [nigrini2012].
    """)


last_digit_test = _digit_test("last_digit_test", "last", """\
Last-digit test (Beber & Scacco 2012): are last digits uniform?

    Null hypothesis: the last digits of counts of at least ``min_count`` (default 50) are as
    honest counts at these stations would give (simulation), or uniform on 0..9 (textbook: X²
    with 9 df).

    Notes
    -----
    What it detects: people inventing numbers favour some digits and avoid others (Beber &
    Scacco 2012 [beber2012]), so fabricated tallies have uneven last digits.
    **Known failure modes:** last digits of small counts are not uniform (a count of 3 ends in
    3), so counts below ~50–100 must be excluded or simulated; digits of counts fabricated by
    a computer or by a careful forger look uniform (Kalinin & Mebane adaptation); in Sweden
    2018 and Uganda 2016 the test did not separate clean from suspect (Hussein 2018).
    """)


# --------------------------------------------------------------------------------------------
# Mean and share tests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scalar:
    """A mean or share test: its name, digits, statistic and textbook null."""

    name: str
    kind: str
    statistic_of: Callable[[np.ndarray], np.ndarray]
    textbook_value: float
    textbook_pvalue: Callable[[np.ndarray, float], PValue]
    alternative: str
    statistic_name: str


def _scalar_test(scalar: _Scalar, sheets: SheetTable, column: str | Sequence[str] | None,
                 opts: _Options) -> DigitTestResult:
    name, kind, statistic_of, alternative = (scalar.name, scalar.kind, scalar.statistic_of,
                                             scalar.alternative)
    data, spec, opts = _prepare(sheets, column, kind, opts)
    observed = data.observed[kind].astype(np.int64)
    n = float(observed.sum())
    stat = float(statistic_of(observed[None, :].astype(float))[0])
    reference = reference_probs(kind, wrap=opts.wrap)
    null_dist = None
    if data.replicates is None:
        pv = scalar.textbook_pvalue(observed, stat)
        z = pv.z if pv.z is not None else float("nan")
        expected_stat = scalar.textbook_value
        expected_cells = reference
        test = f"digits.{name}.textbook"
    else:
        redraws = data.replicates
        start = _simulation_key(name, data, spec, opts, redraws.rng)
        while True:
            reps = redraws.get(kind).astype(float)
            null_dist = statistic_of(reps)
            values = np.concatenate([[stat], null_dist])
            finite = values[np.isfinite(values)]
            center = float(finite.mean())
            found = sequential_pvalue(null_dist, stat, redraws.n_resamples,
                                      alternative=alternative, center=center,
                                      tail=partial(_normal_tail, null_dist, stat, alternative,
                                                   center))
            if found is not None:
                break
            redraws.more()
        sd = float(np.std(null_dist[np.isfinite(null_dist)], ddof=1)) \
            if np.isfinite(null_dist).sum() > 1 else float("nan")
        z = (stat - center) / sd if sd > 0 else float("nan")
        pv = dataclasses.replace(found, z=None if z != z else float(z))
        expected_stat = center
        shares, totals = _shares(np.vstack([observed[None, :], reps]))
        expected_cells = np.nanmean(shares[totals > 0], axis=0)
        test = f"digits.{name}"
        _remember(opts, start, pv.value, redraws.rng)
    pvalue = pv.value
    table = _table(kind, observed, expected_cells, reference,
                   _bands(kind, data, expected_cells, n))
    effect = stat - expected_stat
    params = _base_params(data, spec, kind, opts)
    sim_p = _explanation(data, pvalue, opts, _simulation_key(name, data, spec, opts),
                         lambda o: _scalar_test(scalar, sheets, column, o))
    if sim_p is not _NOT_RUN:
        params["simulation_pvalue"] = sim_p
    message = _message(name, data, sheets, kind, spec, statistic=stat, pvalue=pvalue, n=int(n),
                       sim_pvalue=_run_or_none(sim_p), explained=opts.explain,
                       redraws=pv.resamples,
                       expected=expected_stat, effect=effect, z=z)
    _method_params(params, pv)
    return DigitTestResult(
        test=test, statistic=stat, pvalue=pvalue, pvalue_method=pv.method,
        candidate=_candidate_of(data.columns), effect=effect,
        effect_unit=("digits" if scalar.statistic_name == "mean_digit" else "share") +
        " (observed minus expected)", n=int(n), null=data.null,
        evidence=evidence_from_pvalue(pvalue), table=table, message=message,
        excluded=_excluded(data, kind, spec, int(n)), params=params, column=data.columns,
        digits=kind, statistic_name=scalar.statistic_name, alternative=alternative,
        expected_statistic=expected_stat, z=None if z != z else float(z),
        n_resamples=pv.resamples, null_distribution=_frozen(null_dist))


def _mean_of(hist: np.ndarray) -> np.ndarray:
    digits = np.arange(hist.shape[-1], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (hist @ digits) / hist.sum(axis=-1)


def _z_pvalue(mean0: float, sd0: float) -> Callable[[np.ndarray, float], PValue]:
    def pvalue(observed: np.ndarray, stat: float) -> PValue:
        z = (stat - mean0) / (sd0 / np.sqrt(observed.sum()))
        return PValue(max(float(2 * stats.norm.sf(abs(z))), SMALLEST), "normal", z=float(z))
    return pvalue


def _share_of(cells: Sequence[int]) -> Callable[[np.ndarray], np.ndarray]:
    idx = list(cells)

    def share(hist: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return hist[..., idx].sum(axis=-1) / hist.sum(axis=-1)
    return share


def _binom_pvalue(cells: Sequence[int], p0: float, alternative: str
                  ) -> Callable[[np.ndarray, float], PValue]:
    idx = list(cells)

    def pvalue(observed: np.ndarray, stat: float) -> PValue:
        n = int(observed.sum())
        k = int(observed[idx].sum())
        res = stats.binomtest(k, n, p0, alternative=alternative)
        return PValue(max(float(res.pvalue), SMALLEST), "exact",
                      z=float((stat - p0) / np.sqrt(p0 * (1 - p0) / n)))
    return pvalue


second_digit_mean_test = _digit_test("second_digit_mean_test", "second", """\
Mean second digit (EFT ``_2BL``) against 4.187 (two-sided).

    Null hypothesis: the mean second digit of counts >= 10 equals its honest-simulation
    expectation, or Mebane's 2BL mean 4.1874 (textbook: z = (x̄ - 4.187) / (2.873 / sqrt(n)),
    normal p-value; EFT itself uses a bootstrap interval).

    Notes
    -----
    Mebane reads a mean above 4.187 as a sign of strategic behaviour or manipulation, but the
    sign depends on the process (Hicken & Mebane 2017). Same failure modes as
    :func:`second_digit_test`; a mean test ignores deviations that leave the mean unchanged.
    """, _Scalar("second_digit_mean", "second", _mean_of, SECOND_DIGIT_MEAN,
            _z_pvalue(SECOND_DIGIT_MEAN, SECOND_DIGIT_SD), "two-sided", "mean_digit"))


last_digit_mean_test = _digit_test("last_digit_mean_test", "last", """\
Mean last digit (EFT ``LastC``) against 4.5 (two-sided).

    Null hypothesis: the mean last digit of counts >= ``min_count`` equals its honest
    expectation, or 4.5 (textbook: z with SD sqrt(8.25) = 2.872).

    Notes
    -----
    EFT computes it on every count; small counts bias it (a station with 3 votes ends in 3),
    hence the exclusion below ``min_count`` (default 50). Detects a preference for low or high
    final digits, not for particular digits (use :func:`last_digit_test`).
    """, _Scalar("last_digit_mean", "last", _mean_of, LAST_DIGIT_MEAN,
            _z_pvalue(LAST_DIGIT_MEAN, LAST_DIGIT_SD), "two-sided", "mean_digit"))


zero_five_test = _digit_test("zero_five_test", "last", """\
Share of counts ending in 0 or 5 (EFT ``C05s``) against 0.2 (two-sided).

    Null hypothesis: honest-simulation share, or 0.2 (textbook: exact binomial test).

    Notes
    -----
    Detects rounding of invented counts to multiples of 5 or 10. Small counts (excluded below
    ``min_count``, default 50) and counts derived by arithmetic from rounded figures break the
    textbook 0.2.
    """, _Scalar("c05", "last", _share_of((0, 5)), 0.2,
            _binom_pvalue((0, 5), 0.2, "two-sided"), "two-sided", "share"))


percent_zero_five_test = _digit_test("percent_zero_five_test", "percent", """\
Share of rounded percentages ending in 0 or 5 (EFT ``P05s``) against 0.2.

    The percentage is ``round(100 * count / denominator)`` with the honest model's denominator
    (valid votes for a candidate's share, registered voters for ``voters``: turnout). Only
    denominators of at least ``min_count`` (default 100) are used. The table holds the last
    digit of the rounded percentage.

    Null hypothesis: honest-simulation share, or 0.2 (textbook: exact binomial test).

    Notes
    -----
    Detects results written to hit round percentages (Kobak, Shpilkin & Pshenichnikov 2016
    [kobak2016]). **Known failure mode:** small denominators put honest
    percentages on simple fractions (with 20 voters every percentage is a multiple of 5), so
    the textbook 0.2 flags small stations; the simulation null keeps each denominator
    (Rozenas 2017 [rozenas2017]).
    """, _Scalar("p05", "percent", _share_of((0, 5)), 0.2,
            _binom_pvalue((0, 5), 0.2, "two-sided"), "two-sided", "share"))


_PAIR_ALTERNATIVE = {"repeated": "less", "adjacent": "greater", "distant": "less"}


def digit_pairs_test(sheets: SheetTable, column: str | Sequence[str] | None = None, *,
                     kind: Literal["repeated", "adjacent", "distant"] = "repeated",
                     wrap: bool = True, null: Null = "simulation",
                     model: Model = "beta-binomial", level: str | None = "auto",
                     min_count: int = MIN_COUNTS["pairs"], n_resamples: int | None = None,
                     sampler: Sampler = "auto", rng: RNGLike = None,
                     explain: bool = True, cache: DrawCache | None = None,
                     shared: NationalDraws | None = None) -> DigitTestResult:
    """Beber & Scacco's last-two-digit pair tests (one-sided).

    Among counts of at least ``min_count`` (default 100, so both digits are free), the last
    two digits are *repeated* (33), *adjacent* (34, 43; 90 and 09 too when ``wrap``) or
    *distant* (neither). People inventing numbers repeat digits too rarely, favour adjacent
    pairs and avoid distant ones, so the alternatives are: fewer repeated pairs than 0.10,
    more adjacent pairs than 0.20 (0.18 without wrap), fewer distant pairs than 0.70 (0.72).

    Null hypothesis: the share is as honest counts at these stations would give (simulation),
    or the uniform-digit share (textbook: exact one-sided binomial test).

    Notes
    -----
    In their Iran 2009 op-ed 72 of 116 pairs were distant, ``P(X <= 72) = 0.041`` for
    Binomial(116, 0.7). **Known failure modes:** the psychology behind the test concerns
    people writing numbers by hand; computer-generated or carefully randomised fabrications
    pass it; small counts are not uniform in their last two digits.

    References
    ----------
    Beber & Scacco (2012) [beber2012].
    """
    if kind not in PAIR_KINDS:
        raise ValueError(f"kind must be one of {', '.join(PAIR_KINDS)}; got {kind!r}")
    index = PAIR_KINDS.index(kind)
    p0 = float(pair_probs(wrap)[index])
    alternative = _PAIR_ALTERNATIVE[kind]
    scalar = _Scalar(f"{kind}_pairs", "pairs", _share_of((index,)), p0,
                     _binom_pvalue((index,), p0, alternative), alternative, "share")
    return _scalar_test(scalar, sheets, column,
                        _Options(null, model, level, min_count, n_resamples, sampler, rng,
                                 explain, wrap, cache, shared))


def last_digit_extremes(counts: np.ndarray, *, probs: np.ndarray | None = None,
                        n_resamples: int = 100_000, rng: RNGLike = None
                        ) -> tuple[int, int, float]:
    """Beber & Scacco's "spike and dip": P(some digit >= max and another <= min).

    ``counts`` are the ten last-digit counts; under a multinomial with ``probs`` (uniform by
    default) the Monte Carlo p-value is the share of draws whose largest cell reaches the
    observed largest count *and* whose smallest cell is at most the observed smallest,
    ``(k + 1) / (R + 1)``. Post hoc by construction (the digits are chosen after looking).

    Returns ``(max_count, min_count, pvalue)``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    probs = LAST_DIGIT_PROBS if probs is None else np.asarray(probs, dtype=float)
    gen = as_generator(rng)
    draws = gen.multinomial(int(counts.sum()), probs, size=n_resamples)
    hi, lo = int(counts.max()), int(counts.min())
    k = int(np.sum((draws.max(axis=1) >= hi) & (draws.min(axis=1) <= lo)))
    return hi, lo, count_pvalue(k, n_resamples)


# --------------------------------------------------------------------------------------------
# Messages: plain sentences, with the likely artefact when a textbook null flags
# --------------------------------------------------------------------------------------------


_SHARE_TESTS = ("c05", "p05", "repeated_pairs", "adjacent_pairs", "distant_pairs")


def _message(name: str, data: _Data, sheets: SheetTable, kind: str, spec: _Spec, *,
             statistic: float, pvalue: float, n: int, sim_pvalue: float | None,
             explained: bool = True, redraws: int | None = None, **extra: Any) -> Message:
    params: dict[str, Any] = {"column": _label(sheets, data.columns), "statistic": statistic,
                              "pvalue": pvalue, "n": n}
    params.update({k: v for k, v in extra.items() if not isinstance(v, str)})
    if name in _SHARE_TESTS:
        params["share_pct"] = 100 * statistic
        params["expected_pct"] = 100 * float(extra.get("expected", float("nan")))
    if data.replicates is not None:
        params["n_resamples"] = redraws if redraws is not None else data.n_resamples
        return Message(f"digits.{name}.simulation", params)
    if pvalue >= 0.05 or not explained:
        return Message(f"digits.{name}.textbook", params)
    caveat, more = _caveat(kind, data, spec, extra.get("conformity"), sim_pvalue)
    params.update(more)
    params["sim_pvalue"] = sim_pvalue
    return Message(f"digits.caveat.{caveat}", params)


def _caveat(kind: str, data: _Data, spec: _Spec, conformity: Any,
            sim_pvalue: float | None) -> tuple[str, dict[str, Any]]:
    """Why a textbook law may be rejected on honest counts, with the numbers that show it.

    ``no_simulation``: no honest model exists for the column; ``unexplained``: the simulation
    null rejects too. Otherwise the first artefact that applies: counts spanning less than
    1.5 orders of magnitude (leading digits), denominators below 300 (rounded percentages),
    counts below 200 (last digits and pairs), many counts or a small Nigrini MAD
    (``large_n``), else ``honest_like`` (honest redraws depart from the law as much).
    """
    if sim_pvalue is None:
        return "no_simulation", {}
    if sim_pvalue < 0.05:
        return "unexplained", {}
    values = data.values[data.values >= max(getattr(spec, kind, 1), 1)] \
        if kind != "percent" else data.values
    if kind in ("first", "first_two") and values.size:
        q05, q95 = np.quantile(values, [0.05, 0.95])
        span = float(np.log10(max(q95, 1) / max(q05, 1)))
        if span < 1.5:
            return "narrow_span", {"span": span, "q05": float(q05), "q95": float(q95)}
    if kind == "percent":
        t = data.trials[np.isfinite(data.trials) & (data.trials >= spec.percent)]
        small = float(np.mean(t < 300)) if t.size else 0.0
        if small > 0.05:
            return "small_denominators", {"small_pct": 100 * small, "limit": 300}
    if kind in ("last", "pairs") and values.size:
        small = float(np.mean(values < 200))
        if small > 0.1:
            return "small_counts", {"small_pct": 100 * small, "limit": 200}
    if conformity in ("close", "acceptable") or values.size >= 20_000:
        return "large_n", {}
    return "honest_like", {}


# --------------------------------------------------------------------------------------------
# Registration: each test with its simulation null (calibrated) and its textbook null
# --------------------------------------------------------------------------------------------

_DESCRIPTIONS = {
    "first_digit": "First digits (1BL) of the leader's counts",
    "second_digit": "Second digits (2BL, Mebane) of the leader's counts",
    "first_two_digits": "First two digits of the leader's counts",
    "last_digit": "Last digits (Beber & Scacco) of the leader's counts",
    "second_digit_mean": "Mean second digit (EFT 2BL) of the leader's counts",
    "last_digit_mean": "Mean last digit (EFT LastC) of the leader's counts",
    "c05": "Share of the leader's counts ending in 0 or 5 (EFT C05s)",
    "p05": "Share of the leader's rounded percentages ending in 0 or 5 (EFT P05s)",
    "repeated_pairs": "Repeated last-two-digit pairs (Beber & Scacco)",
    "adjacent_pairs": "Adjacent last-two-digit pairs (Beber & Scacco)",
}

_FUNCTIONS: dict[str, Callable[..., DigitTestResult]] = {
    "first_digit": first_digit_test,
    "second_digit": second_digit_test,
    "first_two_digits": first_two_digits_test,
    "last_digit": last_digit_test,
    "second_digit_mean": second_digit_mean_test,
    "last_digit_mean": last_digit_mean_test,
    "c05": zero_five_test,
    "p05": percent_zero_five_test,
    "repeated_pairs": partial(digit_pairs_test, kind="repeated"),
    "adjacent_pairs": partial(digit_pairs_test, kind="adjacent"),
}


for _name, _description in _DESCRIPTIONS.items():
    for _null, _against in (("simulation", " against honest redraws"),
                          ("textbook", " against the textbook law")):
        register(CheckSpec(
            name=f"digits.{_name}" + ("" if _null == "simulation" else ".textbook"),
            family="digits", calibrated=_null == "simulation", fast=True, by_region=True,
            min_units=30, description=_description + _against, national_draws=True,
            uncalibrated="" if _null == "simulation" else "textbook",
            # textbook tests draw redraws too: to say whether honest counting explains a
            # rejection (``explain``), with the same sample as the simulation null
            run=runner(_FUNCTIONS[_name], monte_carlo=True, shares_draws=True,
                       candidate="column", null=_null)))

__all__ = [
    "FIRST_DIGIT_PROBS", "FIRST_TWO_PROBS", "LAST_DIGIT_PROBS", "MIN_COUNTS",
    "SECOND_DIGIT_MEAN", "SECOND_DIGIT_PROBS", "SECOND_DIGIT_SD", "TABLE_COLUMNS",
    "DigitTestResult", "InsufficientCountsError", "digit_pairs_test", "first_digit",
    "first_digit_test", "first_two_digits", "first_two_digits_test", "last_digit",
    "last_digit_extremes", "last_digit_mean_test", "last_digit_test", "nigrini_conformity",
    "pair_kind", "pair_probs", "percent_zero_five_test", "reference_probs", "second_digit",
    "second_digit_mean_test", "second_digit_test", "zero_five_test",
]
