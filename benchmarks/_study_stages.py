"""Shared by ``run_study_generated.py`` and ``bench_study.py``: the params file of a generated
practice, the per-stage peak-RSS probes and the list of ``Study`` stages the effect-study
notebook calls, run one after the other in this process.

Not a benchmark itself (``make bench`` runs ``benchmarks/bench_*.py`` only).
"""

from __future__ import annotations

import resource
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

PARAMS = """\
report: effect_study
title: "Effectstudie (gegenereerd, {n} trajecten)"
language: nl
export_date: "{export_date}"
data:
{data}  codes:
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

#: the data block per input format: the Dutch CSV export of ``es.datasets.write_export``, or
#: the same tables as typed Parquet (format by suffix; no separator, decimal or date format)
DATA = {
    "csv": """\
  episodes:     {path: episodes.csv,     sep: ";", decimal: ",", date_format: "%d-%m-%Y"}
  measurements: {path: measurements.csv, sep: ";", decimal: ",", date_format: "%d-%m-%Y"}
  satisfaction: {path: satisfaction.csv, sep: ";", decimal: ","}
""",
    "parquet": """\
  episodes:     {path: episodes.parquet}
  measurements: {path: measurements.parquet}
  satisfaction: {path: satisfaction.parquet}
""",
}


def write_params(folder: Path, meta: dict, n: int, fmt: str = "csv", engine: str | None = None,
                 name: str = "params.yaml") -> Path:
    """The params file of the export in ``folder`` (``meta`` from ``es.datasets.write_export``)."""
    y0 = int(meta["start_year"])
    data = DATA[fmt] + (f"  engine: {engine}\n" if engine else "")
    path = folder / name
    path.write_text(PARAMS.format(
        n=n, export_date="-".join(reversed(str(meta["export_date"]).split("-"))),
        y0=y0, y1=y0 + int(meta["years"]) - 1, data=data), encoding="utf-8")
    return path


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False if not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """VmHWM (peak RSS since the last reset) in MB, else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stages(study: Any) -> list[tuple[str, Callable[[], Any]]]:
    """Every stage of the effect-study notebook, in its order, as ``(name, call)``.

    ``pairing`` pairs every scale of ``analysis.scales`` (the pairs are cached by the study), so
    that ``effect_sizes`` measures the effect sizes, not the pairing of the other scales.
    """
    return [
        ("read + validate", lambda: study.input),
        ("consent + selection", lambda: study.episodes),
        ("scoring", lambda: study.scores),
        ("pairing", lambda: [study.pairs(s) for s in study.analysis.scales]),
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


def run_stages(study: Any, echo: bool = True) -> tuple[list[tuple[str, float, float, bool, str, float, float]], dict]:
    """Run each stage once; ``(rows, results)`` with rows ``(stage, seconds, peak MB, reset, error,
    user CPU seconds, system CPU seconds)`` (the process's, every thread's).

    The peak is the stage's own (the mark is reset before it; ``reset`` False: the process's
    peak so far).  A stage that fails is reported with its exception (traceback on stderr) and
    the run goes on with the next stage.
    """
    rows, results = [], {}
    for name, fn in stages(study):
        reset = reset_peak()
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        err = ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results[name] = fn()
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            err = f"{type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
        seconds, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
        rows.append((name, seconds, peak_mb(), reset, err, r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime))
        if echo:
            print(f"  {name:<32} {rows[-1][1]:8.1f} s {rows[-1][2]:9.0f} MB{'' if reset else '*'}"
                  + (f"  FAILED {err[:300]}" if err else ""), flush=True)
    return rows, results
