"""The measurements out of core: Parquet read by DuckDB in batches (``data.engine: duckdb``).

For data beyond one machine's memory.  DuckDB scans the Parquet measurements (a file, a folder
of files or a glob, hive partitions allowed) with its ``memory_limit`` and spills to its
``temp_directory``; Python sees one batch of rows at a time, and every batch goes through the
*same* reading, validation and scoring code as the in-memory path (:func:`effectstudy.data.io.read_table`,
:func:`effectstudy.data.validate.check_study`, :func:`effectstudy.instruments.scoring.score`);
nothing is checked or scored in SQL.

Two passes over the measurements:

1. :func:`read_study_outofcore` (validation): every row, ordered by client (so the checks across
   rows, duplicates by ``client_id, instrument, date`` and a session repeated within an episode,
   see all rows of a client in one batch).  Kept: the problems and the row accounting, never the
   rows.  The report has the same ``rows_read``, flow and problems as :func:`~effectstudy.data.io.read_study`.
2. :func:`score_outofcore` (after the selection of episodes): DuckDB selects the instrument's rows
   of the analysed episodes that passed validation, in file order; each batch is typed and
   scored.  Kept: the scores, the measurements without their items and, for Cronbach's alpha of
   the sample, the items of the candidate intake rows.

Line numbers are those of the in-memory reader (record number + 1); in a folder or glob the files
are numbered one after the other in name order, and the problems name the folder.
"""

from __future__ import annotations

import glob
import heapq
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError
from effectstudy.core.keys import factorizations, isin
from effectstudy.core.params import PARQUET_SUFFIXES, DataSpec, DuckDBSpec, FileSpec
from effectstudy.core.rowkey import RowKey, load_row_key
from effectstudy.data.consent import restrict_to_episodes
from effectstudy.data.io import StudyData, TableRead, read_table
from effectstudy.data.validate import (
    DEFAULT_MIN_DATE,
    DEFAULT_WINDOW_DAYS,
    TableAccount,
    ValidationReport,
    add_row_keys,
    check_study,
    concat_problems,
    identifiers_shown,
)
from effectstudy.instruments.scoring import ScoreResult, score

__all__ = ["parquet_files", "source_name", "read_study_outofcore", "score_outofcore", "OutOfCoreScores",
           "combine_scores"]

_LINE = "es_line"
_ID_COLUMNS = ["client_id", "episode_id"]
#: ``meta`` counts of a :class:`ScoreResult` that add up over batches
_COUNTS = ("n_original", "n_used", "n_administrations", "n_scores", "n_prorated", "n_prorated_by_scale",
           "n_missing", "n_missing_by_scale", "exclusions")


# ====================================================================== the source
def parquet_files(path: str | Path) -> list[Path]:
    """The Parquet files of ``path``: the file itself, a folder's ``*.parquet`` (sub-folders too,
    as in hive partitions) or a glob's matches, in name order.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for n in ("b.parquet", "a.parquet", "notes.txt"):
    ...     _ = (d / n).write_bytes(b"")
    >>> [p.name for p in parquet_files(d)], [p.name for p in parquet_files(d / "*.parquet")]
    (['a.parquet', 'b.parquet'], ['a.parquet', 'b.parquet'])
    """
    p = Path(path)
    if any(c in str(p) for c in "*?["):
        files = sorted(Path(f) for f in glob.glob(str(p), recursive=True) if Path(f).is_file())
    elif p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in PARQUET_SUFFIXES)
    else:
        files = [p] if p.is_file() else []
    if not files:
        raise ArgumentError("path", str(p), "a Parquet file, a folder of Parquet files or a glob that matches some")
    return files


