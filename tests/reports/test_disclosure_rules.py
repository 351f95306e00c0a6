"""Rules of es.disclosure_control pinned at the input that makes each one matter (issue 21,
mutation testing): which complement is chosen, what the audit may assume, the edges of the
rounding intervals, earlier tables read back from results.json, and the input checks.

Every expected table and interval is worked out by hand in the comments.  Half-up rounding
with base b: a published p stands for the true values p - floor(b/2) .. p + ceil(b/2) - 1
(base 5: p - 2 .. p + 2; base 10: p - 5 .. p + 4; base 2: p - 1 .. p), and a published count
is at least the threshold (10).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError
from effectstudy.reports import disclosure as dc


def _col(res, name):
    return [None if pd.isna(v) else v for v in res.published[name]]


def _interval(res, row, column, table="current"):
    a = res.audit.set_index(["table", "row", "column"])
    return a.loc[(table, row, column), ["lower", "upper"]].tolist()


# -- SEC-D2: rounding bases 1 and 2; the audit's rounding intervals ------------------------------
def test_rounding_base_1_publishes_exact_counts_and_base_2_rounds_half_up():
    t = pd.DataFrame({"g": ["a", "b", "c"], "n": [11, 13, 20]})
    assert _col(es.disclosure_control(t, by="g", rounding_base=1), "n") == [11, 13, 20]
    # base 2: 11 and 13 are halves, they go up; 20 stays
    assert _col(es.disclosure_control(t, by="g", rounding_base=2), "n") == [12, 14, 20]


def test_audit_interval_with_rounding_base_2_is_p_minus_1_to_p():
    """a = 3 hidden, b = 20 published as 20 (true 19..20), total 23 published as 24 (true
    23..24): a = total - b lies in 23 - 20 .. 24 - 19 = 3..5."""
    t = pd.DataFrame({"g": ["a", "b", "totaal"], "n": [3, 20, 23]})
    res = es.disclosure_control(t, by="g", total="totaal", rounding_base=2, secondary=False)
    assert _col(res, "n") == [None, 20, 24]
    assert _interval(res, "a", "n") == [3, 5]


@pytest.mark.parametrize(("base", "n", "shown", "interval"), [
    # base 5: b, c 20 -> 20 (18..22 each), total 43 -> 45 (43..47):
    # a = total - b - c in max(0, 43 - 44) .. 47 - 36 = 0..11 (the lower halves of b and c)
    (5, [3, 20, 20, 43], [None, 20, 20, 45], [0, 11]),
    # base 10: b, c 24 -> 20 (15..24 each), total 57 -> 60 (55..64):
    # a in 55 - 48 .. 64 - 30 = 7..34 (the upper halves of b and c)
    (10, [9, 24, 24, 57], [None, 20, 20, 60], [7, 34]),
])
def test_audit_adds_the_rounding_intervals_of_several_published_cells(base, n, shown, interval):
    t = pd.DataFrame({"g": ["a", "b", "c", "totaal"], "n": n})
    res = es.disclosure_control(t, by="g", total="totaal", rounding_base=base, secondary=False)
    assert _col(res, "n") == shown
    assert _interval(res, "a", "n") == interval


# -- SEC-D3: the audit's bounds: count <= n, widths at the threshold -------------------------------
SUBSETS = pd.DataFrame({"g": ["a", "b"], "n": [40, 40], "n_rec": [3, 20], "n_post": [30, 30],
                        "n_x": [12, 4]})
SUBSET_ARGS = dict(by="g", counts=["n_rec", "n_post", "n_x"],
                   percentages={"pct_x": ("n_x", "n_post")})


def test_audit_bounds_a_hidden_count_by_its_group_n_and_by_its_denominator():
    """n = 40 -> 40 (38..42), n_post = 30 -> 30 (28..32).  a's hidden n_rec is a count of
    the group, so 0..42; b's hidden n_x is the numerator of a percentage of n_post, so
    0..32.  The same holds for the table read back as an earlier year's table."""
    last = es.disclosure_control(SUBSETS, **SUBSET_ARGS)
    assert last.mask[["n_rec", "n_x"]].values.tolist() == [["primary", ""], ["", "primary"]]
    assert _interval(last, "a", "n_rec") == [0, 42]
    assert _interval(last, "b", "n_x") == [0, 32]
    # next year: other groups; last year's cells are audited with last year's own rules
    now = es.disclosure_control(SUBSETS.assign(g=["c", "d"], n_rec=[20, 20], n_x=[12, 12]),
                                previous=[json.loads(json.dumps(last.to_dict()))],
                                **SUBSET_ARGS)
    assert _interval(now, "a", "n_rec", "previous[0]") == [0, 42]
    assert _interval(now, "b", "n_x", "previous[0]") == [0, 32]


