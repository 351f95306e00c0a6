"""Round trips through every format (CSV ';' and ',', xlsx, sav with value labels, parquet) and the
row-accounting property: the flow always sums to the rows read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from effectstudy import datasets
from effectstudy.core.errors import ArgumentError
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.data.io import StudyData, TableRead, read_study, read_table
from tests.budget import examples

TODAY = "2030-01-01"


@pytest.fixture(scope="module")
def practice():
    return datasets.generate(n_episodes=40, seed=3)


def _canon(df: pd.DataFrame) -> pd.DataFrame:
    out = df.reset_index(drop=True).copy()
    for c in out.columns:
        if c in ("sessions", "birth_year", "session"):
            out[c] = out[c].astype("Int64")
        elif c.startswith("item_") or c == "grade":
            out[c] = out[c].astype("float64")
        elif c in ("consent_study", "consent_research"):  # <NA> = not recorded, apart from False
            out[c] = out[c].astype("boolean")
        elif c in ("issued", "returned"):
            out[c] = out[c].fillna(False).astype(bool)
        elif c in ("care_type", "end_reason"):
            out[c] = out[c].astype("str").replace("nan", np.nan)
    return out


def _compare(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got = _canon(got)
    want = _canon(want)[list(got.columns)]
    for c in got.columns:
        if c in ("care_type", "end_reason"):
            got[c] = got[c].astype("str").replace("nan", np.nan)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_index_type=False)


def _to_csv_text(df: pd.DataFrame, sep: str, decimal: str) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%d-%m-%Y")
        elif pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
            out[c] = s.map({True: "1", False: "0"})
        elif pd.api.types.is_float_dtype(s):
            txt = s.map(lambda v: "" if pd.isna(v) else (f"{int(v)}" if float(v).is_integer() else repr(float(v))))
            out[c] = txt.str.replace(".", decimal, regex=False)
    return out


@pytest.mark.parametrize(("sep", "decimal"), [(";", ","), (",", ".")])
def test_csv_round_trip(tmp_path, practice, sep, decimal):
    specs = {}
    for t in ("episodes", "measurements", "satisfaction"):
        df = getattr(practice, t)
        p = tmp_path / f"{t}.csv"
        _to_csv_text(df, sep, decimal).to_csv(p, sep=sep, index=False)
        specs[t] = FileSpec(path=p, decimal=decimal)  # sep detected
    s = read_study(DataSpec(**specs), today=TODAY)
    assert isinstance(s, StudyData) and not s.report.fatal
    for t in ("episodes", "measurements", "satisfaction"):
        _compare(getattr(s, t), getattr(practice, t))
        assert s.report.rows_read[t] == len(getattr(practice, t))
    e = s.episodes
    assert str(e["episode_id"].dtype) == "str" and e["start_date"].dtype == "datetime64[ns]"
    assert e["sessions"].dtype == "Int64" and str(e["consent_study"].dtype) == "boolean"
    assert s.measurements["item_1"].dtype == "float64" and s.measurements["session"].dtype == "Int64"
    assert s.episodes.index.name == "line" and s.episodes.index[0] == 2


def test_xlsx_round_trip_with_sheet_name(tmp_path, practice):
    p = tmp_path / "export.xlsx"
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        practice.episodes.assign(consent_study=practice.episodes["consent_study"].astype(object),
                                 consent_research=practice.episodes["consent_research"].astype(object),
                                 care_type=practice.episodes["care_type"].astype(str),
                                 end_reason=practice.episodes["end_reason"].astype(object)).to_excel(
            xw, sheet_name="episodes", index=False)
        practice.measurements.to_excel(xw, sheet_name="rom", index=False)
    t = read_table(FileSpec(path=p, sheet="episodes"), "episodes", today=TODAY)
    _compare(t.data, practice.episodes)
    m = read_table(FileSpec(path=p, sheet="rom"), "measurements", today=TODAY)
    _compare(m.data, practice.measurements)
    assert m.meta["sheet"] == "rom" and m.data.index[0] == 2
    with pytest.raises(Exception, match="sheet"):
        read_table(FileSpec(path=p, sheet="nope"), "episodes")


def test_sav_round_trip_keeps_codes_numeric_and_labels_in_meta(tmp_path, practice):
    m = practice.measurements.copy()
    m["session"] = m["session"].astype(float)
    p = tmp_path / "rom.sav"
    labels = {f"item_{i}": {1.0: "niet", 2.0: "een beetje", 3.0: "nogal", 4.0: "tamelijk veel", 5.0: "heel erg"}
              for i in range(1, 91)}
    pyreadstat.write_sav(m, str(p), variable_value_labels=labels)
    t = read_table(FileSpec(path=p), "measurements", today=TODAY)
    _compare(t.data, practice.measurements)
    assert t.data["item_1"].dtype == "float64"
    assert t.meta["value_labels"]["item_3"][5.0] == "heel erg"


def test_sav_numeric_ids_and_labelled_categories(tmp_path, practice):
    e = practice.episodes[["episode_id", "client_id", "start_date", "care_type"]].copy()
    e["client_id"] = e["client_id"].str[1:].astype(int).astype(float)
    e["care_type"] = e["care_type"].map({"basic": 1.0, "specialised": 2.0}).astype(float)
    p = tmp_path / "ep.sav"
    pyreadstat.write_sav(e, str(p), variable_value_labels={"care_type": {1.0: "basic", 2.0: "specialised"}})
    t = read_table(FileSpec(path=p), "episodes", today=TODAY)
    assert t.data["client_id"].iloc[0] == str(int(practice.episodes["client_id"].iloc[0][1:]))
    assert t.data["care_type"].astype(str).tolist() == practice.episodes["care_type"].astype(str).tolist()
    assert t.meta["value_labels"]["care_type"] == {1.0: "basic", 2.0: "specialised"}


def test_parquet_round_trip(tmp_path, practice):
    for t in ("episodes", "measurements", "satisfaction"):
        p = tmp_path / f"{t}.parquet"
        getattr(practice, t).to_parquet(p)
        r = read_table(FileSpec(path=p), t, today=TODAY)
        _compare(r.data, getattr(practice, t))
        assert isinstance(r, TableRead) and r.report.rows_read[t] == len(getattr(practice, t))


def test_argument_errors(tmp_path):
    with pytest.raises(ArgumentError, match="table: got 'clients'"):
        read_table(FileSpec(path=tmp_path / "x.csv"), "clients")
    with pytest.raises(ArgumentError, match="path: got .*expected an existing episodes file"):
        read_table(FileSpec(path=tmp_path / "x.csv"), "episodes")
    (tmp_path / "x.dat").write_text("a")
    with pytest.raises(ArgumentError, match="format: got '.dat'"):
        read_table(FileSpec(path=tmp_path / "x.dat"), "episodes")
    (tmp_path / "x.csv").write_text("episode_id;client_id;start_date\nE1;C1;01-01-2024\n")
    # an unknown encoding is refused when the params are read (the preflight's message) ...
    with pytest.raises(ValueError, match="'klingon' is not a text encoding"):
        FileSpec(path=tmp_path / "x.csv", encoding="klingon")
    # ... and by the reader, for a spec built without validation
    with pytest.raises(ArgumentError, match="encoding: got 'klingon'"):
        read_table(FileSpec.model_construct(**{**FileSpec(path=tmp_path / "x.csv").__dict__, "encoding": "klingon"}),
                   "episodes")
    with pytest.raises(ArgumentError, match="on_fatal"):
        read_study(DataSpec(episodes=FileSpec(path=tmp_path / "x.csv"), measurements=FileSpec(path=tmp_path / "x.csv")),
                   on_fatal="ignore")


def test_unreadable_binary_files_are_fatal(tmp_path):
    for ext in ("xlsx", "sav", "parquet"):
        p = tmp_path / f"bad.{ext}"
        p.write_bytes(b"not really " + ext.encode())
        t = read_table(FileSpec(path=p), "episodes", on_fatal="return")
        assert t.report.problems["rule"].tolist() == ["unreadable_file"]


# ---------------------------------------------------------------------------- property
_cells = {
    "start_date": st.sampled_from(["03-01-2024", "31-02-2024", "", "2024-01-03", "03-01-24", "03-01-2031"]),
    "end_date": st.sampled_from(["", "01-03-2024", "01-12-2023"]),
    "sessions": st.sampled_from(["7", "", "x", "7,5", "-1", "600"]),
    "consent_study": st.sampled_from(["1", "0", "", "ja", "misschien"]),
}


# examples: each example holds 1-25 rows drawn from 3-6 values per cell: 25 examples give every cell
# value (and so every rejection rule and duplicate ids) many times over
@examples(25)
@given(rows=st.lists(st.tuples(st.integers(0, 6), *(_cells[k] for k in _cells)), min_size=1, max_size=25))
def test_flow_always_sums_to_rows_read(tmp_path_factory, rows):
    d = tmp_path_factory.mktemp("prop")
    lines = ["episode_id;client_id;" + ";".join(_cells)]
    lines += [f"E{r[0]};C{r[0]};" + ";".join(r[1:]) for r in rows]
    p = d / "episodes.csv"
    p.write_text("\n".join(lines) + "\n")
    t = read_table(FileSpec(path=p), "episodes", on_fatal="return", today="2025-06-01")
    fl = t.report.flow()
    assert fl["n"].sum() == len(rows) == t.report.rows_read["episodes"]
    assert len(t.data) + len(t.rejected) == len(rows)
    assert int(fl.loc[fl["status"] == "used", "n"].sum()) == len(t.data)
    assert set(t.data.index).isdisjoint(t.rejected.index)
    assert set(t.data.index) | set(t.rejected.index) == set(range(2, len(rows) + 2))


def test_read_table_serves_as_the_study_store_reader(tmp_path):
    from effectstudy.privacy.store import StudyStore

    p = tmp_path / "episodes.csv"
    p.write_text("episode_id;client_id;start_date;sessions\nE1;C1;03-01-2024;7\nE2;C2;31-02-2024;4\n")
    res = StudyStore(tmp_path / "store" / "study.duckdb").import_export(FileSpec(path=p), table="episodes")
    assert res.status == "imported" and res.rows_in == 1  # the row with an impossible date is not imported


def test_on_fatal_is_spelled_alike_for_both_readers(tmp_path):
    p = tmp_path / "episodes.csv"
    p.write_text("episode_id;client_id\nE1\n")
    for call in (lambda v: read_table(FileSpec(path=p), "episodes", on_fatal=v),
                 lambda v: read_study(DataSpec(episodes=FileSpec(path=p), measurements=FileSpec(path=p)), on_fatal=v)):
        with pytest.raises(ArgumentError, match="on_fatal: got True, expected 'raise' or 'return'"):
            call(True)
    t = read_table(FileSpec(path=p), "episodes", on_fatal="return")
    assert t.report.fatal and t.data.empty
