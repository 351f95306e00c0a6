"""es.signal_accuracy: the not-on-track signal against a final outcome.  Figures against
R (pROC, prop.test; tests/reference/signal), the looks used (cross-fitted, before the
outcome only), the held-out model, the Study's run and the planted truth."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError
from effectstudy.course.signal_validation import MEASURES, SignalAccuracyResult
from tests.course.planted import planted_practice
from tests.course.test_expected_response import simulated_practice

REF = Path(__file__).parents[1] / "reference" / "signal"
DEMO = Path(__file__).parents[2] / "params" / "demo.yaml"


def _reference_inputs():
    looks = pd.read_csv(REF / "looks.csv").rename(columns={"z": "z_worse"})
    out = pd.read_csv(REF / "outcome.csv").set_index("id")
    poor = out["poor"].map({1.0: True, 0.0: False})  # empty = unknown
    return looks, poor, out["until"]


# ---------------------------------------------------------------- against R
@pytest.mark.parametrize("method", ["ever", "latest"])
@pytest.mark.parametrize("level", [0.80, 0.90])
def test_signal_accuracy_against_proc(method, level):
    looks, poor, until = _reference_inputs()
    res = es.signal_accuracy(looks, poor, until=until, subject="id", time="t", level=level,
                             method=method)
    ref = pd.read_csv(REF / "signal_proc_output.csv", skipinitialspace=True)
    ref = ref[(ref["method"] == method) & (ref["level"].round(2) == level)]
    s = res.summary()
    assert s["measure"].tolist() == list(MEASURES) == ref["measure"].tolist()
    for col in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(s[col].to_numpy(float), ref[col].to_numpy(float),
                                   rtol=1e-10, atol=1e-12, err_msg=col)
    np.testing.assert_array_equal(s["k"].iloc[:4].to_numpy(int), ref["k"].iloc[:4].to_numpy(int))
    np.testing.assert_array_equal(s["n"].iloc[:4].to_numpy(int), ref["n"].iloc[:4].to_numpy(int))
    # every subject of the outcome is accounted for
    m = res.meta
    assert m["n_original"] == len(poor) == m["n_used"] + sum(m["exclusions"].values())
    # episode 0, and the 28 whose only look is at the outcome measurement itself
    assert m["exclusions"] == {"outcome_unknown": 1, "no_look_before_outcome": 29}
    assert res.patients.loc[0, "status"] == "no_look_before_outcome"
    assert res.patients.loc[1, "status"] == "outcome_unknown"
    assert m["n_signal_without_outcome"] == 10
    assert m["n_used"] == 270 and m["n_poor"] == 82


def test_compare_against_proc_roc_test():
    looks, poor, until = _reference_inputs()
    kw = dict(until=until, subject="id", time="t", level=0.9)
    ever = es.signal_accuracy(looks, poor, method="ever", **kw)
    latest = es.signal_accuracy(looks, poor, method="latest", **kw)
    c = ever.compare(latest).iloc[0]
    ref = pd.read_csv(REF / "signal_proc_paired.csv", skipinitialspace=True).iloc[0]
    assert c["auc"] == pytest.approx(ref["auc_ever"], rel=1e-12)
    assert c["auc_other"] == pytest.approx(ref["auc_latest"], rel=1e-12)
    # pROC's z is (auc1 - auc2) / se: ever - latest; compare() reports other - this
    assert c["z"] == pytest.approx(-ref["z"], rel=1e-9)
    assert c["p"] == pytest.approx(ref["p"], rel=1e-9)
    assert c["n"] == ref["n_subjects"] and c["n_cases"] == ref["n_cases"]


# ---------------------------------------------------------------- which looks count
def test_only_looks_before_the_outcome_count():
    looks = pd.DataFrame({"id": [1, 1, 1, 2, 2], "t": [2, 5, 9, 3, 8],
                          "z_worse": [0.1, 0.4, 3.0, 2.0, -1.0]})
    poor = pd.Series([True, False], index=[1, 2])
    kw = dict(subject="id", time="t", level=0.9)
    # with the outcome measurement (t = 9) as a look, subject 1 is flagged by it
    allk = es.signal_accuracy(looks, poor, **kw)
    assert allk.patients["score"].tolist() == [3.0, 2.0]
    assert "no until=" in allk.meta["until"]
    res = es.signal_accuracy(looks, poor, until=pd.Series([9, 8], index=[1, 2]), **kw)
    assert res.patients["score"].tolist() == [0.4, 2.0]
    assert res.patients["n_looks"].tolist() == [2, 1]
    assert res.patients["flagged"].tolist() == [False, True]
    last = es.signal_accuracy(looks, poor, until=pd.Series([9, 8], index=[1, 2]),
                              method="latest", **kw)
    assert last.patients["score"].tolist() == [0.4, 2.0]
    # row order of the looks does not matter
    shuffled = es.signal_accuracy(looks.iloc[::-1], poor, until=pd.Series([9, 8], index=[1, 2]),
                                  method="latest", **kw)
    pd.testing.assert_frame_equal(shuffled.patients, last.patients)


def test_the_flag_is_the_cross_fitted_one():
    """The validated score of a subject comes from the curve fitted without its fold:
    raising its own later scores moves its score by exactly its own z, not the curve."""
    df, _ = simulated_practice(n=400, seed=5)
    kw = dict(subject="id", time="t", outcome="y", better_is="lower", level=0.9)
    a = es.not_on_track(df, **kw)
    assert a.meta["folds"] >= 2
    target = a.patients.index[a.patients["n_measurements"] >= 3][0]
    df2 = df.copy()
    df2.loc[(df2["id"] == target) & (df2["t"] > 1), "y"] += 40.0
    b = es.not_on_track(df2, **kw)
    poor = pd.Series(True, index=a.patients.index)
    sa = es.signal_accuracy(a, poor)
    sb = es.signal_accuracy(b, poor)
    assert sa.meta["cross_fitted"] and sa.meta["level_source"].startswith("the signal's band")
    ms = a.measurements[a.measurements["id"] == target]
    sd = (ms["bound"] - ms["expected"]) / a.meta["band_quantile"]  # band = mu + q*sd (lower is better)
    expected_b = ((ms["y"] + 40.0 - ms["expected"]) / sd).max()
    assert sb.patients.loc[target, "score"] == pytest.approx(expected_b, rel=1e-9)
    # the flags are the band of es.not_on_track: beyond the band at some look
    beyond = a.measurements.groupby("id")["beyond_band"].any()
    pd.testing.assert_series_equal(sa.patients["flagged"].astype(bool),
                                   beyond.reindex(sa.patients.index).fillna(False).rename("flagged"),
                                   check_names=False, check_index_type=False)


def test_model_is_fitted_on_the_other_folds_only():
    """Changing the outcomes of one fold leaves that fold's model scores unchanged."""
    df, flat = simulated_practice(n=600, seed=4, flat_share=0.3)
    sig = es.not_on_track(df, subject="id", time="t", outcome="y", better_is="lower")
    poor = pd.Series(flat, index=sig.patients.index)
    a = es.signal_accuracy(sig, poor, method="model")
    fold = a.patients["fold"]
    f0 = fold == 0
    b = es.signal_accuracy(sig, poor.where(~f0, ~poor), method="model")
    inc = a.patients["status"] == "included"
    np.testing.assert_allclose(a.patients.loc[inc & f0, "score"], b.patients.loc[inc & f0, "score"],
                               rtol=1e-12)
    assert not np.allclose(a.patients.loc[inc & ~f0, "score"], b.patients.loc[inc & ~f0, "score"])
    assert len(a.meta["model_fits"]) == sig.meta["folds"]
    # planted flat trajectories are found far better than chance on held-out folds, with a
    # better balance of sensitivity and specificity than the band alone (0.65 here)
    s = a.summary().set_index("measure")["estimate"]
    ever = es.signal_accuracy(sig, poor).summary().set_index("measure")["estimate"]
    assert s["auc"] > 0.75 and s["balanced_accuracy"] > ever["balanced_accuracy"] + 0.05
    assert set(a.by_fold()["fold"]) == set(range(sig.meta["folds"]))


