"""ValidationReport: flow accounting, fatal handling, messages, serialisation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.errors import ValidationError
from effectstudy.core.schema import EPISODES, MEASUREMENTS
from effectstudy.data.validate import (
    PROBLEM_COLUMNS,
    TableAccount,
    ValidationReport,
    check_table,
    concat_problems,
    identifiers_shown,
    problems_frame,
)


def _report(problems, n=5, fatal=False):
    return ValidationReport.from_tables(
        {"episodes": TableAccount("e.csv", rows_read=n, lines=np.arange(2, n + 2), fatal=fatal)}, problems)


def test_problems_frame_columns_and_broadcast():
    p = problems_frame("e.csv", [2, 3], "sessions", ["x", 7.0], "not_a_number", "a whole number", "error")
    assert tuple(p.columns) == PROBLEM_COLUMNS
    assert p["value"].tolist() == ["x", "7"] and p["row"].dtype == "Int64"
    with pytest.raises(ValueError, match="severity"):
        problems_frame("e.csv", [2], "c", "v", "r", "e", "bad")


def test_row_with_several_errors_is_excluded_once_under_its_first_rule():
    p = concat_problems([
        problems_frame("e.csv", [3], "start_date", "x", "date_format", "a date", "error"),
        problems_frame("e.csv", [3, 4], "sessions", "y", "not_a_number", "a number", "error"),
        problems_frame("e.csv", [5], "item_*", 2, "straight_lining", "varied", "warning"),
    ])
    r = _report(p)
    fl = r.flow()
    assert fl["n"].sum() == 5
    assert fl.set_index("reason")["n"].to_dict() == {"": 3, "date_format": 1, "not_a_number": 1}
    assert r.excluded["row"].tolist() == [3, 4]
    assert not r.fatal
    r.raise_if_fatal()  # no error


def test_fatal_table_excludes_every_row_and_raises_with_first_problems_and_total():
    p = problems_frame("e.csv", list(range(2, 15)), "", "2 fields", "ragged_row", "6 fields", "fatal")
    r = _report(p, n=13, fatal=True)
    assert r.flow()[["status", "reason", "n"]].values.tolist() == [["used", "", 0], ["excluded", "fatal", 13]]
    with pytest.raises(ValidationError) as exc:
        r.raise_if_fatal(first=3)
    msg = str(exc.value)
    assert "13 fatal problem(s)" in msg and "e.csv:2: ragged_row: found '2 fields', expected 6 fields" in msg
    assert "... and 10 more" in msg
    assert exc.value.problems is r.problems


def test_repr_html_and_dict_are_readable_and_json():
    p = problems_frame("e.csv", [3], "start_date", "31-02-2024", "date_format", "a date", "error")
    r = _report(p)
    text = repr(r)
    assert text.startswith("ValidationReport (ok)") and "e.csv:3 start_date: date_format" in text
    assert "<table" in r._repr_html_() and "Row flow" in r._repr_html_()
    d = r.to_dict()
    json.dumps(d)
    assert d["rows_read"] == {"episodes": 5} and d["n_problems"]["error"] == 1
    assert "31-02-2024" not in json.dumps(d)  # cell values stay out of the JSON summary


def test_values_are_cut_to_40_characters():
    with identifiers_shown():
        p = problems_frame("e.csv", [2], "diagnosis", "x" * 100, "not_allowed", "y", "error")
    assert len(p["value"].iloc[0]) == 40


def test_check_table_ranges_and_required_values():
    df = pd.DataFrame({"episode_id": ["E1", None, "E3"], "client_id": ["C1", "C2", "C3"],
                       "start_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"]),
                       "sessions": pd.array([3, 700, None], dtype="Int64")})
    p = check_table(df, EPISODES, file="e.csv", lines=np.array([2, 3, 4]), today="2025-01-01")
    assert p[["row", "column", "rule"]].values.tolist() == [[3, "episode_id", "missing_value"],
                                                            [3, "sessions", "out_of_range"]]
    assert p["expected"].iloc[1] == "a number from 0 to 500"


def test_check_table_duplicates_only_among_rows_without_errors():
    df = pd.DataFrame({"client_id": ["C1", "C1", "C1"], "instrument": ["gad7"] * 3,
                       "date": pd.to_datetime(["2024-01-01"] * 3), "item_1": [1.0, 1.0, 9.0]})
    p = check_table(df, MEASUREMENTS, file="m.csv", lines=np.array([2, 3, 4]), today="2025-01-01")
    # row 4 is out of range, so it is not a conflict; rows 2 and 3 are exact copies
    assert p[["row", "rule"]].values.tolist() == [[4, "out_of_range"], [3, "duplicate_exact"]]
