"""Draws shared by a battery's checks live in an explicit DrawCache (issue 12), not in module
globals: the same numbers with or without it, and the second test of a family draws nothing."""

from __future__ import annotations

import numpy as np

from audit.checks import digits as D
from audit.checks import turnout as T
from audit.checks._cache import DrawCache
from audit.simulate import simulate_clean


def test_digit_tests_share_draws_through_the_cache_with_the_same_numbers() -> None:
    sheets = simulate_clean(n_tables=400, n_regions=3, rng=11)
    plain = [f(sheets, n_resamples=99, rng=5).pvalue
             for f in (D.last_digit_test, D.last_digit_mean_test)]
    cache = DrawCache()
    first = D.last_digit_test(sheets, n_resamples=99, rng=5, cache=cache)
    held = len(cache)
    second = D.last_digit_mean_test(sheets, n_resamples=99, rng=5, cache=cache)
    assert held >= 1
    assert len(cache) == held  # the mean test drew nothing new: same table, seed, redraws
    assert [first.pvalue, second.pvalue] == plain


def test_bootstrap_moments_share_draws_and_the_generator_moves_past_them() -> None:
    sheets = simulate_clean(n_tables=300, n_regions=3, rng=12)
    cache = DrawCache()
    with_cache = [f(sheets, n_resamples=199, rng=np.random.default_rng(3), cache=cache)
                  for f in (T.skewness, T.kurtosis)]
    without = [f(sheets, n_resamples=199, rng=np.random.default_rng(3))
               for f in (T.skewness, T.kurtosis)]
    assert len(cache) == 1
    assert [r.ci_low for r in with_cache] == [r.ci_low for r in without]
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    T.skewness(sheets, n_resamples=50, rng=a, cache=cache)
    T.skewness(sheets, n_resamples=50, rng=a, cache=cache)  # a new state: a new draw
    T.skewness(sheets, n_resamples=50, rng=b)
    T.skewness(sheets, n_resamples=50, rng=b)
    assert a.random() == b.random()


def test_the_cache_keeps_at_most_its_size() -> None:
    cache = DrawCache(size=2)
    rng = np.random.default_rng(0)
    for k in range(5):
        cache.draw(k, rng, lambda: rng.random())
    assert len(cache) == 2


def test_one_kind_of_draws_never_pushes_out_another() -> None:
    """The regional bootstraps (many small entries) left the national digit redraws in place:
    before, 16 of them evicted the digit batch the next region asked for, and the battery drew
    it again (found on an honest 1M-station election, benchmarks/results.md)."""
    cache = DrawCache(size=2)
    calls: list[str] = []

    def draws(kind: str) -> float:
        calls.append(kind)
        return 1.0

    digits_rng = np.random.default_rng(0)
    cache.draw(("digits", 1), digits_rng, lambda: draws("digits"))
    other = np.random.default_rng(1)
    for k in range(5):
        cache.draw(("bootstrap_moments", k), other, lambda: draws("bootstrap"))
    cache.draw(("digits", 1), np.random.default_rng(0), lambda: draws("digits"))
    assert calls.count("digits") == 1  # the second ask was a hit
    assert len(cache) == 1 + 2  # each kind keeps at most its size
