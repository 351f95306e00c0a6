"""Satisfaction figures: hand-computed counts, rates, grades; Wilson CIs from R; errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, DataQualityWarning
from tests.budget import examples

# R 4.2.2: prop.test(x, n, correct = FALSE)$conf.int (Wilson score interval)
R_WILSON = {(30, 55): (0.415226902419, 0.669747197480),
            (29, 55): (0.397915443552, 0.653069016387),
            (1, 3): (0.061491944720, 0.792340399198),
            (2, 3): (0.207659600802, 0.938508055280)}


def yearly_report_forms() -> pd.DataFrame:
    """58 episodes: 55 forms issued, 30 returned, 29 with a grade (20 x 9, 5 x 10, 4 x 8)."""
    return pd.DataFrame({
        "episode_id": [f"E{i:02d}" for i in range(58)],
        "issued": [True] * 55 + [False] * 3,
        "returned": [True] * 30 + [False] * 28,
        "grade": [9.0] * 20 + [10.0] * 5 + [8.0] * 4 + [np.nan] * 29,
    })


def forms(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["episode_id", "issued", "returned", "grade"])


def test_yearly_report_example_55_issued_30_returned_29_graded():
    res = es.satisfaction(yearly_report_forms())
    s = res.summary().iloc[0]
    assert (s["n_episodes"], s["n_issued"], s["n_returned"], s["n_graded"]) == (58, 55, 30, 29)
    # 29 / 55 = 0.52727... -> "52.73% of issued"; 30 / 55 = 0.54545...
    assert s["graded_share"] == pytest.approx(29 / 55, rel=1e-12)
    assert round(100 * s["graded_share"], 2) == 52.73
    assert s["response_rate"] == pytest.approx(30 / 55, rel=1e-12)
    # mean grade (20*9 + 5*10 + 4*8) / 29 = 262 / 29 = 9.0345 -> "rounded 9"
    assert s["grade_mean"] == pytest.approx(262 / 29, rel=1e-12)
    assert s["grade_mean_rounded"] == 9
    assert s["grade_median"] == 9.0
    assert (s["response_ci_low"], s["response_ci_high"]) == pytest.approx(R_WILSON[(30, 55)],
                                                                          abs=1e-11)
    assert (s["graded_ci_low"], s["graded_ci_high"]) == pytest.approx(R_WILSON[(29, 55)],
                                                                      abs=1e-11)
    g = res.grades()
    assert list(g["grade"]) == list(range(1, 11))
    assert dict(zip(g["grade"], g["n"], strict=True)) == {
        1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 4, 9: 20, 10: 5}
    assert g["n"].sum() == s["n_graded"]
    assert g["proportion"].sum() == pytest.approx(1.0)


def test_grade_statistics_and_rounding_by_hand():
    f = forms([("a", True, True, 7.0), ("b", True, True, 8.0), ("c", True, True, 8.0),
               ("d", True, True, 10.0), ("e", True, True, 7.5), ("f", True, False, np.nan)])
    res = es.satisfaction(f)
    s = res.summary().iloc[0]
    # mean (7 + 8 + 8 + 10 + 7.5) / 5 = 8.1; squared deviations 1.21 + .01 + .01 + 3.61 + .36
    # = 5.2, / 4 = 1.3; median 8
    assert s["grade_mean"] == pytest.approx(8.1)
    assert s["grade_sd"] == pytest.approx(np.sqrt(1.3))
    assert s["grade_median"] == 8.0
    assert (s["grade_min"], s["grade_max"]) == (7.0, 10.0)
    assert s["response_rate"] == pytest.approx(5 / 6)
    # 7.5 counts under 8 (half up)
    n = dict(zip(res.grades()["grade"], res.grades()["n"], strict=True))
    assert (n[7], n[8], n[10]) == (1, 3, 1)
    assert res.meta["non_whole_grades"] == 1
    half = es.satisfaction(forms([("a", True, True, 8.0), ("b", True, True, 9.0)]))
    assert half.summary()["grade_mean_rounded"].iloc[0] == 9  # 8.5 -> 9


def test_episodes_without_a_form_row_are_counted_and_forms_outside_left_out():
    ep = pd.DataFrame({"episode_id": ["e1", "e2", "e3", "e4", "e5"],
                       "care_type": ["basic", "basic", "specialised", "specialised", None]})
    f = forms([("e1", True, True, 8.0), ("e2", True, False, np.nan),
               ("e3", True, True, 6.0), ("x9", True, True, 1.0)])
    with pytest.warns(DataQualityWarning, match="1 satisfaction form row"):
        res = es.satisfaction(f, episodes=ep, group="care_type")
    assert res.meta["exclusions"] == {"form_of_episode_not_in_episodes": 1}
    s = res.summary().set_index("group")
    # basic: e1 (graded 8), e2 (issued, not returned); specialised: e3 (graded 6), e4 (no
    # row); missing care type: e5 (no row)
    assert s.loc["basic", ["n_episodes", "n_no_form_row", "n_issued", "n_returned",
                           "n_graded"]].tolist() == [2, 0, 2, 1, 1]
    assert s.loc["specialised", ["n_episodes", "n_no_form_row", "n_issued",
                                 "n_returned"]].tolist() == [2, 1, 1, 1]
    missing = s.index.isna()
    assert s.loc[missing, "n_episodes"].tolist() == [1]
    assert s.loc[missing, "n_no_form_row"].tolist() == [1]
    assert s.loc["all", ["n_episodes", "n_no_form_row", "n_issued", "n_returned",
                         "n_graded"]].tolist() == [5, 2, 3, 2, 2]
    assert s.loc["all", "grade_mean"] == 7.0
    # per-group rows add up to the overall row
    per = s[s.index != "all"]
    for c in ("n_episodes", "n_no_form_row", "n_issued", "n_returned", "n_graded"):
        assert per[c].sum() == s.loc["all", c]
    # response 1 of 2 in basic: R prop.test(1, 2) is not in R_WILSON; 2 of 3 overall is
    assert s.loc["all", "response_rate"] == pytest.approx(2 / 3)
    assert (s.loc["all", "response_ci_low"], s.loc["all", "response_ci_high"]) == \
        pytest.approx(R_WILSON[(2, 3)], abs=1e-11)
    assert res.patients.loc["e4", "has_form_row"] is np.False_ or not res.patients.loc[
        "e4", "has_form_row"]
    assert res.meta["n_no_form_row"] == 2


def test_group_from_the_satisfaction_table_and_grade_counts_sum_per_group():
    f = forms([("a", True, True, 9.0), ("b", True, True, 7.0), ("c", True, False, np.nan),
               ("d", True, True, 7.0)])
    f["team"] = ["x", "x", "y", "y"]
    res = es.satisfaction(f, group="team")
    g = res.grades()
    tot = g.groupby("group")["n"].sum()
    s = res.summary().set_index("group")
    assert tot.to_dict() == s["n_graded"].to_dict() == {"all": 3, "x": 2, "y": 1}
    assert res.meta["group_source"] == "satisfaction"


def test_missing_flags_count_as_no_and_numeric_flags_are_accepted():
    f = pd.DataFrame({"episode_id": ["a", "b", "c"],
                      "issued": pd.array([True, None, True], dtype="boolean"),
                      "returned": pd.array([True, None, None], dtype="boolean"),
                      "grade": [8.0, np.nan, np.nan]})
    res = es.satisfaction(f)
    s = res.summary().iloc[0]
    assert (s["n_issued"], s["n_returned"], s["n_graded"]) == (2, 1, 1)
    assert res.meta["missing_flags"] == {"issued": 1, "returned": 2}
    num = f.assign(issued=[1, 0, 1], returned=[1, 0, 0])
    assert es.satisfaction(num).summary()["n_issued"].iloc[0] == 2


def test_example_data_matches_its_readme():
    ex = es.datasets.load_example()
    res = es.satisfaction(ex.satisfaction, episodes=ex.episodes)
    s = res.summary().iloc[0]
    # data/example/README.md: forms issued / returned / with a grade 318 / 167 / 165,
    # 52.5 % of issued returned; 400 episodes, 380 with a form row
    assert (s["n_issued"], s["n_returned"], s["n_graded"]) == (318, 167, 165)
    assert round(100 * s["response_rate"], 1) == 52.5
    assert (s["n_episodes"], s["n_no_form_row"]) == (400, 20)


def test_display_json_and_plot():
    res = es.satisfaction(yearly_report_forms())
    assert "Respons" in res.format(lang="nl").columns
    assert "Response rate" in res.format(lang="en").columns
    d = json.loads(json.dumps(res.to_dict()))
    assert d["summary"][0]["n_issued"] == 55 and "grades" in d["tables"]
    assert "<table" in res._repr_html_()
    ax = res.plot()
    assert ax.get_xlabel() == "Cijfer"
    assert "Client satisfaction" in repr(res)


@pytest.mark.parametrize("bad, kw, exc, msg", [
    ("list", {}, ArgumentTypeError, "satisfaction: got list"),
    ("nocol", {}, ArgumentError, "returned: got 'returned', expected a column of satisfaction"),
    ("dup", {}, DataError, "duplicate episode_id in satisfaction"),
    ("noid", {}, DataError, "missing episode_id in satisfaction"),
    ("ret_not_issued", {}, DataError, "form returned but not issued"),
    ("grade_not_returned", {}, DataError, "grade on a form that was not returned"),
    ("grade_0", {}, DataError, "grade out of range.*found 0.0, expected a grade from 1 to 10"),
    ("grade_11", {}, DataError, "grade out of range.*found 11.0"),
    ("flag_text", {}, ArgumentTypeError, "issued: got str .*a boolean or 1/0 column"),
    ("flag_2", {}, DataError, "not a yes/no flag.*found 2.0"),
    ("grade_text", {}, ArgumentTypeError, "grade: got str .*a numeric column of grades"),
    ("ok", {"group": "team"}, ArgumentError, "group: got 'team', expected a column of "
     "satisfaction or episodes"),
    ("ok", {"ci": 95}, ArgumentError, "ci: got 95, expected a confidence level"),
    ("ok", {"episodes": "ep"}, ArgumentTypeError, "episodes: got str"),
])
def test_errors(bad, kw, exc, msg):
    f = forms([("a", True, True, 8.0), ("b", True, False, np.nan), ("c", False, False, np.nan)])
    if bad == "list":
        f = [1, 2]
    elif bad == "nocol":
        f = f.drop(columns="returned")
    elif bad == "dup":
        f.loc[2, "episode_id"] = "a"
    elif bad == "noid":
        f.loc[2, "episode_id"] = None
    elif bad == "ret_not_issued":
        f.loc[2, "returned"] = True
    elif bad == "grade_not_returned":
        f.loc[1, "grade"] = 7.0
    elif bad == "grade_0":
        f.loc[0, "grade"] = 0.0
    elif bad == "grade_11":
        f.loc[0, "grade"] = 11.0
    elif bad == "flag_text":
        f["issued"] = ["yes", "yes", "no"]
    elif bad == "flag_2":
        f["issued"] = [1, 2, 0]
    elif bad == "grade_text":
        f["grade"] = ["8", None, None]
    with pytest.raises(exc, match=msg):
        es.satisfaction(f, **kw)


def test_errors_in_the_episodes_table():
    f = forms([("a", True, True, 8.0)])
    with pytest.raises(ArgumentError, match="episode: got 'episode_id', expected a column of "
                       "episodes"):
        es.satisfaction(f, episodes=pd.DataFrame({"id": ["a"]}))
    with pytest.raises(DataError, match="duplicate episode_id in episodes"):
        es.satisfaction(f, episodes=pd.DataFrame({"episode_id": ["a", "a"]}))


def test_verb_survives_its_module_import():
    import effectstudy.course.satisfaction  # noqa: F401 - must not shadow es.satisfaction

    assert es.satisfaction(yearly_report_forms()).summary()["n_issued"].iloc[0] == 55


# examples: 1-40 episodes in 2 teams, each in one of 4 states (not issued, issued, returned
# without / with a grade), and 0-10 episodes without a row: 40 examples give every state in
# both teams many times
@examples(40)
@given(st.lists(st.tuples(st.sampled_from(["x", "y"]), st.integers(0, 3),
                          st.integers(1, 10)), min_size=1, max_size=40),
       st.integers(0, 10))
def test_counts_always_add_up(rows, n_without_row):
    # state 0 not issued, 1 issued, 2 returned without grade, 3 returned with grade
    f = pd.DataFrame({
        "episode_id": [f"e{i}" for i in range(len(rows))],
        "issued": [r[1] >= 1 for r in rows], "returned": [r[1] >= 2 for r in rows],
        "grade": [float(r[2]) if r[1] == 3 else np.nan for r in rows]})
    ep = pd.DataFrame({"episode_id": [f"e{i}" for i in range(len(rows) + n_without_row)],
                       "team": [r[0] for r in rows] + ["x"] * n_without_row})
    res = es.satisfaction(f, episodes=ep, group="team")
    s = res.summary().set_index("group")
    assert s.loc["all", "n_episodes"] == len(ep)
    assert s.loc["all", "n_no_form_row"] == n_without_row
    assert (s["n_issued"] >= s["n_returned"]).all() and (s["n_returned"] >= s["n_graded"]).all()
    per = s.drop(index="all")
    for c in ("n_episodes", "n_no_form_row", "n_issued", "n_returned", "n_graded"):
        assert per[c].sum() == s.loc["all", c]
    g = res.grades().groupby("group")["n"].sum()
    assert (g.reindex(s.index) == s["n_graded"]).all()
    assert s.loc["all", "n_graded"] == sum(r[1] == 3 for r in rows)
