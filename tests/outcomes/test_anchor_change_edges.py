"""Edges of the MID rule of es.anchor_change: inclusive on both sides, both directions.

improved iff d * change >= MID_imp, deteriorated iff d * change <= -MID_det (anchor_change's
docstring; R ``cs_anchor``).  The MIDs (2.5 and 1.5) and all scores are multiples of 1/4,
exactly representable, and every post - pre below is computed exactly in floating point
(differences of small multiples of 1/4), so "at the MID" is an exact equality; "just past"
and "just short" are a quarter point either side.
"""

from __future__ import annotations

import pandas as pd
import pytest

import effectstudy as es

MID_IMP, MID_DET = 2.5, 1.5
#: change on the improvement scale (d * (post - pre)) -> category
HAND = [
    (2.75, "improved"), (2.5, "improved"), (2.25, "unchanged"),            # MID_imp
    (-1.25, "unchanged"), (-1.5, "deteriorated"), (-1.75, "deteriorated"),  # MID_det
    (0.0, "unchanged"),
]


@pytest.mark.parametrize("better_is", ["lower", "higher"])
def test_change_exactly_at_the_mid_reaches_it_on_both_sides(better_is):
    d = -1 if better_is == "lower" else 1
    pre = 20.0
    post = [pre + d * c for c, _ in HAND]
    assert all(d * (p - pre) == c for p, (c, _) in zip(post, HAND, strict=True))  # exact
    n = len(HAND)
    df = pd.DataFrame({"id": list(range(n)) * 2, "t": ["pre"] * n + ["post"] * n,
                       "y": [pre] * n + post})
    res = es.anchor_change(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                           better_is=better_is, mid_improvement=MID_IMP,
                           mid_deterioration=MID_DET)
    assert res.patients.sort_index()["category"].astype(str).tolist() == [c for _, c in HAND]
    counts = res.summary().set_index("category")["n"]
    assert (counts["improved"], counts["unchanged"], counts["deteriorated"]) == (2, 3, 2)


# -- group level: threshold, counts, duplicates, one pair, the plot (mutation testing) -----
GROUP_ARGS = dict(subject="id", time="t", outcome="y", better_is="lower", mid_improvement=3)


def _between_data():
    """Post scores of groups a (ids 1-3) and b (ids 4-6); id 7 has no group, id 8 no score."""
    return pd.DataFrame({"id": [1, 2, 3, 4, 5, 6, 7, 8], "t": ["post"] * 8,
                         "y": [10.0, 12, 14, 6, 8, 7, 9, None],
                         "arm": ["a", "a", "a", "b", "b", "b", None, "b"]})


def test_between_groups_threshold_and_counts():
    """Threshold d * MID = -1 * 3 = -3.  Used: 6 subjects; 2 excluded (no group, no score).
    Difference b - a by hand: mean(6, 8, 7) - mean(10, 12, 14) = 7 - 12 = -5."""
    res = es.anchor_change(_between_data(), **GROUP_ARGS, target="group", effect="between",
                           group="arm", post="post")
    assert res.meta["threshold"] == -3.0
    assert res.meta["exclusions"] == {"missing_group": 1, "missing_post": 1}
    assert (res.meta["n_used"], res.meta["n_original"]) == (6, 8)
    row = res.summary().iloc[0]
    assert (row["reference"], row["comparison"], row["estimate"]) == ("a", "b", -5.0)
    assert res.summary()["threshold"].tolist() == [-3.0]


def test_between_groups_duplicate_post_rows_name_the_first_duplicated_subject():
    """Subjects 2 and 5 each have two post rows (2's come first): the message names 2."""
    df = _between_data()
    df = pd.concat([df, df[df["id"].isin([2, 5])]], ignore_index=True)
    with pytest.raises(es.DataError, match=r"id: more than one measurement at post.*found \(niet getoond: identificerend\),"):
        es.anchor_change(df, **GROUP_ARGS, target="group", effect="between", group="arm",
                         post="post")


def test_within_group_threshold_is_signed_by_direction():
    df = pd.DataFrame({"id": [1, 2, 3] * 2, "t": ["pre"] * 3 + ["post"] * 3,
                       "y": [10.0, 12, 14, 6, 9, 8]})
    low = es.anchor_change(df, **GROUP_ARGS, pre="pre", post="post", target="group")
    assert low.meta["threshold"] == -3.0
    high = es.anchor_change(df, **{**GROUP_ARGS, "better_is": "higher"}, pre="pre",
                            post="post", target="group")
    assert high.meta["threshold"] == 3.0


def test_one_complete_pair_is_classified():
    """The individual MID rule needs no statistics: one pair is enough (none is an error).
    16 -> 12 is a fall of 4 >= 3: improved."""
    df = pd.DataFrame({"id": [1, 1, 2], "t": ["pre", "post", "pre"], "y": [16.0, 12, 9]})
    with pytest.warns(es.DataQualityWarning, match="missing_post 1"):
        res = es.anchor_change(df, **GROUP_ARGS, pre="pre", post="post")
    assert res.patients["category"].tolist() == ["improved"]


def test_group_plots_draw_each_comparison_and_the_threshold():
    import matplotlib.pyplot as plt

    between = es.anchor_change(_between_data(), **GROUP_ARGS, target="group", effect="between",
                               group="arm", post="post")
    fig, ax = plt.subplots()
    try:
        between.plot(ax=ax, lang="en")
        # one row per comparison group, with its own n (3 subjects in b)
        assert [t.get_text() for t in ax.get_yticklabels()] == ["b (n=3)"]
        assert "threshold (MID)" in ax.get_legend_handles_labels()[1]
        assert any(list(line.get_xdata()) == [-3.0, -3.0] for line in ax.get_lines())
    finally:
        plt.close(fig)
