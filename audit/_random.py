"""Random number generation in one place (SPEC 7: the ``rng`` keyword).

Every randomised function takes ``rng`` (an int seed, a :class:`numpy.random.Generator`, a
:class:`numpy.random.SeedSequence` or None for fresh entropy) and normalises it here. Workers get
independent child streams from :func:`spawn`, so parallel results do not depend on scheduling.
The global NumPy seed is never touched.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

RNGLike: TypeAlias = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(rng: RNGLike) -> np.random.Generator:
    """A Generator from any accepted ``rng`` value (a Generator is returned as is)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def spawn(rng: RNGLike, n: int) -> list[np.random.Generator]:
    """``n`` statistically independent child generators derived from ``rng``."""
    if isinstance(rng, np.random.Generator):
        return list(rng.spawn(n))
    seq = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(rng)
    return [np.random.default_rng(s) for s in seq.spawn(n)]


def monte_carlo_pvalue(null: np.ndarray, observed: float, *, greater: bool = True) -> float:
    """``(k + 1) / (R + 1)``, k the null draws at least as extreme as ``observed``.

    Counting the observed statistic as one member of the null keeps the p-value valid
    (Davison & Hinkley 1997, §4.2; Phipson & Smyth 2010, doi:10.2202/1544-6115.1585).
    """
    null = np.asarray(null, dtype=float)
    k = int(np.sum(null >= observed)) if greater else int(np.sum(null <= observed))
    return (k + 1) / (null.size + 1)
