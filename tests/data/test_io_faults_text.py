"""Faults of the CSV/text reader found by testing (issue 14), each through the public reader.

Every case ends in a clear error (a problem row with its rule, file, line, column and what was
expected; fatal ones raise ``ValidationError``) or in the correct values, and every row read is
used or excluded (rows read = used + excluded).
"""

from __future__ import annotations

import codecs

import pandas as pd
import pytest

import effectstudy as es
from effectstudy.core.params import DataSpec, FileSpec

EP = "episode_id;client_id;start_date;end_date;sessions;consent_study\n"
ROWS = ["E1;C1;03-01-2024;01-03-2024;7;1", "E2;C2;10-01-2024;;4;0", "E3;C3;15-01-2024;20-03-2024;9;1"]
M = "client_id;episode_id;instrument;date;item_1;item_2\n"


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def read(tmp_path, data, table="episodes", show_identifiers=True, **spec):
    p = write(tmp_path, f"{table}.csv", data)
    return es.read_table(FileSpec(path=p, **spec), table, on_fatal="return", today="2025-06-01",
                         show_identifiers=show_identifiers)


def accounted(t):
    """Rows read = used + excluded; the used rows are ``.data``, the excluded ``.rejected``."""
    fl = t.report.flow()
    n = t.report.rows_read[t.table]
    assert fl["n"].sum() == n
    used = int(fl.loc[fl["status"] == "used", "n"].sum())
    assert len(t.data) == used
    if not t.report.fatal:
        assert len(t.rejected) == n - used
    return fl


def problem(t, rule):
    p = t.report.problems[t.report.problems["rule"] == rule]
    assert len(p), f"no problem {rule!r} in\n{t.report.problems}"
    return p


# ------------------------------------------------------------- 1. a lone carriage return in a field
def test_lone_carriage_return_in_an_unquoted_field_excludes_its_row_naming_line_and_column(tmp_path):
    # was: an uncaught pyarrow ArrowInvalid ("Expected 6 columns, got 5")
    text = EP + "E1;C1;03-01-2024;01-03-2024;7\r1;1\n" + "\n".join(ROWS[1:]) + "\n"
    t = read(tmp_path, text)
    p = problem(t, "line_break_in_field")
    assert p[["file", "row", "column", "value", "severity"]].values.tolist() == [
        ["episodes.csv", 2, "sessions", "7\\r1", "error"]]
    assert "carriage return" in p["expected"].iloc[0]
    assert list(t.data.index) == [3, 4] and list(t.data["sessions"]) == [4, 9]
    fl = accounted(t)
    assert fl.loc[fl["status"] == "excluded", "reason"].tolist() == ["line_break_in_field"]


def test_lone_carriage_return_in_an_id_is_an_error_with_the_id_hidden(tmp_path):
    t = read(tmp_path, EP + "E1;C\r1;03-01-2024;01-03-2024;7;1\n" + "\n".join(ROWS[1:]) + "\n",
             show_identifiers=False)
    p = problem(t, "line_break_in_field")
    assert (p["row"].tolist(), p["column"].tolist()) == ([2], ["client_id"])
    assert "C" not in p["value"].iloc[0]  # an identifying value is not shown
    assert len(t.data) == 2
    accounted(t)


def test_lone_carriage_return_in_a_quoted_file_keeps_physical_line_numbers(tmp_path):
    text = (EP + 'E1;"C1";03-01-2024;01-03-2024;7\r;1\r\n' + 'E2;"C\r\n2";10-01-2024;;4;0\r\n'
            + "E3;C3;15-01-2024;20-03-2024;x;1\r\n")
    t = read(tmp_path, text)
    assert problem(t, "line_break_in_field")[["row", "column"]].values.tolist() == [[2, "sessions"]]
    # the quoted \r\n is no lone carriage return; the record after it starts on physical line 5
    assert problem(t, "not_a_number")["row"].tolist() == [5]
    assert list(t.data.index) == [3]
    accounted(t)


def test_lone_carriage_return_beside_a_private_use_character_leaves_that_value_as_found(tmp_path):
    # the quoted path parses with a private-use stand-in for each lone \r: one the file does not hold
    text = EP + 'E1;"C\ue0001";03-01-2024;01-03-2024;7\r;1\n' + "\n".join(ROWS[1:]) + "\n"
    t = read(tmp_path, text)
    assert problem(t, "line_break_in_field")[["row", "column"]].values.tolist() == [[2, "sessions"]]
    assert t.rejected.loc[2, "client_id"] == "C\ue0001"
    accounted(t)


