"""Cut-off-only clinical significance (``es.cutoff_change``) against R clinicalsignificance 3.0.0.

Reference: ``tests/reference/r_outputs`` (``cs_statistical()``, every ``statistical`` case: JT
and HA, cut-offs a/b/c, grouped and not).  Tolerances: categories and flags identical; cut-off
value, clinical mean/SD, CS_indiv and the HA reliabilities 1e-9 relative; summary counts
identical, proportions rounded to 4 decimals equal to R's ``percent`` /
``percent_by_group`` (R: ``round(n / N, 4)``).  Cut-off b follows Jacobson & Truax (1991)
here; to reproduce R's b its value is passed as a number (R: b uses the clinical SD).
Edge cases (scores exactly at the cut-off) use hand-made data and exact comparisons.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataQualityWarning
from tests.outcomes.frames import prepost_long as long
from tests.reference import rref

RTOL = 1e-9
STAT_CASES = [c["case_id"] for c in rref.case_list("statistical")]
B_CASES = [i for i in STAT_CASES if "_b" in i]
CATEGORIES = ["improved", "unchanged", "deteriorated"]


def run_cutoff(c: dict, **extra):
    """es.cutoff_change with the R call's arguments (reliability only for HA, as in R)."""
    a = c["args"]
    cols = c["columns"]
    kw = dict(subject="id", time=cols["time"], outcome=cols["outcome"], pre=a["pre"],
              post=a["post"], better_is=a["better_is"], method=a["cutoff_method"].lower(),
              cutoff=a["cutoff_type"], m_functional=a.get("m_functional"),
              sd_functional=a.get("sd_functional"), group=cols.get("group"))
    if a["cutoff_method"] == "HA":
        kw["reliability"] = a["reliability"]
    kw.update(extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return es.cutoff_change(rref.input_for(c), **kw)


def r_kwargs(case_id: str) -> dict:
    """Cut-off b: R's value (clinical SD) passed as a number; a and c as the R call."""
    if rref.case(case_id)["args"]["cutoff_type"] == "b":
        return {"cutoff": float(rref.params(case_id)["cutoff_value"])}
    return {}


def lower(series):
    return [str(v).lower() for v in series]


@pytest.mark.parametrize("case_id", STAT_CASES)
def test_patients_against_r_cs_statistical(case_id):
    c = rref.case(case_id)
    p = rref.params(case_id)
    res = run_cutoff(c, **r_kwargs(case_id))
    exp = rref.expected_rows("cs_statistical_patients.csv", case_id)
    assert len(res.patients) == len(exp) == p["n_used"]
    assert set(res.patients.index) == set(exp.index)
    got = res.patients.loc[exp.index]
    np.testing.assert_array_equal(got["pre"].to_numpy(float), exp["pre"].to_numpy(float))
    np.testing.assert_array_equal(got["post"].to_numpy(float), exp["post"].to_numpy(float))
    np.testing.assert_array_equal(got["change"].to_numpy(float), exp["change"].to_numpy(float))
    assert list(got["clinical_pre"].astype(bool)) == list(exp["clinical_pre"])
    assert list(got["functional_post"].astype(bool)) == list(exp["functional_post"])
    assert lower(got["category"]) == lower(exp["category"])
    if c["grouped"]:
        assert list(got["group"]) == list(exp["group"])
    if c["args"]["cutoff_method"] == "HA":
        np.testing.assert_allclose(got["cs_indiv"].to_numpy(float),
                                   exp["cs_indiv"].to_numpy(float), rtol=RTOL)
        assert list(got["clinical_post"].astype(bool)) == list(exp["clinical_post"])
    else:
        assert "cs_indiv" not in res.patients.columns
        assert "clinical_post" not in res.patients.columns


@pytest.mark.parametrize("case_id", STAT_CASES)
def test_meta_against_r_cs_statistical(case_id):
    c = rref.case(case_id)
    p = rref.params(case_id)
    a = c["args"]
    res = run_cutoff(c, **r_kwargs(case_id))
    m = res.meta
    assert m["method"] == a["cutoff_method"].lower()
    assert m["better_is"] == a["better_is"]
    assert m["cutoff_value"] == pytest.approx(p["cutoff_value"], rel=RTOL)
    assert m["m_clinical"] == pytest.approx(p["m_clinical"], rel=RTOL)
    assert m["sd_clinical"] == pytest.approx(p["sd_clinical"], rel=RTOL)
    assert m["n_original"] == p["n_original"]
    assert m["n_used"] == p["n_used"]
    if a["cutoff_type"] == "b":
        assert m["cutoff_type"] == "given"
    else:
        assert m["cutoff_type"] == p["cutoff_type_reported"]
    if a["cutoff_type"] in ("b", "c"):
        assert m["m_functional"] == a["m_functional"]
        assert m["sd_functional"] == a["sd_functional"]
    if a["cutoff_method"] == "HA":
        assert m["reliability"] == a["reliability"]
        assert m["alpha"] == 0.05
        assert m["critical_value"] == pytest.approx(p["critical_value"], rel=1e-12)
        assert m["cutoff_reliability_post"] == pytest.approx(p["pkg_cutoff_reliability_post"],
                                                             rel=RTOL)


@pytest.mark.parametrize("case_id", STAT_CASES)
def test_category_is_ordered_improved_unchanged_deteriorated(case_id):
    cat = run_cutoff(rref.case(case_id), **r_kwargs(case_id)).patients["category"]
    assert isinstance(cat.dtype, pd.CategoricalDtype) and cat.dtype.ordered
    assert list(cat.cat.categories) == CATEGORIES


@pytest.mark.parametrize("case_id", STAT_CASES)
def test_summary_against_r_cs_statistical(case_id):
    c = rref.case(case_id)
    res = run_cutoff(c, **r_kwargs(case_id))
    s = res.summary()
    exp = rref.expected("cs_summaries.csv")
    exp = exp[exp["case_id"] == case_id]
    n_total = int(rref.params(case_id)["n_used"])
    assert int(s["n"].sum()) == n_total
    # every category listed (also with a count of 0), per group when grouped
    assert len(s) == len(exp) == (6 if c["grouped"] else 3)
    for _, row in exp.iterrows():
        sel = np.asarray(lower(s["category"])) == row["category"].lower()
        if c["grouped"]:
            sel = sel & (s["group"] == row["group"]).to_numpy()
        assert sel.sum() == 1
        got = s.loc[sel].iloc[0]
        assert int(got["n"]) == row["n"]
        if c["grouped"]:
            assert round(float(got["proportion"]), 4) == pytest.approx(row["percent_by_group"],
                                                                       abs=1e-12)
            assert round(float(got["proportion_total"]), 4) == pytest.approx(row["percent"],
                                                                             abs=1e-12)
            n_group = int(exp.loc[exp["group"] == row["group"], "n"].sum())
            assert float(got["proportion"]) == pytest.approx(row["n"] / n_group, rel=1e-12)
            assert float(got["proportion_total"]) == pytest.approx(row["n"] / n_total,
                                                                   rel=1e-12)
        else:
            assert round(float(got["proportion"]), 4) == pytest.approx(row["percent"], abs=1e-12)
            assert float(got["proportion"]) == pytest.approx(row["n"] / n_total, rel=1e-12)


@pytest.mark.parametrize("case_id", B_CASES)
def test_cutoff_b_follows_the_paper_by_default(case_id):
    """Jacobson & Truax (1991): b = M_func - d * 2 * SD_func (HA: SD_func * sqrt(r_func));
    R clinicalsignificance uses SD_clin.  Expected: the paper's formula on the case's norms
    (HA: with the functional reliability R reports), not effectstudy's code."""
    c = rref.case(case_id)
    p = rref.params(case_id)
    a = c["args"]
    d = -1 if a["better_is"] == "lower" else 1
    res = run_cutoff(c)
    if a["cutoff_method"] == "JT":
        paper = a["m_functional"] - d * 2 * a["sd_functional"]
        assert res.meta["cutoff_type"] == "b"
    else:
        paper = a["m_functional"] - d * 2 * a["sd_functional"] * np.sqrt(
            p["reliability_functional"])
        assert res.meta["cutoff_type"] == "b_true"
    assert res.meta["cutoff_value"] == pytest.approx(paper, rel=RTOL)
    assert abs(paper - p["cutoff_value"]) > 0.1 * a["sd_functional"]
    # the flags follow the paper's value
    pts = res.patients
    np.testing.assert_array_equal(pts["clinical_pre"].astype(bool), d * pts["pre"] < d * paper)
    if a["cutoff_method"] == "JT":
        np.testing.assert_array_equal(pts["functional_post"].astype(bool),
                                      d * pts["post"] > d * paper)


def test_cutoff_b_paper_values_for_the_development_sets():
    # r_outputs README: (a) paper b = 0.5 + 2 * 0.45 = 1.40; (b) 68 - 2 * 17 = 34
    gsi = run_cutoff(rref.case("dev_gsi_prepost__stat_JT_b"))
    wb = run_cutoff(rref.case("dev_wellbeing_prepost__stat_JT_b"))
    assert gsi.meta["cutoff_value"] == pytest.approx(1.40, rel=1e-12)
    assert wb.meta["cutoff_value"] == pytest.approx(34.0, rel=1e-12)


# -- argument errors ---------------------------------------------------------------------------
@pytest.fixture
def small():
    return pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "t": ["pre", "post"] * 4,
                         "y": [3.0, 1.0, 4.0, 4.5, 5.0, 2.5, 6.0, 3.0]})


