"""Anchor-based clinical significance (``es.anchor_change``) against independent base-R values.

Reference: ``tests/reference/anchor`` (README there): ``anchor_reference.R`` computes, from the
formulas only, the individual flags (inclusive: d*change >= MID_imp, d*change <= -MID_det), R's
``t.test`` (paired within, Welch between) and the group category by effectstudy's rules and by
the peer's (clinicalsignificance 3.0.0 ``cs_anchor``) rules as written in
clinical_significance_methods.md section 6.

Tolerances: flags, categories, counts, n exact; change exact (float64 post - pre as R);
estimate, CI limits, t, df, p 1e-9 relative; proportions 1e-12 relative.  Where effectstudy
departs from the peer (API (i) significant deterioration, (ii) no "not significant" rule in the
peer's higher-is-better branch, (iii) ties at the MID) both categories are asserted.  Exact
ties of an interval limit with the MID are built by setting the MID to the limit the first run
reported (the interval does not depend on the MID); estimates exactly at the MID come from
integer data.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataQualityWarning
from tests.reference import rref

RTOL = 1e-9
ANCHOR = Path(__file__).parents[1] / "reference" / "anchor"
STATS = ["estimate", "ci_low", "ci_high", "t", "df", "p"]
GROUP_CATEGORIES = {"not_significant", "significant_deterioration", "not_relevant",
                    "large_effect", "probably_relevant", "not_beyond_threshold"}


@cache
def ref(name: str) -> pd.DataFrame:
    return rref._read(ANCHOR / name)


def hand_long(name: str) -> pd.DataFrame:
    """Wide hand-made file -> long rows; a missing post of the H901 / B902 subject is an absent
    row, the other missing scores are NA rows (both are excluded from the pairs)."""
    w = rref._read(ANCHOR / name)
    rows = []
    for r in w.itertuples(index=False):
        rows.append({"id": r.id, "arm": r.arm, "t": "pre", "score": r.pre})
        if not (r.id in ("H901", "B902") and pd.isna(r.post)):
            rows.append({"id": r.id, "arm": r.arm, "t": "post", "score": r.post})
    return pd.DataFrame(rows)


DATA = {
    "dev_gsi_prepost": dict(file="inputs/dev_gsi_prepost_long.csv", time="time", outcome="gsi",
                            pre=1, post=2, group="treatment"),
    "dev_wellbeing_prepost": dict(file="inputs/dev_wellbeing_prepost_long.csv", time="time",
                                  outcome="wellbeing", pre=1, post=2, group=None),
    "hand_within": dict(file="hand_within_wide.csv", time="t", outcome="score", pre="pre",
                        post="post", group="arm"),
    "hand_between": dict(file="hand_between_wide.csv", time="t", outcome="score", pre="pre",
                         post="post", group="arm"),
}


def load(dataset: str) -> pd.DataFrame:
    f = DATA[dataset]["file"]
    return rref.input_for({"input_file": f}) if f.startswith("inputs/") else hand_long(f)


def run(dataset: str, *, grouped: bool = False, **kw):
    d = DATA[dataset]
    args = dict(subject="id", time=d["time"], outcome=d["outcome"], pre=d["pre"], post=d["post"])
    if grouped:
        args["group"] = d["group"]
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return es.anchor_change(load(dataset), **args)


def none_if_na(x):
    return None if pd.isna(x) else float(x)


def direction(better_is: str) -> int:
    return -1 if better_is == "lower" else 1


# -- individual level ----------------------------------------------------------------------
IND_CASES = list(dict.fromkeys(ref("anchor_individual.csv")["case_id"]))


def ind_case(case_id):
    e = ref("anchor_individual.csv")
    e = e[e["case_id"] == case_id]
    first = e.iloc[0]
    grouped = bool(e["group"].notna().any())
    res = run(first["dataset"], grouped=grouped, better_is=first["better_is"],
              mid_improvement=float(first["mid_improvement"]),
              mid_deterioration=none_if_na(first["mid_deterioration"]), target="individual")
    return res, e.set_index("id"), first, grouped


@pytest.mark.parametrize("case_id", IND_CASES)
def test_individual_against_r(case_id):
    res, exp, first, grouped = ind_case(case_id)
    p = res.patients
    assert set(p.index) == set(exp.index)
    got = p.loc[exp.index]
    np.testing.assert_array_equal(got["pre"].to_numpy(float), exp["pre"].to_numpy(float))
    np.testing.assert_array_equal(got["post"].to_numpy(float), exp["post"].to_numpy(float))
    np.testing.assert_array_equal(got["change"].to_numpy(float), exp["change"].to_numpy(float))
    assert [str(v) for v in got["category"]] == list(exp["category"])
    if grouped:
        assert list(got["group"]) == list(exp["group"])
    cat = p["category"]
    assert isinstance(cat.dtype, pd.CategoricalDtype) and cat.dtype.ordered
    assert list(cat.cat.categories) == ["improved", "unchanged", "deteriorated"]


@pytest.mark.parametrize("case_id", IND_CASES)
def test_individual_meta(case_id):
    res, exp, first, _ = ind_case(case_id)
    m = res.meta
    mid = float(first["mid_improvement"])
    assert m["method"] == "anchor" and m["target"] == "individual"
    assert m["mid_improvement"] == mid
    det = first["mid_deterioration"]
    assert m["mid_deterioration"] == (mid if pd.isna(det) else float(det))
    assert m["better_is"] == first["better_is"]
    assert m["n_used"] == len(exp)
    assert m["n_original"] == load(first["dataset"])["id"].nunique()


@pytest.mark.parametrize("case_id", IND_CASES)
def test_individual_summary_against_r(case_id):
    res, _, _, grouped = ind_case(case_id)
    s = res.summary()
    e = ref("anchor_individual_summary.csv")
    e = e[e["case_id"] == case_id]
    assert len(s) == len(e)
    assert int(s["n"].sum()) == int(e["n_total"].iloc[0])
    for _, row in e.iterrows():
        sel = (s["category"].astype(str) == row["category"]).to_numpy()
        if grouped:
            sel = sel & (s["group"] == row["group"]).to_numpy()
        assert sel.sum() == 1
        got = s.loc[sel].iloc[0]
        assert int(got["n"]) == row["n"]
        assert float(got["proportion"]) == pytest.approx(row["proportion"], rel=1e-12)
        if grouped:
            assert float(got["proportion_total"]) == pytest.approx(row["proportion_total"],
                                                                   rel=1e-12)


def pairs(pre, post, ids=None):
    n = len(pre)
    ids = list(range(n)) if ids is None else ids
    return pd.DataFrame({"id": ids * 2, "t": ["pre"] * n + ["post"] * n,
                         "y": np.r_[np.asarray(pre, float), np.asarray(post, float)]})


def indiv(df, **kw):
    return es.anchor_change(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                            target="individual", **kw)


# changes (post - pre) and the expected category, higher is better, MID 10
HAND = [(10, "improved"), (11, "improved"), (9, "unchanged"), (-10, "deteriorated"),
        (-11, "deteriorated"), (-9, "unchanged"), (-8, "unchanged"), (0, "unchanged")]


@pytest.mark.parametrize("better_is", ["higher", "lower"])
@pytest.mark.parametrize("mid_det, det_9", [(None, "unchanged"), (9, "deteriorated"),
                                            (10, "unchanged")])
def test_individual_hand_at_above_below_the_mid(better_is, mid_det, det_9):
    d = direction(better_is)
    pre = [50.0] * len(HAND)
    post = [50.0 + d * c for c, _ in HAND]  # lower is better: the mirrored changes
    res = indiv(pairs(pre, post), better_is=better_is, mid_improvement=10,
                mid_deterioration=mid_det)
    expect = [c for _, c in HAND]
    expect[5] = det_9  # change -9 (improvement scale) is deteriorated only with MID_det <= 9
    assert [str(v) for v in res.patients.sort_index()["category"]] == expect
    assert res.meta["mid_deterioration"] == (10 if mid_det is None else mid_det)


def test_individual_floating_point_changes_as_r_computes_them():
    # lower is better, MID 0.3 both ways; post - pre in float64:
    # 1.3 - 1.0 = 0.30000000000000004 (deteriorated), 1.0 - 1.3 = -0.30000000000000004
    # (improved), 0.2 - 0.5 = -0.3 exactly (improved), 0.7 - 0.4 = 0.29999999999999993 and
    # 0.4 - 0.7 = -0.29999999999999993 (both unchanged)
    pre = [1.0, 1.3, 0.5, 0.4, 0.7]
    post = [1.3, 1.0, 0.2, 0.7, 0.4]
    res = indiv(pairs(pre, post), better_is="lower", mid_improvement=0.3)
    p = res.patients.sort_index()
    assert list(p["change"]) == [0.30000000000000004, -0.30000000000000004, -0.3,
                                 0.29999999999999993, -0.29999999999999993]
    assert [str(v) for v in p["category"]] == ["deteriorated", "improved", "improved",
                                               "unchanged", "unchanged"]


def test_individual_grouped_summary_counts():
    # group A: +10, +3, -10, -10 ; group B: +12, +12, 0 ; higher is better, MID 10
    pre = [20.0] * 7
    post = [30.0, 23.0, 10.0, 10.0, 32.0, 32.0, 20.0]
    df = pairs(pre, post)
    df["g"] = df["id"].map(lambda i: "A" if i < 4 else "B")
    res = indiv(df, better_is="higher", mid_improvement=10, group="g")
    s = res.summary()
    got = {(r.group, str(r.category)): (int(r.n), float(r.proportion),
                                        float(r.proportion_total)) for r in s.itertuples()}
    assert got[("A", "improved")] == pytest.approx((1, 0.25, 1 / 7), rel=1e-12)
    assert got[("A", "unchanged")] == pytest.approx((1, 0.25, 1 / 7), rel=1e-12)
    assert got[("A", "deteriorated")] == pytest.approx((2, 0.5, 2 / 7), rel=1e-12)
    assert got[("B", "improved")] == pytest.approx((2, 2 / 3, 2 / 7), rel=1e-12)
    assert got[("B", "unchanged")] == pytest.approx((1, 1 / 3, 1 / 7), rel=1e-12)
    assert got[("B", "deteriorated")] == (0, 0.0, 0.0)
    assert len(s) == 6


def test_individual_excludes_incomplete_pairs():
    res = run("hand_within", better_is="higher", mid_improvement=10, target="individual")
    assert res.meta["n_original"] == 72 and res.meta["n_used"] == 70
    assert "H901" not in res.patients.index and "H902" not in res.patients.index


# -- group level: within --------------------------------------------------------------------
WITHIN = ref("anchor_group_within.csv")
WITHIN_CASES = list(WITHIN.loc[WITHIN["note"].isna(), "case_id"])
BETWEEN = ref("anchor_group_between.csv")
BETWEEN_CASES = list(BETWEEN["case_id"])


def row_of(table, case_id):
    return table[table["case_id"] == case_id].iloc[0]


def within_result(r, mid=None):
    return run(r["dataset"], grouped=bool(r["grouped"]), better_is=r["better_is"],
               mid_improvement=float(r["mid_improvement"]) if mid is None else mid,
               target="group", effect="within", ci=float(r["ci"]))


def within_row(res, r):
    s = res.summary()
    if bool(r["grouped"]):
        s = s[s["group"] == r["group"]]
    else:
        assert len(s) == 1 and "group" not in s.columns
    assert len(s) == 1
    return s.iloc[0]


@pytest.mark.parametrize("case_id", WITHIN_CASES)
def test_group_within_against_r_t_test(case_id):
    r = row_of(WITHIN, case_id)
    got = within_row(within_result(r), r)
    assert int(got["n"]) == r["n"]
    for col in STATS:
        assert float(got[col]) == pytest.approx(r[col], rel=RTOL), col
    assert float(got["threshold"]) == direction(r["better_is"]) * r["mid_improvement"]
    assert str(got["category"]) == r["category"]


def test_group_within_groups_and_meta():
    res = run("dev_gsi_prepost", grouped=True, better_is="lower", mid_improvement=0.3,
              target="group", effect="within")
    s = res.summary()
    assert list(s["group"]) == ["CBT", "EMDR"]
    assert list(s["n"]) == [28, 29]
    assert res.meta["method"] == "anchor" and res.meta["target"] == "group"
    assert res.meta["mid_improvement"] == 0.3


def test_group_within_estimate_exactly_at_the_mid():
    """Integer changes 8..12: the mean change is exactly 10 = MID: probably_relevant (the
    peer: NA, strict inequalities)."""
    for better_is, arm in (("higher", "w_p10"), ("lower", "w_m10")):
        res = run("hand_within", grouped=True, better_is=better_is, mid_improvement=10,
                  target="group", effect="within")
        s = res.summary().set_index("group")
        assert s.loc[arm, "estimate"] == direction(better_is) * 10
        assert str(s.loc[arm, "category"]) == "probably_relevant"
        r = WITHIN[(WITHIN["dataset"] == "hand_within") & (WITHIN["better_is"] == better_is)
                   & (WITHIN["group"] == arm) & (WITHIN["mid_improvement"] == 10)]
        assert r["peer_category"].isna().all() and (r["category"] == "probably_relevant").all()


# -- group level: between -------------------------------------------------------------------
def between_result(r, mid=None, reference=True):
    return run(r["dataset"], grouped=True, better_is=r["better_is"],
               mid_improvement=float(r["mid_improvement"]) if mid is None else mid,
               target="group", effect="between", ci=float(r["ci"]),
               reference_group=r["reference"] if reference else None)


def between_row(res, r):
    s = res.summary()
    s = s[s["comparison"] == r["comparison"]]
    assert len(s) == 1
    return s.iloc[0]


@pytest.mark.parametrize("case_id", BETWEEN_CASES)
def test_group_between_against_r_welch_t_test(case_id):
    r = row_of(BETWEEN, case_id)
    got = between_row(between_result(r), r)
    assert got["reference"] == r["reference"]
    assert int(got["n_reference"]) == r["n_reference"]
    assert int(got["n_comparison"]) == r["n_comparison"]
    for col in STATS:
        assert float(got[col]) == pytest.approx(r[col], rel=RTOL), col
    assert float(got["threshold"]) == direction(r["better_is"]) * r["mid_improvement"]
    assert str(got["category"]) == r["category"]


def test_group_between_default_reference_is_the_first_group():
    r = row_of(BETWEEN, "dev_gsi_prepost__lower__EMDR_vs_CBT__ci95__mid0.3")
    s = between_result(r, reference=False).summary()
    assert list(s["reference"]) == ["CBT"] and list(s["comparison"]) == ["EMDR"]
    assert float(s["estimate"].iloc[0]) == pytest.approx(r["estimate"], rel=RTOL)
    h = row_of(BETWEEN, "hand_between__higher__c_p13_vs_a_ref__ci95__mid10")
    s = between_result(h, reference=False).summary()
    assert set(s["reference"]) == {"a_ref"} and len(s) == 14


def test_group_between_uses_all_post_scores():
    """B901 has a post score but no pre score: R's between comparison uses it (n 6)."""
    r = row_of(BETWEEN, "hand_between__higher__c_p10_vs_a_ref__ci95__mid10")
    got = between_row(between_result(r), r)
    assert int(got["n_reference"]) == 6
    assert float(got["estimate"]) == 10.0  # 62 - 52 exactly: at the MID
    assert str(got["category"]) == "probably_relevant" and pd.isna(r["peer_category"])


