"""Tests of es.not_on_track (expected-response curves): the mixed model against lme4 and
statsmodels, calibration of the band, cross-fitting, error paths and planted non-responders."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.course.expected_response import NotOnTrackResult, mixed_fit
from effectstudy.course.stagnation import StagnationResult
from tests.course.planted import planted_practice, rates

REF = Path(__file__).parents[1] / "reference" / "stagnation"


def run(df, **kw):
    args = dict(subject="id", time="t", outcome="y", better_is="lower")
    args.update(kw)
    return es.not_on_track(df, **args)


# ---------------------------------------------------------------- mixed model references
def _mixed_data():
    return pd.read_csv(REF / "mixed_data.csv")


def _fit_ref():
    d = _mixed_data()
    w = d.groupby("id")["w"].first().to_numpy()
    return mixed_fit(d["id"].to_numpy(), d["z"].to_numpy(), d["y"].to_numpy(), w)


def test_mixed_fit_against_lme4():
    fit = _fit_ref()
    ref = pd.read_csv(REF / "mixed_lme4_params.csv").set_index("name")["value"]
    beta = ref[[f"beta_{n}" for n in ("intercept", "z", "w", "w:z")]].to_numpy()
    np.testing.assert_allclose(fit.beta, beta, rtol=1e-6)
    vc = np.array([[ref[f"vcov_{i}_{j}"] for j in range(1, 5)] for i in range(1, 5)])
    np.testing.assert_allclose(fit.cov_beta, vc, rtol=1e-5)
    np.testing.assert_allclose(fit.d.ravel(), [ref["d00"], ref["d01"], ref["d01"],
                                               ref["d11"]], rtol=1e-5)
    assert fit.sigma == pytest.approx(ref["sigma"], rel=1e-6)
    assert fit.reml_criterion == pytest.approx(ref["reml_criterion"], rel=1e-9)


def test_prediction_band_against_lme4():
    fit = _fit_ref()
    band = pd.read_csv(REF / "mixed_lme4_band.csv", skipinitialspace=True)
    mu, sd = fit.predict(band["z"].to_numpy(), band["w"].to_numpy())
    np.testing.assert_allclose(mu, band["mean"], rtol=1e-6)
    np.testing.assert_allclose(sd, band["sd"], rtol=1e-5)
    from scipy.stats import norm

    np.testing.assert_allclose(mu + norm.ppf(0.9) * sd, band["upper90"], rtol=1e-6)


@pytest.mark.slow  # a cross-check with statsmodels' loops; the REML kernel's own tests stay fast
def test_mixed_fit_against_statsmodels():
    import statsmodels.formula.api as smf

    d = _mixed_data()
    fit = _fit_ref()
    with warnings.catch_warnings():
        # statsmodels' own optimiser chatter (convergence/boundary notes) is not ours
        warnings.simplefilter("ignore")
        md = smf.mixedlm("y ~ z * w", d, groups=d["id"], re_formula="~z").fit(
            reml=True, method=["lbfgs"])
    np.testing.assert_allclose(fit.beta, md.fe_params.to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(fit.d, md.cov_re.to_numpy(), rtol=1e-3)
    assert fit.sigma**2 == pytest.approx(md.scale, rel=1e-4)
    assert fit.reml_criterion == pytest.approx(-2 * md.llf, rel=1e-7)
    assert fit.reml_criterion <= -2 * md.llf + 1e-6


def test_mixed_fit_without_interaction():
    d = _mixed_data()
    w = d.groupby("id")["w"].first().to_numpy()
    fit = mixed_fit(d["id"].to_numpy(), d["z"].to_numpy(), d["y"].to_numpy(), w,
                    interaction=False)
    assert fit.names == ("intercept", "z", "w")
    full = _fit_ref()
    # the interaction was planted, so dropping it costs likelihood
    assert fit.reml_criterion > full.reml_criterion


def test_mixed_fit_too_few_observations():
    with pytest.raises(DataError, match=r"4 observation\(s\) for a model with 4 fixed "
                       r"effects"):
        mixed_fit(np.array([0, 0, 1, 1]), np.array([0.1, 0.5, 0.2, 0.9]),
                  np.array([1.0, 2.0, 3.0, 1.0]), np.array([0.0, 1.0]))



# ---------------------------------------------------------------- the signal
def simulated_practice(n=1500, seed=3, flat_share=0.0):
    """Scores exactly from the model: intake, then sessions 2..12 on a log-linear curve."""
    rng = np.random.default_rng(seed)
    intake = rng.normal(200, 35, n)
    flat = rng.random(n) < flat_share
    slope = -12 - 0.08 * (intake - 200) + rng.normal(0, 6, n)
    slope[flat] = 0.0
    b0 = rng.normal(0, 10, n)
    rows = []
    for i in range(n):
        k = rng.integers(1, 5)
        ts = np.sort(rng.choice(np.arange(2, 13), k, replace=False))
        rows.append((i, 1, intake[i]))
        for t in ts:
            rows.append((i, t, intake[i] + b0[i] + slope[i] * np.log(t)
                         + rng.normal(0, 8)))
    df = pd.DataFrame(rows, columns=["id", "t", "y"])
    return df, flat


def test_not_on_track_band_is_calibrated_when_the_model_holds():
    df, _ = simulated_practice()
    res = run(df, level=0.9)
    rate = res.meta["rate_measurements_beyond_band"]
    n = res.meta["n_measurements_judged"]
    se = math.sqrt(0.1 * 0.9 / n)
    assert abs(rate - 0.10) < 4 * se + 0.01, (rate, n)
    ms = res.measurements
    assert ms.columns.tolist() == ["id", "t", "y", "expected", "bound", "z_worse",
                                   "beyond_band", "fold"]
    assert len(ms) == n
    # lower is better: beyond the band = above the upper bound
    np.testing.assert_array_equal(ms["beyond_band"], ms["y"] > ms["bound"])
    assert (ms["bound"] > ms["expected"]).all()
    fits = res.meta["fits"]
    assert len(fits) == 5 and all(f["converged"] for f in fits)
    assert res.meta["folds"] == 5 and res.meta["seed"] == 0
    d = json.loads(json.dumps(res.to_dict()))
    assert d["meta"]["fits"][0]["beta"]["intercept"] == pytest.approx(
        fits[0]["beta"]["intercept"])
    assert d["meta"]["level"] == 0.9


def test_not_on_track_flags_flat_trajectories():
    df, flat = simulated_practice(n=1500, seed=4, flat_share=0.25)
    res = run(df, reference=set(np.flatnonzero(~flat)))
    p = res.patients
    ev = p["status"] != "not_evaluable"
    flagged = p["status"] == "stagnated"
    sens = flagged[ev & flat].mean()
    fa = flagged[ev & ~flat].mean()
    assert sens > 0.5 and fa < 0.25 and sens > 3 * fa, (sens, fa)
    # flagged subjects are judged at their first measurement beyond the band
    first = res.measurements[res.measurements.beyond_band].groupby("id")["t"].min()
    np.testing.assert_array_equal(p.loc[first.index, "eval_time"], first.to_numpy())
    assert (p.loc[flagged, "z_worse"] > res.meta["band_quantile"]).all()
    assert res.meta["reference"] == f"{int((~flat).sum())} subject ids"
    # on-track subjects are reported at their last measurement
    last = df.groupby("id")["t"].max()
    on = p.index[p["status"] == "on_track"]
    np.testing.assert_array_equal(p.loc[on, "eval_time"], last.loc[on].to_numpy())


def test_not_on_track_cross_fitting_excludes_own_data():
    """Changing one subject's later scores leaves the curve it is judged by unchanged."""
    df, _ = simulated_practice(n=400, seed=5)
    a = run(df)
    target = a.patients.index[a.patients["n_measurements"] >= 3][0]
    df2 = df.copy()
    later = (df2["id"] == target) & (df2["t"] > 1)
    df2.loc[later, "y"] += 150.0
    b = run(df2)
    ma = a.measurements[a.measurements["id"] == target]
    mb = b.measurements[b.measurements["id"] == target]
    np.testing.assert_allclose(mb["expected"], ma["expected"], rtol=1e-12)
    np.testing.assert_allclose(mb["bound"], ma["bound"], rtol=1e-12)
    assert b.patients.loc[target, "status"] == "stagnated"
    # ...while the other folds' curves, fitted with the subject, do move
    fold = a.patients.loc[target, "fold"]
    other = a.measurements["fold"] != fold
    assert not np.allclose(a.measurements.loc[other, "expected"],
                           b.measurements.loc[other, "expected"], rtol=1e-9)


