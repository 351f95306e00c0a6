"""Everyone who started (es.itt_effect) and the baseline table (es.baseline_table).

The multiple-imputation estimate is compared with R mice 3.15 (``method = "norm"``, the
same predictors, 2000 imputations; ``tests/reference/itt/itt_mice.R``) on a committed
synthetic data set.  Both sides are random: the tolerance is 4 Monte-Carlo standard
errors of the difference of two pooled estimates, :math:`4\\sqrt{2B/M}`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataError

REF = Path(__file__).parents[1] / "reference" / "itt"
COVS = ["diagnosis", "care_type", "sessions"]


@pytest.fixture(scope="module")
def ref_input() -> pd.DataFrame:
    return pd.read_csv(REF / "itt_input.csv")


@pytest.fixture(scope="module")
def mice_ref() -> pd.Series:
    return pd.read_csv(REF / "mi_expected.csv").iloc[0]


@pytest.fixture(scope="module")
def ours(ref_input, mice_ref):
    return es.itt_effect(ref_input, covariates=COVS, status=None, imputations=int(mice_ref["m"]), seed=11)


def test_mi_estimate_against_mice_norm(ours, mice_ref):
    row = ours.summary().set_index("method").loc["mi"]
    tol = 4 * math.sqrt(2 * mice_ref["b"] / mice_ref["m"])  # about 0.0018
    assert row["n"] == mice_ref["n"] and row["n_imputed"] == mice_ref["n_missing"]
    assert abs(row["estimate"] - mice_ref["qbar"]) < tol
    assert abs(row["ci_low"] - mice_ref["ci_low"]) < 2 * tol
    assert abs(row["ci_high"] - mice_ref["ci_high"]) < 2 * tol


def test_mi_variance_parts_against_mice_norm(ours, mice_ref):
    # within: nearly deterministic; between: relative MC error sqrt(2/(M-1)) = 3 % per side
    assert ours.meta["within"] == pytest.approx(mice_ref["ubar"], rel=0.01)
    assert ours.meta["between"] == pytest.approx(mice_ref["b"], rel=0.2)
    assert ours.meta["total"] == pytest.approx(mice_ref["t"], rel=0.05)
    assert ours.summary()["fmi"].iloc[0] == pytest.approx(mice_ref["fmi"], abs=0.04)


def test_mi_lower_is_better_is_minus_mice_with_swapped_limits(ref_input, mice_ref):
    """Improvement positive: mice's pooled post - pre estimate negated, its limits negated and
    swapped (the variance parts do not change)."""
    r = es.itt_effect(ref_input, covariates=COVS, status=None, imputations=int(mice_ref["m"]), seed=11,
                      better_is="lower")
    row = r.summary().set_index("method").loc["mi"]
    tol = 4 * math.sqrt(2 * mice_ref["b"] / mice_ref["m"])
    assert abs(row["estimate"] + mice_ref["qbar"]) < tol
    assert abs(row["ci_low"] + mice_ref["ci_high"]) < 2 * tol
    assert abs(row["ci_high"] + mice_ref["ci_low"]) < 2 * tol
    assert r.meta["total"] == pytest.approx(mice_ref["t"], rel=0.05)
    assert r.meta["orientation"] == "improvement positive" and r.meta["better_is"] == "lower"


def test_every_row_follows_better_is():
    f = _hand_frame()
    old = es.itt_effect(f, imputations=5, seed=1)
    low = es.itt_effect(f, imputations=5, seed=1, better_is="lower")
    high = es.itt_effect(f, imputations=5, seed=1, better_is="higher")
    a, b = old.summary(), low.summary()
    np.testing.assert_allclose(b["estimate"], -a["estimate"], rtol=1e-15)
    np.testing.assert_allclose(b["ci_low"], -a["ci_high"], rtol=1e-12)
    np.testing.assert_allclose(b["ci_high"], -a["ci_low"], rtol=1e-12)
    for col in ("n", "n_observed", "se", "df", "fmi"):
        pd.testing.assert_series_equal(b[col], a[col])
    assert (b["estimate"] > 0).all()  # the hand frame improves: post = pre - 30 + noise, lower is better
    pd.testing.assert_frame_equal(high.summary(), a)
    assert old.meta["orientation"] == "post - pre" and old.meta["better_is"] is None
    assert high.meta["orientation"] == "improvement positive"
    assert low.meta["definition"]["en"].startswith("Becker's d: mean improvement divided by the SD of the pre")
    # the completers row is prepost_effect(..., better_is="lower") of the complete pairs
    obs = f["post"].notna()
    pre, post = f.loc[obs, "pre"].to_numpy(), f.loc[obs, "post"].to_numpy()
    df = pd.DataFrame({"id": np.tile(np.arange(len(pre)), 2), "t": ["pre"] * len(pre) + ["post"] * len(pre),
                       "y": np.concatenate([pre, post])})
    comp = es.prepost_effect(df, subject="id", time="t", outcome="y", pre="pre", post="post", method="b",
                             better_is="lower").summary().iloc[0]
    got = low.summary().set_index("method").loc["completers"]
    assert [got["estimate"], got["ci_low"], got["ci_high"]] == pytest.approx(
        [comp["estimate"], comp["ci_low"], comp["ci_high"]], rel=1e-12)


def _hand_frame(n=40, missing_every=4, seed=5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pre = rng.normal(200, 40, n).round()
    post = (pre - 30 + rng.normal(0, 25, n)).round()
    last = np.where(np.arange(n) % 3 == 0, (pre - 15 + rng.normal(0, 10, n)).round(), np.nan)
    post[::missing_every] = np.nan
    return pd.DataFrame({"pre": pre, "post": post, "last": last, "status": "paired"})


def _effect(pre, post, method="b"):
    df = pd.DataFrame({"id": np.tile(np.arange(len(pre)), 2), "t": ["pre"] * len(pre) + ["post"] * len(pre),
                       "y": np.concatenate([pre, post])})
    return es.prepost_effect(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                             method=method).summary().iloc[0]


def test_sensitivity_rows_are_the_effect_size_of_their_data_set():
    f = _hand_frame()
    r = es.itt_effect(f, imputations=5, seed=1).summary().set_index("method")
    obs = f["post"].notna()
    comp = _effect(f.loc[obs, "pre"].to_numpy(), f.loc[obs, "post"].to_numpy())
    last = f["last"].fillna(f["pre"])
    locf = _effect(f["pre"].to_numpy(), f["post"].fillna(last).to_numpy())
    bocf = _effect(f["pre"].to_numpy(), f["post"].fillna(f["pre"]).to_numpy())
    for name, ref in (("completers", comp), ("locf", locf), ("bocf", bocf)):
        assert r.loc[name, ["estimate", "ci_low", "ci_high"]].tolist() == pytest.approx(
            [ref["estimate"], ref["ci_low"], ref["ci_high"]], rel=1e-12)
    assert r.loc["completers", "n"] == obs.sum() and r.loc["locf", "n"] == len(f)
    # BOCF: nobody without a post changes, so its mean change is the completers' sum / n
    assert bocf["mean_change"] == pytest.approx((f["post"] - f["pre"]).sum() / len(f))


def test_without_missing_posts_mi_equals_the_completers():
    f = _hand_frame(missing_every=10**6).iloc[1:]  # no post missing
    r = es.itt_effect(f, imputations=5, seed=1)
    t = r.summary().set_index("method")
    assert t.loc["mi", "estimate"] == pytest.approx(t.loc["completers", "estimate"], rel=1e-12)
    assert r.meta["between"] == pytest.approx(0, abs=1e-20) and t.loc["mi", "n_imputed"] == 0


def test_same_seed_same_result_other_seed_other_draws():
    f = _hand_frame()
    a = es.itt_effect(f, imputations=10, seed=3).summary()
    b = es.itt_effect(f, imputations=10, seed=3).summary()
    c = es.itt_effect(f, imputations=10, seed=4).summary()
    pd.testing.assert_frame_equal(a, b)
    assert a["estimate"].iloc[0] != c["estimate"].iloc[0]


def test_open_episodes_and_missing_pre_are_left_out_and_counted():
    f = _hand_frame()
    f.loc[1, "status"] = "episode_open"
    f.loc[2, "pre"] = np.nan
    r = es.itt_effect(f, imputations=5)
    assert r.meta["exclusions"] == {"episode_open": 1, "no_pre": 1}
    assert r.meta["n_original"] == len(f) and r.meta["n_used"] == len(f) - 2
    assert r.summary().set_index("method").loc["mi", "n"] == len(f) - 2


def test_primary_row_is_the_headline():
    r = es.itt_effect(_hand_frame(), imputations=5, primary="completers")
    assert r.headline()["method"] == "completers" and r.meta["primary"] == "completers"


def test_categories_per_method_sum_to_one_and_unknown_counts_the_missing():
    f = _hand_frame(n=80)
    crit = {"reliability": 0.9, "better_is": "lower", "cutoff": 150.0}
    r = es.itt_effect(f, imputations=10, criteria=crit)
    shares = r.categories.groupby("method")["share"].sum()
    assert shares.to_numpy() == pytest.approx(np.ones(4))
    u = r.unknown_distribution.set_index("category")
    assert u.loc["unknown", "n"] == f["post"].isna().sum() and u["n"].sum() == len(f)
    comp = r.categories[r.categories["method"] == "completers"].set_index("category")
    assert (comp["share"] * comp["n"]).to_numpy() == pytest.approx(u["n"].iloc[:5].to_numpy())
    ok = r.categories.dropna()
    assert ((ok["ci_low"] <= ok["share"] + 1e-12) & (ok["share"] <= ok["ci_high"] + 1e-12)).all()
    wide = r.category_table().set_index("category")
    assert list(wide.columns) == ["observed", "mi", "completers", "locf", "bocf"]
    assert wide.loc["unknown", "observed"] == u.loc["unknown", "share"] and np.isnan(wide.loc["unknown", "mi"])
    assert wide["mi"].iloc[:5].sum() == pytest.approx(1.0)
    # BOCF: nobody without a post changes, so 'unchanged' holds at least the missing share
    bocf = r.categories[r.categories["method"] == "bocf"].set_index("category")
    assert bocf.loc["unchanged", "share"] >= u.loc["unknown", "share"]


def test_interim_and_covariates_enter_the_imputation_model():
    f = _hand_frame(n=120).assign(has_interim=lambda d: d["last"].notna(), group=["a", "b", "c", "a"] * 30)
    r = es.itt_effect(f, covariates=["group"], imputations=5)
    assert r.meta["predictors"] == ["(intercept)", "pre", "last", "has_interim", "cov:group=b", "cov:group=c"]
    assert r.meta["dropped_predictors"] == []


def test_small_samples_drop_covariates_from_the_end_and_say_so():
    # 28 episodes, 21 with a post: 5 per column allows 4 columns (intercept, pre, last, has_interim)
    f = _hand_frame(n=28).assign(has_interim=lambda d: d["last"].notna(), group=["a", "b", "c", "d"] * 7,
                                 x=np.arange(28.0))
    r = es.itt_effect(f, covariates=["x", "group"], imputations=5)
    assert r.meta["predictors"] == ["(intercept)", "pre", "last", "has_interim"]
    assert r.meta["dropped_predictors"] == ["group", "x"]
    # 24 with a post allow 4.8 columns: still 4; 25 allow 5: x comes back, group (3 columns) not
    f2 = _hand_frame(n=34, missing_every=4).assign(has_interim=lambda d: d["last"].notna(),
                                                  group=(["a", "b", "c", "d"] * 9)[:34], x=np.arange(34.0))
    assert f2["post"].notna().sum() == 25
    r2 = es.itt_effect(f2, covariates=["x", "group"], imputations=5)
    assert r2.meta["predictors"] == ["(intercept)", "pre", "last", "has_interim", "cov:x"]
    assert r2.meta["dropped_predictors"] == ["group"]


@pytest.mark.parametrize("kwargs, match", [
    ({"imputations": 1}, "imputations"),
    ({"covariates": ["nope"]}, "nope"),
    ({"effect": "x"}, "effect"),
    ({"primary": "all"}, "primary"),
])
def test_argument_errors_name_the_argument(kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        es.itt_effect(_hand_frame(), **kwargs)


def test_too_few_posts_is_a_data_error():
    f = _hand_frame(n=10)
    f.loc[2:, "post"] = np.nan
    with pytest.raises(DataError, match="at least 3 with a post"):
        es.itt_effect(f)


def test_baseline_table_standardised_differences_by_hand():
    df = pd.DataFrame({"completer": [True] * 4 + [False] * 4,
                       "pre": [10.0, 12, 14, 16, 13, 15, 17, 23], "sex": list("ffmf") + list("mmfm")})
    t = es.baseline_table(df, continuous=["pre"], categorical=["sex"]).summary()
    pre = t[t["variable"] == "pre"].iloc[0]
    # completers 13 (SD sqrt(20/3)), non-completers 17 (SD sqrt(56/3)) -> -4 / sqrt(38/3)
    assert pre["completers_value"] == 13 and pre["noncompleters_value"] == 17
    assert pre["std_diff"] == pytest.approx(-4 / math.sqrt(38 / 3), rel=1e-12)
    f = t[(t["variable"] == "sex") & (t["level"] == "f")].iloc[0]
    # shares 3/4 and 1/4 -> 0.5 / sqrt((3/16 + 3/16) / 2)
    assert f["std_diff"] == pytest.approx(0.5 / math.sqrt(3 / 16), rel=1e-12)
    assert t.iloc[0][["n_completers", "n_noncompleters"]].tolist() == [4, 4]


def test_baseline_table_unknown_column_is_an_error():
    with pytest.raises(ArgumentError, match="age"):
        es.baseline_table(pd.DataFrame({"completer": [True]}), continuous=["age"])


# ------------------------------------------------------------------------------ the frame and the Study
def test_itt_frame_takes_the_last_interim_before_the_post_and_derives_covariates():
    from effectstudy.outcomes.missing_data import itt_frame

    ep = pd.DataFrame({"episode_id": ["e1", "e2", "e3"], "client_id": ["c1", "c2", "c3"],
                       "start_date": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-03-01"]),
                       "end_date": pd.to_datetime(["2024-05-01", "2024-06-01", None]),
                       "end_reason": ["regular", "dropout", None], "birth_year": [1980, 1990, 2000]})
    sc = pd.DataFrame({"client_id": ["c1"] * 4 + ["c2"] * 3 + ["c3"],
                       "scale": "GSI",
                       "date": pd.to_datetime(["2024-01-08", "2024-02-10", "2024-03-20", "2024-05-01",
                                               "2024-01-30", "2024-02-20", "2024-03-05", "2024-03-01"]),
                       "score": [2.0, 1.8, 1.5, 1.2, 2.5, 2.4, 2.2, 1.9]})
    pairs = es.pair_prepost(sc, ep, scale="GSI", post_rule="last_measurement")  # no occasions recorded
    f = itt_frame(pairs, sc, ep, scale="GSI", covariates=["regular_end", "age"]).set_index("episode_id")
    assert f.loc["e1", "last"] == 1.5 and f.loc["e1", "post"] == 1.2 and f.loc["e1", "completer"]
    assert f.loc["e2", "last"] == 2.2 and np.isnan(f.loc["e2", "post"]) and f.loc["e2", "has_interim"]
    assert f.loc["e3", "last"] == 1.9 and not f.loc["e3", "has_interim"]  # only the pre: last = pre
    assert f.loc["e3", "status"] == "episode_open"
    assert f["regular_end"].tolist()[:2] == [1.0, 0.0] and pd.isna(f.loc["e3", "regular_end"])
    assert f["age"].tolist() == [44, 34, 24]


@pytest.fixture(scope="module")
def study():
    from effectstudy.study import example_params

    return es.Study.from_params(example_params())


def test_study_itt_completers_row_is_the_study_effect_size(study):
    t = study.itt().summary().set_index("method")
    e = study.effect_sizes(scales=[study.scale], groups=[]).summary().iloc[0]
    assert t.loc["completers", ["n", "estimate", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [e["n"], e["estimate"], e["ci_low"], e["ci_high"]], rel=1e-12)


def test_study_itt_population_is_every_ended_episode_with_a_pre(study):
    r = study.itt()
    pat = study.pairs().patients
    started = pat["pre_score"].notna() & (pat["status"] != "episode_open")
    mi = r.summary().set_index("method").loc["mi"]
    assert mi["n"] == started.sum() and mi["n_observed"] == (pat["status"] == "paired").sum()
    assert r.meta["exclusions"] == {"episode_open": int((pat["pre_score"].notna() & ~started).sum())}
    u = r.unknown_distribution.set_index("category")
    assert u.loc["unknown", "n"] == mi["n"] - mi["n_observed"]
    cs = study.clinical_significance().patients["category"].value_counts()
    assert all(u.loc[c, "n"] == cs.get(c, 0) for c in ("recovered", "improved", "unchanged"))


def test_study_primary_param_names_the_headline(study):
    assert study.itt().headline()["method"] == "mi"  # default: analysis.primary itt
    other = study.with_overrides({"analysis.primary": "completers", "analysis.itt.imputations": 5})
    r = other.itt()
    assert r.headline()["method"] == "completers" and r.meta["imputations"] == 5


def test_study_baseline_comparison_counts_the_itt_population(study):
    t = study.baseline_comparison().summary().set_index("variable")
    mi = study.itt().summary().set_index("method").loc["mi"]
    assert t.loc["n", "n_completers"] == mi["n_observed"]
    assert t.loc["n", "n_completers"] + t.loc["n", "n_noncompleters"] == mi["n"]
    assert {"pre", "age", "sessions", "sex", "diagnosis", "care_type"} <= set(t.index)


def test_study_itt_text_names_the_headline_first(study):
    r = study.itt()
    text = study.itt_text(r)
    mi = r.summary().set_index("method").loc["mi"]
    assert text.startswith("**Hoofduitkomst: iedereen die begon**")
    assert f"{mi['estimate']:.2f}".replace(".", ",") in text and f"n = {int(mi['n'])}" in text
    en = study.with_overrides({"analysis.primary": "completers", "language": "en"})
    assert en.itt_text(en.itt()).startswith("**Primary outcome: the completers**")


def test_collinear_predictors_are_left_out_not_exploded():
    # no completer has an interim: last == pre among the observed, has_interim constant
    f = _hand_frame(n=24)
    f["has_interim"] = f["post"].isna() & (np.arange(24) % 2 == 1)
    f["last"] = np.where(f["has_interim"], f["pre"] - 20, f["pre"])
    r = es.itt_effect(f, imputations=50, seed=2)
    assert r.meta["predictors"] == ["(intercept)", "pre"]
    t = r.summary().set_index("method")
    assert -3 < t.loc["mi", "estimate"] < 0 and t.loc["mi", "se"] < 1


def test_study_itt_classifies_every_data_set_with_the_studys_s_diff(study):
    # a reference SD far from the sample's: the completers' ITT categories must still be the
    # study's own (the fixed S_diff, not one recomputed from each data set's pre scores)
    other = study.with_overrides({"analysis.reliable_change.m_clinical": 212.9,
                                  "analysis.reliable_change.sd_clinical": 30.0,
                                  "analysis.itt.imputations": 2})
    cs = other.clinical_significance()
    assert cs.meta["sd_reference"] == 30.0
    shares = cs.patients["category"].value_counts(normalize=True)
    table = other.itt().category_table().set_index("category")
    for c in ("recovered", "improved", "unchanged", "deteriorated"):
        assert table.loc[c, "completers"] == pytest.approx(shares.get(c, 0.0), abs=1e-12), c