def test_against_rescores_the_same_flags():
    looks, poor, until = _reference_inputs()
    res = es.signal_accuracy(looks, poor, until=until, subject="id", time="t", level=0.9)
    flipped = res.against(~poor.astype("boolean"))
    s, f = res.summary().set_index("measure"), flipped.summary().set_index("measure")
    assert f.loc["sensitivity", "estimate"] == pytest.approx(1 - s.loc["specificity", "estimate"])
    assert f.loc["auc", "estimate"] == pytest.approx(1 - s.loc["auc", "estimate"])
    part = res.against(poor.iloc[:100])
    assert part.meta["n_used"] < res.meta["n_used"]
    assert part.meta["n_used"] + sum(part.meta["exclusions"].values()) == len(poor)


# ---------------------------------------------------------------- errors
def test_signal_accuracy_errors():
    looks = pd.DataFrame({"id": [1, 2], "t": [2, 3], "z_worse": [0.1, 2.0]})
    poor = pd.Series([True, False], index=[1, 2])
    with pytest.raises(ArgumentError, match="subject, time, level: .*band level"):
        es.signal_accuracy(looks, poor)
    with pytest.raises(ArgumentTypeError, match="outcome: .*a Series indexed by subject"):
        es.signal_accuracy(looks, [True, False], subject="id", time="t", level=0.9)
    with pytest.raises(ArgumentError, match=r"outcome: got 'poor', expected True \(poor\), "
                       "False or missing"):
        es.signal_accuracy(looks, pd.Series(["poor", "ok"], index=[1, 2]), subject="id",
                           time="t", level=0.9)
    with pytest.raises(ArgumentError, match="outcome: .*one outcome per subject"):
        es.signal_accuracy(looks, pd.Series([True, False], index=[1, 1]), subject="id",
                           time="t", level=0.9)
    with pytest.raises(ArgumentError, match="level: got 90, expected a one-sided band level"):
        es.signal_accuracy(looks, poor, subject="id", time="t", level=90)
    with pytest.raises(ArgumentError, match="method: got 'roc', expected"):
        es.signal_accuracy(looks, poor, subject="id", time="t", level=0.9, method="roc")
    with pytest.raises(ArgumentError, match="method: got 'model', .*es.not_on_track"):
        es.signal_accuracy(looks, poor, subject="id", time="t", level=0.9, method="model")
    with pytest.raises(ArgumentTypeError, match="signal: got list"):
        es.signal_accuracy([1, 2], poor)
    res = es.signal_accuracy(looks, poor, subject="id", time="t", level=0.9)
    with pytest.raises(ArgumentError, match="signal: .*'fold' column"):
        res.by_fold()
    with pytest.raises(ArgumentTypeError, match="other: got DataFrame"):
        res.compare(looks)


