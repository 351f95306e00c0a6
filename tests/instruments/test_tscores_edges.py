"""Edges of es.t_scores: values at, just inside and just outside each threshold.

Scale range of the PHQ-9 total: 0..27.  A user table need not cover the range; a score outside
it is an error, a score exactly at its first or last raw point is converted.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

import effectstudy as es
from effectstudy import instruments
from effectstudy.core.errors import ArgumentError, DataError, ProvisionalKeyWarning

SRC = {"source": "s"}


def scores(*vals: float, scale: str = "total") -> pd.DataFrame:
    return pd.DataFrame({"scale": [scale] * len(vals), "score": list(vals)})


def t_of(vals, norm, instrument="phq9"):
    return es.t_scores(scores(*vals), instrument=instrument, norm=norm, scales="total")["t_score"].tolist()


def test_scores_at_the_ends_of_the_scale_range_are_converted():
    # T = 50 + 10 (x - 10) / 5: 0 -> 30, 27 -> 84
    assert t_of([0, 27], {"mean": 10, "sd": 5, **SRC}) == [30.0, 84.0]


@pytest.mark.parametrize("x", [-0.5, 27.5])
def test_scores_just_outside_the_scale_range_are_refused(x):
    with pytest.raises(DataError, match=r"expected a score of scale total within its range 0\.\.27"):
        t_of([x], {"mean": 10, "sd": 5, **SRC})


def test_scores_at_the_ends_of_a_table_are_converted_just_outside_refused():
    norm = {"raw": [5, 20], "t": [40, 70], **SRC}
    assert t_of([5, 20], norm) == [40.0, 70.0]
    for x in (4.5, 20.5):
        with pytest.raises(DataError, match=r"expected a raw score within 5\.\.20, the table"):
            t_of([x], norm)


def test_out_of_range_is_reported_before_out_of_table():
    """One score outside the scale range and one inside: the range error, naming the first bad row."""
    with pytest.raises(DataError, match=r"row 0 score: .*found 28\.0, expected a score of scale total within its range"):
        t_of([28, 10], {"raw": [0, 18], "t": [30, 60], **SRC})


def test_sd_must_be_positive_but_may_be_below_one():
    with pytest.raises(ArgumentError, match="a positive sd"):
        t_of([5], {"mean": 5, "sd": 0, **SRC})
    assert t_of([5.5], {"mean": 5, "sd": 0.5, **SRC}) == [60.0]


@pytest.mark.parametrize("norm", [
    {"raw": [0, 9, 9, 18], "t": [30, 40, 45, 60], **SRC},       # a repeated raw point
    {"raw": [0, math.nan, 18], "t": [30, 40, 60], **SRC},       # a raw point that is not a number
    {"raw": [0, 9, 18], "t": [30, math.nan, 60], **SRC},        # a T that is not a number
    {"mean": 5, "sd": 2, "t": [30, 60], **SRC},                 # linear with a stray table key
    {"raw": [0, 18], "t": [30, 60], "sd": 2, **SRC},            # table with a stray linear key
])
def test_malformed_user_tables_are_refused(norm):
    with pytest.raises(ArgumentError, match="norm: got"):
        t_of([5], norm)


def test_fine_raw_steps_and_flat_or_fine_t_steps_are_accepted():
    # raw step 0.5; T flat from 0 to 0.5, then a 0.5 step, then linear to 27
    norm = {"raw": [0, 0.5, 1, 27], "t": [30, 30, 30.5, 56.5], **SRC}
    assert t_of([0.25, 0.75, 14], norm) == [30.0, 30.25, 43.5]


def test_a_named_norm_for_named_scales():
    t = es.t_scores(scores(9.5), instrument="core10", norm="general_population", scales="total")
    assert t["t_score"].round(6).tolist() == [60.0]
    with pytest.raises(ArgumentError, match=r"norm: got 'general_population', expected one of \[\] for scale SD"):
        es.t_scores(scores(9.5, scale="SD"), instrument="oq45", norm="general_population", scales="SD")


def test_rows_of_other_instruments_are_left_out():
    s = pd.DataFrame({"instrument": ["phq9", "gad7", "phq9"], "scale": ["total"] * 3, "score": [15.0, 21.0, 5.0]})
    t = es.t_scores(s, instrument="phq9", norm={"mean": 10, "sd": 5, **SRC}, scales="total")
    assert t.index.tolist() == [0, 2] and t["t_score"].tolist() == [60.0, 40.0]


def test_a_scale_without_a_range_restricts_nothing():
    inst = instruments.get("phq9")
    bare = dataclasses.replace(inst.scales["total"], score_min=math.nan, score_max=math.nan)
    inst = dataclasses.replace(inst, scales={"total": bare})
    assert t_of([40], {"mean": 10, "sd": 5, **SRC}, instrument=inst) == [110.0]


def test_the_provisional_warning_points_at_the_caller():
    norm = {"mean": 10, "sd": 5, "status": "provisional", "status_reason": "r", **SRC}
    with pytest.warns(ProvisionalKeyWarning) as rec:
        es.t_scores(scores(5), instrument="phq9", norm=norm, scales="total")
    assert rec[0].filename == __file__