# -- every category, both directions --------------------------------------------------------
@pytest.mark.parametrize("table", ["within", "between"])
@pytest.mark.parametrize("better_is", ["higher", "lower"])
def test_every_group_category_is_reached(table, better_is):
    t = WITHIN if table == "within" else BETWEEN
    t = t[t["dataset"].str.startswith("hand") & (t["better_is"] == better_is)]
    assert set(t["category"]) == GROUP_CATEGORIES


# -- departures from the peer (API (i)-(iii)) ----------------------------------------------
def departure(r) -> str | None:
    """Which documented departure explains a differing peer category (None: must agree)."""
    cat, peer = r["category"], r["peer_category"]
    if isinstance(r.get("note"), str):
        return "iii"
    if cat == "significant_deterioration":
        return "i"
    d = direction(r["better_is"])
    lo, hi = sorted((d * r["ci_low"], d * r["ci_high"]))
    if r["better_is"] == "higher" and lo <= 0 <= hi:
        return "ii"
    e = d * r["estimate"]
    if e == r["mid_improvement"] or r["mid_improvement"] in (lo, hi):
        return "iii"
    assert cat == peer
    return None


@pytest.mark.parametrize("table", ["within", "between"])
def test_category_equals_the_peer_except_where_documented(table):
    t = WITHIN if table == "within" else BETWEEN
    seen = set()
    for _, r in t.iterrows():
        why = departure(r)
        if why == "i":
            assert r["category"] == "significant_deterioration"
            assert r["peer_category"] == "not_relevant"
        elif why == "ii":
            assert r["category"] == "not_significant"
            assert pd.isna(r["peer_category"]) or r["peer_category"] in (
                "not_beyond_threshold", "probably_relevant")
        elif why == "iii":
            assert pd.isna(r["peer_category"])
        if why and (r["category"] != r["peer_category"]):
            seen.add(why)
    assert seen == {"i", "ii", "iii"}


