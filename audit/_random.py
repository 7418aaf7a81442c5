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
