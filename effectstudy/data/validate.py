"""Validation of canonical ROM tables: problems with their place, and a row flow that loses nothing.

Reading (:mod:`effectstudy.data.io`) checks the structure of a file and parses each value with an
explicit format; this module checks the typed rows against the canonical schema
(:mod:`effectstudy.core.schema`), the instrument registry and each other, and accounts for every row.

Severities
----------
``fatal``
    The file cannot be trusted as a whole: it cannot be read or decoded, its structure is broken
    (ragged rows, duplicate or empty header names, unterminated quote, wrong separator, empty
    file, header without rows), a required column is missing, the column map names a
    non-canonical column, or item codes of a 1-based instrument contain the code below its range
    (a 0-4 export read as 1-5, never shifted automatically; Privacy & integrity VAL-6).
    Nothing of such a file is used: all its rows are counted as excluded with reason ``fatal``.
``error``
    The row is excluded and counted under the rule (the first rule it broke, in check order).
``warning``
    The row is used and flagged (straight-lining, unknown column not read, blank line skipped).
``info``
    The row is used; a documented default was applied and counted (a missing consent flag read
    as "no consent").

The flow equation ``rows read = used + excluded`` holds per table; :class:`ValidationReport`
refuses to exist when it does not (row accounting, Privacy & integrity INT-5).

>>> import pandas as pd
>>> r = ValidationReport.from_tables(
...     {"episodes": TableAccount("episodes.csv", rows_read=3, lines=[2, 3, 4], fatal=False)},
...     problems_frame("episodes.csv", [3], "start_date", ["31-02-2024"], "date_format",
...                    "a date in format %d-%m-%Y", "error"))
>>> r.flow()
      table    status       reason  n
0  episodes      used                2
1  episodes  excluded  date_format  1
>>> print(r.message(5))
1 problem(s) (0 fatal, 1 error, 0 warning, 0 info):
  episodes.csv:3 start_date: date_format: found '(niet getoond: identificerend)', expected a date in format %d-%m-%Y

Identifying values (ids, dates, birth year, therapist, free text) never appear in a problem's
``value`` or in a message (Privacy & integrity VAL-5, SEC-P2): they are replaced by
``(niet getoond: <reden>)``; a row is found again by its file, line and ``row_key``
(:mod:`effectstudy.core.rowkey`, added by :func:`add_row_keys`).  Inside
``with identifiers_shown():`` (``effectstudy validate --show-identifiers``, the practice's own
data manager) the values are kept and an ``identifier`` column holds the raw id beside the key.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from effectstudy import instruments
from effectstudy.core.errors import (
    IDENTIFYING_COLUMNS,
    NOT_SHOWN,
    EffectstudyError,
    ValidationError,
)
from effectstudy.core.keys import codes_in, equal_codes, isin, shared_codes, text_factorize
from effectstudy.core.rowkey import RowKey
from effectstudy.core.schema import (
    ITEM_PATTERN,
    SCORE_PATTERN,
    TableSpec,
    item_columns,
    item_number,
    score_columns,
    score_scale,
)

__all__ = [
    "PROBLEM_COLUMNS",
    "SEVERITIES",
    "TableAccount",
    "ValidationReport",
    "problems_frame",
    "check_table",
    "check_study",
    "DEFAULT_WINDOW_DAYS",
    "DEFAULT_MIN_DATE",
    "VALUE_COLUMNS",
    "HIDDEN",
    "identifiers_shown",
    "identifiers_are_shown",
    "add_row_keys",
    "protect_values",
]

PROBLEM_COLUMNS: tuple[str, ...] = ("file", "row", "row_key", "column", "value", "rule", "expected", "severity")
#: columns whose values are shown when they look like a code or a small number (an item code 7
#: outside 1-5, a session "x", an instrument id "scl91"): the data manager needs them; any other
#: text in them (a phone number, a name typed into the wrong column) is hidden
VALUE_COLUMNS: frozenset[str] = frozenset({"item_*", "sessions", "session", "grade", "issued", "returned",
                                           "consent_study", "consent_research", "instrument"})
#: what a hidden value is shown as, per reason
HIDDEN: dict[str, str] = {
    "identifying": NOT_SHOWN,
    "free_text": "(niet getoond: vrije tekst)",
    "unexpected": "(niet getoond: geen code of klein getal)",
}
#: a small number (at most 4 digits before and after the decimal sign) or 1-2 non-digits ("x", "NA", "?")
_CODE_RE = r"[-+]?\d{1,4}(?:[.,]\d{1,4})?|[^\d\s]{1,2}"
#: an instrument id: letters, then digits (scl90_nl, oq45, sq48)
_INSTRUMENT_RE = r"[A-Za-z]{1,12}\d{1,4}[A-Za-z0-9_]{0,12}"
_SHOW_IDENTIFIERS: ContextVar[bool] = ContextVar("effectstudy_show_identifiers", default=False)
SEVERITIES: tuple[str, ...] = ("fatal", "error", "warning", "info")
#: measurement window around an episode: days before its start, days after its end (open: no end)
DEFAULT_WINDOW_DAYS: tuple[int, int] = (60, 60)
#: dates before this are implausible for ROM data (Privacy & integrity VAL-3)
DEFAULT_MIN_DATE = "2000-01-01"
_MAX_VALUE_CHARS = 40
#: rows of the item matrix checked at once (90 items: about 6 MB, within the CPU cache)
_ITEM_CHUNK = 8192


def _show(v: Any) -> str:
    """A cell value as text for a message, cut to 40 characters."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    elif isinstance(v, pd.Timestamp):
        s = v.strftime("%Y-%m-%d")
    else:
        s = str(v)
    return s if len(s) <= _MAX_VALUE_CHARS else s[: _MAX_VALUE_CHARS - 1] + "\u2026"