def test_not_on_track_row_order_and_reference_column():
    df, flat = simulated_practice(n=300, seed=6)
    df["done"] = df["id"] % 4 != 0
    a = run(df, reference="done", folds=3, seed=9)
    b = run(df.sample(frac=1.0, random_state=1), reference="done", folds=3, seed=9)
    # the same fit up to floating-point summation order (about 1e-8)
    pd.testing.assert_frame_equal(a.patients.sort_index(), b.patients.sort_index(),
                                  rtol=1e-6)
    assert a.meta["n_reference"] == int((np.arange(300) % 4 != 0).sum())
    assert a.meta["reference"] == "column 'done'"
    assert a.patients["reference"].sum() == a.meta["n_reference"]
    assert a.meta["fold_assignment"].startswith("seeded permutation")


def test_not_on_track_higher_is_better_mirrors():
    df, _ = simulated_practice(n=400, seed=7)
    a = run(df)
    b = run(df.assign(y=1000 - df["y"]), better_is="higher")
    pd.testing.assert_series_equal(a.patients["status"], b.patients["status"])
    np.testing.assert_allclose(b.measurements["z_worse"], a.measurements["z_worse"],
                               rtol=1e-6, atol=1e-6)
    assert (b.measurements["bound"] < b.measurements["expected"]).all()


