"""Improvement-positive effect sizes (``prepost_effect(..., better_is=...)``) against R.

Expected values are R output only (nothing computed with effectstudy):

- ``tests/reference/r_outputs/expected/es_results_effectsize_*.csv``: effectsize 1.0.0 / 0.8.3
  of ``post - pre`` (``rm_d(post, pre)``, ``cohens_d``/``hedges_g(post, pre, paired = TRUE)``)
  and, for every ``rm_d`` method, of ``pre - post`` (``rm_d(pre, post)``, orientation
  ``pre_minus_post``).  Improvement-positive on a lower-is-better scale is
  :math:`-d` with the limits negated and swapped, which for d_rm, d_av, d_z and d is what
  ``rm_d(pre, post)`` computes itself; Becker's d keeps the SD of the *pre* scores as its
  standardiser, whereas ``rm_d(pre, post, method = "b")`` divides by the SD of its first
  argument's partner (the post scores here), so Becker's improvement-positive d is minus R's
  post - pre value, not R's ``pre_minus_post`` value (tested both ways).
- ``tests/reference/paired_tests/``: base R ``t.test(post, pre, paired = TRUE)`` and
  ``wilcox.test(post, pre, paired = TRUE)``.  There is no R run of ``wilcox.test(pre, post,
  paired = TRUE)``; its V is :math:`n'(n'+1)/2 - V_R`, :math:`n'` the number of non-zero
  differences (R drops zero differences, and the ranks of the :math:`n'` absolute differences,
  ties averaged, sum to :math:`n'(n'+1)/2`; float subtraction is exactly antisymmetric, so both
  orders see the same absolute differences).  Without zero differences (CBT, the exact case)
  that is :math:`n(n+1)/2 - V_R`.
- ``tests/reference/r_outputs/expected/descriptives_prepost.csv``: base R ``mean(post - pre)``.
- ``tests/reference/intervals/boot_large.csv``: boot.ci limits of post - pre (B = 100000).

Tolerances as ``test_effect_size.py`` and ``test_effect_size_intervals.py``.
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

ES = pd.concat([rref.expected("es_results_effectsize_1.0.0.csv"),
                rref.expected("es_results_effectsize_0.8.3.csv")], ignore_index=True)
POST_MINUS_PRE = ES[ES["orientation"] == "post_minus_pre"]
PRE_MINUS_POST = ES[ES["orientation"] == "pre_minus_post"]
PAIRED = pd.read_csv(rref.ROOT.parent / "paired_tests" / "paired_tests.csv")
INPUT = {"dev_gsi_prepost": ("dev_gsi_prepost__dist_JT", "gsi"),
         "dev_wellbeing_prepost": ("dev_wellbeing_prepost__dist_JT", "wellbeing")}
WIDE = {"dev_gsi_prepost": "dev_gsi_prepost_wide.csv",
        "dev_wellbeing_prepost": "dev_wellbeing_prepost_wide.csv"}


def _settings(row) -> tuple[str, bool, str]:
    if row["r_function"] == "rm_d":
        return row["method"], bool(row["adjust"]), "normal"
    return "z", row["r_function"] == "hedges_g", "nct"  # cohens_d / hedges_g(paired = TRUE)


def run(dataset: str, subset: str, better_is, **kwargs) -> tuple[pd.Series, es.EffectSizeResult]:
    """prepost_effect of an R reference data set (pre = time 1, post = time 2)."""
    case_id, outcome = INPUT[dataset]
    df = rref.input_for(rref.case(case_id))
    group = None if subset == "all" else "treatment"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.prepost_effect(df, subject="id", time="time", outcome=outcome, pre=1, post=2,
                                group=group, better_is=better_is, **kwargs)
    s = res.summary()
    if group is not None:
        s = s[s["group"] == subset.split("== ")[-1]]
    assert len(s) == 1
    return s.iloc[0], res


def _close(got, want, ci_method):
    if ci_method == "nct":
        return pytest.approx(want, abs=1e-6) == got
    return pytest.approx(want, rel=1e-6) == got


@pytest.mark.parametrize("case_id", list(POST_MINUS_PRE["case_id"]))
def test_improvement_positive_is_minus_r_with_swapped_limits(case_id):
    """better_is = the data set's direction: lower -> -R, limits swapped; higher -> R as is."""
    row = ES[ES["case_id"] == case_id].iloc[0]
    method, adjust, ci_method = _settings(row)
    got, res = run(row["dataset"], row["subset"], row["better_is"], method=method, adjust=adjust,
                   ci=float(row["ci"]), ci_method=ci_method)
    if row["better_is"] == "lower":
        want = (-row["estimate"], -row["ci_high"], -row["ci_low"])
    else:
        want = (row["estimate"], row["ci_low"], row["ci_high"])
    assert got["estimate"] == pytest.approx(want[0], rel=1e-9)
    assert _close(got["ci_low"], want[1], ci_method) and _close(got["ci_high"], want[2], ci_method)
    assert got["ci_low"] < got["estimate"] < got["ci_high"]
    assert res.meta["orientation"] == "improvement positive"
    assert res.meta["better_is"] == row["better_is"]


