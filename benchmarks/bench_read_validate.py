"""Benchmark: read + validate a synthetic practice from CSV and from Parquet, beside a typed pyarrow read.

Run::

    .venv/bin/python benchmarks/bench_read_validate.py                 # 1,000,000 episodes
    .venv/bin/python benchmarks/bench_read_validate.py --n-episodes 200000 --runs 5 --data /tmp/g200

Steps: generate the practice chunk by chunk with ``effectstudy.datasets`` and write it as a Dutch
CSV export (``;``, decimal comma, dd-mm-yyyy) and as Parquet in a temporary folder, or in
``--data`` (kept and reused when it holds the files; not timed as part of reading).  Then, each
in a fresh child process so that its peak memory is its own, ``--runs`` times, alternated:

* ``read_study`` on the CSV files (structure, typing, table and cross-table checks, row keys);
* the bound: a typed ``pyarrow.csv.read_csv`` of the same three files with the column types from
  the schema (``ConvertOptions(decimal_point=",", timestamp_parsers=["%d-%m-%Y"],
  column_types=...)``), no checks at all;
* the same two for Parquet (the bound: ``pyarrow.parquet.read_table``);
* the structural field-count check alone on ``measurements.csv``: the vectorised NumPy byte scan
  used by ``effectstudy.data.io`` against the C ``csv`` module (one Python iteration per record).

Printed: best and median wall time (``time.perf_counter``) of each, the ratio read_study / bound
(issue 19: within 4x), and the peak resident memory of the last child
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, KiB on Linux).

Figures (200,000 episodes, 462,623 measurements, 193,292 satisfaction rows; 2 cores shared with
five other sessions, load average 2 to 4.6 during the runs, so single times swing by 2x and more:
compare the ratios, taken from runs alternated with the bound):

=================  ====================  ====================  ================
read_study         before (best/median)  after (best/median)   bound (best)
=================  ====================  ====================  ================
CSV                8.60 s / 9.77 s       2.50 s / 3.47 s       2.08 s / 1.64 s
  ratio to bound   4.1x / 4.5x           1.5x / 1.6x
Parquet            3.30 s / 3.41 s       2.39 s / 2.97 s       1.17 s / 1.16 s
  ratio to bound   2.8x / 2.8x           2.1x / 2.2x
=================  ====================  ====================  ================

The bound column gives the bound's best in the before and in the after run.  Command (5 runs
after, 3 before; before = the same script with ``PYTHONPATH`` on a ``git archive`` of commit 99e33cd)::

    .venv/bin/python benchmarks/bench_read_validate.py --n-episodes 200000 --runs 5 --data /tmp/g200

Before: commit 99e33cd (text path for every CSV file); after: the typed Arrow read of clean
CSV files (``effectstudy.data.io._typed_csv``) and the Parquet/check changes of issue 19.
Peak RSS after: CSV 1293 MiB, Parquet 1422 MiB (pyarrow alone about 600 MiB).  Not measured
here: 1,000,000 episodes (the shared machine's limit for benchmarks was 200,000).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(out: Path, n: int) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from effectstudy.datasets import iter_chunks
    from effectstudy.datasets.export import write_tables

    t0 = time.perf_counter()
    writers: dict[str, pq.ParquetWriter] = {}
    rows = {"episodes": 0, "measurements": 0, "satisfaction": 0}
    for i, chunk in enumerate(iter_chunks(n, seed=1, chunk_size=131072)):
        write_tables(chunk, out, append=i > 0)
        for t in rows:
            df = getattr(chunk, t)
            rows[t] += len(df)
            tbl = pa.Table.from_pandas(df, preserve_index=False)
            if t not in writers:
                writers[t] = pq.ParquetWriter(out / f"{t}.parquet", tbl.schema)
            writers[t].write_table(tbl)
    for w in writers.values():
        w.close()
    return {"seconds": time.perf_counter() - t0, "rows": rows}


def child_read(folder: Path, fmt: str) -> dict:
    from effectstudy.core.params import DataSpec, FileSpec
    from effectstudy.data.io import read_study

    spec = DataSpec(**{t: FileSpec(path=folder / f"{t}.{fmt}") for t in ("episodes", "measurements", "satisfaction")})
    t0 = time.perf_counter()
    s = read_study(spec, on_fatal="return")
    secs = time.perf_counter() - t0
    fl = s.report.flow()
    return {"seconds": secs, "peak_mib": _peak_mib(), "fatal": s.report.fatal,
            "rows_read": dict(s.report.rows_read),
            "used": {t: int(fl.loc[(fl["table"] == t) & (fl["status"] == "used"), "n"].sum()) for t in s.report.rows_read},
            "problems": s.report.summary().to_dict(orient="records")}


def _bound_types(path: Path, table: str) -> dict:
    """Arrow column types of a CSV file's header from the schema (the typed read's bound)."""
    import pyarrow as pa

    from effectstudy.core.schema import TABLES

    spec = TABLES[table]
    kinds = {"int": pa.float64(), "float": pa.float64(), "date": pa.timestamp("s")}
    with path.open(encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n").split(";")
    return {h: kinds.get(spec.column(h).kind if h in spec.names else "float", pa.string()) for h in header}


def child_bound(folder: Path, fmt: str) -> dict:
    """The typed pyarrow read of the same files: the bound read_study is compared with."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    rows = 0
    for t in ("episodes", "measurements", "satisfaction"):
        path = folder / f"{t}.{fmt}"
        if fmt == "parquet":
            tbl = pq.read_table(path)
        else:
            tbl = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"),
                                 convert_options=pacsv.ConvertOptions(
                                     decimal_point=",", timestamp_parsers=["%d-%m-%Y"],
                                     column_types=_bound_types(path, t)))
        rows += tbl.num_rows
    return {"seconds": time.perf_counter() - t0, "peak_mib": _peak_mib(), "rows": rows}


