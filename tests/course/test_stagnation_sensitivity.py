"""The sensitivity table, the evaluable share and the stated operationalisation of the
practice rule (issue 17), on the generated practice with planted non-responders."""

from __future__ import annotations

import numpy as np
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError
from tests.course.planted import planted_practice

ARGS = dict(subject="episode_id", time="session", outcome="score", instrument="scl90_nl",
            scale="PSNEUR")


@pytest.fixture(scope="module")
def scores():
    return planted_practice()[0]


def test_sensitivity_rows_are_separate_runs_rci(scores):
    """Every row equals es.stagnation run with that window and alpha (the critical values
    of the defaults are z_{1-alpha/2} for alpha 0.20, 0.10, 0.05, 0.01)."""
    res = es.stagnation(scores, reliability=0.9, **ARGS)
    windows = [(2, 4), (4, 6)]
    tab = res.sensitivity(windows=windows).summary()
    assert len(tab) == 3 * 4 and tab["current"].sum() == 1
    for alpha in (0.20, 0.10, 0.05, 0.01):
        for w in [(3, 5), *windows]:
            one = es.stagnation(scores, reliability=0.9, alpha=alpha, window=w, **ARGS)
            row = tab[(tab["window_start"] == w[0]) & (tab["window_end"] == w[1])
                      & (tab["rule_threshold"] == one.meta["critical_value"])]
            assert len(row) == 1
            s = one.summary().iloc[0]
            for col in ("n", "n_evaluable", "n_stagnated", "share_evaluable", "rate",
                        "ci_low", "ci_high"):
                assert row[col].iloc[0] == s[col], (alpha, w, col)
            ev = one.patients[one.patients["status"] != "not_evaluable"]
            assert row["mean_improvement"].iloc[0] == pytest.approx(ev["improvement"].mean())
            assert row["median_progress"].iloc[0] == pytest.approx(
                float(np.median(-ev["rci"])))


def test_sensitivity_rows_are_separate_runs_percent(scores):
    res = es.stagnation(scores, criterion="percent", threshold=0.25, **ARGS)
    tab = res.sensitivity(thresholds=[0.1, 0.3, 0.5]).summary()
    assert sorted(set(tab["rule_threshold"])) == [0.1, 0.25, 0.3, 0.5]  # own one added
    for t in (0.1, 0.25, 0.5):
        for w in [(3, 5), (3, 6)]:
            one = es.stagnation(scores, criterion="percent", threshold=t, window=w, **ARGS)
            row = tab[(tab["window_start"] == w[0]) & (tab["window_end"] == w[1])
                      & (tab["rule_threshold"] == t)]
            assert row["n_stagnated"].iloc[0] == one.meta["n_stagnated"]
            assert row["n_evaluable"].iloc[0] == one.meta["n_evaluable"]
    # a higher threshold never flags fewer
    for _, g in tab.groupby(["window_start", "window_end"]):
        assert (np.diff(g["n_stagnated"].to_numpy()) >= 0).all()


def test_mean_early_change_is_shown_against_the_threshold(scores):
    """The issue's point: the median early improvement lies near the threshold, so the rate
    is near 50 % by construction; table and text let the reader see it."""
    res = es.stagnation(scores, reliability=0.9, **ARGS)
    own = res.sensitivity().summary().query("current").iloc[0]
    assert own["rule_threshold"] == res.meta["critical_value"]
    assert own["threshold_points"] == pytest.approx(res.meta["critical_value"]
                                                    * res.meta["s_diff"])
    en = res.text("en")
    assert f"{own['mean_improvement']:.1f} points" in en
    assert f"{own['threshold_points']:.1f} points" in en
    assert "built into the definition" in en
    nl = res.text("nl")
    assert f"{own['mean_improvement']:.1f}".replace(".", ",") + " punten" in nl


def test_text_states_the_operationalisation_and_the_evaluable_share(scores):
    res = es.stagnation(scores, reliability=0.9, window=(3, 6), **ARGS)
    s = res.summary().iloc[0]
    en, nl = res.text("en"), res.text("nl")
    assert "insufficient progress on the goals agreed at the start" in en
    assert "onvoldoende vooruitgang op de bij de start afgesproken doelen" in nl
    assert "sessions 3 to 6" in en and "sessie 3 tot 6" in nl
    assert "does not see the agreed goals themselves" in en
    assert f"{int(s['n_evaluable'])} of {int(s['n'])} episodes could be evaluated" in en
    assert f"({s['share_evaluable']:.0%}, 95% CI" in en
    assert "Te beoordelen waren" in nl
    assert "in weeks 3 to 6" in res.rule_text("en", unit="weeks")
    pct = es.stagnation(scores, criterion="percent", threshold=0.3, **ARGS)
    assert "an improvement of less than 30% of its first score" in pct.rule_text("en")
    det = es.stagnation(scores, reliability=0.9, rule="deterioration", **ARGS)
    assert det.text("en").startswith("Deterioration: an episode is flagged")
    assert "were flagged" in det.text("en")


def test_sensitivity_and_text_errors(scores):
    res = es.stagnation(scores, reliability=0.9, **ARGS)
    det = es.stagnation(scores, reliability=0.9, rule="deterioration", **ARGS)
    with pytest.raises(ArgumentError, match=r"rule: got 'deterioration', expected a result of "
                       r"es.stagnation with rule 'early_no_progress'"):
        det.sensitivity()
    for bad in ([], [0.0], [1.0, -2.0], [float("inf")], "1.96", [True]):
        with pytest.raises(ArgumentError, match=r"thresholds: got .*expected a non-empty list "
                           r"of positive finite numbers"):
            res.sensitivity(thresholds=bad)
    for bad in ([], [(5, 3)], [(1, float("nan"))], (3, 5), [3]):
        with pytest.raises(ArgumentError, match=r"windows: got .*expected a non-empty list of "
                           r"\(start, end\) pairs"):
            res.sensitivity(windows=bad)
    with pytest.raises(ArgumentError, match=r"unit: got 'days', expected one of 'session', "
                       r"'weeks'"):
        res.text("en", unit="days")


def test_study_sensitivity_and_text_follow_the_params():
    from effectstudy.core.errors import ParamsError
    from effectstudy.study import example_params

    over = {"analysis.stagnation.sensitivity_windows": [[3, 4], [3, 8]],
            "analysis.stagnation.sensitivity_thresholds": [1.0, 3.0]}
    st = es.Study.from_params(example_params(), over)
    res = st.stagnation()
    tab = st.stagnation_sensitivity(res).summary()
    assert sorted(set(zip(tab["window_start"], tab["window_end"], strict=True))) == [
        (3, 4), (3, 5), (3, 8)]
    assert sorted(set(tab["rule_threshold"])) == [1.0, res.meta["critical_value"], 3.0]
    assert st.stagnation_text(res) == res.text("nl", unit="session")
    # another rule has no sensitivity table; its text still states what it measures
    det = st.with_overrides({"analysis.stagnation.rule": "deterioration"})
    assert det.stagnation_sensitivity() is None
    assert det.stagnation_text().startswith("Verslechtering")
    for key, value, msg in [
        ("sensitivity_windows", [[5, 3]], r"impossible window \[5, 3\]"),
        ("sensitivity_thresholds", [0], r"expected positive numbers"),
        ("sensitivity_thresholds", [], r"at least 1 value"),
    ]:
        with pytest.raises(ParamsError, match=rf"analysis\.stagnation\.{key}: .*{msg}"):
            es.Study.from_params(example_params(), {f"analysis.stagnation.{key}": value})
