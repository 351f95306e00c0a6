"""Fuzz test of the CSV/text reader: mutated example exports never crash it.

A few dozen rows of a shipped example export (``data/example/*.csv``), with Unix, Windows or old
Mac line ends, are mutated: bytes inserted, deleted or replaced (carriage returns, NUL bytes,
quotes, separators, byte-order marks, invisible and non-ASCII characters, random bytes) and whole
values replaced (huge numbers, ``1e400``, dates of the wrong shape, values holding a line end or
an invisible character).  They are written in one of the encodings the reader takes (UTF-8, with
or without its byte-order mark; cp1252; UTF-16 with and without its byte-order mark), declared
as such.  Whatever comes out, :func:`effectstudy.read_table` and :func:`effectstudy.read_study`

* raise nothing but an :class:`effectstudy.EffectstudyError` (``ValidationError`` on fatal
  problems), and no warning (``filterwarnings = error``);
* account for every row: rows read = used + excluded, the rows used are ``.data`` and the rows
  excluded are ``.rejected``;
* give every problem a rule, a known severity and a line inside the file.

Budget: the derandomised CI profile runs :data:`CI_BUDGET` examples per property (``make test``);
``EFFECTSTUDY_FUZZ_EXAMPLES=n`` sets the number (``make test-fuzz``: 2,000 in ``make check``;
the slow run ``make test-fuzz FUZZ_EXAMPLES=10000``, see the README).  A crash found here is kept
as an explicit regression test in ``tests/data/test_io_faults_text.py``.
"""

from __future__ import annotations

import codecs
import os
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import effectstudy as es
from effectstudy.core.params import DataSpec, FileSpec
from effectstudy.data.validate import SEVERITIES
from tests.budget import examples
from tests.data.test_io_faults_text import accounted

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "example"
#: rows of each example export kept before mutating (a few dozen: every column kind, fast reads)
ROWS = {"episodes": 40, "measurements": 12, "satisfaction": 40}
#: examples of the read_table property under the CI profile (make test): each mutation kind,
#: encoding and table many times over, in about 12 s on one core; the read_study property (three
#: files, about 0.5 s an example) gets a twelfth
CI_BUDGET = 160