def problems_frame(
    file: str,
    rows: Any,
    column: Any,
    values: Any,
    rule: str,
    expected: Any,
    severity: str,
) -> pd.DataFrame:
    """A problems table for many rows at once (vectorised; one call per rule and column).

    ``rows`` are source line numbers (or record numbers for binary formats, ``None`` when the
    problem concerns the whole file); ``values`` are shown as text (cut to 40 characters), except
    identifying ones: see :func:`protect_values` (not applied inside :func:`identifiers_shown`).
    ``row_key`` is left empty; :func:`add_row_keys` fills it from the rows' ids.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"severity: got {severity!r}, expected one of {SEVERITIES}")
    if isinstance(rows, np.ndarray) and rows.dtype.kind in "iu":
        rows_arr = pd.array(np.atleast_1d(rows).astype(np.int64, copy=False), dtype="Int64")
    else:
        rows_arr = pd.array(np.atleast_1d(np.asarray(rows, dtype=object)) if rows is not None else [None],
                            dtype="Int64")
    n = len(rows_arr)
    arr = np.atleast_1d(values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object))
    if arr.dtype.kind == "M":  # dates are shown as ISO dates, never as nanosecond counts
        arr = pd.Series(arr).dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    vals = arr.astype(object)
    if len(vals) == 1:  # one value for every row (a note): shown once
        value = _texts(_show(vals[0]), n)
    else:
        value = pd.Series([_show(v) for v in vals] if n <= 1000 else _show_many(vals), dtype="str")
    columns = _texts(column, n)
    if not _SHOW_IDENTIFIERS.get():
        value = protect_values(columns, pd.Series(rows_arr), value)
    return pd.DataFrame(
        {
            "file": _texts(file, n),
            "row": rows_arr,
            "row_key": _texts("", n),
            "column": columns,
            "value": value,
            "rule": _texts(rule, n),
            "expected": _texts(expected, n),
            "severity": _texts(severity, n),
        }
    )


def _texts(text: Any, n: int) -> pd.Series:
    """``n`` texts of a problems column (``str``): ``text`` repeated, or one per row.

    >>> _texts("a", 2).tolist(), _texts(["a", None], 2).tolist(), _texts("a", 0).dtype
    (['a', 'a'], ['a', nan], <StringDtype(na_value=nan)>)
    """
    if isinstance(text, str):  # a column of one value: no Python list of n strings
        return pd.Series(text, index=pd.RangeIndex(n), dtype="str")
    return pd.Series(np.broadcast_to(np.asarray(text, dtype=object), n), dtype="str")


def protect_values(columns: pd.Series, rows: pd.Series, shown: pd.Series) -> pd.Series:
    """Problem values as they may appear in a message or problems file (Privacy & integrity VAL-5).

    Kept as found: empty values; values of problems about the file's structure (no column, the
    header line or no line: field counts, byte codes, column names); and in :data:`VALUE_COLUMNS`
    a small number or a one- or two-character code (an item code ``7``, ``7,5``, ``x``, ``NA``)
    or, for ``instrument``, an instrument id (``scl91``).  Hidden (:data:`HIDDEN`): values of
    :data:`~effectstudy.core.errors.IDENTIFYING_COLUMNS` (one list for problems and
    ``DataError``) and of duplicate keys (``identificerend``), any other text in a value column
    (``geen code of klein getal``: a BSN or phone number typed into an item column), and every
    other column's text (``vrije tekst``: diagnosis, treatment, occasion, ...).  An
    allow-list, not a deny-list (SEC-P5): a column nobody thought of is hidden.

    >>> protect_values(pd.Series(["item_3", "item_3", "client_id", "diagnosis", ""]),
    ...                pd.Series([2, 2, 2, 2, 5]), pd.Series(["7", "0612345678", "C1", "x", "3 fields"])).tolist()
    ['7', '(niet getoond: geen code of klein getal)', '(niet getoond: identificerend)', '(niet getoond: vrije tekst)', '3 fields']
    """
    rows = pd.array(rows, dtype="Int64")
    # decisions per distinct column and per distinct value (a million problems have few of either)
    ccodes, cnames = pd.factorize(columns.astype("str"))
    cn = pd.Series(cnames, dtype="str")
    structural = ((cn == "").to_numpy(dtype=bool)[ccodes] | rows.isna()
                  | (rows <= 1).fillna(True).to_numpy(dtype=bool) | (shown == "").to_numpy(dtype=bool))
    if structural.all():
        return shown
    # item codes and the precomputed scale scores of a score-only file are shown alike
    value_col = (cn.isin(VALUE_COLUMNS) | cn.str.fullmatch(ITEM_PATTERN)
                 | cn.str.fullmatch(SCORE_PATTERN)).to_numpy(dtype=bool)[ccodes]
    identifying = (cn.isin(IDENTIFYING_COLUMNS) | cn.str.contains(",", regex=False)).to_numpy(dtype=bool)[ccodes]
    instrument = (cn == "instrument").to_numpy(dtype=bool)[ccodes]
    code = np.zeros(len(shown), dtype=bool)
    check = np.flatnonzero(value_col & ~structural)
    if len(check):
        vcodes, vals = pd.factorize(pd.Series(shown.to_numpy()[check], dtype="str"))
        vs = pd.Series(vals, dtype="str")
        is_code = vs.str.fullmatch(_CODE_RE).fillna(False).to_numpy(dtype=bool)[vcodes]
        is_inst = vs.str.fullmatch(_INSTRUMENT_RE).fillna(False).to_numpy(dtype=bool)[vcodes]
        code[check] = is_code | (instrument[check] & is_inst)
    hide = np.flatnonzero(~(structural | (value_col & code)))
    reason = np.where(value_col[hide], 0, np.where(identifying[hide], 1, 2))
    out = shown.to_numpy(dtype=object, copy=True)
    out[hide] = np.array([HIDDEN["unexpected"], HIDDEN["identifying"], HIDDEN["free_text"]], dtype=object)[reason]
    return pd.Series(out, index=shown.index, dtype="str")


@contextlib.contextmanager
def identifiers_shown(show: bool = True) -> Iterator[None]:
    """Within this block problems keep identifying values as found (``--show-identifiers``).

    For the practice's own data manager on the practice's machine only; never used by
    ``effectstudy run``.  The setting is a context variable, so it ends with the block (also on
    an error) and does not leak into other threads.
    """
    token = _SHOW_IDENTIFIERS.set(bool(show))
    try:
        yield
    finally:
        _SHOW_IDENTIFIERS.reset(token)


def identifiers_are_shown() -> bool:
    """True inside :func:`identifiers_shown` (for checks that word a message differently)."""
    return _SHOW_IDENTIFIERS.get()


def add_row_keys(problems: pd.DataFrame, ids: Mapping[str, pd.DataFrame],
                 key: RowKey | Callable[[], RowKey], *, show_identifiers: bool = False) -> pd.DataFrame:
    """Fill ``row_key`` of each problem from the ids of its row (vectorised).

    Parameters
    ----------
    problems : DataFrame
        A problems table (:data:`PROBLEM_COLUMNS`).
    ids : mapping of file name -> DataFrame
        Per file, its typed rows indexed by source line, with ``client_id`` and/or ``episode_id``.
        The row key is the client id's key, else the episode id's (:meth:`RowKey.row_keys`).
    key : RowKey or callable returning one
        A callable is called only when some problem has a row with an id, so clean data never
        creates a key file.
    show_identifiers : bool
        Also add an ``identifier`` column with the raw id the key was made of (local use only).
    """
    out = problems.copy()
    ident = np.full(len(out), "", dtype=object)
    keys = np.full(len(out), "", dtype=object)
    row = out["row"]
    todo = []
    for file, df in ids.items():
        if df is None or not len(df) or not ({"client_id", "episode_id"} & set(df.columns)):
            continue
        at = np.flatnonzero(((out["file"] == file) & row.notna()).to_numpy(dtype=bool))
        if not len(at):
            continue
        loc = df.index.get_indexer(row.to_numpy()[at].astype(np.int64))
        at, loc = at[loc >= 0], loc[loc >= 0]
        if len(at):
            todo.append((at, df.iloc[loc]))
    if todo:
        k = key if isinstance(key, RowKey) else key()
        for at, sub in todo:
            cl = sub["client_id"].to_numpy(dtype=object) if "client_id" in sub else None
            ep = sub["episode_id"].to_numpy(dtype=object) if "episode_id" in sub else None
            keys[at] = k.row_keys(cl, ep)
            if show_identifiers:
                raw = pd.Series(cl if cl is not None else ep, dtype="string")
                if cl is not None and ep is not None:
                    raw = raw.where(raw.notna() & (raw.str.strip() != ""), pd.Series(ep, dtype="string"))
                ident[at] = raw.fillna("").to_numpy(dtype=object)
    out["row_key"] = pd.Series(keys, index=out.index, dtype="str")
    if show_identifiers:
        out.insert(out.columns.get_loc("row_key") + 1, "identifier", pd.Series(ident, index=out.index, dtype="str"))
    return out


def _show_many(vals: np.ndarray) -> list[str]:
    s = pd.Series(vals, dtype=object)
    num = pd.to_numeric(s, errors="coerce")
    out = s.astype("str")
    integral = num.notna() & (num == np.round(num))
    out[integral] = num[integral].astype("int64").astype("str")
    out[s.isna()] = ""
    return out.str.slice(0, _MAX_VALUE_CHARS).tolist()


def _empty_problems() -> pd.DataFrame:
    return problems_frame("", [], "", [], "none", "", "info").iloc[:0]


def concat_problems(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate problem tables in check order (empty input gives the empty table)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_problems()
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class TableAccount:
    """Row accounting input for one table: its file, rows read and their source lines."""

    file: str
    rows_read: int
    lines: Any = ()
    fatal: bool = False


@dataclass(frozen=True, repr=False)
class ValidationReport:
    """Every problem found while reading and validating, and the flow of rows per table.

    Attributes
    ----------
    problems : DataFrame
        One row per problem: ``file``, ``row`` (source line; header = line 1; record number
        for ``.sav``/``.parquet``), ``row_key`` (pseudonymous key of the row's client or
        episode, :mod:`effectstudy.core.rowkey`; empty where the row has none), ``column``,
        ``value`` (as found, cut to 40 characters; identifying values hidden, see
        :func:`protect_values`), ``rule``, ``expected``, ``severity`` (fatal, error, warning,
        info); with identifiers shown also ``identifier`` (the raw id beside the key).
    rows_read : dict
        Table -> number of data rows read.
    excluded : DataFrame
        One row per excluded row: ``table``, ``file``, ``row``, ``reason`` (the first rule
        broken).
    files : dict
        Table -> file name.
    """

    problems: pd.DataFrame
    rows_read: Mapping[str, int]
    excluded: pd.DataFrame
    files: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        fl = self.flow()
        for table, n in self.rows_read.items():
            got = int(fl.loc[fl["table"] == table, "n"].sum())
            if got != n:  # pragma: no cover - guards the accounting itself
                raise EffectstudyError(
                    f"row accounting failed for {table}: {n} rows read but used + excluded = {got}"
                )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_tables(cls, tables: Mapping[str, TableAccount], problems: pd.DataFrame) -> ValidationReport:
        """Build the report: each row with an ``error`` problem is excluded under its first rule.

        A table marked fatal has all its rows excluded with reason ``fatal``.
        """
        problems = problems.reset_index(drop=True) if len(problems) else _empty_problems()
        excl = []
        for table, acc in tables.items():
            lines = np.asarray(acc.lines, dtype=np.int64)
            if acc.fatal:
                excl.append(pd.DataFrame({"table": table, "file": acc.file,
                                          # line numbers are unknown when the file's structure is broken
                                          "row": pd.array(lines if len(lines) == acc.rows_read
                                                          else [None] * acc.rows_read, dtype="Int64"),
                                          "reason": "fatal"}))
                continue
            p = problems[(problems["file"] == acc.file) & (problems["severity"] == "error")
                         & problems["row"].notna()]
            p = p.drop_duplicates("row", keep="first")
            p = p[np.isin(p["row"].to_numpy(dtype=np.int64), lines)]
            excl.append(pd.DataFrame({"table": table, "file": acc.file,
                                      "row": p["row"].to_numpy(), "reason": p["rule"].to_numpy()}))
        excluded = (pd.concat(excl, ignore_index=True) if excl else
                    pd.DataFrame({"table": [], "file": [], "row": pd.array([], dtype="Int64"), "reason": []}))
        excluded = excluded.astype({"table": "str", "file": "str", "reason": "str", "row": "Int64"})
        return cls(problems=problems, rows_read={t: int(a.rows_read) for t, a in tables.items()},
                   excluded=excluded, files={t: a.file for t, a in tables.items()})

    # ------------------------------------------------------------------ views
    @property
    def fatal(self) -> bool:
        """True when at least one problem is fatal."""
        return bool((self.problems["severity"] == "fatal").any())

    def flow(self) -> pd.DataFrame:
        """Rows per table: ``used`` and ``excluded`` per reason; per table they sum to rows read."""
        out = []
        for table, n in self.rows_read.items():
            ex = self.excluded[self.excluded["table"] == table]
            counts = ex.groupby("reason", sort=False).size()
            out.append({"table": table, "status": "used", "reason": "", "n": int(n - len(ex))})
            out.extend({"table": table, "status": "excluded", "reason": r, "n": int(c)}
                       for r, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        fl = pd.DataFrame(out, columns=["table", "status", "reason", "n"])
        return fl.astype({"table": "str", "status": "str", "reason": "str", "n": "int64"})

    def summary(self) -> pd.DataFrame:
        """Problem counts per file, rule and severity (fatal first)."""
        if not len(self.problems):
            return pd.DataFrame({"file": [], "rule": [], "severity": [], "n": []})
        g = self.problems.groupby(["file", "rule", "severity"], sort=False).size().rename("n").reset_index()
        g["_s"] = g["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
        return g.sort_values(["_s", "file", "n"], ascending=[True, True, False]).drop(columns="_s").reset_index(drop=True)

    def _line(self, r: pd.Series) -> str:
        where = str(r["file"])
        if not pd.isna(r["row"]):
            where += f":{int(r['row'])}"
        key = r.get("row_key", "")
        if isinstance(key, str) and key:
            ident = r.get("identifier", "")
            where += f" [{key} = {ident}]" if isinstance(ident, str) and ident else f" [{key}]"
        if r["column"]:
            where += f" {r['column']}"
        return f"{where}: {r['rule']}: found {r['value']!r}, expected {r['expected']}"

    def message(self, first: int = 10, severities: Sequence[str] = SEVERITIES) -> str:
        """The first ``first`` problems (most severe first) as ``file:line [row key] column: rule: found X, expected Y``.

        The row key (``[r-7f3a9c2e41b0]``) stands where the row has one; with identifiers shown
        the raw id follows it (``[r-7f3a9c2e41b0 = C001]``).  Values are as in ``problems``: an
        identifying value is never in the message unless it was read with identifiers shown.
        """
        p = self.problems[self.problems["severity"].isin(list(severities))]
        counts = self.problems["severity"].value_counts()
        head = (f"{len(self.problems)} problem(s) ("
                + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITIES) + "):")
        order = p["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).to_numpy()
        p = p.iloc[np.argsort(order, kind="stable")[:first]]
        lines = [head, *("  " + self._line(r) for _, r in p.iterrows())]
        rest = (self.problems["severity"].isin(list(severities))).sum() - len(p)
        if rest > 0:
            lines.append(f"  ... and {rest} more (see report.problems)")
        return "\n".join(lines)

    def raise_if_fatal(self, first: int = 10) -> None:
        """Raise :class:`~effectstudy.core.errors.ValidationError` when a problem is fatal.

        The message shows the first ``first`` fatal problems and the total count.
        """
        if self.fatal:
            fatal = self.problems[self.problems["severity"] == "fatal"]
            raise ValidationError(
                f"{len(fatal)} fatal problem(s) in the input; nothing was analysed.\n"
                + self.message(first, severities=("fatal",)),
                problems=self.problems,
            )

    def to_dict(self) -> dict[str, Any]:
        """Counts, flow and problem summary as plain JSON-able values (no cell values)."""
        return {
            "fatal": self.fatal,
            "rows_read": dict(self.rows_read),
            "files": dict(self.files),
            "flow": self.flow().to_dict(orient="records"),
            "problems": self.summary().to_dict(orient="records"),
            "n_problems": {s: int((self.problems["severity"] == s).sum()) for s in SEVERITIES},
        }

    def __repr__(self) -> str:
        with pd.option_context("display.width", 120, "display.max_rows", 60):
            fl = self.flow().to_string(index=False)
        status = "FATAL" if self.fatal else "ok"
        return f"ValidationReport ({status})\n{fl}\n{self.message(10, severities=('fatal', 'error', 'warning'))}"

    def _repr_html_(self) -> str:
        status = "FATAL" if self.fatal else "ok"
        first = self.problems.head(20)
        return (f"<h4>Validation report ({html.escape(status)})</h4>"
                f"<p>Row flow (used + excluded = read)</p>{self.flow().to_html(index=False)}"
                f"<p>Problems by rule</p>{self.summary().to_html(index=False)}"
                f"<p>First problems</p>{first.to_html(index=False)}")


# ====================================================================== table checks
def _lines_of(lines: np.ndarray, mask: Any) -> np.ndarray:
    return lines[np.asarray(mask, dtype=bool)]


def check_table(
    df: pd.DataFrame,
    spec: TableSpec,
    *,
    file: str,
    lines: np.ndarray,
    min_date: str | pd.Timestamp = DEFAULT_MIN_DATE,
    today: str | pd.Timestamp | None = None,
    whole: Collection[str] = (),
) -> pd.DataFrame:
    """Row-level checks of one typed canonical table; returns its problems in check order.

    Checks: required values present; numeric ranges and allowed values from the schema; dates
    not before ``min_date`` and not after ``today``; for episodes, end before start; for
    measurements, instrument ids in the registry and item codes within the instrument's range
    (whole numbers ``item_min``..``item_max``, items beyond ``n_items`` empty), straight-lining
    flagged, a session number repeated on another date flagged; duplicates by the table's key (exact copies collapsed, different content a
    conflict with every copy excluded; Privacy & integrity INT-4, VAL-3).

    Rows already excluded by an earlier problem still get checked (so all problems are listed),
    but only rows without an ``error`` take part in the duplicate check.

    ``whole`` names item columns known to hold whole numbers only (the typed Parquet read gives
    the item columns of an integer type): their cells are not searched for a fraction.
    """
    lines = np.asarray(lines, dtype=np.int64)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the item checks (NumPy reductions, which release the GIL) beside the other checks
        items = (pool.submit(copy_context().run, _check_items, df, file=file, lines=lines, whole=whole)
                 if spec.name == "measurements" else None)
        return _checked_table(df, spec, file, lines, (min_date, today), items)


def _checked_table(df: pd.DataFrame, spec: TableSpec, file: str, lines: np.ndarray, dates: tuple[Any, Any],
                   items: Future | None) -> pd.DataFrame:
    """:func:`check_table` with the item checks running in ``items`` (measurements)."""
    min_date, today = dates
    out: list[pd.DataFrame] = []
    today_ts = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
    min_ts = pd.Timestamp(min_date)
    for col in spec.columns:
        if col.name not in df.columns:
            continue
        s = df[col.name]
        if col.required:
            miss = s.isna().to_numpy()
            if miss.any():
                out.append(problems_frame(file, lines[miss], col.name, "", "missing_value",
                                          "a value (required column)", "error"))
        if col.kind in ("int", "float") and (col.min is not None or col.max is not None):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isnan(v) & ((v < (col.min if col.min is not None else -np.inf))
                                  | (v > (col.max if col.max is not None else np.inf)))
            if bad.any():
                out.append(problems_frame(file, lines[bad], col.name, v[bad], "out_of_range",
                                          f"a number from {col.min:g} to {col.max:g}", "error"))
        if col.kind == "date":
            v = s.to_numpy(dtype="datetime64[ns]")
            nat = np.isnat(v)
            early = ~nat & (v < min_ts.to_datetime64())
            late = ~nat & (v > today_ts.to_datetime64())
            if early.any():
                out.append(problems_frame(file, lines[early], col.name, s[early].to_numpy(), "date_too_early",
                                          f"a date on or after {min_ts:%d-%m-%Y}", "error"))
            if late.any():
                out.append(problems_frame(file, lines[late], col.name, s[late].to_numpy(), "future_date",
                                          f"a date not after today ({today_ts:%d-%m-%Y})", "error"))
    if spec.name == "episodes" and {"start_date", "end_date"} <= set(df.columns):
        bad = (df["end_date"] < df["start_date"]).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            out.append(problems_frame(file, lines[bad], "end_date", df["end_date"][bad].to_numpy(),
                                      "end_before_start", "an end date on or after start_date", "error"))
    if items is not None:
        scores = _check_scores(df, file=file, lines=lines)
        repeated = _check_repeated_sessions(df, file=file, lines=lines)
        out += [*items.result(), *scores, repeated]
    if spec.name == "satisfaction" and {"returned", "grade"} <= set(df.columns):
        odd = (~df["returned"].to_numpy(dtype=bool)) & df["grade"].notna().to_numpy()
        if odd.any():
            out.append(problems_frame(file, lines[odd], "grade", df["grade"][odd].to_numpy(),
                                      "grade_without_return", "no grade when returned is false",
                                      "warning"))
    problems = concat_problems(out)
    out.append(_check_duplicates(df, spec, file=file, lines=lines, problems=problems))
    return concat_problems(out)


def _item_matrix(cols: list[np.ndarray], which: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rows ``rows`` of the item columns ``which`` as one (rows x items) matrix.

    Filled a column at a time into a column-major array (contiguous writes; ``np.column_stack``
    writes each column with a stride), and a run of consecutive rows is sliced, not gathered.
    ``np.nonzero`` of the result still lists cells row by row.

    >>> m = _item_matrix([np.array([1., 2., 3.]), np.array([4., 5., 6.])], np.array([0, 1]), np.array([1, 2]))
    >>> m.tolist()
    [[2.0, 5.0], [3.0, 6.0]]
    """
    out = np.empty((len(which), len(rows)))
    take: slice | np.ndarray = rows
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1:
        take = slice(int(rows[0]), int(rows[-1]) + 1)
    for k, j in enumerate(which):
        out[k] = cols[j][take]
    return out.T


