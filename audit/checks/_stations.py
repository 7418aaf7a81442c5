"""Per-station quantities shared by the turnout and fingerprint families.

Turnout ``T = ballots / registered`` and the share ``S = votes / base`` of one candidate,
where ``base`` is either the valid votes (``share_of="valid"``, the usual official definition)
or the ballots counted in the box, valid + null + blank (``share_of="counted"``, the Russian
official definition used by Kobak et al. 2016). Ballots are :meth:`SheetTable.ballots`:
the stated voters where a sheet states them, else valid + null + blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from audit.errors import AuditError
from audit.model import SheetTable, region_code_column, vote_column

ShareOf = Literal["valid", "counted"]
Quantity = Literal["turnout", "share"]
SHARE_OF: tuple[str, ...] = ("valid", "counted")
QUANTITIES: tuple[str, ...] = ("turnout", "share")


class TurnoutUnavailableError(AuditError):
    """The sheets do not state registered voters, so turnout cannot be computed."""


@dataclass(frozen=True)
class Stations:
    """Counts of one candidate per station, as float arrays (NaN where unknown)."""

    candidate: str
    registered: np.ndarray
    ballots: np.ndarray
    votes: np.ndarray
    base: np.ndarray
    region: np.ndarray
    region_level: str | None

    @property
    def n(self) -> int:
        return int(self.votes.size)

    def turnout(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.registered > 0, self.ballots / self.registered, np.nan)

    def share(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.base > 0, self.votes / self.base, np.nan)

    def trials_successes(self, quantity: str) -> tuple[np.ndarray, np.ndarray]:
        """(denominator, numerator) of ``quantity`` per station."""
        if quantity == "turnout":
            return self.registered, self.ballots
        return self.base, self.votes


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


def stations(sheets: SheetTable, *, candidate: str | None = None, share_of: str = "valid",
             need_registered: bool = False, level: str | None = None) -> Stations:
    """Extract the per-station arrays of ``candidate`` (default: the overall leader)."""
    check_choice("share_of", share_of, SHARE_OF)
    key = candidate or sheets.leader()
    if key not in sheets.candidates:
        raise AuditError(f"unknown candidate {key!r}; known: {', '.join(sheets.candidates)}")
    if need_registered and not sheets.has("registered"):
        raise TurnoutUnavailableError(
            "turnout needs the number of registered voters per sheet, and these sheets do "
            "not state it (the check was not run)")
    registered = sheets.counts("registered") if "registered" in sheets.data \
        else np.full(len(sheets), np.nan)
    valid = sheets.counts("valid")
    base = valid
    if share_of == "counted":
        for col in ("null", "blank"):
            if col in sheets.data:
                base = base + np.nan_to_num(sheets.counts(col))
    votes = sheets.data[vote_column(key)].to_numpy(np.float64)
    if level is None and sheets.levels:
        level = sheets.levels[0]
    if level is not None:
        if level not in sheets.levels:
            raise AuditError(f"unknown region level {level!r}; levels: {list(sheets.levels)}")
        region = sheets.data[region_code_column(level)].astype("string").fillna("")
        region_arr = region.to_numpy(dtype=object).astype(str)
    else:
        region_arr = np.full(len(sheets), "all", dtype=object).astype(str)
    return Stations(candidate=key, registered=registered, ballots=sheets.ballots(),
                    votes=votes, base=base, region=region_arr, region_level=level)


def region_codes(region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique region labels, integer code per station)."""
    labels, codes = np.unique(region, return_inverse=True)
    return labels, codes.astype(np.int64)


def group_median(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of ``values`` within each group code (NaN for empty groups)."""
    frame = pd.DataFrame({"g": codes, "v": values})
    med = frame.groupby("g")["v"].median()
    out = np.full(n_groups, np.nan)
    out[med.index.to_numpy()] = med.to_numpy()
    return out


def robust_beta_binomial(successes: np.ndarray, trials: np.ndarray, codes: np.ndarray,
                         n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-station Beta parameters (a, b) of an honest beta-binomial model, by region.

    Within each region the station rate ``x = k / n`` is modelled as beta-binomial: mean
    ``m`` and intra-class correlation ``rho``, so ``Var(x) = m(1-m)[rho + (1-rho)/n]``.
    ``m`` is the regional median of ``x`` and ``Var(x)`` the square of 1.4826 * MAD, so a
    minority of anomalous stations does not define its own null (robust moments).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        x = successes / trials
    m = group_median(x, codes, n_groups)
    dev = np.abs(x - m[codes])
    mad = group_median(dev, codes, n_groups) * 1.4826
    inv_n = pd.Series(1.0 / trials).groupby(codes).mean().reindex(range(n_groups)).to_numpy()
    mean_n = pd.Series(trials).groupby(codes).mean().reindex(range(n_groups)).to_numpy()
    eps = 0.5 / np.maximum(mean_n, 1.0)
    m = np.clip(np.nan_to_num(m, nan=0.5), eps, 1 - eps)
    pq = m * (1 - m)
    inv_n = np.nan_to_num(inv_n, nan=0.0)
    rho = (np.nan_to_num(mad) ** 2 - pq * inv_n) / (pq * np.maximum(1 - inv_n, 1e-9))
    rho = np.clip(rho, 1e-5, 0.9)
    scale = (1 - rho) / rho
    return (m * scale)[codes], ((1 - m) * scale)[codes]


def beta_binomial_pmf_at_n(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(K = n) for K ~ BetaBinomial(n, a, b) = B(n + a, b) / B(a, b)."""
    return np.exp(special.betaln(n + a, b) - special.betaln(a, b))


def near_integer_percent(k: np.ndarray, n: np.ndarray, num: int, den: int) -> np.ndarray:
    """True where ``100 k / n`` lies within ``num/den`` percentage points of an integer.

    Exact integer arithmetic: the distance of ``100 k`` to the nearest multiple of ``n`` is
    ``d = min(r, n - r)`` with ``r = 100 k mod n``, and ``|100 k / n - m| <= num/den``
    exactly when ``d * den <= num * n``.
    """
    r = np.remainder(100 * k, n)
    d = np.minimum(r, n - r)
    return d * den <= num * n