@pytest.mark.parametrize("case_id, ours, peer", [
    # (i) a significant deterioration: the peer calls it "not clinically relevant"
    ("hand_within__higher__w_m4__ci95__mid10", "significant_deterioration", "not_relevant"),
    ("hand_within__lower__w_p4__ci95__mid10", "significant_deterioration", "not_relevant"),
    # (ii) higher is better, interval contains 0: the peer has no "not significant" rule
    ("hand_within__higher__w_p1__ci95__mid10", "not_significant", None),
    ("hand_within__higher__w_m1__ci95__mid10", "not_significant", None),
    ("hand_within__higher__w_pw8__ci95__mid10", "not_significant", "not_beyond_threshold"),
    # ... while for lower is better the peer agrees
    ("hand_within__lower__w_mw8__ci95__mid10", "not_significant", "not_significant"),
    # (iii) estimate exactly at the MID: the peer's strict rules give NA
    ("hand_within__higher__w_p10__ci95__mid10", "probably_relevant", None),
    ("hand_within__lower__w_m10__ci90__mid10", "probably_relevant", None),
])
def test_departures_from_the_peer_within(case_id, ours, peer):
    r = row_of(WITHIN, case_id)
    got = within_row(within_result(r), r)
    assert str(got["category"]) == r["category"] == ours
    if peer is None:
        assert pd.isna(r["peer_category"])
    else:
        assert r["peer_category"] == peer


