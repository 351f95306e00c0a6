"""Reading ROM exports (CSV, Excel .xlsx, SPSS .sav, Parquet) into canonical, validated tables.

Reading is done in two stages (Privacy & integrity VAL-1), because ``pandas.read_csv`` defaults
corrupt data silently (too few fields filled with NaN, duplicate headers renamed ``x.1``,
decimal commas left as text, day/month guessed; pandas-dev/pandas#15122):

1. **Structure.**  The bytes are decoded with the declared encoding (a UTF-8 byte-order mark is
   removed; any undecodable byte is fatal, naming its line; UTF-16 read as another encoding is
   named, with the ``encoding:`` to set; a NUL byte is fatal on its line).  Old Mac line ends
   (``\\r`` alone throughout) are read as line breaks, with a ``line_endings`` warning; a lone
   ``\\r`` inside a field is an error on its row (``line_break_in_field``).  The separator is
   taken from the params or detected among ``;`` and ``,`` in the header (both or neither:
   fatal).  Every line's field count is compared with the header's, vectorised with NumPy over
   the raw bytes (files without quotes) or with the C ``csv`` module in strict mode (files with
   quotes, which may hold separators or line breaks).  Ragged rows, duplicate or empty header
   names, an unterminated quote, an empty file and a header without rows are fatal.  Invisible
   characters in column names (zero-width space, no-break space, a second byte-order mark) are
   removed from the name and each is named (``invisible_character``).
2. **Types.**  Each canonical column is parsed with an explicit rule: numbers with the declared
   decimal separator (a ``.`` in a decimal-comma file is not guessed at), whole numbers of at
   most 15 digits for ``int`` columns (larger ones and ``1e400`` are ``out_of_range``), dates
   only with ``spec.date_format`` (the value must match the format's shape, so two-digit
   years, day/month swaps and seven digits for ``%Y%m%d`` are not accepted by accident, and an
   impossible date such as ``31-02-2024`` is an error, never NaT), flags from a fixed list
   (``1/0``, ``true/false``, ``ja/nee``, ``yes/no``).  Every value that does not parse is a
   problem with file, line, column, value and the expected format; its row is excluded.

Speed: :func:`read_study` reads a clean CSV file in one typed Arrow read (column types from the
schema: numbers parsed by Arrow's CSV reader with the declared decimal separator, ids, dates
and flags typed with Arrow compute; :func:`_typed_csv`), with the same result as the two stages
above.  A file whose structure the text path would report on (encoding, quotes, blank or ragged
lines, header) is read by the two stages; a column with a value the text rules report is typed
by those rules on its text, so every problem names the same row, column and value
(``TYPED_READ = False`` turns the typed read off).  :func:`read_table` keeps the raw text of the
rows it excludes and always reads by the two stages.

Line numbers: for CSV the physical line in the file (header = line 1); for Excel the sheet row;
for ``.sav`` and Parquet the 1-based record number plus one (so the first record is "row 2", as
if the header were row 1).  Typed tables carry these numbers as their index (named ``line``).

Raw files are only ever opened for reading.

Problems name the file, the line and the row's pseudonymous ``row_key``
(:mod:`effectstudy.core.rowkey`), never a client id, episode id, date or free text
(Privacy & integrity VAL-5); ``show_identifiers=True`` keeps them, for the practice's own data
manager (``effectstudy validate --show-identifiers``).

>>> import tempfile, pathlib
>>> from effectstudy.core.params import FileSpec
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "ep.csv").write_text("episode_id;client_id;start_date;sessions\\nE1;C1;03-04-2024;7\\nE2;C2;31-02-2024;x\\n")
>>> t = read_table(FileSpec(path=d / "ep.csv"), "episodes")
>>> t.data[["episode_id", "start_date", "sessions"]]
     episode_id start_date  sessions
line
2            E1 2024-04-03         7
>>> t.report.flow()
      table    status       reason  n
0  episodes      used                1
1  episodes  excluded  date_format  1
"""

from __future__ import annotations

import codecs
import csv
import io as _stdio
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from effectstudy.core.checks import check_choice
from effectstudy.core.codes import CODABLE_COLUMNS
from effectstudy.core.errors import ArgumentError
from effectstudy.core.keys import codes_in, factorizations, share_codes, text_factorize
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.core.rowkey import RowKey, load_row_key
from effectstudy.core.schema import SCORED_MEASUREMENTS, TABLES, Column, TableSpec
from effectstudy.data.coding import apply_codes
from effectstudy.data.consent import CONSENT_COLUMNS
from effectstudy.data.validate import (
    DEFAULT_MIN_DATE,
    DEFAULT_WINDOW_DAYS,
    TableAccount,
    ValidationReport,
    add_row_keys,
    check_study,
    check_table,
    concat_problems,
    identifiers_are_shown,
    identifiers_shown,
    problems_frame,
)
from effectstudy.data.wide import WideLong, decode_lines, decode_problems, wide_to_long

__all__ = ["read_table", "read_study", "TableRead", "StudyData", "BOOL_TOKENS", "NOT_RECORDED_FLAGS"]

#: accepted flag spellings (case-insensitive); anything else is an error
BOOL_TOKENS: dict[str, bool] = {"1": True, "0": False, "true": True, "false": False,
                                "ja": True, "nee": False, "yes": True, "no": False,
                                "j": True, "n": False, "y": True}
