"""The shape of an election, and how to estimate it from real tally sheets.

An :class:`ElectionShape` holds everything the clean simulator (:func:`audit.simulate.simulate`)
needs: the geography (regions, lower levels, centres holding several tables), the distribution
of station sizes, the mean turnout, null/blank rates and candidate shares of each region, how
they change with station size, and how much they vary between sub-regions, centres and tables.

The model (see ``docs/simulate.md``)
------------------------------------
Every count on a sheet comes from a chain of **splits**, each a binomial draw:

* ``turnout``: ballots ``B ~ Binomial(registered, t)``;
* ``null`` (and ``blank``): null ``~ Binomial(B, u)``, blank ``~ Binomial(B - null, b)``;
* one split per candidate but the last, in decreasing order of national share: candidate ``j``
  gets ``Binomial(remaining valid votes, s_j)``; the last candidate gets what remains.

Each split's probability has a fixed mean in every unit of the *mean level* (the finest region
level with enough tables, e.g. the parish) and is drawn layer by layer below it,
``p_child ~ Beta(p_parent * kappa, (1 - p_parent) * kappa)``, with a concentration ``kappa`` per
layer (lower region levels, centre, table) and per split. At the table layer the parent's
probability is first shifted on the logit scale by ``beta * (log N - mean log N of the unit)``
(``N`` registered voters), so small stations may have higher turnout or other shares, as they
do in real elections. Turnout and the national leader's share may be correlated at each layer:
where they are, that pair is drawn from a correlated logit-normal with the variance of the
Beta layer it replaces (Venezuela 2024: -0.29 between centres of a parish).

A chain of conditional beta-binomials is a generalised Dirichlet-multinomial (Connor &
Mosimann 1969 [connor1969]): unlike a single Dirichlet it lets a small
candidate vary less, relatively, than a large one, which real tally sheets require
(Venezuela 2024: between centres of a parish the intraclass correlation of the two main
candidates' shares is ~0.05, that of the third candidate ~0.002).

Fitting (:func:`fit_shape`)
---------------------------
* **Robust to manipulated stations.** Stations whose logit turnout or logit share of the
  national leader, after removing a robust (Huber) trend in log station size, lies more than
  ``outlier_z`` (default 5) robust z-scores from the median of their top-level region (modified z of
  Iglewicz & Hoaglin 1993 [iglewicz1993], ``0.6745 (x - median) / MAD``), and sheets with more
  ballots than registered voters, are left out of every estimate. This removes Klimek-style
  *extreme* fraud (turnout and share near 100%, far beyond z = 5) and fabricated outliers while
  keeping the genuine tails of clean data. Incremental fraud spread thinly over many stations is not
  removed: it shifts the unit means and inflates the fitted dispersion, which makes the fitted clean
  reference wider and so tends to make tests calibrated against it conservative (less power) rather
  than anti-conservative.
* **Means:** per mean-level unit and split, the ratio of sums over the retained stations,
  shrunk towards the parent unit by empirical Bayes (weight ``tau^2 / (tau^2 + v)``, with
  ``tau^2`` the between-unit variance and ``v`` the unit's sampling variance), so units with a
  handful of tables do not carry their own noise into every simulation.
* **Size effect:** weighted least squares of each split's proportion on ``log N`` within
  mean-level units, converted to the logit scale (slope / ``p (1 - p)``).
* **Dispersion:** a moment (ANOVA-type) estimator per layer, bottom up. For units ``U`` grouped
  in parents ``G`` with ``m_G >= 2`` units and observed proportions ``p_U`` (size effect
  removed), ``rho = [sum_G m_G/(m_G-1) sum_U (p_U - pbar_G)^2 - sum_U e_U] / sum_U pbar_G
  (1 - pbar_G)``, where ``e_U`` is the variance the layers below (binomial counting, and the
  dispersion already estimated there) contribute to ``p_U``. The expectation identity behind
  it holds for independent units with unequal variances. ``kappa = 1/rho - 1``; ``rho <= 0``
  means no extra variation at that layer (``kappa = inf``).
* **Turnout–leader correlation:** the same moment estimator applied to cross-products of the
  two splits' deviations, divided by the square root of their two intraclass correlations.
* **Station sizes:** the empirical quantile function of registered voters (1,001 points,
  interpolated linearly) and a Gaussian-copula correlation of sizes within a centre.
* **Structure:** tables per unit, units of each lower level and the spread of their sizes
  (log-normal weights), the distribution of tables per centre.

Known limits: within a unit, turnout and shares depend on station size only through the
log-linear size effect, and only turnout and the leader's share are correlated; sizes do not
depend on the number of tables of the centre; the tails of station turnout are thinner than in
some real elections (Venezuela 2024 V1: 99th percentile 0.91 on the sheets, 0.83 simulated,
from a few hundred small single-table centres with very high turnout).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import special, stats

from audit.checks.stations import detrend, logit, modified_z
from audit.errors import AuditError
from audit.model import Candidate, Election, SheetTable, region_code_column, region_name_column

#: Points of the station-size quantile function kept by :func:`fit_shape`.
SIZE_GRID = 1001
#: Names of the two layers below the region levels.
CENTER, TABLE = "center", "table"
#: Default mean level: the finest region level whose median unit holds this many tables.
MIN_TABLES_PER_UNIT = 10


@dataclass(frozen=True, eq=False)
class Structure:
    """A fixed geography: the tables of an election with their keys and registered voters.

    ``unit`` is the mean-level unit of each table; ``parents[0]`` maps each unit of the first
    random layer to its mean-level unit, ``parents[i]`` each unit of layer ``i`` to its parent
    in layer ``i - 1``; the last entry maps tables to centres. ``columns`` holds the string
    columns (region codes and names, ``center_id``, ``table_id``) ready for the output table.
    """

    unit: np.ndarray
    parents: tuple[np.ndarray, ...]
    registered: np.ndarray
    columns: dict[str, Any]

    @property
    def n_tables(self) -> int:
        return len(self.registered)


@dataclass(frozen=True, eq=False)
class ElectionShape:
    """Everything the clean simulator needs (see the module docstring for the model).

    Attributes
    ----------
    candidates : tuple of str
        Candidate keys, in output column order.
    levels : tuple of str
        Region levels, top first.
    fixed_levels : int
        How many levels (from the top) are fixed labels; the last of them is the *mean level*
        whose units carry fixed means. The others are random layers.
    unit_labels : mapping of str to tuple of str
        For each output column ``region_<level>_code/name`` of a fixed level, its value in
        every mean-level unit.
    region_tables : ndarray of int, shape (U,)
        Tables per mean-level unit (their sum is the number of tables simulated).
    level_units : ndarray of int, shape (U, L - fixed_levels)
        Units of each random level per mean-level unit.
    level_sigma : tuple of float
        Log-normal SD of the sizes (weights) of the units of each random level.
    tables_per_center : ndarray of float
        Probability that a centre holds 1, 2, ... tables.
    size_quantiles : ndarray of float
        Registered voters per table at probabilities ``linspace(0, 1, len(size_quantiles))``.
    size_correlation : float
        Correlation of table sizes within a centre of one unit (Gaussian copula).
    size_offsets : ndarray, shape (U,)
        Mean normal score of the table sizes of each mean-level unit (rural units have
        smaller stations); the copula adds centre and table terms with the remaining variance.
    split_order : tuple of str
        Candidates in the order of the split chain (decreasing national share).
    means : ndarray, shape (U, S)
        Mean probability of each split (:attr:`splits`) per mean-level unit.
    concentration : ndarray, shape (layers, S)
        Beta concentration of each split per layer (:attr:`layers`); ``inf`` = no variation.
    size_effect : ndarray, shape (S,)
        Logit-scale slope of each split on log registered voters within a unit.
    correlation : ndarray, shape (layers,)
        Correlation, at each layer, between the turnout split and the first candidate split
        (the national leader's share): where non-zero, these two are drawn at that layer
        from a correlated logit-normal with the Beta layer's variance instead of two
        independent Betas.
    has_registered, has_voters, has_null, has_blank : bool
        Which optional columns the simulated sheets state. Without registered voters the
        station size is the number of ballots (turnout fixed at 1, column omitted).
    name : str
        Label of the simulated tables.
    election : Election or None
        Metadata of the simulated election (always labelled as simulated).
    structure : Structure or None
        A fixed geography reused by every simulation (``fit_shape(keep_structure=True)``);
        when None the geography is drawn anew each time.
    fit : dict
        How the shape was obtained (stations used and excluded, estimates), for reports.
    """

    candidates: tuple[str, ...]
    levels: tuple[str, ...]
    fixed_levels: int
    unit_labels: Mapping[str, tuple[str, ...]]
    region_tables: np.ndarray
    level_units: np.ndarray
    level_sigma: tuple[float, ...]
    tables_per_center: np.ndarray
    size_quantiles: np.ndarray
    size_correlation: float
    size_offsets: np.ndarray
    split_order: tuple[str, ...]
    means: np.ndarray
    concentration: np.ndarray
    size_effect: np.ndarray
    correlation: np.ndarray
    has_registered: bool = True
    has_voters: bool = False
    has_null: bool = True
    has_blank: bool = False
    name: str = "simulated"
    election: Election | None = None
    structure: Structure | None = None
    fit: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        u, s = len(self.region_tables), len(self.splits)
        if set(self.split_order) != set(self.candidates):
            raise ValueError("split_order must be a permutation of candidates")
        if self.means.shape != (u, s):
            raise ValueError(f"means must have shape {(u, s)}, got {self.means.shape}")
        if self.concentration.shape != (len(self.layers), s):
            raise ValueError(f"concentration must have shape {(len(self.layers), s)}, got "
                             f"{self.concentration.shape}")
        if self.size_offsets.shape != (u,):
            raise ValueError(f"size_offsets must have shape {(u,)}")
        if self.size_effect.shape != (s,):
            raise ValueError(f"size_effect must have shape {(s,)}")
        if self.correlation.shape != (len(self.layers),):
            raise ValueError(f"correlation must have shape {(len(self.layers),)}")
        if self.level_units.shape != (u, len(self.levels) - self.fixed_levels):
            raise ValueError("level_units must have one column per random level")
        if len(self.level_sigma) != len(self.levels) - self.fixed_levels:
            raise ValueError("level_sigma needs one entry per random level")
        if any(len(v) != u for v in self.unit_labels.values()):
            raise ValueError("unit_labels need one entry per mean-level unit")
        if not np.isclose(self.tables_per_center.sum(), 1.0):
            raise ValueError("tables_per_center must sum to 1")

    # -- derived -------------------------------------------------------------------------
    @property
    def n_tables(self) -> int:
        return int(self.region_tables.sum())

    @property
    def n_units(self) -> int:
        """Number of mean-level units."""
        return len(self.region_tables)

    @property
    def mean_level(self) -> str | None:
        """The region level whose units carry fixed means (None: one national unit)."""
        return self.levels[self.fixed_levels - 1] if self.fixed_levels else None

    @property
    def splits(self) -> tuple[str, ...]:
        """The binomial splits in chain order: turnout, [null], [blank], candidates but last."""
        return ("turnout", *(("null",) if self.has_null else ()),
                *(("blank",) if self.has_blank else ()), *self.split_order[:-1])

    @property
    def layers(self) -> tuple[str, ...]:
        """Random layers below the mean level: random region levels, centre, table."""
        return (*self.levels[self.fixed_levels:], CENTER, TABLE)

    @property
    def size_grid(self) -> np.ndarray:
        return np.linspace(0.0, 1.0, len(self.size_quantiles))

    def unit_shares(self) -> pd.DataFrame:
        """Expected share of valid votes per mean-level unit and candidate."""
        first = len(self.splits) - (len(self.split_order) - 1)
        chain = self.means[:, first:]
        shares = np.empty((self.n_units, len(self.candidates)))
        remaining = np.ones(self.n_units)
        for j, key in enumerate(self.split_order):
            col = self.candidates.index(key)
            part = remaining * chain[:, j] if j < chain.shape[1] else remaining
            shares[:, col] = part
            remaining = remaining - part
        return pd.DataFrame(shares, columns=list(self.candidates))

    def expected(self, level: str | None = None) -> pd.DataFrame:
        """Expected turnout and shares per region at a fixed ``level`` (None: national).

        Units are weighted by their tables (turnout) and by tables × turnout (shares), which
        is what the ratio of simulated totals estimates up to the size effect.
        """
        if level is None:
            key = np.zeros(self.n_units, dtype=np.int64)
            codes = ["national"]
        else:
            if level not in self.levels[:self.fixed_levels]:
                raise KeyError(f"{level!r} is not a fixed level of this shape "
                               f"({list(self.levels[:self.fixed_levels])})")
            labels = np.asarray(self.unit_labels[region_code_column(level)])
            codes_arr, key = np.unique(labels, return_inverse=True)
            codes = list(codes_arr)
        w = self.region_tables.astype(float)
        turnout = self.means[:, 0]
        wt = np.bincount(key, w, len(codes))
        out = pd.DataFrame({"turnout": np.bincount(key, w * turnout, len(codes)) / wt},
                           index=pd.Index(codes, name="region_code"))
        shares = self.unit_shares().to_numpy()
        ws = np.bincount(key, w * turnout, len(codes))
        for j, k in enumerate(self.candidates):
            out[k] = np.bincount(key, w * turnout * shares[:, j], len(codes)) / ws
        return out

    def resized(self, n_tables: int) -> ElectionShape:
        """The same shape with about ``n_tables`` tables (units scaled in proportion).

        The fixed structure, if any, is dropped (the geography is drawn anew).
        """
        if n_tables < 1:
            raise ValueError("need at least one table")
        tables = _apportion(self.region_tables.astype(float), n_tables)
        factor = n_tables / max(self.n_tables, 1)
        units = np.maximum(1, np.round(self.level_units * factor)).astype(np.int64)
        units = np.minimum(units, np.maximum(tables, 1)[:, None])
        return dataclasses.replace(self, region_tables=tables, level_units=units, structure=None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary: expected turnout and shares by top-level region, size
        quantiles, dispersion (intraclass correlation) and size effect per layer and split."""
        rho = 1.0 / (self.concentration + 1.0)
        top = self.levels[0] if self.fixed_levels else None
        expected = self.expected(top)
        return {
            "name": self.name,
            "tables": self.n_tables,
            "candidates": list(self.candidates),
            "levels": list(self.levels),
            "mean_level": self.mean_level,
            "mean_level_units": self.n_units,
            "expected": {str(code): {k: float(v) for k, v in row.items()}
                         for code, row in expected.iterrows()},
            "size_quantiles": {f"{q:g}": float(np.interp(q, self.size_grid,
                                                         self.size_quantiles))
                               for q in (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)},
            "size_correlation": self.size_correlation,
            "tables_per_center": [float(p) for p in self.tables_per_center],
            "intraclass_correlation": {layer: {s: float(rho[i, j])
                                               for j, s in enumerate(self.splits)}
                                       for i, layer in enumerate(self.layers)},
            "size_effect": {s: float(b) for s, b in zip(self.splits, self.size_effect,
                                                        strict=True)},
            "turnout_leader_correlation": {layer: float(r) for layer, r in zip(
                self.layers, self.correlation, strict=True)},
            "columns": {"registered": self.has_registered, "voters": self.has_voters,
                        "null": self.has_null, "blank": self.has_blank},
            "fixed_structure": self.structure is not None,
            "fit": self.fit,
        }

    # -- construction --------------------------------------------------------------------
    @classmethod
    def synthetic(cls, *, n_tables: int = 10_000, shares: Sequence[float] = (0.5, 0.35, 0.15),
                  candidates: Sequence[str] | None = None, n_regions: int = 10,
                  subregions_per_region: int | Sequence[int] = 10, turnout: float = 0.6,
                  size_median: float = 500.0, size_sigma: float = 0.45, size_min: int = 50,
                  size_max: int = 3000, size_correlation: float = 0.5,
                  tables_per_center: Sequence[float] = (0.45, 0.25, 0.15, 0.1, 0.05),
                  null_rate: float | None = 0.01, blank_rate: float | None = None,
                  region_concentration: float = 200.0,
                  concentration: Sequence[float] = (500.0, 300.0, 3000.0),
                  size_effect: float = 0.0, correlation: float | Sequence[float] = 0.0,
                  has_voters: bool = True,
                  levels: Sequence[str] = ("region", "subregion"),
                  level_sigma: float | Sequence[float] = 0.5,
                  region_names: Sequence[str] | None = None,
                  candidate_names: Sequence[str] | None = None,
                  rng: int | np.random.Generator | None = 0) -> ElectionShape:
        """A made-up shape with the given national parameters.

        ``levels`` names the region levels, top first: the first holds the regions (fixed
        means), every further one is a random layer of nested units (e.g. ``("region",
        "subregion", "municipality")``), with ``subregions_per_region`` units per unit of the
        level above (one number per random level, or one for all; capped by the tables).
        Regional means are drawn once (seeded by ``rng``) around the national ones with
        concentration ``region_concentration``; ``concentration`` gives the Beta
        concentration of every split at each layer below the regions: one per random level,
        then the centre and the table layers. ``size_effect`` is the logit slope of turnout
        on log station size; ``correlation`` that of turnout and the leader's share, between
        centres when a number, else one per layer (as ``concentration``). ``level_sigma`` is
        the log-normal spread of the sizes of the units of each random level. Station sizes
        are log-normal (median ``size_median``, log-SD ``size_sigma``) clipped to
        ``[size_min, size_max]``. ``null_rate`` / ``blank_rate`` None omit the column.
        Regions are coded ``R01``... (``1``... when ``region_names`` are given) and named
        ``region_names`` or "Region 01 (simulated)".
        """
        from audit.simulate.clean import candidate_shares

        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        p, keys = candidate_shares(shares, candidates)
        order = tuple(keys[i] for i in np.argsort(-p, kind="stable"))
        levels = tuple(levels)
        n_random = len(levels) - 1
        if n_random < 0:
            raise ValueError("levels must name at least the regions")
        per_parent = _per_layer(subregions_per_region, n_random, "subregions_per_region")
        sigmas = _per_layer(level_sigma, n_random, "level_sigma")
        conc_layers = np.asarray(concentration, dtype=float)
        if conc_layers.shape != (n_random + 2,):
            raise ValueError(f"concentration needs {n_random + 2} values (each random level, "
                             f"centre, table); got {len(conc_layers)}")
        corr = _layer_values(correlation, n_random)
        if region_names is not None and len(region_names) != n_regions:
            raise ValueError("region_names needs one name per region")
        codes = tuple(str(r + 1) if region_names is not None else f"R{r + 1:02d}"
                      for r in range(n_regions))
        names = tuple(region_names) if region_names is not None else tuple(
            f"Region {r + 1:02d} (simulated)" for r in range(n_regions))
        region_tables = _apportion(np.ones(n_regions), n_tables)
        units = np.minimum(np.cumprod(np.asarray(per_parent, dtype=np.int64))[None, :],
                           np.maximum(region_tables, 1)[:, None])
        rc = region_concentration
        cols = [gen.beta(turnout * rc, (1 - turnout) * rc, n_regions)]
        if null_rate is not None:
            cols.append(np.full(n_regions, null_rate))
        if blank_rate is not None:
            cols.append(np.full(n_regions, blank_rate))
        region_shares = gen.dirichlet(rc * p, n_regions)
        cols.extend(_conditional_shares(region_shares, [keys.index(k) for k in order]).T)
        means = np.column_stack(cols)
        conc = np.repeat(conc_layers[:, None], means.shape[1], 1)
        effect = np.zeros(means.shape[1])
        effect[0] = size_effect
        grid = np.linspace(0.0, 1.0, SIZE_GRID)
        q = stats.lognorm.ppf(np.clip(grid, 1e-5, 1 - 1e-5), size_sigma, scale=size_median)
        pmf = np.asarray(tables_per_center, dtype=float)
        election = _invented_election(keys, candidate_names, levels, n_tables)
        labels = {region_code_column(levels[0]): codes, region_name_column(levels[0]): names}
        return cls(candidates=keys, levels=tuple(levels), fixed_levels=1,
                   unit_labels=labels, region_tables=region_tables,
                   level_units=units.astype(np.int64), level_sigma=tuple(sigmas),
                   tables_per_center=pmf / pmf.sum(),
                   size_quantiles=np.clip(q, size_min, size_max),
                   size_correlation=size_correlation, size_offsets=np.zeros(n_regions),
                   split_order=order, means=means,
                   concentration=conc, size_effect=effect,
                   correlation=corr, has_registered=True,
                   has_voters=has_voters, has_null=null_rate is not None,
                   has_blank=blank_rate is not None, name="simulated", election=election,
                   fit={"source": "synthetic"})


def _layer_values(correlation: float | Sequence[float], n_random: int) -> np.ndarray:
    """The turnout–share correlation of each layer (random levels, centre, table): one value
    is the centres' (the others 0), or one value per layer."""
    if np.ndim(correlation) == 0:
        corr = np.zeros(n_random + 2)
        corr[n_random] = float(correlation)  # type: ignore[arg-type]
        return corr
    corr = np.asarray(correlation, dtype=float)
    if corr.shape != (n_random + 2,):
        raise ValueError(f"correlation needs one value or {n_random + 2}")
    return corr


def _invented_election(keys: Sequence[str], candidate_names: Sequence[str] | None,
                       levels: Sequence[str], n_tables: int) -> Election:
    """The metadata of an invented election, saying so in its name and candidates'."""
    names = tuple(candidate_names) if candidate_names is not None else tuple(
        f"Candidate {k} (simulated)" for k in keys)
    return Election(
        id="simulated", name="Simulated election (not real data)",
        date=pd.Timestamp("2000-01-01").date(), country="",
        candidates=tuple(Candidate(k, nm) for k, nm in zip(keys, names, strict=True)),
        region_levels=tuple(levels), tables=n_tables)


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------


def fit_shape(sheets: SheetTable, *, mean_level: str | None = None,
              keep_structure: bool = False, size_effect: bool = True,
              outlier_z: float = 5.0) -> ElectionShape:
    """Estimate the shape of a real election ("clean like this one").

    Parameters
    ----------
    sheets
        Tally sheets (canonical table); may contain manipulated stations.
    mean_level
        Region level whose units get fixed means (default: the finest level whose median
        unit holds at least 10 tables; ``"top"``: the first level). Levels below it become
        random layers.
    keep_structure
        Reuse the observed tables (keys, regions, registered voters) in every simulation,
        so that the clean reference is conditional on this election's design. Otherwise the
        geography and sizes are drawn from the fitted distributions each time.
    size_effect
        Fit the dependence of turnout and shares on station size (else none).
    outlier_z
        Robust z-score beyond which a station is left out of the estimates.

    Returns
    -------
    ElectionShape
        With ``fit`` recording stations used, excluded and why.

    Notes
    -----
    See the module docstring for the estimators, why they resist a minority of manipulated
    stations, and what they cannot undo.
    """
    if len(sheets) == 0:
        raise AuditError("cannot fit an election shape to an empty table")
    df = sheets.data
    n = len(df)
    levels = sheets.levels
    fixed = _choose_mean_level(df, levels, mean_level)
    has_registered = sheets.has("registered")
    geo = _geography(df, levels, fixed)
    counts = _counts(sheets, geo.unit)
    usable, impossible, flagged = _robust_exclusion(counts, geo.top, has_registered, outlier_z)
    keep = usable & ~impossible & ~flagged
    split_xn = _splits(counts, has_registered, sheets.has("null"), sheets.has("blank"))
    random_keys = [*geo.level_ids[fixed:], geo.centre]
    parent_of_unit = _first(geo.level_ids[fixed - 2], geo.unit, geo.n_units) if fixed >= 2 \
        else np.zeros(geo.n_units, dtype=np.int64)
    means, conc, effect, adjusted = _fit_splits(
        split_xn, keep, counts.delta, geo.unit, random_keys, parent_of_unit, geo.n_units,
        has_registered=has_registered, size_effect=size_effect)
    correlation = np.zeros(len(random_keys) + 1)
    lead = len(split_xn) - (len(counts.order) - 1)
    if has_registered and lead < len(split_xn):
        correlation = _turnout_leader_correlation(split_xn, adjusted, conc, keep, lead,
                                                  random_keys, geo.unit)
    fit_info = {
        "source": sheets.name,
        "tables": n,
        "used": int(keep.sum()),
        "excluded_outliers": int((usable & flagged & ~impossible).sum()),
        "excluded_impossible": int(impossible.sum()),
        "excluded_no_registered": int((~usable).sum()) if has_registered else 0,
        "outlier_z": outlier_z,
        "mean_level": levels[fixed - 1] if fixed else None,
    }
    structure = _observed_structure(df, levels, geo.level_ids, fixed, geo.centre, geo.unit,
                                    counts.registered) if keep_structure else None
    return ElectionShape(
        candidates=sheets.candidates, levels=levels, fixed_levels=fixed,
        **_design(df, levels, fixed, geo, counts.registered, counts.size_ok),
        split_order=tuple(sheets.candidates[i] for i in counts.order), means=means,
        concentration=conc, size_effect=effect, correlation=correlation,
        has_registered=has_registered, has_voters=sheets.has("voters"),
        has_null=sheets.has("null"), has_blank=sheets.has("blank"),
        name=f"like-{sheets.name}" if sheets.name else "fitted",
        election=_simulated_election(sheets.election, sheets.candidates), structure=structure,
        fit=fit_info)


class _Geography(NamedTuple):
    """Integer ids of the tables' units: nested ids per level (top first), the fixed-mean
    unit, the centre, the top region, and the number of units."""

    level_ids: list[np.ndarray]
    unit: np.ndarray
    centre: np.ndarray
    top: np.ndarray
    n_units: int


def _geography(df: pd.DataFrame, levels: Sequence[str], fixed: int) -> _Geography:
    n = len(df)
    level_ids: list[np.ndarray] = []
    parent = np.zeros(n, dtype=np.int64)
    for lv in levels:
        parent = _nested(parent, df[region_code_column(lv)].fillna("").to_numpy(str))
        level_ids.append(parent)
    unit = level_ids[fixed - 1] if fixed else np.zeros(n, dtype=np.int64)
    centre_raw = df["center_id"].fillna("").to_numpy(str)
    lonely = centre_raw == ""
    if lonely.any():
        centre_raw = np.where(lonely, np.char.add("\x00", np.arange(n).astype(str)), centre_raw)
    centre = _nested(level_ids[-1] if levels else np.zeros(n, dtype=np.int64), centre_raw)
    top = level_ids[0] if levels else np.zeros(n, dtype=np.int64)
    return _Geography(level_ids, unit, centre, top, int(unit.max()) + 1)


class _Counts(NamedTuple):
    """The counts of every table as floats, the candidates by decreasing total (``order``),
    and the log size of each table relative to its unit's (``delta``)."""

    votes: np.ndarray
    valid: np.ndarray
    null: np.ndarray
    blank: np.ndarray
    ballots: np.ndarray
    registered: np.ndarray
    order: list[int]
    size_ok: np.ndarray
    delta: np.ndarray


def _counts(sheets: SheetTable, unit: np.ndarray) -> _Counts:
    n = len(sheets)
    votes = sheets.votes.astype(np.float64)
    null = np.nan_to_num(sheets.counts("null")) if sheets.has("null") else np.zeros(n)
    blank = np.nan_to_num(sheets.counts("blank")) if sheets.has("blank") else np.zeros(n)
    ballots = sheets.ballots()
    registered = sheets.counts("registered") if sheets.has("registered") else ballots.copy()
    order = [int(i) for i in np.argsort(-votes.sum(axis=0), kind="stable")]
    size_ok = np.isfinite(registered) & (registered > 0)
    log_size = np.log(np.where(size_ok, registered, 1.0))
    delta = log_size - _weighted_group_mean(log_size, np.where(size_ok, registered, 0.0), unit)
    return _Counts(votes, sheets.counts("valid"), null, blank, ballots, registered, order,
                   size_ok, delta)


def _robust_exclusion(c: _Counts, top: np.ndarray, has_registered: bool, outlier_z: float
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables usable (a size and a ballot count), impossible (more ballots than registered
    voters) and flagged (robust outliers of turnout or of the leader's share, detrended by
    size, within each top region)."""
    usable = c.size_ok & np.isfinite(c.ballots)
    impossible = usable & (c.ballots > c.registered)
    flagged = np.zeros(len(usable), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if has_registered:
            t_logit = logit((c.ballots + 0.5) / (c.registered + 1.0))
            flagged |= _robust_outliers(detrend(t_logit, c.delta, top, usable), top, outlier_z)
        s_logit = logit((c.votes[:, c.order[0]] + 0.5) / (c.valid + 1.0))
        s_ok = usable & (c.valid > 0)
        flagged |= _robust_outliers(detrend(s_logit, c.delta, top, s_ok), top, outlier_z)
    return usable, impossible, flagged


def _splits(c: _Counts, has_registered: bool, has_null: bool, has_blank: bool
            ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The binomial splits (successes, trials) of every table: turnout, null, blank, then
    each candidate against those after it (stick breaking in ``order``)."""
    parts = c.valid + c.null + c.blank
    split_xn: list[tuple[np.ndarray, np.ndarray]] = [
        (c.ballots, c.registered) if has_registered else (c.ballots, c.ballots)]
    if has_null:
        split_xn.append((c.null, parts))
    if has_blank:
        split_xn.append((c.blank, parts - c.null))
    remaining = c.votes[:, c.order].sum(axis=1)
    for j in c.order[:-1]:
        split_xn.append((c.votes[:, j], remaining))
        remaining = remaining - c.votes[:, j]
    return split_xn


def _fit_splits(split_xn: Sequence[tuple[np.ndarray, np.ndarray]], keep: np.ndarray,
                delta: np.ndarray, unit: np.ndarray, random_keys: Sequence[np.ndarray],
                parent_of_unit: np.ndarray, n_units: int, *, has_registered: bool,
                size_effect: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Per split: the size effect, the dispersion of each random layer (as a beta
    concentration) and the shrunken mean of each unit; and the size-adjusted successes."""
    means = np.empty((n_units, len(split_xn)))
    conc = np.full((len(random_keys) + 1, len(split_xn)), np.inf)
    effect = np.zeros(len(split_xn))
    adjusted: list[np.ndarray] = []
    for s, (x, m) in enumerate(split_xn):
        ok = keep & (m > 0) & np.isfinite(x)
        if s == 0 and not has_registered:
            means[:, s] = 1.0
            adjusted.append(x)
            continue
        if size_effect:
            effect[s], slope = _size_slope(x[ok], m[ok], delta[ok], unit[ok])
        else:
            slope = 0.0
        x_adj = x - slope * delta * m
        adjusted.append(x_adj)
        rho, unit_p, unit_v, unit_tau2 = _layer_dispersion(
            x_adj[ok], x[ok], m[ok], [k[ok] for k in random_keys], unit[ok],
            parent_of_unit, n_units)
        with np.errstate(divide="ignore"):
            conc[:, s] = np.where(rho > 0, 1.0 / np.maximum(rho, 1e-12) - 1.0, np.inf)
        means[:, s] = _shrink(unit_p, unit_v, unit_tau2, parent_of_unit,
                              np.bincount(unit[ok], m[ok], n_units))
    return means, conc, effect, adjusted


def _turnout_leader_correlation(split_xn: Sequence[tuple[np.ndarray, np.ndarray]],
                                adjusted: Sequence[np.ndarray], conc: np.ndarray,
                                keep: np.ndarray, lead: int,
                                random_keys: Sequence[np.ndarray], unit: np.ndarray
                                ) -> np.ndarray:
    """The correlation of turnout and the leader's split in each random layer."""
    (xt, mt), (xs, ms) = split_xn[0], split_xn[lead]
    both = keep & (mt >= 2) & (ms >= 2) & np.isfinite(xt) & np.isfinite(xs)
    rho_t, rho_s = 1.0 / (conc[:, 0] + 1.0), 1.0 / (conc[:, lead] + 1.0)
    return _layer_correlation(
        adjusted[0][both], xt[both], mt[both], adjusted[lead][both], xs[both], ms[both],
        [k[both] for k in random_keys], unit[both], rho_t, rho_s)


def _design(df: pd.DataFrame, levels: Sequence[str], fixed: int, geo: _Geography,
            registered: np.ndarray, size_ok: np.ndarray) -> dict[str, Any]:
    """The fitted design of the election (the :class:`ElectionShape` fields of its
    geography and sizes): tables per unit, units per random level and their spread, tables
    per centre, the distribution of sizes and their correlation within centres, labels."""
    unit, n_units = geo.unit, geo.n_units
    level_units = np.zeros((n_units, len(levels) - fixed), dtype=np.int64)
    sigmas = []
    for i, ids in enumerate(geo.level_ids[fixed:]):
        uniq, first = np.unique(ids, return_index=True)
        level_units[:, i] = np.bincount(unit[first], minlength=n_units)
        sigmas.append(_lognormal_sigma(np.bincount(ids)[uniq], unit[first]))
    per_centre = np.bincount(geo.centre)
    per_centre = per_centre[per_centre > 0]
    pmf = np.bincount(per_centre)[1:].astype(float)
    size_offsets, size_corr = _size_copula(registered, geo.centre, unit, size_ok, n_units)
    labels: dict[str, tuple[str, ...]] = {}
    first_row = _first(np.arange(len(df)), unit, n_units)
    for lv in levels[:fixed]:
        for col in (region_code_column(lv), region_name_column(lv)):
            if col in df:
                labels[col] = tuple(df[col].fillna("").astype(str).to_numpy()[first_row])
    return {"unit_labels": labels,
            "region_tables": np.bincount(unit, minlength=n_units).astype(np.int64),
            "level_units": level_units, "level_sigma": tuple(sigmas),
            "tables_per_center": pmf / pmf.sum(),
            "size_quantiles": np.quantile(registered[size_ok],
                                          np.linspace(0.0, 1.0, SIZE_GRID)),
            "size_correlation": size_corr, "size_offsets": size_offsets}


def _choose_mean_level(df: pd.DataFrame, levels: tuple[str, ...], mean_level: str | None
                       ) -> int:
    """Number of fixed levels (the mean level and those above it)."""
    if mean_level == "top":
        return 1 if levels else 0
    if mean_level is not None:
        if mean_level not in levels:
            raise AuditError(f"unknown region level {mean_level!r}; the sheets have "
                             f"{list(levels)}")
        return levels.index(mean_level) + 1
    fixed = 1 if levels else 0
    for i in range(len(levels)):
        sizes = df.groupby([region_code_column(x) for x in levels[:i + 1]], dropna=False).size()
        if float(sizes.median()) >= MIN_TABLES_PER_UNIT:
            fixed = i + 1
    return fixed


def _nested(parent: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Integer ids of (parent, code) pairs, so units are nested in their parents."""
    frame = pd.DataFrame({"p": parent, "c": codes})
    return frame.groupby(["p", "c"], sort=True).ngroup().to_numpy(np.int64)


def _first(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """``values`` at the first row of each group."""
    first = np.zeros(n_groups, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]
    return values[first]


def _weighted_group_mean(x: np.ndarray, w: np.ndarray, group: np.ndarray) -> np.ndarray:
    k = int(group.max()) + 1
    total = np.bincount(group, w, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(group, w * x, k) / total
    return np.nan_to_num(mean)[group]


def _robust_outliers(values: np.ndarray, groups: np.ndarray, z: float) -> np.ndarray:
    """Modified z-score above ``z`` in absolute value within each group."""
    return np.abs(modified_z(values, groups)) > z


def _size_slope(x: np.ndarray, m: np.ndarray, delta: np.ndarray, unit: np.ndarray
                ) -> tuple[float, float]:
    """Logit slope and linear slope of proportion ``x/m`` on ``delta`` within units.

    Weighted (by ``m``) least squares on within-unit deviations; the linear slope is
    converted to the logit scale by dividing by ``P (1 - P)`` at the overall proportion.
    """
    if len(x) < 10 or m.sum() <= 0:
        return 0.0, 0.0
    p = x / m
    k = int(unit.max()) + 1
    wsum = np.bincount(unit, m, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        pbar = np.nan_to_num(np.bincount(unit, m * p, k) / wsum)[unit]
        dbar = np.nan_to_num(np.bincount(unit, m * delta, k) / wsum)[unit]
    dd = delta - dbar
    denom = float(np.sum(m * dd * dd))
    if denom <= 0:
        return 0.0, 0.0
    slope = float(np.sum(m * dd * (p - pbar)) / denom)
    overall = float(x.sum() / m.sum())
    scale = overall * (1.0 - overall)
    return (slope / scale if scale > 0 else 0.0), slope


def _hierarchy(layer_keys: list[np.ndarray], unit: np.ndarray, n_units: int | None
               ) -> tuple[list[np.ndarray], list[int], list[np.ndarray]]:
    """Dense unit ids per row, bottom up (tables, centres, ... top random layer, mean-level
    units), the number of units of each, and each layer's map to the layer above."""
    n = len(unit)
    ids = [np.arange(n)] + [np.unique(k, return_inverse=True)[1] for k in reversed(layer_keys)]
    ids.append(unit)
    sizes = [int(i.max()) + 1 if len(i) else 0 for i in ids]
    if n_units is not None:
        sizes[-1] = n_units
    parent = []
    for a in range(len(ids) - 1):
        first = np.zeros(sizes[a], dtype=np.int64)
        first[ids[a][::-1]] = np.arange(n)[::-1]
        parent.append(ids[a + 1][first])
    return ids, sizes, parent


def _layer_dispersion(x_adj: np.ndarray, x: np.ndarray, m: np.ndarray,
                      layer_keys: list[np.ndarray], unit: np.ndarray,
                      parent_of_unit: np.ndarray, n_units: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Intraclass correlation of one split at each random layer (top layer first).

    ``layer_keys`` are the ids (per row) of the random layers, top first, the last being
    centres; rows are tables; ``unit`` the mean-level unit of each row. Estimated bottom up
    (tables in centres, centres in the lowest level, ...), each layer subtracting the
    binomial variance and the dispersion already estimated below it. ``x_adj`` are the
    successes with the size effect removed (used for deviations), ``x`` the raw ones (used
    for binomial variances).

    Also returns, per mean-level unit, its proportion, its sampling variance and the
    between-unit variance ``tau^2`` around the parent units (for shrinkage).
    """
    ok = m >= 2
    x_adj, x, m, unit = x_adj[ok], x[ok], m[ok], unit[ok]
    ids, sizes, parent = _hierarchy([k[ok] for k in layer_keys], unit, n_units)
    p_raw = x / np.maximum(m, 1)
    vb_row = m * p_raw * (1 - p_raw) * m / np.maximum(m - 1, 1)
    msum = [np.bincount(i, m, k) for i, k in zip(ids, sizes, strict=True)]
    parent.append(parent_of_unit)
    rhos: list[float] = []
    unit_p = unit_v = np.zeros(n_units)
    tau2 = np.zeros(n_units)
    for d in range(len(ids)):
        k = sizes[d]
        mu = msum[d]
        present = mu > 0
        mu_safe = np.where(present, mu, 1.0)
        pu = np.bincount(ids[d], x_adj, k) / mu_safe
        e = np.bincount(ids[d], vb_row, k) / mu_safe ** 2
        for lower in range(d):
            anc = np.arange(sizes[lower])
            for a in range(lower, d):
                anc = parent[a][anc]
            w = np.bincount(anc, msum[lower] ** 2, k)
            e = e + rhos[lower] * np.clip(pu * (1 - pu), 0, 0.25) * w / mu_safe ** 2
        group = parent[d]
        n_groups = int(group.max()) + 1 if len(group) else 0
        g_size = np.bincount(group[present], minlength=n_groups)
        pbar = np.bincount(group[present], pu[present], n_groups) / np.maximum(g_size, 1)
        multi = present & (g_size[group] >= 2)
        factor = g_size[group][multi] / (g_size[group][multi] - 1)
        s_obs = float(np.sum(factor * (pu[multi] - pbar[group][multi]) ** 2))
        q = np.clip(pbar * (1 - pbar), 0, 0.25)
        q_sum = float(np.sum(q[group][multi]))
        rho = (s_obs - float(np.sum(e[multi]))) / q_sum if q_sum > 0 else 0.0
        rho = float(np.clip(rho, 0.0, 0.999))
        if d < len(ids) - 1:
            rhos.append(rho)
        else:
            unit_p = np.where(present, np.bincount(ids[d], x, k) / mu_safe, np.nan)
            unit_v = np.where(present, e, np.inf)
            tau2 = rho * q[group]
    return np.array(rhos[::-1]), unit_p, unit_v, tau2


def _layer_correlation(xt_adj: np.ndarray, xt: np.ndarray, mt: np.ndarray,
                       xs_adj: np.ndarray, xs: np.ndarray, ms: np.ndarray,
                       layer_keys: list[np.ndarray], unit: np.ndarray, rho_t: np.ndarray,
                       rho_s: np.ndarray) -> np.ndarray:
    """Correlation of two splits' variation at each random layer (top layer first).

    The moment estimator of :func:`_layer_dispersion` applied to cross-products: per layer,
    ``sum_G m_G/(m_G-1) sum_U (p_U - pbar_G)(r_U - rbar_G)`` estimates the covariance
    ``c sqrt(q_p q_r)`` summed over units (binomial noise of different splits is independent;
    correlated variation of the layers below is subtracted), and the correlation is
    ``c / sqrt(rho_p rho_r)``, clipped to [-0.95, 0.95].
    """
    ids, sizes, parent = _hierarchy(layer_keys, np.unique(unit, return_inverse=True)[1], None)
    n_layers = len(layer_keys) + 1
    rt = rho_t[::-1]  # bottom-up: table, centre, ...
    rs = rho_s[::-1]
    out: list[float] = []
    msum_t = [np.bincount(i, mt, k) for i, k in zip(ids, sizes, strict=True)]
    msum_s = [np.bincount(i, ms, k) for i, k in zip(ids, sizes, strict=True)]
    for d in range(n_layers):
        k = sizes[d]
        pt = np.bincount(ids[d], xt_adj, k) / np.maximum(msum_t[d], 1)
        ps = np.bincount(ids[d], xs_adj, k) / np.maximum(msum_s[d], 1)
        qt = np.clip(pt * (1 - pt), 0, 0.25)
        qs = np.clip(ps * (1 - ps), 0, 0.25)
        e = np.zeros(k)
        for lower in range(d):
            anc = np.arange(sizes[lower])
            for a in range(lower, d):
                anc = parent[a][anc]
            w = np.bincount(anc, msum_t[lower] * msum_s[lower], k)
            e = e + out[lower] * np.sqrt(rt[lower] * rs[lower] * qt * qs) * w / np.maximum(
                msum_t[d] * msum_s[d], 1)
        group = parent[d]
        n_groups = sizes[d + 1]
        g_size = np.bincount(group, minlength=n_groups)
        tbar = np.bincount(group, pt, n_groups) / np.maximum(g_size, 1)
        sbar = np.bincount(group, ps, n_groups) / np.maximum(g_size, 1)
        multi = g_size[group] >= 2
        factor = g_size[group][multi] / (g_size[group][multi] - 1)
        cross = float(np.sum(factor * (pt - tbar[group])[multi] * (ps - sbar[group])[multi]))
        # size-adjusted proportions can leave [0, 1]: clip the variances as qt and qs are
        qbar = np.clip(tbar * (1 - tbar), 0, 0.25) * np.clip(sbar * (1 - sbar), 0, 0.25)
        q = float(np.sum(np.sqrt(qbar[group][multi])))
        scale = np.sqrt(rt[d] * rs[d])
        r = (cross - float(np.sum(e[multi]))) / q / scale if q > 0 and scale > 0 else 0.0
        out.append(float(np.clip(r, -0.95, 0.95)))
    return np.array(out[::-1])


def _shrink(p: np.ndarray, v: np.ndarray, tau2: np.ndarray, parent: np.ndarray,
            weight: np.ndarray) -> np.ndarray:
    """Empirical-Bayes means: ``pbar + tau^2 / (tau^2 + v) (p - pbar)`` per unit.

    ``pbar`` is the parent's proportion (weighted by trials); units without data get it.
    """
    known = np.isfinite(p)
    n_parent = int(parent.max()) + 1
    wsum = np.bincount(parent[known], weight[known], n_parent)
    with np.errstate(divide="ignore", invalid="ignore"):
        pbar = np.bincount(parent[known], weight[known] * p[known], n_parent) / wsum
    overall = float(np.nansum(weight * np.nan_to_num(p)) / max(weight[known].sum(), 1e-12))
    pbar = np.where(np.isfinite(pbar), pbar, overall)[parent]
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(np.isfinite(v), tau2 / (tau2 + v), 0.0)
    b = np.nan_to_num(b, nan=1.0)
    return np.clip(np.where(known, pbar + b * (np.nan_to_num(p) - pbar), pbar), 0.0, 1.0)


def _lognormal_sigma(sizes: np.ndarray, unit: np.ndarray) -> float:
    """Log-SD of the sizes (tables) of units within their mean-level unit, less Poisson noise."""
    if len(sizes) < 2:
        return 0.0
    logs = np.log(sizes.astype(float))
    mean = pd.Series(logs).groupby(unit).transform("mean").to_numpy()
    var = float(np.mean((logs - mean) ** 2) - np.mean(1.0 / sizes))
    return float(np.sqrt(max(var, 0.0)))


def _size_copula(size: np.ndarray, centre: np.ndarray, unit: np.ndarray, ok: np.ndarray,
                 n_units: int) -> tuple[np.ndarray, float]:
    """Normal-score decomposition of table sizes: unit offsets and within-unit centre share.

    With ``z`` the normal scores of the sizes, ``a_u`` is the mean score of unit ``u``
    (shrunk by its sampling variance), and the correlation is the share of the remaining
    (within-unit) variance common to the tables of one centre.
    """
    offsets = np.zeros(n_units)
    if ok.sum() < 2:
        return offsets, 0.0
    z = special.ndtri((stats.rankdata(size[ok]) - 0.5) / ok.sum())
    u, c = unit[ok], centre[ok]
    count = np.bincount(u, minlength=n_units).astype(float)
    raw = np.bincount(u, z, n_units) / np.maximum(count, 1)
    resid = z - raw[u]
    within = float(np.sum(resid ** 2) / max(len(z) - np.count_nonzero(count), 1))
    between = max(float(np.average(raw ** 2, weights=count)) - within * np.count_nonzero(count)
                  / len(z), 0.0)
    shrink = between / (between + within / np.maximum(count, 1))
    offsets = np.where(count > 0, raw * shrink, 0.0)
    frame = pd.DataFrame({"c": c, "r": z - offsets[u]})
    g = frame.groupby("c")["r"]
    per = g.transform("size").to_numpy()
    multi = per >= 2
    if multi.sum() < 10:
        return offsets, 0.0
    dev = (frame["r"] - g.transform("mean")).to_numpy()[multi]
    within_centre = float(np.sum(dev ** 2) / np.sum(1.0 - 1.0 / per[multi]))
    total = float(np.mean(frame["r"].to_numpy() ** 2))
    return offsets, float(np.clip(1.0 - within_centre / total, 0.0, 0.99))


def _conditional_shares(shares: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """Chain probabilities: share of each candidate (but the last) among those remaining."""
    ordered = shares[:, list(order)]
    remaining = np.cumsum(ordered[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(remaining > 0, ordered / remaining, 0.0)
    return np.clip(cond[:, :-1], 0.0, 1.0)


def _apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    exact = w / w.sum() * total
    out = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    if short > 0:
        out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out


def _per_layer(value: float | Sequence[float], n: int, name: str) -> list[float]:
    """One value per random level: a sequence of length ``n`` or one value repeated."""
    if np.ndim(value) == 0:
        return [float(value)] * n  # type: ignore[arg-type]
    out = [float(v) for v in value]  # type: ignore[union-attr]
    if len(out) != n:
        raise ValueError(f"{name} needs one value per random level ({n}); got {len(out)}")
    return out


def _simulated_election(election: Election | None, candidates: Sequence[str]) -> Election:
    """Metadata for simulations shaped like ``election``, clearly labelled as simulated."""
    if election is None:
        return Election(id="simulated", name="Simulated election (not real data)",
                        date=pd.Timestamp("2000-01-01").date(), country="",
                        candidates=tuple(Candidate(k, f"Candidate {k}") for k in candidates))
    known = {c.key: c for c in election.candidates}
    return dataclasses.replace(
        election, id=f"simulated-{election.id}",
        name=f"Simulated election shaped like {election.name} (not real data)",
        notes="Simulated by election-audit from a fitted ElectionShape; not real results.",
        candidates=tuple(known.get(k, Candidate(k, k)) for k in candidates))


def _observed_structure(df: pd.DataFrame, levels: tuple[str, ...], level_ids: list[np.ndarray],
                        fixed: int, centre: np.ndarray, unit: np.ndarray,
                        registered: np.ndarray) -> Structure:
    """The observed tables as a fixed :class:`Structure` (missing sizes: the median)."""
    size = np.where(np.isfinite(registered) & (registered > 0), registered,
                    np.nanmedian(registered))
    parents: list[np.ndarray] = []
    previous = unit
    for ids in [*level_ids[fixed:], centre]:
        k = int(ids.max()) + 1
        parents.append(_first(previous, ids, k))
        previous = ids
    parents.append(centre.astype(np.int64))
    columns: dict[str, Any] = {}
    for lv in levels:
        for col in (region_code_column(lv), region_name_column(lv)):
            if col in df:
                columns[col] = df[col].array
    columns["center_id"] = df["center_id"].array
    columns["table_id"] = df["table_id"].array
    return Structure(unit=unit, parents=tuple(parents),
                     registered=np.round(size).astype(np.int64), columns=columns)
