"""End to end: every stage of the effect study on a generated practice.

Run: .venv/bin/python benchmarks/run_study_generated.py [--n 200000] [--seed 2025] [--keep DIR]

Writes ``es.datasets.generate``'s practice as the Dutch-formatted CSV export
(``es.datasets.write_export``, chunk by chunk) to a temporary folder with a params file like
``params/demo.yaml``, then runs every ``Study`` stage the effect-study notebook calls (read and
validation, scoring, pairing, flow, sample, effect sizes, criteria, everyone who started (ITT)
and the baseline comparison, clinical significance, stagnation with its sensitivity table and
follow-up, treatment course, satisfaction, trajectories, ``not_on_track`` and its accuracy) and
prints, per stage, the wall time, the peak resident set size *of that stage* (the kernel's
high-water mark is reset before each stage through ``/proc/self/clear_refs``; where that is not
possible the process's peak so far is shown, marked ``*``) and, at the end, the number of
episodes the stagnation rules excluded as ``repeated_session``.  A stage that fails is reported
with its exception and the run goes on with the next stage; the exit status is 1 then.  The
params template, the stage list and the peak probes are shared with ``bench_study.py``
(``_study_stages.py``); since then ``pairing`` pairs every scale (before, ``effect_sizes`` paired
the three other scales itself).

Measured (issue 17, seed 2025, 2 cores): 200,000 episodes (462,131 measurements) ran every
stage to the end.  Under load from other jobs: writing the CSV 190 s, the stages 151 s (read +
validate 73 s).  On a quiet machine after the merge of issue 17 (2026-12-04): writing 16 s, the
stages 43 s (read + validate 8.6 s, effect sizes 5.0 s, scoring 3.8 s, ITT by multiple
imputation 3.7 s, the signal's accuracy 4.6 s and 4.4 s with the model, stagnation 0.3 s),
highest stage peak 2.2 GB (clinical significance); 38 episodes excluded as
``repeated_session`` by both stagnation and not_on_track.  At 20,000 episodes the run had
stopped at stagnation before (one such episode).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _study_stages import peak_mb, reset_peak, run_stages, write_params

import effectstudy as es


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="episodes to generate")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--keep", type=Path, default=None, help="write the export here and keep it")
    args = ap.parse_args(argv)
    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="es_e2e_")
        folder = Path(tmp.name)
    else:
        folder = args.keep
    print(f"effectstudy {es.__version__}: {args.n:,} episodes, seed {args.seed}, in {folder}", flush=True)
    t0 = time.perf_counter()
    reset_peak()
    meta = es.datasets.write_export(folder, n_episodes=args.n, seed=args.seed)
    print(f"  {'generate + write CSV':<32} {time.perf_counter() - t0:8.1f} s {peak_mb():9.0f} MB  "
          f"rows {meta['rows']}", flush=True)
    study = es.Study.from_params(write_params(folder, meta, args.n))
    rows, results = run_stages(study)
    total = sum(r[1] for r in rows)
    # the highest stage peak (ru_maxrss is reset with the kernel's mark, so it is not used)
    print(f"  {'all stages':<32} {total:8.1f} s {max(r[2] for r in rows):9.0f} MB (highest stage peak)")
    st = results.get("stagnation")
    if st is not None:
        m = st.meta
        s = st.summary().iloc[-1]
        print(f"stagnation: {m['n_original']:,} episodes, repeated_session excluded "
              f"{m['not_evaluable_reasons'].get('repeated_session', 0):,}, evaluable "
              f"{m['n_evaluable']:,} ({s['share_evaluable']:.1%}), rate {s['rate']:.1%} "
              f"[{s['ci_low']:.1%}, {s['ci_high']:.1%}]")
        print(f"  not evaluable by reason: {m['not_evaluable_reasons']}")
    nt = results.get("not_on_track")
    if nt is not None:
        print(f"not_on_track: repeated_session excluded "
              f"{nt.meta['not_evaluable_reasons'].get('repeated_session', 0):,}")
    sens = results.get("stagnation sensitivity")
    if sens is not None:
        print(sens.summary().to_string(index=False))
    failed = [r for r in rows if r[4]]
    for r in failed:
        print(f"FAILED {r[0]}: {r[4]}")
    if tmp is not None:
        tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