#: flags whose empty value is kept as ``<NA>`` ("not recorded", a nullable ``boolean`` column);
#: every other flag reads an empty value as ``False`` (counted as an ``info`` problem)
NOT_RECORDED_FLAGS: frozenset[str] = frozenset(CONSENT_COLUMNS.values())
_READ_TABLES = ("episodes", "measurements", "satisfaction")
_BOM = codecs.BOM_UTF8
_CHUNK = 1 << 24
#: whole numbers from this size on are out of range (15 digits at most: exact in float64)
_MAX_WHOLE = 10**15
#: a carriage return that does not end a line (not followed by ``\n``)
_LONE_CR = re.compile(r"\r(?!\n)")
_LONE_CR_BYTES = re.compile(rb"\r(?!\n)")
#: names of the control characters unicodedata leaves unnamed
_CONTROL_NAMES = {"\t": "CHARACTER TABULATION", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x00": "NULL"}


# ====================================================================== result objects
@dataclass(frozen=True, repr=False)
class TableRead:
    """One file read and validated on its own.

    Attributes
    ----------
    table, file : str
        Canonical table name; file name (no folder).
    data : DataFrame
        The rows used, canonical columns and dtypes, index = source line (``line``).
    rejected : DataFrame
        The rows excluded, with their raw (text) values, ``line`` index and a ``reason`` column.
    report : ValidationReport
        Problems and flow of this file.
    meta : dict
        Format, encoding, separator, column map applied, unknown columns, value labels (.sav).
    """

    table: str
    file: str
    data: pd.DataFrame
    rejected: pd.DataFrame
    report: ValidationReport
    meta: dict[str, Any] = field(default_factory=dict)
    #: all typed rows (used and excluded) with their lines; used by :func:`read_study`
    _all: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"TableRead({self.table!r}, file={self.file!r}, used={len(self.data)}, excluded={len(self.rejected)})"


@dataclass(frozen=True, repr=False)
class StudyData:
    """The validated input of a study: typed canonical tables of the rows used, and the report.

    ``episodes``, ``measurements`` and ``satisfaction`` (``None`` when not given) are indexed by
    source line; ``report.flow()`` accounts for every row read.
    """

    episodes: pd.DataFrame
    measurements: pd.DataFrame
    satisfaction: pd.DataFrame | None
    report: ValidationReport
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        n = {k: (None if v is None else len(v)) for k, v in
             (("episodes", self.episodes), ("measurements", self.measurements), ("satisfaction", self.satisfaction))}
        return f"StudyData({n})\n{self.report!r}"

    def _repr_html_(self) -> str:
        return self.report._repr_html_()


class _Fatal(Exception):
    """Internal: structure problem that stops reading the file (collected, not shown raw)."""

    def __init__(self, problems: pd.DataFrame, rows_read: int = 0) -> None:
        self.problems = problems
        self.rows_read = rows_read


# ====================================================================== stage 1: structure
def _encoding_name(enc: str) -> str:
    try:
        return codecs.lookup(enc).name
    except LookupError:
        raise ArgumentError("encoding", enc, "a Python codec name such as 'utf-8' or 'cp1252'") from None


def _nul_lines(buf: bytes) -> np.ndarray:
    """Physical lines (1-based, counted at ``\\n``) holding a NUL byte, each once."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    nul = np.flatnonzero(arr == 0)
    nl = np.flatnonzero(arr == 10)
    return np.unique(np.searchsorted(nl, nul) + 1)


def _utf16_guess(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when the bytes look like UTF-16 text, else ``None``.

    UTF-16 text of the Latin alphabet (column names, digits, separators) has a NUL byte in every
    second position: the odd ones for little-endian, the even ones for big-endian.  A byte-order
    mark (``FF FE`` / ``FE FF``) settles it at once.

    >>> _utf16_guess("a;b".encode("utf-16-le")), _utf16_guess("a;b".encode("utf-16")), _utf16_guess(b"a;b")
    ('utf-16-le', 'utf-16-le', None)
    """
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    half = len(data) // 2
    if half == 0 or b"\x00" not in data:  # the usual case: one scan, no copies
        return None
    even, odd = data[0:2 * half:2].count(0), data[1:2 * half:2].count(0)
    if odd >= 0.3 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def _decode(data: bytes, spec: FileSpec, file: str) -> bytes:
    """Check the bytes decode with the declared encoding; return UTF-8 bytes to parse.

    A UTF-16 file (with or without its byte-order mark) read as another encoding is named as
    such (with the ``encoding:`` to set) instead of failing later on its NUL bytes; any other NUL
    byte is fatal on its line (a damaged file or not a text export): NUL is never part of a value.
    """
    enc = _encoding_name(spec.encoding)
    if not enc.startswith(("utf-16", "utf-32")) and (guess := _utf16_guess(data)) is not None:
        has_bom = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        found = ("UTF-16 byte-order mark" if has_bom else
                 f"{data.count(0)} NUL bytes in {len(data)}")
        set_to = "utf-16" if has_bom else guess
        raise _Fatal(problems_frame(file, [1], "", found, "encoding",
                                    f"text in {spec.encoding} (the file is UTF-16"
                                    + ("" if has_bom else f" without byte-order mark: a NUL in every second byte, {guess[-2:].upper()} byte order")
                                    + f": set encoding: {set_to})", "fatal"))
    if data.startswith(_BOM):
        if enc not in ("utf-8", "utf-8-sig"):
            raise _Fatal(problems_frame(file, [1], "", "UTF-8 byte-order mark", "encoding",
                                        f"a file in {spec.encoding} (the file starts with a UTF-8 "
                                        "byte-order mark: set encoding: utf-8)", "fatal"))
        data = data[len(_BOM):]
        enc = "utf-8"
    try:
        text = data.decode(enc if enc != "utf-8-sig" else "utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.end]
        hint = " (Windows exports are often cp1252: set encoding: cp1252)" if enc == "utf-8" else ""
        raise _Fatal(problems_frame(file, [line], "", f"byte {bad.hex(' ')}", "encoding",
                                    f"text in {spec.encoding}{hint}", "fatal")) from None
    out = data if enc in ("utf-8", "utf-8-sig") else text.encode("utf-8")
    if b"\x00" in out:
        lines = _nul_lines(out)
        raise _Fatal(problems_frame(file, lines, "", "NUL byte (00)", "nul_byte",
                                    "text without NUL bytes (the file is damaged or not a text export; "
                                    "export it again as CSV)", "fatal"))
    return out


def _detect_sep(header: str, spec: FileSpec, file: str) -> str:
    candidates = {s: header.count(s) for s in (";", ",")}
    if spec.sep is not None:
        if header.count(spec.sep) == 0:
            others = [s for s, n in candidates.items() if n and s != spec.sep]
            if others:
                raise _Fatal(problems_frame(file, [1], "", header[:40], "wrong_separator",
                                            f"fields separated by {spec.sep!r} (the header uses {others[0]!r}: "
                                            "check sep: in the params)", "fatal"))
        return spec.sep
    found = [s for s, n in candidates.items() if n]
    if len(found) == 1:
        return found[0]
    raise _Fatal(problems_frame(file, [1], "", header[:40], "separator_unknown",
                                "a header separated by ';' or ',' (found "
                                + ("both" if found else "neither") + "; set sep: in the params)", "fatal"))


def _field_counts_plain(buf: np.ndarray, sep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per physical line: field count, blank flag, line number.  Vectorised over the bytes.

    A running count of separators (``cumsum``, per 16 MiB chunk with a carry) read off at each
    newline gives the separators per line: O(bytes), no per-line Python.
    """
    nls, at_nl = [], []
    carry = 0
    for i in range(0, len(buf), _CHUNK):
        sub = buf[i:i + _CHUNK]
        cs = np.cumsum(sub == sep, dtype=np.int32)
        nl_local = np.flatnonzero(sub == 10)
        nls.append(nl_local + i)
        at_nl.append(cs[nl_local].astype(np.int64) + carry)
        carry += int(cs[-1]) if len(cs) else 0
    nl = np.concatenate(nls) if nls else np.array([], dtype=np.int64)
    cum = np.concatenate([*at_nl, [carry]]) if at_nl else np.array([carry], dtype=np.int64)
    n_rec = len(nl) + 1
    counts = np.diff(cum, prepend=0) + 1
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [len(buf)]])
    length = ends - starts
    has_cr = (length > 0) & (buf[np.maximum(ends - 1, 0)] == 13) if len(buf) else np.zeros(n_rec, bool)
    length = length - has_cr
    blank = length == 0
    lines = np.arange(1, n_rec + 1)
    if len(buf) and buf[-1] == 10:  # the empty "line" after the final newline is not a line
        counts, blank, lines = counts[:-1], blank[:-1], lines[:-1]
    return counts, blank, lines


def _read_csv_rows_quoted(text: str, sep: str, file: str) -> tuple[list[list[str]], np.ndarray]:
    """Strict C csv parse (quotes may hold separators/newlines); records and their start lines.

    Lines are physical lines ended by ``\\n`` (as in the unquoted path); a carriage return alone
    (not before ``\\n``) is kept in its value, which :func:`_line_break_problems` then rejects
    (the C parser would end the record there, or stop).
    """
    lone = _LONE_CR.search(text) is not None
    standin = ""
    if lone:  # a private-use character the file does not hold stands in for each lone \r
        standin = next(c for c in map(chr, range(0xE000, 0xF900)) if c not in text)
        text = _LONE_CR.sub(standin, text)
    reader = csv.reader(_stdio.StringIO(text, newline="\n"), delimiter=sep, quotechar='"', strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    prev = 0
    try:
        for rec in reader:
            rows.append([v.replace(standin, "\r") for v in rec] if lone else rec)
            starts.append(prev + 1)
            prev = reader.line_num
    except csv.Error as exc:
        raise _Fatal(problems_frame(file, [prev + 1], "", str(exc)[:40], "quote",
                                    'fields quoted as "..." with the closing quote on the same record '
                                    '(an embedded quote written as "")', "fatal")) from None
    return rows, np.asarray(starts, dtype=np.int64)


def _split_plain(data: bytes, sep: str, keep: np.ndarray, n: int) -> pd.DataFrame:
    """Unquoted data rows split in Python, for the rare file with a carriage return inside a
    field (pyarrow ends a record at any ``\\r``); ``keep`` marks the non-blank data lines."""
    phys = data.decode("utf-8").split("\n")
    if data.endswith(b"\n"):
        phys.pop()
    body = (ln[:-1] if ln.endswith("\r") else ln for ln, k in zip(phys[1:], keep, strict=True) if k)
    return pd.DataFrame([ln.split(sep) for ln in body], columns=range(n), dtype="str")


def _line_break_problems(raw: pd.DataFrame, header: list[str], lines: np.ndarray, file: str) -> list[pd.DataFrame]:
    """A carriage return alone inside a value (not a line end): an ``error`` on its row and column.

    Values with a line break typed into a cell (or a file mixing old Mac line ends with others)
    leave them; no canonical value (id, code, date, number) holds one, quoted or not.  The value
    is shown escaped (``7\\r1``).
    """
    out = []
    for i, name in enumerate(header):
        col = raw.iloc[:, i]
        hit = col.str.contains(_LONE_CR.pattern, regex=True).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            shown = col[hit].str.replace("\r", "\\r", regex=False).to_numpy()
            out.append(problems_frame(file, lines[hit], name, shown, "line_break_in_field",
                                      "a value without a line break (a carriage return \\r inside the field: "
                                      "remove it, or quote the field in the export)", "error"))
    return out


def _check_header(names: list[str], file: str) -> list[str]:
    stripped = [n.strip() for n in names]
    probs = []
    empty = [i for i, n in enumerate(stripped) if not n]
    if empty:
        probs.append(problems_frame(file, [1] * len(empty), [f"field {i + 1}" for i in empty], "",
                                    "empty_header", "a column name for every field", "fatal"))
    s = pd.Series(stripped)
    dup = s[(s != "") & s.duplicated(keep=False)]
    if len(dup):
        probs.append(problems_frame(file, [1] * len(dup), dup.to_numpy(), [f"field {i + 1}" for i in dup.index],
                                    "duplicate_header", "unique column names", "fatal"))
    if probs:
        raise _Fatal(concat_problems(probs))
    return stripped


def _arrow_csv(data: bytes, names: list[str], sep: str, *, ignore_empty_lines: bool, convert: Any) -> Any:
    """Arrow's CSV reader on an unquoted export (one record per line, the header skipped and
    its columns named ``names``): the text split of :func:`_raw_csv` and the typed read of
    :func:`_typed_numbers` share it, with their own ``convert`` options."""
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        _stdio.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False, double_quote=False,
                                         escape_char=False, newlines_in_values=False,
                                         ignore_empty_lines=ignore_empty_lines),
        convert_options=convert,
    )


def _raw_csv(path: Path, spec: FileSpec, file: str) -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame], dict]:
    """Stage 1 for CSV: raw text columns (header names as found) and source lines."""
    data = path.read_bytes()
    if not data.strip(b" \t\r\n" + _BOM):
        raise _Fatal(problems_frame(file, None, "", "", "empty_file",
                                    "a header line and at least one data row", "fatal"))
    data = _decode(data, spec, file)
    warnings: list[pd.DataFrame] = []
    if b"\r" in data and b"\n" not in data:
        # old Mac line endings (\r alone): read as line breaks in the parsed copy (the file is not touched)
        data = data.replace(b"\r", b"\n")
        warnings.append(problems_frame(file, None, "", "line endings \\r (old Mac)", "line_endings",
                                       "line endings \\n or \\r\\n (each \\r read as a line break)", "warning"))
    first_nl = data.find(b"\n")
    header_text = data[: first_nl if first_nl >= 0 else len(data)].decode("utf-8").rstrip("\r")
    sep = _detect_sep(header_text, spec, file)
    quoted = b'"' in data
    lone_cr = b"\r" in data and _LONE_CR_BYTES.search(data) is not None
    if quoted:
        rows, starts = _read_csv_rows_quoted(data.decode("utf-8"), sep, file)
        header = _check_header(rows[0], file)
        body, lines = rows[1:], starts[1:]
        counts = np.fromiter((len(r) for r in body), dtype=np.int64, count=len(body))
        blank = counts == 0
    else:
        header = _check_header(header_text.split(sep), file)
        buf = np.frombuffer(data, dtype=np.uint8)
        counts, blank, lines = _field_counts_plain(buf, ord(sep))
        counts, blank, lines = counts[1:], blank[1:], lines[1:]
    n = len(header)
    ragged = ~blank & (counts != n)
    if blank.any():
        warnings.append(problems_frame(file, lines[blank], "", "", "blank_line",
                                       "a data row (blank line skipped)", "warning"))
    n_rows = int((~blank).sum())
    if ragged.any():
        c = counts[ragged]
        mixed = " line endings mixed with carriage returns (\\r) alone?" if lone_cr else ""
        raise _Fatal(problems_frame(file, lines[ragged], "", [f"{k} fields" for k in c], "ragged_row",
                                    f"{n} fields like the header (truncated or split line? "
                                    f"a decimal comma in a ','-separated file?{mixed})", "fatal"), rows_read=n_rows)
    if n_rows == 0:
        raise _Fatal(problems_frame(file, None, "", "header only", "no_rows",
                                    "at least one data row", "fatal"))
    lines = lines[~blank]
    if quoted:
        raw = pd.DataFrame([r for r in body if r], columns=range(n), dtype="str")
    elif lone_cr:
        raw = _split_plain(data, sep, ~blank, n)
    else:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [f"f{i}" for i in range(n)]
        tbl = _arrow_csv(data, names, sep, ignore_empty_lines=True, convert=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False))
        raw = pd.DataFrame({i: tbl.column(i).to_pandas() for i in range(n)})
        del tbl
    if len(raw) != len(lines):  # pragma: no cover - guards the two parsers against each other
        raise _Fatal(problems_frame(file, None, "", f"{len(raw)} rows parsed", "structure",
                                    f"{len(lines)} rows as counted (stray carriage return?)", "fatal"),
                     rows_read=len(lines))
    if lone_cr:
        warnings.extend(_line_break_problems(raw, header, lines, file))
    raw.columns = header
    return raw, lines, warnings, {"sep": sep, "quoted": quoted}


#: byte strings in a worksheet's XML that may mean a formula (``<f>``, also namespaced), a merged
#: range or a hidden row or column (ECMA-376 Part 1, 18.3.1); a false hit (``<formula>`` of a
#: conditional format) only costs the full load of :func:`_xlsx_layout`
_XLSX_MARKS = (b"<f", b":f>", b":f ", b"mergeCell", b"hidden=")
#: Excel's error values as openpyxl reads them (``t="e"`` cells)
_XLSX_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!"})


def _xlsx_open(path: Path, file: str, *, read_only: bool) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=read_only, data_only=read_only)
    except Exception as exc:  # noqa: BLE001 - any reader failure is reported as unreadable
        raise _Fatal(problems_frame(file, None, "", type(exc).__name__, "unreadable_file",
                                    "an Excel .xlsx workbook", "fatal")) from None


def _xlsx_sheet(wb: Any, spec: FileSpec, file: str) -> Any:
    """The sheet named (or numbered, 0-based) in the params.

    A sheet chosen by number that is hidden in Excel (a workbook whose first sheet is a hidden
    list of codes) is refused: the user sees other sheets and means one of them; a hidden sheet
    named explicitly is read.
    """
    names = list(wb.sheetnames)
    if isinstance(spec.sheet, int):
        if not 0 <= spec.sheet < len(names):
            raise _Fatal(problems_frame(file, None, "", spec.sheet, "sheet",
                                        f"a sheet index from 0 to {len(names) - 1} (the sheets are {names})", "fatal"))
        ws = wb[names[spec.sheet]]
        if ws.sheet_state != "visible":
            shown = [w.title for w in wb.worksheets if w.sheet_state == "visible"]
            raise _Fatal(problems_frame(file, None, "", f"{spec.sheet} ({ws.title!r}, hidden in Excel)", "sheet",
                                        f"a visible sheet: name the data sheet under sheet: (visible sheets: {shown})",
                                        "fatal"))
        return ws
    if spec.sheet not in names:
        near = [n for n in names if n.strip().casefold() == spec.sheet.strip().casefold()]
        hint = f" (did you mean {near[0]!r}? sheet names are matched exactly)" if near else ""
        raise _Fatal(problems_frame(file, None, "", spec.sheet, "sheet", f"one of the sheets {names}{hint}", "fatal"))
    return wb[spec.sheet]


def _xlsx_has_marks(path: Path) -> bool:
    """Whether any worksheet may hold a formula, a merged range or a hidden row or column.

    Scans the worksheets' XML in the zip in 16 MiB chunks (with an overlap so that no marker is
    cut), so the common export without any of them keeps the fast streaming read.
    """
    import zipfile

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with z.open(name) as fh:
                tail = b""
                while chunk := fh.read(_CHUNK):
                    buf = tail + chunk
                    if any(m in buf for m in _XLSX_MARKS):
                        return True
                    tail = chunk[-16:]
    return False


def _col_name(head: list[Any], col: int) -> str:
    """The header name of 1-based column ``col`` (its letter when the header cell is empty)."""
    from openpyxl.utils import get_column_letter

    v = head[col - 1] if col - 1 < len(head) else None
    return get_column_letter(col) if v is None or not str(v).strip() else str(v).strip()


def _xlsx_layout(path: Path, spec: FileSpec, file: str, rows: list[list[Any]]
                 ) -> tuple[list[pd.DataFrame], set[int]]:
    """Formulas, merged ranges and hidden rows/columns of the sheet, from a full openpyxl load.

    ``rows`` (the cached values, sheet row ``r`` at ``rows[r - 1]``) is changed in place: a merged
    range within one column below the header is filled with its first cell's value, as an Excel
    user reads it (an ``info`` note per range, rule ``merged_cells``); a merged range across
    columns is refused (an ``error`` per row: which column would the value belong to?); merged
    header cells are fatal.  A formula cell without a cached value (as written by openpyxl and
    other scripts, which do not compute formulas) is an ``error`` per cell,
    ``formula_without_value``.  Hidden rows and columns are read like any other, with a
    ``warning`` (``hidden_row``, ``hidden_column``).  Returns the problems and the sheet rows
    that hold a formula (not blank even when their cached values are all empty).

    Size: one pass over merged ranges, formula cells and hidden rows; each a short branch.
    """
    from openpyxl.utils import get_column_letter

    wb = _xlsx_open(path, file, read_only=False)
    try:
        ws = _xlsx_sheet(wb, spec, file)
        merged = [(r.coord, r.min_row, r.max_row, r.min_col, r.max_col) for r in ws.merged_cells.ranges]
        formulas = [(c.row, c.column, c.value) for row in ws.iter_rows() for c in row if c.data_type == "f"]
        hidden_rows = sorted(r for r, d in ws.row_dimensions.items() if d.hidden)
        hidden_cols = sorted({i for d in ws.column_dimensions.values() if d.hidden
                              for i in range(d.min or 1, (d.max or d.min or 1) + 1)})
    finally:
        wb.close()
    head = rows[0] if rows else []
    probs: list[pd.DataFrame] = []
    header_merges = [m for m in merged if m[1] == 1]
    if header_merges:
        raise _Fatal(problems_frame(file, [1] * len(header_merges), [_col_name(head, m[3]) for m in header_merges],
                                    [m[0] for m in header_merges], "merged_header",
                                    "one column name per cell in row 1 (unmerge the header cells in Excel; "
                                    "the header must be a single row)", "fatal"))
    width = max([len(r) for r in rows] + [m[4] for m in merged])
    fill: list[tuple[int, str, Any, str]] = []
    split: list[tuple[int, str, str]] = []
    for ref, r0, r1, c0, c1 in sorted(merged, key=lambda m: (m[1], m[3])):
        while len(rows) < r1:
            rows.append([])
        for r in range(r0 - 1, r1):
            if len(rows[r]) < width:
                rows[r] = list(rows[r]) + [None] * (width - len(rows[r]))
        if c0 == c1:
            value = rows[r0 - 1][c0 - 1]
            for r in range(r0, r1):  # a row empty apart from the merge stays a blank row
                if any(v is not None for k, v in enumerate(rows[r]) if k != c0 - 1):
                    rows[r][c0 - 1] = value
            fill.append((r0, _col_name(head, c0), "" if value is None else value,
                         f"one value per cell: the merged cells {ref} are read as {get_column_letter(c0)}{r0}'s "
                         f"value on each of rows {r0}-{r1} that holds data (unmerge them in Excel if that is not meant)"))
        else:
            split.extend((r, _col_name(head, c0), ref) for r in range(r0, r1 + 1))
    if fill:
        probs.append(problems_frame(file, [f[0] for f in fill], [f[1] for f in fill], [f[2] for f in fill],
                                    "merged_cells", [f[3] for f in fill], "info"))
    if split:
        probs.append(problems_frame(
            file, [x[0] for x in split], [x[1] for x in split], [x[2] for x in split], "merged_cells",
            [f"one value per cell: the cells {x[2]} are merged across columns, so the value cannot be placed in "
             "one column (unmerge them in Excel and fill in each cell)" for x in split], "error"))
    across = {x[0] for x in split}
    missing = [(r, c, f) for r, c, f in formulas
               if r > 1 and (r > len(rows) or c > len(rows[r - 1]) or rows[r - 1][c - 1] is None)]
    if missing:
        probs.append(problems_frame(
            file, [r for r, _, _ in missing], [_col_name(head, c) for _, c, _ in missing],
            [str(f)[:40] for _, _, f in missing], "formula_without_value",
            [f"a value: cell {get_column_letter(c)}{r} holds a formula without a computed value (a file written "
             "by a script?); open and save the file in Excel so the values are computed, or export values"
             for r, c, _ in missing], "error"))
    body_hidden = [r for r in hidden_rows if 1 < r <= len(rows)]
    if body_hidden:
        probs.append(problems_frame(
            file, body_hidden, "", "hidden row", "hidden_row",
            "a visible row: rows hidden or filtered out in Excel are read like any other "
            "(delete them from the export if they should not be used)", "warning"))
    if hidden_cols:
        probs.append(problems_frame(
            file, None, [_col_name(head, c) for c in hidden_cols], "hidden column", "hidden_column",
            "a visible column: hidden columns are read like any other", "warning"))
    return probs, {r for r, _, _ in missing} | across


def _xlsx_error_cells(rows: list[list[Any]], width: int, head: list[Any], file: str
                      ) -> tuple[list[pd.DataFrame], set[int]]:
    """Cells holding an Excel error (``#N/A``, ``#DIV/0!``, ...): an ``error`` each, read as empty."""
    hits = [(i + 1, j + 1, v) for i, r in enumerate(rows) if i > 0
            for j, v in enumerate(r[:width]) if isinstance(v, str) and v in _XLSX_ERRORS]
    for r, c, _ in hits:
        rows[r - 1][c - 1] = None
    if not hits:
        return [], set()
    return [problems_frame(file, [r for r, _, _ in hits], [_col_name(head, c) for _, c, _ in hits],
                           [v for _, _, v in hits], "excel_error",
                           "a value, not an Excel error (fix the formula in Excel or export values)", "error")], \
        {r for r, _, _ in hits}


def _xlsx_second_header(body: list[list[Any]], file: str) -> list[pd.DataFrame]:
    """A ``warning`` on row 2 when it reads like a second header row (labels or units under the
    names): row 2 holds only text, and in every column where the next rows (up to five) hold
    only numbers or dates, row 2 holds text.  Its cells then fail their types and the row is
    excluded; this says why."""
    if len(body) < 2 or any(v is not None and not isinstance(v, str) for v in body[0]):
        return []
    nxt = body[1:6]
    typed = [j for j in range(len(body[0]))
             if all(r[j] is not None and not isinstance(r[j], (str, bool)) for r in nxt)]
    if not typed or not all(isinstance(body[0][j], str) and body[0][j].strip() for j in typed):
        return []
    return [problems_frame(file, [2], "", f"{len(typed)} text cells above numbers or dates", "second_header_row",
                           "data in row 2 (it reads like a second header row of labels or units: delete it; "
                           "the column names must be in row 1 only)", "warning")]


def _raw_xlsx(path: Path, spec: FileSpec, file: str) -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame], dict]:
    """Stage 1 for Excel: the sheet's cached values (header in row 1), lines = sheet rows.

    The streaming read-only mode of openpyxl is used with its size taken from the cells, not
    the file's ``dimension`` record (some writers leave it wrong, and openpyxl would silently
    stop there; openpyxl docs, "Read-only mode": ``reset_dimensions``).  Formulas, merged cells
    and hidden rows need a second, full load (:func:`_xlsx_layout`), done only when the XML
    holds any.
    """
    wb = _xlsx_open(path, file, read_only=True)
    try:
        ws = _xlsx_sheet(wb, spec, file)
        title = ws.title
        ws.reset_dimensions()
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    warnings: list[pd.DataFrame] = []
    kept: set[int] = set()
    if rows and _xlsx_has_marks(path):
        warnings, kept = _xlsx_layout(path, spec, file, rows)
    if not rows or all(v is None for v in rows[0]):
        first = next((i + 1 for i, r in enumerate(rows) if any(v is not None for v in r)), None)
        if first is not None:
            raise _Fatal(problems_frame(file, [1], "", "empty row", "header_row",
                                        f"the column names in row 1 (the first non-empty row is {first}: "
                                        "delete the rows above the header)", "fatal"))
        raise _Fatal(problems_frame(file, None, "", "", "empty_file",
                                    "a header row and at least one data row", "fatal"))
    head = rows[0]
    width = max(i + 1 for i, v in enumerate(head) if v is not None)
    body = rows[1:]
    for i, r in enumerate(body):
        if len(r) > width and any(v is not None for v in r[width:]):
            n_names = sum(v is not None for v in head)
            hint = (" (a title row above the header? the column names must be in row 1)"
                    if n_names <= 2 and i < 5 else "")
            raise _Fatal(problems_frame(file, [i + 2], "", f"{len(r)} cells", "ragged_row",
                                        f"no values right of the header's {width} columns{hint}", "fatal"))
    header = _check_header(["" if v is None else str(v) for v in head[:width]], file)
    body = [(r + [None] * width)[:width] for r in body]
    err, bad = _xlsx_error_cells([head, *body], width, head, file)
    warnings += err + _xlsx_second_header(body, file)
    kept |= bad
    lines = np.arange(2, len(body) + 2)
    blank = np.array([all(v is None or (isinstance(v, str) and not v.strip()) for v in r) for r in body], dtype=bool)
    blank &= ~np.isin(lines, list(kept))
    if blank.any():
        warnings.append(problems_frame(file, lines[blank], "", "", "blank_line",
                                       "a data row (blank row skipped)", "warning"))
    if (~blank).sum() == 0:
        raise _Fatal(problems_frame(file, None, "", "header only", "no_rows", "at least one data row", "fatal"))
    raw = pd.DataFrame([r for r, b in zip(body, blank, strict=True) if not b], columns=header, dtype=object)
    lines = lines[~blank]
    for col in sorted(_date_columns(spec) & set(raw.columns)):
        raw[col], far = _out_of_range_dates(raw[col], lines, col, file)
        warnings += far + _xlsx_date_numbers(raw[col], col, file)
    return raw, lines, warnings, {"sheet": title}


