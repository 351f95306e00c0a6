"""Faults of binary exports (xlsx, sav, parquet) found by testing (issue 14), each through the
public reader: the correct value, or a problem naming file, row, column, value and what was
expected; rows read = used + excluded in every case.

The files are built in ``tmp_path`` with openpyxl, pyreadstat and pyarrow as a practice's export
(or a script) writes them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

import effectstudy as es
from effectstudy.core.errors import ValidationError
from effectstudy.core.params import DataSpec, FileSpec

TODAY = "2030-01-01"
HEAD = ["episode_id", "client_id", "start_date", "end_date", "sessions"]


def _read(path: Path, table: str = "episodes", **spec) -> es.data.io.TableRead:
    t = es.read_table(FileSpec(path=path, **spec), table, today=TODAY, on_fatal="return")
    fl = t.report.flow()
    assert fl["n"].sum() == t.report.rows_read[table] == len(t.data) + len(t.rejected)
    return t


def _problems(t, rule: str) -> pd.DataFrame:
    p = t.report.problems
    return p[p["rule"] == rule].reset_index(drop=True)


def _book(tmp_path: Path, rows: list[list], edit=None, name: str = "episodes.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if edit is not None:
        edit(ws)
    p = tmp_path / name
    wb.save(p)
    return p


def _ep(i: int, sessions=3, end=None) -> list:
    return [f"E{i}", f"C{i}", dt.datetime(2024, 1, i), end, sessions]


def _rewrite_sheet(p: Path, change) -> Path:
    """Copy of an xlsx with its first worksheet's XML changed (what other writers produce)."""
    q = p.with_name("edited_" + p.name)
    with zipfile.ZipFile(p) as zi, zipfile.ZipFile(q, "w") as zo:
        for it in zi.infolist():
            data = zi.read(it.filename)
            if it.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            zo.writestr(it, data)
    return q


# ====================================================================== xlsx: merged cells
def test_xlsx_vertical_merge_is_filled_on_every_row_with_a_note(tmp_path):
    p = _book(tmp_path, [HEAD, _ep(1), _ep(2), _ep(3), _ep(4)], lambda ws: ws.merge_cells("B2:B4"))
    t = _read(p)
    assert t.data["client_id"].tolist() == ["C1", "C1", "C1", "C4"]
    assert len(t.data) == 4 and t.rejected.empty
    note = _problems(t, "merged_cells")
    assert len(note) == 1 and note.loc[0, "severity"] == "info"
    assert note.loc[0, "row"] == 2 and note.loc[0, "column"] == "client_id" and note.loc[0, "file"] == "episodes.xlsx"
    assert "B2:B4" in note.loc[0, "expected"] and "rows 2-4" in note.loc[0, "expected"]
    assert note.loc[0, "value"] != "C1"  # an identifying value is not shown by default


def test_xlsx_vertical_merge_into_empty_rows_leaves_them_blank(tmp_path):
    p = _book(tmp_path, [HEAD, _ep(1), _ep(2), [None] * 5, [None] * 5], lambda ws: ws.merge_cells("B2:B5"))
    t = _read(p)
    assert t.data["client_id"].tolist() == ["C1", "C1"] and t.report.rows_read["episodes"] == 2
    assert _problems(t, "blank_line")["row"].tolist() == [4, 5]


def test_xlsx_vertical_merge_of_instrument_in_measurements(tmp_path):
    rows = [["client_id", "instrument", "date", "item_1"]]
    rows += [[f"C{i}", "oq45" if i == 1 else None, dt.datetime(2024, 2, i), 2] for i in range(1, 4)]
    p = _book(tmp_path, rows, lambda ws: ws.merge_cells("B2:B4"), name="rom.xlsx")
    t = _read(p, "measurements")
    assert t.data["instrument"].tolist() == ["oq45"] * 3
    assert _problems(t, "merged_cells")["value"].tolist() == ["oq45"]


def test_xlsx_merge_across_columns_is_refused_per_row(tmp_path):
    p = _book(tmp_path, [HEAD, _ep(1), _ep(2, sessions=None), _ep(3)], lambda ws: ws.merge_cells("D3:E3"))
    t = _read(p)
    assert t.data["episode_id"].tolist() == ["E1", "E3"]
    err = _problems(t, "merged_cells")
    assert err["row"].tolist() == [3] and err["severity"].tolist() == ["error"]
    assert err.loc[0, "column"] == "end_date" and "the cells D3:E3 are merged across columns" in err.loc[0, "expected"]
    assert t.rejected["reason"].tolist() == ["merged_cells"]