def _item_view(df: pd.DataFrame, items: list[str]) -> np.ndarray | None:
    """All item columns as one (rows x items) float matrix *without a copy*, or ``None``.

    When the frame keeps its items in one ``float64`` block (as the readers build it),
    ``df[items].to_numpy()`` is a view of that block; when it is not (mixed dtypes, columns
    spread over blocks), ``None`` tells the caller to gather the columns itself.

    >>> df = pd.DataFrame({"item_1": [1.0, 2.0], "item_2": [3.0, np.nan]})
    >>> _item_view(df, ["item_1", "item_2"]).tolist()
    [[1.0, 3.0], [2.0, nan]]
    """
    if not items or any(df[c].dtype != np.float64 for c in items):
        return None
    mat = df[items].to_numpy()
    first = df[items[0]].to_numpy()
    if mat.dtype != np.float64 or not np.shares_memory(mat, first):
        return None
    return mat


def _item_block(full: np.ndarray | None, cols: list[np.ndarray], which: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rows ``rows`` of the item columns ``which``: sliced out of ``full`` (a view when the
    rows and columns are runs) or, without ``full``, gathered by :func:`_item_matrix`.

    >>> full = np.array([[1., 4.], [2., 5.], [3., 6.]])
    >>> _item_block(full, [], np.array([1]), np.array([1, 2])).tolist()
    [[5.0], [6.0]]
    """
    if full is None:
        return _item_matrix(cols, which, rows)
    take: slice | np.ndarray = rows
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1:
        take = slice(int(rows[0]), int(rows[-1]) + 1)
    cols_take: slice | np.ndarray = which
    if len(which) and which[-1] - which[0] == len(which) - 1:
        cols_take = slice(int(which[0]), int(which[-1]) + 1)
    if isinstance(take, slice) or isinstance(cols_take, slice):
        return full[take][:, cols_take]
    return full[np.ix_(take, cols_take)]


def _item_cells(found: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]], mm: np.ndarray,
                rows: np.ndarray, cols: np.ndarray, codes: tuple[int, int],
                scratch: np.ndarray | None = None, *, whole: bool = False) -> tuple[np.ndarray, ...]:
    """Add the cells of one chunk ``mm`` (rows ``rows``, item columns ``cols``) with a code just
    below the range ``codes`` (``coding_mismatch``, when the range starts at 1 or above) or
    another code outside it or not whole (``out_of_range``) to ``found``, row by row; return
    each row's number of answers (counted only where the lowest and highest code are equal,
    the rows that may be straight-lined; 0 elsewhere), lowest and highest code.

    The row figures come first, in a few passes over the chunk (NaN skipped by ``fmin``/``fmax``;
    a fraction shows as ``x - floor(x) > 0``); the cells are looked at only in the rows whose
    lowest or highest code is outside the range or that hold a fraction (most chunks: none).
    ``scratch``, a float array of at least the chunk's size, is used for the fractions (one
    buffer for every chunk instead of a new one each time).  With ``whole`` (every code known
    to be a whole number) the fractions are not computed: two passes instead of five.

    >>> found = {"coding_mismatch": [], "out_of_range": []}
    >>> mm = np.array([[1.0, 2.0, np.nan], [0.0, 2.5, 6.0], [3.0, 3.0, 3.0]])
    >>> n, lo, hi = _item_cells(found, mm, np.array([10, 11, 12]), np.array(["a", "b", "c"]), (1, 5))
    >>> n.tolist(), lo.tolist(), hi.tolist()
    ([0, 0, 3], [1.0, 0.0, 3.0], [2.0, 6.0, 3.0])
    >>> [(r.tolist(), c.tolist(), v.tolist()) for r, c, v in found["coding_mismatch"] + found["out_of_range"]]
    [([11], ['a'], [0.0]), ([11, 11], ['b', 'c'], [2.5, 6.0])]
    """
    item_min, item_max = codes
    if mm.strides[0] > mm.strides[1]:  # rows side by side in memory: the row reductions add columns
        mm = np.asfortranarray(mm)
    lo = np.fmin.reduce(mm, axis=1)  # fmin/fmax skip NaN (an empty row gives NaN)
    hi = np.fmax.reduce(mm, axis=1)
    same = lo == hi  # all answers alike: only these rows need their number of answers
    n_ans = np.zeros(len(lo), dtype=np.int64)
    if same.any():
        n_ans[same] = mm.shape[1] - np.count_nonzero(np.isnan(mm[same]), axis=1)
    suspect = (lo < item_min) | (hi > item_max)
    if not whole:
        frac = np.floor(mm, out=None if scratch is None else scratch.reshape(-1)[:mm.size].reshape(mm.shape, order="F"))
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, as an empty cell (lo/hi see the code)
            np.subtract(mm, frac, out=frac)
        suspect |= np.fmax.reduce(frac, axis=1) > 0
    if not suspect.any():
        return n_ans, lo, hi
    at = np.flatnonzero(suspect)
    sub, rows = mm[at], rows[at]
    p_in = ~np.isnan(sub)
    below_code = (sub == item_min - 1) if item_min >= 1 else np.zeros(sub.shape, bool)
    if below_code.any():
        r, c = np.nonzero(below_code)
        found["coding_mismatch"].append((rows[r], cols[c], sub[r, c]))
    with np.errstate(invalid="ignore"):
        bad = p_in & ~below_code & ((sub < item_min) | (sub > item_max) | (sub != np.round(sub)))
    if bad.any():
        r, c = np.nonzero(bad)
        found["out_of_range"].append((rows[r], cols[c], sub[r, c]))
    return n_ans, lo, hi


def _check_items(df: pd.DataFrame, *, file: str, lines: np.ndarray, whole: Collection[str] = ()) -> list[pd.DataFrame]:
    out: list[pd.DataFrame] = []
    if "instrument" not in df.columns:
        return out
    items = item_columns(df.columns)
    inst = df["instrument"]
    known = set(instruments.available())
    ids = [i for i in pd.unique(inst.dropna()) if isinstance(i, str)]
    unknown = inst.notna().to_numpy() & ~isin(inst, known)
    if unknown.any():
        out.append(problems_frame(file, lines[unknown], "instrument", inst[unknown].to_numpy(),
                                  "unknown_instrument", f"a registry id, one of {sorted(known)}", "error"))
    if not items:
        return out
    numbers = np.array([item_number(c) for c in items])
    full = _item_view(df, items)
    cols_all = [] if full is not None else [df[c].to_numpy(dtype=float, na_value=np.nan) for c in items]
    for iid in ids:
        if iid not in known:
            continue
        ins = instruments.get(iid)
        rows_all = np.flatnonzero((inst == iid).to_numpy())
        beyond = numbers > ins.n_items
        cols_in = np.array(items, dtype=object)[~beyond]
        cols_out = np.array(items, dtype=object)[beyond]
        rng = f"a whole number {ins.item_min}-{ins.item_max} ({ins.id}) or empty"
        min_answered = max(3, int(np.ceil(ins.n_items / 2)))
        # row chunks small enough for the CPU cache (each check is a pass over the chunk); the cells
        # found are gathered per rule, so the problems come in the same order whatever the chunks
        found: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {
            "item_not_in_instrument": [], "coding_mismatch": [], "out_of_range": [], "straight_lining": []}
        all_whole = set(cols_in) <= set(whole)  # no fraction to look for: no scratch buffer either
        scratch = None if all_whole else np.empty(_ITEM_CHUNK * len(items))
        for c0 in range(0, len(rows_all), _ITEM_CHUNK):
            rows = rows_all[c0:c0 + _ITEM_CHUNK]
            if beyond.any():
                mb = _item_block(full, cols_all, np.flatnonzero(beyond), rows)
                present = ~np.isnan(mb)
                if present.any():  # np.nonzero only where something is flagged (most chunks: nothing)
                    r, c = np.nonzero(present)
                    found["item_not_in_instrument"].append((rows[r], cols_out[c], mb[r, c]))
            if not (~beyond).any():
                continue
            mm = _item_block(full, cols_all, np.flatnonzero(~beyond), rows)
            n_ans, lo, hi = _item_cells(found, mm, rows, cols_in, (ins.item_min, ins.item_max), scratch,
                                        whole=all_whole)
            flat = (n_ans >= min_answered) & (lo == hi)
            found["straight_lining"].append((rows[flat], np.full(int(flat.sum()), "item_*", dtype=object), lo[flat]))
        for rule, parts in found.items():
            at = np.concatenate([x[0] for x in parts]) if parts else np.array([], dtype=np.int64)
            if not len(at):
                continue
            col = np.concatenate([x[1] for x in parts])
            val = np.concatenate([x[2] for x in parts])
            if rule == "item_not_in_instrument":
                out.append(problems_frame(file, lines[at], col, val, rule, f"empty: {ins.id} has {ins.n_items} items",
                                          "error"))
            elif rule == "coding_mismatch":
                out.append(problems_frame(
                    file, lines[at], col, val, rule,
                    f"{rng}; the export seems coded {ins.item_min - 1}-{ins.item_max - 1}: check the "
                    "instrument id and the export's coding (codes are never shifted automatically)", "fatal"))
            elif rule == "out_of_range":
                out.append(problems_frame(file, lines[at], col, val, rule, rng, "error"))
            else:
                out.append(problems_frame(file, lines[at], "item_*", val, rule,
                                          "varied answers (flagged, not removed)", "warning"))
    return out


def _check_scores(df: pd.DataFrame, *, file: str, lines: np.ndarray) -> list[pd.DataFrame]:
    """Precomputed scale scores (``score_<SCALE>``, a score-only file): each column a scale of the
    row's instrument (fatal ``unknown_scale`` otherwise) and each value within the scale's range
    (error ``out_of_range``)."""
    out: list[pd.DataFrame] = []
    cols = score_columns(df.columns)
    if not cols or "instrument" not in df.columns:
        return out
    inst = df["instrument"]
    known = set(instruments.available())
    for iid in [i for i in pd.unique(inst.dropna()) if isinstance(i, str) and i in known]:
        ins = instruments.get(iid)
        rows = (inst == iid).to_numpy(dtype=bool)
        unknown = [c for c in cols if score_scale(c) not in ins.scales]
        if unknown:
            out.append(problems_frame(file, [1] * len(unknown), unknown, [score_scale(c) for c in unknown],
                                      "unknown_scale", f"score_<SCALE> with a scale of {iid} "
                                      f"({', '.join(ins.scales)})", "fatal"))
        for c in cols:
            if c in unknown:
                continue
            sc = ins.scales[score_scale(c)]
            v = df[c].to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                bad = rows & ~np.isnan(v) & ((v < sc.score_min) | (v > sc.score_max))
            if bad.any():
                out.append(problems_frame(file, lines[bad], c, v[bad], "out_of_range",
                                          f"a score from {sc.score_min:g} to {sc.score_max:g} ({iid} {sc.name})",
                                          "error"))
    return out


def _check_repeated_sessions(df: pd.DataFrame, *, file: str, lines: np.ndarray) -> pd.DataFrame:
    """Warn when an episode has two administrations of one instrument at the same session
    number on different dates (``repeated_session``): the session numbers of a course must
    follow its dates, and analyses by session (stagnation, trajectories) refuse such data."""
    key = ["episode_id", "instrument", "session"]
    if not {*key, "date"} <= set(df.columns) or len(df) < 2:
        return _empty_problems()
    pos = np.flatnonzero(df[[*key, "date"]].notna().all(axis=1).to_numpy())
    dup = _duplicated_keys(df, key, pos)
    if not dup.any():
        return _empty_problems()
    d = df[[*key, "date"]].iloc[pos[dup]]
    dates = d.groupby(key, sort=False, observed=True)["date"].transform("nunique").to_numpy()
    bad = dates > 1
    if not bad.any():
        return _empty_problems()
    return problems_frame(file, lines[pos[dup][bad]], "session", d["session"].to_numpy()[bad], "repeated_session",
                          "one administration per episode, instrument and session number (this number "
                          "occurs on several dates)", "warning")


def _duplicated_keys(df: pd.DataFrame, key: list[str], pos: np.ndarray) -> np.ndarray:
    """``df[key].iloc[pos].duplicated(keep=False)`` as a boolean array, on one ``int64`` key.

    Each key column is factorised (an Arrow text column once, through
    :func:`~effectstudy.core.keys.equal_codes`; numbers and dates in sorted order), the codes
    are combined into one integer per row (mixed radix, re-factorised before it could overflow)
    and only that is compared: equal combined codes mean equal keys, so the same rows are
    flagged as by ``DataFrame.duplicated``.  The id columns lead, then numbers and dates, then
    the rest, so that an export sorted by client (or episode) and date gives (nearly)
    non-decreasing combined codes, which sort in about one pass; a duplicate is then a row equal
    to its neighbour.  The rows ``pos`` (increasing, as ``np.flatnonzero`` gives them) must have
    no missing key value.

    >>> df = pd.DataFrame({"a": pd.Series(["x", "x", "y", "x"], dtype="str"), "b": [1, 2, 1, 1]})
    >>> _duplicated_keys(df, ["a", "b"], np.array([0, 1, 2, 3])).tolist()
    [True, False, False, True]
    >>> _duplicated_keys(df.sort_values(["a", "b"]), ["a", "b"], np.array([0, 1, 2, 3])).tolist()
    [True, True, False, False]
    """
    pos = np.asarray(pos, dtype=np.int64)
    if len(pos) < 2:
        return np.zeros(len(pos), dtype=bool)
    combined = np.zeros(len(pos), dtype=np.int64)
    size = 1
    whole = len(pos) == len(df)  # pos is every row, in order: no gather
    for k in sorted(key, key=lambda c: _key_rank(df[c])):
        col = df[k]
        fact = equal_codes(col)
        if fact is not None:
            codes, n = (fact[0] if whole else fact[0][pos]), fact[1]
        else:
            ordered = _key_rank(col) == 1
            codes, uniques = pd.factorize(col if whole else col.iloc[pos], sort=ordered, use_na_sentinel=True)
            codes, n = codes.astype(np.int64, copy=False), len(uniques)
        if size * max(n, 1) >= 2 ** 62:  # keep the mixed-radix code within int64; codes in
            combined, uniques = pd.factorize(combined)  # first-seen order keep a sorted run sorted
            combined, size = combined.astype(np.int64, copy=False), len(uniques)
        combined = combined * max(n, 1) + codes
        size *= max(n, 1)
    if size <= 4 * len(pos):  # dense codes: count them
        return np.bincount(combined, minlength=size)[combined] > 1
    # sorted, a duplicate is a row equal to its neighbour; NumPy's stable sort of int64 is a
    # timsort, which takes runs already in order as they are: an export in key order (or
    # nearly) costs about one pass, any other order no more than hashing every key
    order = np.argsort(combined, kind="stable")
    ranked = combined[order]
    same = ranked[1:] == ranked[:-1]
    hit = np.zeros(len(combined), dtype=bool)
    hit[1:] = same
    hit[:-1] |= same
    dup = np.empty(len(combined), dtype=bool)
    dup[order] = hit
    return dup


def _key_rank(col: pd.Series) -> int:
    """Where a key column goes in :func:`_duplicated_keys`' combined code: Arrow text (the ids) 0,
    numbers and dates 1 (factorised in sorted order), anything else 2."""
    if pd.api.types.is_string_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
        return 0
    if pd.api.types.is_bool_dtype(col.dtype) or isinstance(col.dtype, pd.CategoricalDtype):
        return 2
    return 1 if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_datetime64_dtype(col.dtype) else 2


def _check_duplicates(df: pd.DataFrame, spec: TableSpec, *, file: str, lines: np.ndarray,
                      problems: pd.DataFrame) -> pd.DataFrame:
    key = [k for k in spec.key if k in df.columns]
    if not key or len(df) < 2:
        return _empty_problems()
    bad_lines = problems.loc[problems["severity"] == "error", "row"].dropna().to_numpy(dtype=np.int64)
    ok = ~np.isin(lines, bad_lines) & df[key].notna().all(axis=1).to_numpy()
    # only the key columns are compared for all rows; full rows are hashed for duplicates only
    pos = np.flatnonzero(ok)
    dup = _duplicated_keys(df, key, pos)
    if not dup.any():
        return _empty_problems()
    d = df.iloc[pos[dup]]
    ln = lines[pos[dup]]
    h = pd.util.hash_pandas_object(d, index=False).to_numpy()
    g = d[key].copy()
    g["_h"] = h
    n_distinct = g.groupby(key, sort=False, observed=True)["_h"].transform("nunique").to_numpy()
    conflict = n_distinct > 1
    exact_later = ~conflict & g.duplicated(key, keep="first").to_numpy()
    keytext = d[key].astype("str").agg(" ".join, axis=1).to_numpy() if len(d) else np.array([])
    out = []
    kname = ", ".join(key)
    if conflict.any():
        out.append(problems_frame(file, ln[conflict], kname, keytext[conflict], "duplicate_conflict",
                                  f"one row per {kname}; rows with this key differ (all copies excluded)",
                                  "error"))
    if exact_later.any():
        out.append(problems_frame(file, ln[exact_later], kname, keytext[exact_later], "duplicate_exact",
                                  f"one row per {kname}; exact copy collapsed into the first", "error"))
    return concat_problems(out)


# ====================================================================== cross-table checks
def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """``index.get_indexer(values)``, -1 for a value not in ``index`` and for a missing value.

    Arrow text on both sides is looked up with Arrow's hash lookup
    (:func:`~effectstudy.core.keys.codes_in`), else pandas decides.  ``index`` must be unique.

    >>> _positions(pd.Series(["b", "x", "a"], dtype="str"), pd.Index(["a", "b"], dtype="str")).tolist()
    [1, -1, 0]
    """
    pos = codes_in(values, index, absent=-1)
    if pos is None:
        pos = np.asarray(index.get_indexer(values), dtype=np.int64)
        missing = pd.isna(np.asarray(values, dtype=object)) if len(values) else np.zeros(0, dtype=bool)
        return np.where(missing, -1, pos)
    return np.asarray(pos, dtype=np.int64)


def _column_positions(columns: Sequence[pd.Series], index: pd.Index) -> list[np.ndarray]:
    """:func:`_positions` of every value of whole id columns, one array per column.

    Arrow text columns are looked up through their factorisations
    (:func:`~effectstudy.core.keys.text_factorize`, computed once per column and already made by
    the tables' duplicate checks): only their distinct ids are looked up, all in one lookup, then
    spread over the rows.

    >>> [p.tolist() for p in _column_positions([pd.Series(["b", None, "b", "x"], dtype="str"),
    ...                                         pd.Series(["a"], dtype="str")], pd.Index(["a", "b"], dtype="str"))]
    [[1, -1, 1, -1], [0]]
    """
    facts = [text_factorize(c) for c in columns]
    if not facts or any(f is None for f in facts):
        return [_positions(c, index) for c in columns]
    distinct = [pd.Series(u, copy=False) for _, u in facts]
    upos = _positions(distinct[0] if len(distinct) == 1 else pd.concat(distinct, ignore_index=True), index)
    parts = np.split(upos, np.cumsum([len(u) for u in distinct])[:-1])
    return [np.append(part, -1)[codes] for part, (codes, _) in zip(parts, facts, strict=True)]  # -1: missing


def _shared_positions(columns: Sequence[pd.Series], ids: pd.Series, used: np.ndarray) -> list[np.ndarray] | None:
    """:func:`_column_positions` of ``columns`` among the episode ids ``ids[used]`` (each used id
    once: :func:`_unique_ids`), from the codes :func:`~effectstudy.core.keys.share_codes` gave
    them all (``read_study``): a table from code to position, no lookup of text.  ``None``
    when the columns were not encoded together.

    >>> from effectstudy.core.keys import factorizations, share_codes
    >>> ids, m = pd.Series(["a", "b", "c"], dtype="str"), pd.Series(["c", None, "b", "x"], dtype="str")
    >>> with factorizations():
    ...     share_codes(ids, m)
    ...     _shared_positions([m], ids, np.array([True, False, True]))[0].tolist()
    [1, -1, -1, -1]
    """
    codes = shared_codes(ids, *columns)
    if codes is None:
        return None
    n = equal_codes(ids)[1]  # the number of codes of the encoding (shared by the columns)
    table = np.full(n + 1, -1, dtype=np.int64)  # slot n stays -1: the code of a missing id
    table[codes[0][used]] = np.arange(int(np.count_nonzero(used)))
    return [table[c] for c in codes[1:]]


def _unique_ids(ids: pd.Series, used: np.ndarray) -> bool:
    """Whether the rows ``used`` hold each id at most once, from the id column's codes (no missing
    id among them, as the required-value check ensures; a missing id makes this ``False``).

    >>> ids = pd.Series(["a", "b", "a", None], dtype="str")
    >>> _unique_ids(ids, np.array([True, True, False, False])), _unique_ids(ids, np.array([True, True, True, False]))
    (True, False)
    """
    fact = equal_codes(ids)
    codes = fact[0] if fact is not None else pd.factorize(ids, use_na_sentinel=True)[0]
    c = codes[used]
    return bool(not len(c) or (c.min() >= 0 and np.bincount(c).max() <= 1))


def check_study(
    episodes: pd.DataFrame,
    episode_lines: np.ndarray,
    episodes_used: np.ndarray,
    measurements: pd.DataFrame | None,
    measurement_lines: np.ndarray | None,
    measurements_used: np.ndarray | None,
    satisfaction: pd.DataFrame | None = None,
    satisfaction_lines: np.ndarray | None = None,
    satisfaction_used: np.ndarray | None = None,
    *,
    files: Mapping[str, str],
    window_days: tuple[int, int] = DEFAULT_WINDOW_DAYS,
) -> pd.DataFrame:
    """Checks between tables, on the rows that passed the table checks.

    Measurements: an ``episode_id`` that is unknown (``unknown_episode``) or belongs to an
    excluded episode (``episode_excluded``) or to another client (``episode_client_mismatch``);
    without ``episode_id`` a client with no episode (``client_without_episode``); a date outside
    the window ``[start - before, end + after]`` of its episode, or of every episode of the
    client (``outside_episode``; an open episode has no upper bound).
    Satisfaction: ``unknown_episode`` / ``episode_excluded``.
    """
    before, after = (pd.Timedelta(days=int(d)) for d in window_days)
    used_ep = np.asarray(episodes_used, dtype=bool)
    ep = episodes.loc[used_ep, [c for c in ("episode_id", "client_id", "start_date", "end_date") if c in episodes]]
    # the used episodes by id (first row of an id); an id is used when it has a position here.
    # The table checks leave one row per id (a duplicate is collapsed or excluded): then no
    # hashing of the ids is needed to see that, only a count of their codes
    unique = _unique_ids(episodes["episode_id"], used_ep)
    epi = (ep if unique else ep.drop_duplicates("episode_id")).set_index("episode_id")
    not_used = episodes["episode_id"][~used_ep].dropna()
    # ids only among the episodes not used: the (few) not used looked up among the used, not
    # the other way round (a lookup builds a hash table of its second argument)
    shared = epi.index[isin(epi.index, not_used)] if len(not_used) else epi.index[:0]
    excluded_ids = pd.Series(not_used[~isin(not_used, shared)].unique(), dtype="str")
    out: list[pd.DataFrame] = []
    # positions of the measurements' and the satisfaction forms' episode ids among the used episodes
    id_cols = {t: d["episode_id"] for t, d in (("m", measurements), ("s", satisfaction))
               if d is not None and len(d) and "episode_id" in d}
    at = _shared_positions(list(id_cols.values()), episodes["episode_id"], used_ep) if unique else None
    at_rows = dict(zip(id_cols, at if at is not None else _column_positions(list(id_cols.values()), epi.index),
                       strict=True))
    if measurements is not None and len(measurements):
        f = files["measurements"]
        use = np.asarray(measurements_used, dtype=bool)
        m = measurements
        ln = np.asarray(measurement_lines, dtype=np.int64)
        pos = np.flatnonzero(use)
        has_ep = (m["episode_id"].notna().to_numpy() if "episode_id" in m else np.zeros(len(m), bool))
        # --- with an episode id
        p1 = pos[has_ep[pos]]
        # string columns stay pandas/Arrow Series (no Python objects per row)
        e1 = (m["episode_id"].iloc[p1].reset_index(drop=True) if "episode_id" in m
              else pd.Series([], dtype="str"))
        # one lookup of each id in the used episodes gives used (>= 0) and their positions
        at = at_rows["m"][p1] if "m" in at_rows else np.zeros(0, dtype=np.int64)
        in_used = at >= 0
        in_excl = np.zeros(len(e1), dtype=bool)
        if not in_used.all():
            rest = np.flatnonzero(~in_used)
            in_excl[rest] = isin(e1.iloc[rest], excluded_ids)
        unk = ~in_used & ~in_excl
        if unk.any():
            out.append(problems_frame(f, ln[p1[unk]], "episode_id", e1[unk].to_numpy(), "unknown_episode",
                                      "an episode_id present in the episodes file", "error"))
        if in_excl.any():
            out.append(problems_frame(f, ln[p1[in_excl]], "episode_id", e1[in_excl].to_numpy(), "episode_excluded",
                                      "an episode that passed validation", "error"))
        ok1 = p1[in_used]
        if len(ok1):
            loc = at[in_used]
            ec = epi["client_id"].iloc[loc].reset_index(drop=True)
            mc = m["client_id"].iloc[ok1].reset_index(drop=True)
            mism = (ec != mc).to_numpy(dtype=bool)
            if mism.any():
                out.append(problems_frame(f, ln[ok1[mism]], "client_id", mc[mism].to_numpy(),
                                          "episode_client_mismatch",
                                          "the client_id of the episode in the episodes file", "error"))
            eid = loc
            d = m["date"].to_numpy(dtype="datetime64[ns]")[ok1]
            st = epi["start_date"].to_numpy(dtype="datetime64[ns]")[eid]
            en = (epi["end_date"].to_numpy(dtype="datetime64[ns]")[eid] if "end_date" in epi
                  else np.full(len(eid), np.datetime64("NaT"), dtype="datetime64[ns]"))
            outside = ~mism & ((d < st - before.to_timedelta64())
                               | (~np.isnat(en) & (d > en + after.to_timedelta64())))
            if outside.any():
                out.append(problems_frame(
                    f, ln[ok1[outside]], "date", m["date"].to_numpy()[ok1[outside]], "outside_episode",
                    f"a date from {window_days[0]} days before the episode's start to {window_days[1]} "
                    "days after its end", "error"))
        # --- without an episode id: any episode of the client
        p2 = pos[~has_ep[pos]]
        if len(p2):
            cl = m["client_id"].iloc[p2].reset_index(drop=True)
            has_client = isin(cl, ep["client_id"].dropna().unique())
            excl_clients = episodes.loc[isin(episodes["episode_id"], excluded_ids), "client_id"]
            cl_excl = ~has_client & isin(cl, excl_clients.dropna().unique())
            none = ~has_client & ~cl_excl
            if none.any():
                out.append(problems_frame(f, ln[p2[none]], "client_id", cl[none].to_numpy(), "client_without_episode",
                                          "a client with an episode in the episodes file", "error"))
            if cl_excl.any():
                out.append(problems_frame(f, ln[p2[cl_excl]], "client_id", cl[cl_excl].to_numpy(), "episode_excluded",
                                          "a client with an episode that passed validation", "error"))
            q = p2[has_client]
            if len(q):
                mm = pd.DataFrame({"_p": q, "client_id": m["client_id"].iloc[q].to_numpy(),
                                   "date": m["date"].to_numpy(dtype="datetime64[ns]")[q]})
                cols = ["client_id", "start_date"] + (["end_date"] if "end_date" in ep else [])
                j = mm.merge(ep[cols].astype({"client_id": mm["client_id"].dtype}), on="client_id", how="inner")
                endv = (j["end_date"].to_numpy(dtype="datetime64[ns]") if "end_date" in j
                        else np.full(len(j), np.datetime64("NaT"), dtype="datetime64[ns]"))
                dv = j["date"].to_numpy(dtype="datetime64[ns]")
                inside = (dv >= j["start_date"].to_numpy(dtype="datetime64[ns]") - before.to_timedelta64()) & (
                    np.isnat(endv) | (dv <= endv + after.to_timedelta64()))
                any_in = pd.Series(inside).groupby(j["_p"].to_numpy()).any()
                bad = q[~any_in.reindex(q, fill_value=False).to_numpy(dtype=bool)]
                if len(bad):
                    out.append(problems_frame(
                        f, ln[bad], "date", m["date"].to_numpy()[bad], "outside_episode",
                        f"a date from {window_days[0]} days before the start to {window_days[1]} days "
                        "after the end of one of the client's episodes", "error"))
    if satisfaction is not None and len(satisfaction):
        f = files["satisfaction"]
        pos = np.flatnonzero(np.asarray(satisfaction_used, dtype=bool))
        ln = np.asarray(satisfaction_lines, dtype=np.int64)
        es = satisfaction["episode_id"].iloc[pos].reset_index(drop=True)
        in_used = at_rows["s"][pos] >= 0
        in_excl = np.zeros(len(es), dtype=bool)
        if not in_used.all():
            rest = np.flatnonzero(~in_used)
            in_excl[rest] = isin(es.iloc[rest], excluded_ids)
        e = es.to_numpy() if (~in_used).any() else np.array([], dtype=object)
        unk = ~in_used & ~in_excl
        if unk.any():
            out.append(problems_frame(f, ln[pos[unk]], "episode_id", e[unk], "unknown_episode",
                                      "an episode_id present in the episodes file", "error"))
        if in_excl.any():
            out.append(problems_frame(f, ln[pos[in_excl]], "episode_id", e[in_excl], "episode_excluded",
                                      "an episode that passed validation", "error"))
    return concat_problems(out)