def test_audit_passes_a_width_of_exactly_the_threshold():
    """a = 3 and b = 7 are hidden, the total 10 is published: each lies in 0..10, a width
    of 10 = the threshold, which passes (no further cell hidden)."""
    t = pd.DataFrame({"g": ["a", "b", "totaal"], "n": [3, 7, 10]})
    res = es.disclosure_control(t, by="g", total="totaal", rounding_base=None)
    assert res.mask["n"].tolist() == ["primary", "primary", ""]
    assert res.audit["width"].tolist() == [10, 10] and res.passed


def test_failed_audit_is_failed_when_other_cells_pass():
    """secondary=False: a's n_rec = 28 - 25 = 3 exactly (fails); the two hidden n_x cells
    add up to 12 and each lies in 0..12 (pass).  One failing cell fails the table."""
    t = pd.DataFrame({"g": ["a", "b", "totaal"], "n": [30, 40, 70], "n_rec": [3, 25, 28],
                      "n_x": [4, 8, 12]})
    res = es.disclosure_control(t, by="g", counts=["n_rec", "n_x"], total="totaal",
                                rounding_base=None, secondary=False)
    assert res.audit["passed"].tolist() == [False, True, True]
    assert not res.passed and res.meta["audit_passed"] is False
    with pytest.raises(dc.DisclosureError, match="the disclosure audit failed"):
        res.to_dict()


def test_a_result_without_an_audit_is_not_publishable():
    empty = dc.DisclosureResult()
    assert empty.passed is False
    with pytest.raises(dc.DisclosureError, match="the disclosure audit failed"):
        empty.to_dict()


def test_unprotectable_table_message_names_at_most_five_cells():
    """Last year published 2025's n and five counts (18 and 15s); this year they are 8 and
    5s: six cells that the earlier report pins down.  The message shows the first five."""
    counts = [f"c{i}" for i in range(1, 6)]
    last = pd.DataFrame({"year": [2024, 2025, "t"], "n": [14, 18, 32],
                         **{c: [12, 15, 27] for c in counts}})
    now = pd.DataFrame({"year": [2024, 2025, "t"], "n": [14, 8, 22],
                        **{c: [12, 5, 17] for c in counts}})
    prev = es.disclosure_control(last, by="year", counts=counts, total="t", rounding_base=None)
    with pytest.raises(dc.DisclosureError) as e:
        es.disclosure_control(now, by="year", counts=counts, total="t", rounding_base=None,
                              previous=[prev])
    msg = str(e.value)
    assert msg.count("current '2025'/") == 5
    assert "'2025'/n [18, 18]" in msg and "'2025'/c4 [15, 15]" in msg and "/c5" not in msg


def test_audit_takes_a_structural_zero_as_exactly_zero():
    """n_rec: a = 5 (primary), b = 11 (complement, its n 14 published), c = 0 by definition,
    total 16: a = 16 - b - c >= 16 - 14 - 0 = 2, so a lies in 2..16 and b in 0..14."""
    t = pd.DataFrame({"g": ["a", "b", "c", "totaal"], "n": [30, 14, 20, 64],
                      "n_rec": [5, 11, 0, 16]})
    res = es.disclosure_control(t, by="g", counts=["n_rec"], total="totaal", rounding_base=None,
                                structural_zeros=[("c", "n_rec")])
    assert res.mask["n_rec"].tolist() == ["primary", "secondary", "structural_zero", ""]
    assert _interval(res, "a", "n_rec") == [2, 16]
    assert _interval(res, "b", "n_rec") == [0, 14]


