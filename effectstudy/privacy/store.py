"""The study store: years of exports in one embedded DuckDB database, raw files kept unchanged.

``data/study.duckdb`` (default) holds the tables ``episodes``, ``measurements``, ``scores``,
``satisfaction``, ``imports`` (one row per imported file), ``conflicts`` (rows that clashed
with stored rows and were *not* applied), ``removals`` and ``suppressed_clients`` (erasure
requests) and ``meta``.  Researchers can query it with SQL from JupyterLab::

    import duckdb
    con = duckdb.connect("data/study.duckdb", read_only=True)
    con.sql("select instrument, count(*) from measurements group by 1").df()

Importing an export (:meth:`StudyStore.import_export`) follows the project's integrity
reference (INT-1, INT-3, INT-4):

1. the file's SHA-256 is computed; a file already imported is a no-op, reported as
   ``already imported on <date>``;
2. the file is copied byte for byte to ``raw/<year>/<sha256><ext>`` (temporary file, fsync,
   rename), made read-only (0444), and listed in the BagIt-style manifest
   ``raw/manifest-sha256.txt`` (RFC 8493: ``<checksum> <path>`` per line);
3. its rows are appended in **one transaction**.  Rows are matched on the table's natural
   key (:mod:`effectstudy.core.schema`: measurements ``client_id, instrument, date``; episodes
   ``episode_id``; scores ``client_id, instrument, date, scale``) plus a content hash of
   the other columns: a new key is added; the same key with the same content is a
   duplicate (counted); the same key with different content is a **conflict**: the stored
   row is kept, the new one is listed in ``conflicts`` for a person to resolve.  Every row is
   accounted for: ``rows_in = added + duplicate + conflict + suppressed``.

A process killed before the commit leaves the database as it was (DuckDB transactions);
the raw copy and manifest line it may have written are complete files (rename), and a
re-run completes the import.  :meth:`StudyStore.verify` re-hashes every raw file against
the manifest and checks the audit log's hash chain.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> f = d / "export.csv"; _ = f.write_text("x")
>>> m = pd.DataFrame({"client_id": ["c1"], "instrument": ["scl90_nl"],
...                   "date": pd.to_datetime(["2024-01-05"]), "item_1": [2.0]})
>>> store = StudyStore(d / "study.duckdb")
>>> r = store.import_export(f, table="measurements", frame=m)
>>> r.status, r.rows_added
('imported', 1)
>>> store.import_export(f, table="measurements", frame=m).status
'already_imported'
>>> store.verify().ok
True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from effectstudy.core.errors import ArgumentError, ArgumentTypeError, DataError, EffectstudyError
from effectstudy.core.files import atomic_write_bytes, sha256_file
from effectstudy.core.schema import TABLES, TableSpec, item_columns
from effectstudy.privacy import audit_log

__all__ = [
    "DEFAULT_PATH",
    "StudyStore",
    "ImportResult",
    "StoredStudy",
    "RemovalResult",
    "VerifyReport",
    "StoreError",
    "sha256_file",
]

DEFAULT_PATH = Path("data") / "study.duckdb"
MANIFEST = "manifest-sha256.txt"
#: test hook: seconds to sleep inside the import transaction, before COMMIT
PAUSE_ENV = "EFFECTSTUDY_TEST_IMPORT_PAUSE"
#: test hook: file touched when the import reaches the pause
MARKER_ENV = "EFFECTSTUDY_TEST_IMPORT_MARKER"

_SQL_TYPES = {"str": "VARCHAR", "date": "TIMESTAMP", "int": "BIGINT", "float": "DOUBLE",
              "bool": "BOOLEAN", "category": "VARCHAR"}
STORE_TABLES = ("episodes", "measurements", "scores", "satisfaction")


class StoreError(EffectstudyError, ValueError):
    """The store or its raw archive is in a state that forbids the operation."""


@dataclass(frozen=True)
class ImportResult:
    """What one import did.  ``rows_in == rows_added + rows_duplicate + rows_conflict + rows_suppressed``."""

    status: str
    table: str
    source: str
    sha256: str
    raw_path: str | None
    rows_in: int = 0
    rows_added: int = 0
    rows_duplicate: int = 0
    rows_conflict: int = 0
    rows_suppressed: int = 0
    ignored_columns: tuple[str, ...] = ()
    imported_at: str = ""
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: leftover temporary files of an interrupted earlier write, removed before this import
    cleaned_temporary: tuple[str, ...] = ()

    def message(self) -> str:
        if self.status == "already_imported":
            return f"{self.source}: already imported on {self.imported_at} (sha256 {self.sha256[:12]}...); nothing changed"
        text = (f"{self.source} -> {self.table}: {self.rows_in} rows read, {self.rows_added} added, "
                f"{self.rows_duplicate} duplicates, {self.rows_conflict} conflicts, {self.rows_suppressed} "
                "removed on request")
        if self.ignored_columns:
            text += f"; columns not stored: {', '.join(self.ignored_columns)}"
        if self.cleaned_temporary:
            text += (f"; removed {len(self.cleaned_temporary)} leftover temporary file(s) of an interrupted "
                     f"write: {', '.join(self.cleaned_temporary)}")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("status", "table", "source", "sha256", "raw_path", "rows_in",
                                               "rows_added", "rows_duplicate", "rows_conflict",
                                               "rows_suppressed", "imported_at")} | {
            "ignored_columns": list(self.ignored_columns)}


@dataclass(frozen=True)
class StoredStudy:
    """The canonical tables held in a study store (:meth:`StudyStore.load`)."""

    episodes: pd.DataFrame
    measurements: pd.DataFrame
    scores: pd.DataFrame
    satisfaction: pd.DataFrame


@dataclass(frozen=True)
class RemovalResult:
    """What :meth:`StudyStore.forget` removed: rows per table, raw files still holding the clients."""

    removal_id: int
    clients: int
    rows: dict[str, int]
    raw_files: tuple[str, ...]

    def message(self) -> str:
        parts = ", ".join(f"{t}: {n}" for t, n in self.rows.items())
        text = f"removal {self.removal_id}: {self.clients} client(s); rows removed: {parts}"
        if self.raw_files:
            text += ("; these raw exports still hold the client's rows and must be destroyed or replaced "
                     "under the practice's procedure: " + ", ".join(self.raw_files))
        return text


@dataclass(frozen=True)
class VerifyReport:
    """Result of :meth:`StudyStore.verify`: ``ok`` and a ``problems`` table (check, path, message)."""

    ok: bool
    problems: pd.DataFrame
    files_checked: int
    log_entries: int

    def message(self) -> str:
        if self.ok:
            return f"OK: {self.files_checked} raw file(s) match the manifest; audit log intact ({self.log_entries} entries)"
        lines = [f"{len(self.problems)} problem(s):"]
        lines += [f"  [{r.check}] {r.path}: {r.message}" for r in self.problems.itertuples()]
        return "\n".join(lines)


class StudyStore:
    """An embedded DuckDB study store with an immutable raw archive and an audit log.

    Parameters
    ----------
    path : path
        The database file; default ``data/study.duckdb``.
    raw_dir : path, optional
        Raw archive; default ``<folder of path>/raw``.
    audit_log : path, optional
        The hash-chained log; default ``<folder of path>/audit-log.jsonl``.
    """

    def __init__(self, path: str | Path = DEFAULT_PATH, *, raw_dir: str | Path | None = None,
                 audit_log: str | Path | None = None) -> None:
        self.path = Path(path)
        self.raw_dir = Path(raw_dir) if raw_dir is not None else self.path.parent / "raw"
        self.audit_log = Path(audit_log) if audit_log is not None else self.path.parent / "audit-log.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            self._ensure_schema(con)

    def __repr__(self) -> str:
        return f"StudyStore({str(self.path)!r})"

    # -------------------------------------------------------------------------- plumbing
    @contextmanager
    def _connect(self, read_only: bool = False):
        try:
            con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the study store {str(self.path)!r}: {exc}") from None
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def _transaction(self):
        """An open connection inside one transaction: committed when the block ends,
        rolled back when it raises.  A cut-short audit log is recovered first (before this
        operation's own rows: ``took_effect`` must see the old state)."""
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                self._recover_log(con)
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    @staticmethod
    def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("""CREATE TABLE IF NOT EXISTS imports (
            import_id INTEGER PRIMARY KEY, sha256 VARCHAR, table_name VARCHAR, source_name VARCHAR,
            raw_path VARCHAR, imported_at TIMESTAMP, rows_in BIGINT, rows_added BIGINT,
            rows_duplicate BIGINT, rows_conflict BIGINT, rows_suppressed BIGINT)""")
        con.execute("""CREATE TABLE IF NOT EXISTS conflicts (
            import_id INTEGER, table_name VARCHAR, key_values VARCHAR, stored_hash UBIGINT,
            new_hash UBIGINT, new_row VARCHAR)""")
        con.execute("""CREATE TABLE IF NOT EXISTS removals (
            removal_id INTEGER PRIMARY KEY, removed_at TIMESTAMP, reason VARCHAR, clients BIGINT,
            rows VARCHAR)""")
        con.execute("CREATE TABLE IF NOT EXISTS suppressed_clients (client_id VARCHAR, removal_id INTEGER)")
        con.execute("CREATE TABLE IF NOT EXISTS suppressed_episodes (episode_id VARCHAR, removal_id INTEGER)")
        con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        for name in STORE_TABLES:
            spec = TABLES[name]
            cols = ", ".join(f"{c.name} {_SQL_TYPES[c.kind]}" for c in spec.columns)
            con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols}, content_hash UBIGINT, import_id INTEGER)")

    def log(self, action: str, details: dict[str, Any], *, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
        """Append an entry to the store's audit log and record the new head hash in the store.

        Anything that writes to this log (exports included) goes through here, so
        :meth:`verify` can tell a log that was cut short.  With ``con`` (an open
        transaction) the head is recorded in that transaction: imports and removals write
        their entry before they commit, so a process killed in between leaves the log one
        entry ahead of the store, never an operation without its entry.  Entries found
        after the recorded head are noted in a ``log_recovered`` entry first (which
        operations took effect), so the log stays append-only and explains itself.
        """
        if con is None:
            with self._connect() as own:
                return self.log(action, details, con=own)
        self._recover_log(con)
        entry = audit_log.append(self.audit_log, action, details)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('audit_head', ?)", [entry["hash"]])
        return entry

    def _recover_log(self, con: duckdb.DuckDBPyConnection) -> None:
        rows = con.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchall()  # fetch all: no pending result
        head = rows[0][0] if rows else None
        entries = audit_log.read(self.audit_log) if self.audit_log.exists() else []
        if not entries or entries[-1].get("hash") == head:
            return
        hashes = [e.get("hash") for e in entries]
        if head is not None and head not in hashes:
            return  # a cut or replaced log: left for verify to report, never papered over
        later = entries[hashes.index(head) + 1:] if head is not None else entries
        imports = {int(r[0]) for r in con.execute("SELECT import_id FROM imports").fetchall()}
        removals = {int(r[0]) for r in con.execute("SELECT removal_id FROM removals").fetchall()}
        notes = []
        for e in later:
            d = e.get("details") or {}
            note: dict[str, Any] = {"seq": e.get("seq"), "action": e.get("action")}
            if "import_id" in d:
                note["took_effect"] = int(d["import_id"]) in imports
            elif "removal_id" in d:
                note["took_effect"] = int(d["removal_id"]) in removals
            notes.append(note)
        entry = audit_log.append(self.audit_log, "log_recovered", {
            "entries_after_recorded_head": notes,
            "note": "a process ended after writing these entries and before the store recorded them; "
                    "took_effect says whether their database change was committed"})
        con.execute("INSERT OR REPLACE INTO meta VALUES ('audit_head', ?)", [entry["hash"]])

    _log = log

    # -------------------------------------------------------------------------- reading
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read-only SQL query and return a DataFrame."""
        with self._connect(read_only=True) as con:
            return con.execute(sql, params or []).df()

    def table(self, name: str) -> pd.DataFrame:
        """One stored table, without the bookkeeping columns ``content_hash`` and ``import_id``."""
        if name not in (*STORE_TABLES, "imports", "conflicts", "removals"):
            raise ArgumentError("name", name, f"one of {', '.join((*STORE_TABLES, 'imports', 'conflicts', 'removals'))}")
        df = self.query(f"SELECT * FROM {name}")
        return df.drop(columns=[c for c in ("content_hash", "import_id") if c in df.columns and name in STORE_TABLES])

    def load(self) -> StoredStudy:
        """The stored canonical tables with canonical dtypes, for analyses and notebooks.

        Integer columns come back as nullable ``Int64``, booleans as ``boolean``, dates as
        ``datetime64``; the bookkeeping columns are dropped.  Apply the consent filter
        (:func:`effectstudy.data.consent.filter_consent`) before any analysis, as with files.
        """
        out = {}
        for name in STORE_TABLES:
            df = self.table(name)
            spec = TABLES[name]
            for c in spec.columns:
                if c.name not in df.columns:
                    continue
                if c.kind == "int":
                    df[c.name] = pd.to_numeric(df[c.name]).astype("Int64")
                elif c.kind == "bool":
                    df[c.name] = df[c.name].astype("boolean")
                elif c.kind in ("str", "category"):
                    df[c.name] = df[c.name].astype("string")
            out[name] = df
        return StoredStudy(**out)

    # -------------------------------------------------------------------------- importing
    def _clean_temporary(self) -> tuple[str, ...]:
        """Remove the raw archive's leftover ``.*.tmp`` files (a write killed before its rename).

        They are never trusted: the file they were meant to become is either absent (it is
        written again) or complete (the rename happened).  Returns their paths relative to
        the raw folder, for the import's result and log.
        """
        if not self.raw_dir.exists():
            return ()
        removed = []
        for p in sorted(self.raw_dir.rglob(".*.tmp")):
            if p.is_file():
                p.unlink()
                removed.append(p.relative_to(self.raw_dir).as_posix())
        return tuple(removed)

    def _archive(self, source: Path, sha: str) -> Path:
        year = datetime.now(UTC).strftime("%Y")
        suffix = "".join(source.suffixes[-1:]).lower()
        target = self.raw_dir / year / f"{sha}{suffix}"
        existing = [p for p in self.raw_dir.glob(f"*/{sha}{suffix}") if p.is_file()]
        if existing:
            target = existing[0]
            if sha256_file(target) != sha:
                raise StoreError(f"raw file {str(target)!r} no longer matches its SHA-256; run `effectstudy verify`")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            with open(source, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        rel = target.relative_to(self.raw_dir).as_posix()
        manifest = self.raw_dir / MANIFEST
        lines = manifest.read_text(encoding="utf-8").splitlines() if manifest.exists() else []
        line = f"{sha}  {rel}"
        if line not in lines:
            atomic_write_bytes(manifest, ("\n".join([*lines, line]) + "\n").encode("utf-8"))
        return target

    def import_export(
        self,
        source: Any,
        *,
        table: str,
        frame: pd.DataFrame | None = None,
        reader: Callable[..., Any] | None = None,
    ) -> ImportResult:
        """Import one raw export file into ``table``, idempotently, in one transaction.

        Parameters
        ----------
        source : path or FileSpec
            The export file as received.  Its bytes are archived and hashed.
        table : {"episodes", "measurements", "satisfaction"}
        frame : DataFrame, optional
            The file's rows already read into canonical columns.  When not given, the file is
            read with ``reader(source, table=table)``, by default
            :func:`effectstudy.data.io.read_table` (``source`` must then be a ``FileSpec``).
        reader : callable, optional

        Returns
        -------
        ImportResult
            ``status`` is ``"imported"`` or ``"already_imported"`` (nothing changed).

        Raises
        ------
        ArgumentError
            Unknown table.
        DataError
            A missing key column or a missing key value (names the row).
        StoreError
            The archived copy of this file was modified.
        """
        if table not in ("episodes", "measurements", "satisfaction"):
            raise ArgumentError("table", table, "'episodes', 'measurements' or 'satisfaction'")
        path = Path(getattr(source, "path", source))
        if not path.is_file():
            raise ArgumentError("source", str(path), "an existing export file")
        sha = sha256_file(path)
        with self._connect() as con:
            prev = con.execute("SELECT imported_at, table_name, raw_path FROM imports WHERE sha256 = ? ORDER BY import_id LIMIT 1",
                               [sha]).fetchone()
        if prev is not None:
            return ImportResult("already_imported", str(prev[1]), path.name, sha, str(prev[2]),
                                imported_at=pd.Timestamp(prev[0]).isoformat(timespec="seconds"))
        if frame is None:
            if reader is None:
                from effectstudy.data.io import read_table as reader  # noqa: PLC0415 - optional dependency at call time
            out = reader(source, table=table)
            if isinstance(out, tuple) and out and isinstance(out[0], pd.DataFrame):
                out = out[0]
            frame = out if isinstance(out, pd.DataFrame) else getattr(out, "data", None)
            if not isinstance(frame, pd.DataFrame):
                raise ArgumentTypeError("reader", out, "a callable returning a DataFrame")
        if not isinstance(frame, pd.DataFrame):
            raise ArgumentTypeError("frame", frame, "a DataFrame of canonical rows")
        prepared = _prepare(table, frame, path.name)  # bad rows fail here, before anything is archived
        cleaned = self._clean_temporary()
        raw = self._archive(path, sha)
        rel = raw.relative_to(self.raw_dir).as_posix()
        now = datetime.now(UTC).replace(tzinfo=None)
        with self._transaction() as con:
            import_id, counts, conflicts, ignored = _record_import(
                con, table, frame, sha=sha, source=path.name, raw_path=rel, now=now, prepared=prepared)
            entry = {"source": path.name, "sha256": sha, "raw_path": rel, "table": table,
                     "import_id": import_id, **counts}
            if cleaned:
                entry["cleaned_temporary"] = list(cleaned)
            self.log("import", entry, con=con)
            _test_pause()
        return ImportResult("imported", table, path.name, sha, rel, ignored_columns=tuple(ignored),
                            imported_at=pd.Timestamp(now).isoformat(timespec="seconds"), conflicts=conflicts,
                            cleaned_temporary=cleaned, **counts)

    def add_scores(self, scores: pd.DataFrame, *, source: str) -> ImportResult:
        """Append scoring output (``es.score(...).scores``) under the same key/duplicate/conflict rules.

        ``source`` names where the scores came from (e.g. the instrument and scoring version); it is
        recorded in ``imports`` with the SHA-256 of the scores' content.
        """
        if not isinstance(scores, pd.DataFrame):
            raise ArgumentTypeError("scores", scores, "a DataFrame of scores (es.score(...).scores)")
        digest = hashlib.sha256(pd.util.hash_pandas_object(scores, index=False).to_numpy().tobytes()).hexdigest()
        now = datetime.now(UTC).replace(tzinfo=None)
        with self._transaction() as con:
            import_id, counts, conflicts, ignored = _record_import(
                con, "scores", scores, sha=digest, source=source, raw_path=None, now=now)
            self.log("add_scores", {"source": source, "sha256": digest, "import_id": import_id, **counts},
                     con=con)
        return ImportResult("imported", "scores", source, digest, None, ignored_columns=tuple(ignored),
                            imported_at=pd.Timestamp(now).isoformat(timespec="seconds"), conflicts=conflicts, **counts)

    # -------------------------------------------------------------------------- verifying
    def verify(self) -> VerifyReport:
        """Re-hash every raw file against the manifest; check imports and the audit log.

        Problems found: a raw file whose SHA-256 differs from the manifest (modified), a listed
        file that is missing, a file in the raw folder that is not listed, a writable raw file,
        an import whose file is not listed, a leftover temporary file, a broken audit-log chain,
        or a log whose last entry is not the head recorded in the store.
        """
        problems: list[tuple[str, str, str]] = []
        manifest = self.raw_dir / MANIFEST
        listed: dict[str, str] = {}
        if manifest.exists():
            for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
                parts = line.split(maxsplit=1)
                if len(parts) != 2 or len(parts[0]) != 64:
                    problems.append(("manifest", f"{manifest}:{n}", f"not '<sha256>  <path>': {line[:80]!r}"))
                    continue
                listed[parts[1].strip()] = parts[0]
        checked = 0
        for rel, sha in listed.items():
            p = self.raw_dir / rel
            if not p.is_file():
                problems.append(("missing", str(p), "listed in the manifest but missing"))
                continue
            checked += 1
            actual = sha256_file(p)
            if actual != sha:
                problems.append(("modified", str(p), f"SHA-256 is {actual[:12]}..., manifest says {sha[:12]}...: the raw file was modified"))
            if stat.S_IMODE(p.stat().st_mode) & 0o222:
                problems.append(("writable", str(p), "raw file is writable; expected read-only (0444)"))
        if self.raw_dir.exists():
            for p in sorted(self.raw_dir.rglob("*")):
                if not p.is_file() or p == manifest:
                    continue
                rel = p.relative_to(self.raw_dir).as_posix()
                if p.name.endswith(".tmp"):
                    problems.append(("temporary", str(p), "leftover temporary file from an interrupted write"))
                elif rel not in listed:
                    problems.append(("unlisted", str(p), "file in the raw archive is not in the manifest"))
        with self._connect(read_only=True) as con:
            rows = con.execute("SELECT import_id, sha256, raw_path FROM imports WHERE raw_path IS NOT NULL").fetchall()
            head = con.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
        for import_id, sha, rel in rows:
            if listed.get(rel) != sha:
                problems.append(("import", str(self.raw_dir / rel), f"import {import_id}: file not in the manifest with its SHA-256"))
        check = audit_log.verify(self.audit_log, expected_head=head[0] if head else None)
        problems += [("audit_log", str(self.audit_log), p) for p in check.problems]
        df = pd.DataFrame(problems, columns=["check", "path", "message"])
        return VerifyReport(ok=df.empty, problems=df, files_checked=checked, log_entries=check.entries)

    # -------------------------------------------------------------------------- removal
    def client_data(self, client_ids: str | Iterable[str]) -> dict[str, pd.DataFrame]:
        """Everything stored about the given clients: one DataFrame per table (for access requests)."""
        ids = _id_list(client_ids)
        out = {}
        with self._connect(read_only=True) as con:
            con.register("ids", pd.DataFrame({"client_id": ids}))
            for name in STORE_TABLES:
                col = "client_id" if "client_id" in TABLES[name].names else None
                if col is None:  # satisfaction: through its episodes
                    sql = f"SELECT t.* FROM {name} t WHERE t.episode_id IN (SELECT episode_id FROM episodes WHERE client_id IN (SELECT client_id FROM ids))"
                else:
                    sql = f"SELECT * FROM {name} WHERE client_id IN (SELECT client_id FROM ids)"
                out[name] = con.execute(sql).df()
        return out

    def forget(self, client_ids: str | Iterable[str], *, reason: str) -> RemovalResult:
        """Remove every stored row of the given clients in one transaction and log the removal.

        The client ids are kept in ``suppressed_clients`` so that re-importing an older or
        overlapping export does not bring the rows back (they are counted as
        ``rows_suppressed``).  The audit log records counts and the removal number only.
        Raw export files are never edited; the ones holding the clients' rows are listed in
        the result so they can be destroyed under the practice's procedure.

        Raises
        ------
        ArgumentError
            No client ids, or an empty reason.
        """
        ids = _id_list(client_ids)
        if not isinstance(reason, str) or not reason.strip():
            raise ArgumentError("reason", reason, "a short text saying why (e.g. 'request of the client', 'retention expired')")
        rows: dict[str, int] = {}
        with self._transaction() as con:
            con.register("ids", pd.DataFrame({"client_id": ids}))
            eps = "SELECT episode_id FROM episodes WHERE client_id IN (SELECT client_id FROM ids)"
            imports = con.execute(
                "SELECT DISTINCT i.raw_path FROM imports i WHERE i.raw_path IS NOT NULL AND i.import_id IN ("
                "SELECT import_id FROM episodes WHERE client_id IN (SELECT client_id FROM ids) UNION "
                "SELECT import_id FROM measurements WHERE client_id IN (SELECT client_id FROM ids) UNION "
                f"SELECT import_id FROM satisfaction WHERE episode_id IN ({eps})) ORDER BY 1").fetchall()
            con.execute(f"INSERT INTO suppressed_episodes SELECT episode_id, NULL FROM ({eps})")
            rows["satisfaction"] = int(con.execute(f"SELECT count(*) FROM satisfaction WHERE episode_id IN ({eps})").fetchone()[0])
            con.execute(f"DELETE FROM satisfaction WHERE episode_id IN ({eps})")
            for name in ("measurements", "scores", "episodes"):
                rows[name] = int(con.execute(f"SELECT count(*) FROM {name} WHERE client_id IN (SELECT client_id FROM ids)").fetchone()[0])
                con.execute(f"DELETE FROM {name} WHERE client_id IN (SELECT client_id FROM ids)")
            removal_id = int(con.execute("SELECT coalesce(max(removal_id), 0) + 1 FROM removals").fetchone()[0])
            con.execute("INSERT INTO removals VALUES (?, ?, ?, ?, ?)",
                        [removal_id, datetime.now(UTC).replace(tzinfo=None), reason, len(ids), json.dumps(rows)])
            con.execute("INSERT INTO suppressed_clients SELECT client_id, ? FROM ids", [removal_id])
            con.execute("UPDATE suppressed_episodes SET removal_id = ? WHERE removal_id IS NULL", [removal_id])
            result = RemovalResult(removal_id, len(ids), rows, tuple(str(r[0]) for r in imports))
            self.log("forget", {"removal_id": removal_id, "reason": reason, "clients": len(ids), "rows": rows,
                                "raw_files_holding_rows": list(result.raw_files)}, con=con)
        return result


# ------------------------------------------------------------------------------ helpers
def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _test_pause() -> None:
    """Test hook (see PAUSE_ENV): lets a test kill the process inside the transaction."""
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        marker = os.environ.get(MARKER_ENV)
        if marker:
            Path(marker).write_text("in transaction")
        time.sleep(float(seconds))


def _id_list(client_ids: str | Iterable[str]) -> list[str]:
    ids = [client_ids] if isinstance(client_ids, str) else [str(c) for c in client_ids]
    ids = [c.strip() for c in ids if c is not None and str(c).strip()]
    if not ids:
        raise ArgumentError("client_ids", client_ids, "one or more client ids")
    return ids


def _canonical_frame(spec: TableSpec, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Canonical columns with store dtypes; returns (frame, item columns, ignored columns)."""
    items = item_columns(frame.columns) if spec.extra_pattern else []
    known = [c.name for c in spec.columns if c.name in frame.columns]
    ignored = [str(c) for c in frame.columns if c not in known and c not in items]
    out = {}
    n = len(frame)
    for c in spec.columns:
        if c.name not in frame.columns:
            continue
        s = frame[c.name]
        try:
            if c.kind in ("str", "category"):
                out[c.name] = s.astype("string").to_numpy(dtype=object, na_value=None)
            elif c.kind == "date":
                out[c.name] = pd.to_datetime(s).astype("datetime64[us]").to_numpy()
            elif c.kind == "int":
                out[c.name] = pd.to_numeric(s).astype("Int64").array  # positional, not by index label
            elif c.kind == "float":
                out[c.name] = pd.to_numeric(s).astype("float64").to_numpy()
            elif c.kind == "bool":
                out[c.name] = s.astype("boolean").array
        except (TypeError, ValueError) as exc:
            raise DataError(f"cannot store values as {c.kind}: {exc}", column=c.name,
                            expected=f"a canonical {spec.name} table (see effectstudy.core.schema)") from None
    for it in items:
        try:
            out[it] = pd.to_numeric(frame[it]).astype("float64").to_numpy()
        except (TypeError, ValueError) as exc:
            raise DataError(f"item codes must be numeric: {exc}", column=it, expected="numbers or empty") from None
    df = pd.DataFrame(out, index=pd.RangeIndex(n))
    return df, items, ignored


def _content_hash(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Order-free 64-bit content hash per row that ignores empty cells.

    Each non-empty cell contributes ``mix(hash(value) XOR hash(column name))``; the row hash is
    the wrapping sum.  So a row's hash does not depend on the column order, nor on whether an
    export carries a column that is empty for that row.  Not a security hash: it only tells
    whether two rows with the same key carry the same values.
    """
    out = np.zeros(len(df), dtype=np.uint64)
    for c in columns:
        s = df[c]
        vals = pd.Series(s)
        present = vals.notna().to_numpy(dtype=bool)
        if not present.any():
            continue
        if (pd.api.types.is_float_dtype(vals.dtype) or pd.api.types.is_integer_dtype(vals.dtype)
                or pd.api.types.is_bool_dtype(vals.dtype)):
            arr = vals.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)  # 2 and 2.0 hash alike
        elif pd.api.types.is_datetime64_any_dtype(vals.dtype):
            arr = vals.astype("datetime64[us]").to_numpy()
        else:
            arr = vals.astype("string").to_numpy(dtype=object, na_value="")
        h = pd.util.hash_array(arr)
        name = pd.util.hash_array(np.array([c], dtype=object))[0]
        x = h ^ name
        x = (x ^ (x >> np.uint64(31))) * np.uint64(0x7FB5D329728EA185)
        x = x ^ (x >> np.uint64(27))
        out += np.where(present, x, np.uint64(0))
    return out


def _prepare(table: str, frame: pd.DataFrame, source_name: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Check the key and convert to store dtypes (before anything is archived or written)."""
    spec = TABLES[table]
    key = list(spec.key)
    for k in key:
        if k not in frame.columns:
            raise DataError("key column is missing", file=source_name, column=k,
                            expected=f"the {table} key columns {', '.join(key)}")
    df, items, ignored = _canonical_frame(spec, frame)
    na = df[key].isna().to_numpy()
    if na.any():
        r, c = np.argwhere(na)[0]
        raise DataError("missing key value", file=source_name, row=int(frame.index[r]) if isinstance(frame.index[r], (int, np.integer)) else None,
                        column=key[c], expected="a value (rows are matched on the key)")
    return df, items, ignored


def _record_import(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, *, sha: str,
                   source: str, raw_path: str | None, now: datetime, prepared: tuple | None = None
                   ) -> tuple[int, dict[str, int], pd.DataFrame, list[str]]:
    """Append ``frame`` to ``table`` as the next import and list it in ``imports`` (in the
    caller's transaction): ``(import_id, counts, conflicts, ignored columns)``."""
    import_id = int(con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchone()[0])
    counts, conflicts, ignored = _append(con, table, frame, import_id, source_name=source,
                                         prepared=prepared)
    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [import_id, sha, table, source, raw_path, now, counts["rows_in"], counts["rows_added"],
                 counts["rows_duplicate"], counts["rows_conflict"], counts["rows_suppressed"]])
    return import_id, counts, conflicts, ignored


def _append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, import_id: int,
            *, source_name: str, prepared: tuple | None = None) -> tuple[dict[str, int], pd.DataFrame, list[str]]:
    key = list(TABLES[table].key)
    df, items, ignored = prepared if prepared is not None else _prepare(table, frame, source_name)
    df = df.copy()
    rows_in = len(df)
    # rows of clients removed on request are not stored again
    suppressed = np.zeros(rows_in, dtype=bool)
    removed = con.execute("SELECT client_id FROM suppressed_clients").df()["client_id"]
    removed_eps = con.execute("SELECT episode_id FROM suppressed_episodes").df()["episode_id"]
    if len(removed) and "client_id" in df.columns:
        suppressed |= pd.Series(df["client_id"]).isin(pd.Index(removed)).to_numpy(dtype=bool)
    if len(removed_eps) and "episode_id" in df.columns:
        suppressed |= pd.Series(df["episode_id"]).isin(pd.Index(removed_eps)).to_numpy(dtype=bool)
    df["content_hash"] = _content_hash(df, [c for c in df.columns if c not in key])
    df["import_id"] = np.int32(import_id)
    df = df.loc[~suppressed]
    # duplicates within the file
    first_hash = df.groupby(key, sort=False, dropna=False)["content_hash"].transform("first")
    later = df.duplicated(key, keep="first").to_numpy()
    same = (df["content_hash"] == first_hash).to_numpy()
    internal_dup = later & same
    internal_conflict = later & ~same
    conflict_frames = []
    if internal_conflict.any():
        c = df.loc[internal_conflict].copy()
        c["stored_hash"] = first_hash[internal_conflict].to_numpy(dtype=np.uint64)
        conflict_frames.append(c)
    new = df.loc[~later]
    # make sure every item column exists
    existing_cols = set(con.execute(f"SELECT * FROM {table} LIMIT 0").df().columns)
    for it in items:
        if it not in existing_cols:
            con.execute(f'ALTER TABLE {table} ADD COLUMN "{it}" DOUBLE')
    con.register("new_rows", new)
    on = " AND ".join(f'n."{k}" = t."{k}"' for k in key)
    matched = con.execute(
        f'SELECT n.*, t.content_hash AS stored_hash FROM new_rows n JOIN {table} t ON {on}').df()
    stored_dup = int((matched["content_hash"] == matched["stored_hash"]).sum()) if len(matched) else 0
    if len(matched):
        mc = matched.loc[matched["content_hash"] != matched["stored_hash"]]
        if len(mc):
            conflict_frames.append(mc)
    cols = ", ".join(f'"{c}"' for c in new.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {', '.join('n.' + chr(34) + c + chr(34) for c in new.columns)} "
                f"FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})")
    added = int(len(new) - len(matched))
    con.unregister("new_rows")
    conflicts = pd.concat(conflict_frames, ignore_index=True) if conflict_frames else pd.DataFrame(
        columns=[*df.columns, "stored_hash"])
    if len(conflicts):
        content = [c for c in conflicts.columns if c not in ("content_hash", "import_id", "stored_hash")]
        rec = pd.DataFrame({
            "import_id": import_id,
            "table_name": table,
            "key_values": conflicts[key].astype("string").agg("|".join, axis=1),
            "stored_hash": conflicts["stored_hash"].to_numpy(dtype=np.uint64),
            "new_hash": conflicts["content_hash"].to_numpy(dtype=np.uint64),
            "new_row": [json.dumps(r, default=str) for r in conflicts[content].astype(object).where(
                conflicts[content].notna(), None).to_dict(orient="records")],
        })
        con.register("conflict_rows", rec)
        con.execute("INSERT INTO conflicts SELECT * FROM conflict_rows")
        con.unregister("conflict_rows")
    counts = {
        "rows_in": rows_in,
        "rows_added": added,
        "rows_duplicate": int(internal_dup.sum()) + stored_dup,
        "rows_conflict": int(len(conflicts)),
        "rows_suppressed": int(suppressed.sum()),
    }
    accounted = counts["rows_added"] + counts["rows_duplicate"] + counts["rows_conflict"] + counts["rows_suppressed"]
    if accounted != rows_in:  # pragma: no cover - guards the accounting itself
        raise StoreError(f"{source_name}: {rows_in} rows read but {accounted} accounted for; import rolled back")
    return counts, conflicts.drop(columns=["import_id"], errors="ignore"), ignored