def source_name(path: str | Path) -> str:
    """The name problems give the measurements: the file's name, or the folder's for a folder or glob.

    >>> source_name("data/measurements.parquet"), source_name("data/measurements/*.parquet")
    ('measurements.parquet', 'measurements')
    """
    p = Path(path)
    return p.parent.name if any(c in p.name for c in "*?[") else p.name


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _connect(settings: DuckDBSpec, temp: Path) -> Any:
    """A DuckDB connection with the memory limit, threads and spill folder of ``settings``."""
    import duckdb

    config = {"memory_limit": settings.memory_limit, "temp_directory": str(temp / "duckdb"),
              "preserve_insertion_order": False}
    if settings.threads is not None:
        config["threads"] = settings.threads
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = false")  # a session option: no bar on the notebook's output
    return con


def _workspace(settings: DuckDBSpec) -> tempfile.TemporaryDirectory:
    """A new folder for DuckDB's spill files and the batches, inside ``temp_directory`` (made when
    missing) or the system's temporary folder; removed afterwards."""
    if settings.temp_directory is not None:
        Path(settings.temp_directory).mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=settings.temp_directory, prefix="effectstudy-")


def _register_source(con: Any, files: list[Path]) -> None:
    """View ``es_source``: the rows of all files and their line (record number + 1, files one after another)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    counts = [pq.ParquetFile(f).metadata.num_rows for f in files]
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    names = [str(f) for f in files]
    con.register("es_offsets", pa.table({"filename": names, "es_off": offsets}))
    listing = ", ".join(_quote(n) for n in names)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW es_source AS SELECT m.* EXCLUDE (filename, file_row_number), "
        f"o.es_off + m.file_row_number + 2 AS {_LINE} FROM read_parquet([{listing}], filename=true, "
        "file_row_number=true, union_by_name=true) m JOIN es_offsets o USING (filename)")


def _export_column(con: Any, spec: FileSpec, canonical: str) -> str | None:
    """The source column read as ``canonical`` (through the column map), or ``None``."""
    names = [r[0] for r in con.execute("DESCRIBE es_source").fetchall()]
    return next((n for n in names if spec.columns.get(n, n).strip() == canonical), None)


def _batches(con: Any, sql: str, batch_rows: int, group: str | None) -> Iterator[Any]:
    """Arrow tables of about ``batch_rows`` rows of ``sql``; rows with one value of ``group``
    (the query is ordered by it) always come in the same table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rel = con.sql(sql)
    # a relation streams its rows as Arrow batches (DuckDB 1.x: fetch_arrow_reader; later: to_arrow_reader)
    reader = (rel.to_arrow_reader(batch_rows) if hasattr(rel, "to_arrow_reader")
              else rel.fetch_arrow_reader(batch_rows))
    carry = None
    for rb in reader:
        t = pa.Table.from_batches([rb])
        t = t if carry is None else pa.concat_tables([carry, t])
        if group is None:
            yield t
            carry = None
            continue
        g = t.column(group)
        last = g[len(g) - 1]
        same = (pc.is_null(g) if not last.is_valid else pc.equal(g, last).fill_null(False))
        cut = pc.index(same, True).as_py()
        if cut == 0:
            carry = t
            continue
        yield t.slice(0, cut)
        carry = t.slice(cut)
    if carry is not None and len(carry):
        yield carry


def _read_batch(tbl: Any, spec: FileSpec, name: str, folder: Path,
                kw: Mapping[str, Any]) -> tuple[TableRead, np.ndarray]:
    """One batch through :func:`read_table` (as a Parquet file named like the source); the lines of its rows."""
    import pyarrow.parquet as pq

    lines = tbl.column(_LINE).to_numpy().astype(np.int64)
    path = folder / name
    pq.write_table(tbl.drop_columns([_LINE]), path)
    try:
        tr = read_table(spec.model_copy(update={"path": path, "format": "parquet"}), "measurements",
                        on_fatal="return", **kw)
    finally:
        path.unlink(missing_ok=True)
    return tr, lines


def _relined(problems: pd.DataFrame, lines: np.ndarray) -> pd.DataFrame:
    """Problems of a batch with the source's line numbers (a batch's line ``l`` is its row ``l - 2``)."""
    if not len(problems):
        return problems
    out = problems.copy()
    row = out["row"].to_numpy(dtype=np.float64, na_value=np.nan)
    has = ~np.isnan(row) & (row >= 2)  # line 1 is the header: the file's, in every batch
    row[has] = lines[row[has].astype(np.int64) - 2]
    out["row"] = pd.array(row, dtype=out["row"].dtype if out["row"].dtype != object
                          else "Int64")
    return out


