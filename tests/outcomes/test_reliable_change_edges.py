"""Edges of es.reliable_change: an RCI exactly at the critical value through the verb, and
the HLM's missing times and minimum numbers (issue 21, item 3).

JT tie: pre scores 0, h and 2h (h = 23/16) have sample SD h exactly; with r_xx = 0.75,
S_diff = sqrt(2) * (h / 2) is one rounding, and patient 0 starts at 0, so its change is its
post score with no rounding.  ``C = crit * S_diff`` satisfies ``C / S_diff == crit``
exactly (asserted); ``math.nextafter`` gives the doubles just short of and just past it.

HLM: rows with a missing time are excluded and counted like rows with a missing score; a
subject needs 3 measurements with both, and the model needs 3 such subjects.  Expected
values are read from the reference input file (``tests/reference/r_outputs``) by hand.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import DataError, DataQualityWarning
from tests.reference import rref

H = 1.4375
S_DIFF = math.sqrt(2) * (H * 0.5)
CRIT = 1.959963984540054
C = CRIT * S_DIFF
SHORT, PAST = math.nextafter(C, 0.0), math.nextafter(C, math.inf)
assert C / S_DIFF == CRIT and SHORT / S_DIFF < CRIT < PAST / S_DIFF


@pytest.mark.parametrize("better_is", ["lower", "higher"])
@pytest.mark.parametrize(("change", "category"), [
    pytest.param(SHORT, "unchanged", id="short"),
    pytest.param(C, "unchanged", id="at_critical"),
    pytest.param(PAST, "improved", id="past"),
])
def test_jt_improvement_exactly_at_critical_value_is_unchanged(better_is, change, category):
    d = -1 if better_is == "lower" else 1
    df = pd.DataFrame({"id": [0, 1, 2] * 2, "t": ["pre"] * 3 + ["post"] * 3,
                       "y": [0.0, H, 2 * H, d * change, H, 2 * H]})
    res = es.reliable_change(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                             reliability=0.75, better_is=better_is)
    assert res.meta["s_diff"] == S_DIFF and res.meta["critical_value"] == CRIT
    assert res.patients.loc[0, "category"] == category
    # and the mirror image: the same change the other way is never "deteriorated" at the tie
    df.loc[3, "y"] = -d * change
    res = es.reliable_change(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                             reliability=0.75, better_is=better_is)
    assert res.patients.loc[0, "category"] == {"improved": "deteriorated"}.get(category,
                                                                              category)


def _hlm(df: pd.DataFrame):
    with pytest.warns(DataQualityWarning, match="excluded"):
        return es.reliable_change(df, subject="id", time="occasion", outcome="gsi",
                                  better_is="lower", method="hlm")


def test_hlm_row_with_missing_time_is_excluded_and_counted():
    df = rref.input_for(rref.case("dev_gsi_5waves__dist_HLM"))
    # the input has 6 rows with a missing score, and L22 keeps only 2 measurements
    assert df["gsi"].isna().sum() == 6 and df["occasion"].isna().sum() == 0
    last_l01 = df.index[(df["id"] == "L01") & (df["occasion"] == 5)]
    df["occasion"] = df["occasion"].astype(float)
    df.loc[last_l01, "occasion"] = np.nan  # L01's last row (gsi 2.08): time unknown
    res = _hlm(df)
    assert res.meta["exclusions"] == {"rows_missing_outcome_or_time": 7,
                                      "fewer_than_3_measurements": 1}
    assert res.meta["n_used"] == 24 and res.meta["hlm_n_obs"] == 125 - 7 - 2
    l01 = res.patients.loc["L01"]
    # the four rows left, in time order: 1.33 (occasion 1) ... 1.79 (occasion 4)
    assert (l01["n_measurements"], l01["pre"], l01["post"]) == (4, 1.33, 1.79)
    assert np.isfinite(res.patients["rci"]).all()


def test_hlm_missing_time_leaves_two_measurements_and_the_subject_is_excluded():
    df = rref.input_for(rref.case("dev_gsi_5waves__dist_HLM"))
    # L07 has exactly 3 measurements with a score (occasions 1, 2, 5): used as it is ...
    assert df.loc[df["id"] == "L07", "gsi"].notna().sum() == 3
    df["occasion"] = df["occasion"].astype(float)
    df.loc[(df["id"] == "L07") & (df["occasion"] == 2), "occasion"] = np.nan
    res = _hlm(df)  # ... and excluded when one of the three has no time
    assert "L07" not in res.patients.index
    assert res.meta["exclusions"] == {"rows_missing_outcome_or_time": 7,
                                      "fewer_than_3_measurements": 2}


def test_hlm_needs_three_subjects_after_missing_times_are_dropped():
    df = rref.input_for(rref.case("dev_gsi_5waves__dist_HLM"))
    df = df[df["id"].isin(["L01", "L02", "L07"])].copy()  # L07: exactly 3 measurements
    df["occasion"] = df["occasion"].astype(float)
    df.loc[(df["id"] == "L07") & (df["occasion"] == 2), "occasion"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.raises(DataError, match=r"2 subject\(s\) with >= 3 measurements"):
            es.reliable_change(df, subject="id", time="occasion", outcome="gsi",
                               better_is="lower", method="hlm")


def test_hlm_missing_subject_id_is_an_error_naming_the_row():
    """As for pre/post data: a row without a subject id cannot be attributed to a patient.
    (Before the fix the HLM path stopped with numpy's 'list' argument must have no negative
    elements.)"""
    df = rref.input_for(rref.case("dev_gsi_5waves__dist_HLM"))
    df.loc[df["id"] == "L01", "id"] = None  # rows 0-4
    with pytest.raises(DataError, match="row 0 id: missing subject id"):
        es.reliable_change(df, subject="id", time="occasion", outcome="gsi",
                           better_is="lower", method="hlm")
