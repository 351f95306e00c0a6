"""Small long-format inputs for the pre/post verbs, shared by the outcome tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def prepost_long(pre, post, *, ids=None, **cols) -> pd.DataFrame:
    """Columns ``id``, ``t`` ("pre"/"post") and ``y``: one pre and one post row per subject.

    ``ids`` default to 0..n-1; ``None`` scores become NaN; ``cols`` are added as they are (one
    value per row, pre rows first).

    >>> prepost_long([10, None], [8, 7], ids=[1, 2])
       id     t     y
    0   1   pre  10.0
    1   2   pre   NaN
    2   1  post   8.0
    3   2  post   7.0
    """
    n = len(pre)
    ids = list(range(n)) if ids is None else list(ids)
    y = np.r_[np.array(list(pre), dtype=float), np.array(list(post), dtype=float)]
    return pd.DataFrame({"id": ids * 2, "t": ["pre"] * n + ["post"] * n, "y": y, **cols})
