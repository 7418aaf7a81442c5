"""JSON-safe conversion and byte-stable serialisation of results.

Every ``to_dict()`` in the package returns plain Python built from :func:`jsonable`, and every
JSON file or ``--json`` output is written by :func:`dumps`: keys sorted, no NaN (``null``
instead), UTF-8, so that the same inputs and seed give byte-identical output.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars, arrays, frames, dates, enums and dataclasses to JSON types.

    Floats are kept at full precision (rounding is the renderer's job); NaN and infinities
    become ``None``.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, enum.Enum):
        return jsonable(obj.value)
    if isinstance(obj, (dt.datetime, dt.date)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, pd.DataFrame):
        keys = [str(k) for k in obj.columns]
        columns = [_column(obj.iloc[:, j]) for j in range(obj.shape[1])]
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)] \
            if keys else [{} for _ in range(len(obj))]
    if isinstance(obj, pd.Series):
        return _column(obj)
    if isinstance(obj, np.ndarray):
        return _array(obj)
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return jsonable(obj.to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=str) if isinstance(obj, (set, frozenset)) else obj
        return [jsonable(x) for x in items]
    raise TypeError(f"cannot convert {type(obj).__name__} to JSON")


def _array(obj: np.ndarray) -> Any:
    """A numpy array as (nested) lists, vectorised for numbers (NaN and inf become None)."""
    if obj.ndim == 0:
        return jsonable(obj.item())
    kind = obj.dtype.kind
    if kind in "iub":
        return list(obj.tolist())
    if kind == "f":
        finite = np.isfinite(obj)
        if finite.all():
            return list(obj.tolist())
        boxed = obj.astype(object)
        boxed[~finite] = None
        return list(boxed.tolist())
    return [jsonable(x) for x in obj.tolist()]


def _column(col: pd.Series) -> list[Any]:
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iufb":
        return _array(col.to_numpy())
    return [jsonable(x) for x in col.to_list()]


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    """Serialise to JSON deterministically (sorted keys, no NaN, UTF-8 text)."""
    return json.dumps(jsonable(obj), sort_keys=True, ensure_ascii=False, indent=indent,
                      allow_nan=False) + "\n"