@pytest.mark.parametrize("case_id, ours, peer", [
    ("hand_between__higher__c_m9_vs_a_ref__ci95__mid10", "significant_deterioration",
     "not_relevant"),
    # interval contains 0 and crosses the MID: the peer's rule 2 fires first
    ("hand_between__higher__c_mw8_vs_a_ref__ci95__mid10", "not_significant",
     "not_beyond_threshold"),
    # ... with the 90% interval it lies below the MID: NA
    ("hand_between__higher__c_mw8_vs_a_ref__ci90__mid10", "not_significant", None),
    ("hand_between__higher__c_p1_vs_a_ref__ci95__mid10", "not_significant", None),
    ("hand_between__higher__c_pw8_vs_a_ref__ci95__mid10", "not_significant",
     "not_beyond_threshold"),
    ("hand_between__lower__c_m10_vs_a_ref__ci95__mid10", "probably_relevant", None),
])
def test_departures_from_the_peer_between(case_id, ours, peer):
    r = row_of(BETWEEN, case_id)
    got = between_row(between_result(r), r)
    assert str(got["category"]) == r["category"] == ours
    if peer is None:
        assert pd.isna(r["peer_category"])
    else:
        assert r["peer_category"] == peer


# -- exact ties of an interval limit with the MID ------------------------------------------
# (effect, better_is, arm, limit column, category when the MID equals that limit)
TIES = [
    ("within", "higher", "w_p11", "ci_low", "large_effect"),
    ("within", "higher", "w_p10", "ci_low", "large_effect"),
    ("within", "higher", "w_p9", "ci_high", "not_beyond_threshold"),
    ("within", "higher", "w_p4", "ci_high", "not_beyond_threshold"),
    ("within", "lower", "w_m11", "ci_high", "large_effect"),
    ("within", "lower", "w_m9", "ci_low", "not_beyond_threshold"),
    ("within", "lower", "w_m4", "ci_low", "not_beyond_threshold"),
    ("between", "higher", "c_p11", "ci_low", "large_effect"),
    ("between", "higher", "c_p4", "ci_high", "not_beyond_threshold"),
    ("between", "lower", "c_m11", "ci_high", "large_effect"),
    ("between", "lower", "c_m9", "ci_low", "not_beyond_threshold"),
]