def _with_lines(df: pd.DataFrame, lines: np.ndarray) -> pd.DataFrame:
    out = df.copy()
    out.index = pd.Index(lines[df.index.to_numpy(dtype=np.int64) - 2], name="line")
    return out


# ====================================================================== problem order
def _group_ranks(seqs: list[list[str]]) -> dict[str, int]:
    """One order of the problem groups that keeps the order of every batch (a topological
    sort, ties by first appearance): the order of the checks in the in-memory path.

    >>> _group_ranks([["a", "c"], ["b", "c"], ["a", "b"]])
    {'a': 0, 'b': 1, 'c': 2}
    """
    first: dict[str, int] = {}
    succ: dict[str, set[str]] = {}
    indeg: dict[str, int] = {}
    for s in seqs:
        for k in s:
            first.setdefault(k, len(first))
            succ.setdefault(k, set())
            indeg.setdefault(k, 0)
        for a, b in zip(s, s[1:], strict=False):
            if b not in succ[a]:
                succ[a].add(b)
                indeg[b] += 1
    heap = [(first[k], k) for k in first if indeg[k] == 0]
    heapq.heapify(heap)
    out: dict[str, int] = {}
    while heap:
        _, k = heapq.heappop(heap)
        out[k] = len(out)
        for b in succ[k]:
            indeg[b] -= 1
            if indeg[b] == 0:
                heapq.heappush(heap, (first[b], b))
    for k in sorted(first, key=first.get):  # a cycle (not expected): first appearance
        out.setdefault(k, len(out))
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


def _group_keys(p: pd.DataFrame) -> pd.Series:
    cols = ["file", "rule", "column", "severity", "expected"]
    key = p[cols[0]].astype("str")
    for c in cols[1:]:
        key = key + "\x1f" + p[c].astype("str")
    return key


def _in_check_order(frames: list[pd.DataFrame], probe: pd.DataFrame | None = None) -> pd.DataFrame:
    """The problems of all batches as one table in the order of the in-memory path: groups
    (rule, column, ...) in check order, lines ascending within a group; problems without a line
    (the file's, such as an unknown column) once.  ``probe``: the problems of one batch that has
    every group (:func:`_probe`); its order comes first."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return concat_problems([])
    seqs = [list(dict.fromkeys(_group_keys(f))) for f in ([probe] if probe is not None and len(probe) else [])
            + frames]
    rank = _group_ranks(seqs)
    p = concat_problems(frames)
    rowless = (p["row"].isna() | (p["row"] < 2)).to_numpy(dtype=bool)  # the file's (no line, or the header)
    if rowless.any():
        dup = p[rowless].astype("str").duplicated().to_numpy()
        keep = np.ones(len(p), bool)
        keep[np.flatnonzero(rowless)[dup]] = False
        p = p[keep]
    r = _group_keys(p).map(rank).to_numpy(dtype=np.int64)
    row = p["row"].to_numpy(dtype=np.float64, na_value=-1.0)
    return p.iloc[np.lexsort((row, r))].reset_index(drop=True)


# ====================================================================== pass 1: validation
@dataclass
class _Context:
    """What every batch needs: the reader's settings and the validated episodes."""

    spec: FileSpec
    name: str
    folder: Path
    kw: dict[str, Any]
    episodes_all: pd.DataFrame
    episodes_used: np.ndarray
    window_days: tuple[int, int]
    key: Callable[[], RowKey]


