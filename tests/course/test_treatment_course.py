"""Treatment course: hand-computed tables on a 7-episode practice, counts that add up, errors.

Wilson limits are R 4.2.2 ``prop.test(x, n, correct = FALSE)$conf.int``; the Spearman
interval is R's ``tanh(atanh(r) + c(-1, 1) * qnorm(0.975) * sqrt((1 + r^2/2) / (n - 3)))``
(Bonett & Wright 2000) with ``r = cor(x, y, method = "spearman")``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from tests.budget import examples

R_WILSON = {(3, 5): (0.230724281276, 0.882379225767), (1, 5): (0.036224108632, 0.624465370237),
            (1, 3): (0.061491944720, 0.792340399198), (3, 6): (0.187616306483, 0.812383693517),
            (2, 7): (0.082218924004, 0.641065548167)}
R_SPEARMAN = (-0.6, -0.992950579219450, 0.892873135117155)  # rho, CI (n = 4)


def practice() -> pd.DataFrame:
    """Seven episodes in two teams (durations in days in the comments)."""
    ep = pd.DataFrame({
        "episode_id": ["e1", "e2", "e3", "e4", "e5", "e6", "e7"],
        "team": ["A", "A", "A", "B", "B", "B", "B"],
        "start_date": ["2024-01-01", "2024-01-01", "2024-02-01", "2024-03-01", "2024-01-10",
                       "2024-01-10", "2024-01-01"],
        "end_date": ["2024-03-11",   # 70
                     "2024-01-22",   # 21
                     "2024-09-01",   # 213 (2024 is a leap year)
                     None,           # open
                     "2024-04-10",   # 91
                     "2024-05-29",   # 140
                     "2024-02-26"],  # 56
        "sessions": pd.array([8, 3, 24, 6, 12, 20, None], dtype="Int64"),
        "end_reason": ["regular", "dropout", "regular", None, "referral", "regular", None],
    })
    ep["start_date"] = pd.to_datetime(ep["start_date"])
    ep["end_date"] = pd.to_datetime(ep["end_date"])
    return ep


def measurements() -> pd.DataFrame:
    m = pd.DataFrame({
        "episode_id": ["e1", "e1", "e1", "e1", "e3", "e3", "e5", "x1"],
        "date": ["2024-01-01", "2024-02-05", "2024-02-19", "2024-03-11", "2024-02-01",
                 "2024-03-07", "2024-01-10", "2024-02-01"],
        "session": [1, 5, 6, 8, 1, 4, 1, 3],
        "occasion": ["pre", "interim", "interim", "post", "pre", "interim", "pre", "interim"],
    })
    m["date"] = pd.to_datetime(m["date"])
    return m


def outcome() -> pd.DataFrame:
    # change = post - pre (lower is better): e4 is open, zz is not an episode
    return pd.DataFrame({"change": [-10.0, -4.0, -20.0, -2.0, -5.0, -1.0],
                         "category": ["improved", "unchanged", "recovered", "deteriorated",
                                      "improved", "improved"]},
                        index=pd.Index(["e1", "e3", "e5", "e6", "e4", "zz"], name="episode_id"))


def test_sessions_duration_and_planned_range_by_hand():
    tc = es.treatment_course(practice(), group="team")
    s = tc.summary().set_index("group")
    # closed e1 e2 e3 e5 e6 e7; open e4; e7 has no session count
    assert s.loc["all", ["n_episodes", "n_closed", "n_open", "n_sessions_missing"]].tolist() \
        == [7, 6, 1, 1]
    # closed sessions 3, 8, 12, 20, 24: mean 13.4, SD sqrt(295.2 / 4), median 12
    assert s.loc["all", "sessions_mean"] == pytest.approx(13.4)
    assert s.loc["all", "sessions_sd"] == pytest.approx(np.sqrt(73.8))
    assert s.loc["all", "sessions_median"] == 12
    se = tc.sessions().set_index("group")
    assert se.loc["all", ["n", "n_missing", "min", "q1", "median", "q3", "max"]].tolist() == \
        [5, 1, 3, 8, 12, 20, 24]
    assert se.loc["A", "mean"] == pytest.approx(35 / 3)
    assert se.loc["B", ["n", "n_missing", "mean"]].tolist() == [2, 1, 16.0]
    # durations 21, 56, 70, 91, 140, 213 days: median 80.5, mean 98.5
    du = tc.duration().set_index("group")
    assert du.loc["all", ["n", "days_median", "days_mean", "days_min", "days_max"]].tolist() \
        == [6, 80.5, 98.5, 21, 213]
    assert du.loc["all", "weeks_median"] == pytest.approx(11.5)
    assert s.loc["all", "duration_weeks_median"] == pytest.approx(11.5)
    # below 5: e2; within 5-20: e1 e5 e6 (20 is within); beyond: e3; missing: e7
    assert s.loc["all", ["n_below", "n_within", "n_beyond"]].tolist() == [1, 3, 1]
    assert s.loc["all", "share_within"] == pytest.approx(3 / 5)
    assert s.loc["all", "share_beyond"] == pytest.approx(1 / 5)
    assert (s.loc["all", "share_within_ci_low"], s.loc["all", "share_within_ci_high"]) == \
        pytest.approx(R_WILSON[(3, 5)], abs=1e-11)
    assert (s.loc["all", "share_beyond_ci_low"], s.loc["all", "share_beyond_ci_high"]) == \
        pytest.approx(R_WILSON[(1, 5)], abs=1e-11)
    assert (s.loc["A", "share_within_ci_low"], s.loc["A", "share_within_ci_high"]) == \
        pytest.approx(R_WILSON[(1, 3)], abs=1e-11)
    p = tc.planned()
    assert p.groupby("group")["n"].sum().to_dict() == {"A": 3, "B": 3, "all": 6}
    pa = p[p["group"] == "all"].set_index("band")
    assert pa["n"].to_dict() == {"below": 1, "within": 3, "beyond": 1, "missing": 1}
    assert pa.loc["within", "proportion"] == pytest.approx(3 / 6)
    assert (pa.loc["within", "ci_low"], pa.loc["within", "ci_high"]) == pytest.approx(
        R_WILSON[(3, 6)], abs=1e-11)
    assert tc.patients.loc["e3", "planned_band"] == "beyond"
    assert tc.patients.loc["e3", "duration_days"] == 213


def test_end_reasons_count_every_episode():
    tc = es.treatment_course(practice(), group="team")
    r = tc.end_reasons()
    a = r[r["group"] == "all"].set_index("end_reason")
    assert list(a.index) == ["dropout", "referral", "regular", "missing", "open"]
    assert a["n"].to_dict() == {"dropout": 1, "referral": 1, "regular": 3, "missing": 1,
                                "open": 1}
    assert a.loc["regular", "proportion_closed"] == pytest.approx(3 / 6)
    assert a.loc["regular", "proportion_all"] == pytest.approx(3 / 7)
    assert np.isnan(a.loc["open", "proportion_closed"])
    assert r.groupby("group")["n"].sum().to_dict() == {"A": 3, "B": 4, "all": 7}


def test_first_interim_by_occasion_and_without_occasions():
    tc = es.treatment_course(practice(), measurements=measurements())
    fi = tc.first_interim().iloc[0]
    # e1: first interim 2024-02-05 (35 days, session 5); e3: 2024-03-07 (35 days, session 4)
    assert (fi["n_episodes"], fi["n_with_interim"]) == (7, 2)
    assert fi["share_with_interim"] == pytest.approx(2 / 7)
    assert (fi["ci_low"], fi["ci_high"]) == pytest.approx(R_WILSON[(2, 7)], abs=1e-11)
    assert (fi["days_median"], fi["sessions_mean"]) == (35.0, 4.5)
    assert tc.patients.loc["e1", ["first_interim_days", "first_interim_session"]].tolist() == \
        [35.0, 5.0]
    assert tc.meta["measurements_other_episode"] == 1
    assert tc.meta["interim_rule"] == "occasion == 'interim'"
    # without occasions: strictly between the first and last measurement of a closed
    # episode; e3's second measurement is its last, so only e1 has an interim
    tc2 = es.treatment_course(practice(), measurements=measurements().drop(columns="occasion"))
    assert tc2.first_interim()["n_with_interim"].iloc[0] == 1
    assert tc2.patients.loc["e1", "first_interim_days"] == 35.0
    assert "strictly after" in tc2.meta["interim_rule"]


def test_length_versus_outcome_by_hand():
    tc = es.treatment_course(practice(), outcome=outcome(), better_is="lower")
    c = tc.length_vs_outcome().iloc[0]
    # closed with sessions and outcome: (sessions, improvement) = (8, 10), (24, 4), (12, 20),
    # (20, 2): rank differences -2, 2, -2, 2 -> rho = 1 - 6 * 16 / (4 * 15) = -0.6
    assert c["n"] == 4
    assert c["n_no_outcome"] == 2  # e2 and e7 are closed without an outcome
    assert c["spearman_rho"] == pytest.approx(R_SPEARMAN[0], abs=1e-12)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx(R_SPEARMAN[1:], abs=1e-12)
    sp = stats.spearmanr([8, 24, 12, 20], [10, 4, 20, 2])
    assert c["p"] == pytest.approx(sp.pvalue, rel=1e-10)
    assert tc.meta["outcome_open"] == 1 and tc.meta["outcome_not_in_episodes"] == 1
    b = tc.outcome_by_length().set_index("session_band")
    assert list(b.index) == ["<5", "5-10", "11-15", "16-20", ">20"]
    assert b["n"].tolist() == [0, 1, 1, 1, 1]
    assert b["mean_improvement"].iloc[1:].tolist() == [10.0, 20.0, 2.0, 4.0]
    assert b["mean_change"].iloc[1:].tolist() == [-10.0, -20.0, -2.0, -4.0]
    # categories: e1 improved (5-10), e5 recovered (11-15), e6 deteriorated (16-20)
    assert b["n_improved"].tolist() == [0, 1, 1, 0, 0]
    assert b["n_deteriorated"].tolist() == [0, 0, 0, 1, 0]
    assert b["n"].sum() == c["n"]
    assert tc.patients.loc["e1", "improvement"] == 10.0


def test_band_ci_and_better_is_from_the_outcome_meta():
    ep = practice()
    ep["sessions"] = pd.array([8, 8, 8, 6, 8, 9, 9], dtype="Int64")
    ch = pd.DataFrame({"episode_id": ["e1", "e2", "e3", "e5"], "change": [1.0, 3.0, 5.0, 7.0]})

    class Res:
        patients = ch
        meta = {"better_is": "higher"}

    tc = es.treatment_course(ep, outcome=Res())
    b = tc.outcome_by_length().set_index("session_band").loc["5-10"]
    # improvements 1, 3, 5, 7: mean 4, SD sqrt(20 / 3), t interval with 3 df
    half = stats.t.ppf(0.975, 3) * np.sqrt(20 / 3) / 2
    assert (b["n"], b["mean_improvement"]) == (4, 4.0)
    assert (b["ci_low"], b["ci_high"]) == pytest.approx((4 - half, 4 + half))
    assert tc.meta["better_is"] == "higher"


def test_pairs_as_outcome():
    ep = practice()
    sc = pd.DataFrame({"client_id": ["c1", "c1"], "scale": "GSI", "occasion": ["pre", "post"],
                       "date": pd.to_datetime(["2024-01-01", "2024-03-10"]),
                       "score": [2.0, 1.5]})
    pr = es.pair_prepost(sc, ep.assign(client_id=["c1", "c2", "c3", "c4", "c5", "c6", "c7"]),
                         scale="GSI")
    tc = es.treatment_course(ep, outcome=pr, better_is="lower")
    assert tc.patients.loc["e1", "change"] == pytest.approx(-0.5)
    assert tc.meta["outcome_source"] == "post_score - pre_score of the pairs"


def test_example_data_counts_match_the_readme():
    ex = es.datasets.load_example()
    tc = es.treatment_course(ex.episodes, measurements=ex.measurements, group="care_type")
    s = tc.summary().set_index("group")
    # README: 400 episodes, 20 open; end reasons regular 266, dropout 69, referral 43,
    # other 2; 18 episodes with more than 20 sessions and 34 with fewer than 5 (all
    # episodes; the planned-range table counts closed ones)
    assert s.loc["all", ["n_episodes", "n_open"]].tolist() == [400, 20]
    r = tc.end_reasons()
    ra = r[r["group"] == "all"].set_index("end_reason")["n"]
    assert ra[["regular", "dropout", "referral", "other", "open"]].tolist() == \
        [266, 69, 43, 2, 20]
    pat = tc.patients
    assert int((pat["sessions"] > 20).sum()) == 18
    assert int((pat["sessions"] < 5).sum()) == 34
    assert s.loc["all", "n_beyond"] == int(((pat["sessions"] > 20) & pat["closed"]).sum())
    per = s[s.index != "all"]
    for c in ("n_episodes", "n_closed", "n_open", "n_below", "n_within", "n_beyond"):
        assert per[c].sum() == s.loc["all", c]
    assert (r.groupby("group")["n"].sum().reindex(s.index) == s["n_episodes"]).all()
    # every administration marked interim belongs to an episode: 279 of them (README)
    assert tc.first_interim()["n_with_interim"].iloc[-1] <= 279


def test_missing_group_values_form_their_own_row_and_display():
    ep = practice()
    ep.loc[0, "team"] = None
    tc = es.treatment_course(ep, group="team")
    s = tc.summary()
    assert s["group"].isna().sum() == 1
    assert s.loc[s["group"].isna(), "n_episodes"].tolist() == [1]
    assert s.loc[s["group"] == "all", "n_episodes"].tolist() == [7]
    assert "n trajecten" in tc.format(lang="nl").columns
    d = json.loads(json.dumps(tc.to_dict()))
    assert set(d["tables"]) >= {"summary", "sessions", "planned", "end_reasons"}
    assert "<table" in tc._repr_html_()
    assert tc.plot().get_xlabel() == "Sessies" and tc.plot(lang="en").get_xlabel() == "Sessions"
    tco = es.treatment_course(practice(), outcome=outcome(), better_is="lower")
    assert tco.plot(kind="length") is not None


def test_no_end_reason_column():
    tc = es.treatment_course(practice().drop(columns="end_reason"), end_reason=None)
    assert tc.summary()["n_closed"].iloc[0] == 6
    with pytest.raises(ArgumentError, match="end_reason: got None, expected end_reason= "
                       "passed"):
        tc.end_reasons()


def _bad(kind):
    ep = practice()
    kw = {}
    if kind == "not_df":
        ep = ep.to_dict()
    elif kind == "no_col":
        ep = ep.drop(columns="sessions")
    elif kind == "dup":
        ep.loc[1, "episode_id"] = "e1"
    elif kind == "no_id":
        ep.loc[1, "episode_id"] = None
    elif kind == "text_date":
        ep["start_date"] = ep["start_date"].dt.strftime("%d-%m-%Y")
    elif kind == "no_start":
        ep.loc[2, "start_date"] = pd.NaT
    elif kind == "end_before_start":
        ep.loc[1, "end_date"] = pd.Timestamp("2023-12-01")
    elif kind == "negative":
        ep["sessions"] = [8, -1, 24, 6, 12, 20, 1]
    elif kind == "fraction":
        ep["sessions"] = [8, 2.5, 24, 6, 12, 20, 1]
    elif kind == "text_sessions":
        ep["sessions"] = ["8", "x", "24", "6", "12", "20", "1"]
    else:
        kw = kind
    return ep, kw


@pytest.mark.parametrize("kind, exc, msg", [
    ("not_df", ArgumentTypeError, "episodes: got dict"),
    ("no_col", ArgumentError, "sessions: got 'sessions', expected a column of episodes"),
    ("dup", DataError, r"duplicate episode_id in episodes.*found \(niet getoond: identificerend\)"),
    ("no_id", DataError, "missing episode_id in episodes"),
    ("text_date", ArgumentTypeError, "start: got str .*expected datetime64 dates"),
    ("no_start", DataError, "start_date: missing start date"),
    ("end_before_start", DataError, r"end date before start date: found \(niet getoond: identificerend\), "
     "expected a date on or after 'start_date'"),
    ("negative", DataError, "invalid count in episodes: found -1.0, expected a whole number"),
    ("fraction", DataError, "invalid count in episodes: found 2.5"),
    ("text_sessions", DataError, "not a number in episodes: found 'x'"),
    ({"planned": (5,)}, ArgumentError, r"planned: got \(5,\), expected two whole numbers"),
    ({"planned": (20, 5)}, ArgumentError, "planned: got .*0 < least <= most"),
    ({"planned": (5.0, 20)}, ArgumentError, "planned: got"),
    ({"bands": (10, 5)}, ArgumentError, "bands: got .*increasing whole numbers"),
    ({"bands": "5"}, ArgumentError, "bands: got '5'"),
    ({"ci": 1.0}, ArgumentError, "ci: got 1.0, expected a confidence level"),
    ({"group": "site"}, ArgumentError, "group: got 'site', expected a column of episodes"),
    ({"measurements": [1]}, ArgumentTypeError, "measurements: got list"),
    ({"measurements": pd.DataFrame({"date": []})}, ArgumentError,
     "measurements: got 'episode_id', expected a column of measurements"),
    ({"measurements": pd.DataFrame({"episode_id": ["e1"]})}, ArgumentError,
     "measurements: got 'date', expected a column of measurements"),
    ({"measurements": pd.DataFrame({"episode_id": ["e1"], "date": ["2024-01-01"]})},
     ArgumentTypeError, "measurements: got str .*measurements\\['date'\\]"),
    ({"outcome": pd.DataFrame({"score": [1.0]}, index=["e1"])}, ArgumentError,
     "outcome: got 'DataFrame', expected es.reliable_change"),
    ({"outcome": pd.DataFrame({"change": [1.0]}, index=["e1"])}, ArgumentError,
     "better_is: got None, expected 'lower' or 'higher'"),
    ({"outcome": pd.DataFrame({"change": [1.0, 2.0]}, index=["e1", "e1"])}, DataError,
     "duplicate episode id in outcome"),
    ({"outcome": 3}, ArgumentTypeError, "outcome: got int 3"),
])
def test_errors(kind, exc, msg):
    ep, kw = _bad(kind)
    with pytest.raises(exc, match=msg):
        es.treatment_course(ep, **kw)


def test_accessor_and_plot_errors():
    tc = es.treatment_course(practice())
    with pytest.raises(ArgumentError, match="measurements: got None, expected measurements= "
                       "passed to es.treatment_course"):
        tc.first_interim()
    with pytest.raises(ArgumentError, match="outcome: got None, expected outcome= passed"):
        tc.length_vs_outcome()
    with pytest.raises(ArgumentError, match="outcome: got None"):
        tc.outcome_by_length()
    with pytest.raises(ArgumentError, match="kind: got 'pie', expected 'sessions' or 'length'"):
        tc.plot(kind="pie")
    with pytest.raises(ArgumentError, match="kind: got 'length', expected 'sessions' \\(no "
                       "outcome= was given\\)"):
        tc.plot(kind="length")


def test_verb_survives_its_module_import():
    import effectstudy.course.treatment_course  # noqa: F401 - must not shadow es.treatment_course

    assert es.treatment_course(practice()).summary()["n_episodes"].iloc[0] == 7


# examples: 1-30 episodes in team A, B or none, sessions and duration missing or not, 4 end
# reasons (one missing): 20 examples of up to 30 rows give every team x end reason combination
@examples(20)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", None]),
                          st.one_of(st.none(), st.integers(0, 40)),
                          st.one_of(st.none(), st.integers(0, 400)),
                          st.sampled_from(["regular", "dropout", "referral", None])),
                min_size=1, max_size=30))
def test_counts_always_add_up(rows):
    ep = pd.DataFrame({
        "episode_id": [f"e{i}" for i in range(len(rows))],
        "team": [r[0] for r in rows],
        "start_date": pd.Timestamp("2024-01-01"),
        "end_date": [pd.Timestamp("2024-01-01") + pd.Timedelta(days=r[2])
                     if r[2] is not None else pd.NaT for r in rows],
        "sessions": pd.array([r[1] for r in rows], dtype="Int64"),
        "end_reason": [r[3] for r in rows],
    })
    tc = es.treatment_course(ep, group="team")
    s = tc.summary()
    per = s[s["group"] != "all"]
    tot = s[s["group"] == "all"].iloc[0]
    assert tot["n_episodes"] == len(ep)
    for c in ("n_episodes", "n_closed", "n_open", "n_below", "n_within", "n_beyond",
              "n_sessions_missing"):
        assert per[c].sum() == tot[c]
    assert (s["n_below"] + s["n_within"] + s["n_beyond"] + s["n_sessions_missing"]
            == s["n_closed"]).all()
    r = tc.end_reasons()
    assert (r.groupby("group", dropna=False, sort=False)["n"].sum().to_numpy()
            == s["n_episodes"].to_numpy()).all()
    p = tc.planned()
    assert (p.groupby("group", dropna=False, sort=False)["n"].sum().to_numpy()
            == s["n_closed"].to_numpy()).all()


def test_index_positions_and_unique_ids_match_pandas():
    """The integer-code lookups give what ``get_indexer`` and ``duplicated`` give."""
    import numpy as np
    import pandas as pd
    import pytest

    from effectstudy.core.errors import DataError
    from effectstudy.core.keys import index_positions
    from effectstudy.course.treatment_course import id_index, unique_ids

    idx = pd.Index(pd.array(["e3", "e1", "e2"], dtype="str"))
    keys = pd.Series(["e1", None, "x", "e3", "e1"], dtype="str")
    assert index_positions(idx, keys).tolist() == idx.get_indexer(keys).tolist()
    assert index_positions(pd.Index([5, 7]), np.array([7, 8, 5])).tolist() == [1, -1, 0]
    col = pd.Series(["a", "b"], dtype="str")
    assert id_index(col).equals(pd.Index(col.to_numpy(), name="episode_id"))
    assert id_index(col).dtype == pd.Index(col.to_numpy()).dtype
    unique_ids(pd.DataFrame({"episode_id": col}), "episode_id", "episodes")
    with pytest.raises(DataError, match="duplicate"):
        unique_ids(pd.DataFrame({"episode_id": ["a", "a"]}), "episode_id", "episodes")
    with pytest.raises(DataError, match="missing"):
        unique_ids(pd.DataFrame({"episode_id": ["a", None]}), "episode_id", "episodes")
