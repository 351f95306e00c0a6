"""Fuzz test of the CSV/text reader: mutated example exports never crash it.

A few dozen rows of a shipped example export (``data/example/*.csv``) are written in one of the
encodings the reader takes (UTF-8, UTF-8 with its byte-order mark, cp1252, UTF-16), then their
bytes are mutated (inserted, deleted, replaced: carriage returns, NUL bytes, quotes, separators,
byte-order marks, huge numbers, invisible and non-ASCII characters, random bytes).  Whatever
comes out, :func:`effectstudy.read_table` and :func:`effectstudy.read_study`

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


#: what a mutation puts in: line ends, NUL, quotes, separators, BOMs, huge and odd numbers,
#: invisible and non-ASCII characters (as UTF-8 bytes; cp1252 ones as such)
TOKENS = [b"\r", b"\n", b"\r\n", b"\x00", b"\x00\x00", b'"', b'""', b";", b",", b"\t",
          codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"99999999999999999999", b"1e400", b"-1e308", b"inf",
          b"nan", b"NA", b"1,5", b"1.5", b"-", b" ", "\u200b".encode(), "\xa0".encode(), "é".encode(),
          b"\xe9", b"\xff", "€".encode(), b"2021111", b"31-02-2024", b"0", b"7"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]

mutation = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.floats(0, 1, allow_nan=False),
    st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=4)),
    st.integers(1, 6),
)


def mutate(data: bytes, mutations: list[tuple[str, float, bytes, int]]) -> bytes:
    """Apply the mutations in turn; a position is a fraction of the current length."""
    for op, where, token, n in mutations:
        i = int(where * len(data))
        if op == "insert":
            data = data[:i] + token + data[i:]
        elif op == "delete":
            data = data[:i] + data[i + n:]
        else:
            data = data[:i] + token + data[i + len(token):]
    return data


def export(table: str, encoding: str, mutations: list) -> tuple[bytes, str]:
    """An example export in ``encoding``, mutated; and the encoding to declare."""
    text = head(table)
    declared = "utf-8" if encoding == "utf-8-sig" else encoding
    data = text.encode(encoding)
    return mutate(data, mutations), declared


def check_read(t: es.TableRead, data: bytes) -> None:
    """Rows read = used + excluded; used rows are ``.data``, excluded ``.rejected``; problems
    are well formed and point inside the file."""
    fl = t.report.flow()
    n = t.report.rows_read[t.table]
    assert fl["n"].sum() == n
    used = int(fl.loc[fl["status"] == "used", "n"].sum())
    assert len(t.data) == used
    if not t.report.fatal:
        assert len(t.rejected) == n - used
        assert t.data.index.is_unique
    p = t.report.problems
    assert p["rule"].str.len().gt(0).all()
    assert p["severity"].isin(SEVERITIES).all()
    rows = p["row"].dropna().to_numpy(dtype=np.int64)
    assert ((rows >= 1) & (rows <= data.count(b"\n") + data.count(b"\r") + 1)).all()


@budget()
@given(table=st.sampled_from(sorted(ROWS)), encoding=st.sampled_from(ENCODINGS),
       mutations=st.lists(mutation, min_size=1, max_size=5),
       sep=st.sampled_from([None, ";"]), decimal=st.sampled_from([",", "."]))
def test_mutated_export_is_read_or_refused_with_a_clear_error(tmp_path_factory, table, encoding, mutations, sep,
                                                              decimal):
    data, declared = export(table, encoding, mutations)
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
