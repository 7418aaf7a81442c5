"""Draw clean elections from an :class:`~audit.simulate.shape.ElectionShape`.

The geography (regions, lower-level units, centres, tables and their registered voters) is
drawn first, unless the shape carries a fixed :class:`~audit.simulate.shape.Structure`; then
each split of the chain (turnout, null, blank, candidates) is drawn top down, one Beta layer at
a time, and counted with one binomial per table. Everything is vectorised over tables; Beta
variates are ratios of float32 gamma variates (ample precision for probabilities that feed a
binomial of at most a few thousand trials, and twice as fast as float64).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import special

from audit._random import RNGLike, as_generator
from audit.model import SheetTable, region_code_column, region_name_column, vote_column
from audit.simulate.shape import ElectionShape, Structure


def simulate(shape: ElectionShape, rng: RNGLike = None, *, name: str | None = None
             ) -> SheetTable:
    """Simulate one clean election of the given shape.

    Parameters
    ----------
    shape
        From :func:`~audit.simulate.fit_shape` or :meth:`ElectionShape.synthetic`.
    rng
        Seed or generator; the same seed gives the same table.
    name
        Name of the table (default ``"simulated-clean"``).

    Returns
    -------
    SheetTable
        Canonical sheets: region columns for every level, ``center_id``, ``table_id``,
        ``registered`` / ``voters`` / ``null`` / ``blank`` as the shape states, ``valid`` and
        one vote column per candidate; ``source`` is ``"simulated"``.
    """
    rng = as_generator(rng)
    structure = shape.structure or generate_structure(shape, rng)
    n = structure.n_tables
    registered = structure.registered
    layer_parents = structure.parents
    splits = shape.splits
    order = [shape.candidates.index(k) for k in shape.split_order]

    effect = np.asarray(shape.size_effect, dtype=float)
    delta, spread = _size_deviation(registered, structure.unit, shape.n_units) \
        if np.any(effect != 0) else (None, None)
    # correlated normal scores for turnout and the leader's split, per layer where needed
    lead = len(splits) - (len(shape.split_order) - 1)
    paired: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if shape.has_registered and lead < len(splits):
        for layer, parent in enumerate(layer_parents):
            r = float(shape.correlation[layer])
            if r != 0 and np.isfinite(shape.concentration[layer, [0, lead]]).all():
                z1 = rng.standard_normal(len(parent))
                z2 = r * z1 + np.sqrt(1.0 - r * r) * rng.standard_normal(len(parent))
                paired[layer] = (z1, z2)

    def draw(s: int) -> np.ndarray:
        """Per-table probability of split ``s``, drawn down the layers."""
        p = shape.means[:, s]
        last = len(layer_parents) - 1
        for layer, parent in enumerate(layer_parents):
            p = p[parent]
            if layer == last and delta is not None and effect[s] != 0:
                # second-order correction keeps the unit's weighted mean at its fitted value
                correction = (1.0 - 2.0 * p) * effect[s] ** 2 * spread / 2.0
                p = _shift_logit(p, effect[s] * delta - correction)
            kappa = float(shape.concentration[layer, s])
            if layer in paired and s in (0, lead):
                p = _logit_normal(p, 1.0 / (kappa + 1.0), paired[layer][0 if s == 0 else 1])
            else:
                p = _beta(p, kappa, rng)
        return p

    counts: dict[str, np.ndarray] = {}
    ballots = rng.binomial(registered, draw(0)) if shape.has_registered else registered.copy()
    remaining = ballots
    s = 1
    for extra in ("null", "blank"):
        if extra in splits:
            counts[extra] = rng.binomial(remaining, draw(s))
            remaining = remaining - counts[extra]
            s += 1
    valid = remaining
    votes = np.empty((n, len(order)), dtype=np.int64)
    for j in order[:-1]:
        votes[:, j] = rng.binomial(remaining, draw(s))
        remaining = remaining - votes[:, j]
        s += 1
    votes[:, order[-1]] = remaining

    columns: dict[str, Any] = dict(structure.columns)
    if shape.has_registered:
        columns["registered"] = _int64(registered)
    if shape.has_voters:
        columns["voters"] = _int64(ballots)
    columns["valid"] = valid.astype(np.int64, copy=False)
    for extra in ("null", "blank"):
        if extra in counts:
            columns[extra] = _int64(counts[extra])
    for j, key in enumerate(shape.candidates):
        columns[vote_column(key)] = votes[:, j]
    columns["source"] = pd.arrays.ArrowStringArray(pa.repeat(pa.scalar("simulated"), n))
    columns["line"] = np.arange(2, n + 2, dtype=np.int64)
    label = name or "simulated-clean"
    return SheetTable(pd.DataFrame(columns, copy=False), candidates=shape.candidates,
                      levels=shape.levels, election=shape.election, name=label,
                      unique_keys_checked=True)


def _int64(values: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.int64, copy=False),
                                  np.zeros(len(values), dtype=bool))


def _size_deviation(registered: np.ndarray, unit: np.ndarray, n_units: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``log N`` minus its registered-weighted mean within the table's mean-level unit, and
    the weighted variance of that deviation in the table's unit."""
    logs = np.log(np.maximum(registered, 1)).astype(np.float64)
    w = registered.astype(np.float64)
    total = np.maximum(np.bincount(unit, w, n_units), 1e-300)
    delta = logs - (np.bincount(unit, w * logs, n_units) / total)[unit]
    spread = (np.bincount(unit, w * delta * delta, n_units) / total)[unit]
    return delta, spread


