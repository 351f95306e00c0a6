"""Wide measurement files (``data.measurements.wide``) through the public reader: the reshape to long
measurements, problems at the wide file's line and column, rows accounted in wide rows, and clear
messages for mappings that do not fit the file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

import effectstudy as es
from effectstudy.core.errors import ParamsError, ValidationError
from effectstudy.core.params import DataSpec, FileSpec, load_params

TODAY = "2030-01-01"
HEADER = "nr;traject;datum_voor;sessie_voor;tot_voor;dep_voor;datum_na;sessie_na;tot_na;dep_na\n"


def _mapping(**extra):
    blocks = [
        {"occasion": "pre", "date": "datum_voor", "session": "sessie_voor",
         "columns": {"tot_voor": "score_PSNEUR", "dep_voor": "score_DEP"}},
        {"occasion": "post", "date": "datum_na", "session": "sessie_na",
         "columns": {"tot_na": "score_PSNEUR", "dep_na": "score_DEP"}},
    ]
    return {"instrument": "scl90_nl", "measurements": blocks, **extra}


def _spec(path, **kw) -> FileSpec:
    return FileSpec(path=path, values="scores", columns={"nr": "client_id", "traject": "episode_id"},
                    wide=kw.pop("wide", _mapping()), **kw)


def _read(path, on_fatal="raise", **kw):
    return es.read_table(_spec(path, **kw), "measurements", today=TODAY, on_fatal=on_fatal)


def test_wide_rows_become_long_measurements_and_an_empty_post_is_no_measurement(tmp_path):
    f = tmp_path / "wide.csv"
    f.write_text(HEADER
                 + "C1;E1;01-02-2024;1;150;30;01-06-2024;9;120,5;25\n"
                 + "C2;E2;03-02-2024;1;170;40;;;;\n", encoding="utf-8")
    t = _read(f)
    d = t.data
    assert d.index.tolist() == [2, 2, 3]  # each measurement keeps its wide row's line
    assert d["client_id"].tolist() == ["C1", "C1", "C2"]
    assert d["occasion"].tolist() == ["pre", "post", "pre"]
    assert d["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-01", "2024-06-01", "2024-02-03"]
    assert d["session"].tolist() == [1, 9, 1]
    assert d["score_PSNEUR"].tolist() == [150.0, 120.5, 170.0]
    assert set(d["instrument"]) == {"scl90_nl"}
    flow = t.report.flow()
    assert flow.to_dict("records") == [{"table": "measurements", "status": "used", "reason": "", "n": 2}]
    assert t.report.rows_read == {"measurements": 2}  # wide rows


def test_problems_point_at_the_wide_row_and_column_and_rows_are_counted_in_wide_rows(tmp_path):
    f = tmp_path / "wide.csv"
    f.write_text(HEADER
                 + "C1;E1;01-02-2024;1;150;30;31-02-2024;9;120;25\n"   # impossible post date
                 + "C2;E2;03-02-2024;1;170;40;;;;\n"                    # pre only: used
                 + "C3;E3;;;;;;;;\n"                                    # nothing: no measurement
                 + "C4;E4;05-02-2024;1;150;30;05-06-2024;x;999;25\n"   # bad session, post score too high
                 + "C5;E5;06-02-2024;2;;20;;;;\n", encoding="utf-8")   # one scale only: used
    t = _read(f)
    p = t.report.problems.set_index(["row", "rule"])
    assert p.loc[(2, "date_format"), "column"] == "datum_na"
    assert p.loc[(5, "not_a_number"), "column"] == "sessie_na"
    assert p.loc[(5, "out_of_range"), "column"] == "tot_na"
    assert p.loc[(5, "out_of_range"), "value"] == "999"
    assert p.loc[(5, "out_of_range"), "expected"] == "a score from 90 to 450 (scl90_nl PSNEUR)"
    assert p.loc[(4, "no_measurement"), "severity"] == "error"
    flow = t.report.flow().set_index("reason")["n"]
    assert flow.sum() == 5 == t.report.rows_read["measurements"]  # read = used + excluded, in wide rows
    assert flow[""] == 2 and flow["date_format"] == 1 and flow["no_measurement"] == 1
    assert flow["not_a_number"] == 1
    # a bad cell excludes the whole wide row, as it excludes its row in a long file
    assert sorted(set(t.data.index)) == [3, 6]
    assert np.isnan(t.data.loc[6, "score_PSNEUR"])  # not exported
    assert t.data.loc[6, "score_DEP"] == 20.0


def test_a_column_named_in_the_mapping_but_missing_from_the_file_is_fatal_and_named(tmp_path):
    f = tmp_path / "wide.csv"
    f.write_text(HEADER.replace("datum_na", "datum_nameting") + "C1;E1;01-02-2024;1;150;30;01-06-2024;9;120;25\n",
                 encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        _read(f)
    msg = str(exc.value)
    assert "datum_na: missing_column" in msg
    assert "an export column named in data.measurements.columns or .wide" in msg
    t = _read(f, on_fatal="return")
    assert t.report.flow().to_dict("records") == [
        {"table": "measurements", "status": "used", "reason": "", "n": 0},
        {"table": "measurements", "status": "excluded", "reason": "fatal", "n": 1}]


def test_a_scale_unknown_to_the_instrument_is_fatal_and_lists_the_scales(tmp_path):
    f = tmp_path / "wide.csv"
    f.write_text(HEADER + "C1;E1;01-02-2024;1;150;30;01-06-2024;9;120;25\n", encoding="utf-8")
    wide = _mapping()
    wide["measurements"][1]["columns"] = {"tot_na": "score_PSNEUR", "dep_na": "score_DEPR"}
    with pytest.raises(ValidationError) as exc:
        _read(f, wide=wide)
    msg = str(exc.value)
    assert "wide.csv:1 dep_na: unknown_scale: found 'DEPR'" in msg
    assert "data.measurements.wide.measurements.1: a scale of scl90_nl (AGO, ANG, DEP," in msg


def test_an_unknown_instrument_in_the_mapping_is_fatal(tmp_path):
    f = tmp_path / "wide.csv"
    f.write_text(HEADER + "C1;E1;01-02-2024;1;150;30;01-06-2024;9;120;25\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"unknown_instrument: found 'scl91', expected "
                                              r"data.measurements.wide.instrument: a registry id"):
        _read(f, wide=_mapping(instrument="scl91"))


def test_params_name_a_mapping_that_cannot_be_right(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "report: validate\ndata:\n  episodes: {path: e.csv}\n  measurements:\n    path: w.csv\n"
        "    values: scores\n    columns: {datum_voor: date}\n    wide:\n      instrument: scl90_nl\n"
        "      measurements:\n        - {date: datum_voor, columns: {tot: item_3, dep: score_DEP, datum_voor: score_ANG}}\n"
        "  satisfaction: {path: s.csv, values: scores}\n", encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_params(tmp_path / "p.yaml")
    msg = str(exc.value)
    assert ("data.measurements.wide.measurements.0.columns.tot: 'item_3' is not a value column of a file with "
            "values: scores; expected score_<SCALE>") in msg
    assert "data.measurements.wide.measurements.0.columns.datum_voor: export column 'datum_voor' is read twice" in msg
    assert "data.measurements.columns.datum_voor: export column 'datum_voor' is also read by the wide mapping" in msg
    assert ("data.measurements.columns.datum_voor: a wide file's columns: maps the row's client_id and episode_id "
            "only (got 'date')") in msg
    assert "data.satisfaction: values and wide describe a measurements file only" in msg


def test_item_level_wide_file_is_scored_like_the_long_one(tmp_path):
    """A wide file of items (``values: items``) gives the same scores as the same items long."""
    ex = es.datasets.load_example()
    m = ex.measurements[ex.measurements["occasion"].isin(["pre", "post"])]
    m = m.sort_values(["episode_id", "date"]).drop_duplicates(["episode_id", "occasion"], keep="first")
    items = [f"item_{i}" for i in range(1, 91)]
    pre = m[m["occasion"] == "pre"].set_index("episode_id")
    post = m[m["occasion"] == "post"].set_index("episode_id")
    ids = pre.index.union(post.index)  # some episodes have a post only
    client = pre["client_id"].reindex(ids).fillna(post["client_id"].reindex(ids))
    wide = pd.DataFrame({"client": client, "d0": pre["date"].reindex(ids)})
    wide = wide.join(pre[items].add_prefix("v_")).join(post[["date", *items]].add_prefix("n_"))
    wide = wide.reset_index().rename(columns={"episode_id": "traject"})
    f = tmp_path / "wide_items.sav"
    pyreadstat.write_sav(wide, str(f))
    spec = FileSpec(path=f, columns={"client": "client_id", "traject": "episode_id"}, wide={
        "instrument": "scl90_nl", "measurements": [
            {"occasion": "pre", "date": "d0", "columns": {f"v_{c}": c for c in items}},
            {"occasion": "post", "date": "n_date", "columns": {f"n_{c}": c for c in items}}]})
    t = es.read_table(spec, "measurements", today=TODAY)
    assert t.report.rows_read == {"measurements": len(wide)}
    assert int(t.report.flow()["n"].sum()) == len(wide)
    with pytest.warns(es.ProvisionalKeyWarning):
        got = es.score(t.data, instrument="scl90_nl").scores
    with pytest.warns(es.ProvisionalKeyWarning):
        want = es.score(pd.concat([pre.reset_index(), post.reset_index()]), instrument="scl90_nl").scores
    key = ["episode_id", "occasion", "scale"]
    got = got.astype({"scale": str}).sort_values(key).reset_index(drop=True)
    want = want.astype({"scale": str}).sort_values(key).reset_index(drop=True)
    assert len(got) == len(want) > 0
    np.testing.assert_allclose(got["score"], want["score"], rtol=0, atol=1e-12)
    assert (got["prorated"].to_numpy() == want["prorated"].to_numpy()).all()


def _one_file_study(tmp_path, rows):
    """read_study of one wide file (study.csv) that holds the episodes and their measurements."""
    f = tmp_path / "study.csv"
    f.write_text("nr;traject;start;einde;" + HEADER.split(";", 2)[2] + rows, encoding="utf-8")
    spec = DataSpec(
        episodes=FileSpec(path=f, columns={"nr": "client_id", "traject": "episode_id", "start": "start_date",
                                           "einde": "end_date"}),
        measurements=_spec(f))
    return es.read_study(spec, today=TODAY)


def test_one_wide_file_for_episodes_and_measurements_keeps_their_problems_apart(tmp_path):
    sd = _one_file_study(tmp_path, "C1;E1;01-02-2024;01-06-2024;01-02-2024;1;150;30;01-06-2024;9;120;25\n"
                                   "C2;E2;03-02-2024;;;;;;;;;\n")
    flow = sd.report.flow()
    # E2 has no measurement: its wide row is excluded from the measurements, not from the episodes
    assert flow[flow.table == "episodes"]["n"].tolist() == [2]
    assert flow[flow.table == "measurements"].set_index("reason")["n"].to_dict() == {"": 1, "no_measurement": 1}
    assert set(sd.report.problems["file"]) == {"study.csv (measurements)"}
    assert not (sd.report.problems["rule"] == "unknown_column").any()  # each spec reads its own columns
    assert sd.episodes["episode_id"].tolist() == ["E1", "E2"]


def test_cross_table_problems_of_a_wide_file_name_its_columns(tmp_path):
    sd = _one_file_study(tmp_path, "C1;E1;01-02-2024;01-06-2024;01-02-2024;1;150;30;01-12-2024;9;120;25\n"  # post long after the end
                                   "C2;E2;03-02-2024;;03-02-2024;1;170;40;;;;\n")
    p = sd.report.problems
    bad = p[p["rule"] == "outside_episode"]
    assert bad[["file", "row", "column"]].to_dict("records") == [
        {"file": "study.csv (measurements)", "row": 2, "column": "datum_na"}]
    assert sd.measurements.index.tolist() == [3]  # the whole wide row is excluded
