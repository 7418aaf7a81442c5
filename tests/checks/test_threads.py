"""The battery's BLAS limit (audit.checks._threads)."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from audit.checks._threads import single_blas_thread


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_one_blas_thread_inside_and_the_previous_limits_after() -> None:
    np.ones((4, 4)) @ np.ones((4, 4))  # BLAS loaded
    before = _blas_threads()
    assert before  # numpy's BLAS is seen
    with single_blas_thread():
        assert _blas_threads() == [1] * len(before)
        y = np.random.default_rng(1).standard_normal((999, 90))
        inside = y.T @ y
    assert _blas_threads() == before
    np.testing.assert_allclose(inside, y.T @ y, rtol=1e-12)
