"""Membership and codes of key columns (ids, labels) whatever their dtype.

pandas 3 keeps text in Arrow-backed ``str`` columns.  Two operations the pipeline does on
every id column are slow there: ``Series.isin`` walks the values in Python (about 1.7 s
for 1,000,000 ids on this machine class) and ``to_numpy`` builds one Python object per
value.  :func:`isin` asks Arrow's hash-based ``is_in`` instead (about 0.13 s), and
:func:`key_codes` turns one or more key columns into shared integer codes, so that joins,
groupings and lookups run on ``int64`` arrays.  Both give exactly what the pandas
operations give (missing values get code -1).

>>> import pandas as pd
>>> ids = pd.Series(["E1", "E2", None, "E3"], dtype="str")
>>> isin(ids, ["E3", "E1"]).tolist()
[True, False, False, True]
>>> isin(ids, {"E2", 7}).tolist()  # mixed members: pandas decides, with the same result
[False, True, False, False]
>>> a, b = key_codes(pd.Series(["x", "y", None]), pd.Series(["y", "z"]))
>>> a.tolist(), b.tolist()
([0, 1, -1], [1, 2])
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["isin", "key_codes", "index_positions", "text_factorize", "codes_in", "factorizations",
           "share_codes", "equal_codes", "shared_codes"]


def _arrow(values: Any) -> pa.Array | pa.ChunkedArray | None:
    """The Arrow array behind an Arrow-backed pandas text column or index, else None."""
    arr = getattr(values, "array", values)
    pa_arr = getattr(arr, "_pa_array", None)  # ArrowStringArray / ArrowExtensionArray
    if pa_arr is not None and (pa.types.is_string(pa_arr.type) or pa.types.is_large_string(pa_arr.type)):
        return pa_arr
    return None


def isin(values: pd.Series | pd.Index | np.ndarray, test: Iterable[Any]) -> np.ndarray:
    """``values.isin(test)`` as a boolean array, through Arrow for Arrow-backed text.

    Parameters
    ----------
    values : Series, Index or ndarray
        The column tested (ids, codes, labels).
    test : iterable
        The members; a Series, Index, array, set or list.

    Returns
    -------
    ndarray of bool
        One flag per value, as ``isin`` gives it (a missing value is a member only when a
        missing value is among the members).
    """
    left = _arrow(values)
    right = _arrow(test) if left is not None else None
    if left is not None and right is None:
        seq = test if isinstance(test, (pd.Series, pd.Index, np.ndarray)) else list(test)
        try:
            right = pa.array(np.asarray(seq, dtype=object), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: pandas decides
            right = None
        if right is not None and not (pa.types.is_null(right.type) or pa.types.is_string(right.type)
                                      or pa.types.is_large_string(right.type)):
            right = None
    if left is not None and right is not None:
        if isinstance(right, pa.ChunkedArray):
            right = right.combine_chunks()
        if right.type != left.type:
            right = right.cast(left.type)
        out = pc.is_in(left, value_set=right, skip_nulls=False)  # a missing value matches a missing member, as in pandas
        return pc.fill_null(out, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    if not isinstance(values, (pd.Series, pd.Index)):
        values = pd.Series(values)
    if not isinstance(test, (pd.Series, pd.Index, np.ndarray, list, set, tuple)):
        test = list(test)
    return np.asarray(values.isin(test), dtype=bool)


def key_codes(*columns: pd.Series | pd.Index | np.ndarray) -> list[np.ndarray]:
    """Integer codes of one or more key columns, shared: equal values get equal codes.

    Codes follow the order of first appearance over the columns taken one after the other;
    missing values get -1.  Use them where a join, a grouping or a lookup would otherwise
    go through Python text objects.

    Returns
    -------
    list of ndarray (int64)
        One code array per column, in the order given.
    """
    sizes = [len(c) for c in columns]
    arrays = [_arrow(c) for c in columns]
    if arrays and all(a is not None for a in arrays):  # Arrow text: Arrow's hash encoding
        codes, _ = _dictionary_codes(arrays)
        return list(np.split(codes, np.cumsum(sizes)[:-1]))
    parts = [pd.Series(c, copy=False) if not isinstance(c, pd.Series) else c for c in columns]
    if len(parts) == 1:
        joined = parts[0]
    else:
        joined = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    codes, _ = pd.factorize(joined, use_na_sentinel=True)
    codes = codes.astype(np.int64, copy=False)
    return list(np.split(codes, np.cumsum(sizes)[:-1]))


def _dictionary_codes(arrays: list[Any]) -> tuple[np.ndarray, Any]:
    """Arrow's hash encoding of the text arrays taken one after the other: codes in order of
    first appearance and missing -1 (what ``pd.factorize`` gives for their concatenation,
    without its conversions), and the distinct values as an Arrow array."""
    chunks: list[Any] = []
    for a in arrays:
        chunks += a.chunks if isinstance(a, pa.ChunkedArray) else [a]
    kind = pa.large_string() if any(pa.types.is_large_string(c.type) for c in chunks) else pa.string()
    whole = pa.concat_arrays([c if c.type == kind else c.cast(kind) for c in chunks]) if chunks else pa.array([], kind)
    enc = whole.dictionary_encode()
    return pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False), enc.dictionary


def index_positions(index: pd.Index, keys: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """``index.get_indexer(keys)`` for a unique ``index``, on integer codes.

    Parameters
    ----------
    index : Index
        Unique keys (episode ids).
    keys : Series, Index or ndarray
        The keys looked up.

    Returns
    -------
    ndarray of int64
        Position of each key in ``index``, -1 when absent or missing.

    Raises
    ------
    pandas.errors.InvalidIndexError
        ``index`` holds a value twice (as ``get_indexer`` does).

    >>> import pandas as pd
    >>> index_positions(pd.Index(["b", "a"]), pd.Series(["a", "c", None, "b"])).tolist()
    [1, -1, -1, 0]
    """
    ci, ck = key_codes(index, keys)
    if ci.size and np.bincount(ci[ci >= 0]).max(initial=0) > 1:
        raise pd.errors.InvalidIndexError("Reindexing only valid with uniquely valued Index objects")
    n = int(max(ci.max(initial=-1), ck.max(initial=-1))) + 1
    table = np.full(n + 1, -1, dtype=np.int64)  # slot n stays -1: the code of a missing key
    have = ci >= 0
    table[ci[have]] = np.flatnonzero(have)
    return table[ck]


# factorizations of Arrow-backed text columns, one per Arrow array: the arrays are immutable
# (a changed column gets a new one), so codes computed once stay valid while the array lives;
# kept only inside a :func:`factorizations` block
_FACTORIZED: dict[int, tuple[Any, np.ndarray, pd.Index]] = {}
_OPEN_BLOCKS = [0]


@contextmanager
def factorizations() -> Iterator[None]:
    """A block (or, as ``@factorizations()``, a function) within which :func:`text_factorize`
    and :func:`codes_in` keep their results per column, forgotten when the outermost block ends.

    ``read_study`` reads in one: the duplicate checks of each table and the checks between
    tables factorize an id column once.  Outside any block nothing is kept (no hidden memory:
    the codes of the 18M-row id columns of the scores at 1,000,000 episodes would hold 0.3 GB).

    >>> import pandas as pd
    >>> s = pd.Series(["b", "a", "b"], dtype="str")
    >>> with factorizations():
    ...     text_factorize(s)[0] is text_factorize(s)[0]
    True
    >>> text_factorize(s)[0] is text_factorize(s)[0]
    False
    """
    _OPEN_BLOCKS[0] += 1
    try:
        yield
    finally:
        _OPEN_BLOCKS[0] -= 1
        if not _OPEN_BLOCKS[0]:
            _FACTORIZED.clear()
            _LOOKED_UP.clear()
            _SHARED.clear()


def text_factorize(values: pd.Series | pd.Index) -> tuple[np.ndarray, pd.Index] | None:
    """``pd.factorize(values)`` of an Arrow-backed text column, by Arrow's hash encoding.

    Inside a :func:`factorizations` block the result is kept while the column's Arrow array
    lives (an edit of the column makes a new array, hence a new factorization), so repeated
    checks on the same large id column factorize it once.

    Parameters
    ----------
    values : Series or Index
        An id column.

    Returns
    -------
    (ndarray, Index) or None
        The codes (``int64``; -1 for a missing value) and the uniques, exactly as
        ``pd.factorize`` gives them; ``None`` when the column is not Arrow-backed text
        (then the caller factorizes as usual).
    """
    arr = _arrow(values)
    if arr is None:
        return None
    key = id(arr)
    hit = _FACTORIZED.get(key)
    if hit is not None and hit[0]() is arr:
        return hit[1], hit[2]
    codes, dictionary = _dictionary_codes([arr])
    uniques = pd.Index(dictionary.to_pandas())
    codes.flags.writeable = False
    if not _OPEN_BLOCKS[0]:
        return codes, uniques
    try:
        ref = weakref.ref(arr, lambda _r, k=key: _FACTORIZED.pop(k, None))
    except TypeError:  # pragma: no cover - every pyarrow array takes a weak reference
        return codes, uniques
    _FACTORIZED[key] = (ref, codes, uniques)
    return codes, uniques


def codes_in(values: pd.Series | pd.Index, uniques: pd.Index, absent: int = -2) -> np.ndarray | None:
    """Positions of ``values`` in ``uniques`` (a :func:`text_factorize` result) as codes.

    A missing value gets -1 (as a missing value of the factorized column), a value not
    among ``uniques`` gets ``absent`` (a code no factorized value has).

    Returns
    -------
    ndarray (int64) or None
        ``None`` when either side is not Arrow-backed text.
    """
    left, right = _arrow(values), _arrow(uniques)
    if left is None or right is None:
        return None
    key = (id(left), id(right), absent)
    hit = _LOOKED_UP.get(key)
    if hit is not None and hit[0]() is left and hit[1]() is right:
        return hit[2]
    out = _index_in(left, right, absent)
    out.flags.writeable = False
    if not _OPEN_BLOCKS[0]:
        return out
    try:
        refs = [weakref.ref(a, lambda _r, k=key: _LOOKED_UP.pop(k, None)) for a in (left, right)]
    except TypeError:  # pragma: no cover - every pyarrow array takes a weak reference
        return out
    _LOOKED_UP[key] = (refs[0], refs[1], out)
    return out


# lookups of one Arrow text column in the uniques of another, one per pair of Arrow arrays
_LOOKED_UP: dict[tuple[int, int, int], tuple[Any, Any, np.ndarray]] = {}


def _index_in(left: Any, right: Any, absent: int) -> np.ndarray:
    """:func:`codes_in` computed: Arrow's hash lookup of ``left`` in ``right``."""
    if isinstance(right, pa.ChunkedArray):
        right = right.combine_chunks()
    if right.type != left.type:
        right = right.cast(left.type)
    pos = pc.index_in(left, value_set=right, skip_nulls=True)
    out = pc.fill_null(pos, absent).to_numpy(zero_copy_only=False).astype(np.int64)
    out[pc.is_null(left).to_numpy(zero_copy_only=False)] = -1
    return out