def _validate_batch(tbl: Any, ctx: _Context) -> tuple[pd.DataFrame, pd.DataFrame, bool, pd.DataFrame]:
    """Table problems, cross-table problems, fatal and the empty typed frame of one batch."""
    tr, lines = _read_batch(tbl, ctx.spec, ctx.name, ctx.folder, ctx.kw)
    fatal = bool(tr.report.fatal)
    own = _relined(tr.report.problems, lines)
    if fatal or not len(tr.data):
        return own, concat_problems([]), fatal, tr.data.iloc[:0]
    data = _with_lines(tr.data, lines)
    ep = ctx.episodes_all
    show = bool(ctx.kw.get("show_identifiers", False))
    with identifiers_shown(show):
        cross = check_study(ep, ep.index.to_numpy(dtype=np.int64), ctx.episodes_used, data,
                            data.index.to_numpy(dtype=np.int64), np.ones(len(data), bool),
                            files={"measurements": ctx.name}, window_days=ctx.window_days)
    ids = data[[c for c in _ID_COLUMNS if c in data.columns]]
    cross = add_row_keys(cross, {ctx.name: ids}, ctx.key, show_identifiers=show)
    return own, cross, fatal, tr.data.iloc[:0]


def _row_key_loader(data_spec: DataSpec, row_key: RowKey | None) -> Callable[[], RowKey]:
    """The row key, loaded (and made) only when a problem row needs one, as the in-memory reader."""
    cache: dict[str, RowKey] = {}

    def get() -> RowKey:
        if "k" not in cache:
            cache["k"] = row_key if row_key is not None else load_row_key(Path(data_spec.episodes.path).resolve().parent)
        return cache["k"]
    return get


def _all_lines(tr: TableRead) -> np.ndarray:
    return np.sort(np.concatenate([tr.data.index.to_numpy(dtype=np.int64),
                                   tr.rejected.index.to_numpy(dtype=np.int64) if len(tr.rejected) else []])
                   ).astype(np.int64)


