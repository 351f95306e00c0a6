"""Synthetic 4-wave data for checking the HLM fit against lme4 at a larger size.

``python bench_data.py OUT.csv`` writes the data that ``hlm_lme4_bench.R`` fits; the test
regenerates it with :func:`make` (NumPy's PCG64 with a fixed seed is reproducible).
Every patient has their own measurement times (weeks 0, ~6, ~12, ~18).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def make(n: int = 3000, k: int = 4, seed: int = 20261124) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.tile(np.arange(k, dtype=float), n) * 6 + rng.uniform(-2, 2, n * k).round(1)
    t[::k] = 0.0
    ids = np.repeat(np.arange(n), k)
    b0 = rng.normal(1.6, 0.5, n)
    b1 = rng.normal(-0.02, 0.02, n)
    y = (b0[ids] + b1[ids] * t + rng.normal(0, 0.15, n * k)).round(4)
    return pd.DataFrame({"id": [f"P{i:05d}" for i in ids], "week": t, "gsi": y})


if __name__ == "__main__":
    make().to_csv(sys.argv[1], index=False)
