"""Small tables for check tests, built from plain count lists.

A plain function (test modules wrap it in fixtures). Real reference elections come from the
real ingest: ``tests/checks/conftest.py`` and :func:`helpers.real_case`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from audit.model import SheetTable, vote_column


def table_from_counts(a: Sequence[int], b: Sequence[int] | None = None, *,
                      regions: Sequence[str] | None = None) -> SheetTable:
    """Two candidates A and B; valid = A + B; one centre per table; optional regions."""
    a_arr = np.asarray(a, dtype=np.int64)
    b_arr = np.asarray(b if b is not None else np.maximum(a_arr // 2, 1), dtype=np.int64)
    n = a_arr.size
    codes = list(regions) if regions is not None else ["R1"] * n
    frame = pd.DataFrame({
        "region_region_code": pd.array(codes, dtype="string"),
        "center_id": pd.array([f"c{i}" for i in range(n)], dtype="string"),
        "table_id": pd.array(["1"] * n, dtype="string"),
        "valid": a_arr + b_arr,
        vote_column("A"): a_arr,
        vote_column("B"): b_arr,
        "source": pd.array(["test"] * n, dtype="string"),
        "line": np.arange(2, n + 2, dtype=np.int64),
    })
    return SheetTable(frame, candidates=("A", "B"), levels=("region",), name="counts")
