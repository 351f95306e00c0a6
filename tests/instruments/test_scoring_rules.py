"""Scoring rules at their edges (issue 21, mutation testing of scoring.py).

Two small user keys (written here, never read from the shipped YAML files) reach rules the
shipped keys cannot tell apart: the SCL-90-R indices PST/PSDI on a key whose lowest code is 1
(on the 0-4 keys "items above the lowest code" and "items above 0" coincide), and an item that
imputation cannot fill (OQ-45 rule, but with a one-item subscale).  The rest pins what a user
sees of a result: the shape of ``.scores``, ``meta``, ``.wide()`` and ``.summary()`` on edge
tables, where a provisional-key warning points, and T-scores of a narrow user norm.
Every expected number is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import effectstudy as es
from effectstudy import instruments
from effectstudy.core.errors import ArgumentError, ProvisionalKeyWarning

NAN = float("nan")

KEY_POSITIVE_1_5 = """\
id: positive_1_5
name: SCL-style indices on a 1-5 coding (test key)
version: "1"
n_items: 4
item_min: 1
item_max: 5
status: verified
status_reason: a test key
default_scale: pst
missing: {method: prorate, max_missing_share: 0.25, source: test}
sources: [test]
scales:
  pst: {items: 1-4, rule: positive_count}
  psdi: {items: 1-4, rule: positive_mean}
"""

KEY_UNIMPUTABLE = """\
id: impute_one_item
name: Imputation within subscales, one of them a single item (test key)
version: "1"
n_items: 4
item_min: 0
item_max: 4
status: verified
status_reason: a test key
default_scale: total
missing: {method: impute_scale_mean_rounded, impute_within: [a, b], source: test}
sources: [test]
scales:
  a: {items: 1-3, rule: sum, max_missing: 1}
  b: {items: [4], rule: sum}
  total: {items: 1-4, rule: sum, max_missing: 1}
