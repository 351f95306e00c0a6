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
with its exception and the run goes on with the next stage; the exit status is 1 then.

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
import resource
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import effectstudy as es

PARAMS = """\
report: effect_study
title: "Effectstudie (gegenereerd, {n} trajecten)"
language: nl
export_date: "{export_date}"
data:
  episodes:     {{path: episodes.csv,     sep: ";", decimal: ",", date_format: "%d-%m-%Y"}}
  measurements: {{path: measurements.csv, sep: ";", decimal: ",", date_format: "%d-%m-%Y"}}
  satisfaction: {{path: satisfaction.csv, sep: ";", decimal: ","}}
  codes:
    therapist: [T01, T02, T03, T04, T05, T06, T07, T08, T09, T10, T11, T12]
selection:
  consent: study
  years: [{y0}, {y1}]
analysis:
  instrument: scl90_nl
  scales: [PSNEUR, DEP, ANG, SOM]
  groups: [diagnosis, care_type]
  pre_window: [-30, 14]
  post_window: [-30, 30]
  effect_size: {{method: b, adjust: true}}
  reliable_change: {{method: jt, reliability: sample, cutoff: a}}
  stagnation: {{rule: early_no_progress, window: [3, 5], time: session, criterion: rci}}
disclosure: {{min_n: 10, round_to: 5}}
"""


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    """VmHWM (peak RSS since the last reset) in MB, else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stages(study: es.Study) -> tuple[list[tuple[str, float, float, bool, str]], dict]:
    """Run each stage once; ``(rows, results)`` with rows ``(stage, seconds, peak MB, reset, error)``."""
    stages = [
        ("read + validate", lambda: study.input),
        ("consent + selection", lambda: study.episodes),
        ("scoring", lambda: study.scores),
        ("pairing", lambda: study.pairs()),
        ("flow", study.flow),
        ("sample", study.sample),
        ("effect_sizes", study.effect_sizes),
        ("clinical_significance", study.clinical_significance),
        ("criteria", lambda: study.criteria),
        ("itt (multiple imputation)", study.itt),
        ("baseline_comparison", study.baseline_comparison),
        ("clinical_significance by group", lambda: study.clinical_significance(group=study.analysis.groups[0])),
        ("approaches", study.approaches),
        ("stagnation", study.stagnation),
        ("stagnation sensitivity", lambda: study.stagnation().sensitivity()),
        ("stagnation_followup", study.stagnation_followup),
        ("treatment_course", study.treatment_course),
        ("satisfaction", study.satisfaction),
        ("trajectories", study.trajectories),
        ("not_on_track", study.not_on_track),
        ("not_on_track_accuracy", study.not_on_track_accuracy),
        ("not_on_track_accuracy (model)", lambda: study.not_on_track_accuracy(signal="model")),
    ]
    rows, results = [], {}
    for name, fn in stages:
        reset = _reset_peak()
        t0 = time.perf_counter()
        err = ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results[name] = fn()
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            err = f"{type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
        rows.append((name, time.perf_counter() - t0, _peak_mb(), reset, err))
        print(f"  {name:<32} {rows[-1][1]:8.1f} s {rows[-1][2]:9.0f} MB{'' if reset else '*'}"
              + (f"  FAILED {err[:300]}" if err else ""), flush=True)
    return rows, results


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
    _reset_peak()
    meta = es.datasets.write_export(folder, n_episodes=args.n, seed=args.seed)
    print(f"  {'generate + write CSV':<32} {time.perf_counter() - t0:8.1f} s {_peak_mb():9.0f} MB  "
          f"rows {meta['rows']}", flush=True)
    y0 = int(meta["start_year"])
    (folder / "params.yaml").write_text(PARAMS.format(
        n=args.n, export_date="-".join(reversed(str(meta["export_date"]).split("-"))),
        y0=y0, y1=y0 + int(meta["years"]) - 1), encoding="utf-8")
    study = es.Study.from_params(folder / "params.yaml")
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