def cut(df, **kw):
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post", better_is="lower",
                cutoff="c", m_functional=1.0, sd_functional=1.0)
    args.update(kw)
    return es.cutoff_change(df, **args)


def test_ha_needs_reliability(small):
    with pytest.raises(ArgumentError, match="reliability"):
        cut(small, method="ha")


@pytest.mark.parametrize("method", ["jt", "ha"])
@pytest.mark.parametrize("cutoff", ["b", "c"])
@pytest.mark.parametrize("missing", ["m_functional", "sd_functional"])
def test_cutoff_b_and_c_need_functional_norms(small, method, cutoff, missing):
    kw = {"reliability": 0.8} if method == "ha" else {}
    with pytest.raises(ArgumentError, match=missing):
        cut(small, method=method, cutoff=cutoff, **{missing: None}, **kw)


@pytest.mark.parametrize("method", ["gln", "JTX", "anchor", ""])
def test_unknown_method(small, method):
    with pytest.raises(ArgumentError, match="method"):
        cut(small, method=method)


def test_cutoff_a_needs_no_functional_norms(small):
    res = cut(small, cutoff="a", m_functional=None, sd_functional=None)
    pre = np.array([3.0, 4.0, 5.0, 6.0])
    assert res.meta["cutoff_value"] == pytest.approx(pre.mean() - 2 * pre.std(ddof=1), rel=1e-12)