def _xlsx_date_numbers(s: pd.Series, col: str, file: str) -> list[pd.DataFrame]:
    """A ``warning`` per date column whose cells hold plain numbers: Excel keeps dates as day
    numbers (45292 = 2024-01-01) and shows them as dates only when the cell is formatted as a
    date.  The cells themselves are ``date_format`` errors (no number is guessed to be a date);
    this says what they probably are.  No value is shown: a date identifies."""
    n = sum(1 for v in s.to_numpy(dtype=object)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v)
    if not n:
        return []
    return [problems_frame(file, None, col, "", "excel_date_number",
                           f"dates: {_cells(n)} a plain number (an Excel day number shown without a date format?): "
                           "format the column as a date in Excel before exporting", "warning")]


#: value labels that say "this code means missing" (Dutch and English, as SPSS users write them)
_MISSING_LABEL = re.compile(
    r"\b(onbekend|ontbreekt|ontbrekend|missing|unknown|niet\s+ingevuld|weet\s+(ik\s+)?niet|geen\s+antwoord"
    r"|n\.?\s?v\.?\s?t\.?|niet\s+van\s+toepassing|not\s+applicable|no\s+answer|don'?t\s+know|refused"
    r"|weigert|wil\s+niet\s+zeggen|sysmis)(?!\w)", re.IGNORECASE)