def budget(share: int = 1) -> settings:
    """``EFFECTSTUDY_FUZZ_EXAMPLES`` (make test-fuzz) or :data:`CI_BUDGET` scaled by the loaded
    hypothesis profile (tests/budget.py), divided by ``share``."""
    n = os.environ.get("EFFECTSTUDY_FUZZ_EXAMPLES")
    if n:
        return settings(max_examples=max(1, int(n) // share), suppress_health_check=[HealthCheck.too_slow])
    return examples(max(1, CI_BUDGET // share))


@cache
def head(table: str) -> str:
    """The header and the first :data:`ROWS` data rows of an example export (text)."""
    lines = (EXAMPLE / f"{table}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[: ROWS[table] + 1])


#: what a byte mutation puts in: line ends, NUL, quotes, separators, byte-order marks, invisible
#: and non-ASCII characters (as UTF-8 bytes; cp1252 ones as such); or random bytes
TOKENS = [b"\r", b"\r", b"\n", b"\r\n", b"\x00", b'"', b'""', b";", b",", b"\t", b" ",
          codecs.BOM_UTF8, codecs.BOM_UTF16_LE, "\u200b".encode(), "\xa0".encode(), "\ufeff".encode(),
          "\u00ad".encode(), "é".encode(), b"\xe9", b"\xff", "€".encode()]
#: what a ``field`` mutation makes a whole value: huge and odd numbers, dates of the wrong
#: shape, flags, ids, empty, and values holding a line end, NUL, quote or invisible character
VALUES = [b"", b"99999999999999999999", b"-99999999999999999999", b"1e400", b"-1e308", b"1000000000000000",
          b"999999999999999", b"inf", b"nan", b"NA", b"1,5", b"1.5", b"-", b" 7 ", b"0x10", b"1_000", b"7\r1",
          b"7\x00", b'"7"', b'"7;8"', b'7"', "\u0663".encode(), "7\u200b".encode(), "\xa07".encode(), b"2021111",
          b"20211101", b"31-02-2024", b"1-1-2021", b"01-01-1999", b"01-01-2099", b"0", b"7", b"-3", b"ja", b"x",
          b"E0000001", b"C0000001", b"scl90", b"pre"]
#: the encodings written (and declared; utf-8-sig is declared utf-8); UTF-8 three times as often
ENCODINGS = ["utf-8", "utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"]
#: line ends of the whole file before mutating: Unix, Windows, old Mac
LINE_ENDS = ["\n", "\r\n", "\r"]

#: a byte mutation: what it does, where (an offset taken modulo the length of the data lines, or
#: of the header line in one mutation in five), what it puts in, how many bytes it deletes
byte_mutation = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.integers(0, 2**24),
    st.sampled_from([False, False, False, False, True]),
    st.one_of(st.sampled_from(TOKENS), st.sampled_from(TOKENS), st.binary(min_size=1, max_size=4)),
    st.integers(1, 6),
)
#: ``field``: the line, header or not, the value and the column (the first 16: all of the
#: episodes and satisfaction, the ids, date, session, occasion and ten items of measurements)
field_mutation = st.tuples(st.just("field"), st.integers(0, 2**24), st.sampled_from([False] * 9 + [True]),
                           st.sampled_from(VALUES), st.integers(0, 15))
mutation = st.one_of(byte_mutation, field_mutation, field_mutation, field_mutation)


def _set_field(data: bytes, where: int, header: bool, token: bytes, column: int) -> bytes:
    """``data`` with one field replaced by ``token``: on the line ``where`` picks (the header
    when ``header``), in column ``column`` (modulo the fields of that line)."""
    end = b"\n" if b"\n" in data else b"\r"
    lines = data.split(end)
    k = 0 if header or len(lines) < 3 else 1 + where % (len(lines) - 2)  # the last part follows the final line end
    fields = lines[k].split(b";")
    c = column % len(fields)
    fields[c] = token + (b"\r" if fields[c].endswith(b"\r") else b"")
    lines[k] = b";".join(fields)
    return end.join(lines)


def mutate(data: bytes, mutations: list[tuple[str, int, bool, bytes, int]]) -> bytes:
    """Apply the mutations in turn: at a byte offset, or to a field (``field``)."""
    for op, where, header, token, n in mutations:
        nl = min((e for e in (data.find(b"\n"), data.find(b"\r")) if e >= 0), default=len(data)) + 1
        lo, hi = (0, nl) if header or nl >= len(data) else (nl, len(data))
        i = lo + where % max(1, hi - lo)
        if op == "insert":
            data = data[:i] + token + data[i:]
        elif op == "delete":
            data = data[:i] + data[i + n:]
        elif op == "replace":
            data = data[:i] + token + data[i + len(token):]
        else:
            data = _set_field(data, where, header, token, n)
    return data


def export(table: str, encoding: str, mutations: list, line_end: str = "\n") -> tuple[bytes, str]:
    """An example export with ``line_end``, mutated, in ``encoding``; and the encoding to declare.

    UTF-8 files are mutated as bytes (so they may hold bytes that are not UTF-8); cp1252 and UTF-16
    ones are mutated as UTF-8 and then encoded (an undecodable byte or a character the encoding
    lacks becomes a replacement character), so that they reach the reader's later stages too.
    """
    data = mutate(head(table).replace("\n", line_end).encode("utf-8"), mutations)
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + data, "utf-8"
    if encoding == "utf-8":
        return data, "utf-8"
    return data.decode("utf-8", errors="replace").encode(encoding, errors="replace"), encoding


def check_read(t: es.TableRead, data: bytes) -> None:
    """Rows read = used + excluded; used rows are ``.data``, excluded ``.rejected``; problems
    are well formed and point inside the file."""
    accounted(t)
    if not t.report.fatal:
        assert t.data.index.is_unique
    p = t.report.problems
    assert p["rule"].str.len().gt(0).all()
    assert p["severity"].isin(SEVERITIES).all()
    rows = p["row"].dropna().to_numpy(dtype=np.int64)
    assert ((rows >= 1) & (rows <= data.count(b"\n") + data.count(b"\r") + 1)).all()


@budget()
@given(table=st.sampled_from(sorted(ROWS)), encoding=st.sampled_from(ENCODINGS),
       mutations=st.lists(mutation, min_size=1, max_size=4), line_end=st.sampled_from(LINE_ENDS),
       sep=st.sampled_from([None, ";"]), decimal=st.sampled_from([",", "."]))
def test_mutated_export_is_read_or_refused_with_a_clear_error(tmp_path_factory, table, encoding, mutations, line_end,
                                                              sep, decimal):
    data, declared = export(table, encoding, mutations, line_end)
    path = tmp_path_factory.mktemp("fuzz") / f"{table}.csv"
    path.write_bytes(data)
    spec = FileSpec(path=path, encoding=declared, sep=sep, decimal=decimal)
    t = es.read_table(spec, table, on_fatal="return", today="2026-01-01")
    check_read(t, data)
    if t.report.fatal:
        with pytest.raises(es.ValidationError):
            es.read_table(spec, table, today="2026-01-01")


@budget(share=12)
@given(encoding=st.sampled_from(ENCODINGS), which=st.sampled_from(["episodes", "measurements", "both"]),
       mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_study_accounts_for_every_row(tmp_path_factory, encoding, which, mutations):
    folder = tmp_path_factory.mktemp("fuzz")
    specs = {}
    for table in ("episodes", "measurements", "satisfaction"):
        data, declared = export(table, encoding, mutations if which in (table, "both") else [])
        (folder / f"{table}.csv").write_bytes(data)
        specs[table] = FileSpec(path=folder / f"{table}.csv", encoding=declared)
    s = es.read_study(DataSpec(**specs), on_fatal="return", today="2026-01-01")
    fl = s.report.flow()
    for table, n in s.report.rows_read.items():
        assert fl.loc[fl["table"] == table, "n"].sum() == n
        used = int(fl.loc[(fl["table"] == table) & (fl["status"] == "used"), "n"].sum())
        # a fatal problem in any file stops the study: no table is handed on (the flow still
        # shows what each file's own rows are)
        assert len(getattr(s, table)) == (0 if s.report.fatal else used)
    if s.report.fatal:
        with pytest.raises(es.ValidationError):
            es.read_study(DataSpec(**specs), today="2026-01-01")