@pytest.mark.parametrize("effect, better_is, arm, limit, expected", TIES)
def test_interval_limit_exactly_at_the_mid(effect, better_is, arm, limit, expected):
    d = direction(better_is)
    if effect == "within":
        r = WITHIN[(WITHIN["dataset"] == "hand_within") & (WITHIN["better_is"] == better_is)
                   & (WITHIN["group"] == arm) & (WITHIN["ci"] == 0.95)
                   & (WITHIN["mid_improvement"] == 10)].iloc[0]
        first = within_row(within_result(r), r)
    else:
        r = BETWEEN[(BETWEEN["dataset"] == "hand_between") & (BETWEEN["better_is"] == better_is)
                    & (BETWEEN["comparison"] == arm) & (BETWEEN["ci"] == 0.95)
                    & (BETWEEN["mid_improvement"] == 10)].iloc[0]
        first = between_row(between_result(r), r)
    assert float(first[limit]) == pytest.approx(r[limit], rel=RTOL)
    mid = d * float(first[limit])
    assert mid > 0
    again = (within_row(within_result(r, mid=mid), r) if effect == "within"
             else between_row(between_result(r, mid=mid), r))
    assert float(again[limit]) == float(first[limit])  # the interval does not depend on the MID
    assert str(again["category"]) == expected


