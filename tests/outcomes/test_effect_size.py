"""Pre/post effect sizes against R effectsize 1.0.0 / 0.8.3 and base R paired tests.

References: ``tests/reference/r_outputs/expected/es_results_effectsize_*.csv`` (README
there; exact R call per case) and ``tests/reference/paired_tests/`` (script
``paired_tests.R``, base R 4.2.2).  Tolerances: estimates 1e-9 relative; normal-theory
CIs 1e-6 relative (they agree to ~1e-13); noncentral-t CIs 1e-6 absolute (effectsize
finds them by a numerical search; 0.8.3 and 1.0.0 differ by up to 1.1e-6 from each other,
ours by at most 8.5e-7 from either); t-test and
Wilcoxon statistics and p-values 1e-9 relative.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataError, DataQualityWarning
from tests.outcomes.frames import prepost_long as long
from tests.reference import rref

ES = pd.concat([rref.expected("es_results_effectsize_1.0.0.csv"),
                rref.expected("es_results_effectsize_0.8.3.csv")], ignore_index=True)
ES_CASES = list(ES["case_id"])

INPUT = {"dev_gsi_prepost": ("dev_gsi_prepost__dist_JT", "gsi"),
         "dev_wellbeing_prepost": ("dev_wellbeing_prepost__dist_JT", "wellbeing")}


def data_for(dataset):
    case_id, outcome = INPUT[dataset]
    return rref.input_for(rref.case(case_id)), outcome


def run(row):
    df, outcome = data_for(row["dataset"])
    group = None
    if row["subset"] != "all":
        group = "treatment"
    if row["r_function"] == "rm_d":
        method, adjust, ci_method = row["method"], bool(row["adjust"]), "normal"
    else:  # cohens_d / hedges_g with paired = TRUE
        method, ci_method = "z", "nct"
        adjust = row["r_function"] == "hedges_g"
    pre, post = (1, 2) if row["orientation"] == "post_minus_pre" else (2, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.prepost_effect(df, subject="id", time="time", outcome=outcome, pre=pre,
                                post=post, method=method, adjust=adjust, ci=float(row["ci"]),
                                group=group, ci_method=ci_method)
    s = res.summary()
    if group is not None:
        s = s[s["group"] == row["subset"].split("== ")[-1]]
    assert len(s) == 1
    return s.iloc[0], res


@pytest.mark.parametrize("case_id", ES_CASES)
def test_prepost_effect_against_r_effectsize(case_id):
    row = ES[ES["case_id"] == case_id].iloc[0]
    got, res = run(row)
    assert got["n"] == row["n_pairs"]
    assert got["estimate"] == pytest.approx(row["estimate"], rel=1e-9)
    if row["ci_method"] == "normal":
        assert got["ci_low"] == pytest.approx(row["ci_low"], rel=1e-6)
        assert got["ci_high"] == pytest.approx(row["ci_high"], rel=1e-6)
    else:
        assert got["ci_low"] == pytest.approx(row["ci_low"], abs=1e-6)
        assert got["ci_high"] == pytest.approx(row["ci_high"], abs=1e-6)


def test_descriptives_against_r_base():
    desc = rref.expected("descriptives_prepost.csv")
    for _, d in desc.iterrows():
        row = {"dataset": d["dataset"], "subset": d["subset"], "r_function": "rm_d",
               "method": "z", "adjust": False, "ci": 0.95, "orientation": "post_minus_pre"}
        got, _ = run(row)
        assert got["n"] == d["n_complete_pairs"]
        for ours, theirs in [("mean_pre", "m_pre"), ("sd_pre", "sd_pre"),
                             ("mean_post", "m_post"), ("sd_post", "sd_post"),
                             ("r", "cor_pre_post"), ("mean_change", "m_change"),
                             ("sd_change", "sd_change")]:
            assert got[ours] == pytest.approx(d[theirs], rel=1e-9), ours


PAIRED = pd.read_csv(rref.ROOT.parent / "paired_tests" / "paired_tests.csv")


@pytest.mark.parametrize("i", range(len(PAIRED)))
def test_paired_tests_against_r_stats(i):
    ref = PAIRED.iloc[i]
    subset = "all" if ref["subset"] == "all" else f"treatment == {ref['subset']}"
    row = {"dataset": ref["dataset"], "subset": subset, "r_function": "rm_d", "method": "z",
           "adjust": False, "ci": 0.95, "orientation": "post_minus_pre"}
    got, _ = run(row)
    assert got["t"] == pytest.approx(ref["t"], rel=1e-9)
    assert got["df"] == ref["df"]
    assert got["p"] == pytest.approx(ref["p"], rel=1e-9)
    assert got["wilcoxon_v"] == ref["wilcoxon_v"]
    assert got["wilcoxon_p"] == pytest.approx(ref["wilcoxon_p"], rel=1e-9)


def test_d_av_follows_effectsize_and_differs_from_lakens():
    """Lakens (2013) d_av divides by (SD_pre + SD_post) / 2: 0.78510 for data set (b)
    (r_outputs README) against effectsize's 0.77838 (root mean square of the SDs)."""
    desc = rref.expected("descriptives_prepost.csv")
    d = desc[desc["dataset"] == "dev_wellbeing_prepost"].iloc[0]
    row = {"dataset": "dev_wellbeing_prepost", "subset": "all", "r_function": "rm_d",
           "method": "av", "adjust": False, "ci": 0.95, "orientation": "post_minus_pre"}
    got, _ = run(row)
    lakens = d["m_change"] / ((d["sd_pre"] + d["sd_post"]) / 2)
    assert lakens == pytest.approx(0.78510, abs=5e-6)
    assert got["estimate"] == pytest.approx(0.77838, abs=5e-6)
    assert got["estimate"] < lakens


