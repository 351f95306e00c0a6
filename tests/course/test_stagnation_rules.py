"""Rules of es.stagnation at their edges (issue 21, mutation testing of stagnation.py).

Small hand-made trajectories: which subjects count for the baseline SD, what a subject that
cannot be judged shows, the percent criterion's positive-baseline rule at 0 and 1, the rate
with a single evaluable subject, what ``meta`` records, and the plotted intervals.
Every expected number is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.kernels.proportions import wilson_ci
from tests.course.test_stagnation import long, run

#: "b" (in the middle of the data) has no valid measurement: only missing outcomes
WITH_EMPTY = long({"a": [(1, 10.0), (4, 8.0)], "b": [(1, np.nan), (4, np.nan)],
                   "c": [(1, 14.0), (4, 14.0)]})


# ---------------------------------------------------------------- who counts for S_diff
def test_baseline_sd_counts_only_subjects_with_a_measurement():
    """Baselines 10 and 14 (b has none): SD = sqrt((2^2 + 2^2) / 1) = sqrt(8), n = 2;
    S_diff = sqrt(2) * sqrt(8) * sqrt(1 - 0.8) = 4 * sqrt(0.2)."""
    m = run(WITH_EMPTY).meta
    assert m["n_baseline"] == 2
    assert m["sd_baseline"] == pytest.approx(math.sqrt(8), rel=1e-12)
    assert m["s_diff"] == pytest.approx(4 * math.sqrt(0.2), rel=1e-12)


def test_single_subject_has_no_baseline_spread():
    with pytest.raises(DataError, match=r"baseline scores of 1 subject\(s\) have no spread "
                       r"\(SD = nan\)"):
        run(long({"a": [(1, 10.0), (4, 8.0)]}))


# ---------------------------------------------------------------- subjects not judged
@pytest.mark.parametrize("rule", ["early_no_progress", "deterioration"])
def test_subject_without_valid_measurement_shows_no_evaluation(rule):
    """b is not evaluable: no evaluation time, score, change or RCI of another subject."""
    p = run(WITH_EMPTY, rule=rule).patients
    b = p.loc["b"]
    assert b["status"] == "not_evaluable" and b["reason"] == "no_valid_measurement"
    for col in ("baseline", "eval_time", "eval_score", "change", "improvement", "rci"):
        assert np.isnan(b[col]), col
    assert p.loc["a", "eval_time"] == 4 and p.loc["c", "eval_time"] == 4


def test_percent_criterion_needs_a_baseline_above_zero_and_one_is_enough():
    """p = d (y - x) / x with d = -1: a 1 -> 0.5 gives 0.5 >= 0.25 (on track); a baseline of
    exactly 0 is not positive (not evaluable), a baseline of 1 is."""
    df = long({"a": [(1, 1.0), (4, 0.5)], "z": [(1, 0.0), (4, 0.0)], "c": [(1, 4.0), (4, 3.9)]})
    p = run(df, criterion="percent", threshold=0.25, reliability=None).patients
    assert p.loc["a", "status"] == "on_track" and p.loc["a", "pct_improvement"] == 0.5
    assert p.loc["z", "reason"] == "baseline_not_positive"
    assert p.loc["c", "status"] == "stagnated"  # (4 - 3.9) / 4 = 0.025 < 0.25


def test_percent_threshold_zero_is_refused():
    with pytest.raises(ArgumentError, match=r"threshold: got 0, expected a positive fraction"):
        run(WITH_EMPTY, criterion="percent", threshold=0, reliability=None)


# ---------------------------------------------------------------- summary and meta
def test_rate_with_one_evaluable_subject_is_its_status():
    """a stagnates (10 -> 10), b has a single measurement: rate = 1 / 1 = 1 with the Wilson
    interval of 1 of 1."""
    df = long({"a": [(1, 10.0), (4, 10.0)], "b": [(1, 14.0)]})
    s = run(df).summary()
    assert s.loc[0, "n_evaluable"] == 1 and s.loc[0, "n_stagnated"] == 1
    assert s.loc[0, "rate"] == 1.0
    lo, hi = wilson_ci(np.array([1]), np.array([1]), ci=0.95)
    assert (s.loc[0, "ci_low"], s.loc[0, "ci_high"]) == (lo[0], hi[0])


def test_reliability_from_the_registry_for_rci_only():
    """CORE-10 total: the registry's reliability 0.90 is used for the RCI (and named as its
    source); the percent criterion uses none and records none."""
    df = long({"a": [(1, 20.0), (4, 10.0)], "b": [(1, 24.0), (4, 23.0)]})
    m = es.stagnation(df, subject="id", time="t", outcome="y", instrument="core10",
                      scale="total").meta
    assert m["reliability"] == 0.9 and m["reliability_source"].startswith("registry core10")
    # baselines 20, 24: SD = sqrt(8); S_diff = sqrt(2) * sqrt(8) * sqrt(0.1) = 4 * sqrt(0.1)
    assert m["s_diff"] == pytest.approx(4 * math.sqrt(0.1), rel=1e-12)
    mp = es.stagnation(df, subject="id", time="t", outcome="y", instrument="core10",
                       scale="total", criterion="percent", threshold=0.25).meta
    assert "reliability" not in mp


@pytest.mark.parametrize(("rule", "meaning"), [
    ("early_no_progress", "stagnated when d*(eval - baseline)/baseline < threshold"),
    ("deterioration", "flagged when -d*(score - baseline)/baseline >= threshold"),
])
def test_meta_states_the_percent_rule_applied(rule, meaning):
    m = run(WITH_EMPTY, rule=rule, criterion="percent", threshold=0.25, reliability=None).meta
    assert m["threshold_meaning"] == meaning


def test_meta_records_the_window_as_inclusive():
    m = run(WITH_EMPTY, window=(3, 5)).meta
    assert m["window"] == [3.0, 5.0] and m["window_inclusive"] is True


# ---------------------------------------------------------------- plot
def test_plot_draws_each_rate_with_its_wilson_interval_groups_top_down():
    """The first group is drawn at the top and the overall row at the bottom; each error bar
    runs from ci_low to ci_high of .summary()."""
    import matplotlib.pyplot as plt

    df = long({"a": [(1, 10.0), (4, 10.0)], "b": [(1, 14.0), (4, 2.0)],
               "c": [(1, 12.0), (4, 12.0)]})
    df["g"] = df["id"].map({"a": "x", "b": "x", "c": "y"})
    res = run(df, group="g")
    s = res.summary()
    fig, ax = plt.subplots()
    try:
        res.plot(ax=ax, lang="en")
        ypos = ax.get_yticks()
        labels = [t.get_text() for t in ax.get_yticklabels()]
        top_down = [lab.split(" (")[0] for _, lab in sorted(zip(ypos, labels, strict=True),
                                                            reverse=True)]
        assert top_down == ["x", "y", "all"]  # the registered label, whatever was imported first
        (bars,) = ax.containers[0].lines[2]
        segs = sorted(bars.get_segments(), key=lambda seg: -seg[0][1])  # top down
        for seg, (_, row) in zip(segs, s.iterrows(), strict=True):
            assert seg[0][0] == pytest.approx(row["ci_low"], abs=1e-12)
            assert seg[1][0] == pytest.approx(row["ci_high"], abs=1e-12)
    finally:
        plt.close(fig)