def test_xlsx_merged_header_cells_are_fatal(tmp_path):
    p = _book(tmp_path, [["episode_id", None, "start_date"], ["E1", "C1", dt.datetime(2024, 1, 1)]],
              lambda ws: ws.merge_cells("A1:B1"))
    with pytest.raises(ValidationError, match=r"episodes.xlsx:1 episode_id: merged_header: found 'A1:B1'"):
        es.read_table(FileSpec(path=p), "episodes", today=TODAY)


# ====================================================================== xlsx: formulas and errors
def test_xlsx_formula_without_cached_value_is_reported_per_cell(tmp_path):
    rows = [HEAD, _ep(1), _ep(2, sessions="=1+2"), _ep(3, sessions="=SUM(E2:E3)"), _ep(4)]
    p = _book(tmp_path, rows)
    t = _read(p)
    assert t.data["episode_id"].tolist() == ["E1", "E4"]
    f = _problems(t, "formula_without_value")
    assert f["row"].tolist() == [3, 4] and (f["column"] == "sessions").all() and (f["severity"] == "error").all()
    assert f.loc[0, "expected"].startswith("a value: cell E3 holds a formula without a computed value")
    assert "open and save the file in Excel" in f.loc[0, "expected"] and "cell E4" in f.loc[1, "expected"]
    shown = es.read_table(FileSpec(path=p), "episodes", today=TODAY, show_identifiers=True).report.problems
    assert shown.loc[shown["rule"] == "formula_without_value", "value"].tolist() == ["=1+2", "=SUM(E2:E3)"]
    assert sorted(t.rejected["reason"]) == ["formula_without_value"] * 2


def test_xlsx_row_of_formulas_only_is_not_skipped_as_blank(tmp_path):
    t = _read(_book(tmp_path, [HEAD, _ep(1), ["=A2", "=B2", None, None, None]]))
    assert t.report.rows_read["episodes"] == 2
    assert _problems(t, "formula_without_value")["row"].tolist() == [3, 3]
    assert _problems(t, "blank_line").empty


def test_xlsx_formula_with_cached_value_uses_the_value(tmp_path):
    p = _book(tmp_path, [HEAD, _ep(1), _ep(2, sessions="=1+2")])
    # Excel stores the computed value beside the formula: <c r="E3"><f>1+2</f><v>3</v></c>
    q = _rewrite_sheet(p, lambda b: re.sub(rb"(<f>1\+2</f>)<v\s*/>|(<f>1\+2</f>)<v>\s*</v>|(<f>1\+2</f>)",
                                           rb"<f>1+2</f><v>3</v>", b))
    t = _read(q)
    assert t.data["sessions"].tolist() == [3, 3]
    assert _problems(t, "formula_without_value").empty


def test_xlsx_excel_error_values_are_errors_not_text(tmp_path):
    rows = [HEAD + ["diagnosis"], _ep(1) + ["#N/A"], _ep(2) + ["depressie"]]
    p = _book(tmp_path, rows)
    q = _rewrite_sheet(p, lambda b: b.replace(b'<c r="F2" t="inlineStr"><is><t>#N/A</t></is></c>',
                                              b'<c r="F2" t="e"><v>#N/A</v></c>'))
    t = _read(q)
    assert t.data["episode_id"].tolist() == ["E2"]
    e = _problems(t, "excel_error")
    assert e[["row", "column", "severity"]].values.tolist() == [[2, "diagnosis", "error"]]
    assert "not an Excel error" in e.loc[0, "expected"]


# ====================================================================== xlsx: layout
def test_xlsx_hidden_rows_and_columns_are_read_with_a_warning(tmp_path):
    def hide(ws):
        ws.row_dimensions[3].hidden = True
        ws.column_dimensions["E"].hidden = True

    t = _read(_book(tmp_path, [HEAD, _ep(1), _ep(2), _ep(3)], hide))
    assert len(t.data) == 3
    h = _problems(t, "hidden_row")
    assert h["row"].tolist() == [3] and h.loc[0, "severity"] == "warning"
    assert _problems(t, "hidden_column")["column"].tolist() == ["sessions"]


