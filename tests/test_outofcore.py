"""``data.engine: duckdb``: the measurements from Parquet, out of core, give what the in-memory path gives."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

import effectstudy as es
from effectstudy.core.errors import ParamsError, ValidationError
from effectstudy.core.params import DataSpec, DuckDBSpec, FileSpec
from effectstudy.data.io import read_study, read_table
from effectstudy.data.outofcore import read_study_outofcore

PARAMS = """\
report: effect_study
title: "Out of core"
language: nl
export_date: "{export_date}"
data:
  engine: {engine}
  duckdb: {{memory_limit: "256MB", threads: 1, batch_rows: {batch_rows}}}
  episodes:     {{path: episodes.csv,     sep: ";", decimal: ",", date_format: "%d-%m-%Y"}}
  measurements: {{path: {measurements}}}
  satisfaction: {{path: satisfaction.csv, sep: ";", decimal: ","}}
  codes:
    therapist: [T01, T02, T03, T04, T05, T06, T07, T08, T09, T10, T11, T12]
selection:
  consent: study
  years: [{y0}, {y1}]
analysis:
  instrument: scl90_nl
  scales: [PSNEUR, DEP, ANG, SOM]
  groups: [diagnosis, care_type]
  pre_window: [-30, 14]
  post_window: [-30, 30]
  effect_size: {{method: b, adjust: true}}
  reliable_change: {{method: jt, reliability: sample, cutoff: a}}
  stagnation: {{rule: early_no_progress, window: [3, 5], time: session, criterion: rci}}
