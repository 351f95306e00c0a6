"""The approaches side by side (``ApproachesResult``, ``approaches_result``): issue 21.

Six patients, lower is better, a given cut-off of 10 (clinical at pre: pre > 10; functional at
post: post < 10) and a MID of 3 points (2.5 for a deterioration in the individual MID part):

====  ===  ====  ======  ==========================  ===================================
id    pre  post  change  cut-off alone               MID alone (imp >= 3, det >= 2.5)
====  ===  ====  ======  ==========================  ===================================
0     20   8     -12     improved (crossed)          improved
1     18   17    -1      unchanged (stays clinical)  unchanged
2     15   9     -6      improved (crossed)          improved
3     12   14    +2      unchanged (stays clinical)  unchanged
4     9    13    +4      deteriorated (crossed up)   deteriorated
5     16   13    -3      unchanged (stays clinical)  improved (exactly the MID)
====  ===  ====  ======  ==========================  ===================================

So the cut-off alone counts 2 / 3 / 1 and the MID alone 3 / 2 / 1.  The rows of ``summary()``
and the cells of ``format()`` are each part's own counts (``n (percentage)``), in the report
order ``rc_cutoff, cutoff, anchor, anchor_cutoff`` whatever the order of ``parts``.
"""

from __future__ import annotations

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError
from effectstudy.outcomes.approaches import approaches_result

PRE = [20, 18, 15, 12, 9, 16]
POST = [8, 17, 9, 14, 13, 13]
COLS = dict(subject="id", time="t", outcome="y", pre="pre", post="post", better_is="lower")


@pytest.fixture(scope="module")
def data():
    return pd.DataFrame({"id": list(range(6)) * 2, "t": ["pre"] * 6 + ["post"] * 6,
                         "y": PRE + POST, "g": ["a", "b"] * 6})


@pytest.fixture(scope="module")
def parts(data):
    """The four approaches, deliberately in the reverse of the report order."""
    return {
        "anchor_cutoff": es.clinical_significance(data, **COLS, method="anchor", cutoff=10.0,
                                                  mid_improvement=3),
        "anchor": es.anchor_change(data, **COLS, mid_improvement=3, mid_deterioration=2.5),
        "cutoff": es.cutoff_change(data, **COLS, cutoff=10.0),
        "rc_cutoff": es.clinical_significance(data, **COLS, reliability=0.8, cutoff=10.0),
    }


@pytest.fixture(scope="module")
def group_level(data):
    """The MID's group level, overall and per group (as ``Study.approaches`` passes it)."""
    return (es.anchor_change(data, **COLS, mid_improvement=3, target="group"),
            es.anchor_change(data, **COLS, mid_improvement=3, target="group", group="g"))


@pytest.fixture(scope="module")
def full(parts, group_level):
    """Every approach, the group level and a MID source; the HTML rendered once."""
    res = approaches_result(parts, group_level=group_level, mid_source="Test 2020", lang="en")
    return res, res._repr_html_()


def test_summary_stacks_each_parts_counts_in_report_order(parts):
    res = approaches_result(parts)
    s = res.summary()
    assert list(s.columns) == ["approach", "category", "n", "proportion"]
    assert s.index.equals(pd.RangeIndex(16))  # 5 + 3 + 3 + 5 rows, numbered once
    assert list(dict.fromkeys(s["approach"])) == ["rc_cutoff", "cutoff", "anchor", "anchor_cutoff"]
    for name, part in parts.items():
        own = part.summary()
        mine = s[s["approach"] == name]
        assert mine["category"].tolist() == own["category"].astype(str).tolist()
        assert mine["n"].tolist() == own["n"].tolist()
    cut = s[s["approach"] == "cutoff"].set_index("category")["n"]
    assert cut.to_dict() == {"improved": 2, "unchanged": 3, "deteriorated": 1}
    mid = s[s["approach"] == "anchor"].set_index("category")["n"]
    assert mid.to_dict() == {"improved": 3, "unchanged": 2, "deteriorated": 1}
    assert res.meta["approaches"] == ["rc_cutoff", "cutoff", "anchor", "anchor_cutoff"]
    assert res.meta["parts"]["cutoff"] == {"method": "jt", "cutoff_type": "given",
                                           "cutoff_value": 10.0, "n_used": 6}
    assert res.meta["parts"]["anchor"] == {"method": "anchor", "mid_improvement": 3.0,
                                           "mid_deterioration": 2.5, "n_used": 6}


def test_summary_of_no_approach_is_empty_with_its_columns():
    s = approaches_result({}).summary()
    assert s.empty
    assert list(s.columns) == ["approach", "category", "n", "proportion"]


