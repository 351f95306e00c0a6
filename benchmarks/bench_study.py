"""Benchmark: every ``Study`` stage of the effect study on N generated episodes, from CSV and Parquet.

Run::

    .venv/bin/python benchmarks/bench_study.py                          # 20k, 200k, 1M; csv + parquet; 3 runs
    .venv/bin/python benchmarks/bench_study.py --n 20000 --repeat 3 --format csv parquet
    .venv/bin/python benchmarks/bench_study.py --n 1000000 --keep /data/bench   # keep the files ...
    .venv/bin/python benchmarks/bench_study.py --n 1000000 --data /data/bench   # ... and reuse them
    .venv/bin/python benchmarks/bench_study.py --report --repeat 3      # the demo report only
    .venv/bin/python benchmarks/bench_study.py --n 20000 --json out.json --engine duckdb

What it measures (issue 19):

* **Data.**  Per N, ``es.datasets.write_export`` writes the practice once as the Dutch CSV export
  (``;``, decimal comma, ``%d-%m-%Y``); it is converted to Parquet with typed columns (ids and
  text as string, dates as ``date32``, whole numbers and items as integers, the grade as
  float, flags as bool), taking the types from ``effectstudy.core.schema``.  The params file is
  the one of ``run_study_generated.py`` (``_study_stages.py``), pointing at the ``.csv`` or the
  ``.parquet`` files (the reader picks the format by suffix); ``--engine`` other than pandas is
  written as ``data.engine``.
* **Stages.**  Each run is a fresh child process (no warm caches; its own peak RSS) that runs
  every stage the effect-study notebook calls (read + validate ... ``not_on_track_accuracy``
  with the model, stagnation included).  Per stage: wall time min and median over the runs,
  and the stage's own peak RSS (VmHWM reset before each stage through
  ``/proc/self/clear_refs``), the highest over the runs; the total per run (min, median) and the
  process peak (the highest stage peak: every stage is covered).
* **Bounds, measured in the same run.**  (a) the typed read of the same files, each in a fresh
  child: ``pyarrow.csv.read_csv`` with explicit column types, ``delimiter=";"``,
  ``decimal_point=","``, ``timestamp_parsers=["%d-%m-%Y"]``, and ``pyarrow.parquet.read_table``;
  printed beside read + validate with the ratio and the 4x target; for context (no target)
  also the same tables turned into pandas frames (``to_pandas``).  (b) a NumPy pass for the
  arithmetic, in the child on the run's own paired scores (extracting the arrays is not
  timed): per scale and per grouping (all, diagnosis, care type) means, SDs, pre/post
  correlation, Cohen's d, the paired t and a signed-rank sum (ordinal ranks), and for the
  primary scale the Jacobson-Truax RCI with the reliability the package used, cut-off a and the
  five categories with Wilson intervals; beside the ``effect_sizes`` + ``clinical_significance``
  stages.  Its category counts are checked against the package's.
* **Targets.**  1,000,000 episodes, every stage: at most 60 s and 6 GB peak from Parquet, at
  most 90 s from CSV; read + validate within 4x of the typed pyarrow read; the effect-study
  report on the demo data within 15 s.  A verdict line per target; at other N the measured
  figure is shown with a linear extrapolation to 1,000,000 (marked as such, no verdict).
* ``--report``: the effect-study report on the demo data, exactly as ``make demo`` makes it
  (``effectstudy run --no-progress notebooks/effect_study.ipynb -f params/demo.yaml``: papermill,
  then HTML), R times, written to a temporary folder (``-o``) instead of ``reports/``.

Measured (2026-12-04, seed 2025, the same files; 2-core Firecracker VM with nested
virtualisation and free page reporting (``page_reporting.page_reporting_order=11``): memory a
process frees goes back to the host, and the next first touch must be backed again; a
huge-page first touch took 0.1-3.4 s per GiB from one fresh process to the next, a 4 KB-page
one 0.4-0.5 s (the machine lines this script now prints), so runs of the same code differ by up
to 50%; in-process, read + validate spent 0.6-6.5 s of system time beside 2.8-3.6 s of user
time; runs after a warm-up (12 GB written by NumPy, the files read into the page cache);
"before" is main at 86a1bc7, "2nd" to "4th" the issue-19 landings fb1e5d6, d1b9ceb and
7cb845a (the 1st, e144ced: CHANGELOG); min / median of the runs, each a fresh process; MB and
GB are MiB and GiB):

======================================  ===========  =============  =============  =============
                                        before       2nd            3rd            4th
======================================  ===========  =============  =============  =============
**1,000,000 episodes, Parquet** (runs)  (1)          (3)            (3, twice)     (3, twice)
all stages                              223.2 s      49.0 / 53.7 s  53.4 / 59.2 s; 50.8 / 55.8 s;
                                                                    62.1 / 62.7 s  51.3 / 51.4 s
highest stage peak RSS                  8.9 GB       6024 MB        6031; 6035 MB  6058; 6069 MB
read + validate                         21.4 s       5.67 / 5.87 s  4.46 / 4.72 s; 2.98 / 3.24 s;
                                                                    6.71 / 7.22 s  3.03 / 3.06 s
typed read (bare Arrow table), ratio    0.54-0.87 s  0.51 s 11x     0.53 s 8.4x    0.51 s 5.9x
the same read into pandas frames        -            -              -              0.81 s (3.7x)
**1,000,000 episodes, CSV** (runs)      (1)          (1)            (3)            (3)
all stages                              248.4 s      62.1 s         63.6 / 64.3 s  59.8 / 61.6 s
read + validate                         53.3 s       14.35 s        9.56 / 13.77 s 9.20 / 9.44 s
typed read (pyarrow.csv), ratio         2.6 s 20.6x  3.0 s 4.8x     2.76 s 3.5x    2.72 s 3.4x
**RC + CS at 100,000 patients**         58 / 59 /    19.4 / 15.9 /  (unchanged)    (unchanged)
(str / category / int; NumPy 4 ms)      34 ms        13.0 ms
**the demo effect-study report** (3)    18.4 / 20.8  8.3 / 8.8 s    7.5 / 7.6 s    8.3 / 8.8 s
======================================  ===========  =============  =============  =============

Read + validate alternated with the previous landing in one period (fresh processes, each
beside the typed read; ``PYTHONPATH`` on a worktree of the previous landing), min / median:
3rd against 2nd, Parquet 5.51 / 7.19 s to 4.43 / 6.54 s, CSV 10.01 / 13.69 s to 8.39 / 11.11 s;
4th against 3rd (5 alternations for Parquet, 3 for CSV), Parquet 4.49 / 5.52 s to 2.79 / 4.29 s
(typed read 0.50-0.54 s, one outlier 1.26 s), CSV 9.63 / 12.36 s to 9.73 / 10.74 s (typed read
2.65-2.94 s).

Fifth landing (the benchmark only), two runs of ``--n 1000000 --format parquet csv --repeat
3``, the first with a thread for the row keys (reverted: no gain on two cores), the second
with read + validate as in the 4th, the machine lines reading 0.11-0.45 s/GiB
(huge pages) and 0.40-0.51 s/GiB (4 KB): Parquet read + validate 2.48 / 2.66 s and 2.50 /
2.74 s = 4.9x the typed read (0.51 s; 2.7-3.1x the same read into pandas frames), user CPU
3.0-3.6 s and system 0.6-2.4 s per run; all stages 45.2 / 50.5 s and 46.8 / 56.5 s, peak
6078 and 6068 MB; CSV read + validate 8.11 / 9.25 s and 8.52 / 9.34 s = 3.0x and 2.8x (typed
read 2.68 and 3.04 s), all stages 54.8 / 60.5 s and 58.9 / 61.2 s.

Targets met at the min of the runs (fifth landing): 1M from Parquet, every stage (45.2 and
46.8 s <= 60 s; peak 6078 MB = 5.94 GiB <= 6 GiB, 6.37 GB in decimal units), 1M from CSV (54.8
and 58.9 s <= 90 s), read + validate from CSV within 4x of the typed read (2.8-3.0x), RC + CS
(<= 30 ms for every label dtype, 3-5x the NumPy pass), the demo report (<= 15 s).  Missed:
read + validate from Parquet within 4x of its typed read (4.9x; 5.9x at the 4th landing with
the same code in a slower phase of the VM).  The typed read is a bare Arrow table of int8
items: 0.51 s, 0.6-0.7 s of CPU.  Read + validate also builds the 1.66 GB float block that
the frame contract asks for (items ``float64``: 0.28-0.47 s warm, most of it first touch),
encodes 4.3M episode ids, 2.3M client ids and the coded columns (0.57-0.67 s on two threads),
checks 207M item cells (0.35 s, beside the other checks), makes 174,000 row keys (0.35-0.48 s,
one HMAC per client) and looks up and compares across tables (0.2 s): 3.0-3.6 s of user CPU,
so on two cores no order of the work comes under 1.5 s before the first touch of the block
and 4x the bound is 2.04 s.  At 1M from Parquet the largest stages are scoring with
Cronbach's alpha (min 6.6-6.8 s, median 10.9-14.3 s), pairing the four scales (6.2-6.5 s),
not_on_track (5.3 s, most of it the REML fits), ITT (4.0-4.3 s), read + validate (2.5 s).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _study_stages import peak_mb, reset_peak, run_stages, write_params

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TABLES = ("episodes", "measurements", "satisfaction")
MILLION = 1_000_000
#: target seconds / GB for 1,000,000 episodes, by format
TARGET_S = {"parquet": 60.0, "csv": 90.0}
TARGET_GB = {"parquet": 6.0}
TARGET_READ_RATIO = 4.0
TARGET_REPORT_S = 15.0


# --------------------------------------------------------------------------- data

def csv_types(path: Path, table: str) -> dict:
    """The pyarrow column types of one export file, from its header and the package schema."""
    import pyarrow as pa

    from effectstudy.core.schema import TABLES as SCHEMA

    arrow = {"str": pa.string(), "category": pa.string(), "date": pa.timestamp("s"), "int": pa.int32(),
             "float": pa.float64(), "bool": pa.bool_()}
    spec = SCHEMA[table]
    header = path.open(encoding="utf-8").readline().rstrip("\r\n").split(";")
    types = {}
    for name in header:
        if name in spec.names:
            types[name] = arrow[spec.column(name).kind]
        elif name.startswith("item_"):
            types[name] = pa.int8()
        else:
            types[name] = pa.string()
    return types


def typed_read(folder: Path, fmt: str, types: dict | None = None) -> dict:
    """The bound: a typed pyarrow read of the three files; ``{table: pyarrow.Table}``.

    ``types``: the CSV column types per table (:func:`csv_types`, which imports the package
    schema: computed before the read is timed).
    """
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if fmt == "csv" and types is None:
        types = {t: csv_types(folder / f"{t}.csv", t) for t in TABLES}
    out = {}
    for t in TABLES:
        if fmt == "parquet":
            out[t] = pq.read_table(folder / f"{t}.parquet")
            continue
        path = folder / f"{t}.csv"
        out[t] = pcsv.read_csv(
            path, parse_options=pcsv.ParseOptions(delimiter=";"),
            convert_options=pcsv.ConvertOptions(column_types=types[t], decimal_point=",",
                                                timestamp_parsers=["%d-%m-%Y"]))
    return out


def to_parquet(folder: Path) -> None:
    """The CSV export as typed Parquet (dates as ``date32``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for t, tbl in typed_read(folder, "csv").items():
        for i, f in enumerate(tbl.schema):
            if pa.types.is_timestamp(f.type):
                tbl = tbl.set_column(i, pa.field(f.name, pa.date32()), tbl.column(i).cast(pa.date32()))
        pq.write_table(tbl, folder / f"{t}.parquet")


def prepare(folder: Path, n: int, seed: int, formats: list[str]) -> dict:
    """Write (or reuse) the export of ``n`` episodes in ``folder``; its meta with the timings."""
    import effectstudy as es

    folder.mkdir(parents=True, exist_ok=True)
    meta_path = folder / "export.json"
    if meta_path.exists() and all((folder / f"{t}.csv").exists() for t in TABLES):
        meta = json.loads(meta_path.read_text())
        print(f"{n:,} episodes: reusing the export in {folder}", flush=True)
    else:
        t0 = time.perf_counter()
        meta = es.datasets.write_export(folder, n_episodes=n, seed=seed)
        meta = {k: (v if isinstance(v, (int, float, dict, list)) else str(v)) for k, v in meta.items()}
        meta["write_csv_s"] = time.perf_counter() - t0
        meta_path.write_text(json.dumps(meta, indent=1))
        print(f"{n:,} episodes: generated + wrote CSV in {meta['write_csv_s']:.1f} s, rows {meta['rows']}",
              flush=True)
    if "parquet" in formats and not all((folder / f"{t}.parquet").exists() for t in TABLES):
        t0 = time.perf_counter()
        to_parquet(folder)
        meta["write_parquet_s"] = time.perf_counter() - t0
        meta_path.write_text(json.dumps(meta, indent=1))
        print(f"  converted to typed Parquet in {meta['write_parquet_s']:.1f} s", flush=True)
    meta["mb"] = {p.name: p.stat().st_size / 2**20 for p in sorted(folder.iterdir())
                  if p.suffix in (".csv", ".parquet")}
    return meta


# --------------------------------------------------------------------------- children

def numpy_pass(study, results: dict, reps: int = 5) -> dict:
    """The arithmetic of ``effect_sizes`` + ``clinical_significance`` in plain NumPy (min of ``reps``)."""
    import numpy as np
    import pandas as pd

    a = study.analysis
    arrays = []
    for scale in a.scales:
        d = study.pairs(scale).data
        w = d.pivot_table(index="episode_id", columns="time", values="score", aggfunc="first").dropna()
        g = d.drop_duplicates("episode_id").set_index("episode_id").loc[w.index]
        codes = [np.zeros(len(w), dtype=np.intp)] + [pd.factorize(g[c])[0] for c in a.groups]
        arrays.append((w["pre"].to_numpy(float), w["post"].to_numpy(float), codes))
    cs = results.get("clinical_significance")
    rel = float(cs.meta["reliability"]) if cs is not None else 0.9
    z = 1.959963984540054

    def once() -> np.ndarray:
        keep, cat_counts = [], None
        for k, (pre, post, codes) in enumerate(arrays):
            diff = post - pre
            for c in codes:
                m = int(c.max()) + 1
                n = np.bincount(c, minlength=m).astype(float)
                mp, mq = np.bincount(c, pre, m) / n, np.bincount(c, post, m) / n
                vp = (np.bincount(c, pre * pre, m) - n * mp**2) / (n - 1)
                vq = (np.bincount(c, post * post, m) - n * mq**2) / (n - 1)
                cov = (np.bincount(c, pre * post, m) - n * mp * mq) / (n - 1)
                r = cov / np.sqrt(vp * vq)
                md = mq - mp
                t = md / (np.sqrt(vp + vq - 2 * cov) / np.sqrt(n))
                d = md / np.sqrt(vp) * (1 - 3 / (4 * (n - 1) - 1))   # method b, small-sample adjusted
                se = np.sqrt(1 / n + d**2 / (2 * n)) * np.sqrt(2 * (1 - r))
                o = np.lexsort((np.abs(diff), c))        # signed ranks within each group (ordinal)
                start = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.intp)
                rank = np.empty(len(diff))
                rank[o] = np.arange(len(diff)) - start[c[o]] + 1
                v = np.bincount(c, np.where(diff > 0, rank, 0.0), m)
                keep.append((mp, mq, r, t, d, d - z * se, d + z * se, v))
            if k == 0:                                   # the primary scale: JT + cut-off a
                sd = pre.std(ddof=1)
                rci = diff / (np.sqrt(2) * sd * np.sqrt(1 - rel))
                cut = pre.mean() - 2 * sd
                better, worse = rci < -z, rci > z
                cat = np.select([better & (pre >= cut) & (post < cut), better,
                                 worse & (pre < cut) & (post >= cut), worse], [0, 1, 4, 3], 2)
                cat_counts = np.bincount(cat, minlength=5)
                nn = len(cat)
                p = cat_counts / nn
                centre = (p + z**2 / (2 * nn)) / (1 + z**2 / nn)
                half = z * np.sqrt(p * (1 - p) / nn + z**2 / (4 * nn**2)) / (1 + z**2 / nn)
                keep.append((centre - half, centre + half))
        return cat_counts

    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        counts = once()
        best = min(best, time.perf_counter() - t0)
    match = None
    if cs is not None:
        pkg = cs.summary().set_index("category")["n"]
        match = [int(x) for x in counts] == [int(pkg.get(c, 0)) for c in
                                             ("recovered", "improved", "unchanged", "deteriorated", "harmed")]
    return {"seconds": best, "n_pairs": len(arrays[0][0]), "categories": [int(x) for x in counts],
            "categories_match": match}


