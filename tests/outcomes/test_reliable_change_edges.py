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
from tests.outcomes.frames import prepost_long as _long
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


# -- summary, constant post scores, method names, NK meta (mutation testing) ---------------
ARGS = dict(subject="id", time="t", outcome="y", pre="pre", post="post", better_is="lower")


def test_summary_lists_every_group_of_a_categorical_column_and_every_category_in_order():
    """Group C has no patients: its counts are 0 and its proportions undefined (NaN), not
    dropped.  The category column is ordered improved < unchanged < deteriorated.
    RCI by hand: SD_pre of (10, 12, 14, 16) = sqrt(20/3) = 2.582; S_diff = sqrt(2) * 2.582
    * sqrt(0.2) = 1.633; changes -8 (RCI -4.9, improved), 0, 0, +8 (4.9, deteriorated)."""
    g = pd.Categorical(["A", "A", "B", "B"] * 2, categories=["A", "B", "C"])
    res = es.reliable_change(_long([10, 12, 14, 16], [2, 12, 14, 24], g=g), **ARGS,
                             reliability=0.8, group="g")
    s = res.summary()
    assert s["group"].tolist() == ["A"] * 3 + ["B"] * 3 + ["C"] * 3
    assert s["n"].tolist() == [1, 1, 0, 0, 1, 1, 0, 0, 0]
    assert s["proportion"].iloc[:6].tolist() == [0.5, 0.5, 0, 0, 0.5, 0.5]
    assert s["proportion"].iloc[6:].isna().all()
    assert s["category"].dtype == pd.CategoricalDtype(["improved", "unchanged", "deteriorated"],
                                                      ordered=True)
    assert es.reliable_change(_long([10, 12, 14, 16], [2, 12, 14, 24]), **ARGS,
                              reliability=0.8).summary()["category"].cat.ordered


def test_jt_classifies_with_constant_post_scores_but_ha_needs_their_variance():
    """JT's standard error uses the pre SD only (SD_pre = 2.582, S_diff = 1.633 as above):
    changes -2, -4, -6, -8 give RCIs -1.22, -2.45, -3.67, -4.90, so one unchanged and three
    improved.  HA needs r(pre, post), undefined when the post scores do not vary."""
    df = _long([10, 12, 14, 16], [8, 8, 8, 8])
    res = es.reliable_change(df, **ARGS, reliability=0.8)
    assert res.patients["category"].tolist() == ["unchanged", "improved", "improved", "improved"]
    with pytest.raises(DataError, match="the post scores have zero variance; the HA method"):
        es.reliable_change(df, **ARGS, reliability=0.8, method="ha")


def test_method_name_is_case_insensitive():
    df = _long([10, 12, 14, 16], [2, 12, 14, 24])
    res = es.reliable_change(df, **ARGS, reliability=0.8, method="JT")
    assert res.meta["method"] == "jt"
    assert res.patients["category"].tolist() == ["improved", "unchanged", "unchanged",
                                                 "deteriorated"]


def test_nk_records_where_the_post_reliability_came_from():
    df = _long([10, 12, 14, 16], [2, 12, 14, 24])
    nk = es.reliable_change(df, **ARGS, reliability=0.8, method="nk")
    assert nk.meta["reliability_post_source"] == "defaulted to reliability"
    nk = es.reliable_change(df, **ARGS, reliability=0.8, method="nk", reliability_post=0.7)
    assert nk.meta["reliability_post_source"] == "argument"
    assert "reliability_post_source" not in es.reliable_change(df, **ARGS, reliability=0.8).meta


# -- HLM: subjects without usable rows, exactly three subjects, group, change ---------------
def test_hlm_subject_without_any_usable_row_counts_as_too_few_measurements():
    df = rref.input_for(rref.case("dev_gsi_5waves__dist_HLM"))
    df.loc[df["id"] == "L01", "gsi"] = np.nan  # all 5 rows of L01 lose their score
    # 6 rows already missing + 5 of L01; L22 (2 measurements) and L01 (none) too few
    res = _hlm(df)
    assert res.meta["exclusions"] == {"rows_missing_outcome_or_time": 11,
                                      "fewer_than_3_measurements": 2}
    assert res.meta["n_original"] == 25 and res.meta["n_used"] == 23


def test_hlm_fits_exactly_three_subjects_and_warns_at_the_callers_line():
    """Three subjects is the minimum (two are an error, test above).  This small fit is
    singular; the warning points at the line that called the verb (this file)."""
    df = rref.input_for(rref.case("dev_gsi_5waves__dist_HLM"))
    df = df[df["id"].isin(["L01", "L02", "L03"])]
    with pytest.warns(DataQualityWarning, match="HLM fit is singular") as rec:
        res = es.reliable_change(df, subject="id", time="occasion", outcome="gsi",
                                 better_is="lower", method="hlm")
    assert res.patients.index.tolist() == ["L01", "L02", "L03"]
    assert [w.filename for w in rec] == [__file__]


def test_hlm_group_is_the_one_at_the_first_measurement():
    """The group is read from each subject's first measurement (here only the intake row
    carries it); a subject without one is excluded and counted.  ``change`` = last - first."""
    df = rref.input_for(rref.case("dev_gsi_5waves__dist_HLM")).astype({"occasion": float})
    first = df["occasion"] == 1
    df["arm"] = None
    df.loc[first, "arm"] = np.where(df.loc[first, "id"] < "L13", "A", "B")
    df.loc[df["id"] == "L02", "arm"] = None
    with pytest.warns(DataQualityWarning, match="missing_group 1"):
        res = es.reliable_change(df, subject="id", time="occasion", outcome="gsi",
                                 better_is="lower", method="hlm", group="arm")
    p = res.patients
    assert "L02" not in p.index
    assert p.loc["L01", "group"] == "A" and p.loc["L13", "group"] == "B"
    # L01: first 1.33 (occasion 1), last 2.08 (occasion 5)
    assert (p.loc["L01", "pre"], p.loc["L01", "post"]) == (1.33, 2.08)
    assert p.loc["L01", "change"] == 2.08 - 1.33
    assert (p["change"] == p["post"] - p["pre"]).all()
    assert res.meta["exclusions"]["missing_group"] == 1


def test_hlm_missing_subject_id_is_an_error_naming_the_row():
    """As for pre/post data: a row without a subject id cannot be attributed to a patient.
    (Before the fix the HLM path stopped with numpy's 'list' argument must have no negative
    elements.)"""
    df = rref.input_for(rref.case("dev_gsi_5waves__dist_HLM"))
    df.loc[df["id"] == "L01", "id"] = None  # rows 0-4
    with pytest.raises(DataError, match="row 0 id: missing subject id"):
        es.reliable_change(df, subject="id", time="occasion", outcome="gsi",
                           better_is="lower", method="hlm")