def _shift_logit(p: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """``expit(logit(p) + shift)``, exact at p = 0 and p = 1 and where the odds overflow."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        odds = p / (1.0 - p) * np.exp(shift)
        out = np.where(np.isposinf(odds), 1.0, odds / (1.0 + odds))
    return np.where(p >= 1.0, 1.0, np.where(p <= 0.0, 0.0, out))


def _logit_normal(mean: np.ndarray, rho: float, z: np.ndarray) -> np.ndarray:
    """``expit(logit(mean) - (1 - 2 mean) s^2 / 2 + s z)`` with ``s^2 = rho / (mean (1 - mean))``:
    the variance ``rho mean (1 - mean)`` of the Beta layer it replaces (delta method) and,
    to second order, the same mean; ``z`` are given standard normal scores."""
    q = np.clip(mean * (1.0 - mean), 1e-12, None)
    var = rho / q
    return _shift_logit(mean, np.sqrt(var) * z - (1.0 - 2.0 * mean) * var / 2.0)


def _beta(mean: np.ndarray, kappa: float, rng: np.random.Generator) -> np.ndarray:
    """``Beta(mean * kappa, (1 - mean) * kappa)`` per element; ``mean`` when kappa is inf.

    Drawn as ``G_a / (G_a + G_b)`` with float32 gamma variates; where both underflow to 0
    (tiny shapes) the mean is returned.
    """
    if not np.isfinite(kappa):
        return mean
    m = mean.astype(np.float32)
    k = np.float32(kappa)
    ga = rng.standard_gamma(m * k, dtype=np.float32)
    gb = rng.standard_gamma((np.float32(1.0) - m) * k, dtype=np.float32)
    total = ga + gb
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ga / total
    return np.where(total > 0, out, m).astype(np.float64)


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------


def generate_structure(shape: ElectionShape, rng: RNGLike = None) -> Structure:
    """Draw a geography: centres with several tables, nested in units of each region level.

    Centres get 1, 2, ... tables with the shape's probabilities and are laid out unit by
    unit (mean-level units) so that each holds about its number of tables; units of the
    random levels get log-normal weights and each unit (and centre) picks a parent within its
    mean-level unit in proportion to the parents' weights. Table sizes come from the size
    quantile function through a Gaussian copula with correlation ``size_correlation`` between
    tables of one centre.
    """
    rng = as_generator(rng)
    n = shape.n_tables
    n_units = shape.n_units
    # centres and their tables
    pmf = shape.tables_per_center
    mean_m = float(np.dot(np.arange(1, len(pmf) + 1), pmf))
    per_centre = np.empty(0, dtype=np.int64)
    while per_centre.sum() < n:
        more = int(n / mean_m * 1.05) + 16
        per_centre = np.concatenate([per_centre, rng.choice(np.arange(1, len(pmf) + 1), more,
                                                            p=pmf)])
    cum = np.cumsum(per_centre)
    n_centres = int(np.searchsorted(cum, n)) + 1
    per_centre = per_centre[:n_centres].copy()
    per_centre[-1] -= int(cum[n_centres - 1]) - n
    start = np.cumsum(per_centre) - per_centre
    centre_unit = np.searchsorted(np.cumsum(shape.region_tables), start, side="right")
    centre_unit = np.minimum(centre_unit, n_units - 1)
    centre_of_table = np.repeat(np.arange(n_centres), per_centre)
    table_no = np.arange(n) - np.repeat(start, per_centre) + 1

    # units of the random levels: each picks a parent (unit above) by weight
    parents: list[np.ndarray] = []
    option_unit = np.arange(n_units)       # mean-level unit of each option
    option_weight = np.ones(n_units)
    option_codes = pa.array(list(_unit_codes(shape)))
    level_codes: list[pa.Array] = []
    for i in range(len(shape.levels) - shape.fixed_levels):
        unit_of_new = np.repeat(np.arange(n_units), shape.level_units[:, i])
        parent = _pick(unit_of_new, option_weight, option_unit, rng)
        parents.append(parent)
        codes = pc.binary_join_element_wise(
            option_codes.take(pa.array(parent)),
            pa.array(_serial_within(parent)).cast(pa.string()), ".")
        level_codes.append(codes)
        option_codes = codes
        option_unit = unit_of_new
        option_weight = rng.lognormal(0.0, shape.level_sigma[i], len(unit_of_new))
    centre_parent = _pick(centre_unit, option_weight, option_unit, rng)
    parents.append(centre_parent)
    parents.append(centre_of_table)

    # sizes through a Gaussian copula: unit offset + centre term + table term
    offsets = shape.size_offsets
    var_a = float(np.average(offsets ** 2, weights=np.maximum(shape.region_tables, 1e-12))) \
        if n_units > 1 else 0.0
    rest = max(1.0 - var_a, 0.0)
    rho = float(shape.size_correlation)
    z = (np.sqrt(rest * rho) * rng.standard_normal(n_centres, dtype=np.float32)
         + offsets[centre_unit])[centre_of_table] \
        + np.sqrt(rest * (1.0 - rho)) * rng.standard_normal(n, dtype=np.float32)
    registered = np.rint(np.interp(special.ndtr(z), shape.size_grid, shape.size_quantiles))
    registered = np.maximum(registered, 1).astype(np.int64)

    # string columns (pyarrow: no Python object per table)
    columns: dict[str, Any] = {}
    node = centre_parent[centre_of_table]
    chains: list[np.ndarray] = []
    for i in reversed(range(len(shape.levels) - shape.fixed_levels)):
        chains.append(node)
        node = parents[i][node]
    unit_of_table = node
    chains.reverse()
    unit_index = pa.array(unit_of_table)
    for col, values in shape.unit_labels.items():
        columns[col] = _strings(pa.array(list(values)).take(unit_index))
    for level, codes, chain in zip(shape.levels[shape.fixed_levels:], level_codes, chains,
                                   strict=True):
        strings = _strings(codes.take(pa.array(chain)))
        columns[region_code_column(level)] = strings
        columns[region_name_column(level)] = strings
    width = max(6, len(str(n_centres)))
    columns["center_id"] = _strings(pc.utf8_lpad(
        pa.array(centre_of_table + 1).cast(pa.string()), width, "0"))
    columns["table_id"] = _strings(pa.array(table_no).cast(pa.string()))
    return Structure(unit=unit_of_table, parents=tuple(parents), registered=registered,
                     columns=columns)


def _unit_codes(shape: ElectionShape) -> tuple[str, ...]:
    """A code per mean-level unit (its code at the mean level, or "national")."""
    if shape.mean_level is None:
        return ("national",) * shape.n_units
    return tuple(shape.unit_labels.get(region_code_column(shape.mean_level),
                                       tuple(f"U{i + 1}" for i in range(shape.n_units))))


def _strings(values: pa.Array) -> pd.arrays.ArrowStringArray:
    return pd.arrays.ArrowStringArray(values)


def _serial_within(group: np.ndarray) -> np.ndarray:
    """1, 2, ... numbering of items within each group value."""
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    counts = np.diff(np.r_[starts, len(group)])
    serial = np.empty(len(group), dtype=np.int64)
    serial[order] = np.arange(len(group)) - np.repeat(starts, counts) + 1
    return serial


def _pick(item_group: np.ndarray, option_weight: np.ndarray, option_group: np.ndarray,
          rng: np.random.Generator) -> np.ndarray:
    """For each item, an option of the same group chosen with probability ∝ weight.

    ``option_group`` must be sorted (options are laid out group by group) and every group
    with items must have options.
    """
    n_groups = int(max(option_group.max(initial=0), item_group.max(initial=0))) + 1
    total = np.bincount(option_group, option_weight, n_groups)
    within = np.cumsum(option_weight) - np.repeat(
        np.cumsum(total) - total, np.bincount(option_group, minlength=n_groups))
    cw = option_group + within / total[option_group]
    last = np.r_[option_group[1:] != option_group[:-1], True]
    cw[last] = option_group[last] + 1.0
    draws = item_group + rng.random(len(item_group))
    return np.minimum(np.searchsorted(cw, draws, side="right"), len(cw) - 1)
