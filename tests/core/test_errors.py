"""DataError never quotes an identifier (Privacy & integrity VAL-5) and still names file, row, column."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.errors import IDENTIFYING_COLUMNS, NOT_SHOWN, DataError

JAN = "Jan Jansen 06-12345678"


@pytest.mark.parametrize("column", sorted(IDENTIFYING_COLUMNS) + ["client_id, instrument, date"])
def test_values_of_identifying_columns_are_not_shown(column):
    e = DataError("bad", file="e.csv", row=4, column=column, value=JAN, expected="x")
    assert str(e) == f"e.csv:4 {column}: bad: found {NOT_SHOWN}, expected x"
    assert e.value == JAN  # kept for the caller's own code, never in the text


@pytest.mark.parametrize("value", [pd.Timestamp("2024-03-01"), np.datetime64("2024-03-01"),
                                   dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 12)])
def test_dates_are_not_shown_in_any_column(value):
    assert "2024" not in str(DataError("bad", column="whatever", value=value))


def test_other_values_stay_visible_and_the_caller_can_mark_a_subject_id():
    assert str(DataError("not numeric", row=3, column="score", value="x", expected="a number")) == \
        "row 3 score: not numeric: found 'x', expected a number"
    assert JAN not in str(DataError("dup", column="id", value=JAN, identifying=True))
    assert "found 'e1'" in str(DataError("dup", column="episode_id", value="e1", identifying=False))


def test_a_row_label_that_is_an_id_is_not_shown_but_row_numbers_are():
    assert JAN not in str(DataError("bad", row=JAN, column="score", value=1))
    assert str(DataError("bad", file="f.csv", row="C7", column="score", value=1)).startswith(f"f.csv row {NOT_SHOWN}")
    assert str(DataError("bad", row=np.int64(7), column="score", value=1)).startswith("row 7 score")
