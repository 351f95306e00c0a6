"""Study: the pipeline bundled for notebooks gives the same numbers as the stages called directly."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ParamsError

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "params" / "demo.yaml"


@pytest.fixture(scope="module")
def study(shared_study):
    """The demo Study, built once per session (tests/conftest.py)."""
    return shared_study(DEMO)


@pytest.fixture(scope="module")
def direct():
    """The example data through the stages, called one by one (no Study)."""
    ex = es.datasets.load_example()
    eps = ex.episodes[ex.episodes["consent_study"].fillna(False).astype(bool)]  # not recorded = no consent
    ms = ex.measurements[ex.measurements["episode_id"].isin(eps["episode_id"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.ProvisionalKeyWarning)
        sc = es.score(ms, instrument="scl90_nl")
    return eps, ms, sc


def test_flow_accounts_for_every_episode(study):
    t = study.flow().summary()
    read = t.loc[t.step == "read", "episodes"].item()
    assert read == 400
    used = {s: t.loc[(t.step == s) & (t.reason == "used"), "episodes"].item() for s in ("validation", "consent", "selection")}
    excl = t[t.reason.str.startswith("excluded")].groupby("step")["episodes"].sum()
    assert used["validation"] + excl.get("validation", 0) == read
    assert used["consent"] + excl["consent"] == used["validation"]
    assert used["selection"] + excl.get("selection", 0) == used["consent"]
    pairing = t.loc[t.step == "pairing", "episodes"].sum()
    analysed = t.loc[t.step == "analysed", "episodes"].item()
    assert pairing + analysed == used["selection"]
    # the example README: consent to the effect study yes / no / missing = 318 / 51 / 31
    by = t[t.step == "consent"].set_index("reason")["episodes"]
    assert (by["used"], by["excluded_consent_refused"], by["excluded_consent_missing"]) == (318, 51, 31)
    assert analysed == study.flow().meta["n_used"] == len(study.pairs().data) // 2


def test_flow_counts_the_interim_posts_of_the_demo_rule(study):
    """demo.yaml keeps post_rule last_measurement: the flow says in how many pairs the post is
    an interim measurement (read here from the measurements' occasion) and how many of those
    episodes are dropouts; under end_only they lose their post and no interim is a post."""
    fl = study.flow()
    post = study.pairs().data.query("time == 'post'")[["episode_id", "date"]]
    occ = post.merge(study.measurements[["episode_id", "date", "occasion"]].drop_duplicates(),
                     on=["episode_id", "date"], how="left", validate="one_to_one")
    interim = occ.loc[occ["occasion"].astype(str) != "post", "episode_id"]
    dropouts = int(study.episodes.set_index("episode_id").loc[interim, "end_reason"].astype(str).eq("dropout").sum())
    assert fl.meta["post_rule"] == "last_measurement"
    assert (fl.meta["n_interim_as_post"], fl.meta["n_interim_as_post_dropout"]) == (len(interim), dropouts) == (11, 10)
    assert "bij 11 van de 199 paren is de nameting geen eindmeting (10 daarvan uitvallers)" in fl.meta_lines("nl")[-1]
    ax = fl.plot(lang="nl")  # the analysed box says it too
    assert any("nameting geen eindmeting: 11" in txt.get_text() for txt in ax.texts)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
    end = study.with_overrides({"analysis.post_rule": "end_only"}).flow()
    by_last = fl.summary().query("step == 'pairing'").set_index("reason")["episodes"]
    by_end = end.summary().query("step == 'pairing'").set_index("reason")["episodes"]
    assert end.meta["n_used"] == fl.meta["n_used"] - len(interim) and end.meta["n_interim_as_post"] == 0
    # the interim-as-post pairs and the interim-only episodes outside the post window are no_post now
    moved = by_last["post_outside_window"] - by_end["post_outside_window"]
    assert by_end["no_post"] == by_last["no_post"] + len(interim) + moved == by_last["no_post"] + end.meta["n_no_post_interim_only"]
    assert by_end.drop(["no_post", "post_outside_window"]).equals(by_last.drop(["no_post", "post_outside_window"]))


def test_no_non_consenting_episode_is_analysed(study):
    eps = study.input.episodes.set_index("episode_id")
    analysed = study.pairs().data["episode_id"].unique()
    assert eps.loc[analysed, "consent_study"].all()
    assert set(study.measurements["episode_id"]) <= set(study.episodes["episode_id"])


def test_effect_sizes_equal_the_direct_calls(study, direct):
    eps, _, sc = direct
    table = study.effect_sizes().summary()
    for scale in ("PSNEUR", "DEP"):
        pr = es.pair_prepost(sc, eps, scale=scale, instrument="scl90_nl", post_rule="last_measurement")  # demo.yaml
        # the SCL-90 scales are lower-is-better: the Study reports the improvement (positive)
        res = es.prepost_effect(pr.data, subject="episode_id", time="time", outcome="score",
                                pre="pre", post="post", method="b", adjust=True, better_is="lower")
        row = table[(table.scale == scale) & (table.grouping == "all")].iloc[0]
        ref = res.summary().iloc[0]
        for col in ("n", "estimate", "ci_low", "ci_high", "mean_pre", "sd_pre", "mean_post", "sd_post", "r"):
            assert row[col] == pytest.approx(ref[col], rel=1e-12), (scale, col)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", es.DataQualityWarning)
            g = es.prepost_effect(pr.data, subject="episode_id", time="time", outcome="score", pre="pre",
                                  post="post", method="b", adjust=True, group="care_type",
                                  better_is="lower").summary()
        mine = table[(table.scale == scale) & (table.grouping == "care_type")]
        np.testing.assert_allclose(mine["estimate"].to_numpy(), g["estimate"].to_numpy(), rtol=1e-12)
        assert mine["group"].tolist() == g["group"].tolist()
        assert row["estimate"] > 0 and row["mean_change"] == pytest.approx(row["mean_pre"] - row["mean_post"])
    meta = study.effect_sizes().meta
    assert meta["orientation"] == "improvement positive"
    assert meta["better_is"] == dict.fromkeys(study.analysis.scales, "lower")  # SCL-90: lower is better
    assert all(m["better_is"] == "lower" for m in meta["parts"].values())


def test_clinical_significance_uses_the_params_criteria_or_sample_alpha(study, direct):
    _, ms, _ = direct
    cs = study.clinical_significance()
    assert cs.meta["reliability"] == 0.87 and cs.meta["sd_reference"] == 51.3  # the demo's fixed criteria
    sample = study.with_overrides({"analysis.reliable_change.reliability": "sample"})
    alpha = es.reliability(ms, instrument="scl90_nl", scale="PSNEUR").estimate
    assert sample.clinical_significance().meta["reliability"] == pytest.approx(alpha, rel=1e-12)
    assert cs.meta["cutoff_type"] == "a"
    assert cs.summary()["n"].sum() == study.flow().meta["n_used"]


def test_selection_filters_are_counted(tmp_path):
    st = es.Study.from_params(DEMO, {"selection.years": [2022, 2023], "selection.care_types": ["basic"]})
    t = st.flow().summary().set_index(["step", "reason"])["episodes"]
    eps = st.input.episodes
    consenting = eps[eps.consent_study.fillna(False).astype(bool)]  # not recorded = no consent
    y = consenting.start_date.dt.year
    outside = ~y.between(2022, 2023)
    assert t[("selection", "excluded_year")] == outside.sum()
    assert t[("selection", "excluded_care_type")] == (~outside & (consenting.care_type != "basic")).sum()
    assert t[("selection", "used")] == len(st.episodes) == (~outside & (consenting.care_type == "basic")).sum()


def test_sample_description(study):
    s = study.sample().summary()
    allrow = s[s.grouping == "all"].iloc[0]
    assert allrow["episodes"] == 318
    assert s.loc[s.grouping == "diagnosis", "episodes"].sum() == 318
    assert s.loc[s.grouping == "care_type", "episodes"].sum() == 318


def test_stagnation_data_times(study):
    d = study.stagnation_data()
    assert set(d["scale"].astype(str)) == {"PSNEUR"}
    assert (d["time"] == d["session"].astype(float)).all()
    assert set(d["episode_id"]) <= set(study.episodes["episode_id"])


@pytest.mark.slow  # two cross-fitted not_on_track runs on the example; make test runs it
def test_stagnation_signals(study):
    """The practice rule through es.stagnation; rule not_on_track through es.not_on_track."""
    data = study.stagnation_data()
    done = study.episodes.loc[study.episodes["end_date"].notna()
                              & (study.episodes["end_reason"].astype(str) == "regular"), "episode_id"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", es.DataQualityWarning)
        practice = study.stagnation()
        nt = study.not_on_track()
        via_rule = study.with_overrides({"analysis.stagnation.rule": "not_on_track",
                                         "analysis.not_on_track.level": 0.8}).stagnation()
    kw = dict(subject="episode_id", time="time", outcome="score", instrument="scl90_nl", scale="PSNEUR")
    crit = study.criteria  # one yardstick: the reliability and reference SD of reliable change
    direct = es.stagnation(data, reliability=crit.value("reliability"), sd_reference=crit.value("sd_reference"),
                           window=(3, 5), **kw)
    pd.testing.assert_frame_equal(practice.patients, direct.patients)
    assert practice.meta["rule"] == "early_no_progress"
    direct_nt = es.not_on_track(data, reference=set(done), **kw)
    pd.testing.assert_frame_equal(nt.patients, direct_nt.patients)
    pd.testing.assert_frame_equal(nt.measurements, direct_nt.measurements)
    assert nt.meta["n_reference"] == len(done) and nt.meta["level"] == 0.9
    assert via_rule.meta["rule"] == "not_on_track" and via_rule.meta["level"] == 0.8


def test_errors(study):
    with pytest.raises(ArgumentError, match="params: got 3"):
        es.Study(3)
    with pytest.raises(es.ParamsError, match="does not exist"):
        es.Study.from_params("missing.yaml")
    with pytest.raises(ArgumentError, match="groups: got 'nope'"):
        study.sample(groups=["nope"])


def test_flow_is_reproducible():
    a = es.Study.from_params(DEMO).flow().to_dict()
    b = es.Study.from_params(DEMO).flow().to_dict()
    assert a == b
    assert isinstance(pd.DataFrame(a["summary"]), pd.DataFrame)


def test_yearly_figures_from_another_reports_params_say_which_report(tmp_path):
    """Plain papermill on the yearly notebook with an effect-study params file: a clear message
    at the first yearly step, not a TypeError from a missing year (issue 14)."""
    study = es.Study.from_params(ROOT / "params" / "demo.yaml")
    with pytest.raises(ParamsError) as info:
        study.key_figures()
    msg = str(info.value)
    assert "demo.yaml" in msg and "'effect_study'" in msg and "report: yearly_summary" in msg
    assert "notebooks/effect_study.ipynb" in msg


def test_flow_counts_episodes_with_a_repeated_session_number(tmp_path):
    # one episode gets two measurements at one session number: the stagnation rule leaves it
    # out with reason repeated_session, and the flow (the report's first table) says so
    raw = pd.read_csv(ROOT / "data" / "example" / "measurements.csv", sep=";", dtype=str, keep_default_na=False)
    counts = raw.groupby("episode_id")["session"].transform("size")
    ep = raw.loc[counts >= 3, "episode_id"].iloc[0]
    rows = raw.index[raw["episode_id"] == ep]
    raw.loc[rows[1], "session"] = raw.loc[rows[2], "session"]
    path = tmp_path / "measurements.csv"
    raw.to_csv(path, sep=";", index=False)
    st = es.Study.from_params(DEMO, {"data.measurements.path": str(path)})
    flow = st.flow()
    assert flow.meta["repeated_session"] == {"episodes": 1, "rows": len(rows)}  # all its measurements
    with pytest.warns(es.DataQualityWarning, match="repeated_session"):
        stag = st.stagnation()
    assert stag.meta["exclusions"]["repeated_session"] == 1
    assert any(line.startswith("Stagnatie: 1 traject(en) met twee metingen bij hetzelfde sessienummer niet "
                               f"beoordeeld (reden: twee metingen in één sessie; {len(rows)} metingen niet gebruikt)")
               for line in flow.meta_lines("nl"))
    assert not any("Stagnation" in line or "Stagnatie" in line for line in es.Study.from_params(DEMO).flow().meta_lines("nl"))
    assert es.Study.from_params(DEMO).flow().meta["repeated_session"] == {"episodes": 0, "rows": 0}
