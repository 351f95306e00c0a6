"""Episodes with two measurements at one session number (issue 17): excluded with reason
``repeated_session`` and counted, by es.stagnation and es.not_on_track alike; the other
episodes' flags are those of a run without the episode."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import DataQualityWarning
from tests.course.planted import planted_practice

REPEATED = "repeated_session"


def _with_repeat(sc: pd.DataFrame, n: int = 3) -> tuple[pd.DataFrame, list]:
    """``sc`` plus a second measurement at an existing session for ``n`` evaluable-looking
    episodes (one of them at the baseline session, one inside the window 3-5)."""
    sizes = sc.groupby("episode_id").size()
    eps = sizes[sizes >= 3].index[:n].tolist()
    extra = []
    for k, ep in enumerate(eps):
        rows = sc[sc["episode_id"] == ep].sort_values("session")
        pick = rows.iloc[[0]] if k == 0 else rows[rows["session"].between(3, 5)].iloc[[0]] \
            if rows["session"].between(3, 5).any() else rows.iloc[[1]]
        extra.append(pick.assign(score=pick["score"] + 17.0))
    return pd.concat([sc, *extra], ignore_index=True), eps


def _stag(df, **kw):
    args = dict(subject="episode_id", time="session", outcome="score", instrument="scl90_nl",
                scale="PSNEUR", reliability=0.9)
    args.update(kw)
    return es.stagnation(df, **args)


@pytest.mark.parametrize("kw", [
    pytest.param({}, id="early_rci"),
    pytest.param({"criterion": "percent", "threshold": 0.2, "reliability": None},
                 id="early_percent"),
    pytest.param({"rule": "deterioration"}, id="deterioration"),
])
def test_repeated_session_excluded_counted_and_others_unchanged(kw):
    sc, _ = planted_practice()
    dup, eps = _with_repeat(sc)
    with pytest.warns(DataQualityWarning, match=r"3 subject\(s\) have two or more measurements "
                      r"at the same time \(\d+ row\(s\)\).*repeated_session"):
        res = _stag(dup, **kw)
    pat = res.patients
    # the episodes are kept, not evaluable, with the reason, and counted
    assert (pat.loc[eps, "status"] == "not_evaluable").all()
    assert (pat.loc[eps, "reason"] == REPEATED).all()
    assert pat.loc[eps, ["eval_time", "change"]].isna().all().all()
    assert res.meta["not_evaluable_reasons"][REPEATED] == 3
    assert res.meta["exclusions"][REPEATED] == 3
    n_rows = int(sc["episode_id"].isin(eps).sum()) + 3
    assert res.meta["rows_repeated_session"] == n_rows
    assert res.meta["n_original"] == sc["episode_id"].nunique()
    # everybody else exactly as in a run without those episodes (S_diff too)
    without = _stag(sc[~sc["episode_id"].isin(eps)], **kw)
    other = pat.drop(index=eps)
    pd.testing.assert_frame_equal(other, without.patients, check_categorical=False)
    for key in ("s_diff", "n_stagnated", "n_evaluable"):
        assert res.meta.get(key) == without.meta.get(key)
    s, w = res.summary().iloc[-1], without.summary().iloc[-1]
    assert s["n"] == w["n"] + 3 and s["n_not_evaluable"] == w["n_not_evaluable"] + 3
    assert s["rate"] == w["rate"]
    # the report text counts them
    assert "3 (repeated session)" in res.text("en")
    assert "3 (twee metingen in één sessie)" in res.text("nl")


def test_repeated_session_takes_precedence_and_rows_with_missing_values_do_not_repeat():
    df = pd.DataFrame({
        "id": ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d"],
        "t": [1, 4, 4, 1, 1, 4, 1, 4, 4, 4, 4],
        "y": [200.0, 150.0, 151.0, 190.0, 185.0, 170.0, 180.0, 140.0, np.nan, 190.0, 180.0]})
    with pytest.warns(DataQualityWarning, match=r"3 subject\(s\).*\(8 row\(s\)\)"):
        res = es.stagnation(df, subject="id", time="t", outcome="y", better_is="lower",
                            criterion="percent", threshold=0.2)
    pat = res.patients
    # d would be baseline_in_window without the repeat; the repeat comes first
    assert pat["reason"].astype(object).fillna("").to_dict() == {
        "a": REPEATED, "b": REPEATED, "c": "", "d": REPEATED}
    assert pat.loc["c", "status"] == "on_track"  # its second t=4 row has no score: 22% better
    assert pat.loc[["a", "b", "d"], "n_measurements"].tolist() == [0, 0, 0]
    assert res.meta["rows_missing_outcome"] == 1


def test_not_on_track_excludes_repeated_sessions_the_same_way():
    sc, _ = planted_practice()
    dup, eps = _with_repeat(sc)
    with pytest.warns(DataQualityWarning, match=r"3 subject\(s\).*repeated_session"):
        res = es.not_on_track(dup, subject="episode_id", time="session", outcome="score",
                              reference="completed", instrument="scl90_nl", scale="PSNEUR")
    assert (res.patients.loc[eps, "reason"] == REPEATED).all()
    assert (res.patients.loc[eps, "status"] == "not_evaluable").all()
    assert res.meta["not_evaluable_reasons"][REPEATED] == 3
    assert not res.measurements["episode_id"].isin(eps).any()


def test_no_warning_without_repeats():
    sc, _ = planted_practice()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = _stag(sc)
    assert REPEATED not in res.meta["not_evaluable_reasons"]
    assert res.meta["rows_repeated_session"] == 0
