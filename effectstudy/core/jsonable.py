"""Conversion of result objects to plain JSON-safe Python values."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd


def jsonable(obj: Any) -> Any:
    """Return ``obj`` as nested dicts/lists of str, int, float, bool and None.

    NaN, NA and NaT become ``None``; numpy scalars become Python scalars;
    DataFrames become lists of records; timestamps become ISO strings.

    >>> jsonable({"a": np.float64(1.5), "b": [np.int64(2), float("nan")], "c": pd.NA})
    {'a': 1.5, 'b': [2, None], 'c': None}
    """
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date)):
        return obj.isoformat()
    if isinstance(obj, pd.DataFrame):
        return [jsonable(r) for r in obj.reset_index().to_dict(orient="records")] if not isinstance(
            obj.index, pd.RangeIndex
        ) else [jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return jsonable(obj.to_dict())
    try:
        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
    return str(obj)