#: datetimes pandas holds in ``datetime64[ns]`` (about 1677-09-21 to 2262-04-11)
_NS_BOUNDS = (pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31 23:59:59"))
_OUT_OF_RANGE = ("a date between 1678 and 2261 (an open episode has an empty end date, "
                 "not a far-future placeholder such as 9999-12-31)")


def _cells(n: int) -> str:
    return "1 cell holds" if n == 1 else f"{n} cells hold"


def _code_text(v: Any) -> str:
    """A missing code as SPSS shows it: ``99`` (not ``99.0``), text as found."""
    return str(int(v)) if isinstance(v, (int, float, np.floating)) and float(v).is_integer() else str(v)


def _sav_declared(s: pd.Series, ranges: list[Mapping[str, Any]]) -> np.ndarray:
    """Cells of ``s`` inside the .sav's user-missing values (discrete values or ``lo``-``hi`` ranges)."""
    hit = np.zeros(len(s), dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        for r in ranges:
            lo, hi = r.get("lo"), r.get("hi")
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
                hit |= (v >= lo) & (v <= hi)
    elif pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        t = s.astype("str").str.strip()
        codes = {str(r.get("lo")).strip() for r in ranges} | {str(r.get("hi")).strip() for r in ranges}
        hit = t.isin(codes).to_numpy(dtype=bool)
    return hit


def _sav_missing(raw: pd.DataFrame, meta: Any, file: str) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Missing codes of an SPSS file read as missing, each column with a note.

    * Values declared user-missing in the .sav (SPSS Variable View, "Missing"; pyreadstat
      ``read_sav(user_missing=True)`` keeps them and lists them in ``meta.missing_ranges``)
      become missing, with an ``info`` note per column (``user_missing``: how many cells, which
      codes).  pyreadstat's default would set them to NaN without a word.
    * A numeric code not declared missing whose value label reads as missing (``99 =
      "onbekend"``, ``"niet ingevuld"``, ``"weet niet"``, ``"missing"``, ...:
      :data:`_MISSING_LABEL`) is not a count of 99 sessions or an item answer 99: it is read as
      missing too, with a ``warning`` per column and code (``missing_code_label``) asking to
      declare it, so a reader of the report sees what was decided.

    The file itself is never changed.  Source: pyreadstat documentation, "read_sav" and
    "Metadata" (``missing_ranges``, ``variable_value_labels``).
    """
    ranges = dict(getattr(meta, "missing_ranges", None) or {})
    labels = dict(getattr(meta, "variable_value_labels", None) or {})
    notes: list[pd.DataFrame] = []
    out = raw
    for col in raw.columns:
        s = out[col]
        hit = _sav_declared(s, ranges[col]) if ranges.get(col) else np.zeros(len(s), bool)
        if hit.any():
            found = pd.unique(s[hit].to_numpy())
            codes = ", ".join(_code_text(v) + (f" ({labels[col][v]!r})" if v in labels.get(col, {}) else "")
                              for v in sorted(found, key=str))
            notes.append(problems_frame(file, None, col, codes, "user_missing",
                                        f"a value: {_cells(int(hit.sum()))} user-missing codes declared in "
                                        "the .sav, read as missing", "info"))
        if pd.api.types.is_numeric_dtype(s.dtype):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            for code, label in labels.get(col, {}).items():
                if not (isinstance(code, (int, float)) and isinstance(label, str) and _MISSING_LABEL.search(label)):
                    continue
                m = (v == float(code)) & ~hit
                if m.any():
                    hit |= m
                    notes.append(problems_frame(
                        file, None, col, f"{_code_text(code)} = {label!r}", "missing_code_label",
                        f"a value: {_cells(int(m.sum()))} code {_code_text(code)}, labelled {label!r} in the "
                        "SPSS file but not declared missing; read as missing (declare it under Missing in SPSS's "
                        "Variable View)", "warning"))
        if hit.any():
            if out is raw:
                out = raw.copy()
            out[col] = s.mask(pd.Series(hit, index=s.index))
    return out, notes


def _out_of_range_dates(s: pd.Series, lines: np.ndarray, col: str, file: str
                        ) -> tuple[pd.Series, list[pd.DataFrame]]:
    """Dates pandas cannot hold in nanoseconds (``9999-12-31``, ``0001-01-01``): an ``error``
    each (``date_out_of_range``, the date shown as found), read as empty.

    Without this they crash the conversion or wrap around silently (``9999-12-31`` in a
    ``datetime64[us]`` column became ``1816-03-29``).  ``s`` holds Python dates (xlsx, sav
    ``DATE``) or ``datetime64`` of any unit (sav ``DATETIME``, Parquet); a ``datetime64``
    column comes back as ``datetime64[ns]``.
    """
    import datetime as _dt

    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        far = ((s < _NS_BOUNDS[0]) | (s > _NS_BOUNDS[1])).to_numpy(dtype=bool)
        shown = s[far].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        return s.mask(pd.Series(far, index=s.index)).astype("datetime64[ns]"), (
            [problems_frame(file, lines[far], col, shown, "date_out_of_range", _OUT_OF_RANGE, "error")]
            if far.any() else [])
    obj = s.to_numpy(dtype=object)
    far = np.fromiter((isinstance(v, _dt.date) and not isinstance(v, pd.Timestamp)
                       and not (_NS_BOUNDS[0].date() <= (v.date() if isinstance(v, _dt.datetime) else v)
                                <= _NS_BOUNDS[1].date()) for v in obj), bool, len(obj))
    if not far.any():
        return s, []
    shown = [v.isoformat()[:10] for v in obj[far]]
    return (s.mask(pd.Series(far, index=s.index)),
            [problems_frame(file, lines[far], col, shown, "date_out_of_range", _OUT_OF_RANGE, "error")])


def _date_columns(spec: FileSpec) -> set[str]:
    """Export column names that map to a canonical date column of any table."""
    dates = {c.name for t in TABLES.values() for c in t.columns if c.kind == "date"}
    return {h for h, m in spec.columns.items() if m in dates} | (dates - set(spec.columns.values()))


def _raw_sav(path: Path, spec: FileSpec, file: str) -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame], dict]:
    """Stage 1 for SPSS: values as stored (codes, not labels), user-missing codes read as missing
    with a note (:func:`_sav_missing`), dates outside pandas' range reported."""
    import pyreadstat

    try:
        raw, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except Exception as exc:  # noqa: BLE001
        raise _Fatal(problems_frame(file, None, "", type(exc).__name__, "unreadable_file",
                                    "an SPSS .sav file", "fatal")) from None
    _check_header(list(raw.columns), file)
    if len(raw) == 0:
        raise _Fatal(problems_frame(file, None, "", "header only", "no_rows", "at least one data row", "fatal"))
    lines = np.arange(2, len(raw) + 2)
    raw, notes = _sav_missing(raw, meta, file)
    dates = _date_columns(spec)
    for col in raw.columns:
        if (col in dates and raw[col].dtype == object) or pd.api.types.is_datetime64_any_dtype(raw[col]):
            raw[col], far = _out_of_range_dates(raw[col], lines, col, file)
            notes += far
    info = {"value_labels": dict(meta.variable_value_labels), "column_labels": dict(meta.column_names_to_labels),
            "missing_ranges": dict(meta.missing_ranges)}
    return raw, lines, notes, info


def _arrow_column(col: Any, name: str, file: str, lines: np.ndarray) -> tuple[pd.Series, list[pd.DataFrame]]:
    """One Parquet column as pandas, without the silent changes of a plain ``to_pandas``.

    * dictionary-encoded columns are decoded to their values;
    * ``decimal128``/``decimal256`` are numbers (``float64``; whole decimals beyond 2**53, e.g.
      ids from a database, as exact text), not ``Decimal`` objects that no parser accepts;
    * integers beyond 2**53 are exact text (``float64`` would change the last digits of an id);
    * timezone-aware timestamps keep the date and time in their own zone (``tz_localize(None)``
      after conversion, never a shift to UTC: 00:30 in Amsterdam in summer is 22:30 UTC the day
      before), with an ``info`` note naming the zone (``timezone``);
    * dates and timestamps outside pandas' nanosecond range (``9999-12-31``) are an ``error``
      each (``date_out_of_range``), not wrapped around.

    Source: Apache Arrow documentation, "Pandas Integration" (type mapping, ``date_as_object``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    probs: list[pd.DataFrame] = []
    exact = float(2 ** 53)
    if pa.types.is_decimal(t):
        f = col.cast(pa.float64(), safe=False)
        big = pc.max(pc.abs(f)).as_py()
        col = col.cast(pa.string()) if t.scale <= 0 and big is not None and big >= exact else f
    elif pa.types.is_integer(t) and col.null_count < len(col):
        mm = pc.min_max(col).as_py()
        if max(abs(mm["min"]), abs(mm["max"])) >= exact:
            col = col.cast(pa.string())
    if pa.types.is_boolean(t) and col.null_count:  # nullable flags: not one Python object per cell
        return col.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get), probs
    if not (pa.types.is_timestamp(t) or pa.types.is_date(t)):
        return col.to_pandas(), probs
    s = col.to_pandas(date_as_object=False, coerce_temporal_nanoseconds=False)
    if getattr(s.dt, "tz", None) is not None:
        probs.append(problems_frame(file, None, name, str(s.dt.tz), "timezone",
                                    f"dates without time zone; the date and time in {s.dt.tz} are used "
                                    "(not converted to UTC)", "info"))
        s = s.dt.tz_localize(None)
    s, far = _out_of_range_dates(s, lines, name, file)
    return s, probs + far


def _raw_parquet(path: Path, spec: FileSpec, file: str) -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame], dict]:
    """Stage 1 for Parquet: each column converted by :func:`_arrow_column`."""
    import pyarrow.parquet as pq

    try:
        tbl = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001
        raise _Fatal(problems_frame(file, None, "", type(exc).__name__, "unreadable_file",
                                    "a Parquet file", "fatal")) from None
    _check_header(list(tbl.column_names), file)
    if tbl.num_rows == 0:
        raise _Fatal(problems_frame(file, None, "", "header only", "no_rows", "at least one data row", "fatal"))
    lines = np.arange(2, tbl.num_rows + 2)
    cols, probs = {}, []
    for i, name in enumerate(tbl.column_names):
        cols[i], p = _arrow_column(tbl.column(i), name, file, lines)
        probs += p
    raw = pd.DataFrame(cols, copy=False)  # not stacked into blocks: typing takes it column by column
    raw.columns = list(tbl.column_names)
    return raw, lines, probs, {}


_READERS = {"csv": _raw_csv, "xlsx": _raw_xlsx, "sav": _raw_sav, "parquet": _raw_parquet}
_EXT = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".sav": "sav", ".zsav": "sav", ".parquet": "parquet",
        ".pq": "parquet"}


# ====================================================================== column names
def _invisible(c: str) -> bool:
    """True for a character that shows as nothing or as a plain space: format and control
    characters (zero-width space, byte-order mark, soft hyphen, direction marks), unassigned
    and private-use code points, and every space but the ordinary one (no-break space, ...)."""
    return not c.isprintable() or (c.isspace() and c != " ")


def _clean_header(raw: pd.DataFrame, file: str, known: frozenset[str] | None = None
                  ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Column names without invisible characters, each one named in a problem.

    A name such as ``'\\u200bclient_id'`` (a zero-width space pasted before it) looks like
    ``client_id`` but is another name.  Such characters are removed from the name used (spaces
    of other kinds, such as the no-break space, become ordinary ones; the ends are stripped) and
    reported per name: the name escaped as Python writes it, and each character with its Unicode
    name (``U+200B ZERO WIDTH SPACE``, from :func:`unicodedata.name`).  A byte-order mark at the start
    of the first name (a file saved twice with one) is an ``info``; any other is a ``warning``.
    When ``known`` (the canonical and mapped names) is given and no cleaned name is in it, the
    first line may hold a client's data instead of names: the names are then shown as ``field k``
    (as :func:`_map_columns` does), unless identifiers are shown.

    >>> df, p = _clean_header(pd.DataFrame(columns=["\\ufeffa", "b\\u200b", "c"]), "f.csv")
    >>> list(df.columns), pd.concat(p)[["column", "value", "severity"]].values.tolist()
    (['a', 'b', 'c'], [["'\\\\ufeffa'", 'U+FEFF ZERO WIDTH NO-BREAK SPACE', 'info'], ["'b\\\\u200b'", 'U+200B ZERO WIDTH SPACE', 'warning']])
    """
    import unicodedata

    names = [str(h) for h in raw.columns]
    cleaned, shown, found, severity, read_as = [], [], [], [], []
    for i, h in enumerate(names):
        bad = sorted({c for c in h if _invisible(c)})
        if not bad:
            cleaned.append(h)
            continue
        new = "".join(" " if unicodedata.category(c) == "Zs" else ("" if _invisible(c) else c) for c in h).strip()
        cleaned.append(new)
        read_as.append(new)
        shown.append(i)
        found.append("; ".join(f"U+{ord(c):04X} {unicodedata.name(c, _CONTROL_NAMES.get(c, 'control character'))}"
                               for c in bad))
        severity.append("info" if i == 0 and bad == ["\ufeff"] and h.lstrip("\ufeff") == new else "warning")
    if not shown:
        return raw, []
    out = raw.copy(deep=False)
    out.columns = cleaned
    hide = known is not None and not identifiers_are_shown() and not (set(cleaned) & known)
    probs = [problems_frame(file, [1], f"field {i + 1}" if hide else repr(names[i]), val, "invisible_character",
                            "a column name of visible characters only (removed"
                            + (")" if hide else f": read as {new!r})"), sev)
             for i, val, sev, new in zip(shown, found, severity, read_as, strict=True)]
    return out, probs


# ====================================================================== column mapping
def _map_columns(raw: pd.DataFrame, spec: FileSpec, tspec: TableSpec, file: str) -> tuple[pd.DataFrame, list[pd.DataFrame], dict]:
    pattern = re.compile(tspec.extra_pattern) if tspec.extra_pattern else None

    def canonical(name: str) -> bool:
        return name in tspec.names or bool(pattern and pattern.fullmatch(name))

    fatal, warn = [], []
    bad_targets = {k: v for k, v in spec.columns.items() if not canonical(v)}
    if bad_targets:
        fatal.append(problems_frame(file, None, list(bad_targets), list(bad_targets.values()), "column_map_target",
                                    f"a canonical {tspec.name} column ({', '.join(tspec.names)}"
                                    + (", item_<n>" if pattern else "") + ")", "fatal"))
    header = list(raw.columns)
    unused = [k for k in spec.columns if k not in header]
    if unused:
        warn.append(problems_frame(file, None, unused, "", "column_map_unused",
                                   "an export column named in columns: (not in this file)", "warning"))
    mapped = [spec.columns.get(h, h) for h in header]
    keep, unknown = [], []
    for h, m in zip(header, mapped, strict=True):
        (keep if canonical(m) else unknown).append((h, m))
    if unknown:
        names = [h for h, _ in unknown]
        expected = "a canonical column name or a mapping under columns: (column not read)"
        if not keep and not identifiers_are_shown():
            # no name is known: the first line may hold a client's data (an export without its
            # header line), so its cells are not quoted (Privacy & integrity VAL-5)
            names = [f"field {header.index(h) + 1}" for h in names]
            expected += ("; no column name of this file is known: if its first line holds data, the header "
                         "line is missing (names not shown; --show-identifiers shows them)")
        warn.append(problems_frame(file, [1] * len(unknown), names, "", "unknown_column", expected, "warning"))
    s = pd.Series([m for _, m in keep])
    dup = s[s.duplicated(keep=False)]
    if len(dup):
        fatal.append(problems_frame(file, [1] * len(dup), dup.to_numpy(),
                                    [keep[i][0] for i in dup.index], "duplicate_column",
                                    "each canonical column from one export column", "fatal"))
    missing = [c for c in tspec.required if c not in set(s)]
    if missing:
        fatal.append(problems_frame(file, [1] * len(missing), missing, "", "missing_column",
                                    "a required column (add it to the export or map it under columns:)",
                                    "fatal"))
    if fatal:
        raise _Fatal(concat_problems([*fatal, *warn]), rows_read=len(raw))
    out = raw[[h for h, _ in keep]]  # copy-on-write: no deep copy of the text columns
    out.columns = [m for _, m in keep]
    return out, warn, {"columns_map": {h: m for h, m in keep if h != m}, "unknown_columns": [h for h, _ in unknown]}


# ====================================================================== stage 2: types
def _date_regex(fmt: str) -> str:
    """The shape a date written with ``fmt`` must have (ASCII digits only).

    ``%Y`` is four digits, ``%y``, ``%M`` and ``%S`` two.  ``%d``, ``%m`` and ``%H`` take one or
    two digits where a separator follows or precedes them (``3-4-2024`` as Excel writes it, not
    ambiguous), but exactly two where they touch another number (``%Y%m%d``): there ``2021111``
    could be 1 November or 11 January, and ``strptime`` would silently take the first.

    >>> import re
    >>> [bool(re.fullmatch(_date_regex("%Y%m%d"), v)) for v in ("20211101", "2021111", "202111011")]
    [True, False, False]
    >>> [bool(re.fullmatch(_date_regex("%d-%m-%Y"), v)) for v in ("3-4-2024", "03-04-2024", "003-04-2024")]
    [True, True, False]
    """
    parts = {"%d": "[0-9]{1,2}", "%m": "[0-9]{1,2}", "%Y": "[0-9]{4}", "%y": "[0-9]{2}", "%H": "[0-9]{1,2}",
             "%M": "[0-9]{2}", "%S": "[0-9]{2}", "%%": "%"}
    toks, i = [], 0
    while i < len(fmt):
        tok = fmt[i:i + 2]
        if tok in parts:
            toks.append(tok)
            i += 2
        elif fmt[i] == "%":
            raise ArgumentError("date_format", fmt, "a format using %d %m %Y %y %H %M %S")
        else:
            toks.append(fmt[i])
            i += 1
    numeric = [t in parts and t != "%%" for t in toks]
    out = []
    for k, tok in enumerate(toks):
        touching = (k > 0 and numeric[k - 1]) or (k + 1 < len(toks) and numeric[k + 1])
        if tok in ("%d", "%m", "%H") and touching:
            out.append("[0-9]{2}")
        else:
            out.append(parts[tok] if tok in parts else re.escape(tok))
    return "".join(out)


def _example(fmt: str) -> str:
    return pd.Timestamp("2024-01-31 13:45:00").strftime(fmt)


def _classify(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Split a raw column into text (NA where not text), a numeric part, and a missing mask."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # parquet/pandas categoricals: their values, typed
        cats = s.cat.categories
        s = s.astype("str" if pd.api.types.is_string_dtype(cats.dtype) or cats.dtype == object else cats.dtype)
    if pd.api.types.is_bool_dtype(s.dtype):
        num = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(pd.NA, index=s.index, dtype="str"), num, s.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = s.to_numpy(dtype=float, na_value=np.nan)
        return pd.Series(np.nan, index=s.index, dtype="str"), num, np.isnan(num)
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        t = s.str.strip()
        miss = (t.isna() | (t == "")).to_numpy()
        return t.where(~miss), np.full(len(s), np.nan), miss
    # object: Excel cells (str, int, float, datetime, bool, None) or categorical values
    obj = s.to_numpy(dtype=object, na_value=None)
    is_str = np.fromiter((isinstance(v, str) for v in obj), bool, len(obj))
    is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in obj), bool, len(obj))
    is_num = np.fromiter((isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                          and not (isinstance(v, (float, np.floating)) and np.isnan(v)) for v in obj), bool, len(obj))
    text = pd.Series(np.where(is_str, obj, None), index=s.index, dtype="str").str.strip()
    text = text.where(text != "")
    num = np.full(len(obj), np.nan)
    if is_num.any():
        num[is_num] = obj[is_num].astype(float)
    if is_bool.any():
        num[is_bool] = obj[is_bool].astype(float)
    miss = text.isna().to_numpy() & ~is_num & ~is_bool & np.fromiter(
        (v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)) or (isinstance(v, str) and not v.strip())
         for v in obj), bool, len(obj))
    return text, num, miss


