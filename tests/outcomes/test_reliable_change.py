"""Reliable change: reference tests against R clinicalsignificance 3.0.0, bad input, HLM.

Reference: ``tests/reference/r_outputs`` (README.md there: R 4.2.2, clinicalsignificance
3.0.0, lme4 1.1-31; exact R call per case in cases.json).  Tolerances: categories
identical; RCI, S_diff/SE and sample statistics 1e-9 relative.  HLM depends on the
optimizer: lme4's default bobyqa stops up to 3e-8 above the REML minimum (week coding), so
against the package outputs 1e-3 relative (plus identical categories); against an lme4 run
with a tight optimizer tolerance (``tests/reference/hlm_lme4/``) 1e-5 relative.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from tests.reference import rref

RTOL = 1e-9
HLM_RTOL = 1e-3

DIST_CASES = [c["case_id"] for c in rref.case_list("distribution")]


def run_case(c: dict, **extra):
    """Call effectstudy the way the case called R (same data, same arguments)."""
    a = c["args"]
    cols = c["columns"]
    kw = dict(subject="id", time=cols["time"], outcome=cols["outcome"],
              better_is=a["better_is"], method=a["rci_method"].lower(),
              group=cols.get("group"))
    if a["rci_method"] == "HLM":
        kw["hlm_reference"] = "average"  # the package's definition, see the module docs
    else:
        kw.update(pre=a["pre"], post=a["post"], reliability=a["reliability"],
                  reliability_post=a.get("reliability_post"))
    kw.update(extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return es.reliable_change(rref.input_for(c), **kw)


def cat(series) -> list[str]:
    return [str(v).lower() for v in series]


@pytest.mark.parametrize("case_id", DIST_CASES)
def test_reliable_change_against_r_clinicalsignificance(case_id):
    c = rref.case(case_id)
    exp = rref.expected_rows("cs_distribution_patients.csv", case_id)
    res = run_case(c)
    got = res.patients.loc[exp.index]
    assert len(res.patients) == len(exp)
    np.testing.assert_array_equal(got["pre"], exp["pre"])
    np.testing.assert_array_equal(got["post"], exp["post"])
    assert cat(got["category"]) == cat(exp["category"])
    if c["args"]["rci_method"] == "HLM":
        np.testing.assert_allclose(got["rci"], exp["rci"], rtol=HLM_RTOL, atol=1e-6)
        np.testing.assert_allclose(got["eb_slope"], exp["eb_estimate"], rtol=HLM_RTOL,
                                   atol=1e-7)
        np.testing.assert_allclose(got["eb_sd"], exp["eb_sd"], rtol=HLM_RTOL)
        np.testing.assert_array_equal(got["n_measurements"], exp["n_measurements"])
    else:
        np.testing.assert_allclose(got["rci"], exp["rci"], rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(got["change"], exp["change"], rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("case_id", DIST_CASES)
def test_reliable_change_meta_against_r_case_params(case_id):
    c = rref.case(case_id)
    p = rref.params(case_id)
    res = run_case(c)
    m = res.meta
    assert m["n_original"] == p["n_original"]
    assert m["n_used"] == p["n_used"]
    assert m["critical_value"] == pytest.approx(p["critical_value"], rel=1e-15)
    if c["args"]["rci_method"] == "HLM":
        for ours, theirs in [("hlm_fixef_intercept", "hlm_fixef_intercept"),
                             ("hlm_fixef_time", "hlm_fixef_time"),
                             ("hlm_sd_intercept", "hlm_sd_intercept"),
                             ("hlm_sd_time", "hlm_sd_time"),
                             ("hlm_cor_intercept_time", "hlm_cor_intercept_time"),
                             ("hlm_sigma", "hlm_sigma"),
                             ("hlm_reml_criterion", "hlm_reml_criterion")]:
            assert m[ours] == pytest.approx(p[theirs], rel=HLM_RTOL), ours
        assert m["hlm_n_obs"] == p["hlm_n_obs"]
        return
    for ours, theirs in [("m_pre", "m_pre"), ("sd_pre", "sd_pre"), ("m_post", "m_post"),
                         ("sd_post", "sd_post"), ("r", "cor_pre_post")]:
        assert m[ours] == pytest.approx(p[theirs], rel=RTOL), ours
    pkg = {"s_diff": "pkg_s_diff", "se_prediction": "pkg_se_prediction",
           "r_dd": "pkg_r_dd", "reliability_post": "pkg_reliability_post"}
    if c["args"]["rci_method"] in ("EN", "HA"):
        pkg["se_measurement"] = "pkg_se_measurement"
    for ours, theirs in pkg.items():
        if not pd.isna(p[theirs]):
            assert m[ours] == pytest.approx(p[theirs], rel=RTOL), ours


@pytest.mark.parametrize("case_id", DIST_CASES)
def test_reliable_change_summary_against_r_clinicalsignificance(case_id):
    c = rref.case(case_id)
    exp = rref.expected("cs_summaries.csv")
    exp = exp[exp["case_id"] == case_id]
    s = run_case(c).summary()
    if c["grouped"]:
        for _, row in exp.iterrows():
            got = s[(s["group"] == row["group"]) & (s["category"] == row["category"].lower())]
            assert int(got["n"].iloc[0]) == row["n"]
            assert round(float(got["proportion"].iloc[0]), 4) == pytest.approx(
                row["percent_by_group"], abs=1e-12)
            assert round(float(got["proportion_total"].iloc[0]), 4) == pytest.approx(
                row["percent"], abs=1e-12)
    else:
        assert list(s["category"]) == [v.lower() for v in exp["category"]]
        assert list(s["n"]) == list(exp["n"])
        np.testing.assert_allclose(s["proportion"].round(4), exp["percent"], atol=1e-12)


def test_hlm_paper_reference_differs_from_package():
    """Default ``hlm_reference="zero"``: each patient's own slope against no change.

    The package tests the deviation from the average slope; with a strong average
    improvement (fixed slope -0.106 per occasion) its 'deteriorated' are patients who
    improved less than average.  Both definitions use the same fit.
    """
    c = rref.case("dev_gsi_5waves__dist_HLM")
    exp = rref.expected_rows("cs_distribution_patients.csv", c["case_id"])
    paper = run_case(c, hlm_reference="zero")
    pkg = run_case(c)
    fixed = paper.meta["hlm_fixef_time"]
    assert fixed == pytest.approx(-0.10616665715957908, rel=HLM_RTOL)
    np.testing.assert_allclose(paper.patients.loc[exp.index, "eb_slope"],
                               exp["eb_estimate"] + fixed, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(paper.patients["rci"],
                               paper.patients["eb_slope"] / paper.patients["eb_sd"], rtol=1e-12)
    # own-slope SD adds the fixed-slope uncertainty to the conditional SD
    assert (paper.patients["eb_sd"] > pkg.patients["eb_sd"]).all()
    n_paper = paper.patients["category"].value_counts()
    n_pkg = pkg.patients["category"].value_counts()
    assert n_pkg["deteriorated"] == 6  # R: 7/11/6 improved/unchanged/deteriorated
    assert n_paper["deteriorated"] < n_pkg["deteriorated"]
    assert n_paper["improved"] > n_pkg["improved"]


def test_reliable_change_counts_exclusions_and_warns():
    c = rref.case("dev_gsi_prepost__dist_JT")
    df = rref.input_for(c)
    with pytest.warns(DataQualityWarning, match="3 of 60 subjects excluded: missing_post 3"):
        res = es.reliable_change(df, subject="id", time="time", outcome="gsi", pre=1, post=2,
                                 reliability=0.85, better_is="lower")
    assert res.meta["exclusions"] == {"missing_post": 3}
    assert res.meta["n_original"] - res.meta["n_used"] == 3
    assert {"G009", "G044", "G052"}.isdisjoint(res.patients.index)


def test_hlm_excludes_subjects_with_fewer_than_three_measurements():
    c = rref.case("dev_gsi_5waves__dist_HLM")
    with pytest.warns(DataQualityWarning, match="fewer_than_3_measurements 1"):
        res = es.reliable_change(rref.input_for(c), subject="id", time="occasion",
                                 outcome="gsi", better_is="lower", method="hlm")
    assert "L22" not in res.patients.index
    assert res.meta["exclusions"]["fewer_than_3_measurements"] == 1
    assert res.patients.loc["L07", "n_measurements"] == 3


# -- bad input ---------------------------------------------------------------------------
@pytest.fixture
def small():
    return pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "t": ["pre", "post"] * 3,
                         "y": [3.0, 2.0, 4.0, 4.5, 5.0, 2.5]})


def rc(df, **kw):
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post",
                reliability=0.8, better_is="lower")
    args.update(kw)
    return es.reliable_change(df, **args)


@pytest.mark.parametrize("value", [0, -0.1, 1.2, float("nan")])
def test_reliability_outside_unit_interval_is_an_error(small, value):
    with pytest.raises(ArgumentError, match=r"reliability: got .*, expected a number in \(0, 1\]"):
        rc(small, reliability=value)


def test_reliability_one_is_an_error(small):
    with pytest.raises(ArgumentError, match="zero standard error of measurement"):
        rc(small, reliability=1.0)


def test_reliability_sample_explains_what_is_needed(small):
    with pytest.raises(ArgumentError, match=r"es.reliability\(\.\.\.\)"):
        rc(small, reliability="sample")


def test_reliability_object_with_estimate_is_used(small):
    class Rel:
        estimate = 0.8
        meta = {"method": "alpha"}

    res = rc(small, reliability=Rel())
    assert res.meta["reliability"] == 0.8
    assert res.meta["reliability_source"] == "es.reliability (alpha)"
    assert res.patients["rci"].equals(rc(small).patients["rci"])


def test_reliability_wrong_type(small):
    with pytest.raises(ArgumentTypeError, match="reliability: got list"):
        rc(small, reliability=[0.8])


def test_missing_reliability_names_the_method(small):
    with pytest.raises(ArgumentError, match="reliability: got None.*'gln'"):
        rc(small, reliability=None, method="gln")


def test_unknown_method(small):
    with pytest.raises(ArgumentError, match="method: got 'xx', expected one of 'jt'"):
        rc(small, method="xx")


def test_unknown_better_is(small):
    with pytest.raises(ArgumentError, match="better_is: got 'down'"):
        rc(small, better_is="down")


def test_unknown_occasion_lists_the_values(small):
    with pytest.raises(ArgumentError, match=r"post: got 'end', expected one of the values "
                                            r"of column 't': \['post', 'pre'\]"):
        rc(small, post="end")


def test_pre_equal_post_is_an_error(small):
    with pytest.raises(ArgumentError, match="post: got 'pre', expected a time value different"):
        rc(small, post="pre")


def test_missing_column_is_named(small):
    with pytest.raises(ArgumentError, match=r"outcome: got 'gsi', expected a column of data"):
        rc(small, outcome="gsi")


def test_duplicate_occasion_is_an_error(small):
    df = pd.concat([small, small.iloc[[0]]])
    with pytest.raises(DataError, match=r"1 subject\(s\) with more than one row at t='pre' \(the first has 2 rows"):
        rc(df)


def test_non_numeric_outcome_is_an_error(small):
    df = small.astype({"y": object})
    df.loc[3, "y"] = "4,5"
    with pytest.raises(DataError, match="y: not numeric: found '4,5', expected a number"):
        rc(df)


def test_zero_variance_pre_scores_is_an_error():
    df = pd.DataFrame({"id": [1, 1, 2, 2], "t": ["pre", "post"] * 2, "y": [3.0, 2.0, 3.0, 1.0]})
    with pytest.raises(DataError, match="pre scores have zero variance"):
        rc(df)


def test_one_occasion_missing_is_counted(small):
    df = small.drop(index=3)
    with pytest.warns(DataQualityWarning, match="1 of 3 subjects excluded"):
        res = rc(df)
    assert res.meta["exclusions"] == {"missing_post": 1}
    assert list(res.patients.index) == [1, 3]


def test_hlm_needs_numeric_time(small):
    with pytest.raises(ArgumentTypeError, match="time: got str 't'.*numeric time"):
        rc(small, method="hlm")


def test_other_time_rows_are_ignored_and_counted(small):
    df = pd.concat([small, pd.DataFrame({"id": [1], "t": ["interim"], "y": [9.0]})])
    res = rc(df)
    assert res.meta["rows_other_time"] == 1
    assert res.meta["n_used"] == 3


def test_to_dict_and_html_render(small):
    res = rc(small)
    d = res.to_dict()
    assert d["meta"]["method"] == "jt"
    assert "Betrouwbare verandering" in res._repr_html_()  # no language given: the default, Dutch
    english = dataclasses.replace(res, meta={**res.meta, "lang": "en"})  # a result in English
    assert "Reliable change" in english._repr_html_()


@pytest.mark.parametrize("time", ["occasion", "week"])
def test_hlm_fit_against_lme4_tight_optimizer(time):
    """lme4 1.1-31 with bobyqa rhoend = 1e-12 (script hlm_lme4.R in tests/reference/hlm_lme4)."""
    root = rref.ROOT.parent / "hlm_lme4"
    par = pd.read_csv(root / "hlm_lme4_params.csv")
    par = par[(par["time"] == time) & (par["control"] == "tight")].iloc[0]
    ran = pd.read_csv(root / "hlm_lme4_ranef.csv", dtype={"id": str})
    ran = ran[(ran["time"] == time) & (ran["control"] == "tight")].set_index("id")
    c = rref.case("dev_gsi_5waves__dist_HLM")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.reliable_change(rref.input_for(c), subject="id", time=time, outcome="gsi",
                                 better_is="lower", method="hlm", hlm_reference="average")
    m = res.meta
    for ours, theirs in [("hlm_fixef_intercept", "fixef_intercept"),
                         ("hlm_fixef_time", "fixef_time"), ("hlm_sd_intercept", "sd_intercept"),
                         ("hlm_sd_time", "sd_time"), ("hlm_cor_intercept_time", "cor"),
                         ("hlm_sigma", "sigma")]:
        assert m[ours] == pytest.approx(par[theirs], rel=1e-5), ours
    # our optimum is at least as good as lme4's (criterion is minimised)
    assert m["hlm_reml_criterion"] <= par["reml_criterion"] + 1e-9
    assert m["hlm_reml_criterion"] == pytest.approx(par["reml_criterion"], rel=1e-10)
    p = res.patients.loc[ran.index]
    np.testing.assert_allclose(p["eb_slope"], ran["eb_slope"], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(p["eb_sd"], ran["eb_slope_sd"], rtol=1e-5)


def test_hlm_fit_against_lme4_on_3000_patients_with_own_times():
    """lme4 1.1-31 (tight bobyqa) on bench_data.make(): 3,000 patients x 4 waves, every
    patient with their own measurement weeks (script hlm_lme4_bench.R)."""
    from tests.reference.hlm_lme4 import bench_data

    root = rref.ROOT.parent / "hlm_lme4"
    par = pd.read_csv(root / "hlm_lme4_bench_params.csv").iloc[0]
    ran = pd.read_csv(root / "hlm_lme4_bench_ranef.csv", dtype={"id": str}).set_index("id")
    res = es.reliable_change(bench_data.make(), subject="id", time="week", outcome="gsi",
                             better_is="lower", method="hlm", hlm_reference="average")
    m = res.meta
    assert m["hlm_n_obs"] == par["n_obs"] and m["n_used"] == par["n_ids"]
    for ours, theirs in [("hlm_fixef_intercept", "fixef_intercept"),
                         ("hlm_fixef_time", "fixef_time"), ("hlm_sd_intercept", "sd_intercept"),
                         ("hlm_sd_time", "sd_time"), ("hlm_sigma", "sigma")]:
        assert m[ours] == pytest.approx(par[theirs], rel=1e-5), ours
    assert m["hlm_cor_intercept_time"] == pytest.approx(par["cor"], abs=1e-4)
    assert m["hlm_reml_criterion"] <= par["reml_criterion"] + 1e-8
    p = res.patients.loc[ran.index]
    np.testing.assert_allclose(p["eb_slope"], ran["eb_slope"], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(p["eb_sd"], ran["eb_slope_sd"], rtol=1e-5)


def test_ha_undefined_when_difference_score_is_unreliable():
    # pre and post almost perfectly correlated: r_dd <= 0 at reliability 0.8
    df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "t": ["pre", "post"] * 4,
                       "y": [1.0, 1.1, 2.0, 2.1, 3.0, 3.1, 4.0, 4.2]})
    with pytest.raises(DataError, match="r_dd = .* is not positive.*Hageman-Arrindell"):
        rc(df, method="ha")


def test_hlm_own_slope_sd_against_dense_mixed_model_equations():
    """Prediction-error variance of beta_1 + b_1i from the inverse of Henderson's mixed
    model equations, built densely here (independent of the closed form in the kernel),
    at the variance components the fit reports."""
    c = rref.case("dev_gsi_5waves__dist_HLM")
    df = rref.input_for(c).dropna(subset=["gsi"])
    df = df[df.groupby("id")["gsi"].transform("size") >= 3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.reliable_change(df, subject="id", time="occasion", outcome="gsi",
                                 better_is="lower", method="hlm")
    m = res.meta
    ids = list(res.patients.index)
    code = df["id"].map({s: i for i, s in enumerate(ids)}).to_numpy()
    t = df["occasion"].to_numpy(float)
    n, q = len(df), len(ids)
    X = np.column_stack([np.ones(n), t])
    Z = np.zeros((n, 2 * q))
    Z[np.arange(n), 2 * code] = 1.0
    Z[np.arange(n), 2 * code + 1] = t
    s0, s1, r = m["hlm_sd_intercept"], m["hlm_sd_time"], m["hlm_cor_intercept_time"]
    G = np.array([[s0 * s0, r * s0 * s1], [r * s0 * s1, s1 * s1]])
    sig2 = m["hlm_sigma"] ** 2
    Ginv = np.kron(np.eye(q), np.linalg.inv(G))
    C = np.block([[X.T @ X, X.T @ Z], [Z.T @ X, Z.T @ Z + sig2 * Ginv]])
    Cinv = np.linalg.inv(C) * sig2
    L = np.zeros((q, 2 + 2 * q))
    L[:, 1] = 1.0
    L[np.arange(q), 2 + 2 * np.arange(q) + 1] = 1.0
    pev = np.einsum("ij,jk,ik->i", L, Cinv, L)
    np.testing.assert_allclose(res.patients["eb_sd"], np.sqrt(pev), rtol=1e-8)
    # and the solution of the same equations gives the same own slopes
    y = df["gsi"].to_numpy(float)
    sol = np.linalg.solve(C, np.r_[X.T @ y, Z.T @ y])
    np.testing.assert_allclose(res.patients["eb_slope"], sol[1] + sol[3::2], rtol=1e-7)


def test_singular_hlm_fit_warns():
    rng = np.random.default_rng(4)
    n, k = 60, 4
    t = np.tile(np.arange(k, dtype=float), n)
    ids = np.repeat(np.arange(n), k)
    y = rng.normal(0, 1, n)[ids] - 0.5 * t + rng.normal(0, 0.5, n * k)  # no slope variance
    df = pd.DataFrame({"id": ids, "t": t, "y": y})
    with pytest.warns(DataQualityWarning, match="HLM fit is singular"):
        res = es.reliable_change(df, subject="id", time="t", outcome="y", better_is="lower",
                                 method="hlm")
    assert res.meta["hlm_singular"]


def test_missing_group_is_counted(small):
    df = small.assign(arm=["A", "A", None, None, "B", "B"])
    with pytest.warns(DataQualityWarning, match="missing_group 1"):
        res = rc(df, group="arm")
    assert res.meta["exclusions"] == {"missing_group": 1}
    assert list(res.summary()["group"].unique()) == ["A", "B"]


def test_missing_subject_id_is_an_error(small):
    df = small.astype({"id": object})
    df.loc[2, "id"] = None
    with pytest.raises(DataError, match="id: missing subject id"):
        rc(df)