"""


def _load(tmp_path, text, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return instruments.load(path)


def _items(rows, n_items):
    return pd.DataFrame({"client_id": [f"c{k}" for k in range(len(rows))],
                         **{f"item_{j + 1}": [float(r[j]) for r in rows] for j in range(n_items)}})


def _by_scale(res, scale):
    s = res.scores
    return s[s["scale"] == scale]


# ============================================================================ key edges
def test_positive_indices_count_items_above_the_lowest_code_of_a_1_to_5_key(tmp_path):
    """PST = items above the lowest code (here 1), PSDI = their sum / PST (module docstring).

    On a 1-5 key an answer of 1 is "not at all": it is neither counted nor summed."""
    key = _load(tmp_path, KEY_POSITIVE_1_5, "positive_1_5")
    res = es.score(_items([[1, 3, 5, 1],      # above 1: 3 and 5 -> PST 2, PSDI (3 + 5) / 2 = 4
                           [2, 2, NAN, 1],    # above 1: 2, 2 of 3 answered -> PST 2 * 4/3, PSDI 2
                           [1, 1, 1, 1]],     # none above 1 -> PST 0, PSDI undefined
                          4), instrument=key)
    pst, psdi = _by_scale(res, "pst"), _by_scale(res, "psdi")
    assert pst["score"].tolist() == [2.0, pytest.approx(8 / 3), 0.0]
    assert psdi["score"].tolist()[:2] == [4.0, 2.0]
    assert math.isnan(psdi["score"].iloc[2]) and psdi["reason"].iloc[2] == "undefined"


def test_item_that_cannot_be_imputed_makes_every_scale_holding_it_missing(tmp_path):
    """Imputation fills a missing item with the rounded mean of its subscale; a subscale with
    no answered item (here the one-item subscale b) leaves the item empty, and every scale
    containing it is missing, even when its own max_missing (1 for total) would allow one."""
    key = _load(tmp_path, KEY_UNIMPUTABLE, "impute_one_item")
    res = es.score(_items([[1, 2, 4, NAN],     # item 4 unfillable: b and total missing; a = 7
                           [1, 2, NAN, 3]],    # item 3 = round(1.5 half up) = 2: a 5, total 8
                          4), instrument=key)
    w = res.wide()
    assert w["a"].tolist() == [7.0, 5.0]
    assert math.isnan(w.loc[0, "b"]) and w.loc[1, "b"] == 3.0
    assert math.isnan(w.loc[0, "total"]) and w.loc[1, "total"] == 8.0
    reason = _by_scale(res, "total")["reason"]
    assert reason.iloc[0] == "too_many_missing" and pd.isna(reason.iloc[1])


# ============================================================================ result shape
def test_scores_without_key_columns_have_one_row_per_administration_and_scale():
    """Item columns only: DASS-21 has 6 scales, so 2 administrations give 2 x 6 = 12 rows."""
    m = _items([[1] * 21, [2] * 21], 21).drop(columns="client_id")
    res = es.score(m, instrument="dass21")
    assert len(res.scores) == 12 and res.meta["n_scores"] == 12
    assert list(res.scores.columns[:2]) == ["instrument", "scale"]
    # code 1 (2) on the 7 depression items: 7 (14); the x2 scale doubles it: 14 (28)
    w = res.wide()
    assert w["depression"].tolist() == [7.0, 14.0] and w["depression_x2"].tolist() == [14.0, 28.0]


def test_meta_counts_every_score_of_every_administration():
    """n_scores = administrations x scales: 3 x 6 = 18 for the DASS-21."""
    res = es.score(_items([[1] * 21] * 3, 21), instrument="dass21")
    assert res.meta["n_scores"] == 18 == len(res.scores)


def test_added_instrument_column_follows_client_and_episode():
    """The scores keep the key columns in KEY_COLUMNS order; a missing instrument column is
    added in its place, after client_id and episode_id and before date."""
    m = _items([[1] * 9], 9)
    m["episode_id"] = ["e1"]
    m["date"] = pd.Timestamp("2024-01-08")
    res = es.score(m, instrument="phq9")
    assert list(res.scores.columns[:5]) == ["client_id", "episode_id", "instrument", "date", "scale"]


def test_wide_refuses_scores_cut_short_and_accepts_any_count_of_one_scale():
    """A table whose length is not a whole number of administrations is a modified table; a
    single-scale instrument has whole administrations at any length (here 3)."""
    dass = es.score(_items([[1] * 21] * 2, 21), instrument="dass21")
    cut = type(dass)(meta=dass.meta, scores=dass.scores.iloc[:-1])  # first rows still in key order
    with pytest.raises(ArgumentError, match="scores: got 'modified table', expected the scores as returned"):
        cut.wide()
    phq = es.score(_items([[1] * 9, [2] * 9, [3] * 9], 9), instrument="phq9")
    assert phq.wide()["total"].tolist() == [9.0, 18.0, 27.0]


def test_summary_of_no_scores_counts_zero():
    res = es.score(_items([[1] * 7], 7), instrument="gad7")
    empty = type(res)(meta=res.meta, scores=res.scores.iloc[:0])
    s = empty.summary()
    assert s[["scale", "n", "n_prorated", "n_missing"]].to_dict("records") == [
        {"scale": "total", "n": 0, "n_prorated": 0, "n_missing": 0}]
    assert math.isnan(s.loc[0, "mean"]) and math.isnan(s.loc[0, "sd"])


def test_provisional_key_warning_points_at_the_callers_line():
    """The warning names the user's own call (stacklevel), not the package's internals."""
    m = _items([[1] * 90], 90)
    with pytest.warns(ProvisionalKeyWarning) as rec:
        es.score(m, instrument="scl90_nl")
    assert rec[0].filename == __file__


def test_user_norm_with_sd_below_one_is_accepted():
    """T = 50 + 10 (x - M) / SD: x = 3, M = 2, SD = 0.5 -> 50 + 10 * 2 = 70; a positive SD
    below 1 is a valid norm (only SD <= 0 is refused)."""
    s = pd.DataFrame({"scale": ["total"], "score": [3.0]})
    t = es.t_scores(s, instrument="phq9", norm={"mean": 2, "sd": 0.5, "source": "s"}, scales="total")
    assert t["t_score"].tolist() == [70.0]