def _text_to_float(t: pd.Series, decimal: str) -> np.ndarray:
    """Text -> float64 (NaN where it does not parse).  Arrow's cast is ~10x faster than
    ``pd.to_numeric`` on Arrow strings; it is all-or-nothing, so a column with any bad value
    goes through ``pd.to_numeric(errors="coerce")`` to find which (those count as problems)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(t.array) if isinstance(t.dtype, pd.StringDtype) else pa.array(t.to_numpy(dtype=object))
        if decimal != ".":
            arr = pc.replace_substring(arr, decimal, ".")
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False).astype(float, copy=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.to_numeric(t.str.replace(decimal, ".", regex=False), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan, copy=True)


def _parse_number(s: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float values, bad mask, missing mask."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        # a typed column (Parquet, .sav, Excel): _classify's all-missing text is not built
        num = s.to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(num)
        return num, ~miss & ~np.isfinite(num), miss
    text, num, miss = _classify(s)
    has_text = text.notna().to_numpy()
    if has_text.any():
        t = text[has_text]
        wrong = "." if decimal == "," else ","
        bad_sep = t.str.contains(wrong, regex=False).to_numpy(dtype=bool)
        v = _text_to_float(t, decimal)
        v[bad_sep] = np.nan
        num = num.copy()
        num[has_text] = v
    bad = ~miss & ~np.isfinite(num)
    return num, bad, miss


def _parse_date(s: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        v = s.to_numpy(dtype="datetime64[ns]")
        return v, np.zeros(len(s), bool), np.isnat(v)
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        miss = s.isna().to_numpy()
        return np.full(len(s), np.datetime64("NaT"), "datetime64[ns]"), ~miss, miss
    if s.dtype == object:
        obj = s.to_numpy(dtype=object)
        is_dt = np.fromiter((isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year") and not isinstance(v, str)
                             for v in obj), bool, len(obj))
        text, num, miss = _classify(s)
        out = np.full(len(s), np.datetime64("NaT"), "datetime64[ns]")
        if is_dt.any():
            out[is_dt] = pd.to_datetime(pd.Series(obj[is_dt])).to_numpy(dtype="datetime64[ns]")
        miss = miss & ~is_dt
        tv, tbad, _ = _parse_date(text.astype("str"), fmt)
        has_text = text.notna().to_numpy()
        out[has_text] = tv[has_text]
        bad = (~miss & ~is_dt & ~has_text) | (has_text & tbad)
        return out, bad, miss
    t = s.str.strip()
    miss = (t.isna() | (t == "")).to_numpy()
    shape = t.str.fullmatch(_date_regex(fmt)).fillna(False).to_numpy(dtype=bool)
    v = pd.to_datetime(t.where(shape), format=fmt, errors="coerce").to_numpy(dtype="datetime64[ns]")
    bad = ~miss & np.isnat(v)
    return v, bad, miss


def _parse_bool(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text, num, miss = _classify(s)
    out = np.zeros(len(s), dtype=bool)
    bad = np.zeros(len(s), dtype=bool)
    has_text = text.notna().to_numpy()
    if has_text.any():  # each distinct spelling looked up once (no Python call per row)
        codes, spelled = pd.factorize(text[has_text].str.lower())
        known = np.array([BOOL_TOKENS.get(u) for u in spelled] + [None], dtype=object)[codes]
        ok = known != None  # noqa: E711 - elementwise on an object array
        out[np.flatnonzero(has_text)[ok]] = known[ok].astype(bool)
        bad[np.flatnonzero(has_text)[~ok]] = True
    is_num = ~np.isnan(num)
    out[is_num & (num == 1)] = True
    bad |= is_num & ~np.isin(num, [0.0, 1.0])
    return out, bad, miss


def _flag(name: str, v: np.ndarray, miss: np.ndarray, file: str, lines: np.ndarray) -> tuple[Any, list[pd.DataFrame]]:
    """A flag column from its values ``v`` (``False`` where missing) and the missing cells: a
    consent flag keeps "not recorded" (``<NA>``) apart from "refused" (``False``), both meaning no
    consent (:data:`NOT_RECORDED_FLAGS`); another flag reads missing as ``False``.  Each missing
    cell is an ``info`` note."""
    consent = name in NOT_RECORDED_FLAGS
    values = pd.arrays.BooleanArray(v, miss) if consent else v
    if not miss.any():
        return values, []
    rule, expected = (("flag_not_recorded", "a flag; empty is kept as not recorded (<NA>, no consent)") if consent
                      else ("missing_flag_as_false", "a flag; empty is read as false (not done)"))
    return values, [problems_frame(file, lines[miss], name, "", rule, expected, "info")]


def _arrow_flag(col: Any) -> tuple[np.ndarray, np.ndarray]:
    """A Parquet ``bool`` column as :func:`_parse_bool` reads it: the values (``False`` where
    missing) and the missing cells, without a pandas column in between."""
    miss = col.is_null().to_numpy(zero_copy_only=False)
    return col.fill_null(False).to_numpy(zero_copy_only=False).astype(bool, copy=False), miss


def _parse_str(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    text, num, miss = _classify(s)
    is_num = ~np.isnan(num)
    if is_num.any():  # numeric ids (SPSS): whole numbers without ".0"
        n = num[is_num]
        shown = np.where(n == np.round(n), pd.Series(n).round().astype("int64").astype("str").to_numpy(),
                         pd.Series(n).astype("str").to_numpy())
        text = text.copy()
        text[is_num] = shown
    return text.astype("str"), np.zeros(len(s), bool), miss


def _type_column(name: str, s: pd.Series, shown: pd.Series, col: Column, spec: FileSpec, file: str,
                 lines: np.ndarray, labels: Mapping[str, Mapping[Any, str]]) -> tuple[Any, list[pd.DataFrame]]:
    """Stage 2 for one raw column ``s`` (RangeIndex): its typed values and problems.

    ``shown`` holds the raw values as found (shown in the problems); ``col`` is the canonical
    column (an unknown ``item_<n>`` is a ``float``).

    Size: one branch per column kind, each with its problems, kept together as the reference
    rules the typed Arrow read (:func:`_typed_csv`) must match.
    """
    probs: list[pd.DataFrame] = []
    kind = col.kind
    if kind in ("str", "category") and name in labels and pd.api.types.is_numeric_dtype(s.dtype):
        lab = {float(k): v for k, v in labels[name].items()}
        mapped = s.map(lab)
        unlabelled = s.notna() & mapped.isna()
        if unlabelled.any():
            probs.append(problems_frame(file, lines[unlabelled.to_numpy()], name, s[unlabelled].to_numpy(),
                                        "value_label", f"a labelled code {sorted(lab)}", "error"))
        s = mapped.astype("str")
    if kind in ("int", "float"):
        v, bad, miss = _parse_number(s, spec.decimal)
        exp = ("a number" + (" with decimal comma" if spec.decimal == "," else " with decimal point"))
        # too large: infinite as a float (1e400) or, for whole numbers, beyond 15 digits (float64
        # holds every whole number exactly only up to 2**53; int64 overflows at 9.2e18)
        huge = ~miss & (np.isinf(v) | ((np.abs(v) >= _MAX_WHOLE) if kind == "int" else False))
        if huge.any():
            probs.append(problems_frame(file, lines[huge], name, shown.to_numpy()[huge], "out_of_range",
                                        f"a whole number of at most {len(str(_MAX_WHOLE)) - 1} digits"
                                        if kind == "int" else "a finite number", "error"))
            bad = bad & ~huge
        v = np.where(bad | huge, np.nan, v)
        if kind == "int":
            frac = ~bad & ~miss & ~huge & (v != np.round(v))
            if frac.any():
                probs.append(problems_frame(file, lines[frac], name, shown.to_numpy()[frac],
                                            "not_whole", "a whole number", "error"))
                v = np.where(frac, np.nan, v)
            v = pd.Series(np.round(v)).astype("Int64")
            exp = "a whole number"
        if bad.any():
            probs.append(problems_frame(file, lines[bad], name, shown.to_numpy()[bad], "not_a_number",
                                        exp, "error"))
    elif kind == "date":
        v, bad, miss = _parse_date(s, spec.date_format)
        if bad.any():
            probs.append(problems_frame(file, lines[bad], name, shown.to_numpy()[bad], "date_format",
                                        f"a date in format {spec.date_format} (e.g. {_example(spec.date_format)})",
                                        "error"))
    elif kind == "bool":
        v, bad, miss = _parse_bool(s)
        if bad.any():
            probs.append(problems_frame(file, lines[bad], name, shown.to_numpy()[bad], "not_a_flag",
                                        "1/0, true/false, ja/nee or yes/no", "error"))
        v, p = _flag(name, v, miss, file, lines)
        probs += p
    else:
        v, _, miss = _parse_str(s)
        if kind == "category":
            allowed = list(col.allowed or ())
            codes = codes_in(v, pd.Index(allowed, dtype="str"), absent=-1)  # -1: missing or not allowed
            if codes is None:  # not Arrow text
                codes = pd.Index(allowed, dtype="str").get_indexer(v)
            bad = ~miss & (codes < 0)
            if bad.any():
                probs.append(problems_frame(file, lines[bad], name, shown.to_numpy()[bad], "not_allowed",
                                            f"one of {', '.join(allowed)}", "error"))
            v = pd.Categorical.from_codes(codes, categories=allowed)
    return v, probs


def _type_table(raw: pd.DataFrame, tspec: TableSpec, spec: FileSpec, file: str, lines: np.ndarray,
                value_labels: Mapping[str, Mapping[Any, str]] | None = None, *, keep_raw: bool = True
                ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Stage 2: parse every column; with ``keep_raw=False`` each raw column is dropped once typed
    (bounds peak memory: raw text and typed values of all columns never coexist)."""
    probs: list[pd.DataFrame] = []
    data: dict[str, Any] = {}
    labels = value_labels or {}
    n_rows = len(raw)
    order = list(raw.columns)
    block = _numeric_block(raw, tspec, keep_raw=keep_raw)
    for name in order:
        if name in block.columns:  # typed in the float block
            data[name] = None
            continue
        s = raw[name].reset_index(drop=True)
        col: Column = tspec.column(name) if name in tspec.names else Column(name, "float")
        data[name], p = _type_column(name, s, raw[name], col, spec, file, lines, labels)
        probs += p
        if not keep_raw:
            del raw[name], s
    df = _frame(data, block) if len(block.columns) else pd.DataFrame(data, index=pd.RangeIndex(n_rows))
    df.index = pd.Index(lines, name="line")
    return df, probs


