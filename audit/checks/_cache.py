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
    """At most ``size`` results of random draws, least recently used dropped first."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def draw(self, key: Hashable, rng: np.random.Generator, compute: Callable[[], T]) -> T:
        """``compute()`` (which draws from ``rng``), or the result remembered for ``key`` and
        the generator's current state, with the generator moved past the draws."""
        full = (key, type(rng.bit_generator).__name__, repr(rng.bit_generator.state))
        hit = self._entries.get(full)
        if hit is not None:
            self._entries.move_to_end(full)
            rng.bit_generator.state = hit[1]
            return hit[0]
        value = compute()
        self._entries[full] = (value, rng.bit_generator.state)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value


def draw(cache: DrawCache | None, key: Hashable, rng: np.random.Generator,
         compute: Callable[[], T]) -> T:
    """:meth:`DrawCache.draw` when there is a cache, else ``compute()``."""
    return compute() if cache is None else cache.draw(key, rng, compute)


__all__ = ["DrawCache", "draw"]
