"""Make the synthetic item files scored independently by scoring_independent.R.

Run from the repository root: ``.venv/bin/python tests/reference/scoring_make_data.py``.
The CSV files are committed; this script documents how they were made (fixed seeds).
Synthetic codes only.  Missingness is mixed: most rows have a few missing items, some rows
many, so that every missing-item branch (complete, prorated, beyond the limit) occurs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def items(n: int, p: int, seed: int, lo: int, hi: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(lo, hi + 1, size=(n, p)).astype(float)
    x[rng.random(n) < 0.15] = lo  # some all-lowest rows (PSDI undefined when nothing missing)
    rate = rng.choice([0.0, 0.02, 0.08, 0.3], size=(n, 1), p=[0.4, 0.3, 0.2, 0.1])
    x[rng.random((n, p)) < rate] = np.nan
    df = pd.DataFrame(x, columns=[f"item_{i}" for i in range(1, p + 1)])
    df.insert(0, "client_id", [f"s{i:03d}" for i in range(n)])
    return df


if __name__ == "__main__":
    items(300, 90, 90, 0, 4).to_csv(HERE / "scoring_items_scl90.csv", index=False)
    items(300, 45, 45, 0, 4).to_csv(HERE / "scoring_items_oq45.csv", index=False)