def test_audit_bounds_are_whole_numbers_of_clients_also_where_the_lp_bound_is_whole():
    """w = n, n = y + z and y = z (declared parts): n is even.  w is published as 15
    (true 13..17), so the LP says n in 13..17, both ends whole numbers; but n = 2z, so a
    reader knows n is 14 or 16 (and y = z = 7 or 8)."""
    grid = dc._Grid([("g",)], ["w", "n", "y", "z"], None, None, False,
                    [(0, [1]), (1, [2, 3]), (2, [3])], [])
    inf = float("inf")
    known = dc._Known(grid, np.array([[13.0, 0, 0, 0]]), np.array([[17.0, inf, inf, inf]]),
                      np.array([[False, True, True, True]]), "current")
    audit, _, _, _ = dc._audit([known], 10)
    assert audit[["column", "lower", "upper"]].values.tolist() == [
        ["n", 14, 16], ["y", 7, 8], ["z", 7, 8]]


# -- SEC-D3: complements: inner cells before totals and margins; whole rows --------------------
def test_complement_tie_in_the_n_column_hides_the_group_not_the_total():
    """n: a = 0 (primary), b = 40, total = 40: equally small, the inner cell goes."""
    t = pd.DataFrame({"g": ["totaal", "a", "b"], "n": [40, 0, 40]})
    res = es.disclosure_control(t, by="g", total="totaal")
    assert res.mask["n"].tolist() == ["", "primary", "secondary"]
    assert _col(res, "n") == [40, None, None]


def test_complement_tie_in_a_crosstab_row_hides_the_inner_cell_not_the_margin():
    """Margin column first.  Column x: b/x = 0 (primary) -> a/x (30, before the margin
    row's 30); row a: a/y (20 < margin 50); row b: b/y = 25 ties with b's margin 25, and
    the inner cell goes."""
    ct = pd.DataFrame({"T": [50, 25, 75], "x": [30, 0, 30], "y": [20, 25, 45]},
                      index=["a", "b", "T"])
    res = es.disclosure_control(ct, layout="crosstab", total="T", rounding_base=None)
    assert res.mask.loc["b"].tolist() == ["", "primary", "secondary"]
    assert res.mask.loc["a"].tolist() == ["", "secondary", "secondary"]
    assert res.passed


def test_crosstab_margin_complement_hides_only_that_cell():
    """Row a (3, 4, margin 7) is primary.  Column x: b/x (20 < 25); column y: c/y (15 < 30);
    margin column: c's margin (40 < 50, margins only); row b: b/y.  Row c keeps c/x = 25
    published: in a crosstab a hidden margin does not hide its row."""
    ct = pd.DataFrame({"x": [3, 20, 25], "y": [4, 30, 15]}, index=["a", "b", "c"])
    ct["T"] = ct.sum(axis=1)
    ct.loc["T"] = ct.sum()
    res = es.disclosure_control(ct, layout="crosstab", total="T", rounding_base=None)
    assert res.mask.loc["c"].tolist() == ["", "secondary", "secondary"]
    assert res.mask.loc["b"].tolist() == ["secondary", "secondary", ""]
    assert res.published.loc["c", "x"] == 25


def test_hidden_n_hides_its_row_and_keeps_primary_labels():
    """n: a = 7 (primary) -> b (25, the smallest other group) is hidden, with its whole row:
    b's n_imp (15) becomes "x" while b's n_rec (8) stays hidden too (the same "x").  The columns then hold
    two hidden cells each (n_rec: 3 + 8 = 11, n_imp: 2 + 15 = 17, both >= 10 wide), so
    c's n_imp (11, smaller than 15) stays published."""
    t = pd.DataFrame({"g": ["a", "b", "c", "totaal"], "n": [7, 25, 40, 72],
                      "n_rec": [3, 8, 12, 23], "n_imp": [2, 15, 11, 28]})
    res = es.disclosure_control(t, by="g", counts=["n_rec", "n_imp"], total="totaal",
                                rounding_base=None)
    assert res.mask["n"].tolist() == ["primary", "secondary", "", ""]
    assert res.mask["n_rec"].tolist() == ["primary", "primary", "", ""]
    assert res.mask["n_imp"].tolist() == ["primary", "secondary", "", ""]
    assert res.display.loc[1, ["n", "n_rec", "n_imp"]].tolist() == ["x", "x", "x"]
    assert res.meta["suppressed"] == {"primary": 4, "secondary": 2}
    assert res.passed