def test_xlsx_wrong_dimension_record_does_not_drop_rows_or_columns(tmp_path):
    p = _book(tmp_path, [HEAD] + [_ep(i) for i in range(1, 6)])
    q = _rewrite_sheet(p, lambda b: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:B3"/>', b))
    t = _read(q)
    assert t.data["episode_id"].tolist() == [f"E{i}" for i in range(1, 6)]
    assert t.data["sessions"].tolist() == [3] * 5


def test_xlsx_title_row_above_the_header_is_named(tmp_path):
    p = _book(tmp_path, [["ROM export 2024"], [], HEAD, _ep(1)])
    with pytest.raises(ValidationError, match=r"episodes.xlsx:3: ragged_row: .*a title row above the header"):
        es.read_table(FileSpec(path=p), "episodes", today=TODAY)


def test_xlsx_second_header_row_is_named(tmp_path):
    labels = ["Episode", "Cliënt", "Startdatum", "Einddatum", "Aantal sessies"]
    t = _read(_book(tmp_path, [HEAD, labels, _ep(1), _ep(2)]))
    assert t.data["episode_id"].tolist() == ["E1", "E2"] and t.rejected.index.tolist() == [2]
    w = _problems(t, "second_header_row")
    assert w[["row", "severity"]].values.tolist() == [[2, "warning"]]
    assert "second header row" in w.loc[0, "expected"]
    # an ordinary first data row is not taken for a header
    assert _problems(_read(_book(tmp_path, [HEAD, _ep(1), _ep(2)], name="b.xlsx")), "second_header_row").empty


def test_xlsx_empty_first_row_points_at_the_header(tmp_path):
    p = _book(tmp_path, [[], [], HEAD, _ep(1)])
    with pytest.raises(ValidationError, match=r"header_row: .*the first non-empty row is 3"):
        es.read_table(FileSpec(path=p), "episodes", today=TODAY)


def test_xlsx_empty_sheet_and_unknown_sheets(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Episodes"
    for r in [HEAD, _ep(1)]:
        wb.active.append(r)
    wb.create_sheet("leeg")
    p = tmp_path / "book.xlsx"
    wb.save(p)
    assert _read(p, sheet="Episodes").data["episode_id"].tolist() == ["E1"]
    with pytest.raises(ValidationError, match=r"sheet: found 'episodes', expected one of the sheets .*did you mean 'Episodes'"):
        es.read_table(FileSpec(path=p, sheet="episodes"), "episodes")
    with pytest.raises(ValidationError, match=r"sheet: found '5', expected a sheet index from 0 to 1"):
        es.read_table(FileSpec(path=p, sheet=5), "episodes")
    with pytest.raises(ValidationError, match=r"empty_file"):
        es.read_table(FileSpec(path=p, sheet="leeg"), "episodes")


def test_xlsx_hidden_first_sheet_is_not_read_by_number(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "codes"
    wb.active.append(["code", "label"])
    wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("data")
    for r in [HEAD, _ep(1)]:
        ws.append(r)
    wb.active = 1
    p = tmp_path / "book.xlsx"
    wb.save(p)
    with pytest.raises(ValidationError, match=r"sheet: found \"0 \('codes', hidden in Excel\)\", expected a visible "
                                              r"sheet: name the data sheet under sheet: \(visible sheets: \['data'\]\)"):
        es.read_table(FileSpec(path=p), "episodes")
    assert _read(p, sheet="data").data["episode_id"].tolist() == ["E1"]


def test_xlsx_datetimes_just_after_midnight_keep_their_day(tmp_path):
    # Excel stores no time zone: the clock time as typed, nothing is shifted
    rows = [HEAD, ["E1", "C1", dt.datetime(2024, 7, 1, 0, 30), None, 3],
            ["E2", "C2", dt.datetime(2024, 1, 15, 0, 10), None, 3]]
    t = _read(_book(tmp_path, rows))
    assert t.data["start_date"].tolist() == [pd.Timestamp("2024-07-01 00:30"), pd.Timestamp("2024-01-15 00:10")]


def test_xlsx_dates_as_plain_day_numbers_are_explained(tmp_path):
    rows = [HEAD, ["E1", "C1", 45292, None, 3], ["E2", "C2", dt.datetime(2024, 1, 2), None, 3]]
    t = _read(_book(tmp_path, rows))
    assert t.data["episode_id"].tolist() == ["E2"]
    assert _problems(t, "date_format")["row"].tolist() == [2]
    w = _problems(t, "excel_date_number")
    assert w[["column", "value", "severity"]].values.tolist() == [["start_date", "", "warning"]]
    assert "1 cell holds a plain number" in w.loc[0, "expected"]


def test_xlsx_far_future_end_date_is_an_error_not_wrapped(tmp_path):
    t = _read(_book(tmp_path, [HEAD, _ep(1, end=dt.datetime(9999, 12, 31)), _ep(2)]))
    assert t.data["episode_id"].tolist() == ["E2"]
    e = _problems(t, "date_out_of_range")
    assert e[["row", "column"]].values.tolist() == [[2, "end_date"]] and "9999-12-31" in e.loc[0, "expected"]
    assert not t.report.problems["value"].str.contains("1816").any()


# ====================================================================== sav
def _sav(tmp_path: Path, df: pd.DataFrame, name: str = "episodes.sav", **kw) -> Path:
    p = tmp_path / name
    pyreadstat.write_sav(df, str(p), **kw)
    return p


def _sav_episodes(sessions: list[float]) -> pd.DataFrame:
    n = len(sessions)
    return pd.DataFrame({"episode_id": [f"E{i}" for i in range(n)], "client_id": [f"C{i}" for i in range(n)],
                         "start_date": [dt.date(2024, 1, 2)] * n, "sessions": sessions})


def test_sav_declared_user_missing_codes_become_missing_with_a_note(tmp_path):
    df = _sav_episodes([5.0, 98.0, 98.0, 995.0, 12.0])
    p = _sav(tmp_path, df, missing_ranges={"sessions": [98.0, {"lo": 990.0, "hi": 999.0}]},
             variable_value_labels={"sessions": {98.0: "niet ingevuld"}})
    t = _read(p)
    assert t.data["sessions"].tolist() == [5, pd.NA, pd.NA, pd.NA, 12]
    assert len(t.data) == 5  # missing sessions do not exclude an episode
    n = _problems(t, "user_missing")
    assert n[["column", "severity"]].values.tolist() == [["sessions", "info"]]
    assert n.loc[0, "value"] == "98 ('niet ingevuld'), 995"
    assert n.loc[0, "expected"].startswith("a value: 3 cells hold user-missing codes")


def test_sav_undeclared_missing_label_is_read_as_missing_with_a_warning(tmp_path):
    df = _sav_episodes([5.0, 99.0, 0.0, 99.0])
    p = _sav(tmp_path, df, variable_value_labels={"sessions": {99.0: "Onbekend", 0.0: "geen"}})
    t = _read(p)
    assert t.data["sessions"].tolist() == [5, pd.NA, 0, pd.NA]  # 0 = "geen" (none) is a value
    w = _problems(t, "missing_code_label")
    assert w[["column", "value", "severity"]].values.tolist() == [["sessions", "99 = 'Onbekend'", "warning"]]
    assert "2 cells hold code 99" in w.loc[0, "expected"] and "not declared missing" in w.loc[0, "expected"]


@pytest.mark.parametrize("label", ["missing", "weet niet", "niet ingevuld", "n.v.t.", "Unknown", "geen antwoord"])
def test_sav_missing_like_labels_on_items(tmp_path, label):
    m = pd.DataFrame({"client_id": ["C1", "C2"], "instrument": ["oq45", "oq45"],
                      "date": [dt.date(2024, 1, 5)] * 2, "item_1": [2.0, 9.0]})
    p = _sav(tmp_path, m, "rom.sav", variable_value_labels={"item_1": {9.0: label, 2.0: "soms"}})
    t = _read(p, "measurements")
    assert np.isnan(t.data["item_1"].iloc[1]) and t.data["item_1"].iloc[0] == 2.0
    assert len(_problems(t, "missing_code_label")) == 1


def test_sav_string_user_missing_code_and_padded_strings(tmp_path):
    # SPSS pads strings to the variable's width; the ids and codes are read without the padding
    df = pd.DataFrame({"episode_id": ["E1      ", "E2"], "client_id": ["C1", "C2      "],
                       "start_date": [dt.date(2024, 1, 2)] * 2, "diagnosis": ["anxiety   ", "ONB"]})
    t = _read(_sav(tmp_path, df, missing_ranges={"diagnosis": ["ONB"]}))
    assert t.data["episode_id"].tolist() == ["E1", "E2"] and t.data["client_id"].tolist() == ["C1", "C2"]
    assert t.data["diagnosis"].tolist()[0] == "anxiety" and t.data["diagnosis"].isna().tolist() == [False, True]
    assert _problems(t, "user_missing")["column"].tolist() == ["diagnosis"]


def test_sav_dates_keep_their_calendar_day_and_far_future_is_an_error(tmp_path):
    df = pd.DataFrame({"episode_id": ["E1", "E2"], "client_id": ["C1", "C2"],
                       "start_date": [dt.date(2024, 3, 31), dt.date(2024, 10, 27)],  # DST switch days
                       "end_date": [dt.date(9999, 12, 31), None]})
    t = _read(_sav(tmp_path, df))
    assert t.data["start_date"].tolist() == [pd.Timestamp("2024-10-27")]
    assert _problems(t, "date_out_of_range")["row"].tolist() == [2]


def test_sav_datetime_far_future_is_an_error_not_wrapped(tmp_path):
    # SPSS DATETIME columns arrive as datetime64[us]; converting 9999-12-31 to ns wrapped to 1816
    # (SPSS datetimes have no time zone: the clock time just after or before midnight stays on its day)
    df = pd.DataFrame({"episode_id": ["E1", "E2", "E3"], "client_id": ["C1", "C2", "C3"],
                       "start_date": [dt.datetime(2024, 6, 30, 0, 30), dt.datetime(2024, 1, 1, 23, 59),
                                      dt.datetime(2024, 2, 1)],
                       "end_date": [None, None, dt.datetime(9999, 12, 31)]})
    t = es.read_table(FileSpec(path=_sav(tmp_path, df)), "episodes", today=TODAY, show_identifiers=True)
    assert t.data["start_date"].tolist() == [pd.Timestamp("2024-06-30 00:30"), pd.Timestamp("2024-01-01 23:59")]
    e = _problems(t, "date_out_of_range")
    assert e[["row", "column", "value", "severity"]].values.tolist() == [[4, "end_date", "9999-12-31", "error"]]


def test_compressed_zsav_is_read_by_its_extension(tmp_path):
    p = tmp_path / "episodes.zsav"
    pyreadstat.write_sav(_sav_episodes([5.0, 7.0]), str(p), compress=True)
    assert _read(p).data["sessions"].tolist() == [5, 7]


def _tz_array(ts: pd.DatetimeIndex) -> pa.Array:
    """A timezone-aware Arrow timestamp array from its UTC instants (pa.array of a tz-aware index
    goes through DatetimeIndex.values, deprecated in pandas 3.1, at pyarrow 16)."""
    return pa.array(ts.as_unit("us").asi8, pa.timestamp("us", tz=str(ts.tz)))


def test_read_study_accounts_sav_and_parquet_rows(tmp_path):
    e = _sav(tmp_path, _sav_episodes([5.0, 99.0]), variable_value_labels={"sessions": {99.0: "onbekend"}})
    m = pa.table({"client_id": ["C0", "C1"], "episode_id": ["E0", "E1"], "instrument": ["oq45", "oq45"],
                  "date": _tz_array(pd.to_datetime(["2024-01-03 00:15", "2024-01-04 00:15"])
                                    .tz_localize("Europe/Amsterdam")),
                  "item_1": pa.array([decimal.Decimal("2"), decimal.Decimal("3")], pa.decimal128(5, 0))})
    pq.write_table(m, tmp_path / "rom.parquet")
    s = es.read_study(DataSpec(episodes=FileSpec(path=e), measurements=FileSpec(path=tmp_path / "rom.parquet")),
                      today=TODAY)
    assert s.episodes["sessions"].tolist() == [5, pd.NA]
    assert s.measurements["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-03", "2024-01-04"]
    assert s.measurements["item_1"].tolist() == [2.0, 3.0]
    fl = s.report.flow()
    for t, n in s.report.rows_read.items():
        assert fl.loc[fl["table"] == t, "n"].sum() == n == 2


# ====================================================================== parquet
def _parquet(tmp_path: Path, name: str = "episodes.parquet", **cols) -> Path:
    n = len(next(iter(cols.values())))
    base = {"episode_id": pa.array([f"E{i}" for i in range(n)]), "client_id": pa.array([f"C{i}" for i in range(n)]),
            "start_date": pa.array([dt.date(2024, 1, 2)] * n)}
    base.update(cols)
    p = tmp_path / name
    pq.write_table(pa.table(base), p)
    return p


def test_parquet_decimal128_whole_numbers_are_read_as_numbers(tmp_path):
    sessions = pa.array([decimal.Decimal("7"), decimal.Decimal("12"), None], pa.decimal128(10, 0))
    t = _read(_parquet(tmp_path, sessions=sessions))
    assert t.data["sessions"].tolist() == [7, 12, pd.NA] and t.report.problems.empty


def test_parquet_decimal_with_fraction_in_an_int_column_is_not_whole(tmp_path):
    sessions = pa.array([decimal.Decimal("7.00"), decimal.Decimal("7.50")], pa.decimal128(6, 2))
    t = _read(_parquet(tmp_path, sessions=sessions))
    assert t.data["sessions"].tolist() == [7]
    assert _problems(t, "not_whole")["row"].tolist() == [3]


def test_parquet_large_decimal_and_int64_ids_keep_every_digit(tmp_path):
    big = 2**53 + 1  # float64 would read 9007199254740992
    p = _parquet(tmp_path, client_id=pa.array([decimal.Decimal(big), decimal.Decimal(7)], pa.decimal128(20, 0)),
                 episode_id=pa.array([big, None], pa.int64()))
    t = _read(p)
    assert t.data["client_id"].tolist() == [str(big)]
    assert t.data["episode_id"].tolist() == [str(big)]


@pytest.mark.parametrize("local", ["2024-07-01 00:30", "2024-01-15 00:10", "2024-03-31 00:05", "2024-10-27 00:45"])
def test_parquet_timezone_aware_timestamps_keep_the_local_date(tmp_path, local):
    ts = pd.to_datetime([local]).tz_localize("Europe/Amsterdam")
    assert ts.tz_convert("UTC")[0].date() < ts[0].date()  # the UTC date is a day early
    t = _read(_parquet(tmp_path, start_date=_tz_array(ts)))
    assert t.data["start_date"].dt.normalize().tolist() == [pd.Timestamp(local[:10])]
    assert t.data["start_date"].tolist() == [pd.Timestamp(local)]
    note = _problems(t, "timezone")
    assert note[["column", "value", "severity"]].values.tolist() == [["start_date", "Europe/Amsterdam", "info"]]


@pytest.mark.parametrize("far", [pa.array([dt.date(9999, 12, 31), None]),
                                 pa.array([dt.datetime(9999, 12, 31), None], pa.timestamp("us")),
                                 pa.array([dt.datetime(9999, 12, 31), None], pa.timestamp("ms", "Europe/Amsterdam"))])
def test_parquet_far_future_dates_are_errors_not_wrapped(tmp_path, far):
    p = _parquet(tmp_path, end_date=far)
    t = es.read_table(FileSpec(path=p), "episodes", today=TODAY, on_fatal="return", show_identifiers=True)
    e = _problems(t, "date_out_of_range")
    assert e[["row", "column", "value"]].values.tolist() == [[2, "end_date", "9999-12-31"]]
    assert t.data["episode_id"].tolist() == ["E1"]


def test_parquet_arrow_types_a_practice_writes(tmp_path):
    p = _parquet(tmp_path,
                 episode_id=pa.array(["E1", "E2", "E3"]).dictionary_encode().cast(pa.dictionary(pa.int8(), pa.large_string())),
                 client_id=pa.array(["C1", "C2", "C1"]).dictionary_encode(),
                 treatment=pa.array(["cbt", None, "emdr"], pa.large_string()),
                 care_type=pa.array(["basic", "specialised", "basic"]).dictionary_encode(),
                 sessions=pa.array([3, None, 11], pa.int32()),
                 birth_year=pa.array([1980, 1990, None], pa.uint16()),
                 consent_study=pa.array([True, None, False]))
    t = _read(p)
    d = t.data
    assert d["episode_id"].tolist() == ["E1", "E2", "E3"] and d["client_id"].tolist() == ["C1", "C2", "C1"]
    assert d["treatment"].tolist()[0] == "cbt" and pd.isna(d["treatment"].iloc[1])
    assert d["care_type"].astype(str).tolist() == ["basic", "specialised", "basic"]
    assert d["sessions"].tolist() == [3, pd.NA, 11] and d["birth_year"].tolist() == [1980, 1990, pd.NA]
    assert d["consent_study"].tolist() == [True, pd.NA, False]
    assert not (t.report.problems["severity"] == "error").any()