def test_carriage_return_inside_a_column_name_is_named(tmp_path):
    t = read(tmp_path, EP.replace("client_id", "client\r_id") + "\n".join(ROWS) + "\n")
    p = problem(t, "invisible_character")
    assert p[["column", "value"]].values.tolist() == [["'client\\r_id'", "U+000D CARRIAGE RETURN"]]
    assert t.data["client_id"].tolist() == ["C1", "C2", "C3"]
    accounted(t)


def test_crlf_line_ends_are_no_lone_carriage_returns(tmp_path):
    t = read(tmp_path, (EP + "\n".join(ROWS) + "\n").replace("\n", "\r\n"))
    assert len(t.data) == 3 and t.report.problems["severity"].isin(["info"]).all()
    accounted(t)


# ------------------------------------------------------------- 2. numbers too large
@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999", "1e400", "1000000000000000"])
def test_whole_number_beyond_15_digits_is_out_of_range_not_a_crash(tmp_path, value):
    # was: OverflowError (1e400) / TypeError (beyond int64) while making the Int64 column
    t = read(tmp_path, EP + f"E1;C1;03-01-2024;01-03-2024;{value};1\n" + "\n".join(ROWS[1:]) + "\n")
    p = problem(t, "out_of_range")
    assert p[["row", "column", "value", "severity"]].values.tolist() == [[2, "sessions", value, "error"]]
    assert p["expected"].iloc[0] == "a whole number of at most 15 digits"
    assert list(t.data.index) == [3, 4]
    accounted(t)