def test_every_constraint_with_a_hidden_cell_gets_a_second_one():
    """SEC-D3's margin rule, also where a complement chosen for one constraint leaves a
    single hidden cell in a constraint already looked at.  parts n = rec + imp + non.
    rec: a (3) primary -> b (15); row a: a/imp (20, smallest); row b: b/non (12); then
    column imp (a/imp alone) and column non (b/non alone) need partners too.  With base 5
    the audit alone would pass these columns (each single cell lies in a 12 wide
    interval), so only the rule hides their partners."""
    t = pd.DataFrame({"g": ["a", "b", "c", "totaal"], "n": [50, 57, 75, 182],
                      "rec": [3, 15, 20, 38], "imp": [20, 30, 25, 75], "non": [27, 12, 30, 69]})
    cats = ["rec", "imp", "non"]
    res = es.disclosure_control(t, by="g", counts=cats, parts={"n": cats}, total="totaal")
    hidden = res.mask[["n", *cats]].to_numpy() != ""
    # (the audit of rounded counts hides the n of a and of the total too: the sums of
    # rounded parts narrow them below their rounding interval)
    for j in range(4):                                   # columns: none or at least two
        assert hidden[:, j].sum() != 1, cats[j - 1]
    for i in range(4):                                   # rows (n = parts): idem
        assert hidden[i].sum() != 1, i
    assert res.mask.loc[0, cats].tolist() == ["primary", "secondary", "secondary"]
    assert res.passed


def test_complement_for_a_failing_cell_comes_from_its_own_constraints():
    """Row b: 3 + 4 (primary) + 11; the margin rule hides partners in columns x and y, but
    b/x + b/y = 18 - 11 = 7 stays narrower than 10, so the audit asks for a third cell of
    row b or of columns x, y: b/z (11).  d/z (10) is smaller but in no constraint with b/x
    or b/y, so row d stays published."""
    ct = pd.DataFrame({"x": [30, 3, 25, 40], "y": [28, 4, 30, 40], "z": [26, 11, 27, 10]},
                      index=["a", "b", "c", "d"])
    ct["T"] = ct.sum(axis=1)
    ct.loc["T"] = ct.sum()
    res = es.disclosure_control(ct, layout="crosstab", total="T", rounding_base=None)
    assert res.mask.loc["b"].tolist() == ["primary", "primary", "secondary", ""]
    assert res.mask.loc["d"].tolist() == ["", "", "", ""]
    assert res.passed


def test_structural_zero_in_a_small_group_stays_a_published_zero():
    t = pd.DataFrame({"g": ["a", "b"], "n": [6, 30], "n_rec": [0, 12]})
    res = es.disclosure_control(t, by="g", counts=["n_rec"], structural_zeros=[("a", "n_rec")])
    assert res.mask.loc[0].tolist() == ["a", "primary", "structural_zero"]
    assert res.display.loc[0].tolist() == ["a", "x", "0"]


# -- SEC-D4 in crosstabs and with a denominator other than n ------------------------------------
def test_hundred_percent_of_a_small_crosstab_row_is_hidden():
    """Row b: 15 of its 15 clients in x (100 %, row < 20), y = 0 (primary)."""
    ct = pd.DataFrame({"x": [15, 30], "y": [0, 25]}, index=["b", "c"])
    ct["T"] = ct.sum(axis=1)
    res = es.disclosure_control(ct, layout="crosstab", total="T", rounding_base=None)
    assert res.mask.loc["b"].tolist() == ["attribute", "primary", ""]


