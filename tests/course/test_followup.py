"""What happens after stagnation: hand-made statuses and outcomes, counts, errors.

Wilson limits: R 4.2.2 ``prop.test(x, n, correct = FALSE)$conf.int``.  Effect sizes are
d_z = mean(D) / sd(D) with the normal interval d +- 1.959964 sqrt(1/n + d^2/(2n)) (the
formula of ``rm_d(method = "z")`` in R effectsize), computed here by hand from the changes.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning

R_WILSON = {(1, 3): (0.061491944720, 0.792340399198), (2, 3): (0.207659600802, 0.938508055280)}
Z975 = 1.959963984540054


def episodes() -> pd.DataFrame:
    ep = pd.DataFrame({
        "episode_id": [f"e{i}" for i in range(1, 10)],
        "start_date": pd.to_datetime(["2024-01-01"] * 9),
        "end_date": pd.to_datetime(["2024-03-01", "2024-04-01", "2024-02-01", "2024-09-01",
                                    "2024-05-01", "2024-10-01", None, "2024-01-20",
                                    "2024-03-01"]),
        "sessions": [8, 10, 6, 22, 14, 25, 9, 3, 7],
        "end_reason": ["regular", "regular", "dropout", "referral", "regular", "regular", None,
                       "dropout", "regular"],
    })
    return ep


def statuses() -> pd.DataFrame:
    # e9 has no status (not assessed)
    return pd.DataFrame(
        {"status": ["on_track", "on_track", "on_track", "stagnated", "stagnated", "stagnated",
                    "stagnated", "not_evaluable"]},
        index=pd.Index([f"e{i}" for i in range(1, 9)], name="episode_id"))


def outcome() -> pd.DataFrame:
    return pd.DataFrame({
        "pre": [20.0, 25.0, 18.0, 30.0, 28.0, 22.0],
        "post": [12.0, 10.0, 17.0, 29.0, 20.0, 27.0],
        "category": pd.Categorical(["improved", "recovered", "unchanged", "unchanged",
                                    "improved", "deteriorated"],
                                   categories=["recovered", "improved", "unchanged",
                                               "deteriorated", "harmed"], ordered=True),
    }, index=pd.Index(["e1", "e2", "e3", "e4", "e5", "e6"], name="episode_id"))


def dz(changes):
    d = np.asarray(changes, dtype=float)
    n = d.size
    est = d.mean() / d.std(ddof=1)
    se = math.sqrt(1 / n + est * est / (2 * n))
    return est, est - Z975 * se, est + Z975 * se


def test_sessions_and_end_reasons_per_status_by_hand():
    fu = es.stagnation_followup(statuses(), episodes())
    s = fu.summary().set_index("status")
    assert list(s.index) == ["stagnated", "on_track", "not_evaluable", "not_assessed", "all"]
    assert s["n"].to_dict() == {"stagnated": 4, "on_track": 3, "not_evaluable": 1,
                                "not_assessed": 1, "all": 9}
    assert s.loc["stagnated", "proportion"] == pytest.approx(4 / 9)
    # stagnated: closed e4 e5 e6 (22, 14, 25 sessions), e7 open
    assert s.loc["stagnated", ["n_closed", "n_open"]].tolist() == [3, 1]
    assert s.loc["stagnated", "sessions_mean"] == pytest.approx(61 / 3)
    assert s.loc["stagnated", "sessions_median"] == 22
    assert s.loc["stagnated", "n_beyond"] == 2  # 22 and 25 > 20
    assert s.loc["stagnated", "share_beyond"] == pytest.approx(2 / 3)
    assert (s.loc["stagnated", "share_beyond_ci_low"],
            s.loc["stagnated", "share_beyond_ci_high"]) == pytest.approx(R_WILSON[(2, 3)],
                                                                         abs=1e-11)
    assert s.loc["stagnated", ["n_regular_end", "share_regular_end"]].tolist() == \
        pytest.approx([2, 2 / 3])
    assert (s.loc["on_track", "sessions_mean"], s.loc["on_track", "n_beyond"]) == (8.0, 0)
    assert (s.loc["on_track", "regular_ci_low"], s.loc["on_track", "regular_ci_high"]) == \
        pytest.approx(R_WILSON[(2, 3)], abs=1e-11)
    assert s.loc["not_evaluable", ["n_regular_end", "sessions_median"]].tolist() == [0, 3]
    assert s.loc["all", "n_regular_end"] == 5
    per = s.drop(index="all")
    for c in ("n", "n_closed", "n_open", "n_beyond", "n_regular_end"):
        assert per[c].sum() == s.loc["all", c]
    r = fu.end_reasons()
    st = r[r["status"] == "stagnated"].set_index("end_reason")["n"]
    assert st.to_dict() == {"dropout": 0, "referral": 1, "regular": 2, "missing": 0, "open": 1}
    assert (r.groupby("status")["n"].sum() == s["n"].reindex(
        r.groupby("status")["n"].sum().index)).all()
    assert fu.sessions().set_index("status").loc["stagnated", "max"] == 25
    assert fu.meta["n_not_assessed"] == 1
    assert fu.patients.loc["e9", "status"] == "not_assessed"


def test_outcome_categories_and_effect_sizes_per_status():
    fu = es.stagnation_followup(statuses(), episodes(), outcome=outcome(), effect_method="z", adjust=False)
    c = fu.categories()
    cs = c[c["status"] == "stagnated"].set_index("category")["n"].to_dict()
    assert cs == {"recovered": 0, "improved": 1, "unchanged": 1, "deteriorated": 1, "harmed": 0}
    assert c.groupby("status")["n"].sum().to_dict() == {
        "all": 6, "not_assessed": 0, "not_evaluable": 0, "on_track": 3, "stagnated": 3}
    s = fu.summary().set_index("status")
    assert s.loc["stagnated", ["n_with_outcome", "n_improved"]].tolist() == [3, 1]
    assert s.loc["on_track", ["n_with_outcome", "n_improved"]].tolist() == [3, 2]
    assert (s.loc["stagnated", "improved_ci_low"], s.loc["stagnated", "improved_ci_high"]) == \
        pytest.approx(R_WILSON[(1, 3)], abs=1e-11)
    # on track: D = -8, -15, -1 (mean -8, SD 7, d_z = -8/7); stagnated: D = -1, -8, 5
    e = fu.effect_sizes().set_index("status")
    assert list(e.index) == ["stagnated", "on_track", "all"]
    for status, changes in (("on_track", [-8, -15, -1]), ("stagnated", [-1, -8, 5]),
                            ("all", [-8, -15, -1, -1, -8, 5])):
        est, _, _ = dz(changes)
        assert e.loc[status, "estimate"] == pytest.approx(est, rel=1e-12)
        # d_z's default interval is the exact noncentral-t one (es.prepost_effect, ci_method auto;
        # checked against R in tests/outcomes/test_effect_size_intervals.py)
        k = len(changes)
        pp = pd.DataFrame({"id": list(range(k)) * 2, "t": ["pre"] * k + ["post"] * k,
                           "y": [10.0 + i for i in range(k)] + [10.0 + i + c for i, c in enumerate(changes)]})
        direct = es.prepost_effect(pp, subject="id", time="t", outcome="y", pre="pre", post="post",
                                   method="z", adjust=False).summary().iloc[0]
        assert e.loc[status, ["ci_low", "ci_high"]].tolist() == pytest.approx(
            [direct["ci_low"], direct["ci_high"]], rel=1e-12)
        assert e.loc[status, "n"] == len(changes)
    assert e.loc["on_track", "estimate"] == pytest.approx(-8 / 7, rel=1e-12)
    assert s.loc["on_track", "effect_size"] == pytest.approx(-8 / 7, rel=1e-12)
    assert np.isnan(s.loc["not_evaluable", "effect_size"])
    assert set(fu.meta["effect_size_skipped"]) == {"not_evaluable", "not_assessed"}
    assert "0 complete pair" in fu.meta["effect_size_skipped"]["not_evaluable"]
    assert fu.patients.loc["e7", "category"] is None or pd.isna(fu.patients.loc["e7",
                                                                                "category"])
    assert fu.plot() is not None
    d = json.loads(json.dumps(fu.to_dict()))
    assert "effect_sizes" in d["tables"]


def test_status_as_series_and_as_a_stagnation_like_result():
    s = statuses()["status"]
    a = es.stagnation_followup(s, episodes()).summary()

    class StagnationLike:
        # es.stagnation's .patients: index = subject, ordered categorical status
        patients = pd.DataFrame({"status": pd.Categorical(
            s.to_numpy(), categories=["on_track", "stagnated", "not_evaluable"], ordered=True),
            "eval_time": 3.0}, index=s.index)

    b = es.stagnation_followup(StagnationLike(), episodes()).summary()
    pd.testing.assert_frame_equal(a, b)
    c = es.stagnation_followup(statuses().reset_index(), episodes()).summary()
    pd.testing.assert_frame_equal(a, c)


def test_statuses_of_unknown_episodes_are_left_out_with_a_warning():
    st = pd.concat([statuses(), pd.DataFrame({"status": ["stagnated"]},
                                             index=pd.Index(["zz"], name="episode_id"))])
    with pytest.warns(DataQualityWarning, match="1 stagnation status"):
        fu = es.stagnation_followup(st, episodes())
    assert fu.meta["exclusions"] == {"status_of_episode_not_in_episodes": 1}
    assert fu.summary().set_index("status").loc["stagnated", "n"] == 4


def test_absent_status_is_reported_with_zero():
    st = statuses()
    st = st[st["status"] != "not_evaluable"]
    s = es.stagnation_followup(st, episodes()).summary().set_index("status")
    assert s.loc["not_evaluable", "n"] == 0
    assert s.loc["not_assessed", "n"] == 2  # e8 and e9


@pytest.mark.parametrize("stag, kw, exc, msg", [
    (3, {}, ArgumentTypeError, "stagnation: got int 3"),
    (pd.DataFrame({"state": ["on_track"]}, index=["e1"]), {}, ArgumentError,
     "stagnation: got \\['state'\\], expected es.stagnation"),
    (pd.DataFrame({"status": ["stuck"]}, index=["e1"]), {}, DataError,
     "unknown stagnation status: found 'stuck', expected one of"),
    (pd.DataFrame({"status": ["on_track", "stagnated"]}, index=["e1", "e1"]), {}, DataError,
     "duplicate episode id in stagnation"),
    (None, {"outcome": pd.DataFrame({"pre": [1.0]}, index=["e1"])}, ArgumentError,
     "outcome: got 'DataFrame', expected es.clinical_significance"),
    (None, {"ci": 0}, ArgumentError, "ci: got 0, expected a confidence level"),
    (None, {"episodes": "x"}, ArgumentTypeError, "episodes: got str"),
    (None, {"effect_method": "q", "outcome": outcome()}, ArgumentError,
     "method: got 'q', expected one of 'rm'"),
])
def test_errors(stag, kw, exc, msg):
    ep = kw.pop("episodes", episodes())
    with pytest.raises(exc, match=msg):
        es.stagnation_followup(statuses() if stag is None else stag, ep, **kw)


def test_errors_in_the_episodes_table():
    with pytest.raises(ArgumentError, match="episode: got 'episode_id', expected a column of "
                       "episodes"):
        es.stagnation_followup(statuses(), episodes().rename(columns={"episode_id": "id"}))
    ep = episodes()
    ep.loc[1, "episode_id"] = "e1"
    with pytest.raises(DataError, match=r"duplicate episode_id in episodes.*found \(niet getoond: identificerend\)"):
        es.stagnation_followup(statuses(), ep)
    with pytest.raises(ArgumentError, match="sessions: got 'n_sessions', expected a column"):
        es.stagnation_followup(statuses(), episodes(), sessions="n_sessions")


def test_accessors_need_the_outcome():
    fu = es.stagnation_followup(statuses(), episodes())
    for f in (fu.categories, fu.effect_sizes, fu.plot):
        with pytest.raises(ArgumentError, match="outcome: got None, expected outcome= passed "
                           "to es.stagnation_followup"):
            f()


def test_with_the_package_pipeline_on_the_example():
    import warnings

    ex = es.datasets.load_example()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # provisional subscale keys; PSNEUR unaffected
        sc = es.score(ex.measurements, instrument="scl90_nl", scales=["PSNEUR"])
    pr = es.pair_prepost(sc, ex.episodes, scale="PSNEUR")
    cs = es.clinical_significance(pr.data, subject="episode_id", time="time", outcome="score",
                                  pre="pre", post="post", reliability=0.97, better_is="lower",
                                  cutoff="a")
    rng = np.random.default_rng(5)
    st = pd.Series(rng.choice(["stagnated", "on_track", "not_evaluable"], len(ex.episodes)),
                   index=pd.Index(ex.episodes["episode_id"], name="episode_id"), name="status")
    fu = es.stagnation_followup(st, ex.episodes, outcome=cs)
    s = fu.summary().set_index("status")
    assert s.loc["all", "n"] == 400 and s.loc["all", "n_with_outcome"] == len(cs.patients)
    assert fu.effect_sizes().set_index("status").loc["all", "n"] == len(cs.patients)
    assert s.drop(index="all")["n_with_outcome"].sum() == len(cs.patients)


def test_without_an_end_reason_column():
    fu = es.stagnation_followup(statuses(), episodes().drop(columns="end_reason"),
                                end_reason=None)
    s = fu.summary().set_index("status")
    assert s.loc["stagnated", "n"] == 4 and np.isnan(s.loc["stagnated", "share_regular_end"])
    with pytest.raises(ArgumentError, match="end_reason: got None, expected end_reason= "
                       "passed to es.stagnation_followup"):
        fu.end_reasons()
