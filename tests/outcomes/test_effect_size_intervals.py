"""Effect-size intervals (noncentral t, normal, percentile and BCa bootstrap), the small-group
flag and the Wilson intervals of category shares, against R.

References: ``tests/reference/intervals/`` (script ``intervals.R``, README there): R boot 1.3-28.1
``boot()``/``boot.ci()``, effectsize 0.8.3 ``cohens_d``/``hedges_g(paired = TRUE)``, base R
``prop.test(correct = FALSE)``.  Tolerances:

- the bootstrap statistic on the full and the leave-one-out samples: 1e-12 relative (the same
  arithmetic);
- scipy's BCa and percentile limits computed from R's own 2000 replicates: 1e-12 absolute
  (same replicates, same jackknife acceleration, same type-7 quantile);
- limits from independent resamples (ours and R's, B = 100000 each): 4 x sqrt(2) x the
  Monte-Carlo SE of R's limit (20 batch means, written by the script); the difference of two
  independent estimates has SD sqrt(2) SE, so a correct implementation fails one of these 24
  comparisons with probability about 24 x 6e-5;
- noncentral-t limits 1e-6 absolute (effectsize finds them by a numerical search; 0.8.3 and
  1.0.0 differ by 1.1e-6), normal-theory limits and Wilson limits 1e-12 relative.
"""

from __future__ import annotations

import re
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import effectstudy as es
from effectstudy import kernels
from effectstudy.core.errors import ArgumentError, DataQualityWarning, ParamsError
from tests.reference import rref

REF = Path(__file__).parents[1] / "reference" / "intervals"
DEMO = Path(__file__).parents[2] / "params" / "demo.yaml"
EXACT = pd.read_csv(REF / "bca_exact.csv")
LARGE = pd.read_csv(REF / "boot_large.csv")
ES083 = pd.read_csv(REF / "effectsize_083.csv")
WILSON = pd.read_csv(REF / "wilson_prop_test.csv").set_index(["k", "n"])


def wide(dataset: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"data_{dataset}.csv")


def long(dataset: str) -> pd.DataFrame:
    w = wide(dataset)
    return pd.concat([pd.DataFrame({"id": w["id"], "t": "pre", "y": w["pre"]}),
                      pd.DataFrame({"id": w["id"], "t": "post", "y": w["post"]})], ignore_index=True)


def effect(dataset: str, **kwargs) -> es.EffectSizeResult:
    return es.prepost_effect(long(dataset), subject="id", time="t", outcome="y", pre="pre",
                             post="post", **kwargs)


def replicates(dataset: str, method: str) -> np.ndarray:
    reps = pd.read_csv(REF / "boot_replicates.csv")
    r = reps[(reps["dataset"] == dataset) & (reps["method"] == method)].sort_values("replicate")
    return r["t"].to_numpy()


CASES = [(r.dataset, r.method) for r in EXACT.itertuples()]


# -- the bootstrap statistic ----------------------------------------------------------------
@pytest.mark.parametrize(("dataset", "method"), CASES)
def test_bootstrap_statistic_against_r_full_and_jackknife_samples(dataset, method):
    """Hedges-adjusted d on the sample and on every leave-one-out sample (J(n - 2) there)."""
    e = EXACT[(EXACT["dataset"] == dataset) & (EXACT["method"] == method)].iloc[0]
    assert effect(dataset, method=method).summary()["estimate"].iloc[0] == pytest.approx(e["t0"], rel=1e-12)
    w = wide(dataset)
    n = len(w)
    keep = ~np.eye(n, dtype=bool)
    x = np.broadcast_to(w["pre"].to_numpy(), (n, n))[keep].reshape(n, n - 1)
    y = np.broadcast_to(w["post"].to_numpy(), (n, n))[keep].reshape(n, n - 1)
    jack = pd.read_csv(REF / "jackknife.csv")
    theta = jack[(jack["dataset"] == dataset) & (jack["method"] == method)].sort_values("left_out")["theta"]
    np.testing.assert_allclose(kernels.paired_d_values(x, y, method, adjust=True), theta, rtol=1e-12)
    # the O(n) leave-one-out sums used for the BCa acceleration
    np.testing.assert_allclose(kernels.jackknife_d_values(w["pre"], w["post"], method), theta, rtol=1e-10)