# -- properties of the definitions (cheap, deterministic) --------------------------------
def pe(df, **kw):
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post", method="z", adjust=False)
    args.update(kw)
    return es.prepost_effect(df, **args).summary().iloc[0]


def test_d_z_is_one_sample_d_of_the_differences():
    rng = np.random.default_rng(1)
    pre = rng.normal(20, 5, 40)
    post = pre - 3 + rng.normal(0, 4, 40)
    diff = post - pre
    assert pe(long(pre, post))["estimate"] == pytest.approx(diff.mean() / diff.std(ddof=1))


def test_equal_variances_make_rm_av_b_equal():
    pre = np.array([1.0, 2, 3, 4, 5, 6])
    post = np.array([3.0, 1, 2, 6, 4, 5]) - 1.5  # a permutation: same SD as pre
    vals = [pe(long(pre, post), method=m)["estimate"] for m in ("rm", "av", "b", "d")]
    np.testing.assert_allclose(vals, vals[0], rtol=1e-12)


def test_ci_contains_estimate_and_widens_with_level():
    rng = np.random.default_rng(2)
    pre = rng.normal(20, 5, 30)
    df = long(pre, pre - 2 + rng.normal(0, 3, 30))
    for m in ("rm", "av", "z", "b", "d"):
        a = pe(df, method=m, ci=0.90)
        b = pe(df, method=m, ci=0.99)
        assert a["ci_low"] < a["estimate"] < a["ci_high"]
        assert b["ci_low"] < a["ci_low"] and b["ci_high"] > a["ci_high"]


def test_grouped_rows_and_forest_plot():
    rng = np.random.default_rng(3)
    pre = rng.normal(20, 5, 40)
    df = long(pre, pre - 2 + rng.normal(0, 3, 40))
    df["arm"] = np.tile(np.repeat(["A", "B"], 20), 2)
    res = es.prepost_effect(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                            method="av", group="arm")
    s = res.summary()
    assert list(s["group"]) == ["A", "B"]
    assert list(s["n"]) == [20, 20]
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    assert len(fig.axes) == 1
    plt.close(fig)


# -- bad input ---------------------------------------------------------------------------
def test_unknown_method():
    with pytest.raises(ArgumentError, match="method: got 'g', expected one of 'rm'"):
        pe(long([1.0, 2, 3], [2.0, 3, 5]), method="g")


def test_nct_only_for_z():
    with pytest.raises(ArgumentError, match="ci_method: got 'nct'.*'nct' exists for 'z' only"):
        pe(long([1.0, 2, 3], [2.0, 3, 5]), method="av", ci_method="nct")


@pytest.mark.parametrize("ci", [0, 1, 95, True])
def test_ci_level_outside_unit_interval(ci):
    with pytest.raises(ArgumentError, match="ci: got .*, expected a confidence level"):
        pe(long([1.0, 2, 3], [2.0, 3, 5]), ci=ci)


def test_zero_variance_change_is_an_error():
    with pytest.raises(DataError, match="zero variance"):
        pe(long([1.0, 2, 3], [2.0, 3, 4]))


def test_too_few_pairs_is_an_error():
    with pytest.raises(DataError, match="2 complete pair"):
        pe(long([1.0, 2], [2.0, 4]))


def test_a_group_that_cannot_be_estimated_is_named_with_its_reason():
    df = long([1.0, 2, 3, 4, 5], [2.0, 2, 5, 3, 6])
    df["arm"] = ["A", "A", "A", "B", "B"] * 2
    r = es.prepost_effect(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                          method="z", group="arm")
    assert list(r.meta["not_estimated"]) == ["B"]
    assert r.meta["not_estimated"]["B"].startswith("2 complete pair(s)")
    assert r.summary().set_index("group")["estimate"].notna().to_dict() == {"A": True, "B": False}
    assert r.meta_lines("nl")[-1] == "geen effectgrootte (minder dan 3 paren of geen spreiding): B"


def test_wilcoxon_exact_case_against_r_stats():
    """No ties or zeros and n < 50: R uses the exact distribution (paired_tests.R)."""
    ref = pd.read_csv(rref.ROOT.parent / "paired_tests" / "paired_tests_exact.csv").iloc[0]
    x = np.array([10, 12, 9, 14, 11, 13, 8, 15, 10, 16, 9, 17], dtype=float)
    y = x + np.array([1, -2, 3, -4, 5, 6, -7, 8, 9, -10, 11, 12]) / 2
    s = pe(long(x, y))
    assert s["wilcoxon_v"] == ref["wilcoxon_v"]
    assert s["wilcoxon_p"] == pytest.approx(ref["wilcoxon_p"], rel=1e-9)
