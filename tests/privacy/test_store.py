"""The DuckDB study store: idempotent imports, conflicts, crash safety, manifest verification."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effectstudy.cli import main
from effectstudy.core.errors import ArgumentError, DataError
from effectstudy.privacy import audit_log
from effectstudy.privacy.store import MANIFEST, StudyStore, sha256_file


def measurements(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["client_id", "episode_id", "instrument", "date", "session", "item_1", "item_2"])
    df["date"] = pd.to_datetime(df["date"])
    return df


EXPORT_1 = [
    ("c1", "e1", "scl90_nl", "2024-01-05", 1, 2.0, 3.0),
    ("c1", "e1", "scl90_nl", "2024-03-05", 8, 1.0, 1.0),
    ("c2", "e2", "scl90_nl", "2024-02-01", 1, 4.0, np.nan),
]
# next month's export: repeats the first two rows, changes the third (conflict), adds one
EXPORT_2 = [
    ("c1", "e1", "scl90_nl", "2024-01-05", 1, 2.0, 3.0),
    ("c1", "e1", "scl90_nl", "2024-03-05", 8, 1.0, 1.0),
    ("c2", "e2", "scl90_nl", "2024-02-01", 1, 0.0, np.nan),
    ("c3", "e3", "scl90_nl", "2024-04-01", 1, 3.0, 3.0),
]


def write_export(path: Path, rows: list[tuple]) -> Path:
    """A raw export file whose bytes are the CSV text of the rows."""
    measurements(rows).to_csv(path, sep=";", index=False)
    return path


def csv_reader(spec, table):
    df = pd.read_csv(spec, sep=";")
    df["date"] = pd.to_datetime(df["date"])
    return df


@pytest.fixture
def store(tmp_path: Path) -> StudyStore:
    return StudyStore(tmp_path / "data" / "study.duckdb")


def snapshot(store: StudyStore) -> dict[str, pd.DataFrame]:
    return {t: store.query(f"SELECT * FROM {t} ORDER BY ALL") for t in
            ("episodes", "measurements", "scores", "satisfaction", "imports", "conflicts", "removals")}


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k], obj=k)


def test_import_archives_raw_file_read_only_and_byte_identical(store, tmp_path):
    src = write_export(tmp_path / "rom-2024-04.csv", EXPORT_1)
    r = store.import_export(src, table="measurements", reader=csv_reader)
    assert (r.status, r.rows_in, r.rows_added, r.rows_duplicate, r.rows_conflict) == ("imported", 3, 3, 0, 0)
    raw = store.raw_dir / r.raw_path
    assert raw.read_bytes() == src.read_bytes()
    assert stat.S_IMODE(raw.stat().st_mode) == 0o444
    assert raw.name == sha256_file(src) + ".csv"
    assert f"{sha256_file(src)}  {r.raw_path}" in (store.raw_dir / MANIFEST).read_text().splitlines()
    got = store.table("measurements").sort_values("date").reset_index(drop=True)
    assert got["item_1"].tolist() == [2.0, 4.0, 1.0]
    assert got["client_id"].tolist() == ["c1", "c2", "c1"]
    assert store.verify().ok


def test_reimporting_the_same_export_is_a_no_op(store, tmp_path):
    src = write_export(tmp_path / "rom.csv", EXPORT_1)
    first = store.import_export(src, table="measurements", reader=csv_reader)
    before = snapshot(store)
    manifest = (store.raw_dir / MANIFEST).read_bytes()
    raw_files = sorted(p.name for p in store.raw_dir.rglob("*"))
    again = store.import_export(src, table="measurements", reader=csv_reader)
    assert again.status == "already_imported"
    assert again.rows_added == 0
    assert f"already imported on {first.imported_at}" in again.message()
    assert_same(before, snapshot(store))
    assert (store.raw_dir / MANIFEST).read_bytes() == manifest
    assert sorted(p.name for p in store.raw_dir.rglob("*")) == raw_files
    # a copy of the file under another name is the same export (same bytes)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(src.read_bytes())
    assert store.import_export(copy, table="measurements", reader=csv_reader).status == "already_imported"
    assert_same(before, snapshot(store))


def test_overlapping_export_adds_only_new_rows_and_reports_conflicts(store, tmp_path):
    store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", reader=csv_reader)
    r = store.import_export(write_export(tmp_path / "b.csv", EXPORT_2), table="measurements", reader=csv_reader)
    assert (r.rows_in, r.rows_added, r.rows_duplicate, r.rows_conflict) == (4, 1, 2, 1)
    assert r.rows_in == r.rows_added + r.rows_duplicate + r.rows_conflict + r.rows_suppressed
    m = store.table("measurements")
    assert len(m) == 4
    # the stored c2 row is not overwritten
    assert m.loc[m["client_id"] == "c2", "item_1"].tolist() == [4.0]
    conflicts = store.table("conflicts")
    assert len(conflicts) == 1
    assert conflicts["key_values"].iloc[0].startswith("c2|scl90_nl|2024-02-01")
    assert '"item_1": 0.0' in conflicts["new_row"].iloc[0]
    assert "1 conflicts" in r.message()
    assert r.conflicts["client_id"].tolist() == ["c2"]


def test_duplicates_and_conflicts_inside_one_file_are_counted(store, tmp_path):
    rows = [*EXPORT_1, EXPORT_1[0], ("c1", "e1", "scl90_nl", "2024-01-05", 1, 0.0, 0.0)]
    r = store.import_export(write_export(tmp_path / "a.csv", rows), table="measurements", reader=csv_reader)
    assert (r.rows_in, r.rows_added, r.rows_duplicate, r.rows_conflict) == (5, 3, 1, 1)
    assert len(store.table("measurements")) == 3


def test_content_hash_ignores_column_order_and_empty_extra_columns(store, tmp_path):
    a = measurements(EXPORT_1)
    store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", frame=a)
    b = a[a.columns[::-1]].assign(item_3=np.nan, occasion=None)
    (tmp_path / "b.csv").write_text("another export")
    r = store.import_export(tmp_path / "b.csv", table="measurements", frame=b)
    assert (r.rows_duplicate, r.rows_conflict, r.rows_added) == (3, 0, 0)


def test_columns_outside_the_schema_are_not_stored(store, tmp_path):
    f = measurements(EXPORT_1).assign(naam="Jansen", bsn="123456782")
    (tmp_path / "a.csv").write_text("a")
    r = store.import_export(tmp_path / "a.csv", table="measurements", frame=f)
    assert r.ignored_columns == ("naam", "bsn")
    assert "columns not stored: naam, bsn" in r.message()
    assert not {"naam", "bsn"} & set(store.table("measurements").columns)


def test_new_item_columns_are_added(store, tmp_path):
    (tmp_path / "a.csv").write_text("a")
    (tmp_path / "b.csv").write_text("b")
    store.import_export(tmp_path / "a.csv", table="measurements", frame=measurements(EXPORT_1))
    f = measurements([("c9", "e9", "bsi", "2024-05-01", 1, 1.0, 1.0)]).assign(item_53=2.0)
    store.import_export(tmp_path / "b.csv", table="measurements", frame=f)
    m = store.table("measurements")
    assert m.loc[m["client_id"] == "c9", "item_53"].tolist() == [2.0]
    assert m["item_53"].isna().sum() == 3


def test_verify_detects_a_modified_raw_file(store, tmp_path):
    r = store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", reader=csv_reader)
    raw = store.raw_dir / r.raw_path
    os.chmod(raw, 0o644)
    raw.write_bytes(raw.read_bytes().replace(b"4.0", b"3.0"))
    os.chmod(raw, 0o444)
    rep = store.verify()
    assert not rep.ok
    assert rep.problems["check"].tolist() == ["modified"]
    assert "the raw file was modified" in rep.message()
    assert main(["verify", "--store", str(store.path)]) == 1


def test_verify_reports_missing_unlisted_writable_and_temporary_files(store, tmp_path):
    r = store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", reader=csv_reader)
    raw = store.raw_dir / r.raw_path
    (raw.parent / "stray.csv").write_text("x")
    (raw.parent / ".half.csv.tmp").write_text("x")
    os.chmod(raw, 0o644)
    checks = set(store.verify().problems["check"])
    assert checks == {"unlisted", "temporary", "writable"}
    raw.unlink()
    checks = set(store.verify().problems["check"])
    assert {"missing", "unlisted", "temporary"} <= checks


def test_verify_detects_an_edited_or_truncated_audit_log(store, tmp_path):
    store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", reader=csv_reader)
    store.import_export(write_export(tmp_path / "b.csv", EXPORT_2), table="measurements", reader=csv_reader)
    log = store.audit_log
    lines = log.read_text().splitlines()
    log.write_text(lines[0] + "\n")  # last entry cut off: chain valid, head differs
    rep = store.verify()
    assert rep.problems["check"].tolist() == ["audit_log"]
    assert "differs from the recorded head" in rep.problems["message"].iloc[0]
    log.write_text("\n".join([lines[0].replace('"rows_added":3', '"rows_added":2'), lines[1]]) + "\n")
    assert "entry edited" in store.verify().message()


def test_import_errors_name_the_problem(store, tmp_path):
    (tmp_path / "a.csv").write_text("a")
    with pytest.raises(ArgumentError, match="table: got 'scores', expected 'episodes', 'measurements' or 'satisfaction'"):
        store.import_export(tmp_path / "a.csv", table="scores", frame=measurements(EXPORT_1))
    with pytest.raises(ArgumentError, match="source: got '.*nope.csv', expected an existing export file"):
        store.import_export(tmp_path / "nope.csv", table="measurements", frame=measurements(EXPORT_1))
    with pytest.raises(DataError, match="a.csv instrument: key column is missing"):
        store.import_export(tmp_path / "a.csv", table="measurements", frame=measurements(EXPORT_1).drop(columns="instrument"))
    bad = measurements(EXPORT_1)
    bad.loc[1, "client_id"] = None
    with pytest.raises(DataError, match=r"a.csv:1 client_id: missing key value"):
        store.import_export(tmp_path / "a.csv", table="measurements", frame=bad)
    with pytest.raises(DataError, match="item_1: item codes must be numeric"):
        store.import_export(tmp_path / "a.csv", table="measurements", frame=measurements(EXPORT_1).assign(item_1="x"))
    # nothing was stored or archived by the failed attempts
    assert store.table("imports").empty and store.table("measurements").empty
    assert not store.raw_dir.exists() or not list(store.raw_dir.rglob("*"))


def test_archived_copy_modified_before_reimport_is_an_error(store, tmp_path):
    from effectstudy.privacy.store import StoreError

    src = write_export(tmp_path / "a.csv", EXPORT_1)
    store.import_export(src, table="measurements", reader=csv_reader)
    # simulate an earlier import that archived but never committed, then tampering
    store2 = StudyStore(tmp_path / "other" / "study.duckdb", raw_dir=store.raw_dir)
    raw = next(store.raw_dir.glob("*/*.csv"))
    os.chmod(raw, 0o644)
    raw.write_text("tampered")
    with pytest.raises(StoreError, match="no longer matches its SHA-256; run `effectstudy verify`"):
        store2.import_export(src, table="measurements", reader=csv_reader)


def _kill_script(db: Path, src: Path) -> str:
    return textwrap.dedent(f"""
        import pandas as pd
        from effectstudy.privacy.store import StudyStore
        def reader(p, table):
            df = pd.read_csv(p, sep=";"); df["date"] = pd.to_datetime(df["date"]); return df
        StudyStore({str(db)!r}).import_export({str(src)!r}, table="measurements", reader=reader)
    """)


def test_a_process_killed_during_an_import_leaves_the_store_unchanged(store, tmp_path):
    store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", reader=csv_reader)
    before = snapshot(store)
    src = write_export(tmp_path / "b.csv", EXPORT_2)
    marker = tmp_path / "in-transaction"
    env = {**os.environ, "EFFECTSTUDY_TEST_IMPORT_PAUSE": "60", "EFFECTSTUDY_TEST_IMPORT_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, "-c", _kill_script(store.path, src)], env=env)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, "import process ended before reaching the transaction"
            assert time.monotonic() < deadline, "import process never reached the transaction"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # readable and unchanged
    assert_same(before, snapshot(store))
    assert store.verify().ok, store.verify().message()
    # a re-run completes and gives what an uninterrupted run gives
    r = store.import_export(src, table="measurements", reader=csv_reader)
    assert (r.status, r.rows_added, r.rows_duplicate, r.rows_conflict) == ("imported", 1, 2, 1)
    ref = StudyStore(tmp_path / "ref" / "study.duckdb")
    ref.import_export(tmp_path / "a.csv", table="measurements", reader=csv_reader)
    ref.import_export(src, table="measurements", reader=csv_reader)
    cols = ["client_id", "instrument", "date", "item_1", "item_2"]
    pd.testing.assert_frame_equal(store.table("measurements")[cols].sort_values(cols).reset_index(drop=True),
                                  ref.table("measurements")[cols].sort_values(cols).reset_index(drop=True))
    assert store.verify().ok
    # the killed import had written its log entry before its commit: the re-run noted it
    entries = audit_log.read(store.audit_log)
    assert [e["action"] for e in entries] == ["import", "import", "log_recovered", "import"]
    assert entries[2]["details"]["entries_after_recorded_head"] == [
        {"seq": 2, "action": "import", "took_effect": False}]


def test_forget_removes_a_client_and_keeps_them_out_of_later_imports(store, tmp_path):
    eps = pd.DataFrame({"episode_id": ["e1", "e2"], "client_id": ["c1", "c2"],
                        "start_date": pd.to_datetime(["2024-01-01", "2024-01-15"])})
    (tmp_path / "eps.csv").write_text("episodes")
    (tmp_path / "sat.csv").write_text("satisfaction")
    store.import_export(tmp_path / "eps.csv", table="episodes", frame=eps)
    store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", reader=csv_reader)
    store.import_export(tmp_path / "sat.csv", table="satisfaction",
                        frame=pd.DataFrame({"episode_id": ["e1", "e2"], "issued": [True, True], "grade": [8.0, 7.0]}))
    r = store.forget("c1", reason="request of the client")
    assert r.rows == {"satisfaction": 1, "measurements": 2, "scores": 0, "episodes": 1}
    assert len(r.raw_files) == 3
    assert "must be destroyed or replaced" in r.message()
    assert "c1" not in set(store.table("measurements")["client_id"])
    assert store.table("episodes")["client_id"].tolist() == ["c2"]
    assert store.table("satisfaction")["episode_id"].tolist() == ["e2"]
    # an overlapping later export does not bring c1 back
    r2 = store.import_export(write_export(tmp_path / "b.csv", EXPORT_2), table="measurements", reader=csv_reader)
    assert r2.rows_suppressed == 2
    assert "c1" not in set(store.table("measurements")["client_id"])
    (tmp_path / "sat2.csv").write_text("satisfaction 2")
    r3 = store.import_export(tmp_path / "sat2.csv", table="satisfaction",
                             frame=pd.DataFrame({"episode_id": ["e1"], "issued": [True], "grade": [9.0]}))
    assert r3.rows_suppressed == 1 and store.table("satisfaction")["episode_id"].tolist() == ["e2"]
    entry = [e for e in audit_log.read(store.audit_log) if e["action"] == "forget"][0]
    assert entry["details"]["rows"]["measurements"] == 2
    assert '"c1"' not in store.audit_log.read_text()
    assert store.verify().ok


def test_forget_errors(store):
    with pytest.raises(ArgumentError, match="client_ids: got .*, expected one or more client ids"):
        store.forget([], reason="x")
    with pytest.raises(ArgumentError, match="reason: got '', expected a short text"):
        store.forget("c1", reason="")


def test_scores_are_stored_with_the_same_rules(store):
    sc = pd.DataFrame({"client_id": ["c1", "c1"], "instrument": ["scl90_nl"] * 2,
                       "date": pd.to_datetime(["2024-01-05"] * 2), "scale": ["total", "dep"],
                       "score": [1.5, 2.0], "n_answered": [90, 13], "prorated": [False, False]})
    r = store.add_scores(sc, source="scl90_nl v1")
    assert (r.rows_added, r.rows_duplicate) == (2, 0)
    r = store.add_scores(sc.assign(score=[1.5, 2.5]), source="scl90_nl v2")
    assert (r.rows_added, r.rows_duplicate, r.rows_conflict) == (0, 1, 1)
    assert sorted(store.table("scores")["score"]) == [1.5, 2.0]


def test_table_and_open_errors(store, tmp_path):
    with pytest.raises(ArgumentError, match="name: got 'secrets', expected one of episodes"):
        store.table("secrets")
    bad = tmp_path / "not-a-db.duckdb"
    bad.write_text("this is not a database")
    from effectstudy.privacy.store import StoreError

    with pytest.raises(StoreError, match="cannot open the study store"):
        StudyStore(bad)


def test_cli_import_and_verify_with_params(tmp_path, monkeypatch, capsys):
    ep_file = tmp_path / "exports" / "episodes.csv"
    ep_file.parent.mkdir()
    ep_file.write_text("episode_id;client_id;start_date\ne1;c1;05-01-2024\n")
    m_file = write_export(tmp_path / "exports" / "rom.csv", EXPORT_1)

    def read_table(spec, table, codes=None):  # stands in for effectstudy.data.io.read_table
        df = pd.read_csv(spec.path, sep=";")
        col = "start_date" if table == "episodes" else "date"
        df[col] = pd.to_datetime(df[col], dayfirst=True)
        return df

    monkeypatch.setitem(sys.modules, "effectstudy.data.io", types.SimpleNamespace(read_table=read_table))
    params = tmp_path / "p.yaml"
    params.write_text("data:\n  episodes: {path: exports/episodes.csv}\n  measurements: {path: exports/rom.csv}\n"
                      "store:\n  path: store/study.duckdb\n")
    assert main(["import", "-f", str(params)]) == 0
    out = capsys.readouterr().out
    assert "episodes.csv -> episodes: 1 rows read, 1 added" in out
    assert "rom.csv -> measurements: 3 rows read, 3 added" in out
    assert main(["import", "-f", str(params)]) == 0
    assert out.count("already imported") == 0 and "already imported on" in capsys.readouterr().out
    assert main(["verify", "-f", str(params)]) == 0
    assert "OK: 2 raw file(s) match the manifest" in capsys.readouterr().out
    assert (tmp_path / "store" / "raw" / MANIFEST).exists() and m_file.exists()
    # a params file without data: section
    p2 = tmp_path / "p2.yaml"
    p2.write_text("store:\n  path: store/study.duckdb\n")
    assert main(["import", "-f", str(p2)]) == 2
    assert "data: the files to import are missing" in capsys.readouterr().err
    p3 = tmp_path / "p3.yaml"
    p3.write_text("store:\n  path: store/study.duckdb\n  retention_yrs: 20\n")
    assert main(["verify", "-f", str(p3)]) == 2
    assert "store.retention_yrs: unknown key" in capsys.readouterr().err


def test_raw_files_are_never_opened_for_writing_after_archiving(store, tmp_path, monkeypatch):
    """INT-1: once archived, nothing in the toolkit opens a raw file with a writing mode."""
    import builtins

    store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", reader=csv_reader)
    archived = {p.resolve() for p in store.raw_dir.rglob("*") if p.is_file() and p.name != MANIFEST}
    real_open, real_os_open = builtins.open, os.open
    writes: list[str] = []

    def spy_open(file, mode="r", *a, **k):
        if isinstance(file, (str, os.PathLike)) and Path(file).resolve() in archived and set(mode) & set("wax+"):
            writes.append(f"{file} {mode}")
        return real_open(file, mode, *a, **k)

    def spy_os_open(path, flags, *a, **k):
        if Path(path).resolve() in archived and flags & (os.O_WRONLY | os.O_RDWR):
            writes.append(f"{path} os.open {flags}")
        return real_os_open(path, flags, *a, **k)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    store.import_export(tmp_path / "a.csv", table="measurements", reader=csv_reader)
    store.import_export(write_export(tmp_path / "b.csv", EXPORT_2), table="measurements", reader=csv_reader)
    store.verify()
    store.forget("c1", reason="request")
    assert writes == []
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in archived)


def test_load_returns_canonical_dtypes_for_analyses(store, tmp_path):
    eps = pd.DataFrame({"episode_id": ["e1", "e2"], "client_id": ["c1", "c2"],
                        "start_date": pd.to_datetime(["2024-01-01", "2024-01-15"]), "sessions": [5, None],
                        "consent_study": [True, None]})
    (tmp_path / "e.csv").write_text("e")
    store.import_export(tmp_path / "e.csv", table="episodes", frame=eps)
    store.import_export(write_export(tmp_path / "a.csv", EXPORT_1), table="measurements", reader=csv_reader)
    st_ = store.load()
    e = st_.episodes.sort_values("episode_id").reset_index(drop=True)
    assert str(e["sessions"].dtype) == "Int64" and e["sessions"].tolist()[0] == 5 and e["sessions"].isna().tolist() == [False, True]
    assert str(e["consent_study"].dtype) == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(st_.measurements["date"])
    assert "content_hash" not in st_.measurements.columns and len(st_.measurements) == 3
    assert st_.scores.empty and st_.satisfaction.empty
    from effectstudy.data.consent import filter_consent

    kept, _ = filter_consent(st_.episodes, "study")
    assert kept["episode_id"].tolist() == ["e1"]


def test_values_stay_with_their_row_when_the_frame_is_indexed_by_line(store, tmp_path):
    """Regression: the real reader indexes rows by their line in the file (2, 3, ...); int and
    flag columns were aligned on that index instead of by position, which shifted sessions and
    consent flags to other episodes (and left the first rows empty)."""
    from effectstudy.core.params import FileSpec
    from effectstudy.data.io import read_table

    p = tmp_path / "episodes.csv"
    p.write_text("episode_id;client_id;start_date;sessions;birth_year;consent_study;consent_research\n"
                 "E1;C1;03-01-2024;7;1970;1;0\n"
                 "E2;C2;10-01-2024;4;1981;0;1\n"
                 "E3;C3;15-01-2024;9;1992;1;1\n")
    t = read_table(FileSpec(path=p), "episodes")
    assert t.data.index.tolist() == [2, 3, 4]
    store.import_export(FileSpec(path=p), table="episodes")
    e = store.load().episodes.sort_values("episode_id").reset_index(drop=True)
    assert e["sessions"].tolist() == [7, 4, 9]
    assert e["birth_year"].tolist() == [1970, 1981, 1992]
    assert e["consent_study"].tolist() == [True, False, True]
    assert e["consent_research"].tolist() == [False, True, True]
    m = pd.DataFrame({"client_id": ["C1", "C2"], "instrument": "scl90_nl",
                      "date": pd.to_datetime(["2024-01-05", "2024-01-12"]), "session": [1, 2],
                      "item_1": [1.0, 5.0]}, index=[10, 11])
    (tmp_path / "m.csv").write_text("m")
    store.import_export(tmp_path / "m.csv", table="measurements", frame=m)
    got = store.load().measurements.sort_values("client_id")
    assert got["session"].tolist() == [1, 2] and got["item_1"].tolist() == [1.0, 5.0]


_TIMED_IMPORT = """
import sys, time
import pandas as pd
from effectstudy.privacy.store import StudyStore
def reader(p, table):
    df = pd.read_csv(p, sep=";"); df["date"] = pd.to_datetime(df["date"]); return df
