"""One BLAS thread while the battery runs.

The checks use BLAS only for small products — a Pearson distance's second-moment matrix of
the redraws (90 x 90 from 999 redraws), the sign-flip test's random reflections, a few
regressions — where a multi-threaded BLAS (OpenBLAS starts one thread per core) spends more
time starting and synchronising its threads than computing: on a 2-core machine running other
jobs, the battery of a 1,000,000-station file took ~15% more CPU time with them. With one
thread the summation order of every product is also the same on every machine, whatever its
number of cores. Each of the battery's processes limits itself (the limit is per process).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block with the BLAS libraries numpy and scipy loaded limited to one thread
    (threadpoolctl), restoring their previous limits afterwards."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


__all__ = ["single_blas_thread"]
