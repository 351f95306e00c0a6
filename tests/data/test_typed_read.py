"""The typed Arrow read of clean CSV and Parquet exports gives exactly what the text path gives.

``read_study`` reads a clean CSV file with Arrow's typed reader (column types from the schema)
and sends any file it cannot read the same way to the text path; a Parquet file is typed with
Arrow (``_typed_parquet``), a column with anything unusual by the per-column rules, and a file
with a header problem goes to the per-column path.  Each test reads the same
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
    (the typed read, of CSV or of Parquet, declined them, or it is off)."""
    declined = []

    def spy(fn):
        def read(*a, **k):
            got = fn(*a, **k)
            declined.append(got is None)
            return got
        return read

    with monkeypatch.context() as m:
        m.setattr(io_module, "TYPED_READ", typed)
        m.setattr(io_module, "_typed_csv", spy(io_module._typed_csv))
        m.setattr(io_module, "_typed_parquet", spy(io_module._typed_parquet))
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
    fast, n_text, _ = _both(_spec(tmp_path, "parquet"), monkeypatch)
    assert n_text == 0
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
    "blank_line_at_end": ("measurements", lambda t: t + b"\n", "blank_line"),
    "blank_line_crlf": ("satisfaction", lambda t: t.replace(b"\n", b"\r\n").replace(b"\r\n", b"\r\n\r\n", 5)[:-2],
                        "blank_line"),
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
TEXT_PATH = {"latin1_in_unknown_column", "empty_header", "quoted_field", "blank_line", "blank_line_at_end",
             "blank_line_crlf", "lone_cr", "bom", "ragged_row", "latin1_byte"}


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


# ---------------------------------------------------------------------- Parquet
def _pandas_tables(n: int = 300, seed: int = 11) -> dict:
    """A generated practice as pandas writes it to Parquet (``large_string``, dictionary
    categories, ``timestamp[ns]`` dates, ``float`` items, ``int16``)."""
    import pyarrow as pa

    chunk = next(iter(datasets.iter_chunks(n, seed=seed, chunk_size=4096)))
    return {t: pa.Table.from_pandas(getattr(chunk, t), preserve_index=False) for t in TABLES}


def _export_types(tbl):
    """The types of the benchmark's export: ``string``, ``date32``, ``int8`` items with nulls, ``int32``."""
    import pyarrow as pa

    fields = []
    for f in tbl.schema:
        t = f.type
        if pa.types.is_dictionary(t) or pa.types.is_large_string(t):
            t = pa.string()
        elif pa.types.is_timestamp(t):
            t = pa.date32()
        elif f.name.startswith("item_"):
            t = pa.int8()
        elif pa.types.is_integer(t):
            t = pa.int32()
        fields.append(pa.field(f.name, t))
    return tbl.cast(pa.schema(fields))


@pytest.fixture(scope="module")
def pq_tables() -> dict:
    return {"pandas": _pandas_tables(), "export": {t: _export_types(v) for t, v in _pandas_tables().items()}}


def _write_pq(folder: Path, tables: dict) -> Path:
    folder.mkdir(exist_ok=True)
    for t, tbl in tables.items():
        pq.write_table(tbl, folder / f"{t}.parquet")
    return folder


def _set(tbl, name: str, values=None, type=None, rows: dict | None = None):
    """``tbl`` with column ``name`` replaced: by ``values``, or its values with ``rows``
    ({row: value}) changed, as ``type`` (default: the column's type)."""
    import pyarrow as pa

    old = tbl.column(name)
    if values is None:
        values = old.to_pylist()
        for r, v in (rows or {}).items():
            values[r] = v
    arr = pa.array(values, type=type or old.type)
    return tbl.set_column(tbl.column_names.index(name), name, arr)


def _cast(tbl, name: str, type):
    return tbl.set_column(tbl.column_names.index(name), name, tbl.column(name).cast(type))


def _items_as(tbl, type):
    for c in tbl.column_names:
        if c.startswith("item_"):
            tbl = _cast(tbl, c, type)
    return tbl