# codes that several Arrow text columns share (one hash encoding of them together), per Arrow
# array: (weak reference, codes, number of distinct values, encoding)
_SHARED: dict[int, tuple[Any, np.ndarray, int, int]] = {}
_ENCODINGS = [0]


def share_codes(*columns: pd.Series | pd.Index) -> None:
    """Inside a :func:`factorizations` block, encode the Arrow text ``columns`` together once:
    an id has one code in all of them.  :func:`equal_codes` and :func:`shared_codes` give
    those codes while the columns' arrays live.

    ``read_study`` encodes the ``episode_id`` of its three tables so: one hash table for all of
    them (0.42-0.62 s at 1,000,000 episodes, 2.3M measurements and 0.97M forms) instead of one
    per table and a lookup of the measurements' and forms' ids among the episodes' (1.1-1.2 s).
    Columns that are not Arrow text are left out; outside a block nothing is kept.

    >>> a, b = pd.Series(["x", "y", None], dtype="str"), pd.Series(["y", "z"], dtype="str")
    >>> with factorizations():
    ...     share_codes(a, b)
    ...     [c.tolist() for c in shared_codes(a, b)], equal_codes(b)[1]
    ([[0, 1, -1], [1, 2]], 3)
    """
    arrays = [a for a in (_arrow(c) for c in columns) if a is not None]
    if not _OPEN_BLOCKS[0] or not arrays:
        return
    codes, dictionary = _dictionary_codes(arrays)
    codes.flags.writeable = False
    _ENCODINGS[0] += 1
    parts = np.split(codes, np.cumsum([len(a) for a in arrays])[:-1])
    for arr, part in zip(arrays, parts, strict=True):
        key = id(arr)
        try:
            ref = weakref.ref(arr, lambda _r, k=key: _SHARED.pop(k, None))
        except TypeError:  # pragma: no cover - every pyarrow array takes a weak reference
            continue
        _SHARED[key] = (ref, part, len(dictionary), _ENCODINGS[0])


