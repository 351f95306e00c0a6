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