@pytest.mark.parametrize("method", ["rm", "av", "z", "b", "d"])
@pytest.mark.parametrize("dataset", ["n9", "n40"])
def test_bca_equals_scipys_bca(dataset, method):
    """Our BCa (scipy's resamples, the O(n) jackknife) against scipy.stats.bootstrap(method="BCa")
    on the same resamples (its jackknife evaluates the statistic on n samples of n - 1)."""
    w = wide(dataset)
    x, y = w["pre"].to_numpy(), w["post"].to_numpy()
    got = kernels.bootstrap_d_ci(x, y, method, ci_method="bca", n_resamples=3000, seed=8, ci=0.9)

    def statistic(a, b, axis=-1):
        return kernels.paired_d_values(a, b, method, adjust=True, axis=axis)

    ref = stats.bootstrap((x, y), statistic, n_resamples=3000, paired=True, vectorized=True, method="BCa",
                          rng=np.random.default_rng(8), confidence_level=0.9)
    assert got == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-10)


#: n = 9, d_z: 3 of R's 2000 resamples are permutations of the sample and reproduce the estimate
#: (to the last bit or one bit off); boot counts such a replicate as not below t0, scipy's
#: percentileofscore(kind="rank") as half below, so z0 and the BCa limits differ (by 0.0016)
TIED = [("n9", "z")]


def test_the_excluded_case_has_replicates_tied_with_the_estimate():
    e = EXACT.set_index(["dataset", "method"])
    for case in TIED:
        assert np.sum(np.abs(replicates(*case) - e.loc[case, "t0"]) <= 2e-16) >= 2


@pytest.mark.parametrize(("dataset", "method"), [c for c in CASES if c not in TIED])
def test_bca_and_percentile_from_r_replicates_against_r(dataset, method):
    """scipy's BCa with our statistic, fed R's 2000 replicates: the jackknife acceleration, the
    bias correction and the adjusted levels of Efron & Tibshirani (1993, 14.10) as computed in R,
    and the type-7 quantiles at them."""
    e = EXACT[(EXACT["dataset"] == dataset) & (EXACT["method"] == method)].iloc[0]
    t = replicates(dataset, method)
    w = wide(dataset)

    def statistic(a, b, axis=-1):
        return kernels.paired_d_values(a, b, method, adjust=True, axis=axis)

    for kind, lo, hi in [("BCa", "bca_low_type7", "bca_high_type7"),
                         ("percentile", "perc_low_type7", "perc_high_type7")]:
        res = stats.bootstrap((w["pre"].to_numpy(), w["post"].to_numpy()), statistic, n_resamples=0,
                              paired=True, vectorized=True, method=kind,
                              bootstrap_result=types.SimpleNamespace(bootstrap_distribution=t))
        assert res.confidence_interval.low == pytest.approx(e[lo], abs=1e-12)
        assert res.confidence_interval.high == pytest.approx(e[hi], abs=1e-12)


@pytest.mark.parametrize(("dataset", "method"), CASES)
@pytest.mark.parametrize("ci_method", ["percentile", "bca"])
def test_bootstrap_limits_against_r_boot_ci_large_b(dataset, method, ci_method):
    """prepost_effect's bootstrap against boot.ci (B = 100000 in both, independent resamples)."""
    e = LARGE[(LARGE["dataset"] == dataset) & (LARGE["method"] == method)].iloc[0]
    k = "perc" if ci_method == "percentile" else "bca"
    got = effect(dataset, method=method, ci_method=ci_method, n_resamples=100_000, seed=5).summary().iloc[0]
    for side in ("low", "high"):
        tol = 4 * np.sqrt(2) * e[f"mc_se_{k}_{side}"]
        assert got[f"ci_{side}"] == pytest.approx(e[f"{k}_{side}"], abs=tol), side


def test_bca_differs_from_percentile_where_r_says_so():
    """The n = 9 d_z case: R's BCa and percentile lower limits differ by 0.3; so do ours."""
    e = LARGE[(LARGE["dataset"] == "n9") & (LARGE["method"] == "z")].iloc[0]
    assert e["bca_low"] - e["perc_low"] > 0.25
    p = effect("n9", method="z", ci_method="percentile", seed=3).summary().iloc[0]
    b = effect("n9", method="z", ci_method="bca", seed=3).summary().iloc[0]
    assert b["ci_low"] - p["ci_low"] > 0.2


