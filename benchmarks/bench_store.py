"""Study-store benchmark: import time for 100,000 episodes' measurements, re-import, overlap, verify.

Run:  .venv/bin/python benchmarks/bench_store.py [--episodes 100000] [--seed 1]

Prints wall time per step and the peak resident memory (``ru_maxrss``) of the process.
The raw exports are Parquet files written beforehand (their bytes are hashed and archived,
the rows are passed to the store as DataFrames, as :func:`effectstudy.data.io.read_table` would).
Also times keyed pseudonymisation of every client id (one HMAC per distinct id).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from effectstudy.datasets import generate
from effectstudy.privacy.pseudonyms import PseudonymKey, generate_key, pseudonymise
from effectstudy.privacy.store import StudyStore


def peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"{label:<58s} {dt:8.2f} s   peak RSS {peak_mb():8.0f} MB")
    return out, dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    sp, _ = timed(f"generate {args.episodes:,} episodes (not part of the import)",
                  lambda: generate(n_episodes=args.episodes, seed=args.seed))
    eps, m = sp.episodes, sp.measurements
    n_items = sum(c.startswith("item_") for c in m.columns)
    print(f"episodes {len(eps):,}; measurements {len(m):,} rows x {n_items} items")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        m = m.sort_values("date", kind="stable").reset_index(drop=True)
        cut = int(len(m) * 0.9)
        first, full = m.iloc[:cut], m
        timed("write raw exports (parquet; not part of the import)", lambda: (
            eps.to_parquet(d / "episodes.parquet"), first.to_parquet(d / "rom-1.parquet"),
            full.to_parquet(d / "rom-2.parquet")))
        store = StudyStore(d / "data" / "study.duckdb")
        r, _ = timed("import episodes", lambda: store.import_export(d / "episodes.parquet", table="episodes", frame=eps))
        r, t1 = timed(f"import measurements export 1 ({len(first):,} rows)",
                      lambda: store.import_export(d / "rom-1.parquet", table="measurements", frame=first))
        print(f"   {r.message()}  -> {len(first) / t1:,.0f} rows/s")
        r, _ = timed("re-import export 1 (no-op, hash only)",
                     lambda: store.import_export(d / "rom-1.parquet", table="measurements", frame=first))
        assert r.status == "already_imported"
        r, t2 = timed(f"import overlapping export 2 ({len(full):,} rows, 10% new)",
                      lambda: store.import_export(d / "rom-2.parquet", table="measurements", frame=full))
        print(f"   {r.message()}  -> {len(full) / t2:,.0f} rows/s")
        rep, _ = timed("verify (re-hash raw files, audit-log chain)", store.verify)
        assert rep.ok, rep.message()
        print(f"   database size {store.path.stat().st_size / 2**20:,.0f} MB; "
              f"raw archive {sum(p.stat().st_size for p in store.raw_dir.rglob('*')) / 2**20:,.0f} MB")
        key = PseudonymKey(generate_key())
        ids = pd.concat([eps["client_id"], m["client_id"]], ignore_index=True)
        p, dt = timed(f"pseudonymise {len(ids):,} client ids ({eps['client_id'].nunique():,} distinct)",
                      lambda: pseudonymise(ids, key, domain="client"))
        print(f"   {eps['client_id'].nunique() / dt:,.0f} distinct ids/s")


if __name__ == "__main__":
    main()
