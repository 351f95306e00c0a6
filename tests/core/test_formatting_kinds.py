"""One rule per kind of quantity: shares as percentages, whole df and counts without decimals,
p-values in APA form, grades with one decimal (issue 16: "Percentage" holding 0.5, df "198.0",
p "0.00", a grade "8,19" in a table and "8,2" in the text)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.errors import ArgumentError
from effectstudy.core.formatting import KIND_DIGITS, column_kind, frame, quantity, register_kinds


@pytest.mark.parametrize(("name", "kind"), [
    ("p", "p"), ("p_adjusted", "p"), ("wilcoxon_p", "p"), ("pre", "statistic"),
    ("n", "count"), ("n_no_outcome", "count"), ("k", "count"), ("wilcoxon_v", "count"),
    ("df", "df"), ("proportion", "share"), ("proportion_closed", "share"), ("rate", "share"),
    ("share_beyond", "share"), ("share_beyond_ci_low", "share"), ("response_rate", "share"),
    ("graded_share", "share"), ("grade_mean", "grade"), ("estimate", "statistic"),
    ("mean_pre", "statistic"), ("spearman_rho", "statistic"),
])
def test_the_name_tells_the_kind(name, kind):
    assert column_kind(name) == kind


def test_a_confidence_limit_takes_the_kind_of_its_estimate():
    t = pd.DataFrame({"category": ["recovered"], "n": [8], "proportion": [0.0402], "ci_low": [0.0205],
                      "ci_high": [0.0773], "estimate": [-0.7457], "ci_low2": [0.1]})
    t = t.rename(columns={"ci_low2": "ci_low"})
    shown = frame(t, "nl")
    assert shown.iloc[0].tolist() == ["recovered", "8", "4%", "2%", "8%", "-0,75", "0,10"]
    # after a p-value a limit is a statistic again, never a p-value
    assert frame(pd.DataFrame({"p": [0.2], "ci_low": [0.5]}), "en").iloc[0].tolist() == [".200", "0.50"]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_shares_print_as_percentages_never_as_fractions(lang):
    shown = frame(pd.DataFrame({"rate": [0.5], "share_female": [0.654], "proportion": [np.nan]}), lang)
    assert shown.iloc[0].tolist() == ["50%", "65%", "–"]


def test_whole_df_prints_as_an_integer_and_welch_df_with_two_decimals():
    shown = frame(pd.DataFrame({"df": [198.0, 115.97702], "t": [-14.0702, 2.0]}), "nl")
    assert shown["df"].tolist() == ["198", "115,98"]
    assert shown["t"].tolist() == ["-14,07", "2,00"]
    assert quantity(198.0, "df", "en") == "198" and quantity(12.345, "df", "en") == "12.35"


def test_whole_statistics_print_without_decimals_and_tied_ranks_with_one():
    shown = frame(pd.DataFrame({"wilcoxon_v": [1668.0, 7.5], "window_start": [3.0, 2.0]}), "nl")
    assert shown["wilcoxon_v"].tolist() == ["1668", "7,5"]
    assert shown["window_start"].tolist() == ["3", "2"]


@pytest.mark.parametrize(("lang", "expected"), [("nl", ["< ,001", ",038", "> ,999"]),
                                                ("en", ["< .001", ".038", "> .999"])])
def test_p_columns_by_name_use_the_apa_form(lang, expected):
    for name in ("p", "wilcoxon_p", "p_adjusted"):
        assert frame(pd.DataFrame({name: [1e-24, 0.0381, 0.99999]}), lang)[name].tolist() == expected


def test_a_grade_has_one_decimal_in_a_table_and_in_a_text():
    assert frame(pd.DataFrame({"grade_mean": [8.19]}), "nl").iloc[0, 0] == quantity(8.19, "grade", "nl") == "8,2"
    assert KIND_DIGITS["grade"] == 1


def test_booleans_print_as_words_of_the_language():
    t = pd.DataFrame({"current": [True, False]})
    assert frame(t, "nl")["current"].tolist() == ["ja", "nee"]
    assert frame(t, "en")["current"].tolist() == ["yes", "no"]


def test_a_table_may_declare_its_kinds():
    t = pd.DataFrame({"category": ["recovered"], "observed": [0.0282], "mi": [0.0509]})
    t.attrs["kinds"] = {"*": "share"}
    assert frame(t, "en").iloc[0].tolist() == ["recovered", "3%", "5%"]
    t.attrs["kinds"] = {"mi": "statistic"}
    assert frame(t, "en").iloc[0].tolist() == ["recovered", "0.03", "0.05"]


def test_unknown_kinds_are_refused_by_name():
    with pytest.raises(ArgumentError, match="kind: got 'colour'"):
        quantity(1.0, "colour")
    with pytest.raises(ArgumentError, match="kinds: got 'colour'"):
        register_kinds({"x": "colour"})
