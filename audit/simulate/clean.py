"""Honest elections with regional structure, heavy-tailed station sizes and overdispersion.

Generative model (all draws vectorised over stations):

1. Registered voters per station: log-normal around ``size_median`` with log-sd ``size_sigma``,
   at least ``size_min``.
2. Regional turnout ``t_r ~ Beta`` around ``turnout`` (concentration ``region_concentration``);
   station turnout ``t_i ~ Beta`` around ``t_r`` (concentration ``station_concentration``).
3. Regional shares ``s_r ~ Dirichlet(region_concentration * shares)``; station shares
   ``s_i ~ Dirichlet(station_concentration * s_r)``.
4. Ballots ``B_i ~ Binomial(N_i, t_i)``; null ``~ Binomial(B_i, null_rate)``; valid votes split
   ``~ Multinomial(valid_i, s_i)``.

The Dirichlet/Beta layers make station counts overdispersed relative to a plain binomial, as
real polling-station counts are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from audit._random import RNGLike, as_generator
from audit.model import Candidate, Election, SheetTable, region_code_column, vote_column


def _multinomial_rows(n: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One multinomial draw per row (``n[i]`` trials, probabilities ``p[i]``), vectorised by
    sequential conditional binomials."""
    out = np.zeros(p.shape, dtype=np.int64)
    remaining = n.astype(np.int64).copy()
    mass = np.ones(len(n))
    for j in range(p.shape[1] - 1):
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.clip(np.where(mass > 0, p[:, j] / mass, 0.0), 0.0, 1.0)
        out[:, j] = rng.binomial(remaining, q)
        remaining -= out[:, j]
        mass -= p[:, j]
    out[:, -1] = remaining
    return out


def candidate_shares(shares: Sequence[float], candidates: Sequence[str] | None
                     ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Shares normalised to sum to 1 and their candidate keys (default ``C1, C2, ...``)."""
    p = np.asarray(shares, dtype=float)
    p = p / p.sum()
    keys = tuple(candidates) if candidates is not None else tuple(
        f"C{i + 1}" for i in range(len(p)))
    if len(keys) != len(p):
        raise ValueError("candidates and shares must have the same length")
    return p, keys


def simulate_clean(*, n_tables: int = 10_000, shares: Sequence[float] = (0.5, 0.35, 0.15),
                   candidates: Sequence[str] | None = None, n_regions: int = 10,
                   turnout: float = 0.6, size_median: float = 500.0, size_sigma: float = 0.45,
                   size_min: int = 50, region_concentration: float = 200.0,
                   station_concentration: float = 300.0, null_rate: float = 0.01,
                   rng: RNGLike = None) -> SheetTable:
    """Simulate an honest election (see the module docstring for the model).

    Parameters
    ----------
    n_tables
        Number of polling tables.
    shares
        National expected vote shares (normalised to sum to 1), one per candidate.
    candidates
        Candidate keys (default ``C1, C2, ...``).
    n_regions
        Number of top-level regions (``region_region_code`` = ``R01`` ...).
    turnout, size_median, size_sigma, size_min
        Expected turnout and the log-normal station-size distribution.
    region_concentration, station_concentration
        Dirichlet/Beta concentrations: smaller means more variation between regions/stations.
    null_rate
        Expected share of null ballots.
    rng
        Seed or generator.

    Returns
    -------
    SheetTable
        With ``registered``, ``voters``, ``valid``, ``null`` and one vote column per
        candidate; ``source`` is ``"simulated-clean"``.
    """
    rng = as_generator(rng)
    p, keys = candidate_shares(shares, candidates)
    region = rng.integers(0, n_regions, n_tables)
    registered = np.maximum(size_min, np.round(
        rng.lognormal(np.log(size_median), size_sigma, n_tables))).astype(np.int64)
    a = turnout * region_concentration
    region_turnout = rng.beta(a, region_concentration - a, n_regions)
    mean_t = region_turnout[region]
    station_turnout = rng.beta(mean_t * station_concentration,
                               (1 - mean_t) * station_concentration)
    region_shares = rng.dirichlet(region_concentration * p, n_regions)
    station_alpha = np.maximum(station_concentration * region_shares[region], 1e-3)
    gammas = rng.gamma(station_alpha)
    station_shares = gammas / gammas.sum(axis=1, keepdims=True)
    voters = rng.binomial(registered, station_turnout)
    null = rng.binomial(voters, null_rate)
    valid = voters - null
    votes = _multinomial_rows(valid, station_shares, rng)
    # strings built by pyarrow (no Python object per table)
    codes = pd.arrays.ArrowStringArray(
        pa.array([f"R{r + 1:02d}" for r in range(n_regions)]).take(pa.array(region)))
    frame = pd.DataFrame({
        region_code_column("region"): codes,
        "center_id": codes.copy(),
        "table_id": pd.arrays.ArrowStringArray(
            pa.array(np.arange(1, n_tables + 1)).cast(pa.string())),
        "registered": pd.array(registered, dtype="Int64"),
        "voters": pd.array(voters, dtype="Int64"),
        "valid": valid.astype(np.int64),
        "null": pd.array(null, dtype="Int64"),
        **{vote_column(k): votes[:, j] for j, k in enumerate(keys)},
        "source": pd.arrays.ArrowStringArray(pa.repeat(pa.scalar("simulated-clean"),
                                                       n_tables)),
        "line": np.arange(1, n_tables + 1, dtype=np.int64),
    })
    election = Election(id="simulated", name="Simulated election (not real data)",
                        date=pd.Timestamp("2000-01-01").date(), country="",
                        candidates=tuple(Candidate(k, f"Candidate {k}") for k in keys),
                        region_levels=("region",), tables=n_tables)
    return SheetTable(frame, candidates=keys, levels=("region",), election=election,
                      name="simulated-clean", unique_keys_checked=True)