def _probe(con: Any, ctx: _Context, group: str | None, frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The problems of one batch with every problem group: all rows of the clients of each
    group's first problem row.  Its problems come in the in-memory path's check order, which
    orders the groups that no single batch had together."""
    import pyarrow as pa

    p = concat_problems([f for f in frames if len(f)])
    p = p[p["row"].notna()]
    if not len(p):
        return concat_problems([]), concat_problems([])
    first = p.assign(_g=_group_keys(p).to_numpy()).drop_duplicates("_g")["row"].to_numpy(dtype=np.int64)
    con.register("es_probe", pa.table({"line": first}))
    if group:
        sql = (f'SELECT * FROM es_source WHERE {_LINE} IN (SELECT line FROM es_probe) OR "{group}" IN '
               f'(SELECT "{group}" FROM es_source WHERE {_LINE} IN (SELECT line FROM es_probe)) '
               f'ORDER BY "{group}" NULLS LAST, {_LINE}')
    else:
        sql = f"SELECT * FROM es_source WHERE {_LINE} IN (SELECT line FROM es_probe) ORDER BY {_LINE}"
    rel = con.sql(sql)
    tbl = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()
    own, cross, _, _ = _validate_batch(tbl, ctx)
    return own, cross


def _stream_validation(con: Any, ctx: _Context, batch_rows: int) -> tuple[pd.DataFrame, pd.DataFrame, bool, int,
                                                                          pd.DataFrame]:
    """Pass 1 over every row, ordered by client: the problems (in check order), fatal, rows read."""
    group = _export_column(con, ctx.spec, "client_id")
    order = f'"{group}" NULLS LAST, {_LINE}' if group else _LINE
    own, cross, fatal, n, empty = [], [], False, 0, pd.DataFrame()
    for tbl in _batches(con, f"SELECT * FROM es_source ORDER BY {order}", batch_rows, group):
        o, c, f, e = _validate_batch(tbl, ctx)
        own.append(o)
        cross.append(c)
        fatal |= f
        n += len(tbl)
        empty = e if not len(empty.columns) else empty
    probe_own, probe_cross = _probe(con, ctx, group, own + cross) if len(own) > 1 else (None, None)
    return _in_check_order(own, probe_own), _in_check_order(cross, probe_cross), fatal, n, empty


@factorizations()  # as read_study: an id column factorized once for its checks
def read_study_outofcore(data_spec: DataSpec, *, on_fatal: str = "raise",
                         window_days: tuple[int, int] = DEFAULT_WINDOW_DAYS, min_date: str = DEFAULT_MIN_DATE,
                         today: str | None = None, show_identifiers: bool = False,
                         row_key: RowKey | None = None) -> StudyData:
    """:func:`~effectstudy.data.io.read_study` with the measurements streamed through DuckDB.

    The episodes and satisfaction are read in memory (one row per episode); the measurements
    (``data.measurements.path``: Parquet file, folder or glob) in batches of
    ``data.duckdb.batch_rows`` rows, all of a client's rows in one batch.  Returns a
    :class:`~effectstudy.data.io.StudyData` whose ``measurements`` is empty (its columns only):
    the rows are scored later by :func:`score_outofcore`; ``report`` is the in-memory reader's.
    """
    if on_fatal not in ("raise", "return"):
        raise ArgumentError("on_fatal", on_fatal, "'raise' or 'return'")
    key = _row_key_loader(data_spec, row_key)
    kw = {"codes": data_spec.code_lists(), "min_date": min_date, "today": today, "row_key": key,
          "show_identifiers": show_identifiers}
    ep = read_table(data_spec.episodes, "episodes", on_fatal="return", **kw)
    sat = (read_table(data_spec.satisfaction, "satisfaction", on_fatal="return", **kw)
           if data_spec.satisfaction is not None else None)
    spec = data_spec.measurements
    name = source_name(spec.path)
    with _workspace(data_spec.duckdb) as tmp:
        con = _connect(data_spec.duckdb, Path(tmp))
        try:
            _register_source(con, parquet_files(spec.path))
            ep_all = ep._all if ep._all is not None else ep.data  # all typed episodes, as read_study checks them
            used = ep.data.index.to_numpy(dtype=np.int64)
            ctx = _Context(spec, name, Path(tmp), kw, ep_all,
                           np.isin(ep_all.index.to_numpy(dtype=np.int64), used), window_days, key)
            own, cross, m_fatal, n_read, empty = _stream_validation(con, ctx, data_spec.duckdb.batch_rows)
        finally:
            con.close()
    m_own = own
    fatal = m_fatal or ep.report.fatal or (sat is not None and sat.report.fatal)
    sat_cross = concat_problems([])
    if sat is not None and not fatal and len(sat.data):
        with identifiers_shown(show_identifiers):
            sat_cross = check_study(ep_all, ep_all.index.to_numpy(dtype=np.int64), ctx.episodes_used, None, None,
                                    None, sat.data, sat.data.index.to_numpy(dtype=np.int64),
                                    np.ones(len(sat.data), bool), files={"satisfaction": sat.file},
                                    window_days=window_days)
        sat_cross = add_row_keys(sat_cross, {sat.file: sat.data[[c for c in _ID_COLUMNS if c in sat.data]]}, key,
                                 show_identifiers=show_identifiers)
    parts = [ep.report.problems, m_own, *([sat.report.problems] if sat is not None else [])]
    if not fatal:
        parts += [cross, sat_cross]
    problems = concat_problems(parts)
    err = problems.loc[(problems["file"] == name) & problems["row"].notna(), "row"].to_numpy(dtype=np.int64)
    accounts = {"episodes": TableAccount(ep.file, ep.report.rows_read["episodes"], _all_lines(ep), ep.report.fatal),
                "measurements": TableAccount(name, n_read, np.unique(err), m_fatal)}
    if sat is not None:
        accounts["satisfaction"] = TableAccount(sat.file, sat.report.rows_read["satisfaction"], _all_lines(sat),
                                                sat.report.fatal)
    report = ValidationReport.from_tables(accounts, problems)
    if report.fatal and on_fatal == "raise":
        report.raise_if_fatal()
    meta = {"engine": "duckdb", "today": today, "min_date": min_date, "measurements": {"file": name, "format": "parquet"},
            "episodes": ep.meta, "satisfaction": sat.meta if sat is not None else None}
    keep = not report.fatal
    return StudyData(ep.data if keep else ep.data.iloc[:0], empty,
                     None if sat is None else (sat.data if keep else sat.data.iloc[:0]), report, meta)


# ====================================================================== pass 2: scoring
@dataclass(frozen=True)
class OutOfCoreScores:
    """What the later stages need of the analysed measurements (pass 2).

    Attributes
    ----------
    scores : ScoreResult
        As :func:`~effectstudy.instruments.scoring.score` of all analysed rows at once.
    measurements : DataFrame
        The analysed rows without their item columns (index = source line).
    intake : DataFrame or None
        With items: the rows that can be a client's intake (``occasion == "pre"``, or the client's
        earliest date), for Cronbach's alpha of the sample; ``None`` when not asked for.
    """

    scores: ScoreResult
    measurements: pd.DataFrame
    intake: pd.DataFrame | None


def _add_counts(a: Any, b: Any) -> Any:
    """Counts of two batches added (numbers, and dicts of them, recursively).

    >>> _add_counts({"n": 2, "by": {"x": 1}}, {"n": 3, "by": {"y": 4}})
    {'n': 5, 'by': {'x': 1, 'y': 4}}
    """
    if isinstance(a, dict):
        return {k: _add_counts(a.get(k, 0), b.get(k, 0)) if k in a and k in b else (a[k] if k in a else b[k])
                for k in [*a, *(k for k in b if k not in a)]}
    return a + b


def combine_scores(results: list[ScoreResult]) -> ScoreResult:
    """One :class:`ScoreResult` of batches scored one after another (rows in batch order; counts added)."""
    meta = dict(results[0].meta)
    for r in results[1:]:
        for k in _COUNTS:
            if k in meta or k in r.meta:
                meta[k] = _add_counts(meta.get(k, {} if isinstance(r.meta.get(k), dict) else 0), r.meta.get(k, 0))
    scores = pd.concat([r.scores for r in results], ignore_index=True) if len(results) > 1 else results[0].scores
    return ScoreResult(meta=meta, scores=scores)


def _intake_candidates(held: pd.DataFrame | None, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows that can still be a client's first administration (``occasion == "pre"``, or at the
    client's earliest date so far): a superset of the intake rows that keeps their order."""
    if "occasion" in rows.columns:
        rows = rows[(rows["occasion"] == "pre").fillna(False).to_numpy(dtype=bool)]
    both = rows if held is None else pd.concat([held, rows])
    if "occasion" in both.columns or not len(both):
        return both
    first = both.groupby("client_id", sort=False, observed=True)["date"].transform("min")
    return both[(both["date"] == first).fillna(False).to_numpy(dtype=bool)]