def _numeric_block(raw: pd.DataFrame, tspec: TableSpec, *, keep_raw: bool) -> pd.DataFrame:
    """The ``float`` columns (the items) of a typed source (Parquet, SPSS) that arrive as NumPy
    numbers, filled into one float block: what :func:`_type_column` makes of each of them (the
    values as ``float64``) without a pass and a copy per column.  A column holding an infinite
    value is left to :func:`_type_column`, which reports it; so is every other column."""
    names = [c for c in raw.columns
             if (tspec.column(c).kind if c in tspec.names else "float") == "float"
             and isinstance(raw[c].dtype, np.dtype) and raw[c].dtype.kind in "iuf"]
    if len(names) < 2:
        return pd.DataFrame(index=pd.RangeIndex(len(raw)))
    values = np.empty((len(raw), len(names)), dtype=np.float64, order="F")
    for j, c in enumerate(names):
        values[:, j] = raw[c].to_numpy(dtype=np.float64)
    finite = ~np.isinf(values).any(axis=0)
    if not finite.all():
        values = np.asfortranarray(values[:, finite])
        names = [c for c, ok in zip(names, finite, strict=True) if ok]
    if not keep_raw:  # as the per-column typing does: the raw column goes once typed
        for c in names:
            del raw[c]
    return pd.DataFrame(values, columns=names, copy=False)


# ====================================================================== typed Arrow read (fast path)
#: read clean CSV exports with Arrow's typed reader (:func:`_typed_csv`) and Parquet files typed
#: with Arrow (:func:`_typed_parquet`); ``False`` forces the text (per-column) path for every
#: file (the tests compare both on the same files)
TYPED_READ: bool = True


def _typed_number(arr: Any, kind: str) -> Any:
    """An Arrow ``float64`` column as the text path types it, or ``None`` when any value would
    be a problem there (not finite; for ``int``: not whole or beyond 15 digits), whose text the
    typed read no longer has."""
    v = arr.to_numpy()
    present = ~np.isnan(v)
    if arr.null_count != int((~present).sum()) or not np.isfinite(v[present]).all():
        return None  # NaN or inf written as text ("nan", "inf"): not_a_number/out_of_range
    if kind != "int":
        return v
    w = v[present]
    if ((np.abs(w) >= _MAX_WHOLE) | (w != np.round(w))).any():
        return None
    return pd.Series(np.round(v)).astype("Int64")


def _typed_text(arr: Any) -> pd.Series:
    """An Arrow text column as :func:`_parse_str` types it: trimmed (Arrow's
    ``utf8_trim_whitespace``, as pandas' ``str.strip``), empty read as missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(t, "")
    if pc.any(empty).as_py():  # no copy of an id column without an empty value
        t = pc.if_else(empty, pa.scalar(None, pa.string()), t)
    return pd.Series(t.to_pandas(), dtype="str")


def _typed_date(arr: Any, fmt: str) -> np.ndarray | None:
    """An Arrow text column of dates as ``datetime64[ns]``, or ``None`` when Arrow cannot settle
    every value as :func:`_parse_date` does (then the text rules type that column).

    Only formats of ``%d``, ``%m``, ``%Y`` and literal characters are tried.  Each value must
    have the shape of :func:`_date_regex` and parse with Arrow's ``strptime``; since that rolls
    an impossible day over (``31-02-2024`` becomes 2 March), the parsed day must be the day
    written.  Dates pandas cannot hold in nanoseconds are left to the text rules as well.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    rx = _date_regex(fmt)  # an unknown directive is refused as on the text path
    directives = re.findall(r"%.", fmt)
    if not directives or set(directives) - {"%d", "%m", "%Y"} or directives.count("%d") != 1:
        return None
    k = iter(range(len(directives)))
    day_at = directives.index("%d")
    grouped = re.sub(r"\[0-9\]\{[0-9,]+\}", lambda m: f"(?P<day>{m.group(0)})" if next(k) == day_at else m.group(0), rx)
    t = pc.utf8_trim_whitespace(arr)
    miss = pc.equal(t, "")
    try:
        day = pc.cast(pc.struct_field(pc.extract_regex(t, f"^(?:{grouped})$"), "day"), pa.int64())
        ts = pc.strptime(t, format=fmt, unit="s", error_is_null=True)
        ok = pc.or_(miss, pc.equal(day, pc.day(ts)).fill_null(False))
        lo, hi = (pa.scalar(b.to_pydatetime(), pa.timestamp("s")) for b in _NS_BOUNDS)
        ok = pc.and_(ok, pc.or_(miss, pc.and_(pc.greater_equal(ts, lo), pc.less_equal(ts, hi)).fill_null(False)))
        if not pc.all(ok).as_py():
            return None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, KeyError):
        return None
    return ts.cast(pa.timestamp("ns")).to_numpy().astype("datetime64[ns]")


def _plain_bytes(path: Path, spec: FileSpec) -> bytes | None:
    """The file's bytes when Arrow's typed reader sees the same rows as the text path: UTF-8
    without byte-order mark, no NUL byte, no quote, line ends ``\n`` or ``\r\n`` only and no
    blank first line.  ``None`` otherwise (the text path reads it and names what it finds).
    A blank line further on is looked for only when the read shows a row that may be one
    (:func:`_blank_line`): finding two bytes costs more than the one-byte scans here."""
    if _encoding_name(spec.encoding) not in ("utf-8", "utf-8-sig"):
        return None
    data = path.read_bytes()
    if not data or data.startswith(_BOM) or b"\x00" in data or b'"' in data or data[:1] in (b"\n", b"\r"):
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None
    return data


