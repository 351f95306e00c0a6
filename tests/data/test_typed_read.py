"""The typed Arrow read of clean CSV exports gives exactly what the text path gives.

``read_study`` reads a clean CSV file with Arrow's typed reader (column types from the schema)
and sends any file it cannot read the same way to the text path.  Each test reads the same
files twice, with ``TYPED_READ`` on and off, and compares the typed tables (values, dtypes,
index = line), the report (rows read, flow, every problem) and the meta.  The dirty variants
check that a file with a problem still gets its exact problems (through the text path).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import effectstudy.data.io as io_module
from effectstudy import datasets
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.data.io import read_study

TODAY = "2030-01-01"
DUTCH = {"sep": ";", "decimal": ",", "date_format": "%d-%m-%Y"}
TABLES = ("episodes", "measurements", "satisfaction")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export")
    datasets.write_export(out, n_episodes=300, seed=11)
    return out


def _spec(folder: Path, ext: str = "csv", **kw) -> DataSpec:
    extra = DUTCH if ext == "csv" else {}
    return DataSpec(**{t: FileSpec(path=folder / f"{t}.{ext}", **extra, **kw.get(t, {})) for t in TABLES})


def _read(spec: DataSpec, typed: bool, monkeypatch) -> tuple[object, int]:
    """read_study with the typed read on or off; also how many files went to the text path
    (the typed read declined them, or it is off)."""
    declined = []
    typed_csv = io_module._typed_csv

    def spy(*a, **k):
        got = typed_csv(*a, **k)
        declined.append(got is None)
        return got

    with monkeypatch.context() as m:
        m.setattr(io_module, "TYPED_READ", typed)
        m.setattr(io_module, "_typed_csv", spy)
        s = read_study(spec, on_fatal="return", today=TODAY)
    return s, sum(declined) if typed else len(TABLES)


def _assert_same(a, b) -> None:
    for t in TABLES:
        x, y = getattr(a, t), getattr(b, t)
        assert (x is None) == (y is None)
        if x is not None:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
            assert list(x.dtypes.astype(str)) == list(y.dtypes.astype(str))
    pd.testing.assert_frame_equal(a.report.problems, b.report.problems, check_exact=True)
    pd.testing.assert_frame_equal(a.report.flow(), b.report.flow(), check_exact=True)
    assert dict(a.report.rows_read) == dict(b.report.rows_read)
    assert a.meta == b.meta


def _both(spec: DataSpec, monkeypatch) -> tuple[object, int, object]:
    fast, n_text = _read(spec, True, monkeypatch)
    slow, n_slow = _read(spec, False, monkeypatch)
    assert n_text <= n_slow
    _assert_same(fast, slow)
    return fast, n_text, slow


def test_clean_csv_export_is_read_typed_and_equals_the_text_path(export, monkeypatch):
    fast, n_text, _ = _both(_spec(export), monkeypatch)
    assert n_text == 0  # no file went to the text path
    assert not fast.report.fatal
    assert len(fast.measurements) > 0 and fast.episodes.index.name == "line"


def test_clean_parquet_export_reads_the_same_with_and_without_the_typed_csv_read(export, tmp_path, monkeypatch):
    for t in TABLES:
        pq.write_table(_csv_as_arrow(export / f"{t}.csv"), tmp_path / f"{t}.parquet")
    fast, _, _ = _both(_spec(tmp_path, "parquet"), monkeypatch)
    csv, _ = _read(_spec(export), True, monkeypatch)
    pd.testing.assert_frame_equal(fast.measurements, csv.measurements, check_exact=True)


def _csv_as_arrow(path: Path):
    import pyarrow.csv as pacsv

    return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"),
                          convert_options=pacsv.ConvertOptions(decimal_point=",", timestamp_parsers=["%d-%m-%Y"]))


def _edit(src: Path, dst: Path, table: str, fn) -> None:
    """Copy the export to ``dst`` with ``fn`` applied to ``table``'s text."""
    dst.mkdir(exist_ok=True)
    for t in TABLES:
        text = (src / f"{t}.csv").read_bytes()
        (dst / f"{t}.csv").write_bytes(fn(text) if t == table else text)


def _cell(text: bytes, line: int, col: int, value: bytes) -> bytes:
    rows = text.split(b"\n")
    cells = rows[line - 1].split(b";")
    cells[col] = value
    rows[line - 1] = b";".join(cells)
    return b"\n".join(rows)


def _add_column(text: bytes, name: bytes, value: bytes) -> bytes:
    rows = text.split(b"\n")
    return b"\n".join([rows[0] + b";" + name] + [r + b";" + value if r else r for r in rows[1:]])