disclosure: {{min_n: 10, round_to: 5}}
"""


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A generated practice; its measurements as one Parquet file, with a few bad rows, and as a folder."""
    folder = tmp_path_factory.mktemp("practice")
    meta = es.datasets.write_export(folder, n_episodes=3000, seed=7)
    m = read_table(FileSpec(path=folder / "measurements.csv", sep=";", decimal=",", date_format="%d-%m-%Y"),
                   "measurements").data.reset_index(drop=True)
    m.loc[5, "item_3"] = 9.0  # out of range
    m = pd.concat([m, m.iloc[[10, 20]]], ignore_index=True)  # two exact duplicates
    m.loc[len(m) - 1, "item_1"] = 1.0 if m.loc[len(m) - 1, "item_1"] != 1.0 else 2.0  # a conflicting one
    m = m.sample(frac=1.0, random_state=1).reset_index(drop=True)  # clients spread over the file
    table = pa.Table.from_pandas(m, preserve_index=False)
    pq.write_table(table, folder / "measurements.parquet")
    parts = folder / "parts"
    parts.mkdir()
    step = -(-len(m) // 3)
    for i in range(3):
        pq.write_table(table.slice(i * step, step), parts / f"part-{i}.parquet")
    pads.write_dataset(table, folder / "hive", format="parquet", partitioning=["instrument"],
                       partitioning_flavor="hive")
    return folder, meta


def _study(folder: Path, meta: dict, engine: str, measurements: str, batch_rows: int = 997) -> es.Study:
    y0 = int(meta["start_year"])
    p = folder / f"params-{engine}-{measurements.replace('/', '_').replace('*', 'x')}.yaml"
    p.write_text(PARAMS.format(engine=engine, batch_rows=batch_rows, measurements=measurements,
                               export_date="-".join(reversed(str(meta["export_date"]).split("-"))),
                               y0=y0, y1=y0 + int(meta["years"]) - 1), encoding="utf-8")
    return es.Study.from_params(p)


def _same_results(a: es.Study, b: es.Study) -> None:
    pd.testing.assert_frame_equal(a.input.report.flow(), b.input.report.flow())
    assert dict(a.input.report.rows_read) == dict(b.input.report.rows_read)
    # the file column names the folder for a folder of Parquet files
    pd.testing.assert_frame_equal(a.input.report.excluded.drop(columns="file"),
                                  b.input.report.excluded.drop(columns="file"))
    pd.testing.assert_frame_equal(a.scores.scores, b.scores.scores)
    assert a.scores.meta["n_prorated"] == b.scores.meta["n_prorated"]
    assert a.scores.meta["n_missing_by_scale"] == b.scores.meta["n_missing_by_scale"]
    assert a.reliability.summary().equals(b.reliability.summary())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.testing.assert_frame_equal(a.flow().summary(), b.flow().summary())
        rows_a, rows_b = a.flow().rows(), b.flow().rows()
        pd.testing.assert_frame_equal(rows_a.drop(columns="file", errors="ignore"),
                                      rows_b.drop(columns="file", errors="ignore"))
        pd.testing.assert_frame_equal(a.effect_sizes().summary(), b.effect_sizes().summary())
        pd.testing.assert_frame_equal(a.clinical_significance().summary(), b.clinical_significance().summary())
        pd.testing.assert_frame_equal(a.stagnation().summary(), b.stagnation().summary())


def test_duckdb_file_equals_pandas(practice: tuple[Path, dict]) -> None:
    folder, meta = practice
    pandas_study = _study(folder, meta, "pandas", "measurements.parquet")
    duck = _study(folder, meta, "duckdb", "measurements.parquet")
    pd.testing.assert_frame_equal(pandas_study.input.report.problems, duck.input.report.problems)
    rules = set(duck.input.report.problems["rule"])
    assert {"out_of_range", "duplicate_exact", "duplicate_conflict"} <= rules
    _same_results(pandas_study, duck)
    assert not any(c.startswith("item_") for c in duck.measurements.columns)


def test_duckdb_folder_and_glob_equal_pandas(practice: tuple[Path, dict]) -> None:
    folder, meta = practice
    pandas_study = _study(folder, meta, "pandas", "measurements.parquet")
    for source in ("parts", "parts/*.parquet"):
        duck = _study(folder, meta, "duckdb", source, batch_rows=2500)
        expected = pandas_study.input.report.problems.assign(
            file=lambda p: p["file"].replace("measurements.parquet", "parts"))
        pd.testing.assert_frame_equal(expected, duck.input.report.problems)
        _same_results(pandas_study, duck)


def test_duckdb_hive_partitions(practice: tuple[Path, dict]) -> None:
    """Partitioned by instrument (``hive/instrument=scl90_nl/...``): the rows come in another order,
    so the lines differ, but the counts and every result are the same."""
    folder, meta = practice
    pandas_study = _study(folder, meta, "pandas", "measurements.parquet")
    duck = _study(folder, meta, "duckdb", "hive", batch_rows=4000)
    pd.testing.assert_frame_equal(pandas_study.input.report.flow(), duck.input.report.flow())
    pd.testing.assert_series_equal(pandas_study.input.report.problems["rule"].value_counts(),
                                   duck.input.report.problems["rule"].value_counts())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.testing.assert_frame_equal(pandas_study.effect_sizes().summary(), duck.effect_sizes().summary())
        pd.testing.assert_frame_equal(pandas_study.clinical_significance().summary(),
                                      duck.clinical_significance().summary())


def _spec(folder: Path, measurements: Path, engine: str = "duckdb") -> DataSpec:
    csv = {"sep": ";", "decimal": ",", "date_format": "%d-%m-%Y"}
    return DataSpec(episodes=FileSpec(path=folder / "episodes.csv", **csv),
                    measurements=FileSpec(path=measurements), engine=engine,
                    duckdb=DuckDBSpec(memory_limit="128MB", threads=1, batch_rows=1500))


def test_read_study_outofcore_identifiers_shown(practice: tuple[Path, dict]) -> None:
    folder, meta = practice
    spec = _spec(folder, folder / "measurements.parquet")
    today = "-".join(reversed(str(meta["export_date"]).split("-")))
    a = read_study(spec, show_identifiers=True, today=today)
    spill = folder / "spill" / "here"  # made when missing; the run's own folder in it is removed after
    spec = spec.model_copy(update={"duckdb": spec.duckdb.model_copy(update={"temp_directory": spill})})
    b = read_study_outofcore(spec, show_identifiers=True, today=today)
    assert spill.is_dir() and not any(spill.iterdir())
    assert "identifier" in b.report.problems.columns
    pd.testing.assert_frame_equal(a.report.problems, b.report.problems)
    pd.testing.assert_frame_equal(a.episodes, b.episodes)


def test_read_study_outofcore_fatal(practice: tuple[Path, dict]) -> None:
    """A required column missing: the same fatal report (every row excluded), or the same error."""
    folder, _ = practice
    t = pq.read_table(folder / "measurements.parquet")
    bad = folder / "no_date.parquet"
    pq.write_table(t.drop_columns(["date"]), bad)
    spec = _spec(folder, bad)
    a = read_study(spec, on_fatal="return")
    b = read_study_outofcore(spec, on_fatal="return")
    assert b.report.fatal
    pd.testing.assert_frame_equal(a.report.problems, b.report.problems)
    pd.testing.assert_frame_equal(a.report.flow(), b.report.flow())
    with pytest.raises(ValidationError) as ea:
        read_study(spec)
    with pytest.raises(ValidationError) as eb:
        read_study_outofcore(spec)
    assert str(ea.value) == str(eb.value)


def test_engine_param_errors(practice: tuple[Path, dict]) -> None:
    folder, meta = practice
    with pytest.raises(ParamsError, match="engine"):
        _study(folder, meta, "spark", "measurements.parquet")
    with pytest.raises(ParamsError, match="engine: duckdb reads Parquet"):
        _study(folder, meta, "duckdb", "measurements.csv")


def test_duckdb_settings(practice: tuple[Path, dict]) -> None:
    folder, meta = practice
    p = _study(folder, meta, "duckdb", "measurements.parquet").params
    assert p.data.engine == "duckdb"
    assert (p.data.duckdb.memory_limit, p.data.duckdb.threads, p.data.duckdb.batch_rows) == ("256MB", 1, 997)
    d = DataSpec(episodes=FileSpec(path="e.csv"), measurements=FileSpec(path="m.csv"))
    assert d.engine == "pandas" and d.duckdb == DuckDBSpec()
    assert (d.duckdb.memory_limit, d.duckdb.threads, d.duckdb.batch_rows) == ("4GB", None, 200_000)
    with pytest.raises(ValueError, match="not a memory size"):
        DuckDBSpec(memory_limit="lots")
    with pytest.raises(ValueError, match="item answers"):
        DataSpec(episodes=FileSpec(path="e.csv"), measurements=FileSpec(path="m.parquet", values="scores"),
                 engine="duckdb")


def test_validate_reads_a_parquet_folder_out_of_core(practice: tuple[Path, dict]) -> None:
    """``effectstudy validate -f`` (preflight) reads with the engine the params name: a folder of
    Parquet files, which the in-memory reader cannot open, gives the report ``Study`` gets."""
    from effectstudy.reports.preflight import preflight  # noqa: PLC0415

    folder, meta = practice
    duck = _study(folder, meta, "duckdb", "parts", batch_rows=2500)
    checked = preflight(duck.params.source_file)
    pd.testing.assert_frame_equal(checked.data.report.problems, duck.input.report.problems)
    assert dict(checked.data.report.rows_read) == dict(duck.input.report.rows_read)