def test_not_on_track_errors():
    df, _ = simulated_practice(n=40, seed=8)
    with pytest.raises(DataError, match=r"fold 0: \d reference subject\(s\) .* at least 10 "
                       r"per fit"):
        run(df, reference=[0, 1, 2, 3, 4])
    with pytest.raises(DataError, match=r"no reference subject has a measurement after "
                       r"baseline"):
        run(df, reference=["nobody"])
    df2 = df.assign(t=df["t"] - 3)
    with pytest.raises(DataError, match=r"time \+ time_offset = -1 is not positive after "
                       r"baseline.*set time_offset="):
        run(df2)
    run(df2, time_offset=3)
    df3 = df.assign(done=df["id"].astype(str))
    with pytest.raises(ArgumentTypeError, match=r"reference: got str 'done', expected a "
                       r"boolean column"):
        run(df3, reference="done")
    df4 = df.assign(done=df.index % 2 == 0)
    with pytest.raises(DataError, match=r"column 'done' varies within \d+ subject"):
        run(df4, reference="done")


# ---------------------------------------------------------------- argument errors
@pytest.mark.parametrize("kw, exc, pattern", [
    ({"level": 0.4}, ArgumentError, r"level: got 0.4, expected a "
     r"one-sided band level in \(0.5, 1\)"),
    ({"folds": 1}, ArgumentError, r"folds: got 1, expected an integer >= 2"),
    ({"seed": -1}, ArgumentError, r"seed: got -1, expected an integer >= 0"),
    ({"interaction": "yes"}, ArgumentTypeError,
     r"interaction: got str 'yes', expected True or False"),
    ({"time_offset": float("inf")}, ArgumentError,
     r"time_offset: got inf, expected a finite number"),
    ({"reference": "done"}, ArgumentError,
     r"reference: got 'done', expected a boolean column of data or a collection"),
    ({"reference": 5}, ArgumentTypeError,
     r"reference: got int 5, expected a boolean column name or a collection"),
    ({"better_is": None}, ArgumentError, r"better_is: got None, expected 'lower' or 'higher'"),
    ({"ci": 95}, ArgumentError, r"ci: got 95, expected a confidence level in \(0, 1\)"),
    ({"subject": "who"}, ArgumentError, r"subject: got 'who', expected a column of data"),
    ({"outcome": "id"}, ArgumentError, r"outcome: got 'id', expected a column other than "
     r"subject='id'"),
    # the band is the curve's, not a criterion's: no threshold, window or reliability
    ({"threshold": 0.2}, TypeError, r"unexpected keyword argument 'threshold'"),
    ({"reliability": 0.8}, TypeError, r"unexpected keyword argument 'reliability'"),
])
def test_argument_errors(kw, exc, pattern):
    df, _ = simulated_practice(n=40, seed=8)
    with pytest.raises(exc, match=pattern):
        run(df, **kw)


