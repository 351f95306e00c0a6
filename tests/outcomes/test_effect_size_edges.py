"""Edges of es.prepost_effect: the exact-Wilcoxon limit of R's wilcox.test (issue 21, item 11).

R uses the exact signed-rank distribution only with fewer than 50 non-zero differences and
no ties or zeros; at exactly 50 it switches to the normal approximation with continuity
correction.  Expected values are R's own output (``tests/reference/edges/wilcoxon_limit.R``,
R 4.2.2), read here; the inputs are read from the file R wrote, so nothing is rebuilt in
Python.  Tolerance: 1e-9 relative on the p-value (the exact and the normal p-values of these
data differ from each other in the third decimal), V exactly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import DataError

REF = Path(__file__).resolve().parents[1] / "reference" / "edges"


def _r_reference() -> tuple[pd.DataFrame, pd.DataFrame]:
    expected = pd.read_csv(REF / "wilcoxon_limit.csv").set_index("case")
    inputs = pd.read_csv(REF / "wilcoxon_limit_inputs.csv")
    return expected, inputs


def _wilcoxon(inputs: pd.DataFrame, case: str) -> pd.Series:
    d = inputs[inputs["case"] == case]
    n = len(d)
    long = pd.DataFrame({"id": list(d["id"]) * 2, "t": ["pre"] * n + ["post"] * n,
                         "y": [*d["pre"], *d["post"]]})
    return es.prepost_effect(long, subject="id", time="t", outcome="y", pre="pre",
                             post="post", method="b").summary().iloc[0]


@pytest.mark.parametrize(("case", "n_nonzero", "r_method"), [
    ("n49", 49, "exact"),   # just below the limit: R's exact test
    ("n50", 50, "approx"),  # exactly at the limit: R already uses the normal approximation
    ("n51", 51, "approx"),  # just above
])
def test_wilcoxon_p_at_the_exact_test_limit_of_50_nonzero_differences_against_r(
        case, n_nonzero, r_method):
    expected, inputs = _r_reference()
    e = expected.loc[case]
    # the reference really sits where the test says it does
    assert e["n_nonzero"] == n_nonzero
    assert ("exact" in e["method"]) == (r_method == "exact")
    got = _wilcoxon(inputs, case)
    assert got["wilcoxon_v"] == e["wilcoxon_v"]
    assert got["wilcoxon_p"] == pytest.approx(e["wilcoxon_p"], rel=1e-9)


@pytest.mark.parametrize("case", ["zero49", "tie49"])
def test_wilcoxon_below_the_limit_with_a_zero_or_a_tie_is_approximate_against_r(case):
    """49 non-zero differences, but one zero pair (dropped) or one tie: R is not exact."""
    expected, inputs = _r_reference()
    e = expected.loc[case]
    assert e["n_nonzero"] == 49 and "exact" not in e["method"]
    got = _wilcoxon(inputs, case)
    assert got["wilcoxon_v"] == e["wilcoxon_v"]
    assert got["wilcoxon_p"] == pytest.approx(e["wilcoxon_p"], rel=1e-9)


def test_effect_size_needs_three_complete_pairs():
    """The minimum n: 2 complete pairs are an error naming the count, 3 give an estimate."""
    pre, post = [20.0, 24.0, 27.0], [12.0, 19.0, 18.0]
    long = pd.DataFrame({"id": [0, 1, 2] * 2, "t": ["pre"] * 3 + ["post"] * 3,
                         "y": pre + post})
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post", method="b")
    with pytest.raises(es.DataError, match=r"2 complete pair\(s\); an effect size with a CI "
                                           r"needs at least 3"):
        es.prepost_effect(long[long["id"] < 2], **args)
    s = es.prepost_effect(long, **args).summary().iloc[0]
    assert s["n"] == 3 and s["estimate"] < 0  # the scores went down


def test_a_group_with_two_pairs_gets_no_estimate_and_does_not_stop_the_other_groups():
    """Per group: 2 pairs give a row with n = 2 and no statistics (reason in meta), 3 pairs an
    estimate equal to that group's own call; before, one small group stopped the whole report."""
    pre, post = [20.0, 24.0, 27.0, 30.0, 22.0], [12.0, 19.0, 18.0, 25.0, 20.0]
    long = pd.DataFrame({"id": list(range(5)) * 2, "t": ["pre"] * 5 + ["post"] * 5, "y": pre + post,
                         "g": ["a", "a", "a", "b", "b"] * 2})
    args = dict(subject="id", time="t", outcome="y", pre="pre", post="post", method="b")
    r = es.prepost_effect(long, group="g", **args)
    t = r.summary().set_index("group")
    assert t.loc["b", "n"] == 2 and t.loc["b"].drop(["n", "small_n"]).isna().all()
    assert bool(t.loc["b", "small_n"])  # the flag is set also for a row without estimate
    assert r.meta["not_estimated"] == {"b": "2 complete pair(s); an effect size with a CI needs at least 3: "
                                            "expected 3 or more subjects with both scores"}
    alone = es.prepost_effect(long[long["g"] == "a"], **args).summary().iloc[0]
    assert t.loc["a", "n"] == 3 and t.loc["a", "estimate"] == alone["estimate"]


# -- which pairs give an effect size (mutation testing) ------------------------------------
def _effect(pre, post, **kw):
    n = len(pre)
    df = pd.DataFrame({"id": list(range(n)) * 2, "t": ["pre"] * n + ["post"] * n,
                       "y": [float(v) for v in pre + post], **kw})
    return es.prepost_effect(df, subject="id", time="t", outcome="y", pre="pre", post="post",
                             method="av", group="g" if kw else None)


@pytest.mark.parametrize(("pre", "post"), [
    pytest.param([5, 5, 5, 5], [3, 4, 6, 2], id="constant_pre"),
    pytest.param([3, 4, 6, 2], [5, 5, 5, 5], id="constant_post"),
])
def test_zero_variance_at_pre_or_at_post_alone_is_an_error(pre, post):
    """Each SD on its own: d_av would still be finite (its standardiser pools both SDs), but
    the documented rule is that any zero SD makes the standardised effect undefined."""
    with pytest.raises(DataError, match="zero variance in the pre scores, post scores or changes"):
        _effect(pre, post)


def test_groups_are_the_observed_ones_in_sorted_order():
    """A categorical group column: rows in sorted group order (B's patients come first in
    the data), and a category without patients (C) gives no row rather than an error."""
    g = pd.Categorical((["B"] * 4 + ["A"] * 4) * 2, categories=["A", "B", "C"])
    res = _effect([5, 6, 7, 9, 4, 6, 8, 7], [3, 5, 4, 8, 2, 5, 5, 4], g=g)
    t = res.summary()
    assert t["group"].tolist() == ["A", "B"]
    # mean changes by hand: A (ids 4-7): (-2-1-3-3)/4 = -2.25; B (ids 0-3): (-2-1-3-1)/4
    assert t["mean_change"].tolist() == [-2.25, -1.75]
    assert t["n"].tolist() == [4, 4]
