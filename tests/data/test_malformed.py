"""Malformed ROM exports: each case gives a clear error (file, row, column, value, expected) or an
exclusion with its reason, and no row disappears without being counted (read = used + excluded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from effectstudy.core.errors import ValidationError
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.data.io import read_study, read_table

EP = "episode_id;client_id;start_date;end_date;sessions;consent_study\n"
EP_ROWS = ("E1;C1;03-01-2024;01-03-2024;7;1\n"
           "E2;C2;10-01-2024;;4;0\n"
           "E3;C3;15-01-2024;20-03-2024;9;1\n")
M = "client_id;episode_id;instrument;date;item_1;item_2;item_3\n"


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


# These tests check the values the reader found, as the data manager sees them with
# `effectstudy validate --show-identifiers`; that the default hides identifying values is
# tested in tests/data/test_problem_privacy.py.
def read(tmp_path, text, table="episodes", name=None, **spec):
    p = write(tmp_path, name or f"{table}.csv", text)
    return read_table(FileSpec(path=p, **spec), table, on_fatal="return", today="2025-06-01", show_identifiers=True)


def study(tmp_path, episodes=EP + EP_ROWS, measurements=M, satisfaction=None, show_identifiers=True, **kw):
    e = write(tmp_path, "episodes.csv", episodes)
    m = write(tmp_path, "measurements.csv", measurements)
    s = write(tmp_path, "satisfaction.csv", satisfaction) if satisfaction is not None else None
    spec = DataSpec(episodes=FileSpec(path=e), measurements=FileSpec(path=m),
                    satisfaction=FileSpec(path=s) if s else None)
    return read_study(spec, on_fatal="return", today="2025-06-01", show_identifiers=show_identifiers, **kw)


def accounted(report):
    fl = report.flow()
    for table, n in report.rows_read.items():
        assert fl.loc[fl["table"] == table, "n"].sum() == n
    return fl


def only(report, rule):
    p = report.problems[report.problems["rule"] == rule]
    assert len(p), f"no problem {rule!r} in\n{report.problems}"
    return p


def excluded(report, table, reason):
    fl = accounted(report)
    sel = fl[(fl["table"] == table) & (fl["status"] == "excluded") & (fl["reason"] == reason)]
    return int(sel["n"].sum())


def used(report, table):
    fl = accounted(report)
    return int(fl.loc[(fl["table"] == table) & (fl["status"] == "used"), "n"].sum())


# ------------------------------------------------------------------------------ structure (fatal)
def test_wrong_separator_is_fatal_and_names_the_header_separator(tmp_path):
    t = read(tmp_path, EP + EP_ROWS, sep=",")
    p = only(t.report, "wrong_separator").iloc[0]
    assert p["severity"] == "fatal" and p["row"] == 1 and "';'" in p["expected"]
    assert t.report.fatal and len(t.data) == 0
    with pytest.raises(ValidationError, match=r"episodes.csv:1: wrong_separator: found 'episode_id;"):
        read_table(FileSpec(path=tmp_path / "episodes.csv", sep=","), "episodes")


def test_separator_detection_refuses_a_header_with_both(tmp_path):
    t = read(tmp_path, "episode_id;client_id,start_date\nE1;C1,03-01-2024\n")
    assert only(t.report, "separator_unknown")["severity"].iloc[0] == "fatal"


def test_separator_detected_comma(tmp_path):
    t = read(tmp_path, EP.replace(";", ",") + EP_ROWS.replace(";", ","), decimal=".")
    assert list(t.data["episode_id"]) == ["E1", "E2", "E3"] and t.meta["sep"] == ","


def test_ragged_row_too_short_is_fatal_with_line_and_field_counts(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-01-2024;01-03-2024;7;1\nE2;C2;10-01-2024\n")
    p = only(t.report, "ragged_row").iloc[0]
    assert (p["row"], p["value"], p["severity"]) == (3, "3 fields", "fatal")
    assert p["expected"].startswith("6 fields like the header")
    fl = accounted(t.report)
    assert fl.loc[fl["status"] == "excluded", "reason"].tolist() == ["fatal"]
    assert t.report.rows_read["episodes"] == 2


def test_ragged_row_too_long_is_fatal(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-01-2024;01-03-2024;7;1;extra\n" + EP_ROWS)
    p = only(t.report, "ragged_row")
    assert p["row"].tolist() == [2] and p["value"].iloc[0] == "7 fields"


def test_decimal_comma_in_comma_separated_file_is_a_ragged_row(tmp_path):
    text = "episode_id,grade\nE1,7,5\nE2,8\n"
    t = read(tmp_path, text, table="satisfaction", decimal=".")
    p = only(t.report, "ragged_row").iloc[0]
    assert p["row"] == 2 and "decimal comma" in p["expected"]


def test_duplicate_header_is_fatal_not_renamed(tmp_path):
    t = read(tmp_path, "episode_id;client_id;start_date;sessions;sessions\nE1;C1;03-01-2024;3;4\n")
    p = only(t.report, "duplicate_header")
    assert p["column"].tolist() == ["sessions", "sessions"] and p["value"].tolist() == ["field 4", "field 5"]


def test_empty_header_name_is_fatal(tmp_path):
    t = read(tmp_path, "episode_id;;start_date\nE1;C1;03-01-2024\n")
    assert only(t.report, "empty_header")["column"].tolist() == ["field 2"]


def test_empty_file_is_fatal(tmp_path):
    with pytest.raises(ValidationError, match=r"episodes.csv: empty_file: found '', expected a header line"):
        read_table(FileSpec(path=write(tmp_path, "episodes.csv", "")), "episodes")


def test_header_only_file_is_fatal(tmp_path):
    t = read(tmp_path, EP)
    assert only(t.report, "no_rows")["severity"].iloc[0] == "fatal"


def test_wrong_encoding_cp1252_read_as_utf8_names_the_line(tmp_path):
    text = EP + "E1;C1;03-01-2024;01-03-2024;7;1\nE2;C2;10-01-2024;;4;0\n"
    t = read(tmp_path, text.replace("E2;C2", "E2;Cé"), name="episodes.csv")
    p = write(tmp_path, "cp.csv", (EP + "E1;Cé;03-01-2024;01-03-2024;7;1\n").encode("cp1252"))
    with pytest.raises(ValidationError, match=r"cp.csv:2: encoding: found 'byte e9', expected text in utf-8 .*cp1252"):
        read_table(FileSpec(path=p), "episodes")
    ok = read_table(FileSpec(path=p, encoding="cp1252"), "episodes")
    assert ok.data["client_id"].tolist() == ["Cé"]
    assert t.data["client_id"].tolist() == ["C1", "Cé"]


def test_utf8_bom_is_removed_from_the_first_header(tmp_path):
    p = write(tmp_path, "episodes.csv", b"\xef\xbb\xbf" + (EP + EP_ROWS).encode())
    t = read_table(FileSpec(path=p), "episodes")
    assert list(t.data.columns)[0] == "episode_id" and len(t.data) == 3
    with pytest.raises(ValidationError, match="byte-order mark"):
        read_table(FileSpec(path=p, encoding="cp1252"), "episodes")


def test_unterminated_quote_is_fatal_with_its_line(tmp_path):
    t = read(tmp_path, EP + 'E1;C1;03-01-2024;01-03-2024;7;1\nE2;"C2;10-01-2024;;4;0\nE3;C3;15-01-2024;;9;1\n')
    p = only(t.report, "quote").iloc[0]
    assert p["severity"] == "fatal" and p["row"] == 3


def test_quoted_fields_keep_separators_and_physical_line_numbers(tmp_path):
    text = (EP.rstrip("\n") + ";therapist\n" + 'E1;C1;03-01-2024;;7;1;"a;b"\n'
            'E2;C2;10-01-2024;;4;0;"two\nlines"\nE3;C3;xx;;9;1;x\n')
    t = read(tmp_path, text)
    assert t.data.loc[2, "therapist"] == "a;b" and t.data.loc[3, "therapist"] == "two\nlines"
    assert only(t.report, "date_format")["row"].tolist() == [5]


def test_blank_line_is_reported_and_lines_stay_physical(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-01-2024;01-03-2024;7;1\n\nE2;C2;99-01-2024;;4;0\n")
    assert only(t.report, "blank_line")["row"].tolist() == [3]
    assert only(t.report, "date_format")["row"].tolist() == [4]


def test_missing_required_column_is_fatal(tmp_path):
    t = read(tmp_path, "episode_id;client_id\nE1;C1\n")
    p = only(t.report, "missing_column")
    assert p["column"].tolist() == ["start_date"] and "map it under columns:" in p["expected"].iloc[0]


def test_unknown_column_without_mapping_is_reported_and_not_read(tmp_path):
    t = read(tmp_path, EP.rstrip("\n") + ";notes\n" + "E1;C1;03-01-2024;;7;1;vrije tekst\n")
    p = only(t.report, "unknown_column").iloc[0]
    assert (p["column"], p["severity"]) == ("notes", "warning")
    assert "notes" not in t.data.columns and t.meta["unknown_columns"] == ["notes"]
    assert "vrije tekst" not in t.report.problems["value"].tolist()


def test_column_map_renames_and_refuses_non_canonical_targets(tmp_path):
    text = "dossier;clientnr;begindatum\nE1;C1;03-01-2024\n"
    t = read(tmp_path, text, columns={"dossier": "episode_id", "clientnr": "client_id", "begindatum": "start_date"})
    assert t.data.loc[2, "start_date"] == pd.Timestamp("2024-01-03")
    bad = read(tmp_path, text, columns={"dossier": "episode_id", "clientnr": "client", "begindatum": "start_date"})
    p = only(bad.report, "column_map_target").iloc[0]
    assert (p["column"], p["value"], p["severity"]) == ("clientnr", "client", "fatal")


def test_zero_in_a_1_to_5_instrument_is_fatal_never_shifted(tmp_path):
    s = study(tmp_path, measurements=M + "C1;E1;scl90_nl;05-01-2024;0;2;3\n")
    p = only(s.report, "coding_mismatch").iloc[0]
    assert (p["row"], p["column"], p["value"]) == (2, "item_1", "0")
    assert "1-5 (scl90_nl)" in p["expected"] and "never shifted" in p["expected"]
    with pytest.raises(ValidationError, match=r"measurements.csv:2 \[r-[0-9a-f]{12} = C1\] item_1: coding_mismatch: found '0'"):
        s.report.raise_if_fatal()


# ------------------------------------------------------------------------------ row-level (excluded)
def test_text_in_an_item_column_excludes_the_row(tmp_path):
    s = study(tmp_path, measurements=M + "C1;E1;scl90_nl;05-01-2024;2;drie;3\nC2;E2;scl90_nl;12-01-2024;1;2;3\n")
    p = only(s.report, "not_a_number").iloc[0]
    assert (p["file"], p["row"], p["column"], p["value"]) == ("measurements.csv", 2, "item_2", "drie")
    assert excluded(s.report, "measurements", "not_a_number") == 1 and used(s.report, "measurements") == 1


def test_na_text_is_not_silently_missing(tmp_path):
    s = study(tmp_path, measurements=M + "C1;E1;scl90_nl;05-01-2024;2;NA;3\n")
    assert only(s.report, "not_a_number")["value"].tolist() == ["NA"]


def test_out_of_range_item_code(tmp_path):
    s = study(tmp_path, measurements=M + "C1;E1;scl90_nl;05-01-2024;7;2;3\nC1;E1;scl90_nl;06-01-2024;2,5;2;3\n")
    p = only(s.report, "out_of_range")
    assert p["value"].tolist() == ["7", "2.5"] and p["expected"].iloc[0].startswith("a whole number 1-5 (scl90_nl)")
    assert excluded(s.report, "measurements", "out_of_range") == 2


def test_item_beyond_the_instrument(tmp_path):
    m = "client_id;instrument;date;item_1;item_8\nC1;gad7;05-01-2024;1;2\n"
    s = study(tmp_path, measurements=m)
    assert only(s.report, "item_not_in_instrument")["expected"].iloc[0] == "empty: gad7 has 7 items"


def test_unknown_instrument(tmp_path):
    s = study(tmp_path, measurements=M + "C1;E1;scl91;05-01-2024;1;2;3\n")
    p = only(s.report, "unknown_instrument").iloc[0]
    assert p["value"] == "scl91" and "scl90_nl" in p["expected"]
    assert excluded(s.report, "measurements", "unknown_instrument") == 1


def test_impossible_date_is_an_error_not_nat(tmp_path):
    t = read(tmp_path, EP + "E1;C1;31-02-2024;;7;1\n" + "E2;C2;10-01-2024;;4;0\n")
    p = only(t.report, "date_format").iloc[0]
    assert (p["row"], p["column"], p["value"]) == (2, "start_date", "31-02-2024")
    assert p["expected"] == "a date in format %d-%m-%Y (e.g. 31-01-2024)"
    assert t.rejected.loc[2, "reason"] == "date_format" and t.rejected.loc[2, "start_date"] == "31-02-2024"


def test_day_month_follow_the_explicit_format(tmp_path):
    text = EP + "E1;C1;03-04-2024;;7;1\nE2;C2;13-04-2024;;4;0\n"
    nl = read(tmp_path, text)
    assert nl.data["start_date"].tolist() == [pd.Timestamp("2024-04-03"), pd.Timestamp("2024-04-13")]
    us = read(tmp_path, text, date_format="%m-%d-%Y")
    assert us.data["start_date"].tolist() == [pd.Timestamp("2024-03-04")]
    assert only(us.report, "date_format")["value"].tolist() == ["13-04-2024"]


def test_two_digit_year_is_refused(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-04-24;;7;1\n")
    assert only(t.report, "date_format")["value"].tolist() == ["03-04-24"]


def test_future_and_too_early_dates(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-04-2031;;7;1\nE2;C2;03-04-1999;;7;1\nE3;C3;03-04-2024;;7;1\n")
    assert only(t.report, "future_date")["row"].tolist() == [2]
    assert only(t.report, "date_too_early")["row"].tolist() == [3]
    assert used(t.report, "episodes") == 1


def test_end_before_start(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-04-2024;02-04-2024;7;1\n" + "E2;C2;10-01-2024;;4;0\n")
    p = only(t.report, "end_before_start").iloc[0]
    assert (p["row"], p["value"]) == (2, "2024-04-02") and excluded(t.report, "episodes", "end_before_start") == 1


def test_exact_duplicate_administration_is_collapsed_and_counted(tmp_path):
    row = "C1;E1;scl90_nl;05-01-2024;1;2;3\n"
    s = study(tmp_path, measurements=M + row + row + "C2;E2;scl90_nl;12-01-2024;1;2;3\n")
    assert excluded(s.report, "measurements", "duplicate_exact") == 1
    assert s.measurements.index.tolist() == [2, 4]


def test_conflicting_duplicate_administration_excludes_both(tmp_path):
    s = study(tmp_path, measurements=M + "C1;E1;scl90_nl;05-01-2024;1;2;3\nC1;E1;scl90_nl;05-01-2024;1;2;4\n")
    p = only(s.report, "duplicate_conflict")
    assert p["row"].tolist() == [2, 3] and p["value"].iloc[0] == "C1 scl90_nl 2024-01-05"
    assert excluded(s.report, "measurements", "duplicate_conflict") == 2 and used(s.report, "measurements") == 0


def test_duplicate_episode_id_conflict_and_exact(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-01-2024;;7;1\nE1;C9;03-01-2024;;7;1\nE2;C2;10-01-2024;;4;0\nE2;C2;10-01-2024;;4;0\n")
    assert only(t.report, "duplicate_conflict")["row"].tolist() == [2, 3]
    assert only(t.report, "duplicate_exact")["row"].tolist() == [5]
    assert t.data.index.tolist() == [4]


def test_measurement_of_a_client_without_episode(tmp_path):
    m = "client_id;instrument;date;item_1\nC1;scl90_nl;05-01-2024;2\nC7;scl90_nl;05-01-2024;2\n"
    s = study(tmp_path, measurements=m)
    p = only(s.report, "client_without_episode").iloc[0]
    assert (p["row"], p["value"]) == (3, "C7") and used(s.report, "measurements") == 1


def test_measurement_outside_every_episode_window(tmp_path):
    m = ("client_id;instrument;date;item_1\nC1;scl90_nl;05-11-2023;2\nC1;scl90_nl;01-11-2023;2\n"
         "C1;scl90_nl;30-04-2024;2\nC1;scl90_nl;01-05-2024;2\nC2;scl90_nl;01-05-2025;2\n")
    s = study(tmp_path, measurements=m)
    # E1 runs 03-01-2024..01-03-2024: window 04-11-2023..30-04-2024; E2 (C2) is open
    assert only(s.report, "outside_episode")["row"].tolist() == [3, 5]
    assert used(s.report, "measurements") == 3
    narrow = study(tmp_path, measurements=m, window_days=(0, 0))
    assert excluded(narrow.report, "measurements", "outside_episode") == 4


def test_measurement_with_unknown_or_foreign_episode_id(tmp_path):
    s = study(tmp_path, measurements=M + "C1;E9;scl90_nl;05-01-2024;1;2;3\nC1;E2;scl90_nl;12-01-2024;1;2;3\n")
    assert only(s.report, "unknown_episode")["row"].tolist() == [2]
    assert only(s.report, "episode_client_mismatch")["row"].tolist() == [3]


def test_measurements_of_an_excluded_episode_say_so(tmp_path):
    eps = EP + "E1;C1;03-01-2024;01-12-2023;7;1\n"
    s = study(tmp_path, episodes=eps, measurements=M + "C1;E1;scl90_nl;05-01-2024;1;2;3\n")
    assert excluded(s.report, "measurements", "episode_excluded") == 1


def test_satisfaction_for_unknown_episode_and_grade_11(tmp_path):
    sat = "episode_id;issued;returned;grade\nE1;1;1;7,5\nE9;1;1;8\nE2;1;1;11\nE3;1;1;7.5\n"
    s = study(tmp_path, measurements=M + "C1;E1;scl90_nl;05-01-2024;1;2;3\n", satisfaction=sat)
    assert only(s.report, "unknown_episode")["row"].tolist() == [3]
    g = only(s.report, "out_of_range").iloc[0]
    assert (g["row"], g["column"], g["value"], g["expected"]) == (4, "grade", "11", "a number from 1 to 10")
    assert only(s.report, "not_a_number")["expected"].iloc[0] == "a number with decimal comma"
    assert s.satisfaction["grade"].tolist() == [7.5]


def test_sessions_must_be_whole_numbers(tmp_path):
    t = read(tmp_path, EP + "E1;C1;03-01-2024;;7,5;1\n")
    assert only(t.report, "not_whole")["value"].tolist() == ["7,5"]


def test_unknown_flag_and_category_values(tmp_path):
    t = read(tmp_path, "episode_id;client_id;start_date;consent_study;care_type\n"
                       "E1;C1;03-01-2024;misschien;basic\nE2;C2;03-01-2024;ja;Basic\nE3;C3;03-01-2024;;specialised\n")
    assert only(t.report, "not_a_flag")["expected"].iloc[0] == "1/0, true/false, ja/nee or yes/no"
    assert only(t.report, "not_allowed")["expected"].iloc[0] == "one of basic, specialised"
    info = only(t.report, "flag_not_recorded")
    assert info["row"].tolist() == [4] and info["severity"].iloc[0] == "info"
    assert info["expected"].iloc[0] == "a flag; empty is kept as not recorded (<NA>, no consent)"
    # the empty consent flag stays "not recorded" (<NA>), apart from a refusal (False)
    assert t.data["consent_study"].isna().tolist() == [True] and str(t.data["consent_study"].dtype) == "boolean"


def test_other_empty_flags_read_as_false(tmp_path):
    """Only the consent flags keep "not recorded"; an empty form flag means the form was not returned."""
    t = read(tmp_path, "episode_id;issued;returned;grade\nE1;1;;\nE2;1;1;8\n", table="satisfaction")
    info = only(t.report, "missing_flag_as_false")
    assert info["row"].tolist() == [2] and info["column"].tolist() == ["returned"]
    assert (info["severity"].iloc[0], info["expected"].iloc[0]) == ("info", "a flag; empty is read as false (not done)")
    assert t.data["returned"].tolist() == [False, True] and t.data["returned"].dtype == bool


def test_straight_lining_is_flagged_not_removed(tmp_path):
    m = ("client_id;instrument;date;" + ";".join(f"item_{i}" for i in range(1, 8)) + "\n"
         "C1;gad7;05-01-2024;2;2;2;2;2;2;2\nC2;gad7;12-01-2024;1;2;0;3;1;2;1\n")
    s = study(tmp_path, measurements=m)
    p = only(s.report, "straight_lining").iloc[0]
    assert (p["row"], p["severity"], p["value"]) == (2, "warning", "2")
    assert used(s.report, "measurements") == 2


def test_excel_text_cell_in_a_number_column(tmp_path):
    p = tmp_path / "episodes.xlsx"
    pd.DataFrame({"episode_id": ["E1", "E2"], "client_id": ["C1", "C2"],
                  "start_date": pd.to_datetime(["2024-01-03", "2024-01-10"]),
                  "sessions": [7, "zeven"]}).to_excel(p, index=False)
    t = read_table(FileSpec(path=p), "episodes", show_identifiers=True)
    q = only(t.report, "not_a_number").iloc[0]
    assert (q["file"], q["row"], q["column"], q["value"], q["expected"]) == (
        "episodes.xlsx", 3, "sessions", "zeven", "a whole number")
    assert t.data["sessions"].tolist() == [7]
    # by default text that is no code or small number is not shown (it could be a name)
    q = only(read_table(FileSpec(path=p), "episodes").report, "not_a_number").iloc[0]
    assert q["value"] == "(niet getoond: geen code of klein getal)"


def test_fatal_message_shows_first_problems_and_total(tmp_path):
    rows = "".join(f"E{i};C{i}\n" for i in range(15))
    with pytest.raises(ValidationError) as exc:
        read_table(FileSpec(path=write(tmp_path, "episodes.csv", EP + rows)), "episodes")
    msg = str(exc.value)
    assert msg.startswith("15 fatal problem(s) in the input")
    assert "episodes.csv:2: ragged_row: found '2 fields', expected 6 fields like the header" in msg
    assert "... and 5 more" in msg and len(exc.value.problems) == 15


def test_raw_files_are_never_modified(tmp_path):
    text = EP + "E1;C1;31-02-2024;;7;1\n" + EP_ROWS
    p = write(tmp_path, "episodes.csv", text)
    before = p.read_bytes()
    p.chmod(0o444)
    read_table(FileSpec(path=p), "episodes")
    assert p.read_bytes() == before


@pytest.mark.parametrize("n_bad", [0, 1, 5])
def test_every_row_is_accounted_for(tmp_path, n_bad):
    rng = np.random.default_rng(n_bad)
    good = [f"C{i};E{i};scl90_nl;05-01-2024;1;2;3\n" for i in range(1, 4)]
    bad = [f"C1;E1;scl90_nl;0{d}-01-2024;{rng.integers(6, 9)};2;3\n" for d in range(1, n_bad + 1)]
    s = study(tmp_path, measurements=M + "".join(good + bad))
    assert s.report.rows_read["measurements"] == 3 + n_bad
    assert len(s.measurements) + excluded(s.report, "measurements", "out_of_range") \
        + excluded(s.report, "measurements", "episode_client_mismatch") \
        + excluded(s.report, "measurements", "outside_episode") == 3 + n_bad


def test_ids_keep_leading_zeros_and_stay_text(tmp_path):
    t = read(tmp_path, EP + "0012;007;03-01-2024;;7;1\n")
    assert t.data["episode_id"].tolist() == ["0012"] and t.data["client_id"].tolist() == ["007"]


def test_excel_dates_as_cells_or_as_text_with_the_format(tmp_path):
    p = tmp_path / "episodes.xlsx"
    pd.DataFrame({"episode_id": ["E1", "E2", "E3"], "client_id": ["C1", "C2", "C3"],
                  "start_date": [pd.Timestamp("2024-01-03"), "04-01-2024", "2024-01-05"]}).to_excel(p, index=False)
    t = read_table(FileSpec(path=p), "episodes", on_fatal="return", show_identifiers=True)
    assert t.data["start_date"].tolist() == [pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-04")]
    q = only(t.report, "date_format").iloc[0]
    assert (q["row"], q["value"]) == (4, "2024-01-05")


def test_excel_boolean_cells_are_flags(tmp_path):
    p = tmp_path / "episodes.xlsx"
    pd.DataFrame({"episode_id": ["E1", "E2", "E3"], "client_id": ["C1", "C2", "C3"],
                  "start_date": pd.to_datetime(["2024-01-03"] * 3),
                  "consent_study": [True, False, None]}).to_excel(p, index=False)
    t = read_table(FileSpec(path=p), "episodes")
    assert t.data["consent_study"].tolist() == [True, False, pd.NA]
    assert only(t.report, "flag_not_recorded")["row"].tolist() == [4]


def test_repeated_session_number_on_another_date_is_flagged_not_removed(tmp_path):
    m = ("client_id;episode_id;instrument;date;session;" + ";".join(f"item_{i}" for i in range(1, 8)) + "\n"
         "C1;E1;gad7;05-01-2024;3;1;2;0;3;1;2;1\n"
         "C1;E1;gad7;02-02-2024;3;1;1;0;2;1;2;1\n"
         "C1;E1;gad7;01-03-2024;4;1;1;0;2;1;1;1\n")
    e = "episode_id;client_id;start_date\nE1;C1;01-01-2024\n"
    s = study(tmp_path, episodes=e, measurements=m)
    p = only(s.report, "repeated_session")
    assert p["row"].tolist() == [2, 3] and set(p["severity"]) == {"warning"} and set(p["value"]) == {"3"}
    assert "session number" in p["expected"].iloc[0]
    assert used(s.report, "measurements") == 3