def test_r_tie_rows_peer_gives_na():
    ties = WITHIN[WITHIN["note"].notna()]
    assert len(ties) == 5
    assert ties["peer_category"].isna().all()
    assert list(ties["category"]) == ["large_effect", "not_beyond_threshold",
                                      "not_beyond_threshold", "large_effect",
                                      "not_beyond_threshold"]


# -- argument errors ------------------------------------------------------------------------
@pytest.fixture
def small():
    df = pairs([10.0, 12.0, 14.0, 11.0], [8.0, 7.0, 13.0, 5.0])
    df["g"] = df["id"].map({0: "A", 1: "A", 2: "B", 3: "B"})
    return df


@pytest.mark.parametrize("bad", [0, 0.0, -1, -0.5])
def test_mid_improvement_must_be_positive(small, bad):
    with pytest.raises(ArgumentError, match="mid_improvement"):
        indiv(small, better_is="lower", mid_improvement=bad)


@pytest.mark.parametrize("bad", [0, -2.0])
def test_mid_deterioration_must_be_positive(small, bad):
    with pytest.raises(ArgumentError, match="mid_deterioration"):
        indiv(small, better_is="lower", mid_improvement=1, mid_deterioration=bad)


def test_between_needs_group(small):
    with pytest.raises(ArgumentError, match="group"):
        es.anchor_change(small, subject="id", time="t", outcome="y", pre="pre", post="post",
                         better_is="lower", mid_improvement=1, target="group",
                         effect="between")


def test_between_with_target_individual(small):
    with pytest.raises(ArgumentError, match="effect|target"):
        es.anchor_change(small, subject="id", time="t", outcome="y", pre="pre", post="post",
                         better_is="lower", mid_improvement=1, target="individual",
                         effect="between", group="g")


@pytest.mark.parametrize("kw, name", [({"target": "cohort"}, "target"),
                                      ({"target": "group", "effect": "across"}, "effect")])
def test_unknown_target_or_effect(small, kw, name):
    with pytest.raises(ArgumentError, match=name):
        es.anchor_change(small, subject="id", time="t", outcome="y", pre="pre", post="post",
                         better_is="lower", mid_improvement=1, **kw)
