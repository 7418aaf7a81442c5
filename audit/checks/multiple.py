"""Multiple comparisons: Benjamini–Hochberg across regions, candidates and tests.

With dozens of regions and several tests, some p-values fall below 0.05 by chance alone
(Venice Commission 2018, ¶46). Results of one family are adjusted together and both raw and
adjusted p-values are reported.

References
----------
.. [1] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a practical
       and powerful approach to multiple testing. JRSS B 57(1), 289–300.
       doi:10.1111/j.2517-6161.1995.tb02031.x
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from audit.checks._result import CheckResult


def bh_adjust(pvalues: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg adjusted p-values; ``None`` entries (no test) stay ``None``."""
    p = np.array([np.nan if v is None else float(v) for v in pvalues], dtype=float)
    out: list[float | None] = [None] * len(p)
    tested = np.flatnonzero(~np.isnan(p))
    if tested.size:
        adjusted = stats.false_discovery_control(p[tested], method="bh")
        for i, value in zip(tested, adjusted, strict=True):
            out[i] = float(value)
    return out


def adjust_family(results: Sequence[CheckResult]) -> list[CheckResult]:
    """Copies of ``results`` with BH-adjusted p-values and evidence re-derived from them."""
    adjusted = bh_adjust([r.pvalue for r in results])
    return [r.with_adjusted_pvalue(a) for r, a in zip(results, adjusted, strict=True)]
