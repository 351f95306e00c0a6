"""Edges of es.clinical_significance and es.percent_change (issue 21, mutation testing).

Hand-made data, lower is better.  The percentage-change limits are the documented range of
``improvement``/``deterioration`` ([0, 1], both ends allowed); a negative pre score is an
error that names the first negative one (a zero pre score is allowed).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataError, DataQualityWarning
from tests.outcomes.frames import prepost_long

ARGS = dict(subject="id", time="t", outcome="y", pre="pre", post="post", better_is="lower")


def _long(pre, post, **cols):
    """Patients numbered from 1, as the docstrings below count them."""
    return prepost_long(pre, post, ids=range(1, len(pre) + 1), **cols)


def test_method_name_is_case_insensitive():
    """Cut-off 10 given; JT RCI as in the reliable-change edges (S_diff 1.633): patient 1
    (16 -> 2) crosses the cut-off with a reliable improvement, so recovered."""
    res = es.clinical_significance(_long([10, 12, 14, 16], [10, 12, 14, 2]), **ARGS,
                                   reliability=0.8, cutoff=10.0, method="JT")
    assert res.meta["method"] == "jt"
    assert res.patients["category"].tolist() == ["unchanged"] * 3 + ["recovered"]


def test_an_excluded_patient_is_warned_about_once():
    df = _long([10, 12, 14, 16, 11], [10, 12, 14, 2, None])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        es.clinical_significance(df, **ARGS, reliability=0.8, cutoff=10.0)
    quality = [w for w in rec if issubclass(w.category, DataQualityWarning)]
    assert [str(w.message) for w in quality] == ["1 of 5 subjects excluded: missing_post 1"]


def test_ha_group_level_has_a_row_per_observed_group_only():
    """A categorical group column with a category without patients (C): no row for it."""
    g = pd.Categorical(["A", "B"] * 6, categories=["A", "B", "C"])
    df = _long([20, 18, 15, 12, 16, 17], [8, 17, 9, 14, 13, 10], g=g)
    res = es.clinical_significance(df, **ARGS, reliability=0.8, method="ha", cutoff="a",
                                   group="g")
    gl = res.group_level()
    assert gl["group"].tolist() == ["A", "B"]
    assert gl["n"].tolist() == [3, 3]


def _pct(pre, post, **kw):
    return es.percent_change(_long(pre, post), subject="id", time="t", outcome="y", pre="pre",
                             post="post", better_is="lower", **kw)


@pytest.mark.parametrize("value", [0, 1])
def test_percent_limits_zero_and_one_are_allowed(value):
    """At 1 (100%) only a fall to 0 is an improvement: 10 -> 0 is -100%; at 0 any fall is."""
    res = _pct([10, 10], [0, 5], improvement=value, deterioration=value)
    expected = ["improved", "unchanged"] if value == 1 else ["improved", "improved"]
    assert res.patients["category"].tolist() == expected


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_percent_limits_outside_zero_one_are_an_error(value):
    with pytest.raises(ArgumentError, match="a proportion in \\[0, 1\\]"):
        _pct([10, 10], [0, 5], improvement=value)


def test_negative_pre_score_error_names_the_first_negative_patient():
    """Patient 1 has pre 0 (allowed); 3 and 4 are negative: the message names 3."""
    with pytest.raises(DataError, match="row 3 y: negative pre score"):
        _pct([0, 2, -1, -2], [1, 1, 0, 1])
