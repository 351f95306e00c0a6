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