def test_hundred_percent_of_a_small_denominator_other_than_n_is_hidden():
    """n_rec = n_post = 15: 100 % of 15 < 20 clients, although n (40) is large."""
    t = pd.DataFrame({"g": ["a", "b"], "n": [40, 40], "n_post": [15, 30], "n_rec": [15, 12]})
    res = es.disclosure_control(t, by="g", counts=["n_post", "n_rec"],
                                percentages={"pct": ("n_rec", "n_post")}, rounding_base=None)
    assert res.mask["n_rec"].tolist() == ["attribute", ""]
    assert _col(res, "pct") == [None, 40]


# -- earlier years ------------------------------------------------------------------------------
def test_earlier_table_with_two_label_columns_constrains_this_years_cells():
    """Total rows given as dicts over two label columns.  Last year: 2023 + 2024 = 33 with
    2024 (8) primary and 2023 hidden with it.  This year 2024 + 2025 = 38.  2024 lies in
    0..33 (last year's total), 2025 = 38 - 2024 in 5..38."""
    by = ["year", "scope"]
    last = es.disclosure_control(
        pd.DataFrame({"year": [2023, 2024, "2023-2024"], "scope": ["all"] * 3,
                      "n": [25, 8, 33]}),
        by=by, total={"year": "2023-2024", "scope": "all"}, rounding_base=None)
    assert last.mask["n"].tolist() == ["secondary", "primary", ""]
    now = es.disclosure_control(
        pd.DataFrame({"year": [2024, 2025, "2024-2025"], "scope": ["all"] * 3,
                      "n": [8, 30, 38]}),
        by=by, total={"year": "2024-2025", "scope": "all"}, rounding_base=None,
        previous=[json.loads(json.dumps(last.to_dict()))])
    assert now.mask["n"].tolist() == ["primary", "secondary", ""]
    assert _interval(now, "2024 | all", "n") == [0, 33]
    assert _interval(now, "2025 | all", "n") == [5, 38]


CT = pd.DataFrame({"recovered": [20, 3, 12, 35], "improved": [15, 9, 14, 38],
                   "unchanged": [11, 12, 10, 33], "totaal": [46, 24, 36, 106]},
                  index=pd.Index(["depressie", "angst", "ptss", "totaal"], name="diagnosis"))
OTHER = pd.DataFrame({"recovered": [20, 25, 45], "improved": [30, 15, 45],
                      "unchanged": [10, 10, 20], "totaal": [60, 50, 110]},
                     index=pd.Index(["eetstoornis", "adhd", "totaal"], name="diagnosis"))


def test_earlier_crosstab_is_audited_with_its_row_and_column_margins():
    """Last year's CT (intervals by hand in test_disclosure.py: angst/recovered 0..12, ptss/
    recovered 3..15, ...) need both its row and its column margins; this year's table has
    other groups, so these intervals come from last year's table alone."""
    last = es.disclosure_control(CT, layout="crosstab", total="totaal", rounding_base=None)
    now = es.disclosure_control(OTHER, layout="crosstab", total="totaal", rounding_base=None,
                                previous=[json.loads(json.dumps(last.to_dict()))])
    assert _interval(now, "angst", "recovered", "previous[0]") == [0, 12]
    assert _interval(now, "angst", "improved", "previous[0]") == [0, 12]
    assert _interval(now, "ptss", "recovered", "previous[0]") == [3, 15]
    assert _interval(now, "ptss", "improved", "previous[0]") == [11, 23]


def test_earlier_crosstab_with_only_a_margin_row_is_accepted():
    ct = CT.drop(columns="totaal")
    last = es.disclosure_control(ct, layout="crosstab", total="totaal")
    now = es.disclosure_control(ct, layout="crosstab", total="totaal", previous=[last])
    assert now.mask.equals(last.mask) and now.passed


