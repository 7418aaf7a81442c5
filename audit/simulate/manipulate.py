"""Manipulations of a simulated (or real) table, each returning ground-truth labels.

Every manipulation returns ``(sheets, truth)``: the manipulated table and a DataFrame with one
row per table (``table_id``, ``manipulated`` flag and the votes added or moved), so tests and
power studies know exactly what changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit._random import RNGLike, as_generator
from audit.model import SheetTable, vote_column


def stuff_ballots(sheets: SheetTable, *, fraction: float, candidate: str | None = None,
                  intensity: tuple[float, float] = (0.2, 0.8),
                  rng: RNGLike = None) -> tuple[SheetTable, pd.DataFrame]:
    """Add ballots for ``candidate`` at a random ``fraction`` of tables (ballot stuffing).

    At each chosen table a share ``x ~ Uniform(*intensity)`` of the registered voters who did
    not vote is added as ballots for the candidate (the incremental fraud of Klimek et al.
    2012, without vote stealing). Requires ``registered``.

    Returns the new table and a truth frame with ``table_id``, ``manipulated`` and ``added``.
    """
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    if "registered" not in sheets.data:
        raise ValueError("ballot stuffing needs registered voters")
    rng = as_generator(rng)
    key = candidate or sheets.leader()
    df = sheets.data.copy()
    n = len(df)
    chosen = rng.random(n) < fraction
    registered = df["registered"].to_numpy(np.float64, na_value=np.nan)
    ballots = sheets.ballots()
    abstainers = np.nan_to_num(np.maximum(registered - ballots, 0)).astype(np.int64)
    x = rng.uniform(*intensity, n)
    added = np.where(chosen, rng.binomial(abstainers, x), 0).astype(np.int64)
    df[vote_column(key)] = df[vote_column(key)] + added
    df["valid"] = df["valid"] + added
    if "voters" in df:
        df["voters"] = df["voters"] + pd.array(added, dtype="Int64")
    out = SheetTable(df, candidates=sheets.candidates, levels=sheets.levels,
                     election=sheets.election, provenance=sheets.provenance,
                     name=f"{sheets.name}+stuffing", unique_keys_checked=True)
    truth = pd.DataFrame({"table_id": df["table_id"].to_numpy(), "manipulated": chosen,
                          "added": added})
    return out, truth
