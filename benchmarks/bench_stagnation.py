"""Benchmark: es.stagnation and es.not_on_track on synthetic episodes.

Run: .venv/bin/python benchmarks/bench_stagnation.py [--quick]

Prints wall time (best of several runs) and peak memory (tracemalloc peak of the call, and
the process's maximum resident set size).  Targets (issue 5): ``early_no_progress`` on
1,000,000 episodes x 5 measurements < 5 s; ``es.not_on_track`` (5-fold cross-fitted mixed
model) on 100,000 episodes < 60 s.  The data are built directly as arrays (not through the
SCL-90 generator): sessions 1 (intake), 3-5 (one or two early measurements), a later
session and the last session, with log-linear trajectories for responders and flat ones
for non-responders.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

import effectstudy as es


def episodes(n: int, k: int = 5, seed: int = 1) -> pd.DataFrame:
    """``n`` episodes x ``k`` measurements in long format, rows shuffled."""
    rng = np.random.default_rng(seed)
    planned = 8 + rng.negative_binomial(3, 0.25, n)  # last session, mean about 17
    s = np.empty((n, k))
    s[:, 0] = 1
    s[:, 1] = rng.integers(2, 4, n)  # 2-3
    s[:, 2] = s[:, 1] + rng.integers(1, 3, n)  # 3-5
    s[:, 3] = s[:, 2] + 1 + rng.integers(1, 4, n)
    s[:, 4] = np.maximum(planned, s[:, 3] + 1)
    s = s[:, :k]
    intake = rng.normal(200, 40, n)
    responder = rng.random(n) < 0.7
    slope = np.where(responder, -rng.lognormal(np.log(35), 0.35, n), 0.0)
    y = (intake[:, None] + (slope * (0.6 + intake / 500))[:, None] * np.log(s)
         + rng.normal(0, 12, (n, k)))
    ids = np.repeat(np.arange(n, dtype=np.int64), k)
    order = rng.permutation(n * k)
    return pd.DataFrame({"episode": ids[order], "session": s.ravel()[order],
                         "score": y.ravel()[order],
                         "completed": np.repeat(rng.random(n) < 0.8, k)[order]})


def measure(label: str, fn, repeat: int):
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best = min(times)
    print(f"{label:<62} best {best:8.2f} s  median {np.median(times):8.2f} s"
          f"  (n runs {repeat})  peak traced {peak / 2**20:7.1f} MiB", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 / 20,000 episodes only")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}")
    n_early = 100_000 if args.quick else 1_000_000
    n_not = 20_000 if args.quick else 100_000
    df = episodes(n_early)
    kw = dict(subject="episode", time="session", outcome="score", better_is="lower")
    for crit, extra in (("rci", {"reliability": 0.9}), ("percent", {"threshold": 0.25})):
        res = measure(f"early_no_progress ({crit}), {n_early:,} episodes x 5 measurements",
                      lambda crit=crit, extra=extra: es.stagnation(
                          df, rule="early_no_progress", window=(3, 5), criterion=crit,
                          **extra, **kw), 3)
        print(f"    stagnation rate {res.summary()['rate'].iloc[0]:.3f}, "
              f"not evaluable {res.meta['n_not_evaluable']:,}")
    measure(f"deterioration (rci), {n_early:,} episodes x 5 measurements",
            lambda: es.stagnation(df, rule="deterioration", reliability=0.9, **kw), 3)
    del df
    df = episodes(n_not, seed=2)
    res = measure(f"not_on_track (5 folds, reference=completed), {n_not:,} episodes x 5",
                  lambda: es.not_on_track(df, reference="completed", **kw),
                  2)
    s = res.summary()
    print(f"    flagged rate {s['rate'].iloc[0]:.3f}; per-measurement beyond band "
          f"{res.meta['rate_measurements_beyond_band']:.3f} (nominal {1 - res.meta['level']:.2f})"
          f"; fits converged {all(f['converged'] for f in res.meta['fits'])}")
    # worst case for the fit: every episode has its own (non-integer) times, so no two
    # subjects share a design and the per-design sums do not shrink
    df["session"] = df["session"] + np.where(df["session"] > 1, np.random.default_rng(3)
                                             .uniform(-0.45, 0.45, len(df)), 0.0)
    measure(f"not_on_track, own times per episode, {n_not:,} episodes x 5",
            lambda: es.not_on_track(df, reference="completed", **kw), 2)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process max RSS {rss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