def _tz(tbl, name: str, zone: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    local = tbl.column(name).cast(pa.timestamp("us"))
    return tbl.set_column(tbl.column_names.index(name), name, pc.assume_timezone(local, zone))


def _date(y: int, m: int, d: int):
    import datetime

    return datetime.date(y, m, d)


def _big_ids(tbl, name: str):
    import pyarrow as pa

    return _set(tbl, name, [None if v is None else 2**60 + i for i, v in enumerate(tbl.column(name).to_pylist())],
                pa.int64())


def _numeric_ids(tbl, name: str):
    import pyarrow as pa

    return _set(tbl, name, [None if v is None else float(i + 1) for i, v in enumerate(tbl.column(name).to_pylist())],
                pa.float64())


def _pq_dirty() -> dict:
    """(base, table, edit of the Arrow table, a rule reported or None, whether the typed read
    keeps the file)."""
    import pyarrow as pa

    return {
        "clean_export_types": ("export", "episodes", lambda t: t, None, True),
        "nulls_in_items": ("export", "measurements", lambda t: _set(t, "item_3", rows={0: None, 4: None}), None, True),
        "item_out_of_range": ("export", "measurements", lambda t: _set(t, "item_5", rows={2: 9}), None, True),
        "int_items_no_nulls": ("export", "measurements", lambda t: _items_as(t.drop_null(), pa.int16()), None, True),
        "uint_items": ("export", "measurements", lambda t: _items_as(t.drop_null(), pa.uint8()), None, True),
        "float_items": ("export", "measurements", lambda t: _set(_items_as(t, pa.float64()), "item_7",
                                                                 rows={1: 2.5, 3: float("nan")}), None, True),
        "float32_items": ("pandas", "measurements", lambda t: t, None, True),
        "infinite_item": ("export", "measurements", lambda t: _set(_items_as(t, pa.float64()), "item_7",
                                                                   rows={1: float("inf")}), "out_of_range", True),
        "huge_int64_item": ("export", "measurements", lambda t: _set(_cast(t, "item_2", pa.int64()), "item_2",
                                                                     rows={3: 2**60}), None, True),
        "decimal_item": ("export", "measurements", lambda t: _cast(t, "item_4", pa.decimal128(5, 1)), None, True),
        "text_item": ("export", "measurements", lambda t: _set(_cast(t, "item_4", pa.string()), "item_4",
                                                               rows={2: " 3 ", 3: "x"}), "not_a_number", True),
        "bool_item": ("export", "measurements", lambda t: _set(t, "item_4", [i % 2 == 0 for i in range(len(t))],
                                                               pa.bool_()), None, True),
        "non_whole_sessions": ("export", "episodes", lambda t: _set(_cast(t, "sessions", pa.float64()), "sessions",
                                                                    rows={2: 7.5}), "not_whole", True),
        "float_sessions_with_nan": ("export", "episodes", lambda t: _set(_cast(t, "sessions", pa.float64()), "sessions",
                                                                         rows={2: float("nan"), 3: None}), None, True),
        "huge_sessions": ("export", "episodes", lambda t: _set(_cast(t, "sessions", pa.int64()), "sessions",
                                                               rows={2: 10**16}), "out_of_range", True),
        "int64_sessions_beyond_2_53": ("export", "episodes", lambda t: _set(_cast(t, "sessions", pa.int64()), "sessions",
                                                                            rows={2: 2**53 + 1}), "out_of_range", True),
        "text_sessions": ("export", "episodes", lambda t: _set(_cast(t, "sessions", pa.string()), "sessions",
                                                               rows={2: "x"}), "not_a_number", True),
        "bad_category": ("export", "episodes", lambda t: _set(t, "care_type", rows={5: "other"}), "not_allowed", True),
        "padded_category": ("export", "episodes", lambda t: _set(t, "care_type", rows={5: " S-GGZ "}), None, True),
        "empty_strings": ("export", "episodes", lambda t: _set(_set(t, "diagnosis", rows={1: "", 2: "  "}),
                                                               "care_type", rows={3: ""}), None, True),
        "empty_id": ("export", "measurements", lambda t: _set(t, "client_id", rows={4: ""}), None, True),
        "padded_ids": ("export", "episodes", lambda t: _set(t, "client_id", rows={4: " C0000004 ", 5: "\tx\u00a0"}),
                       None, True),
        "dictionary_strings": ("export", "measurements", lambda t: _cast(_cast(t, "client_id", pa.dictionary(
            pa.int32(), pa.string())), "occasion", pa.dictionary(pa.int8(), pa.string())), None, True),
        "dictionary_category": ("pandas", "episodes", lambda t: _set(_cast(t, "care_type", pa.large_string()),
                                                                     "care_type", rows={5: "other"}), "not_allowed", True),
        "large_strings": ("pandas", "satisfaction", lambda t: t, None, True),
        "numeric_ids": ("export", "satisfaction", lambda t: _numeric_ids(t, "episode_id"), None, True),
        "int64_ids_beyond_2_53": ("export", "measurements", lambda t: _big_ids(t, "client_id"), None, True),
        "timezone_timestamp": ("export", "episodes", lambda t: _tz(t, "start_date", "Europe/Amsterdam"), "timezone", True),
        "timestamp_ms_with_time": ("export", "measurements", lambda t: _cast(t, "date", pa.timestamp("ms")), None, True),
        "far_date": ("export", "episodes", lambda t: _set(t, "end_date", rows={3: _date(9999, 12, 31)}),
                     "date_out_of_range", True),
        "date_just_inside_ns": ("export", "episodes", lambda t: _set(t, "start_date", rows={3: _date(1677, 12, 1)}),
                                "date_out_of_range", True),
        "all_null_dates": ("export", "episodes", lambda t: _set(t, "end_date", [None] * len(t)), None, True),
        "text_dates": ("export", "episodes", lambda t: _set(_cast(t, "end_date", pa.string()), "end_date",
                                                            rows={3: "2021-02-31"}), "date_format", True),
        "flags_without_nulls": ("export", "satisfaction", lambda t: t.drop_null(), None, True),
        "flag_with_nulls": ("export", "satisfaction", lambda t: _set(t.drop_null(), "returned", rows={1: None, 4: None}),
                            "missing_flag_as_false", True),
        "consent_all_null": ("export", "episodes", lambda t: _set(t, "consent_study", [None] * len(t), pa.bool_()),
                             "flag_not_recorded", True),
        "consent_as_numbers": ("export", "episodes", lambda t: _set(_cast(t, "consent_research", pa.int8()),
                                                                    "consent_research", rows={2: 2, 3: None}),
                               "not_a_flag", True),
        "missing_optional_column": ("export", "episodes", lambda t: t.drop_columns(["sessions", "end_date"]), None, True),
        "missing_required_column": ("export", "episodes", lambda t: t.drop_columns(["start_date"]),
                                    "missing_column", False),
        "extra_columns": ("export", "satisfaction", lambda t: _tz(t.append_column("note", pa.array(
            ["x"] * len(t))).append_column("seen", pa.array([_date(2024, 1, 2)] * len(t), pa.date32())),
            "seen", "UTC"), "unknown_column", True),
        "extra_item_column": ("export", "measurements", lambda t: t.append_column(
            "item_91", pa.array([1] * len(t), pa.int8())), None, True),
        "invisible_character_in_name": ("export", "satisfaction", lambda t: t.rename_columns(
            ["episode_id", "issued\u200b", "returned", "grade"]), "invisible_character", False),
        "padded_name": ("export", "satisfaction", lambda t: t.rename_columns(
            ["episode_id", "issued", "returned", " grade"]), "unknown_column", False),
        "no_rows": ("export", "satisfaction", lambda t: t.slice(0, 0), "no_rows", False),
        "duplicate_names": ("export", "satisfaction", lambda t: t.rename_columns(
            ["episode_id", "issued", "returned", "issued"]), "unreadable_file", False),
    }


PQ_DIRTY = sorted(_pq_dirty())


@pytest.mark.parametrize("case", PQ_DIRTY)
def test_a_parquet_variant_reads_the_same_on_both_paths(case, pq_tables, tmp_path, monkeypatch):
    base, table, fn, rule, kept = _pq_dirty()[case]
    tables = dict(pq_tables[base])
    tables[table] = fn(tables[table])
    fast, n_text, _ = _both(_spec(_write_pq(tmp_path / "pq", tables), "parquet"), monkeypatch)
    if rule is not None:
        assert rule in set(fast.report.problems["rule"])
    assert n_text == (0 if kept else 1)


@pytest.mark.parametrize("base", ["export", "pandas"])
def test_a_clean_parquet_export_is_read_typed(base, pq_tables, tmp_path, monkeypatch):
    fast, n_text, _ = _both(_spec(_write_pq(tmp_path / "pq", pq_tables[base]), "parquet"), monkeypatch)
    assert n_text == 0
    assert not fast.report.fatal and len(fast.measurements) > 0
    items = [c for c in fast.measurements.columns if c.startswith("item_")]
    assert len(items) == 90 and (fast.measurements[items].dtypes == "float64").all()


def test_a_parquet_column_map_is_read_typed(pq_tables, tmp_path, monkeypatch):
    tables = dict(pq_tables["export"])
    tables["satisfaction"] = tables["satisfaction"].rename_columns(["episode_id", "issued", "returned", "cijfer"])
    tables["measurements"] = tables["measurements"].rename_columns(
        ["clientnr" if c == "client_id" else c for c in tables["measurements"].column_names])
    spec = _spec(_write_pq(tmp_path / "pq", tables), "parquet",
                 satisfaction={"columns": {"cijfer": "grade", "unused": "returned"}},
                 measurements={"columns": {"clientnr": "client_id"}})
    fast, n_text, _ = _both(spec, monkeypatch)
    assert n_text == 0
    assert "grade" in fast.satisfaction.columns and "client_id" in fast.measurements.columns
    assert "column_map_unused" in set(fast.report.problems["rule"])