def test_the_result_is_a_stagnation_result_with_its_looks():
    df, _ = simulated_practice(n=200, seed=9)
    res = run(df, group=None)
    assert isinstance(res, NotOnTrackResult) and isinstance(res, StagnationResult)
    assert res.meta["rule"] == res.meta["method"] == "not_on_track"
    assert res.title == "Not on track"
    assert res.summary().columns.tolist() == ["n", "n_evaluable", "n_not_evaluable",
                                              "n_stagnated", "n_on_track", "rate", "ci_low",
                                              "ci_high", "share_evaluable",
                                              "share_evaluable_ci_low", "share_evaluable_ci_high"]
    assert res.patients.columns.tolist() == [
        "status", "reason", "n_measurements", "baseline_time", "baseline", "eval_time",
        "eval_score", "change", "improvement", "expected", "bound", "z_worse", "fold",
        "reference"]
    assert "window" not in res.meta


# ---------------------------------------------------------------- planted non-responders
@pytest.fixture(scope="module")
def practice():
    return planted_practice()


@pytest.mark.slow  # recovery on a generated practice; the rule's logic is tested on small data above
@pytest.mark.parametrize("reference", [None, "completed"])
def test_not_on_track_on_planted_non_responders(practice, reference):
    sc, truth = practice
    res = es.not_on_track(sc, subject="episode_id", time="session", outcome="score",
                          instrument="scl90_nl", scale="PSNEUR", reference=reference,
                          level=0.90)
    r = rates(res, truth)
    nominal = 1 - res.meta["level"]
    # far more non-responders than responders are flagged
    assert r["non_responder"] > 5 * r["responder"], r
    assert r["deteriorator"] > r["non_responder"], r
    assert r["sensitivity"] > 0.35, r
    # responders are better than the mixture the curves are fitted on: they are flagged
    # less often than the nominal rate of a single look
    assert r["responder"] < nominal, r
    # per measurement, the band holds its level on the population it was fitted on
    ms = res.measurements.join(res.patients[["reference"]], on="episode_id")
    ref_rate = ms.loc[ms["reference"], "beyond_band"].mean()
    assert abs(ref_rate - nominal) < 0.04, ref_rate
    # responders' own per-measurement false-alarm rate is at most nominal
    rt = truth.set_index("episode_id")["responder_type"].astype(str)
    resp = ms["episode_id"].map(rt) == "responder"
    assert ms.loc[resp, "beyond_band"].mean() < nominal
    # not-evaluable episodes (one measurement) are reported
    s = res.summary()
    reasons = res.meta["not_evaluable_reasons"]
    assert reasons["single_measurement"] > 0
    assert s["n_not_evaluable"].iloc[0] == sum(reasons.values())


def test_docstring_formulas_name_the_references():
    from effectstudy.course.expected_response import not_on_track

    doc = not_on_track.__doc__
    for ref in ("Finch", "Lambert", "Wilson", "Newcombe", "Bates"):
        assert re.search(ref, doc), ref