def child_scan(path: Path, how: str) -> dict:
    import numpy as np

    from effectstudy.data.io import _field_counts_plain

    t0 = time.perf_counter()
    if how == "numpy":
        data = path.read_bytes()
        counts, blank, lines = _field_counts_plain(np.frombuffer(data, dtype=np.uint8), ord(";"))
        n, bad = len(counts) - 1, int((counts[1:] != counts[0]).sum())
    else:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, delimiter=";", strict=True)
            width = len(next(reader))
            n = bad = 0
            for rec in reader:
                n += 1
                bad += len(rec) != width
    return {"seconds": time.perf_counter() - t0, "peak_mib": _peak_mib(), "records": n, "ragged": bad}


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-episodes", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3, help="runs of each read (best and median shown)")
    ap.add_argument("--data", help="folder of an export to reuse (written there first when missing)")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, arg = a.child
        child = {"read": child_read, "bound": child_bound}.get(kind)
        res = child(Path(a.folder), arg) if child else child_scan(Path(a.folder), arg)
        print(json.dumps(res))
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(a.data) if a.data else Path(tmp)
        if not (out / "measurements.parquet").is_file():
            out.mkdir(parents=True, exist_ok=True)
            g = generate(out, a.n_episodes)
            print(f"generated {a.n_episodes:,} episodes in {g['seconds']:.1f} s: rows {g['rows']}")
        sizes = {p.name: p.stat().st_size / 2**20 for p in sorted(out.iterdir())}
        print("files (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in sizes.items()))
        for fmt in ("csv", "parquet"):
            reads, bounds = [], []
            for _ in range(a.runs):  # alternated, so that a burst of load from elsewhere hits both
                reads.append(run_child("--child", "read", fmt, "--folder", str(out)))
                bounds.append(run_child("--child", "bound", fmt, "--folder", str(out)))
            r = reads[-1]
            rs = sorted(x["seconds"] for x in reads)
            bs = sorted(x["seconds"] for x in bounds)
            print(f"read_study {fmt:8s}: best {rs[0]:6.2f} s, median {statistics.median(rs):6.2f} s | typed pyarrow "
                  f"read: best {bs[0]:6.2f} s, median {statistics.median(bs):6.2f} s | ratio best {rs[0] / bs[0]:4.1f}, "
                  f"median {statistics.median(rs) / statistics.median(bs):4.1f} ({a.runs} runs)")
            print(f"    peak RSS {r['peak_mib']:7.0f} MiB (pyarrow {bounds[-1]['peak_mib']:.0f}), fatal={r['fatal']}, "
                  f"read {r['rows_read']}, used {r['used']}")
            for p in r["problems"]:
                print(f"    {p['file']}: {p['rule']} ({p['severity']}): {p['n']}")
        for how in ("numpy", "csvmodule"):
            r = run_child("--child", "scan", how, "--folder", str(out / "measurements.csv"))
            print(f"field-count scan measurements.csv with {how:9s}: {r['seconds']:6.1f} s, peak RSS "
                  f"{r['peak_mib']:6.0f} MiB, {r['records']:,} records, {r['ragged']} ragged")


if __name__ == "__main__":
    main()