#: (table, edit, a rule the text path reports for it or None)
DIRTY = {
    "decimal_point_in_comma_file": ("measurements", lambda t: _cell(t, 3, 6, b"1.5"), "not_a_number"),
    "nan_text": ("measurements", lambda t: _cell(t, 3, 7, b"nan"), "not_a_number"),
    "inf_text": ("measurements", lambda t: _cell(t, 4, 7, b"-inf"), "out_of_range"),
    "letters_in_number": ("measurements", lambda t: _cell(t, 5, 8, b"x"), "not_a_number"),
    "space_only_number": ("measurements", lambda t: _cell(t, 5, 8, b" "), None),
    "padded_number": ("measurements", lambda t: _cell(t, 5, 8, b" 2 "), None),
    "fraction_in_whole": ("episodes", lambda t: _cell(t, 3, 4, b"7,5"), "not_whole"),
    "huge_whole": ("episodes", lambda t: _cell(t, 3, 4, b"1234567890123456"), "out_of_range"),
    "impossible_date": ("episodes", lambda t: _cell(t, 4, 2, b"31-02-2024"), "date_format"),
    "one_digit_day": ("episodes", lambda t: _cell(t, 4, 2, b"3-4-2021"), None),
    "not_a_leap_year": ("measurements", lambda t: _cell(t, 4, 3, b"29-02-2023"), "date_format"),
    "day_zero": ("measurements", lambda t: _cell(t, 4, 3, b"00-01-2023"), "date_format"),
    "two_digit_year": ("episodes", lambda t: _cell(t, 4, 2, b"03-04-21"), "date_format"),
    "padded_date": ("episodes", lambda t: _cell(t, 4, 2, b" 03-04-2021"), None),
    "far_date": ("episodes", lambda t: _cell(t, 4, 3, b"31-12-9999"), None),
    "padded_id": ("episodes", lambda t: _cell(t, 5, 1, b" C0000004 "), None),
    "bad_flag": ("episodes", lambda t: _cell(t, 6, 12, b"misschien"), "not_a_flag"),
    "category_not_allowed": ("episodes", lambda t: _cell(t, 6, 6, b"other"), "not_allowed"),
    "uncoded_diagnosis": ("episodes", lambda t: _cell(t, 6, 5, b"mw. X belt"), "uncoded_value"),
    "quoted_field": ("episodes", lambda t: _cell(t, 7, 5, b'"depression"'), None),
    "blank_line": ("episodes", lambda t: t.replace(b"\n", b"\n\n", 3), "blank_line"),
    "crlf": ("episodes", lambda t: t.replace(b"\n", b"\r\n"), None),
    "lone_cr": ("episodes", lambda t: _cell(t, 3, 5, b"depr\ression"), "line_break_in_field"),
    "bom": ("episodes", lambda t: b"\xef\xbb\xbf" + t, None),
    "ragged_row": ("episodes", lambda t: _cell(t, 8, 13, b"1;1"), "ragged_row"),
    "unknown_column": ("satisfaction", lambda t: _add_column(t, b"note", b"x"), "unknown_column"),
    "latin1_in_unknown_column": ("satisfaction", lambda t: _add_column(t, b"note", b"caf\xe9"), "encoding"),
    "empty_header": ("satisfaction", lambda t: _add_column(t, b"", b"x"), "empty_header"),
    "latin1_byte": ("episodes", lambda t: _cell(t, 9, 5, b"\xe9"), "encoding"),
    "no_final_newline": ("satisfaction", lambda t: t.rstrip(b"\n"), None),
}


#: the cases whose file goes to the text path as a whole
TEXT_PATH = {"latin1_in_unknown_column", "empty_header", "quoted_field", "blank_line", "lone_cr", "bom", "ragged_row", "latin1_byte"}


@pytest.mark.parametrize("case", sorted(DIRTY))
def test_a_dirty_file_gets_the_same_problems_on_both_paths(case, export, tmp_path, monkeypatch):
    table, fn, rule = DIRTY[case]
    _edit(export, tmp_path, table, fn)
    fast, n_text, _ = _both(_spec(tmp_path), monkeypatch)
    if rule is not None:
        assert rule in set(fast.report.problems["rule"])
    # a value the text rules report keeps the typed read (that column by the text rules);
    # a structure problem sends the file to the text path
    assert n_text == (1 if case in TEXT_PATH else 0)


def test_a_mapped_column_name_is_read_typed(export, tmp_path, monkeypatch):
    _edit(export, tmp_path, "satisfaction", lambda t: t.replace(b"grade", b"cijfer", 1))
    fast, n_text, _ = _both(_spec(tmp_path, satisfaction={"columns": {"cijfer": "grade"}}), monkeypatch)
    assert n_text == 0
    assert "grade" in fast.satisfaction.columns
