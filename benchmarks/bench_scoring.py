"""Benchmark: score 1,000,000 SCL-90 administrations (90 items) with all scales.

Run: ``.venv/bin/python benchmarks/bench_scoring.py [n_administrations]``

Prints, for the SCL-90-R (13 scales incl. GSI/PST/PSDI) and the Dutch SCL-90 (10 scales incl.
PSNEUR): wall time of ``es.score`` and the peak resident memory of the process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes the input table itself).
Target (issue 3): under 5 s and under 3 GB on the 2-core machine.
The data are synthetic: random codes with about 1% missing items.
"""

from __future__ import annotations

import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd


def make_measurements(n: int, lo: int, hi: int, instrument: str, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    items = rng.integers(lo, hi + 1, size=(n, 90)).astype(np.float64)
    items[rng.random((n, 90)) < 0.01] = np.nan
    df = pd.DataFrame(items, columns=[f"item_{i}" for i in range(1, 91)])
    df.insert(0, "client_id", pd.array([f"c{i:07d}" for i in range(n)], dtype="str"))
    df.insert(1, "instrument", instrument)
    df.insert(2, "date", pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"))
    return df


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main() -> None:
    import effectstudy as es
    from effectstudy.errors import ProvisionalKeyWarning

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    for inst, lo, hi in (("scl90r", 0, 4), ("scl90_nl", 1, 5)):
        df = make_measurements(n, lo, hi, inst)
        before = peak_mb()
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ProvisionalKeyWarning)
            res = es.score(df, instrument=inst)
        dt = time.perf_counter() - t0
        k = len(res.meta["scales"])
        print(
            f"{inst}: {n:,} administrations x 90 items -> {len(res.scores):,} scores ({k} scales) "
            f"in {dt:.2f} s; peak RSS {peak_mb():,.0f} MB (before scoring {before:,.0f} MB); "
            f"prorated {res.meta['n_prorated']:,}, missing {res.meta['n_missing']}"
        )
        del res, df


if __name__ == "__main__":
    main()