# -- exact edges: a score at the cut-off is neither clinical (pre) nor functional (post) -------
# (pre, post) -> clinical_pre, functional_post, category; cut-off 10 given, lower is better
EDGE_LOWER = [
    ((10.0, 5.0), False, True, "unchanged"),      # pre at the cut-off: not clinical
    ((10.0, 12.0), False, False, "deteriorated"),  # not clinical at pre, not functional at post
    ((15.0, 10.0), True, False, "unchanged"),      # post at the cut-off: not functional
    ((10.0, 10.0), False, False, "deteriorated"),  # both at the cut-off
    ((15.0, 9.0), True, True, "improved"),
    ((11.0, 13.0), True, False, "unchanged"),
    ((9.0, 8.0), False, True, "unchanged"),
]


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_scores_exactly_at_a_given_cutoff(better_is):
    pre = [e[0][0] for e in EDGE_LOWER]
    post = [e[0][1] for e in EDGE_LOWER]
    cutoff = 10.0
    if better_is == "higher":  # mirror: x -> 20 - x keeps every score's side of 10
        pre, post = [20 - x for x in pre], [20 - x for x in post]
    res = es.cutoff_change(long(pre, post), subject="id", time="t", outcome="y", pre="pre",
                           post="post", better_is=better_is, cutoff=cutoff)
    p = res.patients.sort_index()
    assert res.meta["cutoff_type"] == "given" and res.meta["cutoff_value"] == cutoff
    assert list(p["clinical_pre"].astype(bool)) == [e[1] for e in EDGE_LOWER]
    assert list(p["functional_post"].astype(bool)) == [e[2] for e in EDGE_LOWER]
    assert lower(p["category"]) == [e[3] for e in EDGE_LOWER]


@pytest.mark.parametrize("better_is, post_at_cutoff", [("lower", 0.0), ("higher", 8.0)])
def test_post_exactly_at_cutoff_a_is_not_functional(better_is, post_at_cutoff):
    """Pre scores 2, 4, 6: mean 4 and SD 2 exactly, so a = 4 - 2*2 = 0 (lower) or 8 (higher)."""
    df = long([2.0, 4.0, 6.0], [post_at_cutoff, post_at_cutoff, post_at_cutoff])
    res = es.cutoff_change(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                           better_is=better_is, cutoff="a")
    assert res.meta["cutoff_value"] == post_at_cutoff
    assert not res.patients["functional_post"].astype(bool).any()
    assert list(res.patients["clinical_pre"].astype(bool)) == [True, True, True]
    assert lower(res.patients["category"]) == ["unchanged"] * 3


def test_ha_pre_exactly_at_cutoff_is_not_clinical_and_never_functional():
    # HA: functional_post = clinical_pre & d*CS_indiv > z; a pre score at the cut-off is not
    # clinical, so a large improvement is not "improved"; clinical_post needs !clinical_pre
    pre = [10.0, 10.0, 14.0, 16.0, 18.0, 12.0]
    post = [1.0, 19.0, 2.0, 3.0, 15.0, 11.0]
    res = es.cutoff_change(long(pre, post), subject="id", time="t", outcome="y", pre="pre",
                           post="post", better_is="lower", method="ha", cutoff=10.0,
                           reliability=0.9)
    p = res.patients.sort_index()
    assert list(p["clinical_pre"].astype(bool)) == [False, False, True, True, True, True]
    assert not bool(p.loc[0, "functional_post"]) and not bool(p.loc[1, "functional_post"])
    assert lower(p["category"])[0] == "unchanged"
    assert not bool(p.loc[2:, "clinical_post"].astype(bool).any())


def test_missing_post_is_excluded_and_counted():
    df = long([15.0, 12.0, 9.0], [8.0, 13.0, 9.5])
    df.loc[(df["id"] == 2) & (df["t"] == "post"), "y"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.cutoff_change(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                               better_is="lower", cutoff=10.0)
    assert res.meta["n_original"] == 3 and res.meta["n_used"] == 2
    assert list(res.patients.index) == [0, 1]