@pytest.mark.parametrize("layout", ["groups", "crosstab"])
def test_earlier_table_stored_without_its_mask_is_accepted(layout):
    if layout == "crosstab":
        args = dict(layout="crosstab", total="totaal")
        table = CT
    else:
        args = dict(by="g", total="t")
        table = pd.DataFrame({"g": ["a", "b", "c", "t"], "n": [40, 7, 25, 72]})
    last = es.disclosure_control(table, **args)
    stored = json.loads(json.dumps(last.to_dict()))
    del stored["mask"]
    now = es.disclosure_control(table, previous=stored, **args)
    assert now.mask.equals(last.mask) and now.passed


def test_earlier_structural_zero_is_read_back_as_a_zero():
    t = pd.DataFrame({"care": ["basis", "specialistisch", "nieuw"], "n": [35, 22, 0],
                      "n_rec": [12, 10, 0]})
    args = dict(by="care", counts=["n_rec"], structural_zeros=[("nieuw", "n")])
    last = es.disclosure_control(t, **args)
    now = es.disclosure_control(t, previous=[json.loads(json.dumps(last.to_dict()))], **args)
    assert now.mask.equals(last.mask) and now.passed
    assert _col(now, "n") == [35, 20, 0]


def test_contradiction_with_an_earlier_table_names_only_the_contradicting_cell():
    """2024 was 14 last year and is 20 now; 2025 (20) and the totals are consistent."""
    last = es.disclosure_control(pd.DataFrame({"year": [2023, 2024, "t"], "n": [30, 14, 44]}),
                                 by="year", total="t", rounding_base=None)
    with pytest.raises(DataError, match=r"same cells \[\('cell', \(2024,\), 'n'\)\];"):
        es.disclosure_control(pd.DataFrame({"year": [2025, 2024, "t"], "n": [20, 20, 40]}),
                              by="year", total="t", rounding_base=None, previous=[last])


# -- publishable output ----------------------------------------------------------------------------
def test_to_dict_writes_counts_and_percentages_as_integers_and_statistics_as_floats():
    t = pd.DataFrame({"g": ["a", "b"], "n": [42, 30], "n_rec": [17, 12], "est": [1.0, 0.5]})
    d = es.disclosure_control(t, by="g", counts=["n_rec"], statistics=["est"],
                              percentages={"pct": ("n_rec", "n")}).to_dict()
    # a: 42 -> 40, 17 -> 15, 15 / 40 = 37.5 % -> 38 %
    assert json.dumps(d["published"][0]) == ('{"g": "a", "n": 40, "n_rec": 15, "pct": 38, '
                                             '"est": 1.0}')


def test_crosstab_row_label_is_the_index_name_or_group():
    d = es.disclosure_control(CT, layout="crosstab", total="totaal").to_dict()
    assert d["meta"]["row_label"] == "diagnosis"
    assert d["published"][0]["diagnosis"] == "depressie"
    d = es.disclosure_control(CT.rename_axis(None), layout="crosstab", total="totaal").to_dict()
    assert d["meta"]["row_label"] == "group"
    assert d["published"][0]["group"] == "depressie"


def test_published_table_has_the_input_columns_and_a_fresh_index():
    t = pd.DataFrame({"g": ["a", "b"], "n": [42, 30]}, index=[7, 9])
    res = es.disclosure_control(t, by="g")
    for frame in (res.published, res.mask):
        assert list(frame.columns) == ["g", "n"] and frame.index.tolist() == [0, 1]


# -- input checks ------------------------------------------------------------------------------------
T = pd.DataFrame({"g": ["a", "b", "totaal"], "n": [30, 20, 50], "n_rec": [12, 10, 22]})


