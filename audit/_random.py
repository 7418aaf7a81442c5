"""Random number generation in one place (SPEC 7: the ``rng`` keyword).

Every randomised function takes ``rng`` (an int seed, a :class:`numpy.random.Generator`, a
:class:`numpy.random.SeedSequence` or None for fresh entropy) and normalises it here. Workers get
independent child streams from :func:`spawn`, so parallel results do not depend on scheduling.
The global NumPy seed is never touched.

Named streams (the one recipe)
------------------------------
Batteries derive one stream per named unit of work with :func:`stream`:
``SeedSequence(seed, spawn_key=keys)``, one key per name, an integer as it is and a text as
the CRC-32 of its UTF-8. A stream depends only on the seed and its names, so adding a check
family, a region or a simulation never changes another's numbers, and workers get the same
numbers whatever the order they run in. The forensics battery (and the report, which runs
it) names a stream by the path ``scope NUL family [NUL candidate]``
(:func:`audit.checks.forensics.scope_generator`); calibration by the simulation's number and its
step, e.g. ``(j, "clean", "digits")`` (:meth:`audit.simulate.calibrate.Calibration.seed_for`);
a report section by its family (:meth:`audit.report.context.ReportContext.rng`).
"""

from __future__ import annotations

import zlib
from typing import TypeAlias

import numpy as np

RNGLike: TypeAlias = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(rng: RNGLike) -> np.random.Generator:
    """A Generator from any accepted ``rng`` value (a Generator is returned as is)."""
    if isinstance(rng, np.random.Generator):
        return rng
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError):
        raise _invalid(rng) from None


def _invalid(rng: object) -> TypeError:
    """The error for an ``rng`` numpy does not accept, naming the parameter."""
    return TypeError(f"rng= must be a non-negative integer seed, a numpy.random.Generator, "
                     f"a numpy.random.SeedSequence or None, got {rng!r}")


def spawn(rng: RNGLike, n: int) -> list[np.random.Generator]:
    """``n`` statistically independent child generators derived from ``rng``."""
    if isinstance(rng, np.random.Generator):
        return list(rng.spawn(n))
    try:
        seq = rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(rng)
    except (TypeError, ValueError):
        raise _invalid(rng) from None
    return [np.random.default_rng(s) for s in seq.spawn(n)]


def stream(seed: int | None, *names: str | int) -> np.random.Generator:
    """The generator named by ``names`` under ``seed``: the one recipe for per-scope,
    per-family streams (see the module docstring). ``seed`` None draws fresh entropy."""
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed= must be a non-negative integer or None, got {seed!r}")
    keys = tuple(n if isinstance(n, int) else zlib.crc32(n.encode()) for n in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=keys))