# ---------------------------------------------------------------- the study
@pytest.fixture(scope="module")
def demo():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return es.Study.from_params(DEMO)


def test_study_validates_on_completed_episodes_before_the_post(demo):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = demo.not_on_track_accuracy()
        sig = demo.not_on_track()
        cs = demo.clinical_significance().patients
    assert isinstance(res, SignalAccuracyResult)
    assert res.meta["signal_method"] == demo.analysis.not_on_track.signal == "ever"
    p = res.patients
    # only completed episodes (the curves' reference episodes) with a pre/post pair
    assert p.index.isin(sig.patients.index[sig.patients["reference"]]).all()
    assert p.index.isin(cs.index).all()
    # poor = not reliably improved at the post, with the study's reliability
    inc = p[p["status"] == "included"]
    np.testing.assert_array_equal(inc["poor"].astype(bool),
                                  cs.loc[inc.index, "rc_category"].astype(str) != "improved")
    assert res.meta["n_poor"] == int(inc["poor"].sum()) > 0
    # looks strictly before the post measurement: never the post itself
    pairs = demo.pairs().patients.set_index("episode_id")
    ms = sig.measurements.merge(demo.stagnation_data()[["episode_id", "time", "date"]],
                                on=["episode_id", "time"])
    ms = ms[ms["episode_id"].isin(inc.index)]
    before = ms["date"].to_numpy() < pairs.loc[ms["episode_id"], "post_date"].to_numpy()
    n_before = pd.Series(before, index=ms["episode_id"]).groupby(level=0).sum()
    np.testing.assert_array_equal(inc["n_looks"], n_before.reindex(inc.index).to_numpy())
    s = res.summary()
    assert ((s["ci_low"] <= s["estimate"]) & (s["estimate"] <= s["ci_high"])).all()
    deter = demo.with_overrides({"analysis.not_on_track.poor_outcome": "reliably_deteriorated"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = deter.not_on_track_accuracy()
    assert d.meta["n_poor"] < res.meta["n_poor"]


def test_interpretation_names_what_is_caught_and_missed(demo):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = demo.not_on_track_accuracy()
    s = res.summary().set_index("measure")
    tp, n_poor = int(s.loc["sensitivity", "k"]), int(s.loc["sensitivity", "n"])
    fp = int(s.loc["specificity", "n"] - s.loc["specificity", "k"])
    en = res.interpretation(lang="en")
    assert f"caught {tp} of the {n_poor} episodes with a poor outcome" in en
    assert f"raised {fp} false alarm" in en
    assert f"{res.meta['exclusions']['no_look_before_outcome']} completed episodes without" in en
    nl = res.interpretation(lang="nl")
    assert f"ving vóór de nameting {tp} van de {n_poor} trajecten" in nl
    assert "sensitiviteit " + f"{s.loc['sensitivity', 'estimate']:.2f}".replace(".", ",") in nl


def test_params_reject_an_unknown_poor_outcome():
    with pytest.raises(Exception, match="poor_outcome"):
        es.Study.from_params(DEMO, {"analysis.not_on_track.poor_outcome": "not_improved"})


# ---------------------------------------------------------------- planted truth
@pytest.mark.slow  # a generated practice of 4,000 episodes
def test_signal_against_planted_truth():
    sc, truth = planted_practice()
    sig = es.not_on_track(sc, subject="episode_id", time="session", outcome="score",
                          instrument="scl90_nl", scale="PSNEUR", reference="completed")
    rt = truth.set_index("episode_id")["responder_type"].astype(str)
    done = sig.patients.index[sig.patients["reference"]]
    last = sc.groupby("episode_id")["session"].max()
    poor = rt.reindex(done).isin(["non_responder", "deteriorator"])
    res = es.signal_accuracy(sig, poor, until=last.reindex(done))
    s = res.summary().set_index("measure")
    # the band is strict: few false alarms, about half of the planted non-responders found
    assert s.loc["specificity", "estimate"] > 0.9
    assert 0.3 < s.loc["sensitivity", "estimate"] < 0.8
    assert s.loc["auc", "ci_low"] > 0.75
    model = es.signal_accuracy(sig, poor, until=last.reindex(done), method="model")
    assert model.summary().set_index("measure").loc["balanced_accuracy", "estimate"] > \
        s.loc["balanced_accuracy", "estimate"]