# -- noncentral t (the d_z default) and the normal interval of the other standardisers -------
@pytest.mark.parametrize("row", ES083.to_dict("records"), ids=lambda r: f"{r['dataset']}-{r['source'][:22]}-{r['method']}-{r['adjust']}")
def test_default_intervals_against_effectsize_083_and_rm_d_formulas(row):
    # the default (auto) is nct for z and normal otherwise; z's normal interval is asked for
    asked = "normal" if row["method"] == "z" and row["ci_method"] == "normal" else "auto"
    res = effect(row["dataset"], method=row["method"], adjust=bool(row["adjust"]), ci_method=asked)
    got = res.summary().iloc[0]
    assert res.meta["ci_method"] == row["ci_method"]
    assert res.meta["ci_method_requested"] == asked
    assert got["estimate"] == pytest.approx(row["estimate"], rel=1e-12)
    if row["ci_method"] == "nct":
        # the roots of pt(t, n - 1, ncp) = 0.975 / 0.025 found by R's uniroot to 1e-14
        assert got["ci_low"] == pytest.approx(row["exact_low"], abs=1e-9)
        assert got["ci_high"] == pytest.approx(row["exact_high"], abs=1e-9)
        if row["effectsize_exact"]:
            assert got["ci_low"] == pytest.approx(row["ci_low"], abs=1e-6)
            assert got["ci_high"] == pytest.approx(row["ci_high"], abs=1e-6)
        else:  # n = 20: effectsize 0.8.3's Nelder-Mead search stops 2.2e-3 short of the root
            assert abs(got["ci_low"] - row["ci_low"]) > 1e-3
    else:
        assert got["ci_low"] == pytest.approx(row["ci_low"], rel=1e-12)
        assert got["ci_high"] == pytest.approx(row["ci_high"], rel=1e-12)


def test_normal_stays_selectable_for_d_z():
    z = ES083[(ES083["dataset"] == "n20") & (ES083["method"] == "z") & (ES083["ci_method"] == "normal")
              & ES083["adjust"]].iloc[0]
    got = effect("n20", method="z", ci_method="normal").summary().iloc[0]
    assert got["ci_low"] == pytest.approx(z["ci_low"], rel=1e-12)


def test_the_interval_is_named_in_words():
    r = effect("n20", method="z")
    assert "noncentral t" in r.meta["interval"]["en"] and "niet-centrale t" in r.meta["interval"]["nl"]
    b = effect("n20", method="b", ci_method="bca", seed=11)
    assert b.meta["interval"]["en"].startswith("95% BCa bootstrap")
    assert "2000 resamples" in b.meta["interval"]["en"] and "seed 11" in b.meta["interval"]["en"]
    assert any(line.startswith("Betrouwbaarheidsinterval: 95% BCa-bootstrap") for line in b.meta_lines("nl"))


def test_the_bootstrap_is_repeatable_by_its_seed():
    a = effect("n20", method="b", ci_method="bca", seed=4).summary()
    b = effect("n20", method="b", ci_method="bca", seed=4).summary()
    c = effect("n20", method="b", ci_method="bca", seed=5).summary()
    pd.testing.assert_frame_equal(a, b)
    assert a["ci_low"].iloc[0] != c["ci_low"].iloc[0]
    drawn = effect("n20", method="b", ci_method="percentile")
    again = effect("n20", method="b", ci_method="percentile", seed=drawn.meta["seed"])
    assert drawn.summary()["ci_low"].iloc[0] == again.summary()["ci_low"].iloc[0]