@pytest.mark.parametrize("case_id", list(POST_MINUS_PRE["case_id"]))
def test_lower_is_better_on_any_data_set_negates_r(case_id):
    """better_is="lower" forced on both data sets (wellbeing too): always -R, limits swapped."""
    row = ES[ES["case_id"] == case_id].iloc[0]
    method, adjust, ci_method = _settings(row)
    got, _ = run(row["dataset"], row["subset"], "lower", method=method, adjust=adjust,
                 ci=float(row["ci"]), ci_method=ci_method)
    assert got["estimate"] == pytest.approx(-row["estimate"], rel=1e-9)
    assert _close(got["ci_low"], -row["ci_high"], ci_method)
    assert _close(got["ci_high"], -row["ci_low"], ci_method)


@pytest.mark.parametrize("case_id", list(PRE_MINUS_POST["case_id"]))
def test_lower_is_better_equals_r_pre_minus_post_except_becker(case_id):
    """R's own rm_d(pre, post): equal for d_rm, d_av, d_z and d; Becker's d differs because
    its standardiser stays the pre SD (R's swapped call divides by the post SD)."""
    row = ES[ES["case_id"] == case_id].iloc[0]
    pmp = POST_MINUS_PRE
    same = pmp[(pmp["dataset"] == row["dataset"]) & (pmp["subset"] == row["subset"])
               & (pmp["r_function"] == "rm_d") & (pmp["method"] == row["method"])
               & (pmp["adjust"] == row["adjust"]) & (pmp["ci"] == row["ci"])
               & (pmp["effectsize_version"] == row["effectsize_version"])].iloc[0]
    got, _ = run(row["dataset"], row["subset"], "lower", method=row["method"],
                 adjust=bool(row["adjust"]), ci=float(row["ci"]), ci_method="normal")
    if row["method"] != "b":
        assert got["estimate"] == pytest.approx(row["estimate"], rel=1e-9)
        assert got["ci_low"] == pytest.approx(row["ci_low"], rel=1e-6)
        assert got["ci_high"] == pytest.approx(row["ci_high"], rel=1e-6)
    else:
        assert got["estimate"] == pytest.approx(-same["estimate"], rel=1e-9)
        assert abs(got["estimate"] - row["estimate"]) > 1e-3


def _nonzero(dataset: str, subset: str) -> int:
    """The number of non-zero differences in R's input (R's wilcox.test drops zeros)."""
    w = pd.read_csv(rref.ROOT / "inputs" / WIDE[dataset], dtype={"id": str})
    w = w.dropna(subset=["pre", "post"])
    if subset != "all":
        w = w[w["treatment"] == subset]
    return int(((w["post"] - w["pre"]) != 0).sum())


@pytest.mark.parametrize("better_is", ["lower", "higher"])
@pytest.mark.parametrize("i", range(len(PAIRED)))
def test_t_and_wilcoxon_follow_the_orientation(i, better_is):
    """lower: t = -t_R, V = n'(n'+1)/2 - V_R; higher: t_R and V_R; p unchanged."""
    ref = PAIRED.iloc[i]
    subset = "all" if ref["subset"] == "all" else f"treatment == {ref['subset']}"
    got, _ = run(ref["dataset"], subset, better_is, method="z", adjust=False)
    n1 = _nonzero(ref["dataset"], ref["subset"])
    sign = -1 if better_is == "lower" else 1
    assert got["t"] == pytest.approx(sign * ref["t"], rel=1e-9)
    assert got["df"] == ref["df"]
    assert got["p"] == pytest.approx(ref["p"], rel=1e-9)
    want_v = n1 * (n1 + 1) / 2 - ref["wilcoxon_v"] if better_is == "lower" else ref["wilcoxon_v"]
    assert got["wilcoxon_v"] == want_v
    assert got["wilcoxon_p"] == pytest.approx(ref["wilcoxon_p"], rel=1e-9)


def test_the_zero_differences_are_real_in_the_reference_data():
    """The n' of the identity above is not n for three of the four rows (so it is tested)."""
    assert _nonzero("dev_gsi_prepost", "all") == 56 and _nonzero("dev_gsi_prepost", "CBT") == 28
    assert _nonzero("dev_wellbeing_prepost", "all") == 28


