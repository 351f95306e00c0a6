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
