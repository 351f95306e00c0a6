"""Benchmark the synthetic practice generator: time and peak memory.

Each case runs in a fresh Python process so that its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own.

Cases
-----
generate      ``effectstudy.datasets.generate(n)``: all tables in memory
iter_chunks   ``for chunk in iter_chunks(n)``: streaming, one chunk at a time
export        ``python -m effectstudy.datasets --out TMP --n-episodes n``: streaming CSV export
              (only with ``--export``; slow at 1,000,000 episodes because of CSV formatting)

Usage::

    .venv/bin/python benchmarks/bench_generate.py                 # 100,000 and 1,000,000
    .venv/bin/python benchmarks/bench_generate.py --sizes 100000 --export
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
mode, n = sys.argv[1], int(sys.argv[2])
import effectstudy.datasets as ds
ds.generate(2000, seed=1)  # warm caches (expected-value tables); excluded from the timing
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
out = {}
if mode == "generate":
    sp = ds.generate(n, seed=2025)
    out["rows"] = {k: len(getattr(sp, k)) for k in ("episodes", "measurements", "satisfaction")}
    out["table_mb"] = round(sum(getattr(sp, k).memory_usage(deep=True).sum()
                                for k in ("episodes", "measurements", "satisfaction", "truth")) / 2**20)
elif mode == "iter_chunks":
    rows = 0
    for chunk in ds.iter_chunks(n, seed=2025):
        rows += len(chunk.measurements)
    out["rows"] = {"measurements": rows}
elif mode == "export":
    from effectstudy.datasets.__main__ import main
    main(["--out", sys.argv[3], "--n-episodes", str(n), "--seed", "2025", "--quiet"])
out["seconds"] = round(time.perf_counter() - t0, 2)
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
out["baseline_rss_mb"] = round(base / 1024)
print(json.dumps(out))
"""


def run(mode: str, n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run([sys.executable, "-c", CHILD, mode, str(n), tmp], check=True,
                             capture_output=True, text=True)
        if mode == "export":
            import os

            size = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
    out = json.loads(res.stdout.strip().splitlines()[-1])
    if mode == "export":
        out["files_mb"] = round(size / 2**20)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--export", action="store_true", help="also time the streaming CSV export")
    args = ap.parse_args()
    modes = ["generate", "iter_chunks"] + (["export"] if args.export else [])
    print(f"{'case':<12} {'episodes':>10} {'seconds':>8} {'peak RSS MB':>12}  details")
    for n in args.sizes:
        for mode in modes:
            r = run(mode, n)
            details = {k: v for k, v in r.items() if k not in ("seconds", "peak_rss_mb")}
            print(f"{mode:<12} {n:>10,} {r['seconds']:>8.2f} {r['peak_rss_mb']:>12,}  {details}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