store = StudyStore(sys.argv[1])
print("ready", flush=True)
t0 = time.perf_counter()
store.import_export(sys.argv[2], table="measurements", reader=reader)
print(time.perf_counter() - t0, flush=True)
"""


def _content(store: StudyStore) -> pd.DataFrame:
    cols = ["client_id", "instrument", "date", "item_1", "item_2"]
    return store.table("measurements")[cols].sort_values(cols).reset_index(drop=True)


@pytest.mark.slow
def test_kills_at_random_points_of_an_import_leave_the_old_or_the_new_state(tmp_path):
    """SIGKILL at 10 random moments of an import (reading, archiving, the transaction, the log):
    the store stays readable and holds either the state before or the state after the import;
    a re-run then gives what an uninterrupted import gives and ``verify`` passes (leftover
    temporary files are removed and reported by the next import)."""
    import shutil

    rng = np.random.default_rng(20261201)
    n = 30_000
    rows = pd.DataFrame({"client_id": [f"c{i % 5000}" for i in range(n)], "episode_id": "e",
                         "instrument": "scl90_nl",
                         "date": (pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n) // 5000, unit="D")),
                         "session": 1, "item_1": rng.integers(1, 6, n).astype(float),
                         "item_2": rng.integers(1, 6, n).astype(float)})
    rows.iloc[:10_000].to_csv(tmp_path / "a.csv", sep=";", index=False)
    rows.to_csv(tmp_path / "b.csv", sep=";", index=False)
    template = tmp_path / "template" / "data"
    base = StudyStore(template / "study.duckdb")
    base.import_export(tmp_path / "a.csv", table="measurements", reader=csv_reader)
    before = _content(base)

    def run(folder: Path, kill_after: float | None):
        shutil.copytree(template, folder)
        proc = subprocess.Popen([sys.executable, "-c", _TIMED_IMPORT, str(folder / "study.duckdb"),
                                 str(tmp_path / "b.csv")], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        if kill_after is None:
            elapsed = float(proc.stdout.readline())
            proc.wait(timeout=120)
            proc.stdout.close()
            return StudyStore(folder / "study.duckdb"), elapsed
        time.sleep(kill_after)
        proc.kill()
        proc.wait(timeout=60)
        proc.stdout.close()
        return StudyStore(folder / "study.duckdb"), proc.returncode

    ref, duration = run(tmp_path / "ref" / "data", None)
    after = _content(ref)
    assert len(after) == n and len(before) == 10_000
    states = []
    for k, delay in enumerate(rng.uniform(0, 1.2 * duration, 10)):
        store, _ = run(tmp_path / f"kill{k}" / "data", float(delay))
        now = _content(store)  # readable
        n_imports = len(store.query("SELECT * FROM imports"))
        if len(now) == len(before):
            pd.testing.assert_frame_equal(now, before)
            assert n_imports == 1
            states.append("old")
        else:
            pd.testing.assert_frame_equal(now, after)
            assert n_imports == 2
            states.append("new")
        again = store.import_export(tmp_path / "b.csv", table="measurements", reader=csv_reader)
        assert again.status in ("imported", "already_imported")
        pd.testing.assert_frame_equal(_content(store), after)
        assert store.verify().ok, (k, delay, store.verify().message())
    assert "old" in states  # at least one kill landed before the commit


def test_cli_import_keeps_the_codes_the_params_declare(tmp_path, capsys):
    """effectstudy import reads with the params' code lists (data.codes), as the reports do: a
    practice's own diagnosis code is stored; an undeclared one is stored as missing."""
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "episodes.csv").write_text(
        "episode_id;client_id;start_date;diagnosis\ne1;c1;05-01-2024;eetstoornis\ne2;c2;06-01-2024;depression\n")
    (tmp_path / "exports" / "rom.csv").write_text(
        "client_id;episode_id;instrument;date;session;item_1\nc1;e1;scl90_nl;2024-01-05;1;2\n")
    data = ("data:\n  episodes: {path: exports/episodes.csv, sep: ';', date_format: '%d-%m-%Y'}\n"
            "  measurements: {path: exports/rom.csv, sep: ';'}\n")
    declared, undeclared = tmp_path / "declared.yaml", tmp_path / "undeclared.yaml"
    declared.write_text(data + "  codes:\n    diagnosis: [eetstoornis, depression]\n"
                        "store:\n  path: store1/study.duckdb\n")
    undeclared.write_text(data + "store:\n  path: store2/study.duckdb\n")
    for params, expected in ((declared, ["eetstoornis", "depression"]), (undeclared, [None, "depression"])):
        assert main(["import", "-f", str(params)]) == 0
        capsys.readouterr()
        store = StudyStore(tmp_path / ("store1" if params is declared else "store2") / "study.duckdb")
        got = store.table("episodes").sort_values("episode_id")["diagnosis"]
        assert [None if pd.isna(v) else v for v in got] == expected
