"""Edges of es.stagnation: a change exactly at the RCI critical value (issue 21, boundary
promise: improvement and deterioration are strict, as in clinicalsignificance).

The tie is built exactly.  Baselines 0, h and 2h with h = 23/16 have mean h and sample SD h
exactly (every step is exact in binary); with r_xx = 0.75, S_diff = sqrt(2) * (h * 0.5) is
one rounding of sqrt(2) * 0.71875.  The subject under test starts at 0, so its change is its
evaluation score itself, with no rounding.  ``C = crit * S_diff`` happens to satisfy
``C / S_diff == crit`` exactly (asserted below); ``math.nextafter`` gives the neighbouring
doubles, whose RCIs are just below and just above the critical value.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import effectstudy as es

H = 1.4375                        # 23/16
S_DIFF = math.sqrt(2) * (H * 0.5)  # r_xx = 0.75: SE = SD * sqrt(0.25) = SD / 2, exactly
CRIT = 1.959963984540054          # z_0.975
C = CRIT * S_DIFF
SHORT, PAST = math.nextafter(C, 0.0), math.nextafter(C, math.inf)
assert C / S_DIFF == CRIT and SHORT / S_DIFF < CRIT < PAST / S_DIFF


def _run(score: float, *, rule: str, better_is: str, later: float = 0.0):
    """Subject "x" starts at 0 (t = 1) and scores ``score`` at t = 4 (in the window 3-5),
    then ``later`` at t = 8; "y" and "z" start at h and 2h and do not change."""
    df = pd.DataFrame({
        "id": ["x", "x", "x", "y", "y", "z", "z"],
        "t": [1, 4, 8, 1, 4, 1, 4],
        "score": [0.0, score, later, H, H, 2 * H, 2 * H]})
    res = es.stagnation(df, subject="id", time="t", outcome="score", better_is=better_is,
                        reliability=0.75, rule=rule, window=(3, 5))
    assert res.meta["s_diff"] == S_DIFF and res.meta["critical_value"] == CRIT
    return res.patients.loc["x"]


@pytest.mark.parametrize("better_is", ["lower", "higher"])
@pytest.mark.parametrize(("change", "status"), [
    pytest.param(SHORT, "stagnated", id="short"),
    pytest.param(C, "stagnated", id="at_critical"),  # not a reliable improvement
    pytest.param(PAST, "on_track", id="past"),
])
def test_early_no_progress_improvement_exactly_at_critical_value_is_stagnated(
        better_is, change, status):
    d = -1 if better_is == "lower" else 1
    x = _run(d * change, rule="early_no_progress", better_is=better_is, later=d * change)
    assert x["eval_time"] == 4
    assert d * x["rci"] == CRIT if change == C else d * x["rci"] != CRIT
    assert x["status"] == status


@pytest.mark.parametrize("better_is", ["lower", "higher"])
@pytest.mark.parametrize(("worsening", "status"), [
    pytest.param(SHORT, "on_track", id="short"),
    pytest.param(C, "on_track", id="at_critical"),  # not a reliable deterioration
    pytest.param(PAST, "stagnated", id="past"),
])
def test_deterioration_exactly_at_critical_value_is_not_flagged(better_is, worsening, status):
    d = -1 if better_is == "lower" else 1
    # worse at t = 4, back to baseline at t = 8: flagged only at t = 4
    x = _run(-d * worsening, rule="deterioration", better_is=better_is, later=0.0)
    assert x["status"] == status
    assert x["eval_time"] == (4 if status == "stagnated" else 8)


# ---------------------------------------------------------------- sensitivity table (issue 17)
def _early(score: float, better_is: str):
    """As :func:`_run` for ``early_no_progress``, returning the whole result."""
    df = pd.DataFrame({
        "id": ["x", "x", "y", "y", "z", "z"],
        "t": [1, 4, 1, 4, 1, 4],
        "score": [0.0, score, H, H, 2 * H, 2 * H]})
    return es.stagnation(df, subject="id", time="t", outcome="score", better_is=better_is,
                         reliability=0.75, window=(3, 5))


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_sensitivity_critical_value_edges(better_is):
    """x's improvement is exactly CRIT * S_diff: at that critical value and above it is
    stagnated (not reliable), just below it on track; y and z never improve."""
    d = -1 if better_is == "lower" else 1
    res = _early(d * C, better_is)
    below, above = math.nextafter(CRIT, 0.0), math.nextafter(CRIT, math.inf)
    tab = res.sensitivity(thresholds=[below, CRIT, above], windows=[(3, 5)]).summary()
    assert tab["rule_threshold"].tolist() == [below, CRIT, above]
    assert tab["n_stagnated"].tolist() == [2, 3, 3]
    assert tab["current"].tolist() == [False, True, False]
    # the row of the result's own setting is its summary
    own = tab[tab["current"]].iloc[0]
    s = res.summary().iloc[0]
    for col in ("n", "n_evaluable", "n_stagnated", "rate", "ci_low", "ci_high",
                "share_evaluable"):
        assert own[col] == s[col]
    assert own["threshold_points"] == CRIT * S_DIFF
    assert own["alpha_two_sided"] == pytest.approx(0.05, abs=1e-12)


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_sensitivity_percent_edges(better_is):
    """x goes from 200 to 150 (lower is better; mirrored for higher): exactly 25 % better,
    so on track at a threshold of 0.25 and below, stagnated just above it."""
    d = -1 if better_is == "lower" else 1
    df = pd.DataFrame({"id": ["x", "x", "y", "y"], "t": [1, 4, 1, 4],
                       "score": [200.0, 200.0 + d * 50.0, 100.0, 100.0]})
    res = es.stagnation(df, subject="id", time="t", outcome="score", better_is=better_is,
                        criterion="percent", threshold=0.25)
    assert res.patients.loc["x", "pct_improvement"] == 0.25
    below, above = math.nextafter(0.25, 0.0), math.nextafter(0.25, 1.0)
    tab = res.sensitivity(thresholds=[above, 0.25, below], windows=[(3, 5)]).summary()
    assert tab["rule_threshold"].tolist() == [below, 0.25, above]  # sorted
    assert tab["n_stagnated"].tolist() == [1, 1, 2]  # y (no change) is always stagnated
    assert "alpha_two_sided" not in tab and "threshold_points" not in tab
    assert tab["mean_progress"].iloc[0] == pytest.approx(0.125)


def test_sensitivity_window_edges():
    """The window is inclusive: x's only early measurement at t = 5 is evaluated by (3, 5)
    and (5, 6), not by (3, 4.999) or (5.001, 6)."""
    df = pd.DataFrame({"id": ["x", "x", "y", "y"], "t": [1, 5, 1, 4],
                       "score": [200.0, 100.0, 180.0, 179.0]})
    res = es.stagnation(df, subject="id", time="t", outcome="score", better_is="lower",
                        criterion="percent", threshold=0.2)
    tab = res.sensitivity(thresholds=[0.2],
                          windows=[(3, 4.999), (5, 6), (5.001, 6), (3, 5)]).summary()
    wins = list(zip(tab["window_start"], tab["window_end"], strict=True))
    assert wins == [(3, 5), (3, 4.999), (5, 6), (5.001, 6)]  # own window first, no repeat
    assert tab["n_evaluable"].tolist() == [2, 1, 1, 0]
    assert tab["n_stagnated"].tolist() == [1, 1, 0, 0]
    assert np.isnan(tab["rate"].iloc[3]) and np.isnan(tab["mean_progress"].iloc[3])
    assert tab["share_evaluable"].tolist() == [1.0, 0.5, 0.5, 0.0]