def child_study(params: Path) -> dict:
    """One run of every stage (in this fresh process)."""
    import effectstudy as es

    reset_peak()
    try:
        study = es.Study.from_params(params)
    except Exception as exc:  # noqa: BLE001 - e.g. data.engine not known to this version
        return {"error": f"{type(exc).__name__}: {exc}"}
    rows, results = run_stages(study, echo=False)
    nb = numpy_pass(study, results) if "clinical_significance" in results else None
    return {"stages": [{"stage": r[0], "seconds": r[1], "peak_mb": r[2], "reset": r[3], "error": r[4],
                        "user_s": r[5], "sys_s": r[6]} for r in rows], "numpy": nb}


def child_read(folder: Path, fmt: str) -> dict:
    """One typed pyarrow read (in this fresh process)."""
    import pandas  # noqa: F401 - the imports are not part of the read (the stages' child has
    import pyarrow.csv  # noqa: F401 - imported effectstudy, pandas and pyarrow before its first stage);
    import pyarrow.dataset  # noqa: F401 - read_table imports pyarrow.dataset, and that pandas
    import pyarrow.parquet  # noqa: F401

    types = {t: csv_types(folder / f"{t}.csv", t) for t in TABLES} if fmt == "csv" else None
    reset_peak()
    t0 = time.perf_counter()
    tbls = typed_read(folder, fmt, types)
    seconds, peak = time.perf_counter() - t0, peak_mb()
    rows = {t: v.num_rows for t, v in tbls.items()}
    t1 = time.perf_counter()
    frames = {t: tbls.pop(t).to_pandas() for t in list(tbls)}  # the same tables as pandas frames
    return {"seconds": seconds, "peak_mb": peak, "rows": rows,
            "to_pandas_seconds": seconds + time.perf_counter() - t1, "frame_rows": sum(map(len, frames.values()))}