def _of_batch(m: pd.DataFrame, kept: pd.DataFrame, all_episodes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The kept and all episodes that can matter to the rows ``m`` (their episodes or clients):
    :func:`restrict_to_episodes` gives the same rows with them, without comparing every batch
    with every episode."""
    eps = m["episode_id"] if "episode_id" in m.columns else pd.Series([], dtype="str")
    cl = m["client_id"]
    eps, cl = eps.dropna(), cl.dropna()  # a missing id matches nothing
    k = kept[isin(kept["episode_id"], eps) | isin(kept["client_id"], cl)]
    return k, all_episodes[isin(all_episodes["client_id"], cl) | isin(all_episodes["episode_id"], eps)]


def _score_batches(con: Any, sql: str, ctx: _Context, batch_rows: int, instrument: Any, kept: pd.DataFrame,
                   all_episodes: pd.DataFrame, intake: bool) -> tuple[list, list, pd.DataFrame | None, pd.DataFrame]:
    """Pass 2: each batch typed, restricted to the analysed episodes and scored."""
    results, keys, held, empty = [], [], None, pd.DataFrame()
    for tbl in _batches(con, sql, batch_rows, None):
        tr, lines = _read_batch(tbl, ctx.spec, ctx.name, ctx.folder, ctx.kw)
        m = _with_lines(tr.data, lines)
        if "instrument" in m.columns:
            m = m[(m["instrument"] == instrument.id).fillna(False).to_numpy(dtype=bool)]
        m = restrict_to_episodes(m, *_of_batch(m, kept, all_episodes))[0]
        empty = m.iloc[:0] if not len(empty.columns) else empty
        if not len(m):
            continue
        results.append(score(m, instrument=instrument))
        keys.append(m.drop(columns=[c for c in m.columns if c.startswith("item_")]))
        if intake:
            held = _intake_candidates(held, m)
    return results, keys, held, empty


def score_outofcore(data_spec: DataSpec, report: ValidationReport, kept: pd.DataFrame, all_episodes: pd.DataFrame,
                    instrument: Any, *, today: str | None = None, min_date: str = DEFAULT_MIN_DATE,
                    intake: bool = False, row_key: RowKey | None = None) -> OutOfCoreScores:
    """Score the analysed measurements batch by batch (pass 2 of ``engine: duckdb``).

    DuckDB selects the rows of ``instrument`` that passed validation (no ``error`` in
    ``report``) of the ``kept`` episodes (rows without an episode id: all, restricted in pandas
    as the in-memory path does, :func:`~effectstudy.data.consent.restrict_to_episodes`), in file
    order; each batch is typed by :func:`~effectstudy.data.io.read_table` and scored by
    :func:`~effectstudy.instruments.scoring.score`.  The scores equal those of the in-memory path.
    """
    import pyarrow as pa

    spec = data_spec.measurements
    name = source_name(spec.path)
    bad = report.excluded.loc[report.excluded["table"] == "measurements", "row"].to_numpy(dtype=np.int64)
    kw = {"codes": data_spec.code_lists(), "min_date": min_date, "today": today,
          "row_key": _row_key_loader(data_spec, row_key)}
    with _workspace(data_spec.duckdb) as tmp:
        con = _connect(data_spec.duckdb, Path(tmp))
        try:
            _register_source(con, parquet_files(spec.path))
            con.register("es_bad", pa.table({"line": bad}))
            for t, ids in (("es_kept", kept), ("es_used", all_episodes)):
                con.register(t, pa.table({"episode_id": ids["episode_id"].astype("str").to_numpy(dtype=object)}))
            # a superset of the rows to score (pandas selects them exactly): the instrument's id in
            # any case and spacing; an episode kept, or an id the SQL does not spell as the reader does
            where = [f"{_LINE} NOT IN (SELECT line FROM es_bad)"]
            inst_col, ep_col = _export_column(con, spec, "instrument"), _export_column(con, spec, "episode_id")
            if inst_col:
                where.append(f'contains(lower(CAST("{inst_col}" AS VARCHAR)), {_quote(instrument.id.lower())})')
            if ep_col:
                e = f'trim(CAST("{ep_col}" AS VARCHAR))'
                where.append(f'("{ep_col}" IS NULL OR {e} IN (SELECT episode_id FROM es_kept) '
                             f"OR {e} NOT IN (SELECT episode_id FROM es_used))")
            sql = f"SELECT * FROM es_source WHERE {' AND '.join(where)} ORDER BY {_LINE}"
            ctx = _Context(spec, name, Path(tmp), kw, all_episodes, np.ones(len(all_episodes), bool), (0, 0),
                           kw["row_key"])
            results, keys, held, empty = _score_batches(con, sql, ctx, data_spec.duckdb.batch_rows, instrument,
                                                        kept, all_episodes, intake)
        finally:
            con.close()
    if not results:  # the in-memory path's error (no rows of the instrument)
        results = [score(empty, instrument=instrument)]
    measurements = pd.concat(keys) if keys else empty.drop(columns=[c for c in empty.columns if c.startswith("item_")])
    if held is not None:
        held = held.sort_index(kind="stable")
    return OutOfCoreScores(combine_scores(results), measurements, held)