def test_wilcoxon_exact_case_lower_is_better():
    """No ties or zeros, n = 12: V = 12 x 13 / 2 - V_R (paired_tests_exact.csv), exact p unchanged."""
    ref = pd.read_csv(rref.ROOT.parent / "paired_tests" / "paired_tests_exact.csv").iloc[0]
    x = np.array([10, 12, 9, 14, 11, 13, 8, 15, 10, 16, 9, 17], dtype=float)
    y = x + np.array([1, -2, 3, -4, 5, 6, -7, 8, 9, -10, 11, 12]) / 2
    s = es.prepost_effect(long(x, y), subject="id", time="t", outcome="y", pre="pre", post="post",
                          method="z", better_is="lower").summary().iloc[0]
    assert s["wilcoxon_v"] == 78 - ref["wilcoxon_v"]
    assert s["wilcoxon_p"] == pytest.approx(ref["wilcoxon_p"], rel=1e-9)


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_mean_change_is_the_improvement_against_r_base(better_is):
    desc = rref.expected("descriptives_prepost.csv")
    for _, d in desc.iterrows():
        got, _ = run(d["dataset"], d["subset"], better_is, method="z", adjust=False)
        sign = -1 if better_is == "lower" else 1
        assert got["mean_change"] == pytest.approx(sign * d["m_change"], rel=1e-9)
        for ours, theirs in [("mean_pre", "m_pre"), ("mean_post", "m_post"), ("sd_change", "sd_change")]:
            assert got[ours] == pytest.approx(d[theirs], rel=1e-9), ours


BOOT = pd.read_csv(rref.ROOT.parent / "intervals" / "boot_large.csv")


@pytest.mark.parametrize("ci_method", ["percentile", "bca"])
def test_bootstrap_limits_lower_is_better_against_r_boot_ci(ci_method):
    """n = 20, Becker's d (intervals/, lower is better): minus boot.ci's limits, swapped,
    within the Monte-Carlo tolerance of test_effect_size_intervals.py."""
    e = BOOT[(BOOT["dataset"] == "n20") & (BOOT["method"] == "b")].iloc[0]
    w = pd.read_csv(rref.ROOT.parent / "intervals" / "data_n20.csv")
    got = es.prepost_effect(long(w["pre"].to_numpy(), w["post"].to_numpy()), subject="id", time="t",
                            outcome="y", pre="pre", post="post", method="b", ci_method=ci_method,
                            n_resamples=100_000, seed=5, better_is="lower").summary().iloc[0]
    k = "perc" if ci_method == "percentile" else "bca"
    assert got["ci_low"] == pytest.approx(-e[f"{k}_high"], abs=4 * np.sqrt(2) * e[f"mc_se_{k}_high"])
    assert got["ci_high"] == pytest.approx(-e[f"{k}_low"], abs=4 * np.sqrt(2) * e[f"mc_se_{k}_low"])


# -- properties and meta -----------------------------------------------------------------
def _pe(df, **kw):
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post", method="b")
    args.update(kw)
    return es.prepost_effect(df, **args)


@pytest.mark.parametrize("ci_method", ["auto", "percentile", "bca"])
def test_lower_mirrors_the_post_minus_pre_result_group_by_group(ci_method):
    rng = np.random.default_rng(5)
    pre = rng.normal(20, 5, 40)
    df = long(pre, pre - 2 + rng.gamma(2, 2, 40) * rng.choice([-1, 1], 40))
    df["arm"] = np.tile(np.repeat(["A", "B"], 20), 2)
    a = _pe(df, group="arm", ci_method=ci_method, seed=3).summary()
    b = _pe(df, group="arm", ci_method=ci_method, seed=3, better_is="lower").summary()
    np.testing.assert_allclose(b["estimate"], -a["estimate"], rtol=1e-15)
    np.testing.assert_allclose(b["ci_low"], -a["ci_high"], rtol=1e-15)
    np.testing.assert_allclose(b["ci_high"], -a["ci_low"], rtol=1e-15)
    for col in ("mean_change", "t"):
        np.testing.assert_allclose(b[col], -a[col], rtol=1e-15)
    for col in ("p", "wilcoxon_p", "sd_change", "mean_pre", "mean_post", "sd_pre", "r", "n"):
        np.testing.assert_array_equal(b[col], a[col])
    h = _pe(df, group="arm", ci_method=ci_method, seed=3, better_is="higher").summary()
    pd.testing.assert_frame_equal(h, a)


def test_meta_names_the_orientation_and_the_standardiser():
    df = long([30.0, 25, 28, 35, 22, 27], [20.0, 24, 21, 30, 15, 26])
    old = _pe(df)
    assert old.meta["orientation"] == "post - pre" and old.meta["better_is"] is None
    new = _pe(df, better_is="lower")
    assert new.meta["orientation"] == "improvement positive" and new.meta["better_is"] == "lower"
    assert new.meta["standardiser"] == "sd_pre" and new.meta["estimate_name"] == "Becker's d"
    assert new.meta["definition"]["nl"].startswith(
        "Becker's d: gemiddelde verbetering gedeeld door de SD van de voormeting, met de correctie van Hedges")
    assert new.meta["definition"]["en"].endswith("positive = improvement")
    assert "nameting min voormeting" in old.meta["definition"]["nl"]
    assert _pe(df, method="z").meta["standardiser"] == "sd_change"


@pytest.mark.parametrize("bad", ["Lower", "down", 1, True])
def test_better_is_is_checked(bad):
    with pytest.raises(ArgumentError, match="better_is: got"):
        _pe(long([1.0, 2, 3], [2.0, 3, 5]), better_is=bad)
