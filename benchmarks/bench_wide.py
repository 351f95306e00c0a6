"""Benchmark the wide reshape (``effectstudy.data.wide.wide_to_long``) and a whole wide read.

A synthetic wide file of N rows (one per episode): client and episode id, and three measurements
(pre, interim, post) of date, session and four scale scores, as text; a tenth of the interims
and a fifth of the posts are empty.

Cases
-----
reshape   ``wide_to_long`` on the raw text rows (the reshape alone)
read      ``es.read_table`` of the same rows written as CSV (decode, reshape, types, checks)

Usage::

    .venv/bin/python benchmarks/bench_wide.py                  # 200,000 rows
    .venv/bin/python benchmarks/bench_wide.py --rows 50000 200000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import effectstudy as es
from effectstudy.core.params import FileSpec
from effectstudy.data.wide import wide_to_long

BLOCKS = {"voor": "pre", "tussen": "interim", "na": "post"}
SCALES = {"PSNEUR": (90, 450), "DEP": (16, 80), "ANG": (10, 50), "SOM": (12, 60)}


def wide_text(n: int, seed: int = 1) -> pd.DataFrame:
    """N wide rows as text (what a CSV reader hands over)."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("E", np.arange(n).astype(str))
    out = {"client": np.char.add("C", np.arange(n).astype(str)), "traject": ids}
    start = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    for k, (block, _) in enumerate(BLOCKS.items()):
        empty = rng.random(n) < (0, 0.1, 0.2)[k]
        date = (start + pd.to_timedelta(k * 40, unit="D")).strftime("%d-%m-%Y").to_numpy(dtype=object)
        date[empty] = ""
        out[f"datum_{block}"] = date
        sess = (1 + 5 * k + rng.integers(0, 3, n)).astype(str).astype(object)
        sess[empty] = ""
        out[f"sessie_{block}"] = sess
        for s, (lo, hi) in SCALES.items():
            v = rng.integers(lo, hi + 1, n).astype(str).astype(object)
            v[empty] = ""
            out[f"{s.lower()}_{block}"] = v
    return pd.DataFrame(out, dtype=object)


def spec(path: Path) -> FileSpec:
    return FileSpec(path=path, sep=";", values="scores", columns={"client": "client_id", "traject": "episode_id"},
                    wide={"instrument": "scl90_nl", "measurements": [
                        {"occasion": occ, "date": f"datum_{b}", "session": f"sessie_{b}",
                         "columns": {f"{s.lower()}_{b}": f"score_{s}" for s in SCALES}}
                        for b, occ in BLOCKS.items()]})


def run(n: int) -> dict:
    raw = wide_text(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.csv"
        raw.to_csv(path, sep=";", index=False)
        sp = spec(path)
        t0 = time.perf_counter()
        wl = wide_to_long(raw, np.arange(2, n + 2), sp, path.name)
        t_reshape = time.perf_counter() - t0
        t0 = time.perf_counter()
        t = es.read_table(sp, "measurements", today="2030-01-01")
        t_read = time.perf_counter() - t0
    flow = t.report.flow()
    assert int(flow["n"].sum()) == n  # every wide row used or excluded
    return {"rows": n, "long_rows": len(wl.data), "reshape_s": round(t_reshape, 3), "read_s": round(t_read, 3),
            "used": int(flow.loc[flow["status"] == "used", "n"].sum()), "measurements": len(t.data)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000])
    args = parser.parse_args()
    for n in args.rows:
        print(json.dumps(run(n)))


if __name__ == "__main__":
    main()
