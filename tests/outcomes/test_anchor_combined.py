"""Anchor-based combined approach: ``es.clinical_significance(method="anchor", ...)``.

The peer's ``cs_combined(mid_improvement = ...)`` ("CWB"): the reliable-change flags are
replaced by the individual anchor flags (inclusive: d*change >= MID_imp improved,
d*change <= -MID_det deteriorated) and combined with the JT cut-off flags (strict:
clinical_pre = d*pre < d*cutoff, functional_post = d*post > d*cutoff):
recovered = clinical_pre & functional_post & improved; improved = other anchor improvement;
harmed = !clinical_pre & !functional_post & deteriorated; deteriorated = other anchor
deterioration; unchanged otherwise.

Expected values: hand-made cases written out by hand, and for the development sets the R
reference flags (``cs_statistical`` JT cut-off flags of ``tests/reference/r_outputs`` and the
base-R anchor flags of ``tests/reference/anchor``) combined with the rules above.
Tolerances: flags, categories and counts exact; cut-off value 1e-9 relative.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, DataQualityWarning
from tests.reference import rref

RTOL = 1e-9
FIVE = ["recovered", "improved", "unchanged", "deteriorated", "harmed"]

# lower is better, cut-off 10 given, MID 5 (deterioration MID defaults to 5):
# (pre, post, anchor_category, clinical_pre, functional_post, cutoff_category, category)
HAND = [
    (15, 8, "improved", True, True, "improved", "recovered"),
    (20, 12, "improved", True, False, "unchanged", "improved"),
    (15, 10, "improved", True, False, "unchanged", "improved"),  # change at the MID, post at cut-off
    (15, 13, "unchanged", True, False, "unchanged", "unchanged"),
    (12, 17, "deteriorated", True, False, "unchanged", "deteriorated"),  # change at the MID
    (8, 13, "deteriorated", False, False, "deteriorated", "harmed"),
    (10, 15, "deteriorated", False, False, "deteriorated", "harmed"),  # pre at the cut-off
    (6, 9, "unchanged", False, True, "unchanged", "unchanged"),
    (10, 5, "improved", False, True, "unchanged", "improved"),  # pre at the cut-off: not recovered
    (7, 11, "unchanged", False, False, "deteriorated", "unchanged"),  # +4: below MID_det 5
    (14, 9, "improved", True, True, "improved", "recovered"),  # change at the MID
    (16, 22, "deteriorated", True, False, "unchanged", "deteriorated"),
    (9, 9.5, "unchanged", False, True, "unchanged", "unchanged"),
]


def hand_data(better_is):
    pre = np.array([h[0] for h in HAND], float)
    post = np.array([h[1] for h in HAND], float)
    if better_is == "higher":  # mirror x -> 20 - x: every score keeps its side of 10
        pre, post = 20 - pre, 20 - post
    n = len(HAND)
    return pd.DataFrame({"id": list(range(n)) * 2, "t": ["pre"] * n + ["post"] * n,
                         "y": np.r_[pre, post]})


def anchor_cs(df, **kw):
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post", method="anchor",
                cutoff=10.0, mid_improvement=5)
    args.update(kw)
    return es.clinical_significance(df, **args)


def strs(series):
    return [str(v) for v in series]


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_hand_cases_every_category(better_is):
    res = anchor_cs(hand_data(better_is), better_is=better_is)
    p = res.patients.sort_index()
    assert strs(p["anchor_category"]) == [h[2] for h in HAND]
    assert list(p["clinical_pre"].astype(bool)) == [h[3] for h in HAND]
    assert list(p["functional_post"].astype(bool)) == [h[4] for h in HAND]
    assert list(p["crossed_cutoff"].astype(bool)) == [h[3] and h[4] for h in HAND]
    assert strs(p["cutoff_category"]) == [h[5] for h in HAND]
    assert strs(p["category"]) == [h[6] for h in HAND]
    assert set(strs(p["category"])) == set(FIVE)
    cat = p["category"]
    assert isinstance(cat.dtype, pd.CategoricalDtype) and cat.dtype.ordered
    assert list(cat.cat.categories) == FIVE
    assert res.meta["cutoff_value"] == 10.0 and res.meta["cutoff_type"] == "given"


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_hand_cases_summary(better_is):
    s = anchor_cs(hand_data(better_is), better_is=better_is).summary()
    counts = dict(zip(strs(s["category"]), s["n"].astype(int), strict=True))
    assert counts == {"recovered": 2, "improved": 3, "unchanged": 4, "deteriorated": 2,
                      "harmed": 2}
    n = len(HAND)
    for cat, k in counts.items():
        prop = float(s.loc[np.asarray(strs(s["category"])) == cat, "proportion"].iloc[0])
        assert prop == pytest.approx(k / n, rel=1e-12)


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_separate_deterioration_mid(better_is):
    """MID_det 4: +4 (pre 7 -> post 11, functional at pre, clinical at post) becomes harmed;
    MID_det 6: the changes of exactly +5 are no longer deteriorations."""
    p = anchor_cs(hand_data(better_is), better_is=better_is,
                  mid_deterioration=4).patients.sort_index()
    assert str(p.loc[9, "anchor_category"]) == "deteriorated"
    assert str(p.loc[9, "category"]) == "harmed"
    p = anchor_cs(hand_data(better_is), better_is=better_is,
                  mid_deterioration=6).patients.sort_index()
    assert strs(p.loc[[4, 5, 6], "category"]) == ["unchanged"] * 3
    assert str(p.loc[11, "category"]) == "deteriorated"  # +6 reaches MID_det 6
    assert strs(p.loc[[0, 2, 10], "category"]) == ["recovered", "improved", "recovered"]


def test_anchor_flags_at_the_mid_exactly_in_floating_point():
    # lower is better, MID 0.3: 1.0 - 1.3 = -0.30000000000000004 (improved),
    # 0.4 - 0.7 = -0.29999999999999993 (not improved), 0.2 - 0.5 = -0.3 exactly (improved);
    # cut-off 0.6 given: pre 1.3, 0.7 clinical; 0.5 functional already
    df = pd.DataFrame({"id": [0, 1, 2] * 2, "t": ["pre"] * 3 + ["post"] * 3,
                       "y": [1.3, 0.7, 0.5, 1.0, 0.4, 0.2]})
    p = anchor_cs(df, better_is="lower", cutoff=0.6, mid_improvement=0.3).patients.sort_index()
    assert strs(p["anchor_category"]) == ["improved", "unchanged", "improved"]
    assert strs(p["category"]) == ["improved", "unchanged", "improved"]
    assert list(p["functional_post"].astype(bool)) == [False, True, True]


# -- development sets: R flags combined by the rules ------------------------------------------
R_COMBOS = [
    ("dev_gsi_prepost__stat_JT_c", "gsi_mid0.3_det0.2"),
    ("dev_gsi_prepost__stat_JT_a", "gsi_mid0.3"),
    ("dev_gsi_prepost__stat_JT_c_grouped", "gsi_mid0.3_det0.2"),
    ("dev_wellbeing_prepost__stat_JT_c", "wb_mid12_det8"),
    ("dev_wellbeing_prepost__stat_JT_a", "wb_mid12"),
]
ANCHOR_REF = Path(__file__).parents[1] / "reference" / "anchor" / "anchor_individual.csv"


@pytest.mark.parametrize("stat_case, anchor_case", R_COMBOS)
def test_development_sets_against_r_flags(stat_case, anchor_case):
    c = rref.case(stat_case)
    a = c["args"]
    cols = c["columns"]
    anc = rref._read(ANCHOR_REF)
    anc = anc[anc["case_id"] == anchor_case].set_index("id")
    mid_det = anc["mid_deterioration"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.clinical_significance(
            rref.input_for(c), subject="id", time=cols["time"], outcome=cols["outcome"],
            pre=a["pre"], post=a["post"], better_is=a["better_is"], method="anchor",
            cutoff=a["cutoff_type"], m_functional=a.get("m_functional"),
            sd_functional=a.get("sd_functional"), group=cols.get("group"),
            mid_improvement=float(anc["mid_improvement"].iloc[0]),
            mid_deterioration=None if pd.isna(mid_det) else float(mid_det))
    stat = rref.expected_rows("cs_statistical_patients.csv", stat_case)
    p = res.patients.loc[stat.index]
    assert len(res.patients) == len(stat) == len(anc)
    assert res.meta["cutoff_value"] == pytest.approx(rref.params(stat_case)["cutoff_value"],
                                                     rel=RTOL)
    assert list(p["clinical_pre"].astype(bool)) == list(stat["clinical_pre"])
    assert list(p["functional_post"].astype(bool)) == list(stat["functional_post"])
    assert [s.lower() for s in strs(p["cutoff_category"])] == [
        s.lower() for s in stat["category"]]
    anc = anc.loc[stat.index]
    assert strs(p["anchor_category"]) == list(anc["category"])
    cp, fp = stat["clinical_pre"].to_numpy(bool), stat["functional_post"].to_numpy(bool)
    imp, det = anc["improved"].to_numpy(bool), anc["deteriorated"].to_numpy(bool)
    expect = np.select([cp & fp & imp, imp, ~cp & ~fp & det, det],
                       ["recovered", "improved", "harmed", "deteriorated"], "unchanged")
    assert strs(p["category"]) == list(expect)
    if c["grouped"]:
        assert list(p["group"]) == list(stat["group"])
    s = res.summary()
    if c["grouped"]:
        for g in ("CBT", "EMDR"):
            sg = s[s["group"] == g]
            want = pd.Series(expect[(stat["group"] == g).to_numpy()]).value_counts()
            assert {k: int(v) for k, v in zip(strs(sg["category"]), sg["n"], strict=True)} == {
                k: int(want.get(k, 0)) for k in FIVE}
    else:
        want = pd.Series(expect).value_counts()
        assert {k: int(v) for k, v in zip(strs(s["category"]), s["n"], strict=True)} == {
            k: int(want.get(k, 0)) for k in FIVE}


def test_cutoff_b_follows_the_paper():
    c = rref.case("dev_gsi_prepost__stat_JT_b")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = es.clinical_significance(rref.input_for(c), subject="id", time="time",
                                       outcome="gsi", pre=1, post=2, better_is="lower",
                                       method="anchor", cutoff="b", m_functional=0.5,
                                       sd_functional=0.45, mid_improvement=0.3)
    assert res.meta["cutoff_value"] == pytest.approx(0.5 + 2 * 0.45, rel=1e-12)


# -- errors -------------------------------------------------------------------------------------
def test_reliability_with_method_anchor_is_an_error():
    with pytest.raises(ArgumentError, match="reliability"):
        anchor_cs(hand_data("lower"), better_is="lower", reliability=0.8)


@pytest.mark.parametrize("method", ["jt", "ha", "gln"])
def test_mid_improvement_with_another_method_is_an_error(method):
    with pytest.raises(ArgumentError, match="mid_improvement"):
        anchor_cs(hand_data("lower"), better_is="lower", method=method, reliability=0.8,
                  m_functional=5.0, sd_functional=2.0, cutoff="c")


def test_method_anchor_needs_mid_improvement():
    with pytest.raises(ArgumentError, match="mid_improvement"):
        anchor_cs(hand_data("lower"), better_is="lower", mid_improvement=None)


@pytest.mark.parametrize("bad", [0, -1.0])
def test_method_anchor_mid_must_be_positive(bad):
    with pytest.raises(ArgumentError, match="mid_improvement"):
        anchor_cs(hand_data("lower"), better_is="lower", mid_improvement=bad)