@pytest.mark.parametrize(("kwargs", "exc", "message"), [
    (dict(previous="last year"), ArgumentTypeError,
     "previous: got str 'last year', expected a list of earlier results"),
    (dict(previous=2024), ArgumentTypeError, "previous: got int 2024, expected a list"),
    (dict(previous={"year": 2024}), ArgumentTypeError, "previous[0]: got dict"),
    (dict(structural_zeros="a"), ArgumentTypeError,
     "structural_zeros: got str 'a', expected a list of (row, column) pairs"),
    (dict(structural_zeros=7), ArgumentTypeError,
     "structural_zeros: got int 7, expected a list of (row, column) pairs"),
    (dict(structural_zeros=[("a", "n_rec", 0)]), ArgumentError,
     "structural_zeros: got ('a', 'n_rec', 0), expected a (row, column) pair"),
    (dict(parts={"n": ["n_rec", "n_bogus"]}), ArgumentError,
     "parts['n']: got ['n_rec', 'n_bogus'], expected count columns among ['n', 'n_rec']"),
    (dict(parts={"n_rec": ["n_rec"]}), ArgumentError,
     "parts['n_rec']: got ['n_rec'], expected count columns"),
    (dict(parts={"n_bogus": ["n_rec"]}), ArgumentError,
     "parts['n_bogus']: got ['n_rec'], expected count columns"),
    (dict(total={"g": "totaal", "care": "x"}), ArgumentError,
     "total: got {'g': 'totaal', 'care': 'x'}, expected a label or a dict over the by"),
])
def test_argument_checks(kwargs, exc, message):
    args = dict(by="g", counts=["n_rec"], total="totaal")
    args.update(kwargs)
    with pytest.raises(exc) as e:
        es.disclosure_control(T, **args)
    assert str(e.value).startswith(message), str(e.value)


@pytest.mark.parametrize(("table", "args", "message"), [
    (T.assign(n_rec=pd.Series([12, "10", 22], dtype=object)), {},
     "n_rec: group 'b': found '10', expected a whole number >= 0"),
    (T.assign(n_rec=pd.Series([12, True, 22], dtype=object)), {},
     "n_rec: group 'b': found True, expected a whole number >= 0"),
    (T.assign(est=["0.5", "0.4", "0.45"]), dict(statistics=["est"]),
     "est: statistics must be numeric"),
    (T.assign(est=[True, False, True]), dict(statistics=["est"]),
     "est: statistics must be numeric: found 'bool'"),
    (pd.concat([T.iloc[:2], T.iloc[1:]]), {}, "g: groups must be unique: found 'b'"),
])
def test_data_checks(table, args, message):
    with pytest.raises(DataError) as e:
        es.disclosure_control(table, by="g", counts=["n_rec"], total="totaal", **args)
    assert str(e.value).startswith(message), str(e.value)


def test_crosstab_labels_must_be_unique_in_rows_and_in_columns():
    with pytest.raises(DataError, match="crosstab: row and column labels must be unique"):
        es.disclosure_control(CT.iloc[[0, 0, 1, 2, 3]], layout="crosstab")
    with pytest.raises(DataError, match="crosstab: row and column labels must be unique"):
        es.disclosure_control(CT.iloc[:, [0, 0, 1, 2, 3]], layout="crosstab")


@pytest.mark.parametrize(("base", "shown", "edited"), [
    # base 5: six groups published as 25 (true 23..27 each: their sum is at least 138) and a
    # total edited to 135 (true 133..137): 138 > 137
    (5, 25, 135),
    # base 10: six groups published as 20 (true 15..24: their sum is at most 144) and a
    # total edited to 150 (true 145..154): 144 < 145
    (10, 20, 150),
])
def test_earlier_table_whose_total_cannot_be_the_sum_of_its_rows_is_refused(base, shown, edited):
    """An edited results.json whose total misses the sum of its groups by one client: no
    whole numbers fit, so the audit refuses instead of auditing against it."""
    rows = [f"g{i}" for i in range(6)]
    last = es.disclosure_control(pd.DataFrame({"g": [*rows, "t"], "n": [shown] * 6 + [6 * shown]}),
                                 by="g", total="t", rounding_base=base)
    stored = json.loads(json.dumps(last.to_dict()))
    assert stored["published"][6] == {"g": "t", "n": 6 * shown}
    stored["published"][6]["n"] = edited
    with pytest.raises(DataError, match="the published cells of this table .and the earlier "
                                        "tables given as `previous`. are inconsistent"):
        es.disclosure_control(pd.DataFrame({"g": ["x", "y", "t"], "n": [5, 30, 35]}), by="g",
                              total="t", rounding_base=base, previous=[stored])
