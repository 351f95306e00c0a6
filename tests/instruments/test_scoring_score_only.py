"""``es.score`` of score-only measurements (``score_<SCALE>`` columns, no items): the exported scores
are taken as they are, with prorating unknown and a reason for each missing score."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.instruments.scoring import is_score_only


@pytest.fixture(scope="module")
def exported():
    """The example's measurements scored by the package, and the same scores as a score-only table."""
    ex = es.datasets.load_example()
    with pytest.warns(es.ProvisionalKeyWarning):
        scored = es.score(ex.measurements, instrument="scl90_nl")
    wide = scored.wide()
    keys = ["client_id", "episode_id", "instrument", "date", "session", "occasion"]
    only = pd.concat([wide[keys], wide[scored.meta["scales"]].add_prefix("score_")], axis=1)
    return ex, scored, only


def test_score_takes_exported_scores_as_they_are(exported):
    _, scored, only = exported
    with warnings.catch_warnings():
        # the package's key is not applied to exported scores: no provisional-key warning
        warnings.simplefilter("error", es.ProvisionalKeyWarning)
        res = es.score(only, instrument="scl90_nl")
    a, b = res.scores, scored.scores
    assert res.meta["scored_by"] == "export"
    assert res.meta["prorating"].startswith("unavailable")
    assert res.meta["n_prorated"] is None
    assert a["scale"].astype(str).tolist() == b["scale"].astype(str).tolist()
    np.testing.assert_array_equal(a["score"].to_numpy(), b["score"].to_numpy())
    assert a["n_answered"].isna().all() and a["prorated"].isna().all()  # unknown without items
    missing = a["score"].isna()
    assert (a.loc[missing, "reason"] == "not_in_export").all() and a.loc[~missing, "reason"].isna().all()
    s = res.summary()
    assert s["n_prorated"].isna().all() and (s["n"].to_numpy() == scored.summary()["n"].to_numpy()).all()


def test_score_of_a_scale_not_exported_is_a_clear_error(exported):
    _, _, only = exported
    with pytest.raises(DataError, match=r"no score of scale\(s\) SLA of scl90_nl"):
        es.score(only.drop(columns="score_SLA"), instrument="scl90_nl", scales=["DEP", "SLA"])


def test_score_only_is_recognised_by_its_columns():
    assert is_score_only(pd.DataFrame({"client_id": ["a"], "score_DEP": [30.0]}))
    assert not is_score_only(pd.DataFrame({"client_id": ["a"], "item_1": [3.0]}))
    assert not is_score_only(pd.DataFrame({"client_id": ["a"], "item_1": [3.0], "score_DEP": [30.0]}))
    assert not is_score_only(pd.DataFrame({"client_id": ["a"]}))


def test_missing_exported_scores_are_counted_per_scale():
    only = pd.DataFrame({"client_id": ["a", "b", "c"], "instrument": ["scl90_nl", "scl90_nl", "phq9"],
                         "score_DEP": [30.0, np.nan, 1.0], "score_ANG": [np.nan, np.nan, 2.0]})
    res = es.score(only, instrument="scl90_nl")
    m = res.meta
    assert m["scales"] == ["ANG", "DEP"]  # the exported scales, in key order
    assert m["n_missing"] == {"not_in_export": 3}
    assert m["n_missing_by_scale"] == {"ANG": {"not_in_export": 2}, "DEP": {"not_in_export": 1}}
    assert m["exclusions"] == {"other_instrument": 1} and m["n_used"] == 2 and m["n_original"] == 3
    assert m["n_scores"] == 4
    assert res.scores["client_id"].tolist() == ["a", "a", "b", "b"]
    assert res.scores["score"].tolist()[1] == 30.0
    assert res.wide()["DEP"].tolist()[0] == 30.0
    no_col = only.drop(columns="instrument")
    assert es.score(no_col, instrument="scl90_nl").scores["instrument"].eq("scl90_nl").all()


def test_a_score_column_of_a_scale_the_instrument_lacks_is_an_argument_error():
    only = pd.DataFrame({"client_id": ["a"], "score_DEP": [30.0], "score_TOTAL": [100.0]})
    with pytest.raises(ArgumentError, match=r"\['score_TOTAL'\], expected score columns of scales of scl90_nl"):
        es.score(only, instrument="scl90_nl")
