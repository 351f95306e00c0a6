"""Edges of es.disclosure_control: thresholds, rounding bases 5 and 10, the audit's rounding
intervals and the choice of complements (issue 21, items 4 and 12).

Counts are whole numbers, so every edge is exact.  Expected tables and intervals are worked
out by hand in the comments (half-up rounding: with base b the published p stands for the
true values p - floor(b/2) .. p + ceil(b/2) - 1, and a published count is at least the
threshold).
"""

from __future__ import annotations

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError


def _col(res, name):
    return [None if pd.isna(v) else v for v in res.published[name]]


# -- SEC-D2: rounding half up, odd and even base ------------------------------------------------
@pytest.mark.parametrize(("base", "true", "shown"), [
    # base 5: 12.5 is never a whole number, so 12 -> 10 and 13 -> 15
    (5, [10, 12, 13, 17, 18], [10, 10, 15, 15, 20]),
    # base 10: the halves 15 and 25 go up; 14 and 24 go down
    (10, [10, 14, 15, 24, 25], [10, 10, 20, 20, 30]),
])
def test_counts_round_half_up_at_the_half_for_bases_5_and_10(base, true, shown):
    t = pd.DataFrame({"g": list("abcde"), "n": true})
    res = es.disclosure_control(t, by="g", rounding_base=base, threshold=10)
    assert _col(res, "n") == shown
    assert res.passed


# -- SEC-D3: the audit's interval for a published count -----------------------------------------
def test_audit_interval_with_even_rounding_base_10_is_p_minus_5_to_p_plus_4():
    """a (3) is hidden, b (17) and the total (20) are published as 20 with base 10: the
    truth behind each is 15..24 (at least 10), so a = total - b lies in 0..9, narrower than
    the threshold 10.  Without secondary suppression the audit must say so."""
    t = pd.DataFrame({"g": ["a", "b", "totaal"], "n": [3, 17, 20]})
    res = es.disclosure_control(t, by="g", total="totaal", rounding_base=10, secondary=False)
    assert _col(res, "n") == [None, 20, 20]
    a = res.audit.set_index("row").loc["a"]
    assert (a["lower"], a["upper"], a["passed"]) == (0.0, 9.0, False)
    assert not res.passed


def test_audit_interval_with_odd_rounding_base_5_is_p_minus_2_to_p_plus_2():
    """The same table with base 5: b is published as 15 (13..17), the total as 20 (18..22),
    so a lies in 18 - 17 .. 22 - 13 = 1..9."""
    t = pd.DataFrame({"g": ["a", "b", "totaal"], "n": [3, 17, 20]})
    res = es.disclosure_control(t, by="g", total="totaal", rounding_base=5, secondary=False)
    assert _col(res, "n") == [None, 15, 20]
    a = res.audit.set_index("row").loc["a"]
    assert (a["lower"], a["upper"], a["passed"]) == (1.0, 9.0, False)


@pytest.mark.parametrize("base", [5, 10])
def test_secondary_suppression_protects_the_even_and_odd_base_table(base):
    """With secondary suppression b is hidden too; a and b then lie anywhere in 0..total."""
    t = pd.DataFrame({"g": ["a", "b", "totaal"], "n": [3, 17, 20]})
    res = es.disclosure_control(t, by="g", total="totaal", rounding_base=base)
    assert res.mask["n"].tolist() == ["primary", "secondary", ""]
    upper = {5: 22.0, 10: 24.0}[base]  # the total's rounding interval 18..22 / 15..24
    assert res.audit["upper"].tolist() == [upper, upper] and res.passed


# -- SEC-D3: complements: the smallest inner cell, totals last -----------------------------------
def test_complement_tie_between_inner_cell_and_total_hides_the_inner_cell():
    """n_x: a = 0 (primary), b = 20, total = 20.  b and the total are equally small; the
    documented rule takes inner cells before totals, also with the total row listed first."""
    t = pd.DataFrame({"g": ["totaal", "a", "b"], "n": [70, 30, 40], "n_x": [20, 0, 20]})
    res = es.disclosure_control(t, by="g", counts=["n_x"], total="totaal")
    assert res.mask["n_x"].tolist() == ["", "primary", "secondary"]
    assert _col(res, "n_x") == [20, None, None]
    assert _col(res, "n") == [70, 30, 40] and res.passed


def test_complement_is_the_smallest_inner_cell():
    # n_x: a = 4 (primary); b = 21 and c = 20: c is the smaller, so c is the complement
    t = pd.DataFrame({"g": ["a", "b", "c", "totaal"], "n": [30, 40, 40, 110],
                      "n_x": [4, 21, 20, 45]})
    res = es.disclosure_control(t, by="g", counts=["n_x"], total="totaal")
    assert res.mask["n_x"].tolist() == ["primary", "", "secondary", ""]


# -- SEC-D1 and SEC-D4 at their thresholds -------------------------------------------------------
def test_percentage_and_statistic_need_a_denominator_of_at_least_the_threshold():
    # the denominator n_complete: 9 (below), 10 (at), 11 (above); n_rec = n_complete
    # (100 %, shown: attribute_n = 10 here, so that only the threshold rule applies)
    t = pd.DataFrame({"g": ["a", "b", "c"], "n": [40, 40, 40], "n_complete": [9, 10, 11],
                      "n_rec": [9, 10, 11], "est": [0.5, 0.5, 0.5]})
    res = es.disclosure_control(t, by="g", counts=["n_complete", "n_rec"],
                                percentages={"pct_rec": ("n_rec", "n_complete")},
                                statistics=["est"], rounding_base=None, attribute_n=10)
    assert _col(res, "n_complete") == [None, 10, 11]
    assert _col(res, "pct_rec") == [None, 100.0, 100.0]
    assert _col(res, "est") == [0.5, 0.5, 0.5]  # statistics follow the row's n (40)


@pytest.mark.parametrize(("n", "k", "hidden"), [
    (19, 19, True),    # 100 % of a group of 19 < attribute_n 20
    (20, 20, False),   # 100 % of 20 clients: shown
    (19, 18, True),    # 18/19 rounds to 20/20 = 100 % published: hidden as well
    (20, 18, False),   # 20/20 after rounding, but the group has 20 clients
])
def test_zero_or_hundred_percent_hidden_below_attribute_n(n, k, hidden):
    t = pd.DataFrame({"g": ["a", "b"], "n": [n, 50], "n_rec": [k, 25]})
    res = es.disclosure_control(t, by="g", counts=["n_rec"], attribute_n=20,
                                percentages={"pct_rec": ("n_rec", "n")})
    assert (res.mask.loc[0, "n_rec"] == "attribute") == hidden
    assert (_col(res, "pct_rec")[0] is None) == hidden


def test_threshold_and_rounding_base_limits():
    t = pd.DataFrame({"g": ["a"], "n": [12]})
    es.disclosure_control(t, by="g", threshold=5, rounding_base=5)    # the lowest threshold
    es.disclosure_control(t, by="g", threshold=10, rounding_base=10)  # base = threshold
    with pytest.raises(ArgumentError, match="threshold"):
        es.disclosure_control(t, by="g", threshold=4)
    with pytest.raises(ArgumentError, match="rounding_base"):
        es.disclosure_control(t, by="g", threshold=10, rounding_base=11)