def test_an_undefined_resample_makes_the_interval_nan_not_a_narrower_one():
    """Three pairs: some resamples repeat one client, whose pre SD is 0; no silent dropping."""
    df = pd.DataFrame({"id": [1, 2, 3] * 2, "t": ["pre"] * 3 + ["post"] * 3, "y": [20, 25, 30, 15, 22, 21.0]})
    res = es.prepost_effect(df, subject="id", time="t", outcome="y", pre="pre", post="post", method="b",
                            ci_method="percentile", seed=1)
    got = res.summary().iloc[0]
    assert np.isfinite(got["estimate"]) and np.isnan(got["ci_low"]) and np.isnan(got["ci_high"])
    assert res.meta["ci_not_estimated"] == ["all"]
    assert "no bootstrap interval (a resample without variance; too few pairs): all" in res.meta_lines("en")
    assert effect("n20", method="b", ci_method="bca", seed=1).meta["ci_not_estimated"] == []


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(method="b", ci_method="nct"), "ci_method: got 'nct', expected 'auto', 'normal', 'percentile' or 'bca' for method 'b'"),
    (dict(method="b", ci_method="bootstrap"), "ci_method"),
    (dict(method="b", ci_method="bca", n_resamples=999), "n_resamples: got 999"),
    (dict(method="b", ci_method="bca", seed=-1), "seed: got -1"),
])
def test_interval_argument_errors_name_the_argument(kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        effect("n20", **kwargs)


# -- small groups -----------------------------------------------------------------------------
def test_groups_under_20_pairs_are_flagged_and_footnoted():
    w = wide("n40")
    d = long("n40")
    d["g"] = d["id"].map(dict(zip(w["id"], ["a"] * 19 + ["b"] * 20 + ["c"], strict=True)))
    r = es.prepost_effect(d, subject="id", time="t", outcome="y", pre="pre", post="post", method="b", group="g")
    t = r.summary().set_index("group")
    assert t["small_n"].tolist() == [True, False, True] and t["n"].tolist() == [19, 20, 1]
    assert r.meta["small_n_threshold"] == 20
    f = r.format("en")
    assert f["n < 20"].tolist() == ["*", "", "*"]
    assert any(line.startswith("* small group (fewer than 20 pairs)") for line in r.meta_lines("en"))
    assert any(line.startswith("* kleine groep (minder dan 20 paren)") for line in r.meta_lines("nl"))
    whole = es.prepost_effect(d, subject="id", time="t", outcome="y", pre="pre", post="post", method="b")
    assert not whole.summary()["small_n"].iloc[0]
    assert not any(line.startswith("*") for line in whole.meta_lines("en"))


# -- the effect study -------------------------------------------------------------------------
def test_study_passes_the_interval_params_and_flags_small_groups():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        study = es.Study.from_params(DEMO,
                                     {"analysis.effect_size.ci_method": "bca",
                                      "analysis.effect_size.n_resamples": 1000,
                                      "analysis.effect_size.seed": 3})
        t = study.effect_sizes(scales=["PSNEUR"], groups=["diagnosis"])
        pairs = study.pairs("PSNEUR").data
    assert t.meta["ci_method"] == "bca" and t.meta["n_resamples"] == 1000 and t.meta["seed"] == 3
    s = t.summary()
    assert (s["small_n"] == (s["n"] < 20)).all() and s["small_n"].any()
    direct = es.prepost_effect(pairs, subject="episode_id", time="time", outcome="score", pre="pre",
                               post="post", method="b", group="diagnosis", ci_method="bca",
                               n_resamples=1000, seed=3, better_is="lower").summary()  # SCL-90
    got = s[s["grouping"] == "diagnosis"].reset_index(drop=True)
    np.testing.assert_array_equal(got["ci_low"].to_numpy(), direct["ci_low"].to_numpy())
    assert any("BCa" in line for line in t.meta_lines("en"))


def test_the_report_shows_the_interval_and_the_small_group_mark_in_its_language(tmp_path, monkeypatch):
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        t = es.Study.from_params(DEMO).effect_sizes(scales=["PSNEUR"], groups=["diagnosis"])
    es.ReportOutput(tmp_path, lang="nl").show("effect_sizes", t)
    html = shown[0]["text/html"]
    assert "Betrouwbaarheidsinterval: 95% normale benadering" in html and "Confidence interval" not in html
    assert "kleine groep (minder dan 20 paren)" in html and re.search(r"<th[^>]*>n &lt; 20</th>", html)
    assert "<td>*</td>" in html


def test_params_refuse_nct_for_another_standardiser():
    with pytest.raises(ParamsError, match="ci_method 'nct' exists for method 'z' only"):
        es.Study.from_params(DEMO, {"analysis.effect_size.ci_method": "nct"})


# -- Wilson intervals of category shares ------------------------------------------------------
def wilson_expected(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = WILSON.loc[list(zip(k.tolist(), n.tolist(), strict=True))]
    return rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy()


def rc_data():
    return rref.input_for(rref.case("dev_gsi_prepost__dist_JT")).rename(columns={"treatment": "arm"})


ARGS = dict(subject="id", time="time", outcome="gsi", pre=1, post=2, better_is="lower")


@pytest.mark.parametrize("group", [None, "arm"])
def test_reliable_change_shares_against_r_prop_test(group):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        s = es.reliable_change(rc_data(), **ARGS, reliability=0.85, group=group).summary()
    sizes = s.groupby("group")["n"].transform("sum") if group else pd.Series(s["n"].sum(), index=s.index)
    lo, hi = wilson_expected(s["n"].to_numpy(), sizes.to_numpy())
    np.testing.assert_allclose(s["ci_low"], lo, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s["ci_high"], hi, rtol=1e-12, atol=1e-15)
    assert (s["ci_low"] <= s["proportion"]).all() and (s["proportion"] <= s["ci_high"]).all()


def test_clinical_significance_shares_against_r_prop_test_including_zero_counts():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        r = es.clinical_significance(rc_data(), **ARGS, reliability=0.85, cutoff="c",
                                     m_functional=0.5, sd_functional=0.45, group="arm")
    s = r.summary()
    sizes = s.groupby("group")["n"].transform("sum").to_numpy()
    lo, hi = wilson_expected(s["n"].to_numpy(), sizes)
    np.testing.assert_allclose(s["ci_low"], lo, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s["ci_high"], hi, rtol=1e-12, atol=1e-15)
    assert (s["n"] == 0).any()  # a zero count: lower limit exactly 0, as prop.test
    assert (s.loc[s["n"] == 0, "ci_low"] == 0).all()
    c = r.summary_cutoff()
    lo, hi = wilson_expected(c["n"].to_numpy(), c.groupby("group")["n"].transform("sum").to_numpy())
    np.testing.assert_allclose(c["ci_high"], hi, rtol=1e-12)