def _shared(values: Any) -> tuple[np.ndarray, int, int] | None:
    arr = _arrow(values)
    hit = _SHARED.get(id(arr)) if arr is not None else None
    return hit[1:] if hit is not None and hit[0]() is arr else None


def equal_codes(values: pd.Series | pd.Index) -> tuple[np.ndarray, int] | None:
    """Codes of an Arrow text column under which equal values, and only those, have equal codes
    (-1 for a missing value), and how many codes there may be (each code is below it).

    The codes :func:`share_codes` made for the column, else those of :func:`text_factorize`;
    ``None`` when the column is not Arrow text.  For comparisons and counts only: unlike
    :func:`text_factorize`, the codes need not run from 0 in order of first appearance.
    """
    hit = _shared(values)
    if hit is not None:
        return hit[0], hit[1]
    fact = text_factorize(values)
    return None if fact is None else (fact[0], len(fact[1]))


def shared_codes(*columns: pd.Series | pd.Index) -> list[np.ndarray] | None:
    """The codes :func:`share_codes` gave ``columns`` when it encoded them all together (one
    code per id across them), else ``None``."""
    hits = [_shared(c) for c in columns]
    if not hits or any(h is None for h in hits) or len({h[2] for h in hits}) > 1:
        return None
    return [h[0] for h in hits]