def _blank_line(data: bytes, tbl: Any) -> bool:
    r"""Whether the export ``data``, read by Arrow as ``tbl``, has a blank line (which Arrow reads
    as a row of empty values and the text path reports).  A blank line leaves every column of
    its row empty, so the bytes are searched only when the table's first column has an empty
    value (in an export whose ids are all filled in: never).

    >>> import pyarrow as pa
    >>> _blank_line(b"a;b\n1;2\n\n", pa.table({"a": ["1", ""]})), _blank_line(b"a;b\n;2\n", pa.table({"a": ["", "x"]}))
    (True, False)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not tbl.num_columns or not tbl.num_rows:
        return b"\n\n" in data or b"\n\r\n" in data
    first = tbl.column(0)
    empty = first.null_count > 0
    if not empty and (pa.types.is_string(first.type) or pa.types.is_large_string(first.type)):
        empty = bool(pc.any(pc.equal(first, "")).as_py())
    return empty and (b"\n\n" in data or b"\n\r\n" in data)


def _typed_numbers(data: bytes, names: list[str], sep: str, decimal: str, numeric: list[str],
                   kinds: dict[str, str]) -> tuple[Any, dict[str, Any], pd.DataFrame] | None:
    """Arrow's CSV read of ``data`` with the ``numeric`` columns as ``float64`` and the other
    columns of ``kinds`` as text; a number column with a value the text rules would report
    (Arrow's conversion error names it, or :func:`_typed_number` refuses it) is read again as
    text, so that its problems are found with the value as written.  Returns the table and the
    typed number columns, or ``None`` when Arrow cannot read the file (ragged lines, ...) or too
    many columns need the text.  The ``float`` columns come as one frame (:func:`_typed_floats`),
    apart from the typed ``int`` columns.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    as_text: set[str] = set()
    for _ in range(8):
        types = {h: pa.string() if kinds[h] not in ("int", "float") or h in as_text else pa.float64() for h in kinds}
        try:
            tbl = _arrow_csv(data, names, sep, ignore_empty_lines=False, convert=pacsv.ConvertOptions(
                column_types=types, include_columns=list(types), decimal_point=decimal, null_values=[""],
                strings_can_be_null=False, quoted_strings_can_be_null=False))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            hit = re.match(r"In CSV column #(\d+): CSV conversion error", str(exc))
            at = int(hit.group(1)) if hit else -1
            if not 0 <= at < len(names) or names[at] not in numeric or names[at] in as_text:
                return None
            as_text.add(names[at])
            continue
        floats = [h for h in numeric if h not in as_text and kinds[h] == "float"]
        numbers: dict[str, Any] = {h: _typed_number(tbl.column(h), kinds[h])
                                   for h in numeric if h not in as_text and kinds[h] != "float"}
        block, refused = _typed_floats(tbl, floats)
        refused |= {h for h, v in numbers.items() if v is None}
        if not refused:
            return tbl, numbers, block
        as_text |= refused
    return None


def _typed_floats(tbl: Any, names: list[str]) -> tuple[pd.DataFrame, set[str]]:
    """The ``float64`` columns ``names`` of ``tbl`` as one block (Arrow's ``to_pandas`` fills it
    in one pass), and the names of those with a value the text rules would report (not finite:
    ``nan`` or ``inf`` written as text; Arrow's own nulls are the empty cells)."""
    if not names:
        return pd.DataFrame(index=pd.RangeIndex(tbl.num_rows)), set()
    sub = tbl.select(names)
    block = sub.to_pandas()
    v = block.to_numpy()
    nulls = np.array([sub.column(i).null_count for i in range(len(names))])
    # the empty cells are Arrow's nulls (NaN here); any other value that is not finite was written
    bad = len(v) - np.count_nonzero(np.isfinite(v), axis=0) != nulls
    return block, {h for h, b in zip(names, bad, strict=True) if b}


def _typed_csv(path: Path, spec: FileSpec, file: str, tspec: TableSpec, known: frozenset[str]
               ) -> tuple[pd.DataFrame, list[pd.DataFrame], list[pd.DataFrame], dict] | None:
    """Stages 1 and 2 for a clean CSV file in one typed Arrow read, or ``None`` (read it as text).

    The numbers are parsed by Arrow's CSV reader with the declared decimal separator (column
    types from the schema); ids, dates and flags are read as text and typed with Arrow compute.
    The result equals the text path's (:func:`_raw_csv`, :func:`_type_table`) exactly, or the
    file goes to the text path: a structure the text path would report on (a bad encoding, a
    quote, a blank or ragged line, a changed header) makes this return ``None``.  A column
    with a value the text rules would report (a number that does not parse, a flag, a fixed
    category, a date Arrow cannot settle) is typed by those rules (:func:`_type_column`) on
    its text as written, so its problems name the same row, column and value.  Returns the typed rows (index = line),
    the header warnings of :func:`_map_columns`, the problems of the types (empty-flag notes)
    and the file's meta.
    """
    data = _plain_bytes(path, spec)
    if data is None:
        return None
    first_nl = data.find(b"\n")
    try:
        header_text = data[:first_nl].decode("utf-8").rstrip("\r")
        sep = _detect_sep(header_text, spec, file)
        names = header_text.split(sep)
        if _check_header(names, file) != names or _clean_header(pd.DataFrame(columns=names), file, known)[1]:
            return None
        head, warn, info = _map_columns(pd.DataFrame(columns=names), spec, tspec, file)
    except (_Fatal, UnicodeDecodeError):
        return None
    mapped = [spec.columns.get(h, h) for h in names]
    pairs = [(h, m) for h, m in zip(names, mapped, strict=True) if m in set(head.columns)]
    if len(pairs) < len(names):  # columns Arrow skips: their bytes must still be UTF-8 (a fatal problem)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    cols = {m: (tspec.column(m) if m in tspec.names else Column(m, "float")) for _, m in pairs}
    numeric = [h for h, m in pairs if cols[m].kind in ("int", "float")]
    got = _typed_numbers(data, names, sep, spec.decimal, numeric, {h: cols[m].kind for h, m in pairs})
    if got is None:
        return None
    tbl, numbers, block = got
    if _blank_line(data, tbl):
        return None
    del data
    n_rows = tbl.num_rows
    if n_rows == 0:
        return None
    lines = np.arange(2, n_rows + 2)
    out: dict[str, Any] = {}
    probs: list[pd.DataFrame] = []
    for h, m in pairs:
        if h in block.columns:  # typed in the float block
            out[m] = None
            continue
        arr, col = tbl.column(h), cols[m]
        v: Any = None
        if h in numbers:
            v = numbers[h]
        elif col.kind in ("int", "float"):
            pass  # read as text: a value the text rules report
        elif col.kind == "str":
            v = _typed_text(arr)
        elif col.kind == "date":
            v = _typed_date(arr, spec.date_format)
        if v is None:  # flags, categories, numbers with a problem, dates Arrow could not settle: the text rules
            s = pd.Series(arr.to_pandas(), dtype="str")
            v, p = _type_column(m, s, s, col, spec, file, lines, {})
            probs += p
        out[m] = v
    block.columns = [m for h, m in pairs if h in block.columns]
    df = _frame(out, block)
    df.index = pd.Index(lines, name="line")
    return df, warn, probs, {"sep": sep, "quoted": False, **info}


def _plain_number(col: Any) -> bool:
    """True for a Parquet number column that :func:`_arrow_column` and :func:`_parse_number`
    read as its values (``float64``, nulls as NaN): a plain integer below 2**53 or a
    ``float32``/``float64`` without an infinite value.  Others (dictionary, decimal, flag,
    text, huge integers read as exact text, ``out_of_range`` infinities) take those rules."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_integer(t):
        if t.bit_width < 64 or col.null_count == len(col):
            return True
        mm = pc.min_max(col).as_py()
        return max(abs(mm["min"]), abs(mm["max"])) < 2 ** 53
    if pa.types.is_float32(t) or pa.types.is_float64(t):
        return not pc.any(pc.is_inf(col)).as_py()
    return False


def _parquet_whole(col: Any) -> pd.Series | None:
    """A Parquet number column of an ``int`` column as ``Int64``, as :func:`_type_column` types
    it, or ``None`` when a value would be a problem there (not whole, beyond 15 digits) or the
    column is not a plain number (:func:`_plain_number`).  NaN is missing, as there.  An
    integer type narrower than 64 bits goes straight to ``Int64`` (0.02 s against 0.2 s through
    ``float64`` for 3.3M values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _plain_number(col):
        return None
    if pa.types.is_integer(col.type) and col.type.bit_width < 64:  # whole and within 2**53 by its type
        v = col.cast(pa.int64())
        mask = pc.is_null(v).to_numpy(zero_copy_only=False) if v.null_count else np.zeros(len(v), dtype=bool)
        return pd.Series(pd.arrays.IntegerArray(v.fill_null(0).to_numpy(), mask))
    v = col.cast(pa.float64()).to_numpy()
    w = v[~np.isnan(v)]
    if ((np.abs(w) >= _MAX_WHOLE) | (w != np.round(w))).any():
        return None
    return pd.Series(np.round(v)).astype("Int64")


def _parquet_dates(col: Any) -> np.ndarray | None:
    """A Parquet ``date32`` or timestamp (without time zone) column as ``datetime64[ns]``, as
    :func:`_arrow_column` and :func:`_parse_date` give it, or ``None`` (a zone; a date outside
    :data:`_NS_BOUNDS`, an error there: Arrow's safe cast refuses what ``ns`` cannot hold)."""
    import pyarrow as pa

    t = col.type
    if not (pa.types.is_date32(t) or (pa.types.is_timestamp(t) and t.tz is None)):
        return None
    try:
        v = col.cast(pa.timestamp("ns")).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    lo, hi = (np.datetime64(b.to_datetime64(), "ns") for b in _NS_BOUNDS)
    return None if ((v < lo) | (v > hi)).any() else v


def _parquet_text(col: Any, allowed: tuple[str, ...] | None) -> Any:
    """A Parquet text column (``string``, ``large_string``: pandas writes that) as
    :func:`_parse_str` types it (:func:`_typed_text`); with ``allowed`` (a ``category``) the
    categorical, or ``None`` when a value is not allowed (the text rules report it) or the
    column is not text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_large_string(col.type):
        try:
            col = col.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowCapacityError):  # a chunk beyond 2 GiB of text
            return None
    if col.type != pa.string():
        return None
    if allowed is None:
        return _typed_text(col)
    t = pc.utf8_trim_whitespace(col)
    codes = pc.index_in(t, value_set=pa.array(allowed, pa.string()))
    if pc.sum(pc.and_(pc.is_null(codes), pc.not_equal(t, ""))).as_py():  # NULL text stays null: not counted
        return None
    return pd.Categorical.from_codes(codes.fill_null(-1).to_numpy(), categories=list(allowed))


def _parquet_block(columns: dict[str, Any], n_rows: int) -> pd.DataFrame:
    """The number ``columns`` (each a :func:`_plain_number`) as one ``float64`` block: Arrow's
    ``to_pandas`` fills it in one multithreaded pass (faster than filling a NumPy block column
    by column); a column it would not give as ``float64`` (an integer without nulls,
    ``float32``) is cast first."""
    import pyarrow as pa

    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(n_rows))
    cols = [c if pa.types.is_float64(c.type) or (pa.types.is_integer(c.type) and c.null_count)
            else c.cast(pa.float64()) for c in columns.values()]
    block = pa.table(cols, names=[f"c{i}" for i in range(len(cols))]).to_pandas()
    block.columns = list(columns)
    return block


def _parquet_typed(arr: Any, col: Column) -> Any:
    """A Parquet column typed by Arrow compute as ``col`` asks (:func:`_parquet_whole`,
    :func:`_parquet_text`, :func:`_parquet_dates`), or ``None``: a flag, another type or a value
    with a problem, for the per-column rules."""
    if col.kind == "int":
        return _parquet_whole(arr)
    if col.kind in ("str", "category"):
        return _parquet_text(arr, tuple(col.allowed or ()) if col.kind == "category" else None)
    if col.kind == "date":
        return _parquet_dates(arr)
    return None


def _typed_parquet(path: Path, spec: FileSpec, file: str, tspec: TableSpec, known: frozenset[str]
                   ) -> tuple[pd.DataFrame, list[pd.DataFrame], list[pd.DataFrame], dict] | None:
    """Stages 1 and 2 for a Parquet file typed with Arrow, or ``None`` (the per-column path).

    The same contract as :func:`_typed_csv`: the result equals that of :func:`_raw_parquet`,
    :func:`_clean_header`, :func:`_map_columns` and :func:`_type_table` exactly.  The ``float``
    columns (the items) become one ``float64`` block (:func:`_parquet_block`), ``int`` columns
    ``Int64``, text and categories are typed with Arrow compute, dates cast to ``ns``.  A column
    of any other type, or with a value the per-column rules would change or report (a zone,
    a far date, an infinite or non-whole number, a category not allowed, a flag), is typed by
    those rules (:func:`_arrow_column`, :func:`_type_column`), in its place.  A header the
    reader, :func:`_clean_header` or :func:`_map_columns` would report on (besides unknown or
    unused mapped columns), or an unreadable or empty file, makes this return ``None``.
    Returns the typed rows (index = line), the reading and header warnings, the problems of
    the types and the file's meta (with ``whole``, the item columns of an integer type, for
    :func:`~effectstudy.data.validate.check_table`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        tbl = pq.read_table(path)
        names = [str(h) for h in tbl.column_names]
        if tbl.num_rows == 0 or _check_header(names, file) != names or \
                _clean_header(pd.DataFrame(columns=names), file, known)[1]:
            return None
        head, warn, info = _map_columns(pd.DataFrame(columns=names), spec, tspec, file)
    except Exception:  # noqa: BLE001  (an unreadable file, a fatal header: the per-column path reports it)
        return None
    n_rows = tbl.num_rows
    lines = np.arange(2, n_rows + 2)
    mapped = {h: spec.columns.get(h, h) for h in names}
    kept = set(head.columns)
    cols = {m: (tspec.column(m) if m in tspec.names else Column(m, "float")) for m in kept}
    arrs = {h: tbl.column(h) for h in names}
    for h, a in arrs.items():  # dictionary columns as their values (what _arrow_column does first)
        if pa.types.is_dictionary(a.type):
            arrs[h] = a.cast(a.type.value_type)
    del tbl
    floats = {mapped[h]: arrs[h] for h in names
              if mapped[h] in kept and cols[mapped[h]].kind == "float" and _plain_number(arrs[h])}
    info["whole"] = frozenset(m for m, a in floats.items() if pa.types.is_integer(a.type))
    # the other columns are typed by Arrow compute (which releases the GIL) in a second thread
    # while Arrow fills the item block
    with ThreadPoolExecutor(max_workers=2) as pool:
        typing = {h: pool.submit(_parquet_typed, arrs[h], cols[mapped[h]]) for h in names
                  if mapped[h] in kept and mapped[h] not in floats}
        block = _parquet_block(floats, n_rows)
        floats = dict.fromkeys(floats)  # the Arrow item columns go once copied
        fast = {h: job.result() for h, job in typing.items()}
    out: dict[str, Any] = {}
    read_probs: list[pd.DataFrame] = []
    probs: list[pd.DataFrame] = []
    for h in names:
        m, arr = mapped[h], arrs.pop(h)
        if m not in kept:  # not read, but what the reader finds in it is reported
            read_probs += _arrow_column(arr, h, file, lines)[1]
            continue
        if m in floats:
            out[m] = None
            continue
        col = cols[m]
        v = fast.pop(h)
        if v is None and col.kind == "bool" and pa.types.is_boolean(arr.type):  # a flag column of flags
            v, p = _flag(m, *_arrow_flag(arr), file, lines)
            probs += p
        elif v is None:  # other types, values with a problem: the per-column rules
            s, p = _arrow_column(arr, h, file, lines)
            read_probs += p
            v, p = _type_column(m, s, s, col, spec, file, lines, {})
            probs += p
        out[m] = v
    df = _frame(out, block)
    df.index = pd.Index(lines, name="line")
    return df, [*read_probs, *warn], probs, info


def _frame(columns: dict[str, Any], block: pd.DataFrame) -> pd.DataFrame:
    """The typed columns as a frame: ``block`` (the item columns, one float block from Arrow)
    with the other ``columns`` inserted in their places, so that the items are not copied into
    a block once more (a pass over the largest part of the data, and its memory at the peak).
    Equal to ``pd.DataFrame(columns)`` with the block's values in its columns.

    >>> b = pd.DataFrame({"b": [1.0, 2.0], "c": [3.0, 4.0]})
    >>> f = _frame({"a": pd.Series(["x", "y"], dtype="str"), "b": None, "c": None}, b)
    >>> f.equals(pd.DataFrame({"a": pd.Series(["x", "y"], dtype="str"), "b": [1.0, 2.0], "c": [3.0, 4.0]}))
    True
    """
    for i, name in enumerate(columns):
        if name not in block.columns:
            block.insert(i, name, columns[name])
    return block


# ====================================================================== public API
def _file_name(spec: FileSpec) -> str:
    return Path(spec.path).name


def _to_long(raw: pd.DataFrame, lines: np.ndarray, spec: FileSpec, file: str,
             meta: dict[str, Any]) -> tuple[pd.DataFrame, np.ndarray, FileSpec, WideLong]:
    """A wide measurements file as raw long rows (:mod:`effectstudy.data.wide`); fatal mapping problems raise."""
    wl = wide_to_long(raw, lines, spec, file)
    if wl.fatal:
        raise _Fatal(wl.problems, rows_read=len(raw))
    meta.update(shape="wide", wide_rows=len(raw), row_lines=np.asarray(lines, dtype=np.int64),
                unknown_columns=wl.unread)
    # the column map was applied by the reshape: the long rows carry canonical names
    return wl.data, wl.lines, spec.model_copy(update={"columns": {}}), wl


_ReadResult = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, bool, dict]


@dataclass(frozen=True)
class _Typed:
    """A table read and typed (:func:`_typed`); :meth:`checked` applies the code lists and the
    table checks (:func:`_checked`).  ``read_study`` types every table before it checks any, so
    that their ``episode_id`` columns are encoded together once
    (:func:`~effectstudy.core.keys.share_codes`)."""

    #: the typed rows (empty when the read ended fatally)
    typed: pd.DataFrame
    #: the rest of the read: (typed all rows, raw all rows, problems, rows_read, fatal, meta)
    rest: Callable[[], _ReadResult]

    def checked(self) -> _ReadResult:
        return self.rest()


def _read(spec: FileSpec, table: str, **kwargs: Any) -> _ReadResult:
    """Read + type + table checks (:func:`_typed`, then :meth:`_Typed.checked`).  Returns (typed
    all rows, raw all rows, problems, rows_read, fatal, meta)."""
    return _typed(spec, table, **kwargs).checked()


def _typed(spec: FileSpec, table: str, *, min_date: Any = DEFAULT_MIN_DATE, today: Any = None,
           keep_raw: bool = True, codes: Mapping[str, Any] | None = None, skip: tuple[str, ...] = ()) -> _Typed:
    """Read + type; the code lists and table checks wait in the result (:class:`_Typed`).

    ``skip``: export columns not read and not reported (read by another table's spec: the
    measurement columns of a wide file that also holds the episodes).  A wide measurements file
    is reshaped to long rows first; its rows read are the wide rows.
    """
    check_choice("table", table, _READ_TABLES)
    tspec = SCORED_MEASUREMENTS if table == "measurements" and spec.values == "scores" else TABLES[table]
    path = Path(spec.path)
    file = path.name
    fmt = spec.format or _EXT.get(path.suffix.lower())
    if fmt is None:
        raise ArgumentError("format", path.suffix, "csv, xlsx, sav or parquet (set format: in the params)")
    if not path.is_file():
        raise ArgumentError("path", str(path), f"an existing {table} file")
    meta: dict[str, Any] = {"format": fmt, "file": file, "encoding": spec.encoding if fmt == "csv" else None}
    meta["values"] = spec.values if table == "measurements" else None
    wl = None
    warn: list[pd.DataFrame] = []
    known = frozenset(tspec.names) | frozenset(spec.columns)
    typed_read = {"csv": _typed_csv, "parquet": _typed_parquet}.get(fmt)
    fast = (typed_read(path, spec, file, tspec, known)
            if TYPED_READ and typed_read is not None and not keep_raw and not skip and spec.wide is None else None)
    if fast is not None:
        typed, warn2, type_probs, info = fast
        whole = info.pop("whole", ())  # item columns of an integer type: no fraction to look for
        meta.update(info)
        lines = typed.index.to_numpy()
        raw = pd.DataFrame(index=typed.index)
        return _Typed(typed, partial(_checked, typed, raw, (table, tspec, file, lines), meta, (warn2, type_probs),
                                     None, dict(min_date=min_date, today=today, codes=codes, whole=whole)))
    try:
        raw, lines, warn, info = _READERS[fmt](path, spec, file)
        meta.update(info)
        if spec.wide is not None:
            known |= frozenset(spec.wide.export_columns())
        raw, warn1 = _clean_header(raw, file, known)
        warn = [*warn, *warn1]
        if skip:
            raw = raw.drop(columns=[c for c in skip if c in raw.columns])
        mapping = spec
        if table == "measurements" and spec.wide is not None:
            raw, lines, mapping, wl = _to_long(raw, lines, spec, file, meta)
        raw, warn2, info2 = _map_columns(raw, mapping, tspec, file)
        info2["unknown_columns"] = meta.get("unknown_columns", []) + info2["unknown_columns"]
        meta.update(info2)
    except _Fatal as f:  # the notes found before (line endings, invisible characters) stay
        ended = (pd.DataFrame(), pd.DataFrame(), concat_problems([*warn, f.problems]), f.rows_read, True, meta)
        return _Typed(ended[0], lambda: ended)
    labels = {spec.columns.get(k, k): v for k, v in meta.get("value_labels", {}).items()}
    if "value_labels" in meta:
        meta["value_labels"] = labels
    typed, type_probs = _type_table(raw, tspec, spec, file, lines, labels, keep_raw=keep_raw)
    raw.index = typed.index
    return _Typed(typed, partial(_checked, typed, raw, (table, tspec, file, lines), meta, ([*warn, *warn2], type_probs),
                                 wl, dict(min_date=min_date, today=today, codes=codes)))


def _checked(typed: pd.DataFrame, raw: pd.DataFrame, where: tuple[str, TableSpec, str, np.ndarray],
             meta: dict[str, Any], found_before: tuple[list[pd.DataFrame], list[pd.DataFrame]],
             wl: WideLong | None, opts: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int, bool, dict]:
    """The typed rows through the code lists and the table checks: :func:`_read`'s result.

    ``where`` is (table, its spec, file name, source lines); ``found_before`` the problems of
    reading (structure and header) and of typing; ``opts`` the ``min_date``, ``today`` and
    ``codes`` of :func:`_read`.  Shared by the text path and the typed Arrow read.
    """
    table, tspec, file, lines = where
    warn, type_probs = found_before
    # the one hook of the code lists: uncoded values become missing (counted, never shown)
    typed, code_probs = apply_codes(typed, table, file=file, lines=lines, codes=opts["codes"])
    checks = check_table(typed, tspec, file=file, lines=lines, min_date=opts["min_date"], today=opts["today"],
                         whole=opts.get("whole", ()))
    found = concat_problems([*type_probs, code_probs, checks])
    n_read = len(typed)
    if wl is not None:  # back to the wide file's lines and column names; rows read are its rows
        found = concat_problems([decode_problems(found, file, wl.names), wl.problems])
        typed.index = raw.index = pd.Index(decode_lines(lines), name="line")
        meta.update(wide_codes=lines, wide_names=wl.names)
        n_read = int(meta["wide_rows"])
    problems = concat_problems([*warn, found])
    fatal = bool((problems["severity"] == "fatal").any())
    return typed, raw, problems, n_read, fatal, meta


def _used_mask(problems: pd.DataFrame, file: str, lines: np.ndarray) -> np.ndarray:
    err = problems.loc[(problems["file"] == file) & (problems["severity"] == "error"), "row"].dropna()
    return ~np.isin(lines, err.to_numpy(dtype=np.int64))


def _rejected(raw: pd.DataFrame, report: ValidationReport, table: str) -> pd.DataFrame:
    ex = report.excluded[report.excluded["table"] == table]
    if raw.empty or ex.empty:
        return raw.iloc[:0].assign(reason=pd.Series(dtype="str")) if not raw.empty else pd.DataFrame()
    reason = pd.Series(ex["reason"].to_numpy(), index=ex["row"].to_numpy(dtype=np.int64))
    out = raw.loc[raw.index.isin(reason.index)].astype("str")
    out["reason"] = reason.reindex(out.index).to_numpy()
    return out


def _first_of_line(typed: pd.DataFrame) -> pd.DataFrame:
    """One row per source line (a wide file's measurements share their row's line and ids)."""
    return typed[~typed.index.duplicated()] if typed.index.has_duplicates else typed


def _skipped(data_spec: DataSpec, table: str) -> tuple[str, ...]:
    """Columns the ``table`` spec leaves to the wide measurements spec reading the same file."""
    m = data_spec.measurements
    spec = getattr(data_spec, table)
    if table == "measurements" or spec is None or m.wide is None or Path(spec.path) != Path(m.path):
        return ()
    return tuple(m.wide.export_columns())


def _row_key_source(row_key: RowKey | None, spec: FileSpec) -> RowKey | Any:
    """The given key, or a loader of the project's key (called only when a problem needs one)."""
    return row_key if row_key is not None else (lambda: load_row_key(Path(spec.path).resolve().parent))


@factorizations()  # the table's id columns factorized once for all its checks
def read_table(spec: FileSpec, table: str = "episodes", *, on_fatal: str = "raise",
               min_date: str = DEFAULT_MIN_DATE, today: str | None = None,
               codes: Mapping[str, Any] | None = None, show_identifiers: bool = False,
               row_key: RowKey | None = None) -> TableRead:
    """Read one export file and validate it on its own.

    Parameters
    ----------
    spec : FileSpec
        Path, format (default from the extension), ``sep`` (``None``: detect ``;``/``,``),
        ``decimal``, ``encoding``, ``date_format``, ``sheet`` and the column map.
    table : {"episodes", "measurements", "satisfaction"}
    on_fatal : {"raise", "return"}
        On a fatal problem raise :class:`~effectstudy.core.errors.ValidationError` (default) or
        return a :class:`TableRead` with empty ``data`` and the report (as :func:`read_study`).
    min_date, today : date text, optional
        Plausible date range (default 2000-01-01 to today).
    codes : mapping, optional
        Code lists (``DataSpec.code_lists()``; default: the package's): values outside them become
        missing with the warning ``uncoded_value`` (:mod:`effectstudy.data.coding`).
    show_identifiers : bool
        Keep identifying values (ids, dates, free text) in the problems and messages and add the
        raw id beside the row key; for the practice's own data manager only (default False).
    row_key : RowKey, optional
        The secret of the row keys; default the project's (:func:`effectstudy.core.rowkey.load_row_key`
        from the file's folder), loaded only when a problem row needs a key.

    Returns
    -------
    TableRead
        ``.data`` (rows used, index = source line), ``.rejected`` (rows excluded, raw text and
        reason), ``.report`` (:class:`~effectstudy.data.validate.ValidationReport`), ``.meta``.

    Raises
    ------
    ValidationError
        Fatal problems; the message shows the first ten (``file:line column: rule: found X,
        expected Y``) and the total count.
    ArgumentError
        Unknown table or format, missing file, unknown encoding, ``on_fatal`` not ``"raise"``
        or ``"return"``.
    """
    check_choice("on_fatal", on_fatal, ("raise", "return"))
    if not isinstance(spec, FileSpec):
        raise ArgumentError("spec", spec, "a FileSpec (effectstudy.core.params.FileSpec)")
    with identifiers_shown(show_identifiers):
        typed, raw, problems, n, fatal, meta = _read(spec, table, min_date=min_date, today=today, codes=codes)
    file = _file_name(spec)
    problems = add_row_keys(problems, {file: _first_of_line(typed)}, _row_key_source(row_key, spec),
                            show_identifiers=show_identifiers)
    lines = typed.index.to_numpy(dtype=np.int64) if len(typed) else np.array([], dtype=np.int64)
    report = ValidationReport.from_tables({table: TableAccount(file, n, meta.get("row_lines", lines), fatal)},
                                          problems)
    if fatal and on_fatal == "raise":
        report.raise_if_fatal()
    data = typed[_used_mask(problems, file, lines)] if not fatal and len(typed) else typed.iloc[:0]
    return TableRead(table, file, data, _rejected(raw, report, table), report, meta, typed)


def _text_keys(table: str) -> list[str]:
    """The columns of ``table`` besides ``episode_id`` that its checks and code lists factorize."""
    coded = [c for c, home in CODABLE_COLUMNS.items() if home == table]
    return [c for c in dict.fromkeys([*TABLES[table].key, "instrument", *coded]) if c != "episode_id"]


def _encode_keys(tables: Mapping[str, pd.DataFrame]) -> None:
    """Encode the key columns of the typed ``tables`` once, before their checks, in two threads
    (Arrow's hash encoding releases the GIL): the ``episode_id`` of all tables together
    (:func:`~effectstudy.core.keys.share_codes`; the duplicate checks of each table and the
    lookups between tables then compare codes: one hash table instead of one per table and a
    lookup) beside each table's other text key columns (``client_id``, ``instrument``) and the
    columns the code lists match (:func:`~effectstudy.core.keys.text_factorize`).  All are kept
    by the enclosing :func:`~effectstudy.core.keys.factorizations` block for the checks; at
    1,000,000 episodes the two threads take about 0.4 s each, side by side on two cores."""
    ids = [df["episode_id"] for df in tables.values() if "episode_id" in df.columns]
    keys = [df[c] for t, df in tables.items() for c in _text_keys(t) if c in df.columns]
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(share_codes, *ids), *(pool.submit(text_factorize, c) for c in keys)]
        for job in jobs:
            job.result()


