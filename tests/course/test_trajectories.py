"""Trajectories (mixed model over all measurements): lme4 reference, planted effects, errors.

Reference: ``tests/reference/trajectories`` (README there): R 4.2.2, lme4 1.1-31,
``lmer(score ~ log(session) * group + (1 + log(session) | id), REML = TRUE)``.
Tolerances: engine "reml" 1e-6 relative on fixed effects, their SEs, the random-effect SDs,
correlation and sigma against lme4 with a tight bobyqa (achieved: 2e-8, correlation 2.4e-7); REML
criterion equal to 1e-9 relative.  Engine "statsmodels": 1e-4 on fixed effects, 1e-3 on SEs
and variance components (achieved: 1e-5 and 5e-4).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning

REF = Path(__file__).parents[1] / "reference" / "trajectories"


def ref_input() -> pd.DataFrame:
    return pd.read_csv(REF / "trajectories_input.csv", dtype={"id": str})


def lme4(control: str = "tight") -> tuple[pd.DataFrame, pd.Series]:
    fe = pd.read_csv(REF / "trajectories_lme4_fixef.csv")
    vc = pd.read_csv(REF / "trajectories_lme4_varcorr.csv")
    return (fe[fe["control"] == control].set_index("term"),
            vc[vc["control"] == control].iloc[0])


@pytest.mark.parametrize("engine, rtol_fe, rtol_se, rtol_vc", [
    ("reml", 1e-6, 1e-6, 1e-6),
    # the statsmodels engine's loops take seconds: in make test only
    pytest.param("statsmodels", 1e-4, 1e-3, 1e-3, marks=pytest.mark.slow),
])
def test_fixed_effects_and_variance_components_against_lme4(engine, rtol_fe, rtol_se,
                                                             rtol_vc):
    tr = es.trajectories(ref_input(), subject="id", time="session", outcome="score",
                         group="group", occasion="occasion", engine=engine)
    fe, vc = lme4("tight")
    got = tr.fixed_effects().set_index("term")
    assert list(got.index) == list(fe.index)  # R's names and order
    np.testing.assert_allclose(got["estimate"], fe["estimate"], rtol=rtol_fe)
    np.testing.assert_allclose(got["se"], fe["se"], rtol=rtol_se)
    r = tr.random_effects().iloc[0]
    for c in ("sd_intercept", "sd_slope", "cor", "sigma"):
        assert r[c] == pytest.approx(vc[c], rel=rtol_vc), c
    assert r["reml_criterion"] == pytest.approx(vc["reml_criterion"], rel=1e-9)
    assert (r["n_obs"], r["n_subjects"]) == (vc["n_obs"], vc["n_ids"])
    if engine == "reml":  # our optimum is at least as good as lme4's
        assert r["reml_criterion"] <= vc["reml_criterion"] + 1e-7
        assert tr.meta["converged"] and not tr.meta["singular"]


def test_against_lme4_default_settings():
    tr = es.trajectories(ref_input(), subject="id", time="session", outcome="score",
                         group="group")
    fe, vc = lme4("default")
    np.testing.assert_allclose(tr.fixed_effects().set_index("term")["estimate"],
                               fe["estimate"], rtol=1e-5)
    r = tr.random_effects().iloc[0]
    for c in ("sd_intercept", "sd_slope", "cor", "sigma"):
        assert r[c] == pytest.approx(vc[c], rel=1e-4), c


def test_change_per_group_is_the_slope_times_the_log_span():
    tr = es.trajectories(ref_input(), subject="id", time="session", outcome="score",
                         group="group", occasion="occasion", change_between=(1, 20))
    fe, _ = lme4("tight")
    s = tr.summary().set_index("group")
    # change of group g from session 1 to 20 = slope_g * (log 20 - log 1), slope_g from R
    slope = {"anxiety": fe.loc["log(session)", "estimate"],
             "mood": fe.loc["log(session)", "estimate"]
             + fe.loc["log(session):groupmood", "estimate"],
             "other": fe.loc["log(session)", "estimate"]
             + fe.loc["log(session):groupother", "estimate"]}
    for g, b in slope.items():
        assert s.loc[g, "estimate"] == pytest.approx(b * np.log(20), rel=1e-6)
    # the reference group's SE is R's SE of the log(session) coefficient times log(20)
    assert s.loc["anxiety", "se"] == pytest.approx(fe.loc["log(session)", "se"] * np.log(20),
                                                   rel=1e-6)
    d = ref_input()
    assert s["n_obs"].sum() == len(d)
    assert s["n_subjects"].sum() == d["id"].nunique()
    n_post = d[d["occasion"] == "post"].groupby("group")["id"].nunique()
    assert s["n_with_post"].to_dict() == n_post.to_dict()
    n_single = d.groupby("id").agg(g=("group", "first"), n=("score", "size"))
    assert s["n_single_obs"].to_dict() == n_single[n_single["n"] == 1].groupby("g").size() \
        .to_dict()


def test_balanced_complete_data_give_the_ols_lines_by_hand():
    # every subject measured at t = 0, 1, 2 (linear time): GLS = OLS on the time means.
    # group a: means at t 0, 1, 2 are 10, 8, 7 -> slope (7 - 10) / 2 = -1.5, intercept
    # mean 25/3 - (-1.5) * 1 = 9.8333; group b: 12, 12, 9 -> slope -1.5, intercept 12.5
    rows = []
    offsets = {"s1": (0.0, 0.5), "s2": (1.0, -0.5), "s3": (-1.0, 0.0),
               "s4": (0.5, 0.25), "s5": (-0.5, -0.25), "s6": (0.0, 0.0)}
    means = {"a": (10.0, 8.0, 7.0), "b": (12.0, 12.0, 9.0)}
    noise = {0: 0.3, 1: -0.6, 2: 0.3}
    for s, (u0, u1) in offsets.items():
        g = "a" if s in ("s1", "s2", "s3") else "b"
        for t in (0, 1, 2):
            sign = 1 if s in ("s1", "s4") else (-1 if s in ("s2", "s5") else 0)
            rows.append((s, g, t, means[g][t] + u0 + u1 * (t - 1) + sign * noise[t]))
    d = pd.DataFrame(rows, columns=["id", "g", "t", "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # may be singular; not tested here
        tr = es.trajectories(d, subject="id", time="t", outcome="y", group="g",
                             time_transform="linear", change_between=(0, 2))
    fe = tr.fixed_effects().set_index("term")
    assert fe.loc["(Intercept)", "estimate"] == pytest.approx(25 / 3 + 1.5, abs=1e-8)
    assert fe.loc["t", "estimate"] == pytest.approx(-1.5, abs=1e-8)
    assert fe.loc["gb", "estimate"] == pytest.approx(12.5 - (25 / 3 + 1.5), abs=1e-8)
    assert fe.loc["t:gb", "estimate"] == pytest.approx(0.0, abs=1e-8)
    s = tr.summary().set_index("group")
    assert s.loc["a", "estimate"] == pytest.approx(-3.0, abs=1e-8)
    assert s.loc["b", ["mean_from", "mean_to"]].tolist() == pytest.approx([12.5, 9.5],
                                                                          abs=1e-8)


@pytest.fixture(scope="module")
def planted():
    sp = es.datasets.generate(n_episodes=3000, seed=2026)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # provisional subscale keys; PSNEUR is unaffected
        sc = es.score(sp.measurements, instrument="scl90_nl", scales=["PSNEUR"]).scores
    d = sc[sc["score"].notna()].merge(sp.truth[["episode_id", "responder_type"]],
                                      on="episode_id")
    return sp, d


def test_recovers_the_planted_trajectories(planted):
    sp, d = planted
    tr = es.trajectories(d, subject="episode_id", time="session", outcome="score",
                         group="responder_type", occasion="occasion", change_between=(1, 8))
    s = tr.summary().set_index("group")
    # planted: E[item sum] at session 8 minus at session 1, averaged over the episodes of
    # each type (expected_trajectory is the generator's analytic expectation, no scoring)
    truth = sp.truth
    expected = {}
    for rt in ("responder", "non_responder", "deteriorator"):
        q = truth[truth["responder_type"] == rt]
        e8 = es.datasets.expected_trajectory(q, np.full(len(q), 8.0))
        e1 = es.datasets.expected_trajectory(q, np.ones(len(q)))
        expected[rt] = float(np.mean(e8 - e1))
    assert expected["non_responder"] == 0.0
    # responders improve (planted -48.3): estimate within 5 %, CI excludes 0
    assert s.loc["responder", "estimate"] == pytest.approx(expected["responder"], rel=0.05)
    assert s.loc["responder", "ci_high"] < -40
    # non-responders are flat: the CI contains 0 and the estimate is within 3 points
    assert s.loc["non_responder", "ci_low"] < 0 < s.loc["non_responder", "ci_high"]
    assert abs(s.loc["non_responder", "estimate"]) < 3
    # deteriorators get worse (planted +26.5)
    assert s.loc["deteriorator", "estimate"] == pytest.approx(expected["deteriorator"],
                                                              rel=0.15)
    assert s.loc["deteriorator", "ci_low"] > 15
    # all measurements of all episodes are used, also those without a post measurement
    assert tr.meta["n_obs"] == len(d)
    assert (~tr.patients["has_post"]).sum() > 500
    assert s["n_with_post"].sum() < s["n_subjects"].sum()


@pytest.mark.slow  # statsmodels' loops; each engine is checked against lme4 in the fast tests
def test_engines_agree_on_generated_data(planted):
    _, d = planted
    d = d[d["episode_id"].isin(d["episode_id"].unique()[:800])]  # statsmodels loops: keep it small
    kw = dict(subject="episode_id", time="session", outcome="score", group="responder_type")
    a = es.trajectories(d, **kw).summary()
    b = es.trajectories(d, engine="statsmodels", **kw).summary()
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-4)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-2)


def test_defaults_observed_means_plot_and_json():
    d = ref_input()
    tr = es.trajectories(d, subject="id", time="session", outcome="score", group="group")
    # default span: smallest time (1) to the median of the subjects' last sessions
    last = d.groupby("id")["session"].max()
    assert tr.meta["change_between"] == (1.0, float(np.median(last)))
    assert tr.meta["change_between_source"].startswith("smallest observed time")
    o = tr.observed_means()
    assert o["n"].sum() == len(d)
    assert set(o["group"]) == {"anxiety", "mood", "other"}
    o2 = tr.observed_means(bins=[1, 2, 6, 11, 100])
    assert list(o2.loc[o2["group"] == "mood", "bin"]) == ["[1, 2)", "[2, 6)", "[6, 11)",
                                                         "[11, 100)"]
    first = d[(d["session"] == 1) & (d["group"] == "mood")]["score"]
    assert o2.loc[(o2["group"] == "mood") & (o2["bin"] == "[1, 2)"), "mean"].iloc[0] == \
        pytest.approx(first.mean())
    ax = tr.plot()
    assert len(ax.lines) >= 3
    assert tr.predict([1.0], "anxiety")[0] == pytest.approx(
        tr.fixed_effects()["estimate"].iloc[0])
    json.dumps(tr.to_dict())
    assert "Schatting" in tr.format(lang="nl").columns
    assert "<table" in tr._repr_html_()
    un = es.trajectories(d, subject="id", time="session", outcome="score")
    assert "group" not in un.summary()
    assert un.plot() is not None
    assert un.meta["formula"] == "score ~ log(session) + (1 + log(session) | id)"


def test_missing_rows_and_missing_groups_are_counted():
    d = ref_input()
    d.loc[0, "score"] = np.nan
    ids = d["id"].unique()
    d.loc[d["id"] == ids[5], "group"] = None
    with pytest.warns(DataQualityWarning, match="1 of 237 subjects excluded: missing group 1"):
        tr = es.trajectories(d, subject="id", time="session", outcome="score", group="group")
    assert tr.meta["rows_missing"] == 1
    assert tr.meta["exclusions"]["missing_group"] == 1
    assert tr.meta["n_used"] == 236
    assert tr.meta["n_obs"] == len(d) - 1 - int((d["id"] == ids[5]).sum()) + int(
        d.loc[0, "id"] == ids[5])


def test_group_missing_in_some_rows_of_a_subject_is_taken_from_its_other_rows():
    d = ref_input()
    first = d["id"].iloc[0]
    rows = d.index[d["id"] == first]
    d2 = d.copy()
    d2.loc[rows[0], "group"] = None
    a = es.trajectories(d, subject="id", time="session", outcome="score", group="group")
    b = es.trajectories(d2, subject="id", time="session", outcome="score", group="group")
    pd.testing.assert_frame_equal(a.summary(), b.summary())


def test_subjects_without_a_complete_measurement_are_counted_and_warned():
    d = ref_input()
    first = d["id"].iloc[0]
    d.loc[d["id"] == first, "score"] = np.nan
    with pytest.warns(DataQualityWarning, match="1 of 237 subjects excluded: no complete "
                      "measurement 1"):
        tr = es.trajectories(d, subject="id", time="session", outcome="score")
    assert tr.meta["exclusions"] == {"no_complete_measurement": 1}
    assert tr.meta["n_used"] == 236


def test_singular_fit_warns():
    rng = np.random.default_rng(3)
    ids = np.repeat(np.arange(40), 3)
    t = np.tile([1.0, 3.0, 9.0], 40)
    y = 50 - 5 * np.log(t) + rng.normal(0, 2, ids.size)  # no subject variation at all
    d = pd.DataFrame({"id": ids, "t": t, "y": y})
    with pytest.warns(DataQualityWarning, match="singular"):
        tr = es.trajectories(d, subject="id", time="t", outcome="y")
    assert tr.meta["singular"]


def _bad(case):
    d = ref_input()
    kw: dict = {}
    if case == "not_df":
        d = d.to_dict()
    elif case == "time_text":
        d["session"] = d["session"].astype(str)
    elif case == "score_text":
        d["score"] = d["score"].astype(str)
    elif case == "inf":
        d.loc[3, "score"] = np.inf
    elif case == "no_id":
        d.loc[3, "id"] = None
    elif case == "zero_time":
        d.loc[3, "session"] = 0
    elif case == "zero_time_log1p":
        d.loc[3, "session"] = -1
        kw = {"time_transform": "log1p"}
    elif case == "group_changes":
        d.loc[1, "group"] = "other" if d.loc[1, "group"] != "other" else "mood"
    elif case == "one_subject":
        first = d["id"].iloc[0]
        d.loc[d["id"] == first, "group"] = "solo"
    elif case == "one_time":
        d = d[d["session"] == 1]
    elif case == "tiny":
        d = pd.DataFrame({"id": [1, 1, 2, 2], "session": [1, 2, 1, 2],
                          "score": [1.0, 2.0, 3.0, 4.0], "group": "a"})
    else:
        kw = case
    return d, kw


@pytest.mark.parametrize("case, exc, msg", [
    ("not_df", ArgumentTypeError, "data: got dict"),
    ({"subject": "client"}, ArgumentError, "subject: got 'client', expected a column of data"),
    ({"group": "site"}, ArgumentError, "group: got 'site', expected a column of data"),
    ({"time_transform": "sqrt"}, ArgumentError, "time_transform: got 'sqrt', expected one of"),
    ({"engine": "lme4"}, ArgumentError, "engine: got 'lme4', expected 'reml' or 'statsmodels'"),
    ({"ci": 2}, ArgumentError, "ci: got 2, expected a confidence level"),
    ("time_text", ArgumentTypeError, "time: got str .column 'session' of dtype str., expected a numeric"),
    ("score_text", ArgumentTypeError, "outcome: got str .column 'score' of dtype"),
    ("inf", DataError, "row 3 score: infinite value: found inf"),
    ("no_id", DataError, "row 3 id: missing subject id"),
    ("zero_time", DataError, "time not in the domain of time_transform='log'.*found 0.0, "
     "expected a time > 0 \\(use time_transform='log1p'"),
    ("zero_time_log1p", DataError, "time_transform='log1p'.*expected a time > -1"),
    ("group_changes", DataError, "group: group changes within a subject"),
    ("one_subject", DataError, "group 'solo': 1 subject\\(s\\).*at least 2 subjects"),
    ("one_time", DataError, "group 'anxiety': 71 subject\\(s\\) and a single distinct time"),
    ("tiny", DataError, "4 measurements for 2 fixed effects"),
    ({"change_between": (8, 1)}, ArgumentError, "change_between: got \\(8, 1\\), expected two "
     "times"),
    ({"change_between": (0, 8)}, ArgumentError, "change_between: got \\(0, 8\\), expected "
     "times > 0"),
    ({"change_between": "1-8"}, ArgumentError, "change_between: got '1-8'"),
])
def test_errors(case, exc, msg):
    d, kw = _bad(case)
    base = dict(subject="id", time="session", outcome="score", group="group")
    base.update(kw)
    with pytest.raises(exc, match=msg):
        es.trajectories(d, **base)


def test_row_order_and_subject_labels_do_not_matter():
    d = ref_input()
    a = es.trajectories(d, subject="id", time="session", outcome="score", group="group")
    sh = d.sample(frac=1.0, random_state=4).reset_index(drop=True)
    sh["id"] = "x" + sh["id"]
    b = es.trajectories(sh, subject="id", time="session", outcome="score", group="group")
    pd.testing.assert_frame_equal(a.fixed_effects(), b.fixed_effects(), rtol=1e-6, atol=1e-6)
    pd.testing.assert_frame_equal(a.summary(), b.summary(), rtol=1e-6, atol=1e-6)


def test_predict_unknown_group():
    tr = es.trajectories(ref_input(), subject="id", time="session", outcome="score",
                         group="group")
    with pytest.raises(ArgumentError, match="group: got 'x', expected one of"):
        tr.predict([1.0], "x")


def test_verb_survives_its_module_import():
    import effectstudy.course.trajectories  # noqa: F401 - must not shadow es.trajectories

    tr = es.trajectories(ref_input(), subject="id", time="session", outcome="score")
    assert tr.meta["n_obs"] == 517
