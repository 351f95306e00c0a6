"""Clinical significance and percentage change against R clinicalsignificance 3.0.0.

Reference: ``tests/reference/r_outputs`` (README there).  Tolerances: categories and flags
identical; cut-offs, CS_indiv, RCI 1e-9 relative; HA group-level proportions 1e-9
relative.  Where the package departs from the papers (cut-off b; percentage change at a
zero baseline; HLM reference) both values are tested.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from tests.reference import rref

RTOL = 1e-9
STAT_CASES = [c["case_id"] for c in rref.case_list("statistical")]
COMB_CASES = [c["case_id"] for c in rref.case_list("combined")]
PCT_CASES = [c["case_id"] for c in rref.case_list("percentage")]


def analysis(c):
    return rref.cases()["analysis_parameters"][c["dataset"]]


def run_cs(c: dict, **extra):
    a = c["args"]
    cols = c["columns"]
    method = (a.get("rci_method") or a.get("cutoff_method")).lower()
    kw = dict(subject="id", time=cols["time"], outcome=cols["outcome"],
              better_is=a["better_is"], method=method, group=cols.get("group"),
              cutoff=a.get("cutoff_type", "a"), m_functional=a.get("m_functional"),
              sd_functional=a.get("sd_functional"))
    if method == "hlm":
        kw["hlm_reference"] = "average"
    else:
        # cs_statistical with the JT cut-off takes no reliability; ours always computes the
        # RCI too, so the data set's analysis reliability is passed (it does not enter the
        # cut-off flags compared here)
        kw.update(pre=a["pre"], post=a["post"],
                  reliability=a.get("reliability", analysis(c)["reliability"]))
    kw.update(extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return es.clinical_significance(rref.input_for(c), **kw)


def r_cutoff_b_kwargs(case_id):
    """R's b cut-off value (clinical SD), passed as a given cut-off to reproduce R's flags."""
    return {"cutoff": float(rref.params(case_id)["cutoff_value"])}


def lower(series):
    return [str(v).lower() for v in series]


@pytest.mark.parametrize("case_id", STAT_CASES)
def test_cutoff_flags_against_r_clinicalsignificance(case_id):
    c = rref.case(case_id)
    p = rref.params(case_id)
    extra = r_cutoff_b_kwargs(case_id) if c["args"]["cutoff_type"] == "b" else {}
    res = run_cs(c, **extra)
    exp = rref.expected_rows("cs_statistical_patients.csv", case_id)
    got = res.patients.loc[exp.index]
    assert len(res.patients) == len(exp) == p["n_used"]
    assert res.meta["cutoff_value"] == pytest.approx(p["cutoff_value"], rel=RTOL)
    assert res.meta["m_clinical"] == pytest.approx(p["m_clinical"], rel=RTOL)
    assert res.meta["sd_clinical"] == pytest.approx(p["sd_clinical"], rel=RTOL)
    assert list(got["clinical_pre"]) == list(exp["clinical_pre"])
    assert list(got["functional_post"]) == list(exp["functional_post"])
    assert lower(got["cutoff_category"]) == lower(exp["category"])
    if c["args"]["cutoff_method"] == "HA":
        np.testing.assert_allclose(got["cs_indiv"], exp["cs_indiv"], rtol=RTOL)
        assert list(got["clinical_post"]) == list(exp["clinical_post"])
        assert res.meta["cutoff_reliability_post"] == pytest.approx(
            p["pkg_cutoff_reliability_post"], rel=RTOL)
        if c["args"]["cutoff_type"] != "b":
            assert res.meta["cutoff_type"] == p["cutoff_type_reported"]
            assert res.meta["reliability_clinical"] == pytest.approx(
                p["reliability_clinical"], rel=RTOL)
    elif c["args"]["cutoff_type"] != "b":
        assert res.meta["cutoff_type"] == p["cutoff_type_reported"]


@pytest.mark.parametrize("case_id", [i for i in STAT_CASES if "_b" in i])
def test_cutoff_b_follows_paper_not_r_clinicalsignificance(case_id):
    """Jacobson & Truax (1991): b = M_func - d * 2 * SD_func; the package uses SD_clin.

    Expected values: the paper's formula applied to the case's functional norms (and, for
    HA, to the functional reliability R reports), not effectstudy's code.
    """
    c = rref.case(case_id)
    p = rref.params(case_id)
    a = c["args"]
    d = -1 if a["better_is"] == "lower" else 1
    res = run_cs(c)
    if a["cutoff_method"] == "JT":
        paper = a["m_functional"] - d * 2 * a["sd_functional"]
        pkg = a["m_functional"] - d * 2 * p["sd_clinical"]
    else:
        paper = a["m_functional"] - d * 2 * a["sd_functional"] * np.sqrt(
            p["reliability_functional"])
        pkg = a["m_functional"] - d * 2 * p["sd_clinical"] * np.sqrt(p["reliability_clinical"])
    assert res.meta["cutoff_value"] == pytest.approx(paper, rel=RTOL)
    assert p["cutoff_value"] == pytest.approx(pkg, rel=RTOL)
    assert abs(paper - p["cutoff_value"]) > 0.1 * a["sd_functional"]
    assert res.meta["cutoff_type"] in ("b", "b_true")


def test_cutoff_b_paper_values_for_the_development_sets():
    # README of r_outputs: (a) paper b = 1.40 vs package 1.652817; (b) 34 vs 38.506186
    gsi = run_cs(rref.case("dev_gsi_prepost__stat_JT_b"))
    wb = run_cs(rref.case("dev_wellbeing_prepost__stat_JT_b"))
    assert gsi.meta["cutoff_value"] == pytest.approx(1.40, rel=1e-12)
    assert wb.meta["cutoff_value"] == pytest.approx(34.0, rel=1e-12)


@pytest.mark.parametrize("case_id", COMB_CASES)
def test_clinical_significance_against_r_clinicalsignificance(case_id):
    c = rref.case(case_id)
    p = rref.params(case_id)
    res = run_cs(c)
    exp = rref.expected_rows("cs_combined_patients.csv", case_id)
    got = res.patients.loc[exp.index]
    assert len(res.patients) == len(exp)
    assert res.meta["n_used"] == p["n_used"] and res.meta["n_original"] == p["n_original"]
    assert lower(got["category"]) == lower(exp["category"])
    assert list(got["clinical_pre"]) == list(exp["clinical_pre"])
    assert list(got["functional_post"]) == list(exp["functional_post"])
    assert list(got["rc_category"] == "improved") == list(exp["rc_improved"])
    assert list(got["rc_category"] == "deteriorated") == list(exp["rc_deteriorated"])
    for flag in ("recovered", "improved", "unchanged", "deteriorated", "harmed"):
        assert list(got["category"] == flag) == list(exp[flag]), flag
    if c["args"]["rci_method"] == "HLM":
        np.testing.assert_allclose(got["rci"], exp["rci"], rtol=1e-3, atol=1e-6)
        assert res.meta["cutoff_value"] == pytest.approx(p["cutoff_value"], rel=1e-12)
        assert res.meta["m_clinical"] == pytest.approx(p["m_clinical"], rel=1e-12)
    else:
        np.testing.assert_allclose(got["rci"], exp["rci"], rtol=RTOL, atol=1e-14)
        assert res.meta["cutoff_value"] == pytest.approx(p["cutoff_value"], rel=RTOL)
    if c["args"]["rci_method"] == "HA":
        np.testing.assert_allclose(got["cs_indiv"], exp["cs_indiv"], rtol=RTOL)
        assert list(got["clinical_post"]) == list(exp["clinical_post"])
        assert res.meta["r_dd"] == pytest.approx(p["pkg_r_dd"], rel=RTOL)
    assert list(got["crossed_cutoff"]) == list(exp["clinical_pre"] & exp["functional_post"])


@pytest.mark.parametrize("case_id", COMB_CASES + STAT_CASES)
def test_clinical_significance_summary_against_r_clinicalsignificance(case_id):
    c = rref.case(case_id)
    if c["args"].get("cutoff_type") == "b":
        res = run_cs(c, **r_cutoff_b_kwargs(case_id))
    else:
        res = run_cs(c)
    s = res.summary() if c["approach"] == "combined" else res.summary_cutoff()
    exp = rref.expected("cs_summaries.csv")
    exp = exp[exp["case_id"] == case_id]
    assert int(s["n"].sum()) == res.meta["n_used"]
    for _, row in exp.iterrows():
        sel = s["category"] == row["category"].lower()
        if c["grouped"]:
            sel &= s["group"] == row["group"]
            assert round(float(s.loc[sel, "proportion"].iloc[0]), 4) == pytest.approx(
                row["percent_by_group"], abs=1e-12)
        assert int(s.loc[sel, "n"].iloc[0]) == row["n"]
        col = "proportion_total" if c["grouped"] else "proportion"
        assert round(float(s.loc[sel, col].iloc[0]), 4) == pytest.approx(row["percent"],
                                                                         abs=1e-12)


@pytest.mark.parametrize("case_id", [i for i in COMB_CASES if "HA" in i])
def test_ha_group_level_against_r_clinicalsignificance(case_id):
    res = run_cs(rref.case(case_id))
    exp = rref.expected("cs_ha_group_level.csv")
    exp = exp[exp["case_id"] == case_id]
    gl = res.group_level()
    for _, row in exp.iterrows():
        sel = gl if pd.isna(row["group"]) else gl[gl["group"] == row["group"]]
        col = row["category"].lower()
        assert float(sel[col].iloc[0]) == pytest.approx(row["percent"], rel=RTOL)


def test_group_level_needs_ha():
    res = run_cs(rref.case("dev_gsi_prepost__comb_JT_c"))
    with pytest.raises(ArgumentError, match="method: got 'jt', expected 'ha'"):
        res.group_level()


# -- percentage change ---------------------------------------------------------------------
def run_pct(c):
    a = c["args"]
    cols = c["columns"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return es.percent_change(rref.input_for(c), subject="id", time=cols["time"],
                                 outcome=cols["outcome"], pre=a["pre"], post=a["post"],
                                 better_is=a["better_is"], improvement=a["pct_improvement"],
                                 deterioration=a["pct_deterioration"], group=cols.get("group"))


@pytest.mark.parametrize("case_id", PCT_CASES)
def test_percent_change_against_r_clinicalsignificance(case_id):
    c = rref.case(case_id)
    res = run_pct(c)
    exp = rref.expected_rows("cs_percentage_patients.csv", case_id)
    got = res.patients.loc[exp.index]
    np.testing.assert_array_equal(got["pct_change"], exp["pct_change"])
    zero = exp["pre"] == 0
    assert lower(got.loc[~zero, "category"]) == lower(exp.loc[~zero, "category"])


def test_percent_change_zero_baseline_differs_from_r_clinicalsignificance():
    """G017: 0.00 -> 0.14, lower is better: a worsening.  R says Improved (flags both)."""
    c = rref.case("dev_gsi_prepost__pct")
    res = run_pct(c)
    exp = rref.expected_rows("cs_percentage_patients.csv", c["case_id"])
    assert exp.loc["G017", "category"] == "Improved"
    assert bool(exp.loc["G017", "improved"]) and bool(exp.loc["G017", "deteriorated"])
    assert res.patients.loc["G017", "category"] == "deteriorated"
    # R counts flags, so its summary sums to 58 for 57 patients; ours sums to n_used
    s = res.summary()
    r_sum = rref.expected("cs_summaries.csv")
    r_sum = r_sum[r_sum["case_id"] == c["case_id"]]
    assert r_sum["n"].sum() == 58
    assert s["n"].sum() == res.meta["n_used"] == 57
    assert dict(zip(s["category"], s["n"], strict=True)) == {
        "improved": 8, "unchanged": 42, "deteriorated": 7}  # R: 9 / 42 / 7 (G017 twice)


def test_percent_change_thresholds_are_inclusive():
    c = rref.case("dev_wellbeing_prepost__pct")
    p = run_pct(c).patients
    assert p.loc["W05", "pct_change"] == -0.3 and p.loc["W05", "category"] == "deteriorated"
    assert p.loc["W14", "pct_change"] == 0.5 and p.loc["W14", "category"] == "improved"


def test_percent_change_negative_baseline_is_an_error():
    df = pd.DataFrame({"id": [1, 1, 2, 2], "t": [1, 2, 1, 2], "y": [-1.0, 2.0, 3.0, 1.0]})
    with pytest.raises(DataError, match="negative pre score"):
        es.percent_change(df, subject="id", time="t", outcome="y", pre=1, post=2,
                          better_is="lower")


def test_percent_change_threshold_outside_unit_interval():
    df = pd.DataFrame({"id": [1, 1], "t": [1, 2], "y": [1.0, 2.0]})
    with pytest.raises(ArgumentError, match="improvement: got 50.0, expected a proportion"):
        es.percent_change(df, subject="id", time="t", outcome="y", pre=1, post=2,
                          better_is="lower", improvement=50)


# -- bad input -------------------------------------------------------------------------------
@pytest.fixture
def small():
    return pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "t": ["pre", "post"] * 3,
                         "y": [3.0, 1.0, 4.0, 4.5, 5.0, 2.5]})


def cs(df, **kw):
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post",
                reliability=0.8, better_is="lower", cutoff="c", m_functional=1.0,
                sd_functional=1.0)
    args.update(kw)
    return es.clinical_significance(df, **args)


def test_cutoff_c_needs_functional_norms(small):
    with pytest.raises(ArgumentError, match="m_functional: got None.*cut-off 'c' needs"):
        cs(small, m_functional=None)


def test_unknown_cutoff(small):
    with pytest.raises(ArgumentError, match="cutoff: got 'd', expected 'a', 'b', 'c', 'published' or a"):
        cs(small, cutoff="d")


def test_negative_functional_sd(small):
    with pytest.raises(ArgumentError, match="sd_functional: got -1, expected a positive"):
        cs(small, sd_functional=-1)


def test_functional_mean_wrong_type(small):
    with pytest.raises(ArgumentTypeError, match="m_functional: got str"):
        cs(small, m_functional="1")


def test_ha_cutoff_with_functional_sd_below_measurement_error(small):
    with pytest.raises(ValueError, match="sd_functional: got 0.1.*standard error"):
        cs(small, method="ha", sd_functional=0.1)


def test_given_cutoff_and_clinical_norms_are_recorded(small):
    res = cs(small, cutoff=2.0, m_clinical=4.0, sd_clinical=1.0)
    assert res.meta["cutoff_value"] == 2.0
    assert res.meta["cutoff_type"] == "given"
    assert res.meta["clinical_source"] == "argument"
    assert list(res.patients["crossed_cutoff"]) == [True, False, False]


def test_cutoff_a_uses_the_sample_pre_scores(small):
    res = cs(small, cutoff="a")
    pre = np.array([3.0, 4.0, 5.0])
    assert res.meta["cutoff_value"] == pytest.approx(pre.mean() - 2 * pre.std(ddof=1))
    assert res.meta["clinical_source"] == "pre scores of the complete pairs"


def test_ha_cs_indiv_undefined_when_post_sd_below_measurement_error():
    df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "t": ["pre", "post"] * 4,
                       "y": [1.0, 2.0, 3.0, 2.05, 5.0, 2.1, 7.0, 2.0]})
    with pytest.raises(DataError, match="post SD .* is not larger than the standard error"):
        cs(df, method="ha", cutoff="a", reliability=0.5)


# -- instrument registry ---------------------------------------------------------------------
def core10_data():
    rng = np.random.default_rng(11)
    pre = rng.integers(8, 35, 40).astype(float)
    post = np.clip(pre - rng.integers(-4, 15, 40), 0, 40).astype(float)
    post[0], pre[0] = 11.0, 20.0  # post exactly at the published cut-off 11
    return pd.DataFrame({"id": list(range(40)) * 2, "t": ["pre"] * 40 + ["post"] * 40,
                         "y": np.r_[pre, post]})


def test_norms_and_direction_from_the_instrument_registry():
    from effectstudy import instruments

    sc = instruments.get("core10").scales["total"]
    res = es.clinical_significance(core10_data(), subject="id", time="t", outcome="y",
                                   pre="pre", post="post", instrument="core10", scale="total")
    assert res.meta["better_is"] == sc.better_is == "lower"
    assert res.meta["reliability"] == sc.reliability.value
    assert "registry core10/total" in res.meta["reliability_source"]
    assert res.meta["m_functional"] == sc.m_functional.value
    assert set(res.meta["registry"]) == {"better_is", "reliability", "m_functional",
                                         "sd_functional"}
    # explicit arguments win over the registry
    res2 = es.clinical_significance(core10_data(), subject="id", time="t", outcome="y",
                                    pre="pre", post="post", instrument="core10",
                                    scale="total", reliability=0.8)
    assert res2.meta["reliability"] == 0.8 and res2.meta["reliability_source"] == "argument"


def test_published_cutoff_uses_its_clinical_if_rule():
    from effectstudy import instruments

    cut = instruments.get("core10").scales["total"].cutoff
    res = es.clinical_significance(core10_data(), subject="id", time="t", outcome="y",
                                   pre="pre", post="post", instrument="core10", scale="total",
                                   cutoff="published")
    assert res.meta["cutoff_value"] == cut.value
    assert res.meta["cutoff_type"] == "published" and res.meta["cutoff"] == "published"
    p = res.patients
    if cut.clinical_if == ">=":  # 11 counts as clinical: patient 0 (20 -> 11) not functional
        assert not p.loc[0, "functional_post"]
    else:
        assert p.loc[0, "functional_post"]


def test_published_cutoff_needs_the_registry():
    with pytest.raises(ArgumentError, match="cutoff: got 'published'.*needs instrument="):
        cs(core10_data(), cutoff="published")


def test_missing_better_is_mentions_the_registry():
    with pytest.raises(ArgumentError, match="better_is: got None.*instrument registry"):
        es.reliable_change(core10_data(), subject="id", time="t", outcome="y", pre="pre",
                           post="post", reliability=0.9)


def test_reliable_change_takes_reliability_from_registry():
    res = es.reliable_change(core10_data(), subject="id", time="t", outcome="y", pre="pre",
                             post="post", instrument="core10", scale="total")
    assert res.meta["reliability"] == 0.9
    assert res.meta["reliability_source"].startswith("registry core10/total norms")


def test_ha_functional_reliability_can_be_given():
    """R derives r_func from the clinical SE (0.7539 for data set a); a known functional
    reliability can replace it.  Expected c: the HA formula with the given r_func."""
    c = rref.case("dev_gsi_prepost__stat_HA_c")
    p = rref.params(c["case_id"])
    derived = run_cs(c, reliability_functional=float(p["reliability_functional"]))
    assert derived.meta["cutoff_value"] == pytest.approx(p["cutoff_value"], rel=RTOL)
    given = run_cs(c, reliability_functional=0.9)
    a = p["sd_clinical"] * np.sqrt(p["reliability_clinical"])
    b = 0.45 * np.sqrt(0.9)
    expect = (a * 0.5 + b * p["m_clinical"]) / (a + b)
    assert given.meta["cutoff_value"] == pytest.approx(expect, rel=RTOL)
    assert given.meta["reliability_functional"] == 0.9
    with pytest.raises(ArgumentError, match="reliability_functional: got 0.9, expected None"):
        run_cs(rref.case("dev_gsi_prepost__stat_JT_c"), reliability_functional=0.9)


def test_registry_without_reliability_says_so():
    df = core10_data()
    with pytest.raises(ArgumentError, match="registry has none for gad7/total"):
        es.clinical_significance(df, subject="id", time="t", outcome="y", pre="pre",
                                 post="post", instrument="gad7", scale="total",
                                 cutoff="published")