@factorizations()  # the id columns factorized once for the table checks and those between tables
def read_study(data_spec: DataSpec, *, on_fatal: str = "raise", window_days: tuple[int, int] = DEFAULT_WINDOW_DAYS,
               min_date: str = DEFAULT_MIN_DATE, today: str | None = None, show_identifiers: bool = False,
               row_key: RowKey | None = None) -> StudyData:
    """Read and validate all input tables of a study; every row read is used or excluded with a reason.

    Parameters
    ----------
    data_spec : DataSpec
        ``episodes``, ``measurements`` and optional ``satisfaction`` file specs (the ``data:``
        section of a params file).
    on_fatal : {"raise", "return"}
        On a fatal problem raise :class:`~effectstudy.core.errors.ValidationError` (default) or return
        a ``StudyData`` with empty tables and the full report (used by ``effectstudy validate``).
    window_days : (int, int)
        A measurement must fall between ``before`` days before its episode's start and ``after``
        days after its end (open episode: no upper bound); default (60, 60).
    min_date, today : date text, optional
        Plausible date range (default 2000-01-01 to today).
    show_identifiers : bool
        Keep identifying values in the problems and messages, with the raw id beside each row key
        (``effectstudy validate --show-identifiers``; local use only, default False).
    row_key : RowKey, optional
        The secret of the row keys; default the project's, found from the episodes file.

    Returns
    -------
    StudyData
        Canonical typed tables of the rows used (ids ``str``, dates ``datetime64[ns]``,
        ``sessions``/``session``/``birth_year`` ``Int64``, items ``float64``, flags ``bool`` with
        missing read as ``False`` and counted as ``info`` problems, except the consent flags:
        nullable ``boolean`` with ``<NA>`` = not recorded, apart from ``False`` = refused;
        see :data:`NOT_RECORDED_FLAGS`) and ``.report``.
    """
    check_choice("on_fatal", on_fatal, ("raise", "return"))
    if not isinstance(data_spec, DataSpec):
        raise ArgumentError("data_spec", data_spec, "a DataSpec (params.data)")
    specs = {"episodes": data_spec.episodes, "measurements": data_spec.measurements,
             "satisfaction": data_spec.satisfaction}
    reads, accounts, probs, meta = {}, {}, [], {}
    codes = data_spec.code_lists()  # once for every table
    pending: dict[str, _Typed] = {}
    for t, sp in specs.items():
        if sp is not None:
            with identifiers_shown(show_identifiers):
                pending[t] = _typed(sp, t, min_date=min_date, today=today, keep_raw=False, codes=codes,
                                    skip=_skipped(data_spec, t))
    _encode_keys({t: r.typed for t, r in pending.items()})
    for t, sp in specs.items():
        if t not in pending:
            continue
        with identifiers_shown(show_identifiers):
            typed, raw, p, n, fatal, m = pending.pop(t).checked()
        del raw  # only read_table keeps the raw text of rejected rows
        file = _file_name(sp)
        if t == "measurements" and _skipped(data_spec, "episodes"):
            # one wide file holds the episodes and their measurements: each read keeps its own problems
            file = f"{file} (measurements)"
            p = p.assign(file=p["file"].replace(_file_name(sp), file))
        lines = typed.index.to_numpy(dtype=np.int64) if len(typed) else np.array([], dtype=np.int64)
        reads[t] = (typed, lines, fatal, file)
        accounts[t] = TableAccount(file, n, m.get("row_lines", lines), fatal)
        probs.append(p)
        meta[t] = m
    problems = concat_problems(probs)
    any_fatal = any(a.fatal for a in accounts.values())
    if not any_fatal:
        used = {t: _used_mask(problems, r[3], r[1]) for t, r in reads.items()}
        with identifiers_shown(show_identifiers):
            wide = meta["measurements"].get("wide_codes")  # a wide file: its problems name its columns
            cross = check_study(
                reads["episodes"][0], reads["episodes"][1], used["episodes"],
                reads["measurements"][0], reads["measurements"][1] if wide is None else wide, used["measurements"],
                *(reads["satisfaction"][:2] if "satisfaction" in reads else (None, None)),
                used.get("satisfaction"),
                files={t: r[3] for t, r in reads.items()}, window_days=window_days)
        if wide is not None:
            cross = decode_problems(cross, reads["measurements"][3], meta["measurements"]["wide_names"])
        problems = concat_problems([problems, cross])
    id_cols = ["client_id", "episode_id"]
    problems = add_row_keys(problems, {r[3]: _first_of_line(r[0][[c for c in id_cols if c in r[0].columns]])
                                       for r in reads.values()},
                            _row_key_source(row_key, data_spec.episodes), show_identifiers=show_identifiers)
    report = ValidationReport.from_tables(accounts, problems)
    if report.fatal and on_fatal == "raise":
        report.raise_if_fatal()

    def used_rows(t: str) -> pd.DataFrame | None:
        if t not in reads:
            return None
        typed, lines, fatal, file = reads[t]
        if fatal or report.fatal:
            return typed.iloc[:0]
        return typed[_used_mask(problems, file, lines)]

    return StudyData(used_rows("episodes"), used_rows("measurements"), used_rows("satisfaction"), report, meta)