def test_format_one_row_per_approach_dash_where_a_category_does_not_belong(parts):
    """Rows in report order; the three-way approaches have no recovered/harmed (``–``)."""
    t = approaches_result(parts).format("en")
    assert list(t.columns) == ["Approach", "recovered", "improved", "unchanged", "deteriorated",
                               "harmed"]
    assert t["Approach"].tolist() == ["reliable change and cut-off (primary)", "cut-off only",
                                      "minimal important difference (MID)", "MID and cut-off"]
    # cut-off alone 2/3/1 of 6: 33%, 50%, 17%
    assert t.iloc[1, 1:].tolist() == ["–", "2 (33%)", "3 (50%)", "1 (17%)", "–"]
    # MID alone 3/2/1 of 6
    assert t.iloc[2, 1:].tolist() == ["–", "3 (50%)", "2 (33%)", "1 (17%)", "–"]


def test_format_shows_only_the_categories_some_approach_has(parts):
    t = approaches_result({"cutoff": parts["cutoff"]}).format("en")
    assert list(t.columns) == ["Approach", "improved", "unchanged", "deteriorated"]


def test_cutoff_line_names_the_cutoff_and_the_mid_with_its_source(full):
    res, html = full
    # MID 3 is whole (no decimals); 2.5 is not (two decimals)
    line = "Cut-off 10.00 (type given); MID 3 points, 2.50 points for a deterioration; source: Test 2020."
    assert repr(res).splitlines()[:2] == ["Clinical significance by approach", line]
    assert f"<p>{line}</p>" in html


def test_cutoff_line_names_one_mid_when_both_are_equal_and_no_source(parts):
    """The MID of ``anchor_cutoff`` is used when there is no individual MID part; its
    deterioration MID defaulted to the improvement MID, so no separate deterioration clause."""
    res = approaches_result({"rc_cutoff": parts["rc_cutoff"],
                             "anchor_cutoff": parts["anchor_cutoff"]})
    assert repr(res).splitlines()[1] == "Cut-off 10.00 (type given); MID 3 points."


def test_cutoff_line_without_a_mid_names_the_cutoff_only(parts):
    """Two parts are already a comparison: the HTML shows the line and the table."""
    res = approaches_result({"rc_cutoff": parts["rc_cutoff"], "cutoff": parts["cutoff"]},
                            lang="en")
    assert repr(res).splitlines()[1] == "Cut-off 10.00 (type given)."
    html = res._repr_html_()
    assert "<p>Cut-off 10.00 (type given).</p><table" in html
    assert "No further approaches chosen" not in html


def test_mid_part_alone_beside_the_primary_gives_the_mid_line(parts):
    """Two parts (the minimum for a comparison): the line uses the individual MID part."""
    res = approaches_result({"rc_cutoff": parts["rc_cutoff"], "anchor": parts["anchor"]})
    assert repr(res).splitlines()[1] == ("Cut-off 10.00 (type given); MID 3 points, "
                                         "2.50 points for a deterioration.")


def test_primary_alone_has_no_comparison_line_and_says_none_chosen(parts):
    res = approaches_result({"rc_cutoff": parts["rc_cutoff"]}, lang="en")
    assert repr(res).splitlines()[1].split() == ["approach", "category", "n", "proportion"]
    html = res._repr_html_()
    assert "No further approaches chosen" in html
    assert "<table" not in html


def test_group_level_stacks_overall_and_per_group_rows(full):
    """The ungrouped result becomes group ``all``, first column; rows numbered once.
    Mean changes by hand: all (-12-1-6+2+4-3)/6 = -16/6; group a (ids 0, 2, 4):
    (-12-6+4)/3 = -14/3; group b (ids 1, 3, 5): (-1+2-3)/3 = -2/3."""
    res, html = full
    g = res.group_level
    assert g.columns[0] == "group"
    assert g["group"].tolist() == ["all", "a", "b"]
    assert g.index.equals(pd.RangeIndex(3))
    assert g["estimate"].tolist() == pytest.approx([-16 / 6, -14 / 3, -2 / 3])
    assert [r["group"] for r in res.to_dict()["group_level"]] == ["all", "a", "b"]
    assert "<caption>Mean change against the MID</caption>" in html
    assert html.endswith("</table></div>")


def test_without_group_level_no_group_table(parts):
    res = approaches_result(parts, lang="en")
    assert res.group_level is None
    assert "group_level" not in res.to_dict()
    html = res._repr_html_()
    assert "<table" in html
    assert "Mean change against the MID" not in html


def test_unknown_approach_is_an_error(parts):
    with pytest.raises(ArgumentError, match="approaches among"):
        approaches_result({"cutoff": parts["cutoff"], "percent": parts["anchor"]})


def test_grouped_part_is_an_error(data, parts):
    grouped = es.anchor_change(data, **COLS, mid_improvement=3, group="g")
    with pytest.raises(ArgumentError, match="results without group="):
        approaches_result({"rc_cutoff": parts["rc_cutoff"], "anchor": grouped})