def test_whole_number_of_15_digits_is_read_and_meets_the_column_range(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-01-2024;01-03-2024;999999999999999;1\n")
    p = problem(t, "out_of_range")
    assert p["value"].tolist() == ["999999999999999"]  # read exactly (not 1e15), then the range check
    assert p["expected"].iloc[0].startswith("a number from 0 to")
    accounted(t)


def test_infinite_item_value_is_out_of_range_and_the_study_still_reads(tmp_path):
    ep = write(tmp_path, "episodes.csv", EP + "\n".join(ROWS) + "\n")
    m = write(tmp_path, "measurements.csv",
              M + "C1;E1;scl90_nl;05-01-2024;1e400;2\nC1;E1;scl90_nl;20-02-2024;1;99999999999999999999\n")
    s = es.read_study(DataSpec(episodes=FileSpec(path=ep), measurements=FileSpec(path=m)),
                      on_fatal="return", today="2025-06-01", show_identifiers=True)
    p = s.report.problems[s.report.problems["rule"] == "out_of_range"]
    assert p[["row", "column", "value"]].values.tolist()[0] == [2, "item_1", "1e400"]
    assert p["expected"].iloc[0] == "a finite number"
    # 1e20 is a finite number: the instrument's item range (1-5) excludes it, as before
    assert s.report.excluded[["row", "reason"]].values.tolist() == [[2, "out_of_range"], [3, "out_of_range"]]
    assert p["column"].tolist() == ["item_1", "item_2"] and len(s.measurements) == 0


# ------------------------------------------------------------- 3. old Mac line endings
def test_old_mac_line_endings_are_read_with_a_note(tmp_path):
    # was: dozens of duplicate_header problems and 0 rows
    t = read(tmp_path, (EP + "\n".join(ROWS) + "\n").replace("\n", "\r"))
    assert t.data["episode_id"].tolist() == ["E1", "E2", "E3"]
    assert t.data["sessions"].tolist() == [7, 4, 9]
    assert t.data["end_date"].iloc[0] == pd.Timestamp("2024-03-01")
    p = problem(t, "line_endings")
    assert p["severity"].tolist() == ["warning"] and p["row"].isna().all()
    assert "\\r" in p["value"].iloc[0] and "line break" in p["expected"].iloc[0]
    accounted(t)


def test_old_mac_line_endings_keep_record_numbers_as_lines(tmp_path):
    t = read(tmp_path, (EP + ROWS[0] + '\n"E2";C2;10-01-2024;;x;0\n' + ROWS[2] + "\n").replace("\n", "\r"))
    assert problem(t, "not_a_number")[["row", "column"]].values.tolist() == [[3, "sessions"]]
    assert list(t.data.index) == [2, 4]
    accounted(t)


# ------------------------------------------------------------- 4. invisible characters in names
@pytest.mark.parametrize(("prefix", "shown", "named", "severity"), [
    ("\u200b", "'\\u200bepisode_id'", "U+200B ZERO WIDTH SPACE", "warning"),
    ("\ufeff", "'\\ufeffepisode_id'", "U+FEFF ZERO WIDTH NO-BREAK SPACE", "info"),  # a second BOM
    ("\u00ad", "'\\xadepisode_id'", "U+00AD SOFT HYPHEN", "warning"),
])
def test_invisible_character_in_a_column_name_is_removed_and_named(tmp_path, prefix, shown, named, severity):
    # was: "episode_id: missing_column" beside "episode_id: unknown_column"
    data = codecs.BOM_UTF8 + (prefix + EP + "\n".join(ROWS) + "\n").encode("utf-8")
    t = read(tmp_path, data)
    p = problem(t, "invisible_character")
    assert p[["row", "column", "value", "severity"]].values.tolist() == [[1, shown, named, severity]]
    assert "read as 'episode_id'" in p["expected"].iloc[0]
    assert not t.report.problems["rule"].isin(["missing_column", "unknown_column"]).any()
    assert t.data["episode_id"].tolist() == ["E1", "E2", "E3"]
    accounted(t)


def test_no_break_space_inside_a_name_is_named_and_the_name_shown_escaped(tmp_path):
    t = read(tmp_path, EP.replace("client_id", "client\u00a0id") + "\n".join(ROWS) + "\n")
    p = problem(t, "invisible_character")
    assert p[["column", "value"]].values.tolist() == [["'client\\xa0id'", "U+00A0 NO-BREAK SPACE"]]
    assert "read as 'client id'" in p["expected"].iloc[0]
    # the note stays beside the fatal problem it explains
    assert problem(t, "missing_column")["column"].tolist() == ["client_id"]
    assert problem(t, "unknown_column")["column"].tolist() == ["client id"]


def test_two_columns_equal_once_cleaned_are_a_duplicate(tmp_path):
    t = read(tmp_path, "episode_id;client_id;\u200bclient_id;start_date\nE1;C1;C9;03-01-2024\n")
    assert problem(t, "duplicate_column")["column"].tolist() == ["client_id", "client_id"]
    assert t.report.fatal
    accounted(t)


# ------------------------------------------------------------- 5. UTF-16 and NUL bytes
@pytest.mark.parametrize(("codec", "set_to"), [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"),
                                               ("utf-16", "utf-16")])
def test_utf16_read_as_utf8_names_the_encoding(tmp_path, codec, set_to):
    # was: only a ragged_row message (no BOM) or "byte ff" with a cp1252 hint (BOM)
    t = read(tmp_path, (EP + "\n".join(ROWS) + "\n").encode(codec))
    p = problem(t, "encoding")
    assert (p["row"].tolist(), p["severity"].tolist()) == ([1], ["fatal"])
    assert "the file is UTF-16" in p["expected"].iloc[0] and f"set encoding: {set_to})" in p["expected"].iloc[0]
    assert len(t.report.problems) == 1
    with pytest.raises(es.ValidationError, match=f"set encoding: {set_to}"):
        es.read_table(FileSpec(path=tmp_path / "episodes.csv"), "episodes")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_declared_is_read(tmp_path, codec):
    t = read(tmp_path, (EP + "\n".join(ROWS) + "\n").encode(codec), encoding=codec)
    assert t.data["client_id"].tolist() == ["C1", "C2", "C3"] and not t.report.fatal
    accounted(t)


def test_a_stray_nul_byte_is_fatal_on_its_line(tmp_path):
    t = read(tmp_path, EP + ROWS[0] + "\n" + ROWS[1].replace("C2", "C\x002") + "\n" + ROWS[2] + "\n")
    p = problem(t, "nul_byte")
    assert p[["row", "severity"]].values.tolist() == [[3, "fatal"]]
    assert "NUL" in p["expected"].iloc[0]
    assert t.report.rows_read["episodes"] == 0 and len(t.data) == 0


def test_nul_bytes_in_cp1252_declared_utf16_text_name_utf16(tmp_path):
    t = read(tmp_path, (EP + "\n".join(ROWS) + "\n").encode("utf-16-le"), encoding="cp1252")
    assert "set encoding: utf-16-le" in problem(t, "encoding")["expected"].iloc[0]


# ------------------------------------------------------------- 6. the shape of dates
@pytest.mark.parametrize(("fmt", "value", "date"), [
    ("%Y%m%d", "20211101", "2021-11-01"),
    ("%Y%m%d", "2021111", None),     # was read as 2021-11-01 (or is it 2021-01-11?)
    ("%Y%m%d", "202111011", None),
    ("%Y%m%d", "2021-11-01", None),
    ("%Y%m%d", "20210229", None),     # not a leap year
    ("%Y%m%d", "20240229", "2024-02-29"),
    ("%Y%m%d", "\u0662\u0660\u0662\u0661\u0661\u0661\u0660\u0661", None),  # Arabic-Indic digits
    ("%d%m%Y", "1112021", None),
    ("%d%m%Y", "01112021", "2021-11-01"),
    ("%d%m%y", "011121", "2021-11-01"),
    ("%d%m%y", "11121", None),
    ("%d-%m-%Y", "1-11-2021", "2021-11-01"),  # with separators one digit is not ambiguous
    ("%d-%m-%Y", "01-11-2021", "2021-11-01"),
    ("%d-%m-%Y", "001-11-2021", None),
    ("%d-%m-%Y", "01-11-21", None),
    ("%Y-%m-%d %H%M", "2021-11-01 0930", "2021-11-01 09:30"),
    ("%Y-%m-%d %H%M", "2021-11-01 930", None),
])
def test_date_shape_is_strict_where_digits_touch(tmp_path, fmt, value, date):
    t = read(tmp_path, f"episode_id;client_id;start_date\nE1;C1;{value}\nE2;C2;{pd.Timestamp('2022-03-04'):{fmt}}\n",
             date_format=fmt)
    if date is None:
        p = problem(t, "date_format")
        assert p[["row", "column", "value"]].values.tolist() == [[2, "start_date", value]]
        assert f"format {fmt}" in p["expected"].iloc[0]
        assert list(t.data.index) == [3]
    else:
        assert t.data.loc[2, "start_date"] == pd.Timestamp(date)
        assert len(t.data) == 2
    accounted(t)


def test_invisible_character_in_a_first_line_without_known_names_is_not_quoted(tmp_path):
    # no known name: the first line may be a client's data (an export without its header line)
    t = read(tmp_path, "E1;Jan\u00a0Jansen;03-01-2024\nE2;C2;10-01-2024\n", show_identifiers=False)
    p = problem(t, "invisible_character")
    assert p[["column", "value"]].values.tolist() == [["field 2", "U+00A0 NO-BREAK SPACE"]]
    assert "Jan" not in " ".join(t.report.problems.astype(str).to_numpy().ravel())
    shown = read(tmp_path, "E1;Jan\u00a0Jansen;03-01-2024\nE2;C2;10-01-2024\n", show_identifiers=True)
    assert problem(shown, "invisible_character")["column"].tolist() == ["'Jan\\xa0Jansen'"]


def test_read_study_of_an_old_mac_episodes_file_and_a_measurements_file_with_a_zero_width_space(tmp_path):
    ep = write(tmp_path, "episodes.csv", (EP + "\n".join(ROWS) + "\n").replace("\n", "\r"))
    m = write(tmp_path, "measurements.csv", "\u200b" + M + "C1;E1;scl90_nl;05-01-2024;1;2\nC2;E2;scl90_nl;12-01-2024;7\r;1\n")
    s = es.read_study(DataSpec(episodes=FileSpec(path=ep), measurements=FileSpec(path=m)),
                      on_fatal="return", today="2025-06-01")
    rules = s.report.problems.groupby("file")["rule"].apply(set).to_dict()
    assert {"line_endings"} <= rules["episodes.csv"]
    assert {"invisible_character", "line_break_in_field"} <= rules["measurements.csv"]
    assert not s.report.fatal
    assert len(s.episodes) == 3 and s.measurements.index.tolist() == [2]
    fl = s.report.flow()
    for table, n in s.report.rows_read.items():
        assert fl.loc[fl["table"] == table, "n"].sum() == n
