"""Monte Carlo draws shared by the checks of one battery run, as an explicit object.

Several checks of one family draw the same honest redraws from the same generator state (the
digit tests of one table; the skewness and kurtosis bootstraps): a :class:`DrawCache` keeps
them, keyed by everything that determines the draws *including the generator's state*. On a
hit the generator is moved to the state it would have after drawing, so every check returns
the same numbers with or without a cache, and in any order.

Lifetime: a battery (:func:`audit.checks.forensics.run_forensics`, one simulated election of the
calibration) creates one cache, passes it to its checks in
:class:`~audit.checks._options.BatteryOptions`, and drops it when it ends; a direct call of a
check uses none. Nothing is kept in module globals.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


class DrawCache:
    """At most ``size`` results of random draws per kind, least recently used dropped first.

    A key that is a tuple starting with a string names its kind (``"digits"``,
    ``"bootstrap_moments"``): each kind has its own ``size`` places, so the many small
    bootstraps of the regional turnout tests never push out the national digit redraws that
    the next region's digit tests will ask for again.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._kinds: dict[Hashable, OrderedDict[Hashable, tuple[Any, Any]]] = {}

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._kinds.values())

    def draw(self, key: Hashable, rng: np.random.Generator, compute: Callable[[], T]) -> T:
        """``compute()`` (which draws from ``rng``), or the result remembered for ``key`` and
        the generator's current state, with the generator moved past the draws."""
        kind = key[0] if isinstance(key, tuple) and key and isinstance(key[0], str) else None
        entries = self._kinds.setdefault(kind, OrderedDict())
        full = (key, type(rng.bit_generator).__name__, repr(rng.bit_generator.state))
        hit = entries.get(full)
        if hit is not None:
            entries.move_to_end(full)
            rng.bit_generator.state = hit[1]
            return hit[0]
        value = compute()
        entries[full] = (value, rng.bit_generator.state)
        while len(entries) > self.size:
            entries.popitem(last=False)
        return value


def draw(cache: DrawCache | None, key: Hashable, rng: np.random.Generator,
         compute: Callable[[], T]) -> T:
    """:meth:`DrawCache.draw` when there is a cache, else ``compute()``."""
    return compute() if cache is None else cache.draw(key, rng, compute)


__all__ = ["DrawCache", "draw"]
