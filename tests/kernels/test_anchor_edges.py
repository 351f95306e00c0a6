"""Edges of the anchor kernels (issue 21, mutation testing).

* t intervals (``paired_t``, ``welch_t``): two pairs, or two scores in an arm, are the fewest
  that give an interval (R ``t.test``, ``tests/reference/kernel_edges/t_tests.csv``, 1e-9
  relative); fewer, an empty arm, or no variation give the estimate (where there is one) with
  NaN limits, t and p, and no warning.
* ``classify_group``: an interval that touches 0 (a limit exactly 0) is "not significant"
  (rule 1, ``lo <= 0 <= hi``); any missing part (limit or estimate) gives no category (-1).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy.kernels.anchor import GROUP_CATEGORIES, classify_group, paired_t, welch_t

REF = Path(__file__).resolve().parents[1] / "reference" / "kernel_edges" / "t_tests.csv"
FIELDS = ["estimate", "ci_low", "ci_high", "t", "df", "p"]


def _ref(case):
    return pd.read_csv(REF).set_index("case").loc[case, FIELDS].to_numpy(dtype=float)


@pytest.mark.parametrize(("case", "call"), [
    ("paired_2", lambda: paired_t([2.0, 2.0], [3.0, 5.0])),
    ("welch_2_3", lambda: welch_t([4.0, 6.0], [1.0, 2.0, 3.0])),
    ("welch_3_2", lambda: welch_t([1.0, 2.0, 3.0], [4.0, 6.0])),
])
def test_two_scores_are_enough_for_a_t_interval_against_r(case, call):
    np.testing.assert_allclose(list(call()), _ref(case), rtol=1e-9)


def _no_interval(r, estimate, df=None):
    assert r.estimate == estimate or (math.isnan(estimate) and math.isnan(r.estimate))
    if df is not None:
        assert r.df == df or (math.isnan(df) and math.isnan(r.df))
    assert all(math.isnan(v) for v in (r.ci_low, r.ci_high, r.t, r.p))


def test_paired_t_without_an_interval():
    """One pair: the change itself, df = n - 1 = 0; no pairs: no estimate; a constant
    change (no variation, SE 0): the mean change, df = n - 1 = 2."""
    _no_interval(paired_t([5.0], [2.0]), -3.0, 0.0)
    _no_interval(paired_t([], []), math.nan)
    _no_interval(paired_t([1.0, 2.0, 3.0], [3.0, 4.0, 5.0]), 2.0, 2.0)


def test_welch_t_without_an_interval():
    """One score in either arm: the difference of means, no df; an empty arm: no estimate;
    no variation in either arm (SE 0): the difference, no df."""
    _no_interval(welch_t([5.0], [1.0, 2.0, 3.0]), 3.0, math.nan)
    _no_interval(welch_t([1.0, 2.0, 3.0], [5.0]), -3.0, math.nan)
    _no_interval(welch_t([], [1.0, 2.0, 3.0]), math.nan, math.nan)
    _no_interval(welch_t([2.0, 2.0], [5.0, 5.0, 5.0]), -3.0, math.nan)


def _category(estimate, lo, hi, d=1, mid=5.0):
    code = int(classify_group([estimate], [lo], [hi], d=d, mid=mid)[0])
    return GROUP_CATEGORIES[code] if code >= 0 else None


@pytest.mark.parametrize("d", [1, -1])
def test_group_interval_touching_zero_is_not_significant(d):
    # improvement scale (times d): lower limit exactly 0, upper limit past the MID of 5
    assert _category(d * 3.0, 0.0, d * 6.0, d=d) == "not_significant"
    # upper limit exactly 0 (a deterioration that just fails to be significant)
    assert _category(d * -3.0, d * -6.0, 0.0, d=d) == "not_significant"
    # just past 0 either way: significant
    assert _category(d * 3.0, d * 0.5, d * 6.0, d=d) == "not_beyond_threshold"
    assert _category(d * -3.0, d * -6.0, d * -0.5, d=d) == "significant_deterioration"


def test_group_interval_with_a_missing_part_has_no_category():
    nan = math.nan
    codes = classify_group([nan, 3.0, 3.0, 3.0, 3.0], [1.0, nan, 1.0, nan, 1.0],
                           [6.0, 6.0, nan, nan, 6.0], d=1, mid=5.0)
    assert codes.tolist() == [-1, -1, -1, -1, 3]