def child_touch(gib: float = 1.0) -> dict:
    """The first touch of ``gib`` GiB of fresh memory (in this fresh process): NumPy allocates
    it (in huge pages where ``NUMPY_MADVISE_HUGEPAGE`` allows) and one write fills it; a
    second write gives the cost of the same pages once backed."""
    import resource

    import numpy as np

    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    block = np.empty(int(gib * 2**30) // 8)
    block[:] = 1.0
    t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    block[:] = 2.0
    return {"first_s": (t1 - t0) / gib, "sys_s": (r1.ru_stime - r0.ru_stime) / gib,
            "again_s": (time.perf_counter() - t1) / gib}


def machine_context(repeat: int) -> dict:
    """:func:`child_touch` in fresh processes, alternately with huge pages (NumPy's default) and
    with 4 KB pages, printed as seconds per GiB.  The first touch is the kernel's (and a VM's
    host's) work of backing new memory; it is part of every stage that builds a large array,
    and on a VM that hands freed memory back to its host (free page reporting) it can exceed
    the arithmetic."""
    import os

    out: dict = {"huge": [], "4k": []}
    for _ in range(repeat):
        for kind, flag in (("huge", "1"), ("4k", "0")):
            out[kind].append(run_child("--child-touch", env={**os.environ, "NUMPY_MADVISE_HUGEPAGE": flag}))
    for kind, name in (("huge", "huge pages"), ("4k", "4 KB pages")):
        firsts = [r["first_s"] for r in out[kind]]
        print(f"  machine: first touch of fresh memory, {name:<10} " + ", ".join(f"{x:.2f}" for x in firsts)
              + f" s/GiB (again: {statistics.median(r['again_s'] for r in out[kind]):.2f} s/GiB)")
    return out


def run_child(*args: str, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- summary

def _mm(xs: list[float]) -> tuple[float, float]:
    return min(xs), statistics.median(xs)


def _ok(good: bool) -> str:
    return "✓" if good else "✗"


def bench_n(n: int, fmt: str, folder: Path, meta: dict, args) -> dict:
    """R runs of every stage and R typed reads for one N and format; prints the table."""
    params = write_params(folder, meta, n, fmt, engine=None if args.engine == "pandas" else args.engine,
                          name=f"params_{fmt}.yaml")
    runs = [run_child("--child-study", str(params)) for _ in range(args.repeat)]
    if "error" in runs[0]:
        v = f"{n:,} episodes from {fmt} (engine {args.engine}): the params were not accepted ✗"
        print(f"\n{v}\n  {runs[0]['error']}")
        return {"n": n, "format": fmt, "engine": args.engine, "error": runs[0]["error"], "verdicts": [v]}
    reads = [run_child("--child-read", str(folder), fmt) for _ in range(args.repeat)]
    names = [s["stage"] for s in runs[0]["stages"]]
    per = {nm: [r["stages"][i] for r in runs] for i, nm in enumerate(names)}
    totals = [sum(s["seconds"] for s in r["stages"]) for r in runs]
    peak = max(s["peak_mb"] for r in runs for s in r["stages"])
    print(f"\n{n:,} episodes from {fmt} ({args.repeat} runs, each a fresh process; engine {args.engine})")
    print(f"  {'stage':<32} {'min s':>8} {'median s':>9} {'peak MB':>9}")
    out_stages = []
    for nm in names:
        lo, med = _mm([s["seconds"] for s in per[nm]])
        pk = max(s["peak_mb"] for s in per[nm])
        errs = sorted({s["error"] for s in per[nm] if s["error"]})
        print(f"  {nm:<32} {lo:8.2f} {med:9.2f} {pk:9.0f}" + (f"  FAILED {errs[0][:200]}" if errs else ""))
        out_stages.append({"stage": nm, "min_s": lo, "median_s": med, "peak_mb": pk, "errors": errs})
    lo, med = _mm(totals)
    print(f"  {'all stages':<32} {lo:8.2f} {med:9.2f} {peak:9.0f}  (process peak: the highest stage peak)")
    rd_lo, rd_med = _mm([r["seconds"] for r in reads])
    rd_peak = max(r["peak_mb"] for r in reads)
    rv = per["read + validate"]
    rv_lo, rv_med = _mm([s["seconds"] for s in rv])
    ratio = rv_lo / rd_lo
    cpu = [(s["user_s"], s["sys_s"]) for s in rv]
    print(f"  {'  CPU (user; system), per run':<32} " + ", ".join(f"{u:.1f}; {y:.1f}" for u, y in cpu)
          + " s  (system: mostly the first touch of new memory)")
    bound = "pyarrow.csv.read_csv, typed" if fmt == "csv" else "pyarrow.parquet.read_table"
    print(f"  bound (a) {bound:<30} {rd_lo:8.2f} {rd_med:9.2f} {rd_peak:9.0f}")
    tp_lo, tp_med = _mm([r["to_pandas_seconds"] for r in reads])
    print(f"  (a) into pandas frames (to_pandas)   {tp_lo:8.2f} {tp_med:9.2f}  for context, not a "
          f"target: read + validate = {rv_lo / tp_lo:.1f}x it")
    nps = [r["numpy"] for r in runs if r["numpy"]]
    arith = None
    if nps:
        np_lo, np_med = _mm([x["seconds"] for x in nps])
        arith = {k: _mm([s["seconds"] for s in per[k]]) for k in ("effect_sizes", "clinical_significance")}
        pkg_lo = arith["effect_sizes"][0] + arith["clinical_significance"][0]
        print(f"  bound (b) NumPy pass ({nps[0]['n_pairs']:,} pairs) {np_lo * 1e3:8.1f} ms "
              f"{np_med * 1e3:6.1f} ms; effect_sizes + clinical_significance {pkg_lo:.2f} s = "
              f"{pkg_lo / np_lo:,.0f}x; categories {'match' if nps[0]['categories_match'] else 'DIFFER'} "
              f"{nps[0]['categories']}")
    verdicts = [f"{n:,} episodes from {fmt}: read + validate {rv_lo:.2f} s = {ratio:.1f}x the typed read "
                f"({rd_lo:.2f} s) ≤ {TARGET_READ_RATIO:.0f}x {_ok(ratio <= TARGET_READ_RATIO)}"]
    gb = peak / 1024
    if n == MILLION:
        v = f"{n:,} episodes from {fmt}: {lo:.1f} s ≤ {TARGET_S[fmt]:.0f} s {_ok(lo <= TARGET_S[fmt])}"
        if fmt in TARGET_GB:
            v += f", peak {gb:.1f} GB ≤ {TARGET_GB[fmt]:.0f} GB {_ok(gb <= TARGET_GB[fmt])}"
        verdicts.append(v)
    else:
        f = MILLION / n
        v = (f"{n:,} episodes from {fmt}: {lo:.1f} s, peak {gb:.2f} GB (target at 1,000,000: "
             f"≤ {TARGET_S[fmt]:.0f} s" + (f", ≤ {TARGET_GB[fmt]:.0f} GB" if fmt in TARGET_GB else "")
             + f"; linear extrapolation {lo * f:.0f} s, no verdict)")
        verdicts.append(v)
    failed = sorted({s["stage"] for r in runs for s in r["stages"] if s["error"]})
    if failed:
        verdicts.append(f"{n:,} episodes from {fmt}: FAILED stages {failed} ✗")
    for v in verdicts:
        print("  " + v)
    return {"n": n, "format": fmt, "engine": args.engine, "repeat": args.repeat, "stages": out_stages,
            "total_min_s": lo, "total_median_s": med, "peak_mb": peak,
            "typed_read": {"bound": bound, "min_s": rd_lo, "median_s": rd_med, "peak_mb": rd_peak,
                           "to_pandas_min_s": tp_lo, "to_pandas_median_s": tp_med},
            "read_validate_ratio": ratio, "numpy": nps, "verdicts": verdicts, "runs": runs}


def bench_report(repeat: int) -> dict:
    """``make demo``'s effect-study report (papermill + HTML), ``repeat`` times, each timed."""
    exe = Path(sys.executable).with_name("effectstudy")
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="es_bench_report_") as out:
            t0 = time.perf_counter()
            r = subprocess.run([str(exe), "run", "--no-progress", "notebooks/effect_study.ipynb",
                                "-f", "params/demo.yaml", "-o", out], cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if r.returncode:
                raise RuntimeError(f"effectstudy run failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    lo, med = _mm(times)
    v = f"effect-study report on the demo data: {lo:.1f} s (median {med:.1f} s) ≤ {TARGET_REPORT_S:.0f} s " \
        f"{_ok(lo <= TARGET_REPORT_S)}"
    print(f"\neffectstudy run notebooks/effect_study.ipynb -f params/demo.yaml ({repeat} runs): "
          + ", ".join(f"{t:.1f}" for t in times) + " s")
    print("  " + v)
    return {"runs_s": times, "min_s": lo, "median_s": med, "verdict": v}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Exit status 1 when a stage failed or the params were not accepted "
                                        "(a missed target is a verdict line, not a failure).")
    ap.add_argument("--n", type=int, nargs="+", default=None,
                    help="episodes to generate (default 20000 200000 1000000; none with --report alone)")
    ap.add_argument("--format", nargs="+", choices=["csv", "parquet"], default=["csv", "parquet"])
    ap.add_argument("--repeat", type=int, default=3, help="runs per stage list (min and median)")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--keep", type=Path, default=None, help="write the files to DIR/n<N>/ and keep them")
    ap.add_argument("--data", type=Path, default=None, help="reuse the files in DIR/n<N>/ (written when missing)")
    ap.add_argument("--engine", choices=["pandas", "duckdb"], default="pandas",
                    help="data.engine in the params (written only when not pandas)")
    ap.add_argument("--report", action="store_true", help="time the effect-study report on the demo data")
    ap.add_argument("--json", type=Path, default=None, help="write every figure to this file")
    ap.add_argument("--child-study", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-read", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-touch", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_touch:
        print(json.dumps(child_touch()))
        return 0
    if args.child_study:
        print(json.dumps(child_study(args.child_study)))
        return 0
    if args.child_read:
        print(json.dumps(child_read(Path(args.child_read[0]), args.child_read[1])))
        return 0
    ns = args.n if args.n is not None else ([] if args.report else [20_000, 200_000, MILLION])
    import effectstudy as es

    print(f"effectstudy {es.__version__}, seed {args.seed}, formats {args.format}, {args.repeat} runs", flush=True)
    figures: dict = {"version": es.__version__, "seed": args.seed, "results": []}
    if ns:  # the machine context of the stage figures (the report alone needs none)
        figures["first_touch"] = machine_context(args.repeat)
    base = args.data or args.keep
    tmp = None if base else tempfile.TemporaryDirectory(prefix="es_bench_study_")
    root = Path(base) if base else Path(tmp.name)
    bad = False
    try:
        for n in ns:
            folder = root / f"n{n}"
            meta = prepare(folder, n, args.seed, args.format)
            print("  files (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in meta["mb"].items()))
            figures.setdefault("data", {})[str(n)] = meta
            for fmt in args.format:
                res = bench_n(n, fmt, folder, meta, args)
                figures["results"].append(res)
                bad |= "error" in res or any("FAILED" in v for v in res["verdicts"])
        if args.report:
            figures["report"] = bench_report(args.repeat)
    finally:
        if tmp is not None:
            tmp.cleanup()
    if figures["results"] or args.report:
        print("\nverdicts:")
        for res in figures["results"]:
            for v in res["verdicts"]:
                print("  " + v)
        if args.report:
            print("  " + figures["report"]["verdict"])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
