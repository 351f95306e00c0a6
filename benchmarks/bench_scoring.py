"""Benchmark: score 1,000,000 SCL-90 administrations (90 items) with all scales.

Run: ``.venv/bin/python benchmarks/bench_scoring.py [n_administrations]``

Prints, for the SCL-90-R (13 scales incl. GSI/PST/PSDI) and the Dutch SCL-90 (10 scales incl.
PSNEUR): wall time of ``es.score`` (first and best of 3 runs), the peak memory allocated during
one ``es.score`` call (tracemalloc, which numpy and pandas report to), the resident memory of
the process holding the input, and the process peak (``ru_maxrss``; includes generating the
synthetic input, whose temporaries are the largest allocation of the script).
Target (issue 3): under 5 s and under 3 GB on the 2-core machine.
The data are synthetic: random codes with about 1% missing items.
Issue 19 (2026-12-04, quiet machine): blocks of 16,384 administrations instead of 131,072
(``scoring._CHUNK``): scl90_nl best 1.06 s (was 1.48 s), scl90r 1.43 s (was 1.68 s), peak
allocated 468 MB (was 537 MB); in the Study pipeline at 200,000 episodes scoring went from
1.1 s to 0.35 s (best of 3, the same scores).
"""

from __future__ import annotations

import gc
import resource
import sys
import time
import tracemalloc
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
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb() -> float:
    """Current resident memory of this process."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    import effectstudy as es
    from effectstudy.core.errors import ProvisionalKeyWarning

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = 3
    print(f"effectstudy {es.__version__}; {n:,} administrations x 90 items; {repeats} timed runs each")
    for inst, lo, hi in (("scl90r", 0, 4), ("scl90_nl", 1, 5)):
        df = make_measurements(n, lo, hi, inst)
        gc.collect()
        rss_input = rss_mb()
        times = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ProvisionalKeyWarning)
            for _ in range(repeats):
                t0 = time.perf_counter()
                res = es.score(df, instrument=inst)
                times.append(time.perf_counter() - t0)
                k = len(res.meta["scales"])
                n_scores, prorated, missing = len(res.scores), res.meta["n_prorated"], res.meta["n_missing"]
                del res
                gc.collect()
            tracemalloc.start()
            res = es.score(df, instrument=inst)
            traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            out_mb = res.scores.memory_usage(deep=False).sum() / 2**20
            del res
        print(
            f"{inst}: {n_scores:,} scores ({k} scales); time first {times[0]:.2f} s, "
            f"best {min(times):.2f} s, all {', '.join(f'{t:.2f}' for t in times)}; "
            f"peak allocated during es.score {traced_peak:,.0f} MB (tracemalloc; result table {out_mb:,.0f} MB); "
            f"process RSS with input {rss_input:,.0f} MB, process peak RSS so far {peak_mb():,.0f} MB; "
            f"prorated {prorated:,}, missing {missing}"
        )
        del df
        gc.collect()


if __name__ == "__main__":
    main()
